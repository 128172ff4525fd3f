import Foundation
import Slips
import Testing

/// Tests of ``VectorMath`` against the C library: the largest error in ulps over random and edge arguments,
/// and NaN propagation.
@Suite struct VectorMathTests {
    /// |a - b| in units of the last place of b.
    static func ulps(_ a: Double, _ b: Double) -> Double { abs(a - b) / b.ulp }

    /// Applies `f` to `arguments` eight at a time and returns the largest ulp error of each output against
    /// `reference`, with the argument where it occurs.
    static func maxUlps(
        _ arguments: [Double], _ f: (SIMD8<Double>) -> [SIMD8<Double>], _ reference: (Double) -> [Double]
    ) -> [(error: Double, at: Double)] {
        var worst: [(error: Double, at: Double)] = []
        var k = 0
        while k < arguments.count {
            var v = SIMD8<Double>(repeating: arguments[k])
            for lane in 0..<8 where k + lane < arguments.count { v[lane] = arguments[k + lane] }
            let outputs = f(v)
            if worst.isEmpty { worst = Array(repeating: (0, 0), count: outputs.count) }
            for lane in 0..<8 where k + lane < arguments.count {
                for (j, expected) in reference(v[lane]).enumerated() {
                    let e = ulps(outputs[j][lane], expected)
                    if e > worst[j].error { worst[j] = (e, v[lane]) }
                }
            }
            k += 8
        }
        return worst
    }

    @Test func expIsWithinTwoUlpOfTheCLibrary() {
        var rng = Xoshiro256(seed: 7)
        var xs = (0..<100_000).map { _ in -708 + 1417 * rng.nextUniform() }
        // The logistic-regression range -|z| ∈ [-18.4, 0] densely, and the reduction's edges.
        xs += (0..<100_000).map { _ in -18.5 * rng.nextUniform() }
        let half = log(2.0) / 2
        xs += [0, -0.0, 1e-300, -1e-17, half, -half, half.nextUp, -half.nextDown, 1, -1, 709, -708, -18.420680733952367]
        let worst = Self.maxUlps(xs, { [VectorMath.exp($0)] }, { [Foundation.exp($0)] })[0]
        #expect(worst.error <= 2, "max error \(worst.error) ulp at x = \(worst.at)")
        #expect(VectorMath.exp(.zero) == SIMD8(repeating: 1))
    }

    /// softplus(z) = max(z, 0) + log1p(e^{-|z|}); sigmoid from the same e, both from the C library.
    static func reference(_ z: Double) -> [Double] {
        let e = Foundation.exp(-abs(z))
        return [max(z, 0) + Foundation.log1p(e), (z >= 0 ? 1 : e) / (1 + e)]
    }

    /// Bound: e^{-|z|} is within 1 ulp; the sigmoid then goes through five roundings (1 + e, 2 + f, their
    /// product, its reciprocal, two multiplies), so 6 ulp; softplus is dominated by its leading term f.
    @Test func softplusAndSigmoidAreWithinSixUlpOfTheCLibrary() {
        var rng = Xoshiro256(seed: 8)
        // The logit range of the logistic regression (clip at ±18.4), wider, and the log1p branch point
        // e^{-|z|} = √2 - 1, i.e. |z| = 0.8814.
        var zs = (0..<100_000).map { _ in -20 + 40 * rng.nextUniform() }
        zs += (0..<50_000).map { _ in -700 + 1400 * rng.nextUniform() }
        let branch = -Foundation.log(0.41421356237309503)
        zs += [0, -0.0, 1e-300, -1e-300, 18.420680733952367, -18.420680733952367, branch, -branch,
               branch.nextUp, branch.nextDown, 1, -1, 700, -700]
        let worst = Self.maxUlps(zs, { let r = VectorMath.softplusAndSigmoid($0); return [r.softplus, r.sigmoid] },
                                 Self.reference)
        #expect(worst[0].error <= 6, "softplus: max error \(worst[0].error) ulp at z = \(worst[0].at)")
        #expect(worst[1].error <= 6, "sigmoid: max error \(worst[1].error) ulp at z = \(worst[1].at)")
        let atZero = VectorMath.softplusAndSigmoid(.zero)
        #expect(atZero.softplus == SIMD8(repeating: Foundation.log(2.0)) && atZero.sigmoid == SIMD8(repeating: 0.5))
    }

    @Test func nanPropagates() {
        let x = SIMD8<Double>(.nan, 0.5, -.nan, 0, 1, 2, 3, 4)
        let e = VectorMath.exp(x), r = VectorMath.softplusAndSigmoid(x)
        #expect(e[0].isNaN && e[2].isNaN && Self.ulps(e[1], Foundation.exp(0.5)) <= 2 && e[3] == 1)
        #expect(r.softplus[0].isNaN && r.softplus[2].isNaN && r.sigmoid[0].isNaN && r.sigmoid[2].isNaN)
        #expect(!r.softplus[1].isNaN && !r.sigmoid[3].isNaN)
    }
}

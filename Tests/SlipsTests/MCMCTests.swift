import Foundation
import Slips
import Testing

/// MCMC kernels against exact references. Tolerances are 4 Monte Carlo standard errors of i.i.d. draws
/// (each sample is the final state of an independent chain), at a fixed seed.
@Suite struct MCMCTests {
    /// Mean and covariance of `x` within 4 standard errors of N(0, Σ): for zero-mean Gaussian draws
    /// se(mean_a) = sqrt(Σ_aa / n) and se(cov_ab) = sqrt((Σ_aa Σ_bb + Σ_ab²) / n).
    func expectMoments(_ x: Points, _ g: MultivariateGaussian, sourceLocation: SourceLocation = #_sourceLocation) {
        let n = Double(x.count), d = g.dimension
        let s = g.covariance
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<x.count { for a in 0..<d { mean[a] += x[i, a] / n } }
        for a in 0..<d {
            let se = (s[a * d + a] / n).squareRoot()
            #expect(abs(mean[a] - g.mean[a]) < 4 * se, "mean[\(a)] = \(mean[a])", sourceLocation: sourceLocation)
        }
        for a in 0..<d {
            for b in a..<d {
                var c = 0.0
                for i in 0..<x.count { c += (x[i, a] - g.mean[a]) * (x[i, b] - g.mean[b]) }
                c /= n
                let se = ((s[a * d + a] * s[b * d + b] + s[a * d + b] * s[a * d + b]) / n).squareRoot()
                #expect(abs(c - s[a * d + b]) < 4 * se, "cov[\(a),\(b)] = \(c) vs \(s[a * d + b])",
                        sourceLocation: sourceLocation)
            }
        }
    }

    @Test func malaReproducesCorrelatedGaussian() throws {
        let g = try MultivariateGaussian.autoregressive(dimension: 4, correlation: 0.9, mean: [1, -1, 0.5, 2])
        let sampler = MCMCSampler(kernel: .mala, steps: 400, warmupSteps: 400, initialStepSize: 0.1, initialScale: 2)
        let r = try sampler.sample(g, indices: 0..<4000, seed: 11, threads: 2, progress: nil)
        expectMoments(r.points, g)
        #expect(abs(r.statistics["mean_acceptance"]! - 0.75) < 0.05)
        #expect(r.gradientEvaluations == sampler.expectedGradientEvaluations(samples: 4000))
    }

    @Test func hmcReproducesCorrelatedGaussian() throws {
        let g = try MultivariateGaussian.autoregressive(dimension: 4, correlation: 0.9, mean: [1, -1, 0.5, 2])
        let sampler = MCMCSampler(kernel: .hmc(leapfrogSteps: 8), steps: 100, warmupSteps: 200, initialStepSize: 0.1,
                                  initialScale: 2)
        let r = try sampler.sample(g, indices: 0..<4000, seed: 12, threads: 2, progress: nil)
        expectMoments(r.points, g)
        // The averaged dual-averaging iterate is smaller than the last one, so acceptance ends above the target.
        #expect(r.statistics["mean_acceptance"]! > 0.8)
        #expect(r.gradientEvaluations == 4000 * (1 + 300 * 8))
    }

    /// ULA on N(0, I) with step h has the exact stationary variance 1 / (1 - h/2) (its bias is known in closed form).
    @Test func ulaHasItsExactStationaryVariance() throws {
        let g = try MultivariateGaussian(mean: [0, 0], covariance: [[1, 0], [0, 1]])
        let h = 0.2
        let sampler = MCMCSampler(kernel: .ula, steps: 200, warmupSteps: 0, initialStepSize: h, initialScale: 1)
        let r = try sampler.sample(g, indices: 0..<8000, seed: 3, threads: 2, progress: nil)
        let v = 1 / (1 - h / 2)
        let n = Double(r.points.count * 2)
        let m2 = r.points.storage.reduce(0) { $0 + $1 * $1 } / n
        // se of the second moment of N(0, v): sqrt(2 v² / n).
        #expect(abs(m2 - v) < 4 * (2 * v * v / n).squareRoot(), "E x² = \(m2), expected \(v)")
    }

    /// A target that returns NaN for x0 > 1: NaN proposals are rejected, never propagated.
    @Test func nanProposalsAreRejected() throws {
        let t = ClosureTarget(dimension: 2) { x, g in
            if x[0] > 1 {
                g[0] = .nan; g[1] = .nan
                return .nan
            }
            g[0] = -x[0]; g[1] = -x[1]
            return -0.5 * (x[0] * x[0] + x[1] * x[1])
        }
        for kernel in [MCMCSampler.Kernel.mala, .hmc(leapfrogSteps: 5), .ula] {
            let sampler = MCMCSampler(kernel: kernel, steps: 200, warmupSteps: 100, initialStepSize: 0.5, initialScale: 0.1)
            let r = try sampler.sample(t, indices: 0..<500, seed: 5, threads: 1, progress: nil)
            #expect(r.points.isFinite)
            #expect((0..<r.points.count).allSatisfy { r.points[$0, 0] <= 1 })
        }
    }

    @Test func kernelStepIsIdenticalForAnyBatchSplit() throws {
        let spec = try TargetCatalog.make("funnel")
        var a = MCMCSampler(kernel: .mala, steps: 50, warmupSteps: 50)
        a.blockSize = 7
        var b = a
        b.blockSize = 64
        let ra = try a.sample(spec.target, indices: 0..<100, seed: 9, threads: 2, progress: nil)
        let rb = try b.sample(spec.target, indices: 0..<100, seed: 9, threads: 1, progress: nil)
        #expect(ra.points == rb.points)
    }

    @Test func dualAveragingReachesTargetAcceptance() throws {
        let g = try MultivariateGaussian.autoregressive(dimension: 10, correlation: 0.5)
        let sampler = MCMCSampler(kernel: .mala, steps: 300, warmupSteps: 500, initialStepSize: 1e-3,
                                  adaptation: .dualAveraging, targetAcceptance: 0.6)
        let r = try sampler.sample(g, indices: 0..<256, seed: 1, threads: 2, progress: nil)
        #expect(abs(r.statistics["mean_acceptance"]! - 0.6) < 0.05)
    }

    @Test func multiplicativeRuleFollowsTheSpec() {
        var c = Chains(positions: [0, 0, 0], dimension: 1, generators: (0..<3).map { Xoshiro256(seed: UInt64($0)) },
                       stepSize: 0.5)
        c.acceptanceProbabilities = [0.9, 0.755, 0.1]
        c.stepSizes = [0.99, 0.5, 0.5]
        var rule = MultiplicativeAdaptation()
        rule.update(&c)
        #expect(c.stepSizes[0] == 1.0)  // 0.99 * 1.03 capped at 1
        #expect(c.stepSizes[1] == 0.5)  // within the ±0.01 band
        #expect(c.stepSizes[2] == 0.5 / 1.03)
    }

    @Test func invalidSettingsAreRejected() {
        #expect(throws: SamplerError.self) {
            try MCMCSampler(kernel: .mala, initialStepSize: -1).validate()
        }
        #expect(throws: SamplerError.self) {
            try MCMCSampler(kernel: .hmc(leapfrogSteps: 0)).validate()
        }
    }
}

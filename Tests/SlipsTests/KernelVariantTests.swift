import Slips
import Testing

/// The dense kernels' variants (``DenseKernels/instructionSet``: the baseline build, AVX2, AVX-512, chosen at run time)
/// give the same bits: every variant adds in the same order with separate multiplies and adds. On a CPU without
/// AVX2 or AVX-512 the higher variants fall back to the best it runs, and the comparison is trivially true.
@Suite(.serialized) struct KernelVariantTests {
    static let sets: [DenseKernels.InstructionSet] = [.portable, .avx2, .avx512]

    /// `body` under each variant, restoring the best one afterwards.
    static func underEachVariant<R>(_ body: () -> R) -> [R] {
        defer { DenseKernels.useInstructionSet(.avx512) }
        return sets.map { set in
            DenseKernels.useInstructionSet(set)
            return body()
        }
    }

    static func normals(_ n: Int, _ rng: inout Xoshiro256) -> [Double] { (0..<n).map { _ in rng.nextNormal() } }

    @Test func productsAgreeBitwiseAcrossVariants() {
        var rng = Xoshiro256(seed: 11)
        for _ in 0..<200 {
            let m = 1 + Int(rng.next() % 40), k = 1 + Int(rng.next() % 50), n = 1 + Int(rng.next() % 70)
            let accumulate = rng.next() % 2 == 0
            let a = Self.normals(m * k, &rng), b = Self.normals(k * n, &rng), c0 = Self.normals(m * n, &rng)
            let bt = Self.normals(n * k, &rng)
            let results = Self.underEachVariant { () -> ([Double], [Float], [Double]) in
                var c = c0, cf = c0.map(Float.init), dots = [Double](repeating: 0, count: m * n)
                DenseKernels.multiply(a, rows: m, depth: k, stride: k, b, columns: n, stride: n, into: &c, stride: n,
                                      accumulate: accumulate)
                DenseKernels.multiply(a.map(Float.init), rows: m, depth: k, stride: k, b.map(Float.init), columns: n,
                                      stride: n, into: &cf, stride: n, accumulate: accumulate)
                MatrixKernels.rowDots(a, rows: m, stride: k, bt, rows: n, stride: k, depth: k, into: &dots, stride: n)
                return (c, cf, dots)
            }
            for r in results.dropFirst() {
                #expect(r.0 == results[0].0 && r.1 == results[0].1 && r.2 == results[0].2, "m \(m) k \(k) n \(n)")
            }
        }
    }

    @Test func elementwiseFunctionsAndLogisticTargetAgreeBitwiseAcrossVariants() throws {
        var rng = Xoshiro256(seed: 12)
        let x = SIMD8<Double>((0..<8).map { _ in 30 * rng.nextNormal() })
        let math = Self.underEachVariant { (VectorMath.exp(x), VectorMath.softplusAndSigmoid(x)) }
        for r in math.dropFirst() {
            #expect(r.0 == math[0].0 && r.1.softplus == math[0].1.softplus && r.1.sigmoid == math[0].1.sigmoid)
        }
        // 45 points (a partial last group of eight), logits large enough to be clipped.
        let n = 45, d = 6
        let features = Points(dimension: d, storage: Self.normals(n * d, &rng))
        let labels = (0..<n).map { _ in Double(rng.next() % 2) }
        let model = try BayesianLogisticRegression(data: LogisticRegressionData(features: features, labels: labels))
        let thetas = Points(dimension: model.dimension, storage: Self.normals(37 * model.dimension, &rng).map { 4 * $0 })
        let evaluations = Self.underEachVariant { model.evaluate(thetas) }
        for r in evaluations.dropFirst() {
            #expect(r.logDensity.map(\.bitPattern) == evaluations[0].logDensity.map(\.bitPattern))
            #expect(r.gradient.storage.map(\.bitPattern) == evaluations[0].gradient.storage.map(\.bitPattern))
        }
    }

    @Test func theVariantCanBeCapped() {
        defer { DenseKernels.useInstructionSet(.avx512) }
        #expect(DenseKernels.useInstructionSet(.portable) == .portable)
        #expect(DenseKernels.instructionSet == .portable)
        let best = DenseKernels.useInstructionSet(.avx512)
        #if arch(x86_64)
        #expect(best != .portable || DenseKernels.useInstructionSet(.avx2) == .portable)
        #else
        #expect(best == .portable)
        #endif
    }
}

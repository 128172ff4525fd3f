import Slips
import SlipsKernels
import Testing

/// The dense kernels' variants (``DenseKernels/instructionSet``: the baseline build, AVX2, AVX-512, chosen at run time)
/// give the same bits: every variant adds in the same order with separate multiplies and adds. On a CPU without
/// AVX2 or AVX-512 the higher variants fall back to the best it runs, and the comparison is trivially true.
@Suite(.serialized) struct KernelVariantTests {
    static let sets: [DenseKernels.InstructionSet] = [.portable, .avx2, .avx512]

    /// `body` under each variant, restoring the one in use before (a `SLIPS_KERNELS` cap stays in force).
    static func underEachVariant<R>(_ body: () -> R) -> [R] {
        let before = DenseKernels.instructionSet
        defer { DenseKernels.useInstructionSet(before) }
        return sets.map { set in
            DenseKernels.useInstructionSet(set)
            return body()
        }
    }

    static func normals(_ n: Int, _ rng: inout Xoshiro256) -> [Double] { (0..<n).map { _ in rng.nextNormal() } }

    @Test(.enabled(if: !DenseKernels.usesExternalBLAS, "SLIPS_BLAS: the double products agree to rounding only"))
    func productsAgreeBitwiseAcrossVariants() {
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

    /// Every entry of a double product is one running sum in order over t, whatever tile computed it: whole vectors,
    /// a last partial vector of columns (n mod the width), a last partial group of rows, with and without accumulation.
    @Test(.enabled(if: !DenseKernels.usesExternalBLAS, "SLIPS_BLAS: the double products agree to rounding only"))
    func doubleProductsEqualTheNaiveSumInEveryVariant() {
        var rng = Xoshiro256(seed: 13)
        for (m, k, n) in [(9, 33, 41), (17, 280, 34), (8, 5, 2), (1, 3, 7), (33, 34, 280), (16, 1, 23)] {
            let a = Self.normals(m * k, &rng), b = Self.normals(k * n, &rng), c0 = Self.normals(m * n, &rng)
            for accumulate in [false, true] {
                var expected = [Double](repeating: 0, count: m * n)
                for i in 0..<m {
                    for j in 0..<n {
                        var s = accumulate ? c0[i * n + j] : 0
                        for t in 0..<k { s = s + a[i * k + t] * b[t * n + j] }
                        expected[i * n + j] = s
                    }
                }
                let results = Self.underEachVariant { () -> [Double] in
                    var c = c0
                    DenseKernels.multiply(a, rows: m, depth: k, stride: k, b, columns: n, stride: n, into: &c,
                                          stride: n, accumulate: accumulate)
                    return c
                }
                for r in results {
                    #expect(r.map(\.bitPattern) == expected.map(\.bitPattern), "m \(m) k \(k) n \(n) \(accumulate)")
                }
            }
        }
    }

    /// The optional external BLAS (`SLIPS_BLAS`), where OpenBLAS is installed (skipped where it is not): its products
    /// and row dots agree with the built-in kernels to rounding, |Δ| ≤ 2(k + 1) ε (Σ_t |a_t b_t| + |c|), the standard
    /// bound on each of two summation orders' errors.
    @Test(.enabled(if: !DenseKernels.usesExternalBLAS, "SLIPS_BLAS: the built-in kernels are not in use"))
    func externalBLASAgreesWithTheBuiltInKernelsToRounding() {
        var rng = Xoshiro256(seed: 14)
        for (m, k, n) in [(32, 34, 280), (32, 280, 34), (7, 5, 3)] {
            let a = Self.normals(m * k, &rng), b = Self.normals(k * n, &rng), bt = Self.normals(n * k, &rng)
            let c0 = Self.normals(m * n, &rng)
            for (transposed, accumulate) in [(false, false), (false, true), (true, false)] {
                var builtIn = c0, external = c0
                if transposed {
                    MatrixKernels.rowDots(a, rows: m, stride: k, bt, rows: n, stride: k, depth: k, into: &builtIn, stride: n)
                } else {
                    DenseKernels.multiply(a, rows: m, depth: k, stride: k, b, columns: n, stride: n, into: &builtIn,
                                          stride: n, accumulate: accumulate)
                }
                let ran = slips_blas_product("libopenblas.so.0", transposed ? 1 : 0, a, m, k, k, transposed ? bt : b, n,
                                             transposed ? k : n, &external, n, accumulate ? 1 : 0)
                guard ran != 0 else { return }  // no OpenBLAS on this machine
                for i in 0..<m {
                    for j in 0..<n {
                        var magnitude = accumulate ? abs(c0[i * n + j]) : 0
                        for t in 0..<k { magnitude += abs(a[i * k + t] * (transposed ? bt[j * k + t] : b[t * n + j])) }
                        let bound = 2 * Double(k + 1) * Double.ulpOfOne * magnitude
                        #expect(abs(builtIn[i * n + j] - external[i * n + j]) <= bound, "m \(m) k \(k) n \(n) (\(i), \(j))")
                    }
                }
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

    /// The batched Langevin proposal (normals of several chains in vector lanes, in C) draws every chain's own scalar
    /// normals, slow paths included, in every variant: ULA steps on `-½‖x‖²` against the proposal computed one chain at
    /// a time with ``Xoshiro256/nextNormal()``, bit for bit, and the streams left in the same state. 13 chains (a
    /// partial group of lanes), d = 64: about 8 slow-path draws per step, 40 steps.
    @Test func langevinProposalDrawsEachChainsScalarNormals() {
        #expect(MemoryLayout<Xoshiro256>.size == 32 && MemoryLayout<Xoshiro256>.offset(of: \.s3) == 24)
        let target = ClosureTarget(dimension: 64) { x, g in
            var l = 0.0
            for j in 0..<x.count { g[j] = -x[j]; l -= 0.5 * x[j] * x[j] }
            return l
        }
        for (d, n) in [(64, 13), (3, 9), (16, 11), (13, 64)] {
            let results = Self.underEachVariant { () -> Int in
                let t = ClosureTarget(dimension: d) { x, g in target.body(x, g) }
                let generators = (0..<n).map { RandomStream.make(seed: 5, index: $0, purpose: .mcmcChains) }
                var chains = Chains(positions: [Double](repeating: 0.5, count: n * d), dimension: d,
                                    generators: generators, stepSize: 0.1)
                for i in 0..<n { chains.stepSizes[i] = 0.05 + 0.01 * Double(i) }
                chains.evaluate(t)
                var mismatches = 0
                for _ in 0..<40 {
                    var reference = chains.generators, expected = chains.positions
                    for i in 0..<n {
                        let h = chains.stepSizes[i], s = (2 * h).squareRoot()
                        for j in 0..<d {
                            let z = reference[i].nextNormal()
                            expected[i * d + j] = chains.positions[i * d + j] + h * chains.gradients[i * d + j] + s * z
                        }
                    }
                    ULAKernel().step(&chains, target: t)
                    for k in expected.indices where expected[k].bitPattern != chains.positions[k].bitPattern { mismatches += 1 }
                    for i in 0..<n where reference[i].next() != chains.generators[i].next() { mismatches += 1 }
                }
                return mismatches
            }
            #expect(results == [0, 0, 0], "d \(d), n \(n)")
        }
    }

    /// The SLIPS posterior's kernels (mixture, localization tilt, MALA's log ratios and acceptance probabilities) sum
    /// over coordinates in one fixed order: SLIPS and MALA on two-modes (d = 11: a partial group of eight coordinates)
    /// give the same bytes in every variant.
    @Test func samplersAgreeBitwiseAcrossVariants() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 11)
        var c = SLIPSConfiguration(schedule: try GeometricSchedule(alpha1: 1, alpha2: 1), sigma: spec.slipsSigma,
                                   epsilon: 0.25, epsilonEnd: 6.62e-3)
        c.gridPoints = 16
        c.mcmcSteps = 8
        c.keep = 4
        c.warmupFactor = 5
        let runs = Self.underEachVariant { () -> [Double] in
            let slips = try! SLIPSSampler(configuration: c).sample(spec.target, indices: 0..<5, seed: 3, threads: 1,
                                                                   progress: nil)
            let mala = try! MCMCSampler(kernel: .mala, steps: 30, warmupSteps: 30, initialStepSize: 0.1, initialScale: 1)
                .sample(spec.target, indices: 0..<7, seed: 4, threads: 1, progress: nil)
            return slips.points.storage + mala.points.storage
        }
        for r in runs.dropFirst() { #expect(r.map(\.bitPattern) == runs[0].map(\.bitPattern)) }
    }

    @Test func theVariantCanBeCapped() {
        let before = DenseKernels.instructionSet
        defer { DenseKernels.useInstructionSet(before) }
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

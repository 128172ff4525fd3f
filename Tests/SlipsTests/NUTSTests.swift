import Foundation
@testable import Slips
import Testing

/// NUTS, HMC with a metric and window adaptation against exact references (tolerances: 4 Monte Carlo standard errors
/// from the draws' own MCSE at a fixed seed; χ² rank tests at the 0.1 % level).
@Suite struct NUTSTests {
    /// Mean, variances and neighbouring covariances of the draws within 4 MCSE of N(0, Σ).
    func expectGaussianMoments(_ r: MCMCDraws, _ g: MultivariateGaussian, sourceLocation: SourceLocation = #_sourceLocation) {
        let d = g.dimension, m = r.chains
        var checked = 0, outside: [String] = []
        func check(_ values: [Double], _ exact: Double, _ label: String) {
            let mean = values.reduce(0, +) / Double(values.count)
            let mcse = Diagnostics.mcseMean(values, chains: m)
            checked += 1
            if !(abs(mean - exact) < 4 * mcse) { outside.append("\(label): \(mean) vs \(exact) (MCSE \(mcse))") }
        }
        for a in 0..<d {
            let x = r.parameter(a)
            check(x, 0, "mean[\(a)]")
            check(x.map { $0 * $0 }, g.covariance[a * d + a], "var[\(a)]")
            if a + 1 < d {
                let y = r.parameter(a + 1)
                check(zip(x, y).map(*), g.covariance[a * d + a + 1], "cov[\(a),\(a + 1)]")
            }
        }
        #expect(outside.isEmpty, "\(outside.count) of \(checked) moments outside 4 MCSE: \(outside.prefix(5))", sourceLocation: sourceLocation)
    }

    @Test func nutsWithDenseAdaptationRecoversIllConditionedGaussian() throws {
        let g = try MultivariateGaussian.rotatedIllConditioned(dimension: 100)
        let sampler = MCMCSampler(kernel: .nuts(maxTreeDepth: 10), steps: 0, warmupSteps: 1000, metric: .dense)
        let r = try sampler.draws(g, chains: 4, draws: 1000, seed: 1, threads: 2, progress: nil)
        expectGaussianMoments(r, g)
        let s = DrawsSummary(values: r.values, chains: 4, draws: 1000, dimension: 100, sampleStats: r.sampleStats, maxTreeDepth: 10)
        #expect(s.rows.allSatisfy { $0.rhat < 1.01 })
        #expect(s.divergences == 0)
        // The dense metric whitens the target: short trees.
        let steps = r.sampleStats["n_steps"]!
        #expect(steps.reduce(0, +) / Double(steps.count) < 16)
    }

    /// HMC with a fixed trajectory adapts a dense metric slowly (its short trajectories barely move the large directions
    /// during the windows) and resonates with some directions of a partly adapted metric: with L = 10 and 1000 warm-up
    /// steps 17–100 of the 299 moments fall outside 4 MCSE (the chains stay too narrow and the MCSE underestimates the
    /// error). With L = 20, 2000 warm-up steps and a ±50 % step jitter none does (seeds 2, 3, 4 of the CLI run alike).
    @Test func hmcWithDenseAdaptationRecoversIllConditionedGaussian() throws {
        let g = try MultivariateGaussian.rotatedIllConditioned(dimension: 100)
        var sampler = MCMCSampler(kernel: .hmc(leapfrogSteps: 20), steps: 0, warmupSteps: 2000, adaptation: .window, metric: .dense)
        sampler.stepJitter = 0.5
        let r = try sampler.draws(g, chains: 4, draws: 1000, seed: 2, threads: 2, progress: nil)
        expectGaussianMoments(r, g)
    }

    /// Eight schools against the committed long reference run (results/posteriors): every mean within 4 combined MCSE.
    @Test func nutsWithDiagonalAdaptationMatchesEightSchoolsReference() throws {
        struct Reference: Decodable {
            struct Diagnostics: Decodable {
                struct Row: Decodable { let name: String; let mean: Double; let mcse_mean: Double }
                let parameters: [Row]
            }
            let diagnostics: Diagnostics
        }
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("results/posteriors/eight-schools.summary.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url)).diagnostics.parameters
        let sampler = MCMCSampler(kernel: .nuts(maxTreeDepth: 10), steps: 0, warmupSteps: 1000)
        let r = try sampler.draws(EightSchools(), chains: 4, draws: 1000, seed: 3, threads: 2, progress: nil)
        let s = DrawsSummary(values: r.values, chains: 4, draws: 1000, dimension: 10, names: EightSchools.parameterNames,
                             sampleStats: r.sampleStats, maxTreeDepth: 10)
        for (row, ref) in zip(s.rows, reference) {
            #expect(row.name == ref.name)
            let se = (row.mcseMean * row.mcseMean + ref.mcse_mean * ref.mcse_mean).squareRoot()
            #expect(abs(row.mean - ref.mean) < 4 * se, "\(row.name): \(row.mean) vs reference \(ref.mean) (MCSE \(se))")
        }
        #expect(s.rows.allSatisfy { $0.rhat < 1.02 })
        #expect(Set(r.sampleStats.keys) == ["lp", "acceptance_rate", "step_size", "n_steps", "diverging", "energy", "tree_depth"])
        #expect(r.inverseMass.allSatisfy { $0.count == 10 })
        let n = r.sampleStats["n_steps"]!.reduce(0, +)
        #expect(Double(r.gradientEvaluations - r.warmupGradientEvaluations) == n)
    }

    /// Simulation-based calibration of the kernel's invariance: chains started at exact draws of a correlated 2-D Gaussian
    /// take 3 transitions with a fixed step and metric; the rank of each final coordinate (and of its log-density) among
    /// 19 fresh exact draws is uniform on 0…19 when the kernel leaves the target invariant (χ² with 19 dof, 0.1 % level).
    func invarianceStatistics(_ kernel: some MCMCKernel, metric: [Double]?, seed: UInt64) throws -> [Double] {
        try invarianceStatistics(kernel, metric: metric.map { (MetricKind.diagonal, $0) }, seed: seed)
    }

    func invarianceStatistics(_ kernel: some MCMCKernel, metric: (MetricKind, [Double])?, seed: UInt64) throws -> [Double] {
        let g = try MultivariateGaussian(mean: [1, -0.5], covariance: [[1, 0.8], [0.8, 1]])
        let n = 4000, refs = 19
        let start = g.sample(count: n, seed: seed)
        var chains = Chains(positions: start.storage, dimension: 2,
                            generators: (0..<n).map { RandomStream.make(seed: seed, index: $0, purpose: .mcmcChains) }, stepSize: 0.45)
        if let (kind, m) = metric { for i in 0..<n { chains.metric.set(chain: i, kind: kind, values: m) } }
        chains.evaluate(g)
        for _ in 0..<3 { kernel.step(&chains, target: g) }
        let reference = g.sample(count: n * refs, seed: seed + 1)
        var chi2: [Double] = []
        for f in 0..<3 {
            func stat(_ x: [Double]) -> Double { f < 2 ? x[f] : g.evaluate(at: x).logDensity }
            var counts = [Int](repeating: 0, count: refs + 1)
            for i in 0..<n {
                let s = stat(Array(chains.positions[(2 * i)..<(2 * i + 2)]))
                let rank = (0..<refs).filter { stat(reference[row: i * refs + $0]) < s }.count
                counts[rank] += 1
            }
            let e = Double(n) / Double(refs + 1)
            chi2.append(counts.reduce(0) { $0 + (Double($1) - e) * (Double($1) - e) / e })
        }
        return chi2
    }

    @Test func nutsLeavesGaussianInvariant() throws {
        // χ²(19) 0.999 quantile: 43.82.
        for (metric, seed) in [(nil, UInt64(10)), ([2.0, 0.5], UInt64(11))] as [([Double]?, UInt64)] {
            let chi2 = try invarianceStatistics(NUTSKernel(maxTreeDepth: 10), metric: metric, seed: seed)
            #expect(chi2.allSatisfy { $0 < 43.82 }, "χ² \(chi2) (metric \(String(describing: metric)))")
        }
        let dense = [1.5, -0.6, -0.6, 0.8]
        for (kernel, seed) in [(NUTSKernel(maxTreeDepth: 10) as any MCMCKernel, UInt64(13)), (HMCKernel(leapfrogSteps: 3), 14)] {
            let chi2 = try invarianceStatistics(kernel, metric: (.dense, dense), seed: seed)
            #expect(chi2.allSatisfy { $0 < 43.82 }, "χ² \(chi2) (dense metric, \(kernel))")
        }
        let hmc = try invarianceStatistics(HMCKernel(leapfrogSteps: 3), metric: [2.0, 0.5], seed: 15)
        #expect(hmc.allSatisfy { $0 < 43.82 }, "χ² \(hmc) (HMC, diagonal metric)")
        // Power: the same test rejects ULA with a step that biases the variance.
        let ula = try invarianceStatistics(ULAKernel(), metric: [Double]?.none, seed: 12)
        #expect(ula.contains { $0 > 43.82 }, "ULA χ² \(ula)")
    }

    @Test func drawsDoNotDependOnThreadsAndMatchTheFinalStateMode() throws {
        let g = try MultivariateGaussian.autoregressive(dimension: 5, correlation: 0.7)
        let nuts = MCMCSampler(kernel: .nuts(maxTreeDepth: 6), steps: 40, warmupSteps: 60)
        let a = try nuts.draws(g, chains: 3, draws: 40, seed: 5, threads: 1, progress: nil)
        let b = try nuts.draws(g, chains: 3, draws: 40, seed: 5, threads: 2, progress: nil)
        #expect(a.values == b.values && a.sampleStats == b.sampleStats)
        let finals = try nuts.sample(g, indices: 0..<3, seed: 5, threads: 2, progress: nil)
        for c in 0..<3 {
            let last = Array(a.values[((c * 40 + 39) * 5)..<((c * 40 + 40) * 5)])
            #expect(last == finals.points[row: c])
        }
        // Thinning keeps every k-th state of the same chain.
        let thinned = try nuts.draws(g, chains: 3, draws: 20, thin: 2, seed: 5, threads: 2, progress: nil)
        #expect(Array(thinned.values[0..<5]) == Array(a.values[5..<10]))
    }

    @Test func warmupScheduleIsStans() {
        #expect(WarmupSchedule(warmup: 1000).windowEnds == [99, 149, 249, 449, 949])
        // 75 + 25 + 50 fits exactly in 150; in 100 the buffers become 15 % and 10 %.
        #expect(WarmupSchedule(warmup: 150).windowEnds == [99])
        let short = WarmupSchedule(warmup: 100)
        #expect(short.initialBuffer == 15 && short.terminalBuffer == 10 && short.windowEnds == [89])
        #expect(WarmupSchedule(warmup: 10).windowEnds.isEmpty)
        #expect(WarmupSchedule(warmup: 500).windowEnds == [99, 149, 249, 449])
    }

    @Test func welfordMatchesTwoPassEstimate() {
        var rng = Xoshiro256(seed: 4)
        let x = (0..<50).map { _ in [rng.nextNormal(), 2 * rng.nextNormal()] }
        var dense = WelfordCovariance(dimension: 2, dense: true), diagonal = WelfordCovariance(dimension: 2, dense: false)
        for row in x { row.withUnsafeBufferPointer { dense.add($0.baseAddress!); diagonal.add($0.baseAddress!) } }
        let mean = [0, 1].map { j in x.reduce(0) { $0 + $1[j] } / 50 }
        func cov(_ a: Int, _ b: Int) -> Double { x.reduce(0) { $0 + ($1[a] - mean[a]) * ($1[b] - mean[b]) } / 49 }
        let w = 50.0 / 55.0, ridge = 1e-3 * 5 / 55
        let e = dense.regularizedEstimate(), v = diagonal.regularizedEstimate()
        #expect(abs(e[1] - w * cov(0, 1)) < 1e-12 && abs(e[3] - (w * cov(1, 1) + ridge)) < 1e-12)
        #expect(abs(v[0] - (w * cov(0, 0) + ridge)) < 1e-12)
    }

    @Test func correlatedGaussianHasItsSpectrum() throws {
        let d = 16
        let g = try MultivariateGaussian.rotatedIllConditioned(dimension: d)
        // Σ q_k = λ_k q_k for the DCT-II columns.
        for k in [0, 7, 15] {
            let q = (0..<d).map { j in ((k == 0 ? 1.0 : 2.0) / Double(d)).squareRoot() * cos(Double.pi * (Double(j) + 0.5) * Double(k) / Double(d)) }
            let lambda = pow(10, -2 + 4 * Double(k) / Double(d - 1))
            for a in 0..<d {
                let s = (0..<d).reduce(0.0) { $0 + g.covariance[a * d + $1] * q[$1] }
                #expect(abs(s - lambda * q[a]) < 1e-10 * max(1, lambda))
            }
        }
    }
}

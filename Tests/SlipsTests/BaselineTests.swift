import Foundation
import Slips
import Testing

/// The SLIPS benchmark baselines SMC, AIS, RDMC and OAT (spec/slips.md §4.3, §5.4; spec/denoising.md §4.3–§4.4).
@Suite struct BaselineTests {
    /// Weight of the first mode (nearest-mean assignment, weighted for AIS), spec/slips.md §3.
    func firstModeWeight(_ r: SampleSet, _ m: GaussianMixture) -> Double {
        modeWeights(r.points, means: m.means, weights: r.weights)[0]
    }

    /// Binomial standard error of a mode weight w estimated from n independent samples.
    func standardError(_ w: Double, _ n: Double) -> Double { (w * (1 - w) / n).squareRoot() }

    // MARK: - Mode weights within Monte Carlo error

    /// SMC as upstream (multinomial resampling at every temperature) on two-modes d = 2 (weights 2/3, 1/3).
    ///
    /// Inflation factor: the MALA moves never carry a particle between the modes (they are 2.8 apart with standard
    /// deviation 0.22), so each multinomial resampling adds its binomial variance w(1-w)/N to the mode fraction on top
    /// of the initial draw: Var ≤ K w(1-w)/N, i.e. a factor sqrt(K) on the binomial standard error (measured over 20
    /// seeds: 2.6–2.9 at K = 8, 16).
    @Test func smcRecoversModeWeights() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 2)
        var c = SMCSampler.Configuration(target: spec)
        c.temperatures = 8
        c.mcmcSteps = 8
        let n = 16_000
        let r = try SMCSampler(configuration: c).sample(spec.target, indices: 0..<n, seed: 11, threads: 2, progress: nil)
        let w = firstModeWeight(r, spec.mixture!)
        let tolerance = 4 * Double(c.temperatures).squareRoot() * standardError(2.0 / 3.0, Double(n))
        #expect(abs(w - 2.0 / 3.0) < tolerance, "SMC mode weight \(w), tolerance \(tolerance)")
        #expect(r.weights == nil)
        #expect(r.statistics["resampling_count"] == Double(c.temperatures - 1))
    }

    /// Systematic resampling (every step) and ESS-triggered multinomial resampling.
    ///
    /// Inflation factors: systematic resampling gives each particle ⌊N w_i⌋ or ⌈N w_i⌉ offspring, so it adds far less
    /// variance than multinomial resampling (measured over 20 seeds: 1.3–1.5 × the binomial standard error, bound 1.5);
    /// ESS-triggered resampling resamples rarely, so the returned weights carry the error (measured 1.7–2.3 × the
    /// binomial standard error; bound 2.5).
    @Test func smcResamplingOptionsRecoverModeWeights() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 2)
        let n = 2000
        let se = standardError(2.0 / 3.0, Double(n))
        var c = SMCSampler.Configuration(target: spec)
        c.temperatures = 16
        c.mcmcSteps = 16
        c.resampling = .systematic
        let sys = try SMCSampler(configuration: c).sample(spec.target, indices: 0..<n, seed: 5, threads: 2, progress: nil)
        let wSys = firstModeWeight(sys, spec.mixture!)
        #expect(abs(wSys - 2.0 / 3.0) < 4 * 1.5 * se, "systematic SMC mode weight \(wSys)")
        c.resampling = .multinomial
        c.resamplingTrigger = .effectiveSampleSizeBelow(0.5)
        let ess = try SMCSampler(configuration: c).sample(spec.target, indices: 0..<n, seed: 5, threads: 2, progress: nil)
        let wEss = firstModeWeight(ess, spec.mixture!)
        #expect(abs(wEss - 2.0 / 3.0) < 4 * 2.5 * se, "ESS-triggered SMC mode weight \(wEss)")
        let count = ess.statistics["resampling_count"] ?? -1
        #expect(count >= 1 && count < Double(c.temperatures - 1))
        if let weights = ess.weights {
            #expect(abs(weights.reduce(0, +) - 1) < 1e-12)
        }
    }

    /// AIS: weighted mode weight within 4 standard errors computed from the weighted effective sample size
    /// `1/Σw²`; the weights are normalised; log Ẑ ≈ 0 for the normalised mixture (its standard deviation is about
    /// 1/sqrt(ESS) ≈ 0.07 here; bound 0.35).
    @Test func aisRecoversModeWeightsAndNormalisesWeights() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 2)
        var c = AISSampler.Configuration(target: spec)
        c.temperatures = 16
        c.mcmcSteps = 16
        let n = 2000
        let r = try AISSampler(configuration: c).sample(spec.target, indices: 0..<n, seed: 3, threads: 2, progress: nil)
        let weights = try #require(r.weights)
        #expect(weights.count == n)
        #expect(weights.allSatisfy { $0 >= 0 && $0.isFinite })
        #expect(abs(weights.reduce(0, +) - 1) < 1e-12)
        let ess = 1 / weights.reduce(0) { $0 + $1 * $1 }
        #expect(abs(ess - r.statistics["effective_sample_size"]!) < 1e-6 * ess)
        #expect(ess > 50, "AIS effective sample size \(ess)")
        let w = firstModeWeight(r, spec.mixture!)
        #expect(abs(w - 2.0 / 3.0) < 4 * standardError(2.0 / 3.0, ess), "AIS mode weight \(w), ESS \(ess)")
        #expect(abs(r.statistics["log_normalizer"]!) < 0.35, "AIS log Z \(r.statistics["log_normalizer"]!)")
    }

    /// RDMC on a 1-D mixture `0.7 N(-1.5, 0.25) + 0.3 N(1.5, 0.25)`, T = 1.
    ///
    /// Bias allowance 0.03 on top of 3 binomial standard errors (measured spread over 10 seeds: 0.97 × binomial): RDMC
    /// is biased towards 1/2 by its design, not by this implementation — with the exact score, its warm start
    /// (ULA with step (1 - e^{-2T})/2 from N(0, 1 - e^{-2T})) already ends at 0.689 (closed-form scores, 2e5 paths), and
    /// the noise of the importance-sampling + MALA score acts as extra diffusion (≈ 0.015 more, measured mean 0.675;
    /// shrinking as the number of proposals grows: 0.682 → 0.686 → 0.692 with 128 → 1024 → 4096 proposals at T = 2).
    @Test func rdmcRecoversModeWeights() throws {
        let m = try GaussianMixture(weights: [0.7, 0.3], means: [[-1.5], [1.5]], isotropicVariances: [0.25, 0.25])
        var c = RDMCSampler.Configuration(horizon: 1)
        c.gridPoints = 32
        c.mcmcSteps = 16
        let n = 1000
        let r = try RDMCSampler(configuration: c).sample(m, indices: 0..<n, seed: 2, threads: 2, progress: nil)
        let w = firstModeWeight(r, m)
        #expect(abs(w - 0.7) < 0.03 + 3 * standardError(0.7, Double(n)), "RDMC mode weight \(w)")
    }

    /// RDMC on a Gaussian N((0.5, -0.5), 0.3 I): mean within 4 standard errors; variance ratio in (0.9, 1.35).
    ///
    /// With the exact score this scheme already ends at a variance ratio of 1.12 at K = 32 (1.07 at K = 64;
    /// closed-form scores, 4e5 paths: the score frozen over a step lags near t = T); the Monte Carlo error of the
    /// estimated score adds ≈ 0.03 (measured 1.07–1.27 over 16 runs at K = 32). Upstream's half drift `(e^δ - 1) ŝ`
    /// gives a ratio of 4.7 in the same closed-form check; a posterior with the wrong sign or time moves the mean.
    @Test func rdmcGaussianMoments() throws {
        let g = try GaussianMixture(weights: [1], means: [[0.5, -0.5]], isotropicVariances: [0.3])
        var c = RDMCSampler.Configuration(horizon: 1)
        c.gridPoints = 32
        c.mcmcSteps = 16
        let n = 1000
        let r = try RDMCSampler(configuration: c).sample(g, indices: 0..<n, seed: 4, threads: 2, progress: nil)
        for (j, target) in [0.5, -0.5].enumerated() {
            let xs = (0..<n).map { r.points[$0, j] }
            let mean = xs.reduce(0, +) / Double(n)
            let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
            #expect(abs(mean - target) < 4 * (0.3 / Double(n)).squareRoot(), "coordinate \(j): mean \(mean)")
            #expect(variance / 0.3 > 0.9 && variance / 0.3 < 1.35, "coordinate \(j): variance \(variance)")
        }
    }

    /// OAT on two-modes d = 2 with σ = sqrt(R² - τ²), M = (256/8)(16/32) = 16 levels, 128 proposal pairs: the jumps
    /// keep the weights (the jump bias of spec/denoising.md §2.3 is below 1e-3 at σ/√M = 0.47); 4 binomial standard
    /// errors (measured spread over 8 seeds: 0.7–1.1 × binomial).
    @Test func oatRecoversModeWeights() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 2)
        var c = OATSampler.Configuration(target: spec)
        c.gridPoints = 256
        c.mcmcSteps = 16
        #expect(c.levels == 16 && c.proposalPairs == 128)
        let n = 1000
        let r = try OATSampler(configuration: c).sample(spec.target, indices: 0..<n, seed: 8, threads: 2, progress: nil)
        let w = firstModeWeight(r, spec.mixture!)
        #expect(abs(w - 2.0 / 3.0) < 4 * standardError(2.0 / 3.0, Double(n)), "OAT mode weight \(w)")
        #expect(r.gradientEvaluations == 0)
    }

    // MARK: - Evaluation counts (spec/slips.md §4.3, §5.4)

    @Test func defaultCountsMatchTheSpecTable() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 8)
        let smc = SMCSampler(configuration: .init(target: spec))
        let ais = AISSampler(configuration: .init(target: spec))
        let rdmc = RDMCSampler(configuration: .init(horizon: RDMCSampler.horizonGrid[0]))
        let oat = OATSampler(configuration: .init(target: spec))
        #expect(smc.expectedGradientEvaluations(samples: 1) == 33_759)
        #expect(smc.expectedLogDensityEvaluations(samples: 1) == 2_046)
        #expect(ais.expectedGradientEvaluations(samples: 1) == 33_759)
        #expect(ais.expectedLogDensityEvaluations(samples: 1) == 2_046)
        #expect(rdmc.expectedGradientEvaluations(samples: 1) == 137_148)
        #expect(rdmc.expectedLogDensityEvaluations(samples: 1) == 132_992)
        #expect(oat.configuration.levels == 128 && oat.configuration.proposalPairs == 256)
        #expect(oat.expectedGradientEvaluations(samples: 1) == 0)
        #expect(oat.expectedLogDensityEvaluations(samples: 1) == 590_336)
    }

    /// The instrumented reference runs of spec/slips.md §5.4: K = 16, S = 32, 4 samples, two-modes d = 8.
    @Test func smallKCountsMatchTheReferenceRuns() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 8)
        let n = 4
        var smc = SMCSampler.Configuration(target: spec)
        smc.temperatures = 16
        var ais = AISSampler.Configuration(target: spec)
        ais.temperatures = 16
        var rdmc = RDMCSampler.Configuration(horizon: RDMCSampler.horizonGrid[1])
        rdmc.gridPoints = 16
        var oat = OATSampler.Configuration(target: spec)
        oat.gridPoints = 16
        let expected: [(any Sampler, Int, Int)] = [
            (SMCSampler(configuration: smc), 495, 30), (AISSampler(configuration: ais), 495, 30),
            (RDMCSampler(configuration: rdmc), 4_092, 3_968), (OATSampler(configuration: oat), 0, 9_728),
        ]
        for (sampler, gradients, logDensities) in expected {
            let r = try sampler.sample(spec.target, indices: 0..<n, seed: 1, threads: 2, progress: nil)
            #expect(r.gradientEvaluations == n * gradients, "\(sampler.name) gradient evaluations")
            #expect(r.logDensityEvaluations == n * logDensities, "\(sampler.name) log-density evaluations")
            #expect(sampler.expectedGradientEvaluations(samples: n) == r.gradientEvaluations)
            #expect(r.points.count == n && r.points.isFinite)
        }
    }

    @Test func progressCountsEveryGradientEvaluation() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 3)
        var smc = SMCSampler.Configuration(target: spec)
        smc.temperatures = 6
        smc.mcmcSteps = 4
        var rdmc = RDMCSampler.Configuration(horizon: 0.5)
        rdmc.gridPoints = 6
        rdmc.mcmcSteps = 4
        rdmc.warmStartSteps = 2
        let samplers: [any Sampler] = [SMCSampler(configuration: smc), RDMCSampler(configuration: rdmc)]
        for sampler in samplers {
            let p = ProgressCounter(total: sampler.expectedGradientEvaluations(samples: 10))
            let r = try sampler.sample(spec.target, indices: 0..<10, seed: 1, threads: 2, progress: p)
            #expect(p.completed == r.gradientEvaluations && p.completed == p.total, "\(sampler.name)")
        }
    }

    // MARK: - Determinism, sharding

    /// Same seed ⇒ the same bytes, whatever the thread count and block size; another seed ⇒ other bytes. Run
    /// statistics are sums merged in block order: identical for any thread count at a given block size.
    @Test func sameSeedSameBytesWhateverTheThreadsAndBlocks() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 3)
        func samplers(blockSize: Int?) -> [any Sampler] {
            var smc = SMCSampler.Configuration(target: spec)
            smc.temperatures = 6
            smc.mcmcSteps = 3
            smc.blockSize = blockSize
            var sys = smc
            sys.resampling = .systematic
            sys.resamplingTrigger = .effectiveSampleSizeBelow(0.9)
            var ais = AISSampler.Configuration(target: spec)
            ais.temperatures = 6
            ais.mcmcSteps = 3
            ais.blockSize = blockSize
            var rdmc = RDMCSampler.Configuration(horizon: 0.3)
            rdmc.gridPoints = 5
            rdmc.mcmcSteps = 4
            rdmc.warmStartSteps = 2
            rdmc.blockSize = blockSize
            var oat = OATSampler.Configuration(target: spec)
            oat.gridPoints = 64
            oat.mcmcSteps = 8
            oat.blockSize = blockSize
            return [SMCSampler(configuration: smc), SMCSampler(configuration: sys), AISSampler(configuration: ais),
                    RDMCSampler(configuration: rdmc), OATSampler(configuration: oat)]
        }
        let one = samplers(blockSize: 3), two = samplers(blockSize: nil)
        for (a, b) in zip(one, two) {
            let x = try a.sample(spec.target, indices: 0..<23, seed: 42, threads: 1, progress: nil)
            let y = try b.sample(spec.target, indices: 0..<23, seed: 42, threads: 2, progress: nil)
            #expect(x.points.storage == y.points.storage, "\(a.name)")
            #expect(x.weights == y.weights, "\(a.name)")
            let x2 = try a.sample(spec.target, indices: 0..<23, seed: 42, threads: 2, progress: nil)
            #expect(x.points.storage == x2.points.storage && x.statistics == x2.statistics, "\(a.name)")
            let z = try b.sample(spec.target, indices: 0..<23, seed: 43, threads: 2, progress: nil)
            #expect(z.points.storage != y.points.storage, "\(a.name)")
        }
    }

    /// RDMC and OAT samples are independent: shards concatenate to the unsharded run. SMC/AIS shards are
    /// independent populations (other resampling streams, separately normalised weights), so they differ.
    @Test func shardsConcatenateForIndependentSamples() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 2)
        var rdmc = RDMCSampler.Configuration(horizon: 0.3)
        rdmc.gridPoints = 5
        rdmc.mcmcSteps = 4
        rdmc.warmStartSteps = 2
        var oat = OATSampler.Configuration(target: spec)
        oat.gridPoints = 64
        oat.mcmcSteps = 8
        let independent: [any Sampler] = [RDMCSampler(configuration: rdmc), OATSampler(configuration: oat)]
        for sampler in independent {
            let full = try sampler.sample(spec.target, indices: 0..<12, seed: 9, threads: 2, progress: nil)
            var merged = try sampler.sample(spec.target, indices: 0..<5, seed: 9, threads: 1, progress: nil).points
            let rest = try sampler.sample(spec.target, indices: 5..<12, seed: 9, threads: 2, progress: nil)
            #expect(rest.firstIndex == 5)
            merged.append(contentsOf: rest.points)
            #expect(merged == full.points, "\(sampler.name)")
        }
        var smc = SMCSampler.Configuration(target: spec)
        smc.temperatures = 5
        smc.mcmcSteps = 2
        let s = SMCSampler(configuration: smc)
        let full = try s.sample(spec.target, indices: 0..<12, seed: 9, threads: 2, progress: nil)
        let part = try s.sample(spec.target, indices: 6..<12, seed: 9, threads: 2, progress: nil)
        #expect(part.points.count == 6 && part.firstIndex == 6)
        #expect(part.points != full.points.slice(6..<12))
    }

    // MARK: - Configuration

    @Test func benchmarkScalesAndParameters() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 8)
        let r = spec.radius, t = spec.tau
        #expect(abs(SMCSampler.Configuration.startScale(for: spec) - (r * r + t * t).squareRoot()) < 1e-12)
        #expect(abs(AISSampler.Configuration(target: spec).sigma - (r * r + t * t).squareRoot()) < 1e-12)
        #expect(abs(OATSampler.Configuration.sigma(for: spec) - (r * r - t * t).squareRoot()) < 1e-12)
        #expect(RDMCSampler.horizonGrid.count == 4 && abs(RDMCSampler.horizonGrid[1] + Foundation.log(0.9)) < 1e-15)
        let smc = SMCSampler(configuration: .init(target: spec))
        #expect(smc.name == "smc" && smc.parameters["steps"] == 1024 && smc.parameters["mcmc_steps"] == 32)
        #expect(smc.parameters["initial_step_size"] == 1e-2 && smc.parameters["resample_every_step"] == 1)
        #expect(AISSampler(configuration: .init(target: spec)).name == "ais")
        let rdmc = RDMCSampler(configuration: .init(horizon: 0.2))
        #expect(rdmc.name == "rdmc" && rdmc.parameters["keep"] == 16 && rdmc.parameters["chains"] == 4)
        #expect(rdmc.parameters["proposals"] == 128 && rdmc.parameters["warm_start_steps"] == 16)
        let oat = OATSampler(configuration: .init(target: spec))
        #expect(oat.name == "oat" && oat.parameters["levels"] == 128 && oat.parameters["langevin_steps"] == 8)
    }

    @Test func validationListsEveryBadParameter() throws {
        var smc = SMCSampler.Configuration(sigma: -1)
        smc.temperatures = 1
        smc.mcmcSteps = 0
        smc.resamplingTrigger = .effectiveSampleSizeBelow(1.5)
        do {
            try smc.validate()
            Issue.record("invalid SMC configuration accepted")
        } catch let e as SamplerError {
            let lines = e.description.split(separator: ";")
            #expect(lines.count == 4, "\(e.description)")
            #expect(lines.contains { $0.contains("sigma") } && lines.contains { $0.contains("ESS") })
        }
        #expect(throws: SamplerError.self) { try AISSampler.Configuration(sigma: .nan).validate() }
        var rdmc = RDMCSampler.Configuration(horizon: 0)
        rdmc.keep = 40
        rdmc.proposals = 2
        do {
            try rdmc.validate()
            Issue.record("invalid RDMC configuration accepted")
        } catch let e as SamplerError {
            #expect(e.description.split(separator: ";").count == 3 && !e.description.contains("\n"), "\(e.description)")
        }
        var oat = OATSampler.Configuration(sigma: 0)
        oat.gridPoints = 4  // (4/8)(32/32) rounds to 0 levels
        oat.stepSize = 0
        do {
            try oat.validate()
            Issue.record("invalid OAT configuration accepted")
        } catch let e as SamplerError {
            #expect(e.description.split(separator: ";").count == 3 && !e.description.contains("\n"), "\(e.description)")
        }
        // The sampler validates before running.
        let spec = try TargetCatalog.make("two-modes", dimension: 2)
        #expect(throws: SamplerError.self) {
            try SMCSampler(configuration: smc).sample(spec.target, indices: 0..<4, seed: 0, threads: 1, progress: nil)
        }
        // OAT's σ = sqrt(R² - τ²) is 0 when τ ≥ R: rejected.
        #expect(OATSampler.Configuration.sigma(for: TargetSpec(name: "x", target: spec.target, radius: 0.1, tau: 0.2)) == 0)
    }
}

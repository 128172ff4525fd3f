import RealModule

/// How an SMC population is resampled (spec/slips.md §4.3; upstream `smc.py` uses multinomial resampling).
public enum ResamplingScheme: Sendable, Equatable {
    /// N independent draws from the normalised weights (upstream behaviour).
    case multinomial
    /// One uniform `u ~ U[0, 1/N)` and the N points `u + i/N` (lower variance).
    case systematic
}

/// When an SMC population is resampled (spec/slips.md §4.3; upstream resamples at every temperature).
public enum ResamplingTrigger: Sendable, Equatable {
    /// At every temperature (upstream behaviour).
    case everyStep
    /// Only when the effective sample size `(Σw)²/Σw²` falls below `fraction · N`, `fraction` in (0, 1].
    case effectiveSampleSizeBelow(Double)
}

/// Sequential Monte Carlo along the geometric path from a Gaussian to the target, with MALA moves and resampling
/// (spec/slips.md §4.3 "SMC", §1.8 for σ; upstream `slips/samplers/smc.py` in its correct form).
///
/// Path: `γ_k(x) ∝ N(x; 0, σ² I)^{1-β_k} π(x)^{β_k}`, `β_k = k/(K-1)`, k = 0…K-1, starting from `N(0, σ² I)` with
/// `σ = sqrt(R² + τ²)` (``Configuration/startScale(for:)``). For k = 1…K-1: incremental log-weights
/// `log γ_k(x) - log γ_{k-1}(x)` at the current particles, resampling (multinomial at every step by default), then
/// S MALA steps targeting `γ_k` with its correct gradient `-(1-β_k) x/σ² + β_k ∇log π(x)` (upstream uses `-x` for
/// the Gaussian part, §4.3 bug list) and per-particle step sizes (initially 1e-2, multiplicative rule of
/// spec/slips.md §1.6 with target 0.75, carried across temperatures and attached to the particle slot, as upstream).
///
/// Costs per particle (spec/slips.md §4.3, §5.4): `(K-1)(S+1)` target gradient evaluations (each MALA block
/// evaluates its starting point, because the tempered density changed) and `2(K-1)` log-density-only evaluations:
/// like upstream, `log γ_k(x)` and `log γ_{k-1}(x)` each take their own evaluation of `log π` at the same points
/// (kept so that budgets match the published benchmark; both values are equal for a deterministic target).
///
/// The population is the `indices.count` particles of one call: particles interact through resampling, so a
/// run split into shards gives independent populations (each with its own resampling streams), not the unsplit
/// run. Particle `i` (global index) draws its start and its MALA moves from stream `(seed, i, .baselineParticles)`;
/// the resampling at temperature k uses the single stream `(seed, first·K + k, .resampling)` (first = the first
/// global index, so `k` for an unsharded run). Resampling is a population barrier; MALA moves run in parallel
/// blocks of particles. Output is bitwise identical for any thread count.
public struct SMCSampler: Sampler {
    /// Parameters of SMC (spec/slips.md §4.3; defaults = upstream launcher, K = 1024, S = 32).
    public struct Configuration: Sendable {
        /// σ of the Gaussian start `N(0, σ² I)`; the benchmark uses `sqrt(R² + τ²)` (spec/slips.md §1.8).
        public var sigma: Double
        /// K, the number of inverse temperatures `β_k = k/(K-1)` (K - 1 annealing steps).
        public var temperatures: Int = 1024
        /// S, MALA steps per temperature.
        public var mcmcSteps: Int = 32
        /// Initial per-particle MALA step size (1e-2 upstream).
        public var initialStepSize: Double = 1e-2
        /// Per-particle step-size rule (spec/slips.md §1.6; target acceptance 0.75).
        public var adaptation = MultiplicativeAdaptation()
        /// Multinomial (upstream) or systematic.
        public var resampling: ResamplingScheme = .multinomial
        /// At every step (upstream) or when the ESS drops below a fraction of N.
        public var resamplingTrigger: ResamplingTrigger = .everyStep
        /// Particles per work block (results do not depend on it); nil picks about 2048 coordinates per block.
        public var blockSize: Int? = nil

        public init(sigma: Double) { self.sigma = sigma }

        /// The benchmark configuration for `target`: σ = sqrt(R² + τ²).
        public init(target: TargetSpec) { self.init(sigma: Self.startScale(for: target)) }

        /// `sqrt(R² + τ²)`, the standard deviation of the SMC/AIS start (spec/slips.md §1.8).
        public static func startScale(for target: TargetSpec) -> Double {
            (target.radius * target.radius + target.tau * target.tau).squareRoot()
        }

        /// Checks every parameter; throws one ``SamplerError`` with one line per bad parameter.
        public func validate() throws {
            var p = ParameterProblems()
            annealing.check(&p)
            if case .effectiveSampleSizeBelow(let f) = resamplingTrigger {
                p.require(f > 0 && f <= 1, "the ESS resampling fraction must be in (0, 1] (got \(f))")
            }
            try p.throwIfAny()
        }

        var annealing: AnnealingEngine {
            AnnealingEngine(
                sigma: sigma, temperatures: temperatures, mcmcSteps: mcmcSteps, initialStepSize: initialStepSize,
                adaptation: adaptation, resampling: resampling, trigger: resamplingTrigger, blockSize: blockSize)
        }
    }

    public var configuration: Configuration

    public init(configuration: Configuration) { self.configuration = configuration }

    public var name: String { "smc" }

    public var parameters: [String: Double] {
        let c = configuration
        var p = c.annealing.parameters
        p["systematic_resampling"] = c.resampling == .systematic ? 1 : 0
        switch c.resamplingTrigger {
        case .everyStep: p["resample_every_step"] = 1
        case .effectiveSampleSizeBelow(let f):
            p["resample_every_step"] = 0
            p["resampling_ess_fraction"] = f
        }
        return p
    }

    /// `N (K-1)(S+1)` (spec/slips.md §4.3).
    public func expectedGradientEvaluations(samples: Int) -> Int {
        configuration.annealing.expectedGradientEvaluations(samples: samples)
    }

    /// The whole population lives at once (positions, gradients, proposals, resampling copies): about `128 N d`.
    public func memoryEstimate(samples: Int, dimension d: Int) -> Double { 128 * Double(samples) * Double(d) }

    /// `N · 2(K-1)` (spec/slips.md §4.3).
    public func expectedLogDensityEvaluations(samples: Int) -> Int {
        configuration.annealing.expectedLogDensityEvaluations(samples: samples)
    }

    /// Returns the final particles; `weights` is nil when the last step resampled (always, by default) and the
    /// normalised weights otherwise. Statistics: `log_normalizer` (the SMC estimate of log Z), `effective_sample_size`
    /// (of the returned set), `resampling_count`, `mean_acceptance`, `mean_final_step_size`.
    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        try configuration.validate()
        return try configuration.annealing.run(target, indices: indices, seed: seed, threads: threads, progress: progress)
    }
}

/// Annealed importance sampling (Neal 2001) along the geometric path of ``SMCSampler``, without resampling
/// (spec/slips.md §4.3 "AIS"; upstream `smc_algorithm(use_ais=True)` in its correct form).
///
/// Same path, MALA moves, per-particle step sizes, streams and costs as ``SMCSampler``
/// (`(K-1)(S+1)` gradient and `2(K-1)` log-density-only evaluations per particle); the log-weights accumulate over
/// the K - 1 steps and the result carries the normalised weights `softmax(log w)` in ``SampleSet/weights``.
/// Particles never interact, but they are run as one population per call like SMC (the weights are normalised
/// over `indices.count` particles; shards give separately normalised weights).
public struct AISSampler: Sampler {
    /// Parameters of AIS (spec/slips.md §4.3; defaults = upstream launcher, K = 1024, S = 32).
    public struct Configuration: Sendable {
        /// σ of the Gaussian start `N(0, σ² I)`; the benchmark uses `sqrt(R² + τ²)` (spec/slips.md §1.8).
        public var sigma: Double
        /// K, the number of inverse temperatures `β_k = k/(K-1)`.
        public var temperatures: Int = 1024
        /// S, MALA steps per temperature.
        public var mcmcSteps: Int = 32
        /// Initial per-particle MALA step size (1e-2 upstream).
        public var initialStepSize: Double = 1e-2
        /// Per-particle step-size rule (spec/slips.md §1.6; target acceptance 0.75).
        public var adaptation = MultiplicativeAdaptation()
        /// Particles per work block (results do not depend on it); nil picks about 2048 coordinates per block.
        public var blockSize: Int? = nil

        public init(sigma: Double) { self.sigma = sigma }

        /// The benchmark configuration for `target`: σ = sqrt(R² + τ²).
        public init(target: TargetSpec) { self.init(sigma: Self.startScale(for: target)) }

        /// `sqrt(R² + τ²)`, the standard deviation of the SMC/AIS start (spec/slips.md §1.8).
        public static func startScale(for target: TargetSpec) -> Double {
            SMCSampler.Configuration.startScale(for: target)
        }

        /// Checks every parameter; throws one ``SamplerError`` with one line per bad parameter.
        public func validate() throws {
            var p = ParameterProblems()
            annealing.check(&p)
            try p.throwIfAny()
        }

        var annealing: AnnealingEngine {
            AnnealingEngine(
                sigma: sigma, temperatures: temperatures, mcmcSteps: mcmcSteps, initialStepSize: initialStepSize,
                adaptation: adaptation, resampling: nil, trigger: nil, blockSize: blockSize)
        }
    }

    public var configuration: Configuration

    public init(configuration: Configuration) { self.configuration = configuration }

    public var name: String { "ais" }

    public var parameters: [String: Double] { configuration.annealing.parameters }

    /// `N (K-1)(S+1)` (spec/slips.md §4.3).
    public func expectedGradientEvaluations(samples: Int) -> Int {
        configuration.annealing.expectedGradientEvaluations(samples: samples)
    }

    /// `N · 2(K-1)` (spec/slips.md §4.3).
    public func expectedLogDensityEvaluations(samples: Int) -> Int {
        configuration.annealing.expectedLogDensityEvaluations(samples: samples)
    }

    /// The whole population lives at once: about `128 N d`.
    public func memoryEstimate(samples: Int, dimension d: Int) -> Double { 128 * Double(samples) * Double(d) }

    /// Returns the final particles with their normalised weights. Statistics: `log_normalizer` (the AIS estimate
    /// of log Z), `effective_sample_size` (`1/Σw²`), `mean_acceptance`, `mean_final_step_size`.
    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        try configuration.validate()
        return try configuration.annealing.run(target, indices: indices, seed: seed, threads: threads, progress: progress)
    }
}

/// The tempered density `γ_β(x) = N(x; 0, σ² I)^{1-β} π(x)^β` with its correct gradient
/// `-(1-β) x/σ² + β ∇log π(x)` (spec/slips.md §4.3; upstream `log_prob_and_grad_k` with the `-x` bug fixed).
/// The Gaussian is normalised, so the SMC/AIS weights estimate the normalising constant of π.
struct TemperedTarget<Base: LogDensity>: LogDensity {
    let base: Base
    let beta: Double
    /// 1/σ².
    let startPrecision: Double
    /// `-(d/2) log(2πσ²)`.
    let startLogNormalizer: Double

    var dimension: Int { base.dimension }

    /// `log N(x; 0, σ² I)` of row `x`.
    @inline(__always)
    static func startLogDensity(
        _ x: UnsafePointer<Double>, dimension d: Int, precision: Double, logNormalizer: Double
    ) -> Double {
        // A strict sum: `Vector.squaredNorm` compiled to two out-of-line calls per coordinate here, and this is
        // the same arithmetic without them.
        var q = 0.0
        for j in 0..<d { q += x[j] * x[j] }
        return logNormalizer - 0.5 * precision * q
    }

    @inline(__always)
    func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        base.evaluate(points, count: count, logDensity: logDensity, gradient: gradient)
        let d = dimension, b = beta, a = 1 - beta, p = startPrecision, ap = a * startPrecision
        for r in 0..<count {
            let x = points + r * d, g = gradient + r * d
            let l0 = Self.startLogDensity(x, dimension: d, precision: p, logNormalizer: startLogNormalizer)
            logDensity[r] = a * l0 + b * logDensity[r]
            for j in 0..<d { g[j] = b * g[j] - ap * x[j] }
        }
    }
}

/// The one implementation behind ``SMCSampler`` (`resampling` set) and ``AISSampler`` (`resampling` nil).
struct AnnealingEngine: Sendable {
    var sigma: Double
    var temperatures: Int
    var mcmcSteps: Int
    var initialStepSize: Double
    var adaptation: MultiplicativeAdaptation
    var resampling: ResamplingScheme?
    var trigger: ResamplingTrigger?
    var blockSize: Int?

    func check(_ p: inout ParameterProblems) {
        p.require(sigma.isPositiveFinite, "sigma (the start scale) must be positive and finite (got \(sigma))")
        p.require(temperatures >= 2, "the number of temperatures K must be at least 2 (got \(temperatures))")
        p.require(mcmcSteps >= 1, "mcmc-steps must be at least 1 (got \(mcmcSteps))")
        p.require(initialStepSize.isPositiveFinite,
                  "the initial step size must be positive and finite (got \(initialStepSize))")
        adaptation.check(&p)
        if let b = blockSize { p.require(b >= 1, "the block size must be at least 1 (got \(b))") }
    }

    var parameters: [String: Double] {
        [
            "sigma": sigma, "steps": Double(temperatures), "mcmc_steps": Double(mcmcSteps),
            "initial_step_size": initialStepSize, "target_acceptance": adaptation.targetAcceptance,
            "acceptance_tolerance": adaptation.tolerance, "step_size_factor": adaptation.factor,
            "maximum_step_size": adaptation.maximum,
        ]
    }

    func expectedGradientEvaluations(samples: Int) -> Int { Count.product(samples, temperatures - 1, Count.sum(mcmcSteps, 1)) }

    func expectedLogDensityEvaluations(samples: Int) -> Int { Count.product(samples, 2, temperatures - 1) }

    func run<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        let start = wallClock()
        let d = target.dimension, n = indices.count, K = temperatures, S = mcmcSteps
        var output = Points(count: n, dimension: d)
        guard n > 0 else {
            return SampleSet(points: output, weights: resampling == nil ? [] : nil, firstIndex: indices.lowerBound,
                             gradientEvaluations: 0, wallSeconds: wallClock() - start)
        }
        let bs = blockSize ?? Swift.max(1, Swift.min(256, 2048 / d))
        let blockCount = (n + bs - 1) / bs
        let precision = 1 / (sigma * sigma)
        let logNormalizer = -0.5 * Double(d) * Double.log(2 * Double.pi * sigma * sigma)
        let betas = (0..<K).map { Double($0) / Double(K - 1) }

        // Particles: one Chains value per block, slot i drawing from stream (seed, first + i, .baselineParticles).
        var blocks: [Chains] = (0..<blockCount).map { b in
            let range = (b * bs)..<Swift.min(n, (b + 1) * bs)
            var generators = range.map {
                RandomStream.make(seed: seed, index: indices.lowerBound + $0, purpose: .baselineParticles)
            }
            var positions = [Double](repeating: 0, count: range.count * d)
            for r in 0..<range.count {
                for j in 0..<d { positions[r * d + j] = sigma * generators[r].nextNormal() }
            }
            return Chains(positions: positions, dimension: d, generators: generators, stepSize: initialStepSize)
        }
        var blockStats = [WorkCounts](repeating: WorkCounts(), count: blockCount)
        // Per-particle log π (two evaluations, as upstream), log N(x; 0, σ²I), accumulated log-weights.
        var logTargetA = [Double](repeating: 0, count: n)
        var logTargetB = [Double](repeating: 0, count: n)
        var logStart = [Double](repeating: 0, count: n)
        var logWeights = [Double](repeating: 0, count: n)
        var scratch = [Double](repeating: 0, count: n)
        var gathered = [Double](repeating: 0, count: n * d)
        var ancestors = [Int](repeating: 0, count: n)
        var logNormalizerEstimate = 0.0
        var resamplingCount = 0
        let adaptationRule = adaptation

        // One parallel pass over the particle blocks: S MALA steps at β_k (when moveAt is set), then the
        // log-densities for the next incremental weights (when evaluateWeights is set).
        func parallelPass(moveAt k: Int?, evaluateWeights: Bool) {
            blocks.withUnsafeMutableBufferPointer { bp in
            blockStats.withUnsafeMutableBufferPointer { sp in
            logTargetA.withUnsafeMutableBufferPointer { la in
            logTargetB.withUnsafeMutableBufferPointer { lb in
            logStart.withUnsafeMutableBufferPointer { l0 in
                let shared = UncheckedSendable(
                    (bp.baseAddress!, sp.baseAddress!, la.baseAddress!, lb.baseAddress!, l0.baseAddress!))
                ParallelBlocks.run(count: blockCount, blockSize: 1, threads: threads, cancellation: progress) { range in
                    let (chainsBase, statsBase, la, lb, l0) = shared.value
                    let b = range.lowerBound
                    let offset = b * bs
                    let before = chainsBase[b].gradientEvaluations
                    if let k {
                        let tempered = TemperedTarget(base: target, beta: betas[k], startPrecision: precision,
                                                      startLogNormalizer: logNormalizer)
                        chainsBase[b].evaluate(tempered)
                        var rule = adaptationRule
                        var acceptance = 0.0
                        runChains(&chainsBase[b], kernel: MALAKernel(), target: tempered, steps: S, adaptation: &rule,
                                  cancellation: progress) {
                            ch, _ in
                            for p in ch.acceptanceProbabilities { acceptance += p }
                        }
                        statsBase[b].acceptanceSum += acceptance
                        statsBase[b].acceptanceCount += Double(chainsBase[b].count * S)
                        let done = chainsBase[b].gradientEvaluations - before
                        statsBase[b].gradientEvaluations += done
                        progress?.add(done)
                    }
                    if evaluateWeights {
                        let m = chainsBase[b].count
                        chainsBase[b].positions.withUnsafeBufferPointer { x in
                            let x = x.baseAddress!
                            target.logDensity(x, count: m, into: la + offset)
                            target.logDensity(x, count: m, into: lb + offset)
                            for r in 0..<m {
                                l0[offset + r] = TemperedTarget<T>.startLogDensity(
                                    x + r * d, dimension: d, precision: precision, logNormalizer: logNormalizer)
                            }
                        }
                        statsBase[b].logDensityEvaluations += 2 * m
                    }
                }
            }}}}}
        }

        parallelPass(moveAt: nil, evaluateWeights: true)
        for k in 1..<K {
            try progress?.checkCancelled()
            // Incremental log-weights log γ_k(x) - log γ_{k-1}(x) (serial: a population-level step).
            let bk = betas[k], bPrev = betas[k - 1]
            let logBefore = logWeights.logSumExp()
            for i in 0..<n {
                let la = logTargetA[i], lb = logTargetB[i], l0 = logStart[i]
                var increment: Double
                if la.isFinite && lb.isFinite {
                    increment = ((1 - bk) * l0 + bk * la) - ((1 - bPrev) * l0 + bPrev * lb)
                } else {
                    increment = -.infinity  // π(x) = 0 or NaN: the particle gets weight 0
                }
                if increment.isNaN { increment = -.infinity }
                logWeights[i] += increment
            }
            let logAfter = logWeights.logSumExp()
            guard logAfter.isFinite else {
                throw SamplerError(
                    "every particle has zero importance weight at temperature \(k) of \(K - 1): "
                        + "the target returned -inf, NaN or +inf at all of them")
            }
            logNormalizerEstimate += logAfter - logBefore
            if let scheme = resampling, shouldResample(logWeights, scratch: &scratch) {
                resamplingCount += 1
                var rng = RandomStream.make(seed: seed, index: indices.lowerBound &* K &+ k, purpose: .resampling)
                drawAncestors(scheme, logWeights: logWeights, cumulative: &scratch, into: &ancestors, rng: &rng)
                // Gather the population, then scatter the ancestors' positions back to the slots.
                for b in 0..<blockCount {
                    let offset = b * bs * d
                    blocks[b].positions.withUnsafeBufferPointer { x in
                        for t in 0..<x.count { gathered[offset + t] = x[t] }
                    }
                }
                for b in 0..<blockCount {
                    let first = b * bs
                    blocks[b].positions.withUnsafeMutableBufferPointer { x in
                        for r in 0..<(x.count / d) {
                            let src = ancestors[first + r] * d
                            for j in 0..<d { x[r * d + j] = gathered[src + j] }
                        }
                    }
                }
                for i in 0..<n { logWeights[i] = 0 }
            }
            parallelPass(moveAt: k, evaluateWeights: k < K - 1)
        }
        try progress?.checkCancelled()

        // Output in particle order.
        var index = 0
        for b in 0..<blockCount {
            for v in blocks[b].positions {
                output.storage[index] = v
                index += 1
            }
            blockStats[b].stepSizeSum = blocks[b].stepSizes.reduce(0, +)
            blockStats[b].stepSizeCount = Double(blocks[b].count)
        }
        let total = blockStats.reduce(into: WorkCounts()) { $0.merge($1) }
        try checkFinite(output, firstIndex: indices.lowerBound, sampler: resampling == nil ? "AIS" : "SMC")
        // Normalised weights (uniform after a resampling step: returned as nil for SMC).
        let lse = logWeights.logSumExp()
        var weights = logWeights.map { Double.exp($0 - lse) }
        let sumSquares = weights.reduce(0) { $0 + $1 * $1 }
        let uniform = logWeights.allSatisfy { $0 == logWeights[0] }
        if resampling != nil && uniform { weights = [] }
        return SampleSet(
            points: output, weights: weights.isEmpty ? nil : weights, firstIndex: indices.lowerBound,
            gradientEvaluations: total.gradientEvaluations, logDensityEvaluations: total.logDensityEvaluations,
            wallSeconds: wallClock() - start,
            statistics: [
                "log_normalizer": logNormalizerEstimate,
                "effective_sample_size": uniform ? Double(n) : 1 / sumSquares,
                "resampling_count": Double(resamplingCount),
                "mean_acceptance": total.meanAcceptance,
                "mean_final_step_size": total.meanStepSize,
            ])
    }

    /// Whether the population must be resampled now (always for `.everyStep`).
    func shouldResample(_ logWeights: [Double], scratch: inout [Double]) -> Bool {
        switch trigger {
        case .none: return false
        case .everyStep: return true
        case .effectiveSampleSizeBelow(let fraction):
            let n = logWeights.count
            for i in 0..<n { scratch[i] = logWeights[i] }
            let (s, _) = scratch.withUnsafeMutableBufferPointer { exponentiateLogWeights($0.baseAddress!, count: n) }
            var s2 = 0.0
            for i in 0..<n { s2 += scratch[i] * scratch[i] }
            return s * s / s2 < fraction * Double(n)
        }
    }

    /// Fills `ancestors` with N indices drawn from the normalised weights, by inversion of the cumulative sums.
    func drawAncestors(
        _ scheme: ResamplingScheme, logWeights: [Double], cumulative c: inout [Double], into ancestors: inout [Int],
        rng: inout Xoshiro256
    ) {
        let n = logWeights.count
        for i in 0..<n { c[i] = logWeights[i] }
        _ = c.withUnsafeMutableBufferPointer { exponentiateLogWeights($0.baseAddress!, count: n) }
        for i in 1..<Swift.max(n, 1) { c[i] += c[i - 1] }
        let total = c[n - 1]
        switch scheme {
        case .multinomial:
            for i in 0..<n {
                let u = rng.nextUniform() * total
                // First index with c[j] > u.
                var lo = 0, hi = n - 1
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if c[mid] > u { hi = mid } else { lo = mid + 1 }
                }
                ancestors[i] = lo
            }
        case .systematic:
            let u0 = rng.nextUniform()
            var j = 0
            for i in 0..<n {
                let u = (u0 + Double(i)) / Double(n) * total
                while j < n - 1 && c[j] <= u { j += 1 }
                ancestors[i] = j
            }
        }
    }
}

/// The settings SMC and AIS share, so one catalog function sets them (``SamplerCatalog``).
public protocol AnnealingSettings {
    var sigma: Double { get set }
    var temperatures: Int { get set }
    var mcmcSteps: Int { get set }
    var initialStepSize: Double { get set }
    var adaptation: MultiplicativeAdaptation { get set }
}

extension SMCSampler.Configuration: AnnealingSettings {}
extension AISSampler.Configuration: AnnealingSettings {}

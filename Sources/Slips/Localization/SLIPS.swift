import RealModule

/// Configuration of SLIPS (spec/slips.md §1.9 defaults; §1.10 pseudocode).
public struct SLIPSConfiguration: Sendable {
    /// SNR schedule (classic or geometric).
    public var schedule: any SNRSchedule
    /// σ of the observation process; spec/slips.md §1.8 gives `σ = sqrt(R²/d + τ²)`.
    public var sigma: Double
    /// t_0 = ε.
    public var epsilon: Double
    /// ε_end (finite-time schedules only): t_end = T - ε_end.
    public var epsilonEnd: Double
    /// K, the number of grid points (K - 1 SDE steps).
    public var gridPoints: Int = 1024
    /// S, MALA steps per denoiser call.
    public var mcmcSteps: Int = 32
    /// C, chains per sample.
    public var chains: Int = 4
    /// States of each chain averaged at the end of a call (the last `keep` of S).
    public var keep: Int = 16
    /// L, Langevin-within-Langevin initialisation steps.
    public var initSteps: Int = 10
    /// The one-off warm-up on the first call runs `warmupFactor × S` MALA steps (50 upstream).
    public var warmupFactor: Int = 50
    /// Initial MALA step size of every chain (1e-5 upstream).
    public var initialStepSize: Double = 1e-5
    /// Per-chain step-size rule (spec/slips.md §1.6).
    public var adaptation = MultiplicativeAdaptation()
    /// Estimate m of the target mean used at initialisation (nil: 0, as in every benchmark run).
    public var initialMean: [Double]? = nil
    /// Samples per work block (a block's chains are evaluated in one batched target call). Results do not
    /// depend on it; nil picks about 2048 coordinates per block.
    public var blockSize: Int? = nil

    public init(schedule: any SNRSchedule, sigma: Double, epsilon: Double, epsilonEnd: Double) {
        self.schedule = schedule
        self.sigma = sigma
        self.epsilon = epsilon
        self.epsilonEnd = epsilonEnd
    }

    /// t_end: `T - ε_end` (finite-time schedules) or `T` (classic).
    public var endTime: Double { schedule.endTime(epsilonEnd: epsilonEnd) }

    /// MALA blocks (of S steps, each costing S + 1 evaluations per chain) per sample: L + (K - 1) + 1.
    public var denoiserCalls: Int { initSteps + gridPoints }

    /// Target evaluations per sample, spec/slips.md §1.9:
    /// `C [(1 + 50S) + (1 + S) L + (1 + S)(K - 1) + (1 + S)]` (142,892 with the defaults).
    public var evaluationsPerSample: Int {
        chains * ((1 + warmupFactor * mcmcSteps) + (1 + mcmcSteps) * denoiserCalls)
    }

    /// Checks every parameter for dimension `d`; throws one clear message naming the first bad one.
    public func validate(dimension d: Int) throws {
        func fail(_ s: String) throws -> Never { throw SamplerError(s) }
        if !(sigma > 0 && sigma.isFinite) { try fail("sigma must be positive and finite (got \(sigma))") }
        let end = endTime
        if schedule.isFiniteTime {
            if !(epsilonEnd > 0 && epsilonEnd < schedule.horizon) {
                try fail("epsilon-end must be in (0, T) = (0, \(schedule.horizon)) (got \(epsilonEnd))")
            }
        }
        if !(epsilon > 0 && epsilon < end) {
            try fail("epsilon must be in (0, t_end) = (0, \(end)) (got \(epsilon))")
        }
        if gridPoints < 2 { try fail("steps K must be at least 2 (got \(gridPoints))") }
        if mcmcSteps < 1 { try fail("mcmc-steps must be at least 1 (got \(mcmcSteps))") }
        if chains < 1 { try fail("chains must be at least 1 (got \(chains))") }
        if keep < 1 || keep > mcmcSteps { try fail("keep must be in 1...mcmc-steps = 1...\(mcmcSteps) (got \(keep))") }
        if initSteps < 0 { try fail("init-steps must be non-negative (got \(initSteps))") }
        if warmupFactor < 0 { try fail("the warm-up factor must be non-negative (got \(warmupFactor))") }
        if !(initialStepSize > 0 && initialStepSize.isFinite) { try fail("the initial step size must be positive") }
        if let m = initialMean, m.count != d || !m.allSatisfy(\.isFinite) {
            try fail("the initial mean must have \(d) finite coordinates")
        }
    }
}

/// SLIPS: stochastic localization via iterative posterior sampling (Grenioux et al. 2024), faithful to the
/// official benchmark code path (spec/slips.md §1.10).
///
/// For each sample, `Y` starts from `α(t_0) m + σ√t_0 Z`, is refined by L Langevin-within-Langevin steps
/// (§1.5), then follows the exponential-integrator discretisation of the SL dynamics on the log-SNR grid (§1.3,
/// §1.4), `Y ← Y + (α(t_{k+1}) - α(t_k)) û_k + σ √(t_{k+1} - t_k) ξ`, where `û_k ≈ E[X | Y_{t_k} = Y]` is the MALA
/// denoiser of §1.6 (C chains, S steps, the last `keep` states averaged, chains and step sizes warm-started across
/// calls, a one-off warm-up of 50·S steps). The output is one more denoiser estimate at `t_end` (§1.7).
///
/// Memory is O(block · C · d): no intermediate state is stored (§7 item 13). Each sample draws its SDE noise
/// from stream `(seed, n, .localization)` and chain `c` of sample `n` from `(seed, n·C + c, .denoiserChains)`,
/// so output is bitwise identical whatever the thread count and sharding.
public struct SLIPSSampler: Sampler {
    public var configuration: SLIPSConfiguration

    public init(configuration: SLIPSConfiguration) { self.configuration = configuration }

    public var name: String { "slips" }

    public var parameters: [String: Double] {
        let c = configuration
        var p: [String: Double] = [
            "sigma": c.sigma, "epsilon": c.epsilon, "t_end": c.endTime, "steps": Double(c.gridPoints),
            "mcmc_steps": Double(c.mcmcSteps), "chains": Double(c.chains), "keep": Double(c.keep),
            "init_steps": Double(c.initSteps), "warmup_steps": Double(c.warmupFactor * c.mcmcSteps),
            "initial_step_size": c.initialStepSize, "target_acceptance": c.adaptation.targetAcceptance,
        ]
        if c.schedule.isFiniteTime { p["epsilon_end"] = c.epsilonEnd }
        for (k, v) in c.schedule.parameters { p[k] = v }
        return p
    }

    public func expectedGradientEvaluations(samples: Int) -> Int { samples * configuration.evaluationsPerSample }

    /// The time grid t_0 … t_{K-1}.
    public var timeGrid: [Double] {
        let c = configuration
        return logSNRTimeGrid(schedule: c.schedule, start: c.epsilon, end: c.endTime, points: c.gridPoints)
    }

    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        let c = configuration
        let d = target.dimension
        try c.validate(dimension: d)
        let start = wallClock()
        let grid = timeGrid
        let alphas = grid.map { c.schedule.alpha($0) }
        let n = indices.count
        var out = Points(count: n, dimension: d)
        let blockSize = c.blockSize ?? Swift.max(1, Swift.min(256, 2048 / (c.chains * d)))
        let total = runSampleBlocks(count: n, dimension: d, blockSize: blockSize, threads: threads, output: &out) {
            local, o in
            let global = (indices.lowerBound + local.lowerBound)..<(indices.lowerBound + local.upperBound)
            return runBlock(target, samples: global, seed: seed, grid: grid, alphas: alphas, output: o, progress: progress)
        }
        if let i = total.firstNonFinite {
            throw SamplerError(
                "the target returned a non-finite log-density (NaN or infinity) where the denoiser chains of sample \(i) ended")
        }
        try checkFinite(out, firstIndex: indices.lowerBound, sampler: "SLIPS")
        return SampleSet(
            points: out, firstIndex: indices.lowerBound, gradientEvaluations: total.gradientEvaluations,
            wallSeconds: wallClock() - start,
            statistics: [
                "mean_acceptance": total.meanAcceptance,
                "mean_final_step_size": total.meanStepSize,
            ])
    }

    /// Runs the whole algorithm for the samples with global indices `samples`, writing `samples.count × d`
    /// values to `output`.
    func runBlock<T: LogDensity>(
        _ target: T, samples: Range<Int>, seed: UInt64, grid: [Double], alphas: [Double],
        output: UnsafeMutablePointer<Double>, progress: ProgressCounter?
    ) -> BlockStatistics {
        let c = configuration
        let d = target.dimension, b = samples.count, chainsPerSample = c.chains, nc = b * chainsPerSample
        let sigma = c.sigma, sigma2 = c.sigma * c.sigma
        var ySources = samples.map { RandomStream.make(seed: seed, index: $0, purpose: .localization) }
        var chainGenerators: [Xoshiro256] = []
        chainGenerators.reserveCapacity(nc)
        for s in samples {
            for k in 0..<chainsPerSample {
                chainGenerators.append(RandomStream.make(seed: seed, index: s * chainsPerSample + k, purpose: .denoiserChains))
            }
        }
        var chains = Chains(positions: [Double](repeating: 0, count: nc * d), dimension: d,
                            generators: chainGenerators, stepSize: c.initialStepSize)
        var adaptation = c.adaptation
        let kernel = MALAKernel()
        var y = [Double](repeating: 0, count: b * d)
        var u = [Double](repeating: 0, count: b * d)
        var stats = BlockStatistics()
        var first = true
        let keepFrom = c.mcmcSteps - c.keep
        let scale = 1 / Double(chainsPerSample * c.keep)

        /// û = MCMC estimate of E[X | Y_t = y] for every sample of the block (spec/slips.md §1.6).
        func denoise(t: Double, alpha a: Double) {
            let before = chains.gradientEvaluations
            y.withUnsafeBufferPointer { yb in
                let posterior = LocalizationPosterior(
                    base: target, observations: yb.baseAddress!, chainsPerObservation: chainsPerSample,
                    alpha: a, precision: 1 / (sigma2 * t))
                if first {
                    first = false
                    let inv = 1 / a
                    for r in 0..<nc {
                        let row = r / chainsPerSample
                        for j in 0..<d { chains.positions[r * d + j] = yb[row * d + j] * inv }
                    }
                    chains.evaluate(posterior)
                    runChains(&chains, kernel: kernel, target: posterior, steps: c.warmupFactor * c.mcmcSteps,
                              adaptation: &adaptation)
                }
                chains.evaluate(posterior)
                for i in 0..<(b * d) { u[i] = 0 }
                u.withUnsafeMutableBufferPointer { ub in
                    let ub = ub.baseAddress!
                    runChains(&chains, kernel: kernel, target: posterior, steps: c.mcmcSteps, adaptation: &adaptation) {
                        ch, step in
                        stats.acceptanceSum += ch.acceptanceProbabilities.reduce(0, +)
                        stats.acceptanceCount += Double(nc)
                        guard step > keepFrom else { return }
                        ch.positions.withUnsafeBufferPointer { x in
                            for r in 0..<nc {
                                let dst = ub + (r / chainsPerSample) * d, src = x.baseAddress! + r * d
                                for j in 0..<d { dst[j] += src[j] }
                            }
                        }
                    }
                    for i in 0..<(b * d) { ub[i] *= scale }
                }
            }
            progress?.add(chains.gradientEvaluations - before)
        }

        // Initialisation (Algorithm 2, Langevin-within-Langevin; spec/slips.md §1.5).
        let t0 = grid[0], a0 = alphas[0]
        let noise0 = sigma * t0.squareRoot()
        for s in 0..<b {
            for j in 0..<d {
                y[s * d + j] = a0 * (c.initialMean?[j] ?? 0) + noise0 * ySources[s].nextNormal()
            }
        }
        for _ in 0..<c.initSteps {
            denoise(t: t0, alpha: a0)
            for s in 0..<b {
                for j in 0..<d {
                    let i = s * d + j
                    y[i] = 0.5 * y[i] + 0.5 * a0 * u[i] + noise0 * ySources[s].nextNormal()
                }
            }
        }
        // Discretised SL dynamics, exponential integrator (spec/slips.md §1.4).
        for k in 0..<(grid.count - 1) {
            denoise(t: grid[k], alpha: alphas[k])
            let da = alphas[k + 1] - alphas[k]
            let noise = sigma * (grid[k + 1] - grid[k]).squareRoot()
            for s in 0..<b {
                for j in 0..<d {
                    let i = s * d + j
                    y[i] += da * u[i] + noise * ySources[s].nextNormal()
                }
            }
        }
        // Output: the posterior-mean estimate at t_end (spec/slips.md §1.7).
        denoise(t: grid[grid.count - 1], alpha: alphas[alphas.count - 1])
        for i in 0..<(b * d) { output[i] = u[i] }
        stats.gradientEvaluations = chains.gradientEvaluations
        if let r = chains.logDensities.firstIndex(where: { !$0.isFinite }) {
            stats.firstNonFinite = samples.lowerBound + r / chainsPerSample
        }
        stats.stepSizeSum = chains.stepSizes.reduce(0, +)
        stats.stepSizeCount = Double(nc)
        return stats
    }
}

/// The SLIPS posterior `q_t(x | y) ∝ π(x) exp(-‖y - α x‖² / (2σ²t))` for a batch of chains, chain `r` conditioned on
/// observation row `r / chainsPerObservation` (spec/slips.md §1.1, §7 item 4):
/// `∇ log q = ∇ log π(x) - α (α x - y) / (σ² t)`.
struct LocalizationPosterior<Base: LogDensity>: LogDensity, @unchecked Sendable {
    let base: Base
    let observations: UnsafePointer<Double>
    let chainsPerObservation: Int
    let alpha: Double
    /// 1 / (σ² t).
    let precision: Double

    var dimension: Int { base.dimension }

    @inline(__always)
    func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        base.evaluate(points, count: count, logDensity: logDensity, gradient: gradient)
        let d = dimension, a = alpha, p = precision, ap = alpha * precision
        for r in 0..<count {
            let x = points + r * d, g = gradient + r * d
            let y = observations + (r / chainsPerObservation) * d
            // A strict sum (one rounding per product and per addition, in order): the relaxed form compiled to
            // two out-of-line calls per coordinate here, and this is the same arithmetic without them.
            var q = 0.0
            for j in 0..<d {
                let diff = a * x[j] - y[j]
                q += diff * diff
                g[j] -= ap * diff
            }
            logDensity[r] -= 0.5 * p * q
        }
    }
}

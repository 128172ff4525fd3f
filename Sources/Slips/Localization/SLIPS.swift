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
    public var denoiserCalls: Int { Count.sum(initSteps, gridPoints) }

    /// Target evaluations per sample, spec/slips.md §1.9:
    /// `C [(1 + 50S) + (1 + S) L + (1 + S)(K - 1) + (1 + S)]` (142,892 with the defaults).
    public var evaluationsPerSample: Int {
        Count.product(chains, Count.sum(1, Count.product(warmupFactor, mcmcSteps), Count.product(1 + mcmcSteps, denoiserCalls)))
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
        if schedule.isFiniteTime && !(end < schedule.horizon) {
            try fail("epsilon-end \(epsilonEnd) is below the resolution of T = \(schedule.horizon): t_end = T - epsilon-end rounds to T")
        }
        if !(schedule.logSNR(epsilon).isFinite && schedule.logSNR(end).isFinite) {
            try fail("the log-SNR is not finite at t_0 = \(epsilon) or t_end = \(end); choose epsilon and epsilon-end further from 0")
        }
        if gridPoints > 100_000_000 { try fail("steps K must be at most 1e8 (got \(gridPoints))") }
        if chains > 1_000_000 { try fail("chains must be at most 1e6 (got \(chains))") }
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

    /// The output and metrics (`32 N d`) plus one block's chains (``MCMCDenoiser/memoryEstimate(dimension:)``).
    public func memoryEstimate(samples: Int, dimension d: Int) -> Double {
        32 * Double(samples) * Double(d) + configuration.denoiser.blockMemory(dimension: d)
    }

    public var settings: [String: String] {
        ["schedule": configuration.schedule.name, "denoiser": "mcmc", "grid": "log-snr"]
    }

    public func expectedGradientEvaluations(samples: Int) -> Int { Count.product(samples, configuration.evaluationsPerSample) }

    /// The time grid t_0 … t_{K-1}.
    public var timeGrid: [Double] {
        let c = configuration
        return logSNRTimeGrid(schedule: c.schedule, start: c.epsilon, end: c.endTime, points: c.gridPoints)
    }

    /// Runs ``StochasticLocalizationSampler`` with ``SLIPSConfiguration/observationProcess`` and
    /// ``SLIPSConfiguration/denoiser``. Statistics: `mean_acceptance`, `mean_final_step_size`.
    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        let c = configuration
        try c.validate(dimension: target.dimension)
        return try StochasticLocalizationSampler(
            process: c.observationProcess, denoiser: c.denoiser, name: name, blockSize: c.blockSize
        ).sample(target, indices: indices, seed: seed, threads: threads, progress: progress)
    }
}

extension SLIPSConfiguration {
    /// The Gaussian process `α(t) X + σ W_t` on the log-SNR grid, with L Langevin-within-Langevin refinements
    /// (spec/slips.md §1.3–§1.5).
    public var observationProcess: GaussianObservationProcess {
        GaussianObservationProcess(
            schedule: schedule, sigma: sigma,
            times: logSNRTimeGrid(schedule: schedule, start: epsilon, end: endTime, points: gridPoints),
            refinementSteps: initSteps, initialMean: initialMean, gridName: "log-snr")
    }

    /// The MALA denoiser of spec/slips.md §1.6: C chains, S steps, the last `keep` averaged, warm starts after a
    /// one-off warm-up of `warmupFactor · S` steps.
    public var denoiser: MCMCDenoiser {
        MCMCDenoiser(chains: chains, steps: mcmcSteps, keep: keep, initialStepSize: initialStepSize,
                     adaptation: adaptation, start: .warm(warmupFactor: warmupFactor))
    }
}

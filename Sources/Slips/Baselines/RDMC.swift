import RealModule

/// Reverse diffusion Monte Carlo (Huang et al., ICLR 2024) as run by the SLIPS benchmark, in its correct form
/// (spec/slips.md §4.3 "RDMC"; upstream `slips/samplers/rdmc.py`, `benchmark_utils.run_algorithm`).
///
/// Forward process: the OU process `dX = -X dt + √2 dB` run for a time T, so `p_s = Law(e^{-s} X + sqrt(1-e^{-2s}) Z)`.
/// The sampler runs the reverse diffusion `dY = (Y + 2∇log p_{T-t}(Y)) dt + √2 dB` on the uniform grid
/// `t_i = T i/(K-1)`, i = 0…K-1, with the exponential integrator
/// `Y ← e^δ Y + 2(e^δ - 1) ŝ + sqrt(e^{2δ} - 1) ξ` (δ = t_{i+1} - t_i, ŝ the estimated score at t_i),
/// from `Y ~ N(0, (1 - e^{-2T}) I)` refined by `W` (16) ULA steps with step `h = (1 - e^{-2T})/2` on `p_T`.
///
/// Score estimate at time t (s = T - t): the posterior `q(x | y) ∝ π(x) exp(-‖y - e^{-s} x‖²/(2(1 - e^{-2s})))`
/// is sampled by importance sampling (P = 128 proposals from `N(e^{s} y, (e^{2s} - 1) I)`, weights π, C = 4 of them
/// drawn without replacement as chain starts, as upstream) followed by C MALA chains of S steps targeting `q` —
/// target evaluated at the MALA state and `e^{-s}` used consistently in the log-density and the gradient
/// (`∇log q = ∇log π(x) + e^{-s}(y - e^{-s} x)/(1 - e^{-2s})`), fixing the two upstream bugs of spec/slips.md §4.3
/// (upstream's Gaussian gradient term also has the opposite sign and divides by zero at t = 0);
/// the mean of the last `keep` (S/2) states over the C chains gives `ŝ = -(y - e^{-s} mean)/(1 - e^{-2s})`.
/// MALA step sizes are per chain, start at `(1 - e^{-2T})/2` (upstream) and follow the multiplicative rule of
/// spec/slips.md §1.6 across all score calls.
///
/// Deliberate deviation from upstream, found while porting: upstream's update uses `(e^δ - 1) ŝ`, half the drift of
/// the reverse OU SDE whose noise `sqrt(e^{2δ} - 1)` it uses (for a Gaussian target it converges to the wrong
/// variance); this implementation uses the correct `2(e^δ - 1) ŝ`. Upstream also restarts the MALA step size at
/// every warm-start call; here it is carried across all calls.
///
/// Costs per sample (spec/slips.md §4.3, §5.4): `(K - 1 + W)·C·(S + 1)` gradient evaluations (each MALA block
/// evaluates its starting points) and `(K - 1 + W)·P` log-density-only evaluations.
///
/// Sample n draws its path noise from stream `(seed, n, .baselineParticles)`, its proposals and chain starts from
/// `(seed, n, .importanceProposals)` and chain c from `(seed, n·C + c, .denoiserChains)`, so the output is bitwise
/// identical for any thread count and a sharded run concatenates to the unsharded one.
public struct RDMCSampler: Sampler {
    /// Parameters of RDMC (spec/slips.md §4.2 grid for T, §4.3 structure; defaults = upstream launcher).
    public struct Configuration: Sendable {
        /// T, the horizon of the OU process (benchmark grid ``RDMCSampler/horizonGrid``).
        public var horizon: Double
        /// K, the number of grid points of [0, T] (K - 1 reverse steps).
        public var gridPoints: Int = 1024
        /// S, MALA steps per score estimate.
        public var mcmcSteps: Int = 32
        /// C, MALA chains per sample.
        public var chains: Int = 4
        /// Chain states averaged per score estimate (the last `keep` of S); nil: `max(1, S/2)` as upstream.
        public var keep: Int? = nil
        /// W, ULA warm-start steps on `p_T`.
        public var warmStartSteps: Int = 16
        /// P, importance-sampling proposals per score estimate.
        public var proposals: Int = 128
        /// Initial MALA step size of every chain; nil: `(1 - e^{-2T})/2` as upstream.
        public var initialStepSize: Double? = nil
        /// Draw the C chain starts from the importance weights without replacement (true, upstream
        /// `torch.multinomial`: distinct starts) or independently (false: sampling-importance-resampling). The
        /// reference runs of the tests found no measurable difference in the mode weights.
        public var distinctChainStarts = true
        /// Per-chain step-size rule (spec/slips.md §1.6; target acceptance 0.75).
        public var adaptation = MultiplicativeAdaptation()
        /// Samples per work block (results do not depend on it); nil picks about 16384 proposal coordinates.
        public var blockSize: Int? = nil

        public init(horizon: Double) { self.horizon = horizon }

        /// States averaged per score estimate.
        public var resolvedKeep: Int { keep ?? Swift.max(1, mcmcSteps / 2) }

        /// The MALA step size every chain starts from.
        public var resolvedInitialStepSize: Double { initialStepSize ?? -Double.expMinusOne(-2 * horizon) / 2 }

        /// Score estimates per sample: `K - 1 + W`.
        public var scoreEstimates: Int { Count.sum(gridPoints - 1, warmStartSteps) }

        /// Checks every parameter; throws one ``SamplerError`` with one line per bad parameter.
        public func validate() throws {
            var p = ParameterProblems()
            p.require(horizon.isPositiveFinite, "the horizon T must be positive and finite (got \(horizon))")
            p.require(gridPoints >= 2, "steps K must be at least 2 (got \(gridPoints))")
            p.require(mcmcSteps >= 1, "mcmc-steps must be at least 1 (got \(mcmcSteps))")
            p.require(chains >= 1, "chains must be at least 1 (got \(chains))")
            if let k = keep {
                p.require(k >= 1 && k <= mcmcSteps, "keep must be in 1...mcmc-steps = 1...\(mcmcSteps) (got \(k))")
            }
            p.require(warmStartSteps >= 0, "warm-start steps must be non-negative (got \(warmStartSteps))")
            p.require(proposals >= chains,
                      "proposals must be at least the number of chains \(chains) (got \(proposals))")
            if let h = initialStepSize {
                p.require(h.isPositiveFinite, "the initial step size must be positive and finite (got \(h))")
            }
            adaptation.check(&p)
            if let b = blockSize { p.require(b >= 1, "the block size must be at least 1 (got \(b))") }
            try p.throwIfAny()
        }
    }

    /// The benchmark grid of T: `-log{0.95, 0.9, 0.8, 0.7}` (spec/slips.md §4.2).
    public static let horizonGrid: [Double] = [0.95, 0.9, 0.8, 0.7].map { -Double.log($0) }

    public var configuration: Configuration

    public init(configuration: Configuration) { self.configuration = configuration }

    public var name: String { "rdmc" }

    public var parameters: [String: Double] {
        let c = configuration
        return [
            "horizon": c.horizon, "steps": Double(c.gridPoints), "mcmc_steps": Double(c.mcmcSteps),
            "chains": Double(c.chains), "keep": Double(c.resolvedKeep), "warm_start_steps": Double(c.warmStartSteps),
            "proposals": Double(c.proposals), "distinct_chain_starts": c.distinctChainStarts ? 1 : 0,
            "initial_step_size": c.resolvedInitialStepSize, "target_acceptance": c.adaptation.targetAcceptance,
            "acceptance_tolerance": c.adaptation.tolerance, "step_size_factor": c.adaptation.factor,
            "maximum_step_size": c.adaptation.maximum,
        ]
    }

    /// `N (K - 1 + W) C (S + 1)` (spec/slips.md §4.3).
    public func expectedGradientEvaluations(samples: Int) -> Int {
        let c = configuration
        return Count.product(samples, c.scoreEstimates, c.chains, Count.sum(c.mcmcSteps, 1))
    }

    /// The output and metrics (`32 N d`) plus one block's proposals and chains.
    public func memoryEstimate(samples: Int, dimension d: Int) -> Double {
        32 * Double(samples) * Double(d) + denoiser.blockMemory(dimension: d)
    }

    /// `N (K - 1 + W) P` (spec/slips.md §4.3).
    public func expectedLogDensityEvaluations(samples: Int) -> Int {
        Count.product(samples, configuration.scoreEstimates, configuration.proposals)
    }

    /// Statistics: `mean_acceptance`, `mean_final_step_size`.
    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        let c = configuration
        try c.validate()
        let start = wallClock()
        let d = target.dimension, n = indices.count
        var out = Points(count: n, dimension: d)
        let bs = c.blockSize ?? Swift.max(1, Swift.min(64, 16384 / (c.proposals * d)))
        let total = try runSampleBlocks(count: n, dimension: d, blockSize: bs, threads: threads, progress: progress, output: &out) { local, o in
            let global = (indices.lowerBound + local.lowerBound)..<(indices.lowerBound + local.upperBound)
            return runBlock(target, samples: global, seed: seed, output: o, progress: progress)
        }
        try checkFinite(out, firstIndex: indices.lowerBound, sampler: "RDMC")
        return SampleSet(
            points: out, firstIndex: indices.lowerBound, gradientEvaluations: total.gradientEvaluations,
            logDensityEvaluations: total.logDensityEvaluations, wallSeconds: wallClock() - start,
            statistics: ["mean_acceptance": total.meanAcceptance, "mean_final_step_size": total.meanStepSize])
    }

    /// The MCMC denoiser with importance-resampled chain starts (spec/slips.md §4.3).
    public var denoiser: MCMCDenoiser {
        let c = configuration
        return MCMCDenoiser(
            chains: c.chains, steps: c.mcmcSteps, keep: c.resolvedKeep, initialStepSize: c.resolvedInitialStepSize,
            adaptation: c.adaptation, start: .importanceResampled(proposals: c.proposals, distinct: c.distinctChainStarts))
    }

    /// The whole algorithm for the samples with global indices `samples`, writing `samples.count × d` values.
    func runBlock<T: LogDensity>(
        _ target: T, samples: Range<Int>, seed: UInt64, output: UnsafeMutablePointer<Double>, progress: ProgressCounter?
    ) -> WorkCounts {
        let c = configuration
        let d = target.dimension, b = samples.count, T = c.horizon
        let denoiser = self.denoiser
        var pathSources = samples.map { RandomStream.make(seed: seed, index: $0, purpose: .baselineParticles) }
        var state = denoiser.makeState(samples: samples, seed: seed, dimension: d, progress: progress)
        var y = [Double](repeating: 0, count: b * d)
        var mean = [Double](repeating: 0, count: b * d)
        var score = [Double](repeating: 0, count: b * d)

        /// ŝ ≈ ∇log p_{T-t}(y) for every sample of the block: Tweedie on the MCMC posterior mean, with
        /// `Y = e^{-s} X + sqrt(1 - e^{-2s}) N` at s = T - t.
        func estimateScore(t: Double) {
            let s = T - t
            let decay = Double.exp(-s)
            let variance = -Double.expMinusOne(-2 * s)  // 1 - e^{-2s}
            var m = mean.mutableSpan
            denoiser.denoise(y.span, model: .gaussian(scale: decay, variance: variance), target: target, into: &m,
                             state: &state)
            var out = score.mutableSpan
            TweedieScore.gaussian(estimate: mean.span, observation: y.span, scale: decay, variance: variance, into: &out)
        }

        // Start N(0, (1 - e^{-2T}) I), then W ULA steps on p_T with h = (1 - e^{-2T})/2.
        let startVariance = -Double.expMinusOne(-2 * T)
        let startScale = startVariance.squareRoot()
        for i in 0..<b {
            for j in 0..<d { y[i * d + j] = startScale * pathSources[i].nextNormal() }
        }
        let h = startVariance / 2, noise = (2 * h).squareRoot()
        for _ in 0..<c.warmStartSteps {
            estimateScore(t: 0)
            for i in 0..<b {
                for j in 0..<d { y[i * d + j] += h * score[i * d + j] + noise * pathSources[i].nextNormal() }
            }
        }
        // Reverse OU diffusion, exponential integrator on the uniform grid of [0, T].
        let K = c.gridPoints
        for k in 0..<(K - 1) {
            let t = T * Double(k) / Double(K - 1), next = T * Double(k + 1) / Double(K - 1)
            let delta = next - t
            estimateScore(t: t)
            let growth = Double.exp(delta), drift = 2 * Double.expMinusOne(delta)
            let sd = Double.expMinusOne(2 * delta).squareRoot()
            for i in 0..<b {
                for j in 0..<d {
                    let q = i * d + j
                    y[q] = growth * y[q] + drift * score[q] + sd * pathSources[i].nextNormal()
                }
            }
        }
        for q in 0..<(b * d) { output[q] = y[q] }
        return denoiser.work(state)
    }
}

/// Draws `picks` indices from `count` importance weights given as log-weights at `logWeights` (overwritten with
/// the unnormalised weights), calling `body(pick, index)` for each. Independent draws (`distinct` false) are
/// sampling-importance-resampling; `distinct` draws sequentially without replacement, proportionally to the
/// remaining weights (upstream `torch.multinomial`), and falls back to independent draws once fewer indices than
/// needed have positive weight. Non-finite log-weights count as 0; if every weight is 0 the draws are uniform.
@inline(__always)
func selectProposals(
    weights logWeights: UnsafeMutablePointer<Double>, count: Int, picks: Int, distinct: Bool, rng: inout Xoshiro256,
    _ body: (Int, Int) -> Void
) {
    let (total, _) = exponentiateLogWeights(logWeights, count: count)
    let w = logWeights
    // A picked index is marked (distinct draws) by negating its weight; `abs` recovers the original weights.
    var remaining = total
    for k in 0..<picks {
        let independent = !distinct || !(remaining > 1e-12 * total)
        let mass = independent ? total : remaining
        let u = rng.nextUniform() * mass
        var acc = 0.0, chosen = -1, lastPositive = -1
        for i in 0..<count {
            let wi = independent ? abs(w[i]) : Swift.max(w[i], 0)
            if wi > 0 {
                lastPositive = i
                acc += wi
                if acc > u { chosen = i; break }
            }
        }
        if chosen < 0 { chosen = Swift.max(lastPositive, 0) }
        body(k, chosen)
        if distinct && w[chosen] > 0 {
            remaining -= w[chosen]
            w[chosen] = -w[chosen]
        }
    }
}

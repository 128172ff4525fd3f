import RealModule

/// Sequential multimeasurement sampling, "one at a time" (OAT; Saremi, Park & Bach, ICLR 2024), as run by the SLIPS
/// benchmark under the name `mnm` (spec/slips.md §4.3 "OAT", §1.8 for σ, §4.2 grid; spec/denoising.md §4.3
/// algorithm, §4.4 score oracle, §1.3 identities; upstream `slips/samplers/mnm.py`, `mc.py`, `benchmark_utils.py`).
///
/// With σ = sqrt(R² - τ²) and `M = (K/8)(S/32)` measurements: `ȳ ← 0`; for m = 1…M, with `s_m = σ/√m`, run L = 8
/// underdamped Langevin steps from `y_init` on the conditional score of `y_m | y_{1:m-1}`
/// (spec/denoising.md §1.3 item 4) `g_m(y) = (s_m² Ŝ(ȳ', s_m) + ȳ' - y)/σ²`, `ȳ' = ȳ + (y - ȳ)/m`, then
/// `ȳ ← ȳ + (y_m - ȳ)/m` and `y_init ← ȳ + s_m² Ŝ(ȳ, s_m) + σ ξ` (jump + re-noise). The first `y_init` is
/// `U[-1, 1]^d + σ ξ`. Output: the jump `ȳ + s_M² Ŝ(ȳ, s_M)`.
///
/// Score oracle (spec/denoising.md §4.4): `Ŝ(y, s) = (1/s) Σ_i w_i z_i` over 2P antithetic proposals `z = ±ε_i`,
/// `w = softmax_i log π(y + s z_i)` — log-density only, no gradients; `P = 256·S/32` pairs.
///
/// Underdamped step (upstream `underdamped_langevin_mcmc`, the ABOBA splitting of spec/denoising.md §2.2, velocity
/// reset to 0 at each level): `y += δv/2; ψ = g(y); v += uδψ/2; v = ζ₁ v + uδψ/2 + sqrt(u(1 - ζ₁²)) ξ; y += δv/2`,
/// with δ = `stepSize`, inverse mass `u = σ` (upstream's `1/lipschitz_cte`) and `ζ₁ = exp(-effectiveFriction/δ)`,
/// the benchmark's convention (`friction = friction_eff/step_size` passed as the per-step damping; see the trap
/// noted in spec/denoising.md §2.2).
///
/// Costs per sample (spec/slips.md §4.3, §5.4): `(M (L + 1) + 1)·2P` log-density-only evaluations
/// (590,336 at the defaults), no gradients. As upstream, the last level also computes its jump + re-noise start
/// of a level that does not follow, and the output is a fresh jump at the same point (kept so that budgets
/// match the published benchmark).
///
/// It is a thin configuration of the parts (DESIGN.md §2): ``SequentialMultimeasurementSampler`` with the
/// ``ImportanceSampledDenoiser`` (the score oracle above, through ``TweedieScore``) and the
/// ``UnderdampedLangevinKernel`` (``sequentialSampler``).
///
/// Sample n draws its Langevin, start and re-noise draws from stream `(seed, n, .baselineParticles)` and its
/// proposals from `(seed, n, .importanceProposals)` (proposals are independent across samples; upstream shares
/// them within a batch), so output is bitwise identical for any thread count and sharding.
public struct OATSampler: Sampler {
    /// Parameters of OAT (spec/slips.md §4.2–§4.3; defaults = upstream launcher, K = 1024, S = 32).
    public struct Configuration: Sendable {
        /// σ of the measurements; the benchmark uses `sqrt(R² - τ²)` (spec/slips.md §1.8).
        public var sigma: Double
        /// K of the launcher: the number of levels is `M = (K/8)(S/32)`.
        public var gridPoints: Int = 1024
        /// S of the launcher: sets M (above) and the number of proposal pairs `P = 256·S/32`.
        public var mcmcSteps: Int = 32
        /// L, underdamped Langevin steps per level.
        public var langevinSteps: Int = 8
        /// δ, the Langevin step size (benchmark grid {0.03, 1.0}; the launcher has no default, this is the grid's
        /// first point).
        public var stepSize: Double = 0.03
        /// The benchmark's `friction_eff` (grid {0.0625, 0.05}; default: the grid's first point); the velocity decay
        /// per step is `exp(-effectiveFriction/stepSize)`.
        public var effectiveFriction: Double = 0.0625
        /// Samples per work block (results do not depend on it); nil picks about 4096 proposals per block.
        public var blockSize: Int? = nil

        public init(sigma: Double) { self.sigma = sigma }

        /// The benchmark configuration for `target`: σ = sqrt(R² - τ²) (0 when τ ≥ R, which `validate` rejects).
        public init(target: TargetSpec) { self.init(sigma: Self.sigma(for: target)) }

        /// `sqrt(max(0, R² - τ²))` (spec/slips.md §1.8, Saremi et al. Eq. 4.3 as implemented upstream).
        public static func sigma(for target: TargetSpec) -> Double {
            Swift.max(0, target.radius * target.radius - target.tau * target.tau).squareRoot()
        }

        /// M, the number of measurement levels: `int((K/8)(S/32))`.
        public var levels: Int { Count.int((Double(gridPoints) / 8) * (Double(mcmcSteps) / 32)) }

        /// P, antithetic proposal pairs per score estimate: `int(256 S/32)`.
        public var proposalPairs: Int { Count.int(256 * Double(mcmcSteps) / 32) }

        /// Velocity decay per step ζ₁ = exp(-friction_eff/δ).
        public var velocityDecay: Double { Double.exp(-effectiveFriction / stepSize) }

        /// Score estimates per sample: `M (L + 1) + 1`.
        public var scoreEstimates: Int { Count.sum(Count.product(levels, Count.sum(langevinSteps, 1)), 1) }

        /// Checks every parameter; throws one ``SamplerError`` with one line per bad parameter.
        public func validate() throws {
            var p = ParameterProblems()
            p.require(sigma.isPositiveFinite,
                      "sigma must be positive and finite (got \(sigma), the benchmark uses sqrt(R² - τ²))")
            p.require(gridPoints >= 1 && mcmcSteps >= 1 && levels >= 1,
                      "steps K and mcmc-steps S must give at least one level M = (K/8)(S/32) "
                          + "(got K = \(gridPoints), S = \(mcmcSteps))")
            p.require(mcmcSteps < 1 || proposalPairs >= 1,
                      "mcmc-steps S must give at least one proposal pair 256 S/32 (got S = \(mcmcSteps))")
            p.require(langevinSteps >= 1, "langevin steps must be at least 1 (got \(langevinSteps))")
            p.require(stepSize.isPositiveFinite, "the step size must be positive and finite (got \(stepSize))")
            p.require(effectiveFriction.isFinite && effectiveFriction >= 0,
                      "the effective friction must be finite and non-negative (got \(effectiveFriction))")
            if let b = blockSize { p.require(b >= 1, "the block size must be at least 1 (got \(b))") }
            try p.throwIfAny()
        }
    }

    /// The benchmark grid of step sizes (spec/slips.md §4.2).
    public static let stepSizeGrid: [Double] = [0.03, 1.0]
    /// The benchmark grid of effective frictions (spec/slips.md §4.2).
    public static let effectiveFrictionGrid: [Double] = [0.0625, 0.05]

    public var configuration: Configuration

    public init(configuration: Configuration) { self.configuration = configuration }

    public var name: String { "oat" }

    public var parameters: [String: Double] {
        let c = configuration
        return [
            "sigma": c.sigma, "steps": Double(c.gridPoints), "mcmc_steps": Double(c.mcmcSteps),
            "levels": Double(c.levels), "langevin_steps": Double(c.langevinSteps),
            "proposal_pairs": Double(c.proposalPairs), "step_size": c.stepSize,
            "effective_friction": c.effectiveFriction, "velocity_decay": c.velocityDecay, "inverse_mass": c.sigma,
        ]
    }

    /// The output and metrics (`32 N d`) plus one block of 2P proposals and P noise rows.
    public func memoryEstimate(samples: Int, dimension d: Int) -> Double {
        let p = Double(configuration.proposalPairs)
        return 32 * Double(samples) * Double(d) + Double(Swift.max(1, Swift.min(64, 4096 / Swift.max(1, 2 * configuration.proposalPairs)))) * 3 * p * Double(d) * 8
    }

    /// OAT uses no gradients.
    public func expectedGradientEvaluations(samples: Int) -> Int { 0 }

    /// `N (M (L + 1) + 1)·2P` (spec/slips.md §4.3).
    public func expectedLogDensityEvaluations(samples: Int) -> Int {
        Count.product(samples, configuration.scoreEstimates, 2, configuration.proposalPairs)
    }

    /// SMS with the importance-sampled denoiser and the underdamped kernel (u = σ, ζ = exp(-friction_eff/δ)).
    public var sequentialSampler: SequentialMultimeasurementSampler<ImportanceSampledDenoiser> {
        let c = configuration
        return SequentialMultimeasurementSampler(
            sigma: c.sigma, levels: c.levels, langevinSteps: c.langevinSteps,
            kernel: .underdamped(UnderdampedLangevinKernel(stepSize: c.stepSize, inverseMass: c.sigma, velocityDecay: c.velocityDecay)),
            denoiser: ImportanceSampledDenoiser(proposalPairs: c.proposalPairs), name: name, blockSize: c.blockSize)
    }

    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        try configuration.validate()
        return try sequentialSampler.sample(target, indices: indices, seed: seed, threads: threads, progress: progress)
    }
}

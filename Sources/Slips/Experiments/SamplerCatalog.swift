import RealModule

/// The one name → sampler table of the package (DESIGN.md §4: "one target catalog and one sampler catalog serve
/// every command"): `slips sample` fills ``Settings`` from its options, `slips bench` from a benchmark cell's grid
/// point, and both call ``make(_:settings:target:)``, so a name and an option mean the same everywhere.
public enum SamplerCatalog {
    /// The sampler names, in `--help` order.
    public static let names = ["slips", "sl", "mala", "ula", "hmc", "nuts", "smc", "ais", "rdmc", "oat", "walk-jump", "jms", "sms", "sms-exact",
                                      "dula", "dmala", "binary-one-stage", "binary-two-stage", "binary-sms"]
    /// The observation processes of `sl` (spec/denoising.md §6.2).
    public static let processNames = ["gaussian", "linear", "erasure", "binary", "poisson"]
    /// The denoisers of `sl` and `slips`.
    public static let denoiserNames = ["exact", "mcmc", "learned"]

    /// Every sampler option; nil means the sampler's default (listed in `slips sample --help` and the README).
    public struct Settings: Sendable {
        public var schedule: String?
        public var alpha1: Double?
        public var alpha2: Double?
        public var horizon: Double?
        public var epsilon: Double?
        public var epsilonEnd: Double?
        public var steps: Int?
        public var mcmcSteps: Int?
        public var chains: Int?
        public var keep: Int?
        public var initSteps: Int?
        public var sigma: Double?
        public var stepSize: Double?
        public var warmup: Int?
        public var leapfrogSteps: Int?
        public var adaptation: MCMCSampler.Adaptation?
        public var targetAcceptance: Double?
        public var initScale: Double?
        public var friction: Double?
        public var systematicResampling: Bool?
        public var essThreshold: Double?
        /// `sl`: the observation process (default: gaussian, binary or poisson by the target's space).
        public var process: String?
        /// `sl`, `slips`: exact or mcmc (default: `sl` exact where the target has a closed form, `slips` mcmc).
        public var denoiser: String?
        /// `slips`: where `Y_{t_0}` starts: "prior" (SLIPS's `σ√t_0 Z` and L refinements, the default) or "exact"
        /// (drawn exactly from the target's law, no refinements; targets with exact draws).
        public var start: String?
        /// `sl`: the time grid of the process (default geometric).
        public var grid: TimeGrid?
        /// `sl`: the first non-zero time of the grid.
        public var tMin: Double?
        /// `sl --process linear`: A (k × d); nil: a 2d × d matrix of N(0, 1/d) entries from ``matrixSeed``.
        public var matrix: Points?
        public var matrixSeed: UInt64 = 0
        /// `sl --denoiser MODEL.json`, `--score MODEL.json`: the trained model (``denoiser`` or ``score`` is then
        /// `learned`).
        public var learnedModel: LearnedModel?
        /// walk-jump, jms, sms: the score source, exact, importance or learned (default: exact where the target has a
        /// closed form, else importance).
        public var score: String?
        /// jms, sms, sms-exact: M, the number of measurements (default 100).
        public var measurements: Int?
        /// walk-jump, jms, sms: the Langevin integrator, ula or underdamped (default ula).
        public var integrator: String?
        /// sms: Langevin steps per measurement (default 10) and on the first measurement (default 5×).
        public var stepsPerStage: Int?
        public var firstStageSteps: Int?
        /// walk-jump: output the walk's final state instead of its jump.
        public var outputWalk = false
        /// walk-jump: jumps per chain, one every `steps` steps (default 1).
        public var draws: Int?
        /// sms, binary-sms: start each measurement afresh instead of at the jump + noise.
        public var freshStages = false
        /// binary-one-stage, binary-two-stage, binary-sms: the channel strength α (spec/denoising.md §1.5).
        public var alpha: Double?
        /// The binary samplers: how x is read off the final field, sign (default) or bernoulli.
        public var readout: String?
        /// nuts: the maximum tree depth (default 10).
        public var maxTreeDepth: Int?
        /// hmc, nuts: the metric window adaptation estimates (default: diagonal with window adaptation, else identity).
        public var metric: MetricKind?
        /// hmc: the step-size jitter (default 0).
        public var stepJitter: Double?
        /// About this many points per target evaluation, where the sampler evaluates blocks of chains (slips, mala,
        /// ula, hmc, nuts, smc, ais; nil: the sampler's own block size). Output does not depend on it: every sample
        /// draws from its own stream. The C interface and Python set it (a foreign callback pays per call).
        public var batchPoints: Int?

        public init() {}
    }

    /// Builds sampler `name` for `target` with `settings`; throws one clear message for an unknown name, a sampler
    /// that cannot sample the target's space, or a bad setting.
    public static func make(_ name: String, settings s: Settings, target: TargetSpec) throws -> any Sampler {
        try checkBounds(s)
        if s.sigma == nil && s.initScale == nil && !(target.slipsSigma.isFinite && target.slipsSigma > 0)
            && ["slips", "mala", "ula", "hmc", "nuts", "smc", "ais", "oat"].contains(name) {
            throw SamplerError("the target's default scale sqrt(R²/d + τ²) is not finite (R = \(target.radius), "
                + "τ = \(target.tau)): give --sigma (SLIPS, SMC, AIS, OAT) or --init-scale (MCMC)")
        }
        let binary = binarySamplerNames.contains(name)
        if binary && target.space != .binary {
            throw SamplerError("--sampler \(name) samples {-1, +1}^d; target '\(target.name)' lives on \(target.space.rawValue)")
        }
        if target.space != .continuous && name != "sl" && !binary {
            throw SamplerError("target '\(target.name)' lives on \(target.space.rawValue): only --sampler sl"
                + (target.space == .binary ? ", \(binarySamplerNames.joined(separator: ", "))" : "") + " sample it "
                + "(processes \(target.space == .binary ? "binary, erasure" : "poisson"))")
        }
        if binary { return try binarySampler(name, s, target: target) }
        switch name {
        case "slips": return try slips(s, target: target)
        case "sl": return try stochasticLocalization(s, target: target)
        case "mala", "ula", "hmc", "nuts":
            let kernel: MCMCSampler.Kernel = switch name {
            case "mala": .mala
            case "ula": .ula
            case "hmc": .hmc(leapfrogSteps: s.leapfrogSteps ?? 10)
            default: .nuts(maxTreeDepth: s.maxTreeDepth ?? 10)
            }
            var m = MCMCSampler(
                kernel: kernel, steps: s.steps ?? 1000, warmupSteps: s.warmup ?? 1000,
                initialStepSize: s.stepSize ?? (name == "ula" ? 0.01 : 0.1),
                adaptation: s.adaptation, targetAcceptance: s.targetAcceptance, initialScale: s.initScale ?? target.slipsSigma,
                metric: s.metric)
            m.stepJitter = s.stepJitter ?? 0
            if let b = s.batchPoints { m.blockSize = Swift.max(1, b) }
            try m.validate()
            return m
        case "smc":
            var c = annealed(SMCSampler.Configuration(target: target), s)
            if s.systematicResampling == true { c.resampling = .systematic }
            if let f = s.essThreshold { c.resamplingTrigger = .effectiveSampleSizeBelow(f) }
            if let b = s.batchPoints { c.blockSize = Swift.max(1, b) }
            try c.validate()
            return SMCSampler(configuration: c)
        case "ais":
            var c = annealed(AISSampler.Configuration(target: target), s)
            if let b = s.batchPoints { c.blockSize = Swift.max(1, b) }
            try c.validate()
            return AISSampler(configuration: c)
        case "rdmc":
            var c = RDMCSampler.Configuration(horizon: s.horizon ?? -Double.log(0.8))
            c.gridPoints = s.steps ?? 1024
            c.mcmcSteps = s.mcmcSteps ?? 32
            c.chains = s.chains ?? 4
            c.keep = s.keep
            c.initialStepSize = s.stepSize
            if let a = s.targetAcceptance { c.adaptation.targetAcceptance = a }
            try c.validate()
            return RDMCSampler(configuration: c)
        case "walk-jump", "jms", "sms", "sms-exact": return try scoreSampler(name, s, target: target)
        case "oat":
            var c = OATSampler.Configuration(target: target)
            if let v = s.sigma { c.sigma = v }
            c.gridPoints = s.steps ?? 1024
            c.mcmcSteps = s.mcmcSteps ?? 32
            if let h = s.stepSize { c.stepSize = h }
            c.effectiveFriction = s.friction ?? 0.0625
            try c.validate()
            return OATSampler(configuration: c)
        default:
            throw SamplerError("unknown sampler '\(name)'; known samplers: \(names.joined(separator: ", "))")
        }
    }

    /// The settings SMC and AIS share (start σ, temperatures K, MALA steps S, step size, acceptance target).
    static func annealed<C: AnnealingSettings>(_ configuration: C, _ s: Settings) -> C {
        var c = configuration
        if let v = s.sigma { c.sigma = v }
        c.temperatures = s.steps ?? 1024
        c.mcmcSteps = s.mcmcSteps ?? 32
        if let h = s.stepSize { c.initialStepSize = h }
        if let a = s.targetAcceptance { c.adaptation.targetAcceptance = a }
        return c
    }

    /// SLIPS with the paper's defaults (spec/slips.md §1.9) and the per-target ε of ``SLIPSDefaults``; with
    /// `denoiser: "exact"` the same process with the closed-form denoiser ("oracle SLIPS").
    static func slips(_ s: Settings, target: TargetSpec) throws -> any Sampler {
        let d = target.dimension
        let classic = (s.schedule ?? "geometric") == "classic"
        guard classic || s.schedule == nil || s.schedule == "geometric" else {
            throw SamplerError("unknown schedule '\(s.schedule!)'; known schedules: classic, geometric")
        }
        let schedule: any SNRSchedule = classic
            ? try ClassicSchedule(horizon: s.horizon ?? 150)
            : try GeometricSchedule(alpha1: s.alpha1 ?? 1, alpha2: s.alpha2 ?? 1, horizon: s.horizon ?? 1)
        let eps = s.epsilon ?? (classic
            ? SLIPSDefaults.classicEpsilon(target: target.name, dimension: d) : SLIPSDefaults.epsilon(target: target.name, dimension: d))
        let epsEnd = s.epsilonEnd ?? ((schedule as? GeometricSchedule).map {
            $0.matchedEpsilonEnd(classicHorizon: SLIPSDefaults.matchedClassicHorizon(target: target.name))
        } ?? 0)
        if s.epsilonEnd == nil, let g = schedule as? GeometricSchedule, !(epsEnd > 0 && epsEnd < g.horizon) {
            throw SamplerError("the default epsilon-end (matched to the classic schedule's final log-SNR) is not usable "
                + "for geometric(\(g.alpha1), \(g.alpha2)) with T = \(g.horizon): give --epsilon-end")
        }
        var c = SLIPSConfiguration(schedule: schedule, sigma: s.sigma ?? target.slipsSigma, epsilon: eps, epsilonEnd: epsEnd)
        c.gridPoints = s.steps ?? 1024
        c.mcmcSteps = s.mcmcSteps ?? 32
        c.chains = s.chains ?? 4
        c.keep = s.keep ?? Swift.max(1, c.mcmcSteps / 2)
        let exactStart = try startLaw(s, target: target)
        if exactStart != nil && s.initSteps != nil {
            throw SamplerError("--init-steps refines SLIPS's own start; --start exact draws Y at t_0 exactly and takes none")
        }
        c.initSteps = s.initSteps ?? (exactStart == nil ? 10 : 0)
        if let h = s.stepSize { c.initialStepSize = h }
        if let a = s.targetAcceptance { c.adaptation.targetAcceptance = a }
        if let b = s.batchPoints { c.blockSize = Swift.max(1, b / Swift.max(1, c.chains)) }
        try c.validate(dimension: d)
        var process = c.observationProcess
        process.exactStart = exactStart
        switch s.denoiser ?? "mcmc" {
        case "mcmc":
            if exactStart != nil {
                return StochasticLocalizationSampler(process: process, denoiser: c.denoiser, name: "slips-exact-start")
            }
            return SLIPSSampler(configuration: c)
        case "exact":
            let exact = try exactDenoiser(for: target, kind: .gaussian)
            return StochasticLocalizationSampler(
                process: process, denoiser: exact, name: exactStart == nil ? "slips-exact" : "slips-exact-exact-start")
        case let other: throw unknownDenoiser(other)
        }
    }

    /// `sl`: any observation process with the exact or the MCMC denoiser (spec/denoising.md §6).
    static func stochasticLocalization(_ s: Settings, target: TargetSpec) throws -> any Sampler {
        let d = target.dimension
        let processName = s.process ?? (target.space == .binary ? "binary" : target.space == .nonNegative ? "poisson" : "gaussian")
        let grid = s.grid ?? .geometric
        let steps = s.steps
        switch processName {
        case "gaussian":
            let p = try GaussianObservationProcess.plain(
                horizon: s.horizon ?? 1000, steps: steps ?? 400, start: s.tMin ?? 1e-4, grid: grid)
            return try compose(p, s, target: target)
        case "linear":
            let a = try s.matrix ?? randomMatrix(rows: 2 * d, columns: d, seed: s.matrixSeed)
            let p = try LinearObservationProcess(
                matrix: a, horizon: s.horizon ?? 1000, steps: steps ?? 400, start: s.tMin ?? 1e-4, grid: grid)
            return try compose(p, s, target: target)
        case "erasure":
            return try compose(ErasureProcess(steps: steps, dimension: d), s, target: target)
        case "binary":
            let p = try BinarySymmetricProcess(horizon: s.horizon ?? 8, steps: steps ?? 400, start: s.tMin ?? 1e-3, grid: grid)
            return try compose(p, s, target: target)
        case "poisson":
            let p = try PoissonObservationProcess(horizon: s.horizon ?? 100, steps: steps ?? 400, start: s.tMin ?? 1e-3, grid: grid)
            return try compose(p, s, target: target)
        default:
            throw SamplerError("unknown process '\(processName)'; known processes: \(processNames.joined(separator: ", "))")
        }
    }

    static func compose<P: ObservationProcess>(_ p: P, _ s: Settings, target: TargetSpec) throws -> any Sampler {
        let fits = target.closedForm?.closedFormObservations.contains(p.kind) == true
        switch s.denoiser ?? (fits ? "exact" : "mcmc") {
        case "exact":
            let sampler = StochasticLocalizationSampler(process: p, denoiser: try exactDenoiser(for: target, kind: p.kind))
            try sampler.validate(dimension: target.dimension, space: target.space)
            return sampler
        case "mcmc":
            var m = MCMCDenoiser(chains: s.chains ?? 4, steps: s.mcmcSteps ?? 32, keep: s.keep,
                                 initialStepSize: s.stepSize ?? 1e-5)
            if let a = s.targetAcceptance { m.adaptation.targetAcceptance = a }
            let sampler = StochasticLocalizationSampler(process: p, denoiser: m)
            try sampler.validate(dimension: target.dimension, space: target.space)
            return sampler
        case "learned":
            guard let model = s.learnedModel else { throw SamplerError("--denoiser learned needs a model file") }
            try checkLearned(model, process: p)
            let sampler = StochasticLocalizationSampler(process: p, denoiser: LearnedDenoiser(model: model))
            try sampler.validate(dimension: target.dimension, space: target.space)
            return sampler
        case let other: throw unknownDenoiser(other)
        }
    }

    /// Every count option at most 1e9 (chains 1e6), checked before any of them enters a formula or an allocation.
    static func checkBounds(_ s: Settings) throws {
        let counts: [(String, Int?, Int)] = [
            ("steps", s.steps, 1_000_000_000), ("mcmc-steps", s.mcmcSteps, 1_000_000_000), ("chains", s.chains, 1_000_000),
            ("keep", s.keep, 1_000_000_000), ("init-steps", s.initSteps, 1_000_000_000), ("warmup", s.warmup, 1_000_000_000),
            ("leapfrog-steps", s.leapfrogSteps, 1_000_000_000), ("measurements", s.measurements, 1_000_000), ("draws", s.draws, 1_000_000),
            ("steps-per-stage", s.stepsPerStage, 1_000_000_000), ("first-stage-steps", s.firstStageSteps, 1_000_000_000),
        ]
        for (name, value, limit) in counts {
            if let v = value, v > limit {
                throw SamplerError("--\(name) must be at most \(limit == 1_000_000 ? "1e6" : "1e9") (got \(v))")
            }
        }
    }

    /// The law `--start exact` draws `Y_{t_0}` from, nil for SLIPS's own start.
    static func startLaw(_ s: Settings, target: TargetSpec) throws -> (any ExactDraws)? {
        switch s.start ?? "prior" {
        case "prior": return nil
        case "exact":
            guard let law = target.closedForm as? any ExactDraws else {
                throw SamplerError("--start exact needs a target with exact draws from a stream (two-modes, 8-gaussians, "
                    + "gaussian-mixture, phi-four-laplace); '\(target.name)' has none")
            }
            return law
        case let other: throw SamplerError("unknown start '\(other)'; known starts: prior, exact")
        }
    }

    static func exactDenoiser(for target: TargetSpec, kind: ObservationKind) throws -> ExactDenoiser {
        guard let prior = target.closedForm else {
            throw SamplerError("target '\(target.name)' has no closed-form denoiser: --denoiser exact needs a mixture "
                + "target (two-modes, 8-gaussians, gaussian-mixture, binary-mixture, gamma-mixture, phi-four-laplace); use --denoiser mcmc")
        }
        let denoiser = ExactDenoiser(prior: prior)
        try denoiser.check(kind, dimension: target.dimension)
        return denoiser
    }

    /// A learned model drives stochastic localization only if it was trained for every noise level the process
    /// visits: the two-layer model (all α) on Gaussian processes, the logistic model on binary fields.
    static func checkLearned<P: ObservationProcess>(_ model: LearnedModel, process p: P) throws {
        switch model.kind {
        case .denoiser:
            throw SamplerError("this denoiser model knows one noise level (σ = \(model.objective.noise.sigma ?? 0)); stochastic "
                + "localization visits every level: train --model two-layer")
        case .conditional:
            throw SamplerError("this conditional model knows the levels σ/√m, m ≤ \(model.objective.noise.measurements ?? 0); stochastic "
                + "localization visits every level: train --model two-layer")
        case .twoLayer where p.kind != .gaussian:
            throw SamplerError("a two-layer model denoises Gaussian observations; --process \(p.name) needs another denoiser")
        default: return
        }
    }

    static func unknownDenoiser(_ name: String) -> SamplerError {
        SamplerError("unknown denoiser '\(name)'; known denoisers: \(denoiserNames.joined(separator: ", "))")
    }

    /// A `rows × columns` matrix of N(0, 1/columns) entries from stream `(seed, 0, .user)`: the default A of the
    /// linear process.
    public static func randomMatrix(rows: Int, columns: Int, seed: UInt64) throws -> Points {
        var g = RandomStream.make(seed: seed, index: 0, purpose: .user)
        let scale = 1 / Double(columns).squareRoot()
        return Points(dimension: columns, storage: (0..<(rows * columns)).map { _ in scale * g.nextNormal() })
    }
}

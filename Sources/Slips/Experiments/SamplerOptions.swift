/// The sampler options of `slips sample` by name, for every front end (DESIGN.md §4, one catalog): the CLI checks
/// which sampler an option applies to here, and the C interface and the Python package (issue 26) set
/// ``SamplerCatalog/Settings`` from `name=value` pairs with the same names and values, refused by the same checks
/// (``checkApplicable(_:sampler:draws:)``, ``checkScheduleOptions(_:schedule:)``, ``checkDenoiserOptions(_:sampler:settings:target:)``).
extension SamplerCatalog {
    /// The samplers that run one MCMC chain per sample, or with `--draws` a few long chains.
    public static let mcmcNames = ["mala", "ula", "hmc", "nuts", "dula", "dmala"]

    /// The samplers each sampler option applies to, by its `slips sample` name (without `--`). `draws`: an MCMC run
    /// kept as draws of a few long chains (`--draws`), where `--chains` counts them and `--steps` does not apply.
    public static func optionSamplers(draws: Bool) -> [(option: String, samplers: [String])] {
        let mcmc = mcmcNames
        let binaryDenoising = ["binary-one-stage", "binary-two-stage", "binary-sms"]
        return [
            ("schedule", ["slips"]), ("alpha1", ["slips"]), ("alpha2", ["slips"]), ("epsilon", ["slips"]),
            ("epsilon-end", ["slips"]), ("init-steps", ["slips"]), ("T", ["slips", "sl", "rdmc"]),
            ("mcmc-steps", ["slips", "sl", "smc", "ais", "rdmc", "oat"]),
            ("chains", ["slips", "sl", "rdmc"] + (draws ? mcmc : [])), ("keep", ["slips", "sl", "rdmc"]),
            ("sigma", ["slips", "smc", "ais", "oat", "walk-jump", "jms", "sms", "sms-exact"]), ("warmup", mcmc + ["walk-jump"]),
            ("adapt", mcmc), ("init-scale", ["mala", "ula", "hmc", "nuts"]), ("leapfrog-steps", ["hmc"]),
            ("target-acceptance", ["slips", "sl", "mala", "hmc", "nuts", "dmala", "smc", "ais", "rdmc"]),
            ("max-tree-depth", ["nuts"]), ("metric", ["hmc", "nuts"]),
            ("step-jitter", ["hmc"]), ("thin", mcmc), ("stats", mcmc),
            ("friction", ["oat", "walk-jump", "jms", "sms"]), ("resampling", ["smc"]),
            ("ess-threshold", ["smc"]), ("process", ["sl"]),
            ("matrix", ["sl"]), ("grid", ["sl"]), ("t-min", ["sl"]),
            ("denoiser", ["sl", "slips"]), ("start", ["slips"]),
            ("score", ["walk-jump", "jms", "sms"] + binaryDenoising),
            ("measurements", ["jms", "sms", "sms-exact", "binary-sms"]),
            ("integrator", ["walk-jump", "jms", "sms", "binary-one-stage", "binary-sms"]),
            ("alpha", binaryDenoising), ("readout", binaryDenoising),
            ("steps-per-stage", ["sms", "binary-sms"]), ("first-stage-steps", ["sms", "binary-sms"]),
            ("output-walk", ["walk-jump"] + binaryDenoising), ("draws", ["walk-jump"] + mcmc),
            ("fresh-stages", ["sms", "binary-sms"]),
            ("steps", (draws ? [] : mcmc) + ["slips", "sl", "smc", "ais", "rdmc", "oat", "walk-jump", "jms", "binary-one-stage", "binary-two-stage"]),
            ("step-size", ["slips", "sl", "mala", "ula", "hmc", "nuts", "smc", "ais", "rdmc", "oat", "walk-jump", "jms", "sms", "dula", "dmala", "binary-one-stage", "binary-sms"]),
        ]
    }

    /// Throws one message for the first of `given` (option names without `--`) that does not apply to `sampler`
    /// (it would otherwise be ignored silently) or that is not a sampler option at all.
    public static func checkApplicable(_ given: [String], sampler: String, draws: Bool) throws {
        let table = optionSamplers(draws: draws)
        if given.contains("chains") && !draws && mcmcNames.contains(sampler) {
            throw SamplerError("--chains with --sampler \(sampler) needs --draws D (without it every sample is the final state of its own chain)")
        }
        for option in given {
            guard let samplers = table.first(where: { $0.option == option })?.samplers else {
                throw SamplerError("unknown sampler option '\(option)' (the options are: \(table.map(\.option).sorted().joined(separator: ", ")))")
            }
            if !samplers.contains(sampler) {
                throw SamplerError("--\(option) does not apply to --sampler \(sampler) (it applies to \(samplers.joined(separator: ", ")))")
            }
        }
        if !draws && mcmcNames.contains(sampler) {
            for option in ["thin", "stats"] where given.contains(option) {
                throw SamplerError("--\(option) applies with --draws (long chains kept as draws)")
            }
        }
    }

    /// Refuses the geometric schedule's options with `--schedule classic` (they would be ignored).
    public static func checkScheduleOptions(_ given: [String], schedule: String?) throws {
        guard schedule == "classic" else { return }
        for option in ["alpha1", "alpha2", "epsilon-end"] where given.contains(option) {
            throw SamplerError("--\(option) applies to the geometric schedule, not --schedule classic")
        }
    }

    /// The settings of `options` (`name=value` pairs with `slips sample`'s option names and values; `true`/`false`
    /// for its flags; `denoiser`/`score` may name a model file of `slips train`). Throws one message for an unknown
    /// name, a malformed value, an unreadable model or an option of the command line's files (`matrix`, `stats`). `draws`, `thin` and
    /// the MCMC `chains` of a draws run are the caller's (``DrawsJob``), so they are parsed but not refused here.
    public static func settings(options: [(name: String, value: String)], seed: UInt64) throws -> Settings {
        var s = Settings()
        s.matrixSeed = seed
        for (name, value) in options {
            try apply(name, value, to: &s)
        }
        return s
    }

    /// Sets option `name` of `s` from its text `value`.
    static func apply(_ name: String, _ value: String, to s: inout Settings) throws {
        func real() throws -> Double {
            guard let v = Double(value) else { throw SamplerError("--\(name) must be a number (got '\(value)')") }
            return v
        }
        func integer() throws -> Int {
            guard let v = Int(value) else { throw SamplerError("--\(name) must be an integer (got '\(value)')") }
            return v
        }
        func flag() throws -> Bool {
            switch value.lowercased() {
            case "true", "1", "yes": return true
            case "false", "0", "no": return false
            default: throw SamplerError("--\(name) is a flag: give true or false (got '\(value)')")
            }
        }
        func choice(_ allowed: [String]) throws -> String {
            guard allowed.contains(value) else {
                throw SamplerError("--\(name) must be one of \(allowed.joined(separator: ", ")) (got '\(value)')")
            }
            return value
        }
        switch name {
        case "schedule": s.schedule = try choice(["classic", "geometric"])
        case "alpha1": s.alpha1 = try real()
        case "alpha2": s.alpha2 = try real()
        case "T": s.horizon = try real()
        case "epsilon": s.epsilon = try real()
        case "epsilon-end": s.epsilonEnd = try real()
        case "steps": s.steps = try integer()
        case "mcmc-steps": s.mcmcSteps = try integer()
        case "chains": s.chains = try integer()
        case "keep": s.keep = try integer()
        case "init-steps": s.initSteps = try integer()
        case "sigma": s.sigma = try real()
        case "step-size": s.stepSize = try real()
        case "warmup": s.warmup = try integer()
        case "leapfrog-steps": s.leapfrogSteps = try integer()
        case "adapt":
            s.adaptation = switch try choice(["window", "dual-averaging", "multiplicative", "none"]) {
            case "window": .window
            case "dual-averaging": .dualAveraging
            case "multiplicative": .multiplicative
            default: MCMCSampler.Adaptation.none
            }
        case "target-acceptance": s.targetAcceptance = try real()
        case "init-scale": s.initScale = try real()
        case "friction": s.friction = try real()
        case "resampling": s.systematicResampling = try choice(["multinomial", "systematic"]) == "systematic"
        case "ess-threshold": s.essThreshold = try real()
        case "process": s.process = try choice(processNames)
        case "denoiser" where value.lowercased().hasSuffix(".json"), "score" where value.lowercased().hasSuffix(".json"):
            // A model file from `slips train`: the learned denoiser (sl) or score (walk-jump, jms, sms).
            s.learnedModel = try ModelFile.read(path: value)
            if name == "denoiser" { s.denoiser = "learned" } else { s.score = "learned" }
        case "denoiser": s.denoiser = try choice(["exact", "mcmc"])
        case "start": s.start = try choice(["prior", "exact"])
        case "grid": s.grid = TimeGrid(rawValue: try choice(TimeGrid.allCases.map(\.rawValue)))
        case "t-min": s.tMin = try real()
        case "score": s.score = try choice(["exact", "importance"])
        case "measurements": s.measurements = try integer()
        case "integrator": s.integrator = try choice(["ula", "underdamped", "cheng", "mala", "dula", "dmala"])
        case "steps-per-stage": s.stepsPerStage = try integer()
        case "first-stage-steps": s.firstStageSteps = try integer()
        case "output-walk": s.outputWalk = try flag()
        case "draws": s.draws = try integer()
        case "thin": _ = try integer()
        case "fresh-stages": s.freshStages = try flag()
        case "alpha": s.alpha = try real()
        case "readout": s.readout = try choice(["sign", "bernoulli"])
        case "max-tree-depth": s.maxTreeDepth = try integer()
        case "metric": s.metric = MetricKind(rawValue: try choice(MetricKind.allCases.map(\.rawValue)))
        case "step-jitter": s.stepJitter = try real()
        case "matrix", "stats":
            throw SamplerError("--\(name) names a file: it is an option of the command line (slips sample), not of this interface")
        default:
            throw SamplerError("unknown sampler option '\(name)' (the options are: "
                + "\(optionSamplers(draws: false).map(\.option).sorted().joined(separator: ", ")))")
        }
    }
}

extension TargetOptions {
    /// The targets each target option of `slips sample` applies to, by name (without `--`).
    public static let optionTargets: [(option: String, targets: [String])] = [
        ("data-dir", ["ionosphere", "sonar"]), ("train", ["logistic-regression"]), ("test", ["logistic-regression"]),
        ("mixture", ["gaussian-mixture", "binary-mixture", "gamma-mixture"]),
        ("field", ["phi-four", "phi-four-laplace", "ising", "curie-weiss"]), ("coupling", ["phi-four", "phi-four-laplace"]),
        ("beta", ["phi-four", "phi-four-laplace", "ising", "curie-weiss"]), ("couplings", ["ising"]), ("data", ["binary-data"]),
        ("threshold", ["binary-data"]), ("label-column", ["binary-data"]),
    ]

    /// Throws one message for the first of `given` (option names without `--`) that does not apply to `target`.
    public static func checkApplicable(_ given: [String], target: String) throws {
        for option in given {
            guard let targets = optionTargets.first(where: { $0.option == option })?.targets else {
                throw TargetError("unknown target option '\(option)' (the options are: \(optionTargets.map(\.option).joined(separator: ", ")))")
            }
            if !targets.contains(target) {
                throw TargetError("--\(option) applies to the target\(targets.count > 1 ? "s" : "") \(targets.joined(separator: ", ")), not '\(target)'")
            }
        }
    }

    /// The options of target `target` from `name=value` pairs with `slips sample`'s names and values (`field` and
    /// `beta` are phi^4's for phi-four and the lattice's for ising and curie-weiss, as on the command line).
    public init(target: String, options: [(name: String, value: String)]) throws {
        try Self.checkApplicable(options.map(\.name), target: target)
        let binaryModel = ["ising", "curie-weiss"].contains(target)
        self.init()
        for (name, value) in options {
            func real() throws -> Double {
                guard let v = Double(value) else { throw TargetError("--\(name) must be a number (got '\(value)')") }
                return v
            }
            switch name {
            case "data-dir": dataDirectory = value
            case "train": trainPath = value
            case "test": testPath = value
            case "mixture": mixturePath = value
            case "field": if binaryModel { isingField = try real() } else { phiFourField = try real() }
            case "coupling": phiFourCoupling = try real()
            case "beta": if binaryModel { isingBeta = try real() } else { phiFourBeta = try real() }
            case "couplings": couplingsPath = value
            case "data": dataPath = value
            case "threshold": threshold = try real()
            default: labelColumn = value
            }
        }
    }
}

extension SamplerCatalog {
    /// `sl` and `slips` once the target is known: refuses the MCMC denoiser's options when the denoiser is exact or
    /// learned, and the time-grid options for erasure (whose steps reveal coordinates, with no time grid). `given`:
    /// the option names given, as in ``optionSamplers(draws:)``.
    public static func checkDenoiserOptions(_ given: [String], sampler: String, settings s: Settings, target: TargetSpec) throws {
        guard sampler == "sl" || sampler == "slips" else { return }
        let process = s.process ?? (target.space == .binary ? "binary" : target.space == .nonNegative ? "poisson" : "gaussian")
        let kind: ObservationKind = switch process {
        case "linear": .linear
        case "erasure", "binary": .binaryField
        case "poisson": .poisson
        default: .gaussian
        }
        let fits = target.closedForm?.closedFormObservations.contains(kind) == true
        let denoiser = s.denoiser ?? (sampler == "sl" && fits ? "exact" : "mcmc")
        if denoiser == "exact" || denoiser == "learned" {  // (an unknown name is the catalog's error)
            for option in ["chains", "mcmc-steps", "keep", "step-size", "target-acceptance"] where given.contains(option) {
                throw SamplerError("--\(option) sets the MCMC denoiser; the denoiser here is "
                    + (denoiser == "learned" ? "a learned model" : "exact"))
            }
        }
        if process == "erasure" {
            for option in ["T", "t-min", "grid"] where given.contains(option) {
                throw SamplerError("--\(option) does not apply to --process erasure (its steps reveal coordinates; set --steps)")
            }
        }
    }
}

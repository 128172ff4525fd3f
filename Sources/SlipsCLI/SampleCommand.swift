import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Slips

enum SamplerName: String, ExpressibleByArgument, CaseIterable {
    case slips, sl, mala, ula, hmc, nuts, smc, ais, rdmc, oat
    case walkJump = "walk-jump", jms, sms, smsExact = "sms-exact"
    case dula, dmala, binaryOneStage = "binary-one-stage", binaryTwoStage = "binary-two-stage", binarySMS = "binary-sms"
}

enum IntegratorName: String, ExpressibleByArgument, CaseIterable {
    case ula, underdamped, cheng, mala, dula, dmala
}

enum ResamplingName: String, ExpressibleByArgument, CaseIterable {
    case multinomial, systematic
}

enum ScheduleName: String, ExpressibleByArgument, CaseIterable {
    case classic, geometric
}

enum ProcessName: String, ExpressibleByArgument, CaseIterable {
    case gaussian, linear, erasure, binary, poisson
}

extension TimeGrid: ExpressibleByArgument {}

extension MetricKind: ExpressibleByArgument {}

enum AdaptationName: String, ExpressibleByArgument, CaseIterable {
    case window
    case dualAveraging = "dual-averaging"
    case multiplicative
    case none
}

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Draw samples from a target with SLIPS, stochastic localization, a baseline or plain MCMC.",
        discussion: """
            SLIPS defaults are the paper's benchmark settings (K=1024, S=32, C=4, keep 16, L=10, \
            geometric(1,1), epsilon-end matched to log-SNR 5.0) with a per-target epsilon (see `slips targets`).
            MCMC samplers (mala, ula, hmc, nuts, dula, dmala) run one chain per sample: --warmup adapted steps, then \
            --steps steps; a sample is the final state of its chain. With --draws D they instead run --chains C long \
            chains and write the (C, D, d) draws, the per-draw statistics (--stats, .npz in ArviZ's names) and a \
            diagnostics table (R-hat, ESS, MCSE; see `slips diagnose`).
            --sampler sl runs stochastic localization with any observation process (--process gaussian, linear, \
            erasure, binary, poisson) and denoiser (--denoiser exact: the target's closed form; mcmc: MALA chains). \
            --sampler slips --denoiser exact is oracle SLIPS: SLIPS's schedule with a perfect denoiser.

            Examples:
              slips sample --target two-modes --dim 8 --samples 8192 --seed 0 --output s.npy
              slips sample --target funnel --sampler hmc --leapfrog-steps 10 --samples 4096 --output f.csv
              slips sample --target eight-schools --sampler nuts --chains 4 --warmup 1000 --draws 1000 --output d.npy
              slips sample --target two-modes --samples 8192 --shard 0/2 --output s0.npy
              slips sample --target gaussian-mixture --mixture m.json --sampler sl --output g.npy
              slips sample --target binary-mixture --dim 32 --sampler sl --process erasure --output b.npy
              slips sample --target binary-mixture --sampler binary-sms --alpha 0.1 --measurements 10 --output b.npy
              slips sample --target curie-weiss --dim 64 --beta 1.2 --sampler dmala --output cw.npy
            """
    )

    // Target.
    @Option(name: .customLong("target"), help: "Target name (see `slips targets`; default two-modes, or with --denoiser MODEL.json the model's data).")
    var targetOption: String?
    var target: String { targetOption ?? "two-modes" }
    /// `--denoiser` names a model file rather than exact or mcmc.
    var denoiserModelPath: String? { denoiser.flatMap { $0 == "exact" || $0 == "mcmc" ? nil : $0 } }
    /// `--score` names a model file rather than exact or importance.
    var scoreModelPath: String? { score.flatMap { $0 == "exact" || $0 == "importance" ? nil : $0 } }
    var modelPath: String? { denoiserModelPath ?? scoreModelPath }
    @Option(help: "Dimension (targets of any dimension; phi-four: the number of sites).")
    var dim: Int?
    @Option(name: .customLong("data-dir"), help: "ionosphere/sonar: directory of the CSV splits (default $SLIPS_DATASETS, else the project's data/slips_datasets).")
    var dataDir: String?
    @Option(help: "logistic-regression: training CSV (features and a 0/1 label column y).")
    var train: String?
    @Option(help: "logistic-regression: test CSV (same columns), for the predictive metric.")
    var test: String?
    @Option(help: "gaussian-mixture, binary-mixture, gamma-mixture: the mixture as JSON (see the README).")
    var mixture: String?
    @Option(help: "phi-four: local field b; ising, curie-weiss: the uniform external field b (default 0).")
    var field: Double?
    @Option(help: "phi-four: coupling a.")
    var coupling: Double?
    @Option(help: "phi-four: inverse temperature β (20); curie-weiss: β (1.2); ising: the lattice coupling (0.4).")
    var beta: Double?
    @Option(help: "ising: the coupling matrix J (.npy or CSV, d × d, symmetric, zero diagonal).")
    var couplings: String?
    @Option(help: "binary-data: the data set (.npy or CSV; ±1 or 0/1, or --threshold).")
    var data: String?
    @Option(help: "binary-data: binarise the data at T (value > T ↦ +1, else −1).")
    var threshold: Double?
    @Option(name: .customLong("label-column"), help: "binary-data: a CSV header column to drop (e.g. a class label).")
    var labelColumn: String?

    // Sampler.
    @Option(help: "Sampler: slips, sl (stochastic localization), mala, ula, hmc, nuts, the baselines smc, ais, rdmc, oat, the score samplers walk-jump, jms, sms, sms-exact, or on {-1,+1}^d dula, dmala, binary-one-stage, binary-two-stage, binary-sms.")
    var sampler: SamplerName = .slips
    @Option(help: "sl: observation process gaussian, linear, erasure, binary or poisson (default: by the target's space).")
    var process: ProcessName?
    @Option(help: "sl, slips: denoiser exact (closed form) or mcmc (default: sl exact where the target has one, slips mcmc); sl: a model file from `slips train` (MODEL.json).")
    var denoiser: String?
    @Option(help: "walk-jump, jms, sms: the score: exact (closed form), importance (the importance-sampled oracle) or a model file from `slips train` (default: exact where the target has one).")
    var score: String?
    @Option(help: "jms, sms, sms-exact: measurements M (default 100); binary-sms: M (default 10).")
    var measurements: Int?
    @Option(help: "binary-one-stage, binary-two-stage, binary-sms: the binary channel strength α (flip probability e^{-α}/(2 cosh α)).")
    var alpha: Double?
    @Option(help: "binary samplers: read x off the final field by its sign (default) or a bernoulli draw from the factorised posterior.")
    var readout: String?
    @Option(help: "walk-jump, jms, sms: Langevin integrator ula (default), underdamped (ABOBA) or cheng (exact OU step), with step δ default 0.5σ, --friction γ per unit time default 0.5, unit mass; on a Gaussian mixture with the exact score also mala (walk-jump: MALA on the smoothed density after --warmup adapted steps; sms: Metropolis-adjusted stages). binary-one-stage, binary-sms: dula or dmala (default dmala with the exact score, dula with a learned one), step η --step-size (2).")
    var integrator: IntegratorName?
    @Option(name: .customLong("steps-per-stage"), help: "sms: Langevin steps per measurement (default 10).")
    var stepsPerStage: Int?
    @Option(name: .customLong("first-stage-steps"), help: "sms: Langevin steps of the first measurement (default 5 × steps per stage).")
    var firstStageSteps: Int?
    @Flag(name: .customLong("output-walk"), help: "walk-jump: write the walk's final states instead of their jumps.")
    var outputWalk = false
    @Option(help: "MCMC samplers: keep D draws per chain (--chains long chains; output (chains, D, d), statistics in --stats). walk-jump: jumps per chain D, one every --steps steps; the .npy output is then (chains, D, d).")
    var draws: Int?
    @Option(help: "MCMC with --draws: keep every k-th state (default 1).")
    var thin: Int?
    @Option(help: "MCMC with --draws: the per-draw statistics file (.npz; default OUTPUT.stats.npz).")
    var stats: String?
    @Option(name: .customLong("max-tree-depth"), help: "nuts: the maximum tree depth (default 10: at most 1023 leapfrog steps per draw).")
    var maxTreeDepth: Int?
    @Option(help: "hmc, nuts: the metric window adaptation estimates: identity, diagonal (default with --adapt window) or dense.")
    var metric: MetricKind?
    @Option(name: .customLong("step-jitter"), help: "hmc: jitter each transition's step by a uniform factor in [1 - j, 1 + j] (default 0).")
    var stepJitter: Double?
    @Flag(name: .customLong("fresh-stages"), help: "sms: start every measurement afresh (U[-1,1]^d + σ·noise) instead of at the jump + σ·noise.")
    var freshStages = false
    @Option(help: "sl --process linear: the matrix A as .npy (k × d; default 2d × d with N(0, 1/d) entries from --seed).")
    var matrix: String?
    @Option(help: "slips: Y at t_0 from SLIPS's start (prior: sigma·sqrt(t_0)·Z and L refinements) or drawn exactly (exact; targets with exact draws, L = 0).")
    var start: String?
    @Option(help: "sl: time grid geometric, ddpm (uniform in OU time) or uniform.")
    var grid: TimeGrid?
    @Option(name: .customLong("t-min"), help: "sl: first non-zero time of the grid (gaussian/linear 1e-4, binary/poisson 1e-3).")
    var tMin: Double?
    @Option(help: "SLIPS SNR schedule: classic or geometric.")
    var schedule: ScheduleName?
    @Option(help: "Geometric schedule exponent alpha1.")
    var alpha1: Double?
    @Option(help: "Geometric schedule exponent alpha2.")
    var alpha2: Double?
    @Option(help: "t_0 (default: per target, see `slips targets`).")
    var epsilon: Double?
    @Option(name: .customLong("epsilon-end"), help: "Geometric schedule: t_end = T - epsilon-end (default: matched to log-SNR log 150).")
    var epsilonEnd: Double?
    @Option(name: .customLong("T"), help: "Horizon T (classic default 150, geometric default 1, RDMC default -log 0.8; sl: gaussian/linear 1000, binary 8, poisson 100).")
    var horizon: Double?
    @Option(help: "SLIPS: grid points K (default 1024); sl: time steps (400; erasure: d); SMC/AIS: temperatures; RDMC: time steps; OAT: K of M = (K/8)(S/32) levels. MCMC: steps after warm-up (default 1000).")
    var steps: Int?
    @Option(name: .customLong("mcmc-steps"), help: "SLIPS: MALA steps S per denoiser call.")
    var mcmcSteps: Int?
    @Option(help: "SLIPS, RDMC: MALA chains C per sample; MCMC with --draws: the number of chains (default 4).")
    var chains: Int?
    @Option(help: "SLIPS: states averaged per chain (default S/2).")
    var keep: Int?
    @Option(name: .customLong("init-steps"), help: "SLIPS: Langevin-within-Langevin initialisation steps L.")
    var initSteps: Int?
    @Option(help: "SLIPS: sigma (default sqrt(R²/d + tau²) from the target).")
    var sigma: Double?
    @Option(name: .customLong("step-size"), help: "Initial step size (SLIPS 1e-5, MALA/HMC 0.1, ULA 0.01, SMC/AIS 1e-2); OAT: Langevin step size (0.03).")
    var stepSize: Double?
    @Option(help: "MCMC: warm-up (adaptation) steps.")
    var warmup: Int?
    @Option(name: .customLong("leapfrog-steps"), help: "HMC: leapfrog steps per transition.")
    var leapfrogSteps: Int?
    @Option(help: "MCMC: adaptation during warm-up: window (Stan's: dual averaging and the metric; nuts default), dual-averaging (mala, hmc default), multiplicative or none.")
    var adapt: AdaptationName?
    @Option(name: .customLong("target-acceptance"), help: "Target acceptance (SLIPS 0.75; MALA 0.75; HMC 0.8).")
    var targetAcceptance: Double?
    @Option(name: .customLong("init-scale"), help: "MCMC: chains start from N(0, s² I) (default: SLIPS sigma).")
    var initScale: Double?
    @Option(help: "OAT: effective friction (grid 0.0625, 0.05).")
    var friction: Double?
    @Option(help: "SMC: resampling scheme, multinomial or systematic.")
    var resampling: ResamplingName?
    @Option(name: .customLong("ess-threshold"), help: "SMC: resample only when the ESS falls below this fraction of N (default: every step).")
    var essThreshold: Double?

    // Run.
    @Option(name: .customLong("samples"), help: "Number of samples N (default 8192).")
    var samplesOption: Int?
    var samples: Int { samplesOption ?? 8192 }
    @Option(help: "Random seed.")
    var seed: UInt64 = 0
    @Option(help: "Worker threads (default: all cores). Output does not depend on it.")
    var threads: Int?
    @Option(help: "Run shard k of n (k/n, 0-based), or `auto`: the shard of this SLURM job-array task (SLURM_ARRAY_TASK_ID of an `sbatch --array=MIN-MAX[:STEP]` array). `slips merge` joins the shards.")
    var shard: String?

    // Output.
    @Option(name: .shortAndLong, help: "Output file (.npy float64 (N, d), or .csv).")
    var output: String
    @Option(help: "Output format: npy or csv (default: from the output file's extension, else npy).")
    var format: OutputFormat?
    @Option(help: "Write a JSON run summary here.")
    var summary: String?
    @Option(help: "Write an SVG scatter of the first two coordinates (over the density for 2-D targets).")
    var plot: String?
    @Flag(help: "No progress display.")
    var quiet = false

    func run() throws {
        if isDrawsMode { return try runDraws() }
        let job = try cliErrors { try makeJob() }
        let fmt = format ?? OutputFormat(path: output)
        // Every file this run writes, checked up front: distinct, not an input, writable.
        var written = [("--output", output)] + [("--summary", summary), ("--plot", plot)].compactMap { o, p in p.map { (o, $0) } }
        if job.sampler.name == "ais" && fmt == .npy { written.append(("the AIS weights file", Self.weightsPath(output))) }
        if job.shard.count > 1 { written.append(("the shard sidecar", RunSummary.shardSidecarPath(output))) }
        let read = [("--mixture", mixture), ("--matrix", matrix), ("--couplings", couplings), ("--data", data), ("--train", train), ("--test", test), ("--denoiser", denoiserModelPath), ("--score", scoreModelPath)]
            .compactMap { o, p in p.map { (o, $0) } }
        try cliErrors {
            try AtomicFile.requireDistinct(outputs: written, inputs: read)
            for (_, path) in written { try AtomicFile.checkWritable(path: path) }
        }
        let result = try withProgress(label: job.sampler.name, total: job.expectedProgressUnits, quiet: quiet,
                                      unit: job.sampler.name == "nuts" ? "draws/s" : nil) { try job.run(progress: $0) }
        var summaryValue = result.summary
        try cliErrors {
            let points = result.samples.points
            if let w = result.samples.weights {
                // Weighted samples (AIS): the normalised weights beside the samples, or as a last CSV column.
                if fmt == .csv {
                    var storage: [Double] = []
                    storage.reserveCapacity(points.count * (points.dimension + 1))
                    for i in 0..<points.count { storage += points[row: i] + [w[i]] }
                    try CSV.write(Points(dimension: points.dimension + 1, storage: storage),
                                  header: (0..<points.dimension).map { "x\($0)" } + ["weight"], to: output)
                } else {
                    let path = Self.weightsPath(output)
                    try NPY.write(values: w, shape: [w.count], to: path)
                    summaryValue.weightsFile = path
                    try fmt.write(points, to: output)
                }
            } else if let k = draws, k > 1 {
                // (chains, draws, d): the rows are chain-major.
                try NPY.write(values: points.storage, shape: [points.count / k, k, points.dimension], to: output)
            } else {
                try fmt.write(points, to: output)
            }
            if let s = summary {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try AtomicFile.write(Array(try encoder.encode(summaryValue)), to: s)
            }
            if job.shard.count > 1 {
                try AtomicFile.write(Array(try JSONLines.encoder().encode(summaryValue)), to: RunSummary.shardSidecarPath(output))
            }
            if let p = plot { try writePlot(points, job: job, to: p) }
            // Files of an earlier run beside the output that no longer describe it.
            if job.shard.count == 1 { _ = unlink(RunSummary.shardSidecarPath(output)) }
            if result.samples.weights == nil || fmt == .csv { _ = unlink(Self.weightsPath(output)) }
        }
        report(summaryValue)
    }

    /// `s.npy` → `s.weights.npy`.
    static func weightsPath(_ output: String) -> String {
        output.lowercased().hasSuffix(".npy") ? String(output.dropLast(4)) + ".weights.npy" : output + ".weights.npy"
    }

    /// Whether this is an MCMC run kept as draws of a few long chains.
    var isDrawsMode: Bool { draws != nil && SamplerCatalog.mcmcNames.contains(sampler.rawValue) }

    func makeJob() throws -> SamplingJob {
        let (spec, settings) = try makeTarget()
        let shardPair = try parseShard()
        let sampler = try SamplerCatalog.make(self.sampler.rawValue, settings: settings, target: spec)
        return try SamplingJob(
            target: spec, sampler: sampler, samples: samples, seed: seed,
            threads: threads ?? ParallelBlocks.availableThreads, shard: shardPair)
    }

    func makeDrawsJob() throws -> DrawsJob {
        var (spec, settings) = try makeTarget()
        settings.chains = nil
        settings.draws = nil
        guard let sampler = try SamplerCatalog.make(self.sampler.rawValue, settings: settings, target: spec) as? MCMCSampler else {
            throw CLIError("--draws with --sampler \(self.sampler.rawValue) is not an MCMC run")
        }
        return try DrawsJob(target: spec, sampler: sampler, chains: chains ?? 4, draws: draws!, thin: thin ?? 1, seed: seed,
                            threads: threads ?? ParallelBlocks.availableThreads)
    }

    /// The target from the options, and the sampler settings.
    func makeTarget() throws -> (TargetSpec, SamplerCatalog.Settings) {
        if let d = dim, d <= 0 { throw CLIError("--dim must be positive (got \(d))") }
        if samples <= 0 { throw CLIError("--samples must be positive (got \(samples))") }
        try checkApplicable()
        let binaryModel = ["ising", "curie-weiss"].contains(target)
        var options = TargetOptions(dataDirectory: dataDir, trainPath: train, testPath: test, phiFourField: binaryModel ? 0 : field ?? 0,
                                    phiFourCoupling: coupling ?? 0.1, phiFourBeta: binaryModel ? 20 : beta ?? 20, mixturePath: mixture)
        if binaryModel {
            options.isingBeta = beta
            options.isingField = field
        }
        options.couplingsPath = couplings
        options.dataPath = data
        options.threshold = threshold
        options.labelColumn = labelColumn
        var settings = try settings()
        let spec: TargetSpec
        if let path = modelPath {
            if denoiserModelPath != nil && sampler != .sl { throw CLIError("--denoiser MODEL.json applies to --sampler sl") }
            guard path.lowercased().hasSuffix(".json") else {
                throw CLIError(denoiserModelPath != nil
                    ? "unknown denoiser '\(path)': give exact, mcmc or a model file (.json) written by `slips train`"
                    : "unknown score '\(path)': give exact, importance or a model file (.json) written by `slips train`")
            }
            let model = try ModelFile.read(path: path)
            settings.learnedModel = model
            if denoiserModelPath != nil { settings.denoiser = "learned" } else { settings.score = "learned" }
            if targetOption == nil && dim != nil { throw CLIError("--dim comes from the model (d = \(model.dimension)) when no --target is given") }
            spec = targetOption == nil ? model.targetSpec : try TargetCatalog.make(target, dimension: dim ?? model.dimension, options: options)
        } else {
            spec = try TargetCatalog.make(target, dimension: dim, options: options)
        }
        try cliErrors {
            try SamplerCatalog.checkDenoiserOptions(givenSamplerOptions, sampler: sampler.rawValue, settings: settings, target: spec)
        }
        return (spec, settings)
    }

    /// Refuses options that do not apply to the chosen target or sampler (they would otherwise be ignored silently).
    func checkApplicable() throws {
        let name = sampler.rawValue
        let givenTargetOptions: [(String, Bool)] = [
            ("data-dir", dataDir != nil), ("train", train != nil), ("test", test != nil), ("field", field != nil),
            ("coupling", coupling != nil), ("beta", beta != nil), ("couplings", couplings != nil), ("data", data != nil),
            ("threshold", threshold != nil), ("label-column", labelColumn != nil),
        ]
        try cliErrors { try TargetOptions.checkApplicable(givenTargetOptions.filter(\.1).map(\.0), target: target) }
        try cliErrors {
            try SamplerCatalog.checkApplicable(givenSamplerOptions, sampler: name, draws: draws != nil)
        }
        if matrix != nil && process != .linear { throw CLIError("--matrix applies to --process linear only") }
        if isDrawsMode {
            if samplesOption != nil { throw CLIError("--samples does not apply with --draws: the run writes --chains × --draws draws") }
            if shard != nil { throw CLIError("--draws writes one (chains, draws, d) array; run it unsharded (--shard is refused)") }
            if (format ?? OutputFormat(path: output)) != .npy { throw CLIError("--draws writes a (chains, draws, d) .npy array; give an .npy output") }
        }
        if let k = draws, k > 1 {
            if shard != nil { throw CLIError("--draws > 1 writes one (chains, draws, d) array; run it unsharded (--shard is refused)") }
            if (format ?? OutputFormat(path: output)) != .npy { throw CLIError("--draws > 1 writes a (chains, draws, d) .npy array; give an .npy output") }
        }
        if (name == "smc" || name == "ais") && shard != nil {
            throw CLIError("--shard is refused for \(name): "
                + (name == "smc" ? "its particles interact" : "its weights are normalised over the whole run")
                + ", so shards would not concatenate to the unsharded run")
        }
        try cliErrors { try SamplerCatalog.checkScheduleOptions(givenSamplerOptions, schedule: schedule?.rawValue) }
        if let t = threads, t < 1 || t > 4096 { throw CLIError("--threads must be in 1...4096 (got \(t))") }
    }

    /// The sampler options given, by their names in ``SamplerCatalog/optionSamplers(draws:)``.
    var givenSamplerOptions: [String] {
        let given: [(String, Bool)] = [
            ("schedule", schedule != nil), ("alpha1", alpha1 != nil), ("alpha2", alpha2 != nil), ("epsilon", epsilon != nil),
            ("epsilon-end", epsilonEnd != nil), ("init-steps", initSteps != nil), ("T", horizon != nil),
            ("mcmc-steps", mcmcSteps != nil), ("chains", chains != nil), ("keep", keep != nil), ("sigma", sigma != nil),
            ("warmup", warmup != nil), ("adapt", adapt != nil), ("init-scale", initScale != nil),
            ("leapfrog-steps", leapfrogSteps != nil), ("target-acceptance", targetAcceptance != nil),
            ("max-tree-depth", maxTreeDepth != nil), ("metric", metric != nil), ("step-jitter", stepJitter != nil),
            ("thin", thin != nil), ("stats", stats != nil), ("friction", friction != nil), ("resampling", resampling != nil),
            ("ess-threshold", essThreshold != nil), ("process", process != nil), ("matrix", matrix != nil), ("grid", grid != nil),
            ("t-min", tMin != nil), ("denoiser", denoiser != nil), ("start", start != nil), ("score", score != nil),
            ("measurements", measurements != nil), ("integrator", integrator != nil), ("alpha", alpha != nil),
            ("readout", readout != nil), ("steps-per-stage", stepsPerStage != nil), ("first-stage-steps", firstStageSteps != nil),
            ("output-walk", outputWalk), ("draws", draws != nil), ("fresh-stages", freshStages), ("steps", steps != nil),
            ("step-size", stepSize != nil),
        ]
        return given.filter(\.1).map(\.0)
    }

    /// The sampler options as the catalog's settings.
    func settings() throws -> SamplerCatalog.Settings {
        var s = SamplerCatalog.Settings()
        s.schedule = schedule?.rawValue
        s.alpha1 = alpha1
        s.alpha2 = alpha2
        s.horizon = horizon
        s.epsilon = epsilon
        s.epsilonEnd = epsilonEnd
        s.steps = steps
        s.mcmcSteps = mcmcSteps
        s.chains = chains
        s.keep = keep
        s.initSteps = initSteps
        s.sigma = sigma
        s.stepSize = stepSize
        s.warmup = warmup
        s.leapfrogSteps = leapfrogSteps
        s.adaptation = adapt.map {
            switch $0 {
            case .window: .window
            case .dualAveraging: .dualAveraging
            case .multiplicative: .multiplicative
            case .none: .none
            }
        }
        s.targetAcceptance = targetAcceptance
        s.initScale = initScale
        s.friction = friction
        s.systematicResampling = resampling.map { $0 == .systematic }
        s.essThreshold = essThreshold
        s.process = process?.rawValue
        s.denoiser = denoiser
        s.score = score
        s.measurements = measurements
        s.integrator = integrator?.rawValue
        s.stepsPerStage = stepsPerStage
        s.firstStageSteps = firstStageSteps
        s.outputWalk = outputWalk
        s.draws = draws
        s.freshStages = freshStages
        s.alpha = alpha
        s.readout = readout
        s.maxTreeDepth = maxTreeDepth
        s.metric = metric
        s.stepJitter = stepJitter
        s.grid = grid
        s.start = start
        s.tMin = tMin
        s.matrix = try matrix.map { try NPY.readPoints(path: $0) }
        s.matrixSeed = seed
        return s
    }

    /// Scatter of the first two coordinates over a window covering 99 % of the samples (the density as a heat map
    /// for 2-D targets).
    func writePlot(_ x: Points, job: SamplingJob, to path: String) throws {
        func window(_ j: Int) -> (Double, Double) {
            guard j < x.dimension else { return (-1, 1) }
            let v = (0..<x.count).map { x[$0, j] }.sorted()
            let lo = v[Int(0.005 * Double(v.count - 1))], hi = v[Int(0.995 * Double(v.count - 1))]
            let pad = 0.15 * max(hi - lo, 1e-9)
            return (lo - pad, hi + pad)
        }
        let (xr, yr) = (window(0), window(1))
        let half = max(xr.1 - xr.0, yr.1 - yr.0) / 2
        let cx = (xr.0 + xr.1) / 2, cy = (yr.0 + yr.1) / 2
        let target = job.target.target
        let density: ((Double, Double) -> Double)? =
            x.dimension == 2 ? { a, b in target.evaluate(at: [a, b]).logDensity } : nil
        let svg = SVGChart.scatter(
            title: "\(job.target.name): \(job.sampler.name) samples (x0, x1)", points: x, xRange: (cx - half, cx + half),
            yRange: (cy - half, cy + half), logDensity: density)
        try AtomicFile.write(text: svg, to: path)
    }

    func parseShard() throws -> (index: Int, count: Int) {
        guard let s = shard else { return (0, 1) }
        if s == "auto" { return try SamplingJob.slurmArrayShard(environment: ProcessInfo.processInfo.environment) }
        let parts = s.split(separator: "/")
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw CLIError("--shard must look like k/n, e.g. 0/4, or be auto (got '\(s)')")
        }
        guard n > 0, k >= 0, k < n else { throw CLIError("--shard k/n needs 0 <= k < n (got \(s))") }
        return (k, n)
    }

    func report(_ s: RunSummary) {
        print("target \(s.target) (d = \(s.dimension)), sampler \(s.sampler), \(s.samples) samples"
              + (s.shard == "0/1" ? "" : " (shard \(s.shard) of \(s.totalSamples))") + ", seed \(s.seed)")
        if s.gradientEvaluations == 0 && s.logDensityEvaluations == 0 {
            print("no target evaluations (\(s.settings["denoiser"].map { $0.hasPrefix("learned") ? "learned" : "closed-form" } ?? "closed-form") denoiser) in \(short(s.wallSeconds, 3)) s")
        } else {
            print("gradient evaluations \(grouped(s.gradientEvaluations)) (\(grouped(Int(s.gradientEvaluationsPerSample))) per sample)"
                  + " in \(short(s.wallSeconds, 3)) s: \(short(s.gradientEvaluationsPerSecond / 1e6, 3)) M/s")
        }
        if s.logDensityEvaluations > 0 {
            print("log-density-only evaluations \(grouped(s.logDensityEvaluations)) (\(grouped(s.logDensityEvaluations / max(1, s.samples))) per sample)")
        }
        for (k, v) in s.statistics.sorted(by: { $0.key < $1.key }) { print("  \(k) = \(short(v))") }
        for (k, v) in s.metrics.sorted(by: { $0.key < $1.key }) { print("\(k) = \(short(v))") }
        print("wrote \(output)" + (s.weightsFile.map { ", \($0)" } ?? "") + (summary.map { ", \($0)" } ?? "") + (plot.map { ", \($0)" } ?? ""))
    }
}

import RealModule
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A named target with what the samplers and metrics need to know about it: the `(R, τ)` description of
/// spec/slips.md §1.8 (π is the law of `X0 + τ Z` with `‖X0‖ ≤ R`), exact samples where they exist, and the
/// mixture whose means define the mode-weight metric (spec/slips.md §3).
public struct TargetSpec: Sendable {
    public let name: String
    public let target: any LogDensity
    /// R of spec/slips.md §1.8.
    public let radius: Double
    /// τ of spec/slips.md §1.8.
    public let tau: Double
    /// Exact i.i.d. samples `(count, seed) → Points`, where the target has them.
    public let exactSampler: (@Sendable (Int, UInt64) -> Points)?
    /// The mixture whose component means define mode assignment (mode-weight error), where it applies.
    public let mixture: GaussianMixture?
    /// Target parameters, for summaries.
    public let parameters: [String: Double]
    /// The model whose mean log-density over the samples is the `mean_pred_log_prob` metric (spec/slips.md
    /// §3): the Bayesian logistic regression built on the **test** split, where the target has one.
    public let testModel: (any LogDensity)?
    /// The phi^4 mode-balance reference (site and `log(Z+/Z-)`) of the `weight_ratio` metrics, where it applies.
    public let phiFourReference: PhiFourReference?
    /// Where the samples live (R^d for every target but the binary and Gamma mixtures).
    public let space: SampleSpace
    /// The prior's closed-form posterior means, where it has them: what `--denoiser exact` uses
    /// (spec/denoising.md §1.2, §1.5, §6.2).
    public let closedForm: (any ClosedFormPrior)?
    /// Binary targets: the exact `E[x_i]` per coordinate (the magnetisation metric), where known.
    public let exactMean: [Double]?
    /// Data-defined binary targets: the data rows (the nearest-training-point Hamming metric).
    public let data: Points?
    /// Names of the coordinates (parameters), where the target has them (eight-schools, the logistic regressions).
    public var coordinateNames: [String]? = nil

    public var dimension: Int { target.dimension }

    /// `σ_SLIPS = sqrt(R²/d + τ²)` (spec/slips.md §1.8).
    public var slipsSigma: Double { (radius * radius / Double(dimension) + tau * tau).squareRoot() }

    public init(
        name: String, target: any LogDensity, radius: Double, tau: Double,
        exactSampler: (@Sendable (Int, UInt64) -> Points)? = nil, mixture: GaussianMixture? = nil,
        parameters: [String: Double] = [:], testModel: (any LogDensity)? = nil,
        phiFourReference: PhiFourReference? = nil, space: SampleSpace = .continuous,
        closedForm: (any ClosedFormPrior)? = nil, exactMean: [Double]? = nil, data: Points? = nil
    ) {
        self.exactMean = exactMean
        self.data = data
        self.name = name
        self.target = target
        self.radius = radius
        self.tau = tau
        self.exactSampler = exactSampler
        self.mixture = mixture
        self.parameters = parameters
        self.testModel = testModel
        self.phiFourReference = phiFourReference
        self.space = space
        self.closedForm = closedForm ?? mixture
    }
}

/// What the phi^4 metrics of spec/slips.md §3 need: the site deciding the mode and the reference
/// `log(Z+/Z-)` (upstream `target_en_diff`), with where it came from.
public struct PhiFourReference: Sendable, Equatable {
    /// How ``logZRatio`` was obtained.
    public enum Source: String, Sendable {
        /// Upstream's hard-coded constant (N = 100, a = 0.1, β = 20, tabulated b).
        case upstreamConstant = "upstream constant"
        /// ``PhiFourLaplace/logZRatioUpstream`` (full log-determinant, the rule upstream's constants follow),
        /// for settings without a constant.
        case laplaceFullLogDeterminant = "Laplace, full log-det"
    }

    /// The 0-based site whose sign decides the mode (`N/2`).
    public let site: Int
    /// The reference `log(Z+/Z-)` the metrics compare with (upstream convention of the constants).
    public let logZRatio: Double
    public let source: Source
    /// The textbook Laplace value `-βΔU - ½ Δ log det H`, where computed (spec/slips.md §2.4).
    public let textbookLaplaceLogZRatio: Double?
    /// The field itself and its two energy minima (when found), for the sample-quality metrics.
    public let field: PhiFour?
    public let laplace: PhiFourLaplace?

    public init(site: Int, logZRatio: Double, source: Source, textbookLaplaceLogZRatio: Double? = nil,
                field: PhiFour? = nil, laplace: PhiFourLaplace? = nil) {
        self.site = site
        self.logZRatio = logZRatio
        self.source = source
        self.textbookLaplaceLogZRatio = textbookLaplaceLogZRatio
        self.field = field
        self.laplace = laplace
    }
}

/// Options of the targets that need more than a dimension (spec/slips.md §2.3, §2.4): where the logistic
/// regression data lives, and the phi^4 parameters.
public struct TargetOptions: Sendable {
    /// Directory of the benchmark splits `NAME_{train,test}.csv` for `ionosphere` and `sonar`; nil: the
    /// environment variable `SLIPS_DATASETS`, else the project's `data/slips_datasets` (``resolvedDataDirectory``).
    public var dataDirectory: String?
    /// Training split of `logistic-regression` (CSV with a label column `y`, or the label last without a header).
    public var trainPath: String?
    /// Test split of `logistic-regression` (same features), for `mean_pred_log_prob`.
    public var testPath: String?
    /// phi^4 local field b (0).
    public var phiFourField: Double
    /// phi^4 coupling a (0.1).
    public var phiFourCoupling: Double
    /// phi^4 inverse temperature β (20).
    public var phiFourBeta: Double
    /// `gaussian-mixture`, `binary-mixture`, `gamma-mixture`: the JSON file describing the mixture (``MixtureFile``);
    /// nil: the built-in default of the target.
    public var mixturePath: String?
    /// `ising`: the coupling matrix J (.npy or CSV, d × d); nil: the periodic square lattice.
    public var couplingsPath: String?
    /// `ising` (lattice coupling, default 0.4) and `curie-weiss` (β, default 1.2).
    public var isingBeta: Double?
    /// `ising`, `curie-weiss`: the uniform external field b (default 0).
    public var isingField: Double?
    /// `binary-data`: the data file (.npy or CSV), its label column to drop and the binarisation threshold.
    public var dataPath: String?
    public var labelColumn: String?
    public var threshold: Double?
    /// Logistic-regression probability clip ε (1e-8; ``BayesianLogisticRegression/upstreamFloat32Threshold``
    /// mimics upstream's float32 arithmetic).
    public var logisticThreshold: Double

    public init(
        dataDirectory: String? = nil, trainPath: String? = nil, testPath: String? = nil,
        phiFourField: Double = 0, phiFourCoupling: Double = 0.1, phiFourBeta: Double = 20,
        logisticThreshold: Double = 1e-8, mixturePath: String? = nil
    ) {
        self.mixturePath = mixturePath
        self.dataDirectory = dataDirectory
        self.trainPath = trainPath
        self.testPath = testPath
        self.phiFourField = phiFourField
        self.phiFourCoupling = phiFourCoupling
        self.phiFourBeta = phiFourBeta
        self.logisticThreshold = logisticThreshold
    }

    /// The data directory in effect: ``dataDirectory``, else `$SLIPS_DATASETS`, else the first of
    /// `data/slips_datasets` (current directory), the executable's checkout's `data/slips_datasets` and
    /// `../shared/slips_datasets` that holds the splits (data/README.md).
    public var resolvedDataDirectory: String {
        if let dataDirectory, !dataDirectory.isEmpty { return dataDirectory }
        if let env = getenv("SLIPS_DATASETS"), let s = String(validatingCString: env), !s.isEmpty { return s }
        let candidates = ["data/slips_datasets"] + (Checkout.root.map { [$0 + "/data/slips_datasets"] } ?? [])
            + ["../shared/slips_datasets"]
        return candidates.first { access($0 + "/ionosphere_train.csv", R_OK) == 0 } ?? candidates[0]
    }
}

/// The built-in targets of the SLIPS benchmark (spec/slips.md §2: mixtures, funnel, rings; §2.3 Bayesian
/// logistic regression; §2.4 phi^4) and reference Gaussians.
public enum TargetCatalog {
    /// One line per target: name, default dimension, which dimensions it accepts, description.
    public struct Entry: Sendable {
        public let name: String
        public let defaultDimension: Int
        public let fixedDimension: Bool
        public let summary: String
        /// False for the targets without exact samples (logistic regression, phi^4).
        public let hasExactSamples: Bool
        /// What must be supplied besides the dimension, if anything (e.g. data files).
        public let requires: String?

        init(name: String, defaultDimension: Int, fixedDimension: Bool, summary: String,
             hasExactSamples: Bool = true, requires: String? = nil) {
            self.name = name
            self.defaultDimension = defaultDimension
            self.fixedDimension = fixedDimension
            self.summary = summary
            self.hasExactSamples = hasExactSamples
            self.requires = requires
        }
    }

    /// The targets with exact samples, buildable from a name and a dimension alone (spec/slips.md §2.1, §2.2).
    /// ``allEntries`` adds the logistic regressions and phi^4 (``modelEntries``).
    public static let entries: [Entry] = [
        Entry(name: "two-modes", defaultDimension: 8, fixedDimension: false,
              summary: "weights (2/3, 1/3), means -(2/3)·1 and (4/3)·1, covariance 0.05·I; R = (4/3)√d, τ = √0.05"),
        Entry(name: "8-gaussians", defaultDimension: 2, fixedDimension: true,
              summary: "8 equal components, means 10·(sin(iπ/4), cos(iπ/4)), variance 0.7; R = 10, τ = √0.7"),
        Entry(name: "rings", defaultDimension: 2, fixedDimension: true,
              summary: "radius ~ equal mixture of N(k, 0.15²), k = 1…4, uniform angle; R = 4, τ = 0.15"),
        Entry(name: "funnel", defaultDimension: 10, fixedDimension: false,
              summary: "x0 ~ N(0, 3), x_i | x0 ~ N(0, exp(x0)); R = 2.12, τ = 0"),
        Entry(name: "gaussian", defaultDimension: 8, fixedDimension: false,
              summary: "correlated Gaussian N(0, Σ), Σ_ij = 0.9^|i-j| (a reference for MCMC); R = √d, τ = 0"),
        Entry(name: "correlated-gaussian", defaultDimension: 100, fixedDimension: false,
              summary: "ill-conditioned Gaussian N(0, Q diag(λ) Qᵀ), λ log-spaced over 1e-2…1e2 (condition 1e4), Q the DCT-II basis (an MCMC posterior-set reference); R = √tr Σ, τ = 0"),
        Entry(name: "gaussian-mixture", defaultDimension: 2, fixedDimension: false,
              summary: "Gaussian mixture from --mixture FILE.json; default 0.3·N(6·1, I) + 0.7·N(-6·1, I) (spec/denoising.md §6.5)"),
        Entry(name: "binary-mixture", defaultDimension: 32, fixedDimension: false,
              summary: "product-Bernoulli mixture on {-1,+1}^d from --mixture FILE.json; default weights (0.3, 0.7), P(x_i = +1) = 0.8 / 0.2"),
        Entry(name: "gamma-mixture", defaultDimension: 4, fixedDimension: false,
              summary: "Gamma-product mixture on [0,∞)^d from --mixture FILE.json; default weights (0.4, 0.6), shapes 2 / 8, rates 1 / 2"),
        Entry(name: "curie-weiss", defaultDimension: 32, fixedDimension: false,
              summary: "Curie–Weiss model on {-1,+1}^d, log p = β M²/(2d) + b M (M = Σ x_i), --beta (1.2) --field (0); exact law of M"),
    ]

    /// The targets without exact samples (spec/slips.md §2.3, §2.4). `ionosphere` and `sonar` read the shipped
    /// splits (``TargetOptions/dataDirectory``), `logistic-regression` the user's files
    /// (``TargetOptions/trainPath``, ``TargetOptions/testPath``); their default dimension is that of the
    /// benchmark data (the actual one comes from the files).
    public static let modelEntries: [Entry] = [
        Entry(name: "ionosphere", defaultDimension: 34, fixedDimension: true,
              summary: "Bayesian logistic regression, Ionosphere (280 train / 71 test, 33 features), w ~ N(0, I), b ~ N(0, 2.5²); R = 2.5, τ = 0",
              hasExactSamples: false, requires: "the benchmark splits (shipped in data/slips_datasets; --data-dir or $SLIPS_DATASETS elsewhere)"),
        Entry(name: "sonar", defaultDimension: 61, fixedDimension: true,
              summary: "Bayesian logistic regression, Sonar (166 train / 42 test, 60 features), w ~ N(0, I), b ~ N(0, 2.5²); R = 2.5, τ = 0",
              hasExactSamples: false, requires: "the benchmark splits (shipped in data/slips_datasets; --data-dir or $SLIPS_DATASETS elsewhere)"),
        Entry(name: "logistic-regression", defaultDimension: 34, fixedDimension: true,
              summary: "Bayesian logistic regression on user CSV splits (features + label column y), d = features + 1; R = 2.5, τ = 0",
              hasExactSamples: false, requires: "training and test CSV files"),
        Entry(name: "eight-schools", defaultDimension: 10, fixedDimension: true,
              summary: "non-centred eight schools: (μ, log τ, θ̃₁…θ̃₈), μ ~ N(0, 5²), τ ~ HalfCauchy(5), y_j ~ N(μ + τθ̃_j, σ_j²); reference moments in results/posteriors; R = 5, τ = 0",
              hasExactSamples: false),
        Entry(name: "phi-four", defaultDimension: 100, fixedDimension: false,
              summary: "1-D phi^4 field, Dirichlet ends, a = 0.1, β = 20, field b (default 0); R = 4.5, τ = 0.2",
              hasExactSamples: false),
        Entry(name: "phi-four-laplace", defaultDimension: 100, fixedDimension: false,
              summary: "the Laplace two-Gaussian stand-in of phi-four (minima, Hessians, weights from the reference log(Z+/Z-)); exact samples and denoiser"),
        Entry(name: "ising", defaultDimension: 64, fixedDimension: false,
              summary: "Ising model on {-1,+1}^d, log p = ½ xᵀJx + b Σ x_i: J from --couplings FILE (d × d), default the periodic √d × √d lattice at --beta (0.4); --field b (0)",
              hasExactSamples: false),
        Entry(name: "binary-data", defaultDimension: 64, fixedDimension: false,
              summary: "a binary data set on {-1,+1}^d from --data FILE (.npy/CSV, ±1 or 0/1, or --threshold T); sampled through a learned logistic score",
              hasExactSamples: false, requires: "a data file (--data)"),
    ]

    /// Every target: ``entries`` (exact samples, no options needed) then ``modelEntries``.
    public static var allEntries: [Entry] { entries + modelEntries }

    /// Names of ``entries``.
    public static var names: [String] { entries.map(\.name) }

    /// Names of ``allEntries``.
    public static var allNames: [String] { allEntries.map(\.name) }

    /// Builds target `name` in `dimension` (nil: its default dimension), with `options` for the targets of
    /// ``modelEntries``.
    ///
    /// Throws ``TargetError`` for an unknown name or a bad dimension or option, ``IOError`` (naming the file, line
    /// and column) for missing or malformed data files.
    public static func make(_ name: String, dimension: Int? = nil, options: TargetOptions = .init()) throws -> TargetSpec {
        guard let entry = allEntries.first(where: { $0.name == name }) else {
            throw TargetError("unknown target '\(name)'; known targets: \(allNames.joined(separator: ", "))")
        }
        if entry.name == "ionosphere" || entry.name == "sonar" || entry.name == "logistic-regression" {
            return try logisticRegression(entry.name, dimension: dimension, options: options)
        }
        let d = dimension ?? entry.defaultDimension
        if ["ising", "curie-weiss", "binary-data"].contains(name) { return try binaryTarget(name, dimension: dimension, options: options) }
        if options.mixturePath != nil && !name.hasSuffix("-mixture") {
            throw TargetError("--mixture applies to gaussian-mixture, binary-mixture and gamma-mixture, not '\(name)'")
        }
        guard d > 0 else { throw TargetError("dimension must be positive (got \(d))") }
        guard d <= 100_000_000 else { throw TargetError("dimension must be at most 1e8 (got \(d))") }
        if name == "gaussian" && d > 4096 {
            throw TargetError("target 'gaussian' stores a dense d × d covariance: dimension at most 4096 (got \(d))")
        }
        if entry.fixedDimension && d != entry.defaultDimension {
            throw TargetError("target '\(name)' has fixed dimension \(entry.defaultDimension) (got \(d))")
        }
        switch name {
        case "two-modes":
            let m = try twoModes(dimension: d)
            return TargetSpec(
                name: name, target: m, radius: 4.0 / 3.0 * Double(d).squareRoot(), tau: 0.05.squareRoot(),
                exactSampler: { m.sample(count: $0, seed: $1) }, mixture: m,
                parameters: ["weight_first_mode": 2.0 / 3.0, "variance": 0.05])
        case "8-gaussians":
            let means = (0..<8).map { i in [10 * Double.sin(Double(i) * .pi / 4), 10 * Double.cos(Double(i) * .pi / 4)] }
            let m = try GaussianMixture(weights: [Double](repeating: 1, count: 8), means: means,
                                        isotropicVariances: [Double](repeating: 0.7, count: 8))
            return TargetSpec(
                name: name, target: m, radius: 10, tau: 0.7.squareRoot(),
                exactSampler: { m.sample(count: $0, seed: $1) }, mixture: m, parameters: ["radius": 10, "variance": 0.7])
        case "rings":
            let r = Rings()
            return TargetSpec(
                name: name, target: r, radius: 4, tau: 0.15, exactSampler: { r.sample(count: $0, seed: $1) },
                parameters: ["rings": 4, "width": 0.15])
        case "funnel":
            let f = try Funnel(dimension: d)
            return TargetSpec(
                name: name, target: f, radius: 2.12, tau: 0, exactSampler: { f.sample(count: $0, seed: $1) },
                parameters: ["first_variance": 3])
        case "gaussian":
            let g = try MultivariateGaussian.autoregressive(dimension: d, correlation: 0.9)
            return TargetSpec(
                name: name, target: g, radius: Double(d).squareRoot(), tau: 0,
                exactSampler: { g.sample(count: $0, seed: $1) }, parameters: ["correlation": 0.9])
        case "correlated-gaussian":
            if d > 4096 { throw TargetError("target 'correlated-gaussian' stores a dense d × d covariance: dimension at most 4096 (got \(d))") }
            let g = try MultivariateGaussian.rotatedIllConditioned(dimension: d)
            let trace = (0..<d).reduce(0.0) { $0 + g.covariance[$1 * d + $1] }
            return TargetSpec(
                name: name, target: g, radius: trace.squareRoot(), tau: 0,
                exactSampler: { g.sample(count: $0, seed: $1) }, parameters: ["condition_number": 1e4])
        case "eight-schools":
            var spec = TargetSpec(name: name, target: EightSchools(), radius: 5, tau: 0)
            spec.coordinateNames = EightSchools.parameterNames
            return spec
        case "phi-four":
            return try phiFour(dimension: d, options: options)
        case "phi-four-laplace":
            return try phiFourLaplace(dimension: d, options: options)
        case "gaussian-mixture", "binary-mixture", "gamma-mixture":
            return try fileMixture(name, dimension: dimension, defaultDimension: d, options: options)
        default:
            fatalError("catalog entry without a builder: \(name)")
        }
    }

    /// The two-mode mixture of the benchmark (spec/slips.md §2, upstream `make_target(dim, a=1, centered=True)`).
    public static func twoModes(dimension d: Int) throws -> GaussianMixture {
        try GaussianMixture(
            weights: [2.0 / 3.0, 1.0 / 3.0],
            means: [[Double](repeating: -2.0 / 3.0, count: d), [Double](repeating: 4.0 / 3.0, count: d)],
            isotropicVariances: [0.05, 0.05])
    }

    /// `ionosphere`, `sonar` (the shipped splits) or `logistic-regression` (the user's splits): the posterior on
    /// the training split, with the test-split model for `mean_pred_log_prob` (spec/slips.md §2.3, §3).
    static func logisticRegression(_ name: String, dimension: Int?, options: TargetOptions) throws -> TargetSpec {
        let train: LogisticRegressionData, test: LogisticRegressionData
        if name == "logistic-regression" {
            guard let trainPath = options.trainPath, let testPath = options.testPath else {
                throw TargetError("target 'logistic-regression' needs a training and a test CSV file (train and test paths)")
            }
            (train, test) = try LogisticRegressionData.splits(trainPath: trainPath, testPath: testPath)
        } else {
            let directory = options.resolvedDataDirectory
            for split in ["train", "test"] {
                let path = (directory.hasSuffix("/") ? directory : directory + "/") + "\(name)_\(split).csv"
                guard access(path, R_OK) == 0 else {
                    throw IOError(path: path, message: "cannot read the \(name) \(split) split: set the data directory (or SLIPS_DATASETS) to the folder of \(name)_train.csv and \(name)_test.csv (the project ships them in data/slips_datasets)")
                }
            }
            (train, test) = try LogisticRegressionData.benchmark(name, directory: directory)
        }
        let model = try BayesianLogisticRegression(data: train, threshold: options.logisticThreshold)
        let testModel = try BayesianLogisticRegression(data: test, threshold: options.logisticThreshold)
        if let d = dimension, d != model.dimension {
            throw TargetError("target '\(name)' has dimension \(model.dimension) (\(train.featureCount) features + intercept; got \(d))")
        }
        var spec = TargetSpec(
            name: name, target: model, radius: 2.5, tau: 0,
            parameters: ["train_size": Double(train.count), "test_size": Double(test.count),
                         "features": Double(train.featureCount), "weight_prior_scale": 1, "intercept_prior_scale": 2.5,
                         "probability_threshold": options.logisticThreshold],
            testModel: testModel)
        spec.coordinateNames = (train.featureNames ?? (0..<train.featureCount).map { "x\($0)" }).map { "w[\($0)]" } + ["b"]
        return spec
    }

    /// `phi-four` on N = `dimension` sites (spec/slips.md §2.4): the reference `log(Z+/Z-)` is upstream's constant
    /// where one exists (N = 100, a = 0.1, β = 20, b ∈ {0, 0.025, 0.05, 0.075, 0.1}), else the Laplace value with
    /// the full log-determinant (the rule the constants follow), or none if the Laplace minima cannot be found.
    static func phiFour(dimension d: Int, options: TargetOptions) throws -> TargetSpec {
        let field = try PhiFour(sites: d, a: options.phiFourCoupling, b: options.phiFourField, beta: options.phiFourBeta)
        let laplace = try? field.laplace()
        var reference: PhiFourReference? = nil
        if field.isBenchmarkSetting, let c = PhiFour.targetEnergyDifference(b: field.b) {
            reference = PhiFourReference(site: field.modeSite, logZRatio: c, source: .upstreamConstant,
                                         textbookLaplaceLogZRatio: laplace?.logZRatio, field: field, laplace: laplace)
        } else if let laplace {
            reference = PhiFourReference(site: field.modeSite, logZRatio: laplace.logZRatioUpstream,
                                         source: .laplaceFullLogDeterminant, textbookLaplaceLogZRatio: laplace.logZRatio,
                                         field: field, laplace: laplace)
        }
        var parameters = ["a": field.a, "b": field.b, "beta": field.beta, "mode_site": Double(field.modeSite)]
        if let reference {
            parameters["target_en_diff"] = reference.logZRatio
            if let t = reference.textbookLaplaceLogZRatio { parameters["laplace_log_z_ratio_textbook"] = t }
        }
        return TargetSpec(name: "phi-four", target: field, radius: 4.5, tau: 0.2, parameters: parameters,
                          phiFourReference: reference)
    }

    /// `gaussian-mixture`, `binary-mixture` or `gamma-mixture`, from ``TargetOptions/mixturePath`` or the built-in
    /// default in `defaultDimension`. A file fixes the dimension; a `dimension` that disagrees is an error.
    static func fileMixture(_ name: String, dimension: Int?, defaultDimension d: Int, options: TargetOptions) throws -> TargetSpec {
        let file = try options.mixturePath.map { try MixtureFile(path: $0) }
        func checkDimension(_ actual: Int) throws {
            if let dimension, dimension != actual, let file {
                throw TargetError("\(file.path) describes a mixture in dimension \(actual) (got --dim \(dimension))")
            }
        }
        switch name {
        case "gaussian-mixture":
            let m: GaussianMixture
            if let file {
                try file.requireOnly(["weights", "means", "variances", "diagonal"])
                if file.has("variances") && file.has("diagonal") {
                    throw IOError(path: file.path, message: "give either 'variances' (isotropic) or 'diagonal', not both")
                }
                let means = try file.table("means")
                if file.has("diagonal") {
                    let v = try file.table("diagonal", rule: "variances must be positive") { $0 > 0 }
                    guard v[0].count == means[0].count else {
                        throw IOError(path: file.path, message: "field 'diagonal' has \(v[0].count) columns, 'means' \(means[0].count)")
                    }
                    m = try GaussianMixture(weights: file.weights, means: means, variances: v)
                } else {
                    let v = try file.perComponent("variances", rule: "variances must be positive") { $0 > 0 }
                    m = try GaussianMixture(weights: file.weights, means: means, isotropicVariances: v)
                }
            } else {
                m = try GaussianMixture(weights: [0.3, 0.7], means: [[Double](repeating: 6, count: d), [Double](repeating: -6, count: d)],
                                        isotropicVariances: [1, 1])
            }
            try checkDimension(m.dimension)
            let radius = (0..<m.componentCount).map { k in (0..<m.dimension).reduce(0.0) { $0 + m.means[k, $1] * m.means[k, $1] }.squareRoot() }.max()!
            return TargetSpec(
                name: name, target: m, radius: radius, tau: m.variances.storage.max()!.squareRoot(),
                exactSampler: { m.sample(count: $0, seed: $1) }, mixture: m, parameters: ["components": Double(m.componentCount)])
        case "binary-mixture":
            let m: BinaryProductMixture
            if let file {
                try file.requireOnly(["weights", "probabilities"])
                let p = try file.table("probabilities", rule: "probabilities must lie in [0, 1]") { $0 >= 0 && $0 <= 1 }
                m = try BinaryProductMixture(weights: file.weights, probabilities: p)
            } else {
                m = try BinaryProductMixture(weights: [0.3, 0.7], probabilities: [[Double](repeating: 0.8, count: d), [Double](repeating: 0.2, count: d)])
            }
            try checkDimension(m.dimension)
            return TargetSpec(
                name: name, target: m, radius: Double(m.dimension).squareRoot(), tau: 0,
                exactSampler: { m.sample(count: $0, seed: $1) }, parameters: ["components": Double(m.componentCount)],
                space: .binary, closedForm: m, exactMean: m.mean)
        default:
            let m: GammaProductMixture
            if let file {
                try file.requireOnly(["weights", "shapes", "rates"])
                let shapes = try file.table("shapes", rule: "shapes must be positive") { $0 > 0 }
                let rates = try file.table("rates", rule: "rates must be positive") { $0 > 0 }
                guard shapes[0].count == rates[0].count else {
                    throw IOError(path: file.path, message: "field 'rates' has \(rates[0].count) columns, 'shapes' \(shapes[0].count)")
                }
                m = try GammaProductMixture(weights: file.weights, shapes: shapes, rates: rates)
            } else {
                m = try GammaProductMixture(weights: [0.4, 0.6], shapes: [[Double](repeating: 2, count: d), [Double](repeating: 8, count: d)],
                                            rates: [[Double](repeating: 1, count: d), [Double](repeating: 2, count: d)])
            }
            try checkDimension(m.dimension)
            let mean = m.mean, variance = m.variance
            return TargetSpec(
                name: name, target: m, radius: mean.reduce(0) { $0 + $1 * $1 }.squareRoot(), tau: variance.max()!.squareRoot(),
                exactSampler: { m.sample(count: $0, seed: $1) }, parameters: ["components": Double(m.componentCount)],
                space: .nonNegative, closedForm: m)
        }
    }

    /// `phi-four-laplace`: the two-Gaussian Laplace stand-in of `phi-four` (docs/phi-four.md): means at the two energy
    /// minima, precisions `β ∇²U` there, weights `w+/w- = exp(c)` with the reference `c = log(Z+/Z-)` of the phi^4 metrics,
    /// so a perfect sampler of the stand-in scores `log(P̂+/P̂-) ≈ c`. Exact samples and a closed-form denoiser.
    static func phiFourLaplace(dimension d: Int, options: TargetOptions) throws -> TargetSpec {
        guard d <= 1024 else { throw TargetError("phi-four-laplace stores dense d × d covariances: at most 1024 sites (got \(d))") }
        let base = try phiFour(dimension: d, options: options)
        guard let reference = base.phiFourReference, let lap = reference.laplace, let field = reference.field else {
            throw TargetError("phi-four-laplace: the two phi^4 minima could not be found at these parameters (field, coupling, β)")
        }
        let c = reference.logZRatio, wPlus = 1 / (1 + Double.exp(-c))
        func precision(_ x: [Double]) -> [Double] {
            var h = [Double](repeating: 0, count: d * d)
            let cc = field.coupling
            for i in 0..<d {
                h[i * d + i] = field.beta * (2 * cc + (3 * x[i] * x[i] - 1) / cc)
                if i + 1 < d {
                    h[i * d + i + 1] = -field.beta * cc
                    h[(i + 1) * d + i] = -field.beta * cc
                }
            }
            return h
        }
        let m = try DenseGaussianMixture(weights: [wPlus, 1 - wPlus], means: [lap.positiveMinimum, lap.negativeMinimum],
                                         precisions: [precision(lap.positiveMinimum), precision(lap.negativeMinimum)])
        var parameters = base.parameters
        parameters["laplace_weight_plus"] = wPlus
        return TargetSpec(name: "phi-four-laplace", target: m, radius: base.radius, tau: base.tau,
                          exactSampler: { m.sample(count: $0, seed: $1) }, parameters: parameters,
                          phiFourReference: reference, closedForm: m)
    }
}

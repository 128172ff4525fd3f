import FoundationEssentials
import RealModule

/// The named experiments of `slips experiment` (DESIGN.md §4): each regenerates a table of a spec with a pass/fail
/// column per criterion, resumable through `runs.jsonl`.
public enum ExperimentCatalog {
    /// Name and one-line description of every experiment.
    public static let experiments: [(name: String, summary: String)] = [
        ("observation-processes",
         "seed 001's sampling schemes: stochastic localization through every observation process (Gaussian, DDPM grid, "
            + "linear, erasure, binary symmetric, Poisson) with exact and MCMC denoisers, and oracle SLIPS "
            + "(spec/denoising.md §6.5 T-e1, T-e4)"),
        ("two-networks",
         "seed 001's figures 1-2: stochastic localization on a two-Gaussian mixture with the exact denoiser, one trained "
            + "two-layer network and the two-network mixture, d = 2, 16, 64 (spec/denoising.md §6.5 T-e2, T-e3)"),
        ("jms-vs-sms",
         "seed 002's headline: mode weight against d for SMS, exact SMS, JMS and plain ULA at the same score budget, and JMS "
            + "against M (spec/denoising.md §4.6, T-c2, T-c3, T-b3)"),
        ("walk-jump-mixture",
         "walk-jump on a two-mode mixture with ULA (two steps) and MALA walks: jump and walk fractions and jump variance "
            + "against their closed forms (spec/denoising.md §2.5, T-a3)"),
        ("sms-stages",
         "Langevin SMS against exact ancestral SMS stage by stage, at the §4.6 settings and with a smaller step "
            + "(spec/denoising.md §4.7, T-c4)"),
        ("conditioning",
         "autocorrelation times of ULA on the joint density of M measurements (JMS) against SMS's conditionals, M = 1 … 64 "
            + "(spec/denoising.md §1.4, T-b2, T-c5)"),
        ("walk-jump-digits",
         "walk-jump with a single-noise denoiser learned on data/digits: jumps along three chains as image rows beside "
            + "real digits, and the classes each chain visits (spec/denoising.md §2.2)"),
        ("digits",
         "a two-layer denoiser trained on the 8×8 digits of data/digits, stochastic localization with it, an image grid "
            + "of samples beside real digits and memorisation checks"),
        ("binary-mixture",
         "the binary samplers on the product-Bernoulli test prior: one-stage DULA/DMALA, two-stage, discrete Langevin on p, "
            + "binary SMS against exact measurements, and the logistic denoiser's learning (spec/denoising.md §5.6, T-d2 … T-d5)"),
        ("binary-digits",
         "the digits of data/digits thresholded at 8: a logistic denoiser, one-stage and binary-SMS samples as an image grid, "
            + "Hamming distances to the training set (spec/denoising.md §5.4)"),
        ("phi-four-small",
         "phi^4 on 32 sites at small fields b ≤ 0.0035, where log(Z+/Z-) is O(1): a parallel-tempering reference and every "
            + "benchmark method at the quick settings (docs/phi-four.md)"),
    ]
}

/// One cell of the observation-processes experiment: a sampler configuration on a target, its metrics and the spec
/// criterion it is checked against.
public struct ObservationProcessCell: Sendable {
    /// Unique key in `runs.jsonl` (also the figure's file name).
    public let key: String
    public let process: String
    public let target: String
    public let dimension: Int
    public let sampler: String
    let settings: SamplerCatalog.Settings
    public let samples: Int
    /// The criterion, in words (empty: reported only).
    public let criterion: String
    let passes: @Sendable ([String: Double]) -> Bool
}

/// A finished cell, one line of `runs.jsonl`.
public struct ObservationProcessRecord: Codable, Sendable {
    public var key: String
    public var process: String
    public var target: String
    public var dimension: Int
    public var sampler: String
    public var denoiser: String
    public var samples: Int
    public var seed: UInt64
    public var metrics: [String: Double]
    public var criterion: String
    public var passed: Bool?
    public var gradientEvaluations: Int
    public var logDensityEvaluations: Int
    public var wallSeconds: Double
    public var date: String
    public var version: String?
    public var gitCommit: String?

    enum CodingKeys: String, CodingKey {
        case key, process, target, dimension, sampler, denoiser, samples, seed, metrics, criterion, passed, date, version
        case gitCommit = "git_commit"
        case gradientEvaluations = "gradient_evaluations"
        case logDensityEvaluations = "logdensity_evaluations"
        case wallSeconds = "wall_seconds"
    }
}

/// `slips experiment observation-processes`: stochastic localization through each observation process of
/// spec/denoising.md §6.2 against the exact law (T-e1, T-e4 of §6.5), oracle SLIPS and SLIPS itself (spec/slips.md),
/// as `runs.jsonl` (one line per cell, resumable), `table.md` (process × metric, criterion, pass) and one SVG per cell
/// (a 1-D marginal of the samples against exact draws; a PNG copy where `rsvg-convert` exists).
public struct ObservationProcessesExperiment {
    public var outputDirectory: String
    public var seed: UInt64 = 0
    public var threads: Int = ParallelBlocks.availableThreads

    public init(outputDirectory: String) { self.outputDirectory = outputDirectory }

    var runsPath: String { outputDirectory + "/runs.jsonl" }

    /// The cells, cheapest first.
    public static var cells: [ObservationProcessCell] {
        func settings(_ process: String? = nil, denoiser: String? = nil, grid: TimeGrid? = nil, steps: Int? = nil) -> SamplerCatalog.Settings {
            var s = SamplerCatalog.Settings()
            s.process = process
            s.denoiser = denoiser
            s.grid = grid
            s.steps = steps
            return s
        }
        let te1 = "T-e1: |p̂ - 0.3| ≤ 0.03 and within-mode variance in [0.9, 1.1]"
        let te1Check: @Sendable ([String: Double]) -> Bool = { m in
            (m["mode_weight_error"] ?? 1) <= 0.03 && (0.9...1.1).contains(m["within_mode_variance_ratio"] ?? 0)
        }
        var cells: [ObservationProcessCell] = []
        for d in [2, 16, 64] {
            cells.append(.init(key: "gaussian_exact_d\(d)", process: "gaussian (t X + W_t)", target: "gaussian-mixture",
                               dimension: d, sampler: "sl", settings: settings("gaussian"), samples: 4000,
                               criterion: te1, passes: te1Check))
        }
        cells.append(.init(key: "gaussian_ddpm_exact_d16", process: "gaussian, DDPM grid", target: "gaussian-mixture",
                           dimension: 16, sampler: "sl", settings: settings("gaussian", grid: .ddpm), samples: 4000,
                           criterion: te1, passes: te1Check))
        cells.append(.init(key: "linear_exact_d4", process: "linear (t A X + B_t, A 8 × 4)", target: "gaussian-mixture",
                           dimension: 4, sampler: "sl", settings: settings("linear"), samples: 4000,
                           criterion: "T-e4: |p̂ - 0.3| ≤ 0.03", passes: { ($0["mode_weight_error"] ?? 1) <= 0.03 }))
        for process in ["erasure", "binary"] {
            cells.append(.init(key: "\(process)_exact_d32", process: process == "erasure" ? "erasure" : "binary symmetric",
                               target: "binary-mixture", dimension: 32, sampler: "sl", settings: settings(process),
                               samples: 8000, criterion: "T-e4: |π̂₁ - 0.3| ≤ 0.02",
                               passes: { ($0["component_weight_error"] ?? 1) <= 0.02 }))
        }
        cells.append(.init(key: "poisson_exact_d4", process: "poisson", target: "gamma-mixture", dimension: 4, sampler: "sl",
                           settings: settings("poisson"), samples: 4000,
                           criterion: "T-e4: prior mean within 3 standard errors", passes: { ($0["prior_mean_z"] ?? 9) <= 3 }))
        cells.append(.init(key: "oracle_slips_d8", process: "gaussian α(t)X + σW_t (SLIPS schedule)", target: "two-modes",
                           dimension: 8, sampler: "slips", settings: settings(denoiser: "exact"), samples: 8192,
                           criterion: "oracle SLIPS: mode-weight error ≤ 0.02",
                           passes: { ($0["mode_weight_error"] ?? 1) <= 0.02 }))
        cells.append(.init(key: "slips_mcmc_d8_k256", process: "gaussian α(t)X + σW_t (SLIPS schedule), K = 256",
                           target: "two-modes", dimension: 8, sampler: "slips", settings: settings(steps: 256),
                           samples: 2048, criterion: "SLIPS: mode-weight error < 0.05",
                           passes: { ($0["mode_weight_error"] ?? 1) < 0.05 }))
        cells.append(.init(key: "gaussian_mcmc_d8", process: "gaussian (t X + W_t), MCMC denoiser", target: "two-modes",
                           dimension: 8, sampler: "sl", settings: settings("gaussian", denoiser: "mcmc"), samples: 1024,
                           criterion: "", passes: { _ in true }))
        return cells
    }

    /// Runs every cell not yet in `runs.jsonl`, then rewrites `table.md`; returns all records.
    public func run(log: (String) -> Void) throws -> [ObservationProcessRecord] {
        var records = try JSONLines.openLog(ObservationProcessRecord.self, directory: outputDirectory,
                                            what: "an experiment record", log: log)
        for cell in Self.cells where !records.contains(where: { $0.key == cell.key && $0.seed == seed }) {
            let record = try run(cell)
            try JSONLines.append(record, to: runsPath)
            records.append(record)
            log("\(cell.key): " + (record.passed.map { $0 ? "pass" : "FAIL" } ?? "reported")
                + " (\(String(format: "%.1f", record.wallSeconds)) s)")
        }
        try AtomicFile.write(text: Self.table(records), to: outputDirectory + "/table.md")
        return records
    }

    func run(_ cell: ObservationProcessCell) throws -> ObservationProcessRecord {
        let spec = try TargetCatalog.make(cell.target, dimension: cell.dimension)
        let sampler = try SamplerCatalog.make(cell.sampler, settings: cell.settings, target: spec)
        let set = try sampler.sample(spec.target, indices: 0..<cell.samples, seed: seed, threads: threads, progress: nil)
        var metrics = ReferenceMetrics.evaluate(set, target: spec, seed: seed)
        if let gamma = spec.closedForm as? GammaProductMixture {
            metrics["prior_mean_z"] = Self.priorMeanZ(set.points, mean: gamma.mean)
        }
        let exact = spec.exactSampler!(cell.samples, seed &+ 1)
        _ = try BenchmarkReport.write(Self.figure(cell, samples: set.points, exact: exact), outputDirectory + "/\(cell.key).svg")
        let denoiser = cell.settings.denoiser
            ?? (cell.sampler == "slips" ? "mcmc" : spec.closedForm == nil ? "mcmc" : "exact")
        return ObservationProcessRecord(
            key: cell.key, process: cell.process, target: cell.target, dimension: cell.dimension, sampler: sampler.name,
            denoiser: denoiser, samples: cell.samples, seed: seed, metrics: metrics, criterion: cell.criterion,
            passed: cell.criterion.isEmpty ? nil : cell.passes(metrics), gradientEvaluations: set.gradientEvaluations,
            logDensityEvaluations: set.logDensityEvaluations, wallSeconds: set.wallSeconds,
            date: iso8601(), version: SlipsVersion.version, gitCommit: SlipsVersion.gitCommit)
    }

    /// |mean of the coordinate-averaged samples - the prior's| in standard errors of that mean.
    static func priorMeanZ(_ x: Points, mean: [Double]) -> Double {
        let d = Double(x.dimension)
        let z = (0..<x.count).map { i in (0..<x.dimension).reduce(0.0) { $0 + x[i, $1] } / d }
        let m = z.reduce(0, +) / Double(z.count)
        let sd = (z.reduce(0.0) { $0 + ($1 - m) * ($1 - m) } / Double(z.count - 1)).squareRoot()
        return abs(m - mean.reduce(0, +) / d) / (sd / Double(z.count).squareRoot())
    }

    /// The marginal shown in a cell's figure: the projection on `1/√d` (continuous targets), the number of `+1`
    /// coordinates (binary) or the first coordinate (Gamma).
    static func marginal(_ x: Points, target: String) -> [Double] {
        (0..<x.count).map { i in
            switch target {
            case "binary-mixture": (0..<x.dimension).reduce(0.0) { $0 + (x[i, $1] > 0 ? 1 : 0) }
            case "gamma-mixture": x[i, 0]
            default: (0..<x.dimension).reduce(0.0) { $0 + x[i, $1] } / Double(x.dimension).squareRoot()
            }
        }
    }

    /// Histograms of the samples' and exact draws' marginals: 60 bins over the pooled range, or one bin per count of
    /// `+1` coordinates for binary targets.
    static func figure(_ cell: ObservationProcessCell, samples: Points, exact: Points) -> String {
        let a = marginal(samples, target: cell.target), b = marginal(exact, target: cell.target)
        let binary = cell.target == "binary-mixture"
        let lo = binary ? -0.5 : Swift.min(a.min()!, b.min()!), hi = binary ? Double(cell.dimension) + 0.5 : Swift.max(a.max()!, b.max()!)
        let bins = binary ? cell.dimension + 1 : 60, width = Swift.max(hi - lo, 1e-9) / Double(bins)
        func histogram(_ v: [Double]) -> [(x: Double, y: Double, error: Double)] {
            var counts = [Double](repeating: 0, count: bins)
            for x in v { counts[Swift.min(bins - 1, Count.int((x - lo) / width))] += 1 }
            return counts.enumerated().map { (lo + (Double($0.offset) + 0.5) * width, $0.element / (Double(v.count) * width), 0) }
        }
        let label = cell.target == "binary-mixture" ? "number of +1 coordinates"
            : cell.target == "gamma-mixture" ? "x0" : "⟨x, 1⟩/√d"
        return SVGChart.lines(
            title: "\(cell.process), \(cell.target) d = \(cell.dimension)", xLabel: label, yLabel: "density",
            series: [SVGChart.Series(name: "samples", points: histogram(a)), SVGChart.Series(name: "exact", points: histogram(b))])
    }

    /// The Markdown table: one row per cell, its headline metrics, the criterion and pass/fail.
    static func table(_ records: [ObservationProcessRecord]) -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.4g", $0) } ?? "–" }
        var s = "# Observation processes (spec/denoising.md §6)\n\n"
        s += "Stochastic localization through each observation process against the exact law. Regenerate with "
        s += "`slips experiment observation-processes --output DIR` (cells already in `runs.jsonl` are kept).\n\n"
        s += "| process | target | d | sampler | N | weight error | within-mode var. | component weight error | prior mean z | sliced W2 | evaluations/sample | time (s) | criterion | pass |\n"
        s += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        let order = ObservationProcessesExperiment.cells.map(\.key)
        for r in records.sorted(by: { (order.firstIndex(of: $0.key) ?? 99, $0.seed) < (order.firstIndex(of: $1.key) ?? 99, $1.seed) }) {
            let m = r.metrics
            let evaluations = (r.gradientEvaluations + r.logDensityEvaluations) / Swift.max(1, r.samples)
            s += "| \(r.process) | \(r.target) | \(r.dimension) | \(r.sampler) | \(r.samples) | \(f(m["mode_weight_error"])) "
            s += "| \(f(m["within_mode_variance_ratio"])) | \(f(m["component_weight_error"])) | \(f(m["prior_mean_z"])) "
            s += "| \(f(m["sliced_w2"])) | \(evaluations) | \(String(format: "%.1f", r.wallSeconds)) "
            s += "| \(r.criterion.isEmpty ? "–" : r.criterion.replacingOccurrences(of: "|", with: "\\|")) | \(r.passed.map { $0 ? "pass" : "**fail**" } ?? "–") |\n"
        }
        s += "\nThe MCMC row (plain `t X + W_t` from t = 0 with the MALA denoiser) is reported without a criterion: at t ≈ 0 "
        s += "the posterior is the target itself, so the warm-started chains settle in one mode and never leave it. SLIPS "
        s += "avoids this by starting at t_0 = ε, where the observation already separates the modes "
        s += "(spec/slips.md §1.5).\n"
        return s
    }
}

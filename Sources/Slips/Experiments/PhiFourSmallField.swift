import FoundationEssentials
import RealModule

/// A finished cell of the phi^4 small-field experiment: one method (or the reference) at one field b.
public struct PhiFourSmallFieldRecord: Codable, Sendable {
    public var key: String
    public var field: Double
    public var method: String
    /// `log(P̂+/P̂−)` and its standard error (count-based for the samplers, replica spread for the reference).
    public var logRatio: Double
    public var standardError: Double
    public var samples: Int
    public var metrics: [String: Double]
    public var wallSeconds: Double
    public var date: String
    public var version: String?

    enum CodingKeys: String, CodingKey {
        case key, field, method, samples, metrics, date, version
        case logRatio = "log_ratio"
        case standardError = "standard_error"
        case wallSeconds = "wall_seconds"
    }
}

/// `slips experiment phi-four-small`: phi^4 on N = 32 sites (a = 0.1, β = 20) at small fields
/// b ∈ {0, 0.0009, 0.002, 0.0025, 0.0035}, where `log(Z+/Z−)` is O(1) and a count of samples can measure it
/// (docs/phi-four.md, issue 20). The reference is a long parallel-tempering run (``ParallelTemperingEstimate``: 8
/// replicas × 16 levels, 200,000 sweeps after 20,000 of burn-in) next to the Laplace values; every benchmark method runs
/// at the quick settings (K = 128, S = 32, N = 512, seed 0, its default point) and is marked "within" when its estimate is
/// within two combined standard errors of the reference.
public struct PhiFourSmallFieldExperiment {
    public var outputDirectory: String
    public var seed: UInt64 = 0
    public var threads: Int = ParallelBlocks.availableThreads
    public static let fields: [Double] = [0, 0.0009, 0.002, 0.0025, 0.0035]
    public static let methods = ["slips", "rdmc", "oat", "smc", "ais", "mala"]
    public static let sites = 32

    public init(outputDirectory: String) { self.outputDirectory = outputDirectory }

    var runsPath: String { outputDirectory + "/runs.jsonl" }

    /// Runs every (b, method) not yet in `runs.jsonl`, the reference first, then writes `table.md`.
    public func run(log: (String) -> Void) throws -> [PhiFourSmallFieldRecord] {
        var records = try JSONLines.openLog(PhiFourSmallFieldRecord.self, directory: outputDirectory,
                                            what: "a phi^4 small-field record", log: log)
        for b in Self.fields {
            for method in ["reference"] + Self.methods where !records.contains(where: { $0.key == Self.key(b, method) }) {
                let record = try method == "reference" ? reference(b) : run(method, b)
                try JSONLines.append(record, to: runsPath)
                records.append(record)
                log(String(format: "b = %g, ", b) + method + String(format: ": log ratio %.3f ± %.3f (%.1f s)", record.logRatio,
                           record.standardError, record.wallSeconds))
            }
        }
        try AtomicFile.write(text: Self.table(records), to: outputDirectory + "/table.md")
        return records
    }

    static func key(_ b: Double, _ method: String) -> String { "b=\(b)|\(method)" }

    static func target(_ b: Double) throws -> TargetSpec {
        try TargetCatalog.make("phi-four", dimension: sites, options: TargetOptions(phiFourField: b))
    }

    func reference(_ b: Double) throws -> PhiFourSmallFieldRecord {
        let spec = try Self.target(b)
        let site = spec.phiFourReference?.site ?? Self.sites / 2
        let start = Date()
        let pt = ParallelTemperingEstimate()
        let r = try pt.fraction(spec.target, seed: seed, threads: threads) { x in x[site] > 0 }
        let p = Swift.min(Swift.max(r.mean, 1e-12), 1 - 1e-12)
        var metrics: [String: Double] = ["positive_fraction": r.mean, "minimum_swap_acceptance": r.swapAcceptance.min() ?? 0]
        if let lap = spec.phiFourReference?.laplace {
            metrics["laplace_half_log_det"] = lap.logZRatio
            metrics["laplace_full_log_det"] = lap.logZRatioUpstream
        }
        return PhiFourSmallFieldRecord(
            key: Self.key(b, "reference"), field: b, method: "reference", logRatio: Double.log(p / (1 - p)),
            standardError: r.standardError / (p * (1 - p)), samples: pt.replicas * pt.sweeps, metrics: metrics,
            wallSeconds: Date().timeIntervalSince(start), date: iso8601(),
            version: SlipsVersion.version)
    }

    func run(_ method: String, _ b: Double) throws -> PhiFourSmallFieldRecord {
        let spec = try Self.target(b)
        var s = SamplerCatalog.Settings()
        s.steps = method == "mala" ? 1000 : 128
        if method != "mala" { s.mcmcSteps = 32 }
        let sampler = try SamplerCatalog.make(method, settings: s, target: spec)
        let set = try sampler.sample(spec.target, indices: 0..<512, seed: seed, threads: threads, progress: nil)
        let metrics = ReferenceMetrics.evaluate(set, target: spec, seed: seed)
        let p = metrics["positive_fraction"] ?? 0
        // Count-based: SE of log(p/(1-p)) is 1/sqrt(N p (1-p)); an empty side gets the SE of one sample.
        let q = Swift.min(Swift.max(p, 0.5 / 512), 1 - 0.5 / 512)
        return PhiFourSmallFieldRecord(
            key: Self.key(b, method), field: b, method: sampler.name, logRatio: Double.log(q / (1 - q)),
            standardError: 1 / (512 * q * (1 - q)).squareRoot(), samples: 512, metrics: metrics,
            wallSeconds: set.wallSeconds, date: iso8601(), version: SlipsVersion.version)
    }

    /// One row per b: the references, then each method's estimate, marked when within 2 combined SE.
    static func table(_ records: [PhiFourSmallFieldRecord]) -> String {
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        var s = "# phi^4 at small fields (N = 32, a = 0.1, β = 20)\n\n"
        s += "Regenerate with `slips experiment phi-four-small --output DIR` (cells already in `runs.jsonl` are kept). "
        s += "Entries are log(P̂+/P̂−) ± standard error: the reference from parallel tempering (8 replicas × 16 levels, "
        s += "200,000 sweeps), the samplers from 512 samples at K = 128, S = 32, seed 0, their default point. "
        s += "**✓** marks an estimate within two combined standard errors of the reference.\n\n"
        s += "| b | reference (PT) | Laplace ½ log-det | Laplace full log-det | " + methods.joined(separator: " | ") + " |\n"
        s += "|---|---|---|---|" + methods.map { _ in "---" }.joined(separator: "|") + "|\n"
        for b in fields {
            guard let ref = records.first(where: { $0.field == b && $0.method == "reference" }) else { continue }
            s += "| \(b) | \(f(ref.logRatio)) ± \(f(ref.standardError)) | \(ref.metrics["laplace_half_log_det"].map(f) ?? "–") "
            s += "| \(ref.metrics["laplace_full_log_det"].map(f) ?? "–") |"
            for m in methods {
                guard let r = records.first(where: { $0.field == b && $0.key == key(b, m) }) else {
                    s += " – |"
                    continue
                }
                let within = abs(r.logRatio - ref.logRatio) <= 2 * (r.standardError * r.standardError + ref.standardError * ref.standardError).squareRoot()
                let loc = r.metrics["localised_fraction"].map { String(format: ", loc. %.2f", $0) } ?? ""
                s += " \(f(r.logRatio)) ± \(f(r.standardError))\(within ? " ✓" : "")\(loc) |"
            }
            s += "\n"
        }
        let total = records.reduce(0) { $0 + $1.wallSeconds }
        s += "\n`loc.` is the localised fraction (bulk magnetisation within 0.3 of a minimum's). Total wall time of the "
        s += String(format: "recorded cells: %.0f s; latest cell ", total) + (records.map(\.date).max() ?? "–") + ".\n"
        return s
    }
}

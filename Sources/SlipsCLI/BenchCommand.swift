import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Slips

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run the SLIPS benchmark: targets × samplers × hyper-parameter grids × seeds (resumable).",
        discussion: """
            Writes runs.jsonl (one record per run; a rerun skips finished cells), table.md (best grid point per \
            method, mean ± std over seeds, cost) and SVG figures (PNG too when rsvg-convert is installed). The table and \
            figures always cover every run of the folder for the profile: --targets, --algorithms, --seeds and \
            --best-from choose what to run, not what to report.

            Examples:
              slips bench --profile quick --output results/quick
              slips bench --profile paper --samples 512 --output results/paper-grid
              slips bench --profile paper --targets two_modes_dim_8 --algorithms slips_geometric_1_1 --output results/paper
              slips bench --profile paper --targets sonar --algorithms oat --chunks 16 --stop-after 7200 --output results/paper
            """
    )

    @Option(help: "Profile: quick (minutes) or paper (N=8192, K=1024, full grids, 3 seeds).")
    var profile: String = "quick"
    @Option(name: .shortAndLong, help: "Output directory.")
    var output: String
    @Option(help: "Comma-separated target ids to keep (default: the profile's). Known: \(BenchmarkTarget.all.map(\.id).joined(separator: ", ")).")
    var targets: String?
    @Option(help: "Comma-separated algorithms (default: the profile's). Known: \(BenchmarkAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")).")
    var algorithms: String?
    @Option(help: "Comma-separated seeds (default: the profile's).")
    var seeds: String?
    @Option(help: "Samples per run N (default: the profile's).")
    var samples: Int?
    @Option(name: .customLong("steps"), help: "K: grid points / temperatures / time steps (default: the profile's).")
    var gridPoints: Int?
    @Option(name: .customLong("best-from"), help: "Run only the best grid point per target and algorithm found in this runs.jsonl.")
    var bestFrom: String?
    @Flag(name: .customLong("equal-budget"), help: "Give every method the SLIPS gradient-evaluation budget per sample.")
    var equalBudget = false
    @Option(name: .customLong("data-dir"), help: "Directory of the Ionosphere/Sonar CSV files (default: $SLIPS_DATASETS, else the project's data/slips_datasets).")
    var dataDir: String?
    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?
    @Option(help: ArgumentHelp(
        "Split each SLIPS, RDMC and OAT cell into this many shards of its samples, each saved under chunks/ when it ends: an interrupted cell resumes at its first missing shard (the samples and metrics are those of the unsplit run).",
        valueName: "n"))
    var chunks: Int = 1
    @Option(name: .customLong("stop-after"), help: ArgumentHelp(
        "Start no cell or chunk after this many seconds, nor a chunk expected to end after it (by the longest chunk of its cell so far); rerun to go on.",
        valueName: "seconds"))
    var stopAfter: Double?
    @Flag(name: .customLong("report-only"), help: "Run nothing; only rebuild table.md and the figures from runs.jsonl.")
    var reportOnly = false
    @Option(name: .customLong("fill-from"), help: ArgumentHelp(
        "In table.md, fill each target and method without a run here from the best grid point of this runs.jsonl at its largest N, marked with that N (repeatable).",
        valueName: "runs.jsonl"))
    var fillFrom: [String] = []
    @Option(name: .customLong("quality-from"), help: ArgumentHelp(
        "In table.md, the phi^4 sample-quality section takes each best cell's quality metrics from the record of this runs.jsonl with the same target, method and grid point (e.g. a reduced-N rerun) where the cell's own record has none (repeatable).",
        valueName: "runs.jsonl"))
    var qualityFrom: [String] = []

    func run() throws {
        let start = Date()
        var p = try cliErrors { try BenchmarkProfile.named(profile) }
        if output.isEmpty { throw CLIError("--output must name a folder (got an empty name)") }
        if let t = threads, t < 1 || t > 4096 { throw CLIError("--threads must be in 1...4096 (got \(t))") }
        for (option, value) in [("--targets", targets), ("--algorithms", algorithms), ("--seeds", seeds)] {
            guard let value else { continue }
            let items = value.split(separator: ",", omittingEmptySubsequences: false)
            if value.split(separator: ",").isEmpty { throw CLIError("\(option) selects nothing (got '\(value)')") }
            if items.contains(where: \.isEmpty) { throw CLIError("\(option) has an empty item (got '\(value)')") }
            if Set(items).count != items.count { throw CLIError("\(option) names an item twice (got '\(value)')") }
        }
        if let t = targets {
            let ids = t.split(separator: ",").map(String.init)
            p.targets = try ids.map { id in
                guard let target = BenchmarkTarget.all.first(where: { $0.id == id }) else {
                    throw CLIError("unknown benchmark target '\(id)'; known: \(BenchmarkTarget.all.map(\.id).joined(separator: ", "))")
                }
                return target
            }
        }
        if let a = algorithms {
            p.algorithms = try a.split(separator: ",").map { name in
                guard let alg = BenchmarkAlgorithm(rawValue: String(name)) else {
                    throw CLIError("unknown algorithm '\(name)'; known: \(BenchmarkAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return alg
            }
        }
        if let s = seeds {
            p.seeds = try s.split(separator: ",").map {
                guard let v = UInt64($0) else { throw CLIError("--seeds must be comma-separated non-negative integers (got '\(s)')") }
                return v
            }
        }
        if let n = samples {
            guard n > 0 && n <= 1_000_000_000 else { throw CLIError("--samples must be in 1...1e9 (got \(n))") }
            p.samples = n
        }
        if let k = gridPoints {
            guard k >= 2 && k <= 100_000_000 else { throw CLIError("--steps must be in 2...1e8 (got \(k))") }
            p.gridPoints = k
        }
        p.equalBudget = equalBudget
        guard chunks >= 1 && chunks <= 1_000_000 else { throw CLIError("--chunks must be in 1...1e6 (got \(chunks))") }
        if let t = stopAfter, !(t >= 0 && t.isFinite) {
            throw CLIError("--stop-after must be a non-negative number of seconds (got \(t))")
        }
        if let path = bestFrom { p = try restrictToBest(p, path: path) }
        let fill = try fillFrom.flatMap { try fillRecords(p, path: $0) }  // read before any run: a bad path fails first
        let quality = try qualityFrom.flatMap { try recordsFile($0, option: "--quality-from") }
        let runner = BenchmarkRunner(profile: p, outputDirectory: output, threads: threads ?? ParallelBlocks.availableThreads,
                                     dataDirectory: dataDir, chunks: chunks, stopAfter: stopAfter)
        let full = try reportProfile(p)
        if !reportOnly && p.cells.isEmpty { throw CLIError("the selection runs no cell (check --targets, --algorithms, --seeds)") }
        var failed = 0
        let records = try cliErrors {
            try AtomicFile.createDirectory(output)
            try AtomicFile.checkWritable(path: output + "/table.md")
            if !reportOnly {
                _ = try runner.run { line in
                    if line.contains(": failed: ") { failed += 1 }
                    writeOutput(line + "\n")
                }
            }
            return try folderRecords(runner, reportProfile: full, runProfile: p)
        }
        let command = "slips " + CommandLine.arguments.dropFirst().joined(separator: " ")
        try cliErrors {
            let table = BenchmarkReport.markdown(records, profile: full, command: command,
                                                 wallSeconds: reportOnly ? nil : Date().timeIntervalSince(start),
                                                 fill: fill, fillSources: fillFrom, quality: quality, qualitySources: qualityFrom)
            try AtomicFile.write(text: table, to: output + "/table.md")
            let figures = try BenchmarkReport.figures(records, profile: full, directory: output, dataDirectory: dataDir)
            print("wrote \(output)/table.md" + (figures.isEmpty ? "" : " and \(figures.count) figure(s)"))
        }
        if failed > 0 { throw CLIError("\(failed) cell(s) failed (see the lines above); the table has the others") }
    }

    /// The profile table.md covers: the named profile at this invocation's K and budget mode, with every target,
    /// algorithm and grid point of it (plus any target or algorithm named beyond it), so that a run restricted by
    /// --targets, --algorithms, --seeds or --best-from, or one stopped by --stop-after, leaves the folder's table whole.
    func reportProfile(_ p: BenchmarkProfile) throws -> BenchmarkProfile {
        var full = try cliErrors { try BenchmarkProfile.named(profile) }
        full.gridPoints = p.gridPoints
        full.equalBudget = p.equalBudget
        full.targets += p.targets.filter { t in !full.targets.contains { $0.id == t.id } }
        full.algorithms += p.algorithms.filter { !full.algorithms.contains($0) }
        return full
    }

    /// Every record of the folder's runs.jsonl that belongs to a cell of `reportProfile` or `runProfile`, at --samples
    /// when given, else at every N in the folder (reduced-N grids of several sizes).
    func folderRecords(_ runner: BenchmarkRunner, reportProfile: BenchmarkProfile, runProfile: BenchmarkProfile) throws
        -> [BenchmarkRecord]
    {
        let existing = try runner.existingRecords()
        var keys = Set<String>()
        for n in samples.map({ [$0] }) ?? Array(Set(existing.map(\.samples))) {
            for q in [reportProfile, runProfile] {
                let prefix = BenchmarkRunner.keyPrefix(q, samples: n)
                keys.formUnion(q.cells.map { prefix + $0.key })
            }
        }
        return existing.filter { keys.contains($0.key) }
    }

    /// The records of another folder's runs.jsonl at this profile's K, S and budget mode (any N), for --fill-from.
    func fillRecords(_ p: BenchmarkProfile, path: String) throws -> [BenchmarkRecord] {
        try recordsFile(path, option: "--fill-from").filter {
            $0.key.hasPrefix(BenchmarkRunner.keyPrefix(p, samples: $0.samples))
        }
    }

    /// The records of the runs.jsonl named by `option`; a missing file is an error naming the option.
    func recordsFile(_ path: String, option: String) throws -> [BenchmarkRecord] {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(option): no such file '\(path)'") }
        let records = try cliErrors { try BenchmarkRunner.records(atPath: path, strict: true) }
        if records.isEmpty { throw CLIError("\(option): '\(path)' holds no benchmark record") }
        return records
    }

    /// Keeps, per target and algorithm, only the best grid point of an earlier (e.g. reduced-N) grid run.
    func restrictToBest(_ p: BenchmarkProfile, path: String) throws -> BenchmarkProfile {
        let bests = BenchmarkReport.best(try recordsFile(path, option: "--best-from"), targets: p.targets)
        var q = p
        q.restrictedGrid = Dictionary(uniqueKeysWithValues: bests.map { ("\($0.target)|\($0.algorithm)", $0.grid) })
        return q
    }
}

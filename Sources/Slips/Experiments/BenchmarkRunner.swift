import FoundationEssentials
import RealModule

/// Builds the benchmark targets from the catalog.
enum BenchmarkTargetBuilder {
    static func make(_ t: BenchmarkTarget, dataDirectory: String?) throws -> TargetSpec {
        switch t.group {
        case .toy, .funnel, .mixture:
            return try TargetCatalog.make(t.catalogName, dimension: t.dimension)
        case .logistic:
            return try TargetCatalog.make(t.catalogName, options: TargetOptions(dataDirectory: dataDirectory))
        case .phiFour:
            return try TargetCatalog.make(t.catalogName, dimension: t.dimension,
                                          options: TargetOptions(phiFourField: t.field ?? 0))
        }
    }
}

/// Builds the sampler of a benchmark cell (spec/slips.md §4.2 grids, §1.8 σ per method).
public enum BenchmarkSamplers {
    /// SLIPS gradient evaluations per sample at the profile's K and S (the equal-budget reference).
    public static func slipsBudget(_ profile: BenchmarkProfile) -> Int {
        Count.product(4, Count.sum(1, Count.product(50, profile.mcmcSteps),
                                   Count.product(1 + profile.mcmcSteps, Count.sum(10, profile.gridPoints))))
    }

    /// The sampler of one cell, built by ``SamplerCatalog`` from the cell's grid point and the profile's K and S.
    public static func make(
        _ algorithm: BenchmarkAlgorithm, grid: [String: Double], profile: BenchmarkProfile, target: TargetSpec
    ) throws -> any Sampler {
        var s = SamplerCatalog.Settings()
        s.steps = profile.gridPoints
        s.mcmcSteps = profile.mcmcSteps
        func build(_ name: String, mcmcSteps: Int? = nil) throws -> any Sampler {
            var t = s
            if let m = mcmcSteps { t.mcmcSteps = m }
            return try SamplerCatalog.make(name, settings: t, target: target)
        }
        let budget = slipsBudget(profile)
        switch algorithm {
        case .slipsClassic, .slipsGeometric11, .slipsGeometric21:
            s.epsilon = grid["epsilon"]!
            if algorithm == .slipsClassic {
                s.schedule = "classic"
                s.horizon = grid["T"]!
            } else {
                s.alpha1 = algorithm == .slipsGeometric21 ? 2 : 1
                s.epsilonEnd = grid["epsilon_end"]!
            }
            return try build("slips")
        case .mala, .hmc:
            // Reference chains at the SLIPS budget: 10 % warm-up, the rest sampling.
            let leapfrog = algorithm == .hmc ? 10 : 1
            let total = Swift.max(2, (budget - 1) / leapfrog)
            s.steps = total - total / 10
            s.warmup = total / 10
            s.stepSize = 0.01
            s.leapfrogSteps = leapfrog
            return try build(algorithm == .hmc ? "hmc" : "mala")
        case .smc, .ais, .rdmc, .oat:
            let name = algorithm.rawValue
            if algorithm == .rdmc { s.horizon = grid["T"]! }
            if algorithm == .oat {
                s.stepSize = grid["step_size"]!
                s.friction = grid["friction"]!
            }
            guard profile.equalBudget else { return try build(name) }
            // Equal budget: the S whose evaluation count per sample (gradients; OAT: log-densities, which it uses
            // only) is closest to the SLIPS budget, among those giving a valid configuration (OAT: at least one level).
            let steps = try closestSteps(to: budget) { m in
                guard let sampler = try? build(name, mcmcSteps: m) else { return nil }
                return sampler.expectedProgressUnits(samples: 1)
            }
            return try build(name, mcmcSteps: steps)
        }
    }

    /// The step count S ≥ 1 whose cost per sample is closest to `budget` (the smaller S on a tie). `cost` must be
    /// non-decreasing in S; it returns nil for an S that gives no valid configuration.
    static func closestSteps(to budget: Int, cost: (Int) -> Int?) throws -> Int {
        var best: (steps: Int, gap: Int)?
        var s = 1
        while true {
            if let c = cost(s) {
                let gap = abs(c - budget)
                if best == nil || gap < best!.gap { best = (s, gap) }
                if c >= budget { break }
            }
            s += 1
            if s > 1 << 16 {
                throw SamplerError("no MCMC step count S ≤ 65536 reaches the equal budget of \(budget) evaluations per sample")
            }
        }
        return best!.steps
    }
}

/// Runs a benchmark profile cell by cell, appending one JSON line per finished run to `runs.jsonl` in the output
/// directory; a rerun skips the cells already there (issue 3, item 4).
///
/// With `chunks > 1`, a cell whose samples depend only on the seed and their index
/// (``BenchmarkAlgorithm/shardsConcatenate``) runs as that many shards of its N samples, each saved under
/// `chunks/<cell>/` as soon as it ends (``BenchmarkChunk``); an interrupted cell resumes at its first missing
/// chunk, and its record — metrics of the concatenated samples, which are bitwise those of the unsplit run,
/// summed evaluations and wall time — is written when the last chunk is there. `stopAfter` ends an invocation
/// cleanly before a chunk or cell that would not fit, so a long cell can be spread over several sessions.
public struct BenchmarkRunner: Sendable {
    public var profile: BenchmarkProfile
    public var outputDirectory: String
    public var threads: Int
    public var dataDirectory: String?
    /// Shards per cell for the cells whose shards concatenate to the unsplit run; 1 runs every cell whole.
    public var chunks: Int
    /// When set, no cell or chunk is started once this many seconds of the invocation have passed, nor a chunk
    /// that would end after it, judged by the longest chunk of its cell so far.
    public var stopAfter: Double?

    public init(profile: BenchmarkProfile, outputDirectory: String, threads: Int, dataDirectory: String? = nil,
                chunks: Int = 1, stopAfter: Double? = nil) {
        self.profile = profile
        self.outputDirectory = outputDirectory
        self.threads = threads
        self.dataDirectory = dataDirectory
        self.chunks = chunks
        self.stopAfter = stopAfter
    }

    public var runsPath: String { outputDirectory + "/runs.jsonl" }

    /// The key of `cell` under this profile's run sizes.
    public func key(_ cell: BenchmarkCell) -> String {
        Self.keyPrefix(profile, samples: profile.samples) + cell.key
    }

    /// The run-size part of a record key: `N=…,K=…,S=…[,equal-budget]|`.
    public static func keyPrefix(_ profile: BenchmarkProfile, samples: Int) -> String {
        "N=\(samples),K=\(profile.gridPoints),S=\(profile.mcmcSteps)\(profile.equalBudget ? ",equal-budget" : "")|"
    }

    /// A record key as a file name: letters, digits, `.` and `-` kept, anything else `_`.
    static func fileName(_ key: String) -> String {
        String(key.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" })
    }

    /// Records already in `runs.jsonl` (malformed lines are reported, not silently skipped).
    public func existingRecords() throws -> [BenchmarkRecord] {
        guard FileManager.default.fileExists(atPath: runsPath) else { return [] }
        return try Self.records(atPath: runsPath)
    }

    /// The records of a JSON-lines file written by a benchmark run; a malformed line is an error naming it.
    /// The records of a `runs.jsonl`; a torn last line (an interrupted append) is skipped unless `strict`, for files the
    /// user names as input (`--best-from`, `--fill-from`), where every line must be a record.
    public static func records(atPath runsPath: String, strict: Bool = false) throws -> [BenchmarkRecord] {
        try JSONLines.read(BenchmarkRecord.self, path: runsPath, what: "a benchmark record", allowTornTail: !strict)
    }

    /// How many shards `cell` runs in: `chunks` when its shards concatenate to the unsplit run, else 1.
    public func chunkCount(_ cell: BenchmarkCell) -> Int {
        cell.algorithm.shardsConcatenate ? Swift.min(chunks, profile.samples) : 1
    }

    /// The folder of `cell`'s saved chunks.
    public func chunkDirectory(_ cell: BenchmarkCell) -> String {
        outputDirectory + "/chunks/" + Self.fileName(key(cell))
    }

    func chunkPath(_ cell: BenchmarkCell, index: Int, count: Int, ext: String) -> String {
        chunkDirectory(cell) + "/chunk-\(index)-of-\(count).\(ext)"
    }

    /// The saved chunk `index` of `cell`, or nil when it is not (completely) there: no metadata, or metadata whose
    /// samples file is gone (as in a checkout that did not carry the `.npy`), which is then rerun. A chunk file that
    /// does not belong to this cell and chunk split is an error naming it.
    public func savedChunk(_ cell: BenchmarkCell, index: Int) throws -> (chunk: BenchmarkChunk, points: Points)? {
        let n = chunkCount(cell)
        let meta = chunkPath(cell, index: index, count: n, ext: "json")
        let data = chunkPath(cell, index: index, count: n, ext: "npy")
        // The metadata is written after the samples, so a chunk is complete when its metadata exists, unless a
        // checkout carried the metadata without the samples.
        guard FileManager.default.fileExists(atPath: meta), FileManager.default.fileExists(atPath: data) else {
            return nil
        }
        let chunk: BenchmarkChunk
        do {
            chunk = try JSONDecoder().decode(BenchmarkChunk.self, from: Data(AtomicFile.read(path: meta)))
        } catch let e as IOError {
            throw e
        } catch {
            throw IOError(path: meta, message: "is not a benchmark chunk record (\(error))")
        }
        let points = try NPY.readPoints(path: data)
        let range = SamplingJob.shardIndices(samples: profile.samples, shard: (index, n))
        guard chunk.key == key(cell), chunk.chunk == index, chunk.chunks == n, chunk.firstIndex == range.lowerBound,
              chunk.samples == range.count, points.count == range.count
        else {
            throw IOError(path: meta, message: "does not describe chunk \(index) of \(n) of \(key(cell)) "
                + "(samples \(range.lowerBound)..<\(range.upperBound)); remove the folder to rerun the cell")
        }
        return (chunk, points)
    }

    /// Runs chunk `index` of `cell` (of ``chunkCount(_:)``) and saves its samples and counts under
    /// ``chunkDirectory(_:)``.
    @discardableResult
    public func runChunk(_ cell: BenchmarkCell, index: Int) throws -> BenchmarkChunk {
        let n = chunkCount(cell)
        let spec = try cell.target.makeSpec(dataDirectory: dataDirectory)
        let sampler = try BenchmarkSamplers.make(cell.algorithm, grid: cell.grid, profile: profile, target: spec)
        let indices = SamplingJob.shardIndices(samples: profile.samples, shard: (index, n))
        let date = iso8601()
        let set = try sampler.sample(spec.target, indices: indices, seed: cell.seed, threads: threads, progress: nil)
        let chunk = BenchmarkChunk(
            key: key(cell), chunk: index, chunks: n, firstIndex: set.firstIndex, samples: set.points.count,
            gradientEvaluations: set.gradientEvaluations, logDensityEvaluations: set.logDensityEvaluations,
            wallSeconds: set.wallSeconds, statistics: set.statistics, date: date,
            host: BenchmarkHost.description(threads: threads))
        try AtomicFile.createDirectory(chunkDirectory(cell))
        try NPY.write(set.points, to: chunkPath(cell, index: index, count: n, ext: "npy"))
        try AtomicFile.write(Array(try JSONLines.encoder().encode(chunk)),
                             to: chunkPath(cell, index: index, count: n, ext: "json"))
        return chunk
    }

    /// Runs every cell whose key is not yet in `runs.jsonl`; `log` receives one line per cell (and per chunk).
    @discardableResult
    public func run(log: (String) -> Void) throws -> [BenchmarkRecord] {
        let began = wallClock()
        func fits(_ seconds: Double) -> Bool { stopAfter.map { wallClock() - began + seconds <= $0 } ?? true }
        try AtomicFile.createDirectory(outputDirectory + "/samples")
        if FileManager.default.fileExists(atPath: runsPath), try JSONLines.repairTornTail(runsPath) {
            log("\(runsPath): dropped an incomplete last line (a run interrupted while writing it); that cell runs again")
        }
        var records = try existingRecords()
        let done = Set(records.map(\.key))
        let cells = profile.cells
        let todo = cells.filter { !done.contains(key($0)) }
        log("profile \(profile.name): \(cells.count) cells, \(cells.count - todo.count) already done, \(todo.count) to run")
        let date = iso8601()
        cellLoop: for (n, cell) in todo.enumerated() {
            guard fits(0) else {
                log("stopping: --stop-after \(stopAfter!) s reached, \(todo.count - n) cell(s) left")
                break
            }
            let tag = "[\(n + 1)/\(todo.count)] \(cell.key)"
            let spec: TargetSpec, sampler: any Sampler
            do {
                spec = try cell.target.makeSpec(dataDirectory: dataDirectory)
                sampler = try BenchmarkSamplers.make(cell.algorithm, grid: cell.grid, profile: profile, target: spec)
            } catch {
                log("\(tag): failed: \(error)")
                continue
            }
            var set: SampleSet
            var metrics: [String: Double]
            var cellDate = date, host = BenchmarkHost.description(threads: threads)
            do {
                let nChunks = chunkCount(cell)
                if nChunks == 1 {
                    let job = try SamplingJob(target: spec, sampler: sampler, samples: profile.samples, seed: cell.seed,
                                              threads: threads)
                    let result = try job.run()
                    (set, metrics) = (result.samples, result.summary.metrics)
                } else {
                    var parts: [(chunk: BenchmarkChunk, points: Points)?] = try (0..<nChunks).map {
                        try savedChunk(cell, index: $0)
                    }
                    let saved = parts.compactMap { $0 }.count
                    if saved > 0 { log("\(tag): \(saved) of \(nChunks) chunks already done") }
                    for k in 0..<nChunks where parts[k] == nil {
                        let longest = parts.compactMap { $0?.chunk.wallSeconds }.max() ?? 0
                        guard fits(longest) else {
                            log("stopping: the next chunk (about \(Int(longest.rounded())) s) would end after "
                                + "--stop-after \(stopAfter!) s; \(parts.filter { $0 == nil }.count) of \(nChunks) "
                                + "chunks of \(cell.key) and \(todo.count - n - 1) further cell(s) left")
                            break cellLoop
                        }
                        let chunk = try runChunk(cell, index: k)
                        // Read back, so that a record is always built from the saved chunks, resumed or not.
                        parts[k] = try savedChunk(cell, index: k)
                        log("\(tag): chunk \(k + 1)/\(nChunks) done, \(String(format: "%.1f", chunk.wallSeconds)) s")
                    }
                    set = Self.concatenate(parts.map { $0! })
                    metrics = ReferenceMetrics.evaluate(set, target: spec, seed: cell.seed)
                    cellDate = parts.map { $0!.chunk.date }.min()!
                    host = Array(Set(parts.map { $0!.chunk.host })).sorted().joined(separator: "; ")
                }
            } catch {
                log("\(tag): failed: \(error)")
                continue
            }
            var samplesFile: String?
            if spec.dimension == 2 {
                let name = "samples/" + Self.fileName(key(cell)) + ".npy"
                try NPY.write(set.points, to: outputDirectory + "/" + name)
                samplesFile = name
            }
            let record = BenchmarkRecord(
                key: key(cell), profile: profile.name, target: cell.target.id, group: cell.target.group,
                algorithm: cell.algorithm.rawValue, grid: cell.grid, seed: cell.seed, samples: set.points.count,
                dimension: spec.dimension, parameters: sampler.parameters, metrics: metrics, statistics: set.statistics,
                gradientEvaluations: set.gradientEvaluations, logDensityEvaluations: set.logDensityEvaluations,
                wallSeconds: set.wallSeconds, date: cellDate, samplesFile: samplesFile, host: host,
                chunks: chunkCount(cell) > 1 ? chunkCount(cell) : nil, settings: sampler.settings)
            try append(record)
            records.append(record)
            if chunkCount(cell) > 1 {
                // The record now holds the cell; its chunks, and the chunks/ folder once empty, go.
                try? FileManager.default.removeItem(atPath: chunkDirectory(cell))
                let folder = outputDirectory + "/chunks"
                if (try? FileManager.default.contentsOfDirectory(atPath: folder))?.isEmpty == true {
                    try? FileManager.default.removeItem(atPath: folder)
                }
            }
            let (metric, _) = cell.target.headlineMetric
            log("\(tag): \(metric) = \(record.metrics[metric].map { String($0) } ?? "n/a"), "
                + "\(set.gradientEvaluations / Swift.max(1, set.points.count)) grad/sample, "
                + "\(String(format: "%.1f", set.wallSeconds)) s")
        }
        return records.filter { r in cells.contains { key($0) == r.key } }
    }

    /// The chunks of one cell, in order, as one sample set: points concatenated, evaluations and wall seconds
    /// summed, each `mean_…` statistic averaged with the chunks' sample counts as weights, any other summed.
    static func concatenate(_ parts: [(chunk: BenchmarkChunk, points: Points)]) -> SampleSet {
        var points = parts[0].points
        for p in parts.dropFirst() { points.append(contentsOf: p.points) }
        var statistics: [String: Double] = [:]
        for key in Set(parts.flatMap { $0.chunk.statistics.keys }) {
            let mean = key.hasPrefix("mean_")
            let total = parts.reduce(0.0) { $0 + ($1.chunk.statistics[key] ?? 0) * (mean ? Double($1.chunk.samples) : 1) }
            statistics[key] = mean ? total / Double(points.count) : total
        }
        return SampleSet(
            points: points, firstIndex: 0, gradientEvaluations: parts.reduce(0) { $0 + $1.chunk.gradientEvaluations },
            logDensityEvaluations: parts.reduce(0) { $0 + $1.chunk.logDensityEvaluations },
            wallSeconds: parts.reduce(0) { $0 + $1.chunk.wallSeconds }, statistics: statistics)
    }

    /// Appends one record as a JSON line and flushes it to disk.
    func append(_ record: BenchmarkRecord) throws {
        try JSONLines.append(record, to: runsPath)
    }
}

import Foundation
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
        4 * ((1 + 50 * profile.mcmcSteps) + (1 + profile.mcmcSteps) * (10 + profile.gridPoints))
    }

    public static func make(
        _ algorithm: BenchmarkAlgorithm, grid: [String: Double], profile: BenchmarkProfile, target: TargetSpec
    ) throws -> any Sampler {
        func slips(_ schedule: any SNRSchedule, epsilonEnd: Double) -> SLIPSSampler {
            var c = SLIPSConfiguration(schedule: schedule, sigma: target.slipsSigma, epsilon: grid["epsilon"]!,
                                       epsilonEnd: epsilonEnd)
            c.gridPoints = profile.gridPoints
            c.mcmcSteps = profile.mcmcSteps
            c.keep = Swift.max(1, profile.mcmcSteps / 2)
            return SLIPSSampler(configuration: c)
        }
        let budget = slipsBudget(profile)
        switch algorithm {
        case .slipsClassic:
            return slips(try ClassicSchedule(horizon: grid["T"]!), epsilonEnd: 0)
        case .slipsGeometric11:
            return slips(try GeometricSchedule(alpha1: 1, alpha2: 1), epsilonEnd: grid["epsilon_end"]!)
        case .slipsGeometric21:
            return slips(try GeometricSchedule(alpha1: 2, alpha2: 1), epsilonEnd: grid["epsilon_end"]!)
        case .mala, .hmc:
            // Reference chains at the SLIPS budget: 10 % warm-up, the rest sampling.
            let leapfrog = algorithm == .hmc ? 10 : 1
            let total = Swift.max(2, (budget - 1) / leapfrog)
            return MCMCSampler(
                kernel: algorithm == .hmc ? .hmc(leapfrogSteps: leapfrog) : .mala, steps: total - total / 10,
                warmupSteps: total / 10, initialStepSize: 0.01, initialScale: target.slipsSigma)
        case .smc, .ais:
            func make(_ s: Int) -> any Sampler {
                if algorithm == .smc {
                    var c = SMCSampler.Configuration(target: target)
                    c.temperatures = profile.gridPoints
                    c.mcmcSteps = s
                    return SMCSampler(configuration: c)
                }
                var c = AISSampler.Configuration(target: target)
                c.temperatures = profile.gridPoints
                c.mcmcSteps = s
                return AISSampler(configuration: c)
            }
            // Equal budget: (K - 1)(S + 1) gradient evaluations per sample, S chosen closest to the SLIPS budget.
            return make(profile.equalBudget
                ? try closestSteps(to: budget) { make($0).expectedGradientEvaluations(samples: 1) } : profile.mcmcSteps)
        case .rdmc:
            var c = RDMCSampler.Configuration(horizon: grid["T"]!)
            c.gridPoints = profile.gridPoints
            c.mcmcSteps = profile.mcmcSteps
            if profile.equalBudget {
                // (K - 1 + 16) · 4 · (S + 1) gradient evaluations per sample, S closest to the SLIPS budget.
                c.mcmcSteps = try closestSteps(to: budget) { s in
                    var t = c
                    t.mcmcSteps = s
                    return RDMCSampler(configuration: t).expectedGradientEvaluations(samples: 1)
                }
            }
            return RDMCSampler(configuration: c)
        case .oat:
            var c = OATSampler.Configuration(target: target)
            c.gridPoints = profile.gridPoints
            c.stepSize = grid["step_size"]!
            c.effectiveFriction = grid["friction"]!
            c.mcmcSteps = profile.mcmcSteps
            if profile.equalBudget {
                // OAT uses log-density evaluations only, (M (L + 1) + 1)·2P with M ∝ K S and P ∝ S: the S whose
                // count is closest to the SLIPS budget in target evaluations, among those giving at least one level.
                c.mcmcSteps = try closestSteps(to: budget) { s in
                    var t = c
                    t.mcmcSteps = s
                    return t.levels >= 1 ? OATSampler(configuration: t).expectedLogDensityEvaluations(samples: 1) : nil
                }
            }
            return OATSampler(configuration: c)
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
public struct BenchmarkRunner: Sendable {
    public var profile: BenchmarkProfile
    public var outputDirectory: String
    public var threads: Int
    public var dataDirectory: String?

    public init(profile: BenchmarkProfile, outputDirectory: String, threads: Int, dataDirectory: String? = nil) {
        self.profile = profile
        self.outputDirectory = outputDirectory
        self.threads = threads
        self.dataDirectory = dataDirectory
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

    /// Records already in `runs.jsonl` (malformed lines are reported, not silently skipped).
    public func existingRecords() throws -> [BenchmarkRecord] {
        guard FileManager.default.fileExists(atPath: runsPath) else { return [] }
        return try Self.records(atPath: runsPath)
    }

    /// The records of a JSON-lines file written by a benchmark run; a malformed line is an error naming it.
    public static func records(atPath runsPath: String) throws -> [BenchmarkRecord] {
        let text = try String(contentsOfFile: runsPath, encoding: .utf8)
        let decoder = JSONDecoder()
        var out: [BenchmarkRecord] = []
        for (i, line) in text.split(separator: "\n").enumerated() where !line.isEmpty {
            do {
                out.append(try decoder.decode(BenchmarkRecord.self, from: Data(line.utf8)))
            } catch {
                throw IOError(path: runsPath, message: "line \(i + 1) is not a benchmark record (\(error))")
            }
        }
        return out
    }

    /// Runs every cell whose key is not yet in `runs.jsonl`; `log` receives one line per cell.
    @discardableResult
    public func run(log: (String) -> Void) throws -> [BenchmarkRecord] {
        try FileManager.default.createDirectory(atPath: outputDirectory + "/samples", withIntermediateDirectories: true)
        var records = try existingRecords()
        let done = Set(records.map(\.key))
        let cells = profile.cells
        let todo = cells.filter { !done.contains(key($0)) }
        log("profile \(profile.name): \(cells.count) cells, \(cells.count - todo.count) already done, \(todo.count) to run")
        let date = ISO8601DateFormatter().string(from: Date())
        for (n, cell) in todo.enumerated() {
            let spec = try cell.target.makeSpec(dataDirectory: dataDirectory)
            let sampler = try BenchmarkSamplers.make(cell.algorithm, grid: cell.grid, profile: profile, target: spec)
            let job = try SamplingJob(target: spec, sampler: sampler, samples: profile.samples, seed: cell.seed, threads: threads)
            let result: (samples: SampleSet, summary: RunSummary)
            do {
                result = try job.run()
            } catch {
                log("[\(n + 1)/\(todo.count)] \(cell.key): failed: \(error)")
                continue
            }
            var samplesFile: String?
            if spec.dimension == 2 {
                let name = "samples/" + key(cell).map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" } + ".npy"
                try NPY.write(result.samples.points, to: outputDirectory + "/" + name)
                samplesFile = name
            }
            let s = result.summary
            let record = BenchmarkRecord(
                key: key(cell), profile: profile.name, target: cell.target.id, group: cell.target.group,
                algorithm: cell.algorithm.rawValue, grid: cell.grid, seed: cell.seed, samples: s.samples,
                dimension: s.dimension, parameters: s.parameters, metrics: s.metrics, statistics: s.statistics,
                gradientEvaluations: s.gradientEvaluations, logDensityEvaluations: s.logDensityEvaluations,
                wallSeconds: s.wallSeconds, date: date, samplesFile: samplesFile,
                host: BenchmarkHost.description(threads: threads))
            try append(record)
            records.append(record)
            let (metric, _) = cell.target.headlineMetric
            log("[\(n + 1)/\(todo.count)] \(cell.key): \(metric) = \(record.metrics[metric].map { String($0) } ?? "n/a"), "
                + "\(s.gradientEvaluations / Swift.max(1, s.samples)) grad/sample, \(String(format: "%.1f", s.wallSeconds)) s")
        }
        return records.filter { r in cells.contains { key($0) == r.key } }
    }

    /// Appends one record as a JSON line and flushes it to disk.
    func append(_ record: BenchmarkRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        if !FileManager.default.fileExists(atPath: runsPath) {
            _ = FileManager.default.createFile(atPath: runsPath, contents: nil)
        }
        guard let h = FileHandle(forWritingAtPath: runsPath) else {
            throw IOError(path: runsPath, message: "cannot open for appending")
        }
        defer { try? h.close() }
        try h.seekToEnd()
        try h.write(contentsOf: line)
        try h.synchronize()
    }
}

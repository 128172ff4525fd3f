import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Slips

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the shards of one `slips sample --shard` run (.npy or .csv) into the unsharded output.",
        discussion: """
            Each shard's sidecar (OUTPUT.shard.json, written by slips sample --shard) is checked: one version, target, \
            sampler, parameters and seed, and every sample index exactly once. The shards are joined in index order, \
            whatever the order given.

            Example:
              slips sample --target two-modes --samples 8192 --shard 0/2 --output s0.npy
              slips sample --target two-modes --samples 8192 --shard 1/2 --output s1.npy
              slips merge s0.npy s1.npy --output s.npy --summary s.json
            """
    )

    @Argument(help: "Shard files (any order).")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Merged output file (.npy or .csv).")
    var output: String

    @Option(help: "Output format: npy or csv (default: from the output file's extension, else npy).")
    var format: OutputFormat?

    @Option(help: "Write a JSON summary of the merged run (summed costs; metrics are not recomputed).")
    var summary: String?

    func run() throws {
        try cliErrors {
            guard !inputs.isEmpty else { throw CLIError("merge needs at least one input file") }
            let fmt = format ?? OutputFormat(path: output)
            let written = [("--output", output)] + (summary.map { [("--summary", $0)] } ?? [])
            let read = inputs.flatMap { [("shard", $0), ("shard sidecar", RunSummary.shardSidecarPath($0))] }
            try AtomicFile.requireDistinct(outputs: written, inputs: read)
            for (_, path) in written { try AtomicFile.checkWritable(path: path) }
            let shards = try inputs.map { ($0, try Self.sidecar(of: $0)) }.sorted { $0.1.firstIndex < $1.1.firstIndex }
            try Self.checkCoverage(shards)
            // Everything is read and checked before anything is written.
            let first = shards[0].1
            var merged = Points(count: 0, dimension: first.dimension)
            for (path, s) in shards {
                let p = path.lowercased().hasSuffix(".csv") ? try CSV.readPoints(path: path) : try NPY.readPoints(path: path)
                guard p.count == s.samples, p.dimension == s.dimension else {
                    throw CLIError("\(path): holds \(p.count) × \(p.dimension) values, its sidecar says \(s.samples) × \(s.dimension)")
                }
                guard p.isFinite else { throw CLIError("\(path): holds a non-finite value (NaN or infinity)") }
                merged.append(contentsOf: p)
            }
            let summaryBytes = try summary.map { _ in try Self.mergedSummary(shards.map(\.1)) }
            try fmt.write(merged, to: output)
            if let path = summary, let bytes = summaryBytes { try AtomicFile.write(bytes, to: path) }
            print("merged \(shards.count) shards, \(merged.count) samples of dimension \(merged.dimension) into \(output)")
        }
    }

    /// The sidecar of a shard, with its fields checked for sense.
    static func sidecar(of path: String) throws -> RunSummary {
        let sidecarPath = RunSummary.shardSidecarPath(path)
        guard FileManager.default.fileExists(atPath: sidecarPath) else {
            throw CLIError("\(path): no \(sidecarPath); merge joins the outputs of slips sample --shard, which writes it")
        }
        let bytes = try AtomicFile.read(path: sidecarPath)
        guard let s = try? JSONDecoder().decode(RunSummary.self, from: Data(bytes)) else {
            throw CLIError("\(sidecarPath): not a shard sidecar")
        }
        let parts = s.shard.split(separator: "/").map { Int($0) }
        guard parts.count == 2, let k = parts[0], let n = parts[1], k >= 0, k < n, s.dimension >= 1, s.samples >= 0,
              s.firstIndex >= 0, s.totalSamples >= 1, s.samples <= s.totalSamples, s.firstIndex <= s.totalSamples - s.samples,
              s.gradientEvaluations >= 0, s.logDensityEvaluations >= 0, s.wallSeconds.isFinite, s.wallSeconds >= 0 else {
            throw CLIError("\(sidecarPath): inconsistent shard sidecar (shard, sizes, counts or times out of range)")
        }
        if let h = s.configurationHash, h != s.computedConfigurationHash {
            throw CLIError("\(sidecarPath): its configuration hash \(h) does not match its fields (the file was edited)")
        }
        let range = SamplingJob.shardIndices(samples: s.totalSamples, shard: (k, n))
        guard range.lowerBound == s.firstIndex, range.count == s.samples else {
            throw CLIError("\(sidecarPath): shard \(s.shard) of \(s.totalSamples) samples covers \(range), not \(s.firstIndex)..<\(s.firstIndex + s.samples)")
        }
        return s
    }

    /// One run, every index of `[0, total)` exactly once.
    static func checkCoverage(_ shards: [(String, RunSummary)]) throws {
        let (firstPath, first) = shards[0]
        var next = 0
        for (path, s) in shards {
            guard s.sameRun(as: first) else {
                throw CLIError("\(path): shard \(s.shard) is from another run than \(firstPath) (version, target, sampler, parameters or seed differ)")
            }
            guard s.firstIndex == next else {
                throw CLIError(s.firstIndex < next
                    ? "\(path): shard \(s.shard) repeats sample indices from \(s.firstIndex)"
                    : "samples \(next)..<\(s.firstIndex) are missing (no shard starts at index \(next))")
            }
            next = s.firstIndex + s.samples
        }
        guard next == first.totalSamples else {
            throw CLIError("samples \(next)..<\(first.totalSamples) are missing: the run has \(first.totalSamples) samples")
        }
    }

    /// The shards' summary with the whole run's counts, summed costs, and no metrics (they were per shard).
    static func mergedSummary(_ shards: [RunSummary]) throws -> [UInt8] {
        var s = shards[0]
        s.metrics = [:]
        s.shard = "0/1"
        s.firstIndex = 0
        s.samples = s.totalSamples
        s.configurationHash = s.computedConfigurationHash  // the unsharded run's
        s.gradientEvaluations = shards.reduce(0) { Count.sum($0, $1.gradientEvaluations) }
        s.logDensityEvaluations = shards.reduce(0) { Count.sum($0, $1.logDensityEvaluations) }
        s.wallSeconds = shards.reduce(0) { $0 + $1.wallSeconds }
        guard s.wallSeconds.isFinite, s.gradientEvaluations < Count.saturated, s.logDensityEvaluations < Count.saturated else {
            throw CLIError("the shards' evaluation counts or wall times do not add up to finite numbers")
        }
        s.gradientEvaluationsPerSample = Double(s.gradientEvaluations) / Double(Swift.max(1, s.samples))
        s.gradientEvaluationsPerSecond = Double(s.gradientEvaluations) / Swift.max(s.wallSeconds, 1e-9)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(s))
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case npy, csv

    init(path: String) { self = path.lowercased().hasSuffix(".csv") ? .csv : .npy }

    func write(_ points: Points, to path: String) throws {
        switch self {
        case .npy: try NPY.write(points, to: path)
        case .csv: try CSV.write(points, header: (0..<points.dimension).map { "x\($0)" }, to: path)
        }
    }
}

import ArgumentParser
import Foundation
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
            try AtomicFile.checkWritable(path: output)
            if let s = summary {
                try AtomicFile.checkWritable(path: s)
                if SampleCommand.samePath(s, output) { throw CLIError("--summary and --output name the same file '\(s)'") }
            }
            for input in inputs where SampleCommand.samePath(input, output) {
                throw CLIError("--output '\(output)' is also an input")
            }
            let shards = try inputs.map { path -> (path: String, sidecar: RunSummary) in
                let sidecarPath = RunSummary.shardSidecarPath(path)
                guard FileManager.default.fileExists(atPath: sidecarPath) else {
                    throw CLIError("\(path): no \(sidecarPath); merge joins the outputs of slips sample --shard, which writes it")
                }
                let bytes = try AtomicFile.read(path: sidecarPath)
                guard let s = try? JSONDecoder().decode(RunSummary.self, from: Data(bytes)) else {
                    throw CLIError("\(sidecarPath): not a shard sidecar")
                }
                return (path, s)
            }.sorted { $0.sidecar.firstIndex < $1.sidecar.firstIndex }
            let first = shards[0].sidecar
            var next = 0
            for (path, s) in shards {
                guard s.sameRun(as: first) else {
                    throw CLIError("\(path): shard \(s.shard) is from another run than \(shards[0].path) (version, target, sampler, parameters or seed differ)")
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
            var merged = Points(count: 0, dimension: first.dimension)
            for (path, s) in shards {
                let p = path.lowercased().hasSuffix(".csv") ? try CSV.readPoints(path: path) : try NPY.readPoints(path: path)
                guard p.count == s.samples, p.dimension == s.dimension else {
                    throw CLIError("\(path): holds \(p.count) × \(p.dimension) values, its sidecar says \(s.samples) × \(s.dimension)")
                }
                merged.append(contentsOf: p)
            }
            try fmt.write(merged, to: output)
            if let path = summary { try writeSummary(shards.map(\.sidecar), to: path) }
            print("merged \(shards.count) shards, \(merged.count) samples of dimension \(merged.dimension) into \(output)")
        }
    }

    /// The shards' summary with the whole run's counts, summed costs, and no metrics (they were per shard).
    func writeSummary(_ shards: [RunSummary], to path: String) throws {
        var s = shards[0]
        s.metrics = [:]
        s.shard = "0/1"
        s.firstIndex = 0
        s.samples = s.totalSamples
        s.gradientEvaluations = shards.reduce(0) { $0 + $1.gradientEvaluations }
        s.logDensityEvaluations = shards.reduce(0) { $0 + $1.logDensityEvaluations }
        s.wallSeconds = shards.reduce(0) { $0 + $1.wallSeconds }
        s.gradientEvaluationsPerSample = Double(s.gradientEvaluations) / Double(Swift.max(1, s.samples))
        s.gradientEvaluationsPerSecond = Double(s.gradientEvaluations) / Swift.max(s.wallSeconds, 1e-9)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(s)), to: path)
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

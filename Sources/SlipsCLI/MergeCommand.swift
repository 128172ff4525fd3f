import ArgumentParser
import Slips

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Concatenate shard outputs (.npy or .csv, in the order given) into one file.",
        discussion: """
            Example:
              slips sample --target two-modes --samples 8192 --shard 0/2 --output s0.npy
              slips sample --target two-modes --samples 8192 --shard 1/2 --output s1.npy
              slips merge s0.npy s1.npy --output s.npy
            """
    )

    @Argument(help: "Shard files, in shard order.")
    var inputs: [String]

    @Option(name: .shortAndLong, help: "Merged output file (.npy or .csv).")
    var output: String

    @Option(help: "Output format: npy or csv (default: from the output file's extension, else npy).")
    var format: OutputFormat?

    func run() throws {
        try cliErrors {
            guard !inputs.isEmpty else { throw CLIError("merge needs at least one input file") }
            let fmt = format ?? OutputFormat(path: output)
            try AtomicFile.checkWritable(path: output)
            var merged: Points?
            for path in inputs {
                let p = path.hasSuffix(".csv") ? try CSV.readPoints(path: path) : try NPY.readPoints(path: path)
                if merged == nil {
                    merged = p
                } else if merged!.dimension != p.dimension {
                    throw CLIError("\(path): dimension \(p.dimension) differs from the first input's \(merged!.dimension)")
                } else {
                    merged!.append(contentsOf: p)
                }
            }
            try fmt.write(merged!, to: output)
            print("merged \(inputs.count) files, \(merged!.count) samples of dimension \(merged!.dimension) into \(output)")
        }
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

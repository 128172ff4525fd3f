import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Slips

struct DiagnoseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "Convergence diagnostics of MCMC draws: R-hat, bulk and tail ESS, MCSE, divergences, E-BFMI.",
        discussion: """
            DRAWS is a .npy array (chains, draws, d) or (chains, draws), e.g. from `slips sample --draws`. The table has \
            ArviZ's columns and values (rank-normalised split R-hat, bulk/tail ESS, MCSE of the mean and sd; Vehtari \
            et al. 2021); warnings follow for R-hat > 1.01, ESS below 100 per chain, divergences, trees at the maximum \
            depth and E-BFMI below 0.3 (these need --stats).

            Examples:
              slips diagnose d.npy --stats d.stats.npz
              slips diagnose d.npy --plot plots --json d.diagnostics.json
            """
    )

    @Argument(help: "Draws: .npy of shape (chains, draws, d) or (chains, draws).")
    var draws: String
    @Option(help: "Sample statistics (.npz with arrays (chains, draws): diverging, energy, tree_depth, …).")
    var stats: String?
    @Option(name: .customLong("max-tree-depth"), help: "The NUTS maximum tree depth of the run (default 10), for the saturation warning.")
    var maxTreeDepth: Int = 10
    @Option(help: "Write trace.svg and rank.svg of the first four parameters into this directory.")
    var plot: String?
    @Option(help: "Write the table (with the MCSE of the 5 % and 95 % quantiles) and warnings as JSON here.")
    var json: String?

    func run() throws {
        let (shape, values) = try cliErrors { try NPY.read(path: draws) }
        guard shape.count == 2 || shape.count == 3 else {
            throw CLIError("\(draws): draws must be an array (chains, draws, d) or (chains, draws); got shape (\(shape.map(String.init).joined(separator: ", ")))")
        }
        let chains = shape[0], n = shape[1], d = shape.count == 3 ? shape[2] : 1
        guard chains > 0, n > 0, d > 0 else { throw CLIError("\(draws): empty draws (shape \(shape))") }
        guard maxTreeDepth >= 1 && maxTreeDepth <= 30 else { throw CLIError("--max-tree-depth must be in 1...30 (got \(maxTreeDepth))") }
        var sampleStats: [String: [Double]] = [:]
        if let path = stats {
            let arrays = try cliErrors { try NPZ.read(path: path) }
            for (name, a) in arrays {
                guard a.shape == [chains, n] else {
                    throw CLIError("\(path): statistic '\(name)' has shape \(a.shape), the draws have \(chains) chains × \(n) draws")
                }
                sampleStats[name] = a.values
            }
        }
        let outputs = [("--json", json)].compactMap { o, p in p.map { (o, $0) } }
        try cliErrors {
            try AtomicFile.requireDistinct(outputs: outputs, inputs: [("DRAWS", draws)] + (stats.map { [("--stats", $0)] } ?? []))
            for (_, p) in outputs { try AtomicFile.checkWritable(path: p) }
            if let dir = plot { try AtomicFile.createDirectory(dir) }
        }
        let summary = DrawsSummary(values: values, chains: chains, draws: n, dimension: d, sampleStats: sampleStats,
                                   maxTreeDepth: sampleStats["tree_depth"] != nil ? maxTreeDepth : nil)
        print("\(chains) chains × \(n) draws, d = \(d)")
        print(summary.table())
        if let b = summary.bfmi { print("E-BFMI per chain: " + b.map { String(format: "%.3f", $0) }.joined(separator: ", ")) }
        if let k = summary.divergences { print("divergences: \(k)") }
        for w in summary.warnings { print("warning: \(w)") }
        if summary.warnings.isEmpty { print("no warnings") }
        try cliErrors {
            if let dir = plot {
                try AtomicFile.write(text: DrawsPlots.trace(values, chains: chains, draws: n, dimension: d), to: dir + "/trace.svg")
                try AtomicFile.write(text: DrawsPlots.rank(values, chains: chains, draws: n, dimension: d), to: dir + "/rank.svg")
            }
            if let path = json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try AtomicFile.write(Array(try encoder.encode(DrawsSummary.Report(summary))), to: path)
            }
        }
    }
}


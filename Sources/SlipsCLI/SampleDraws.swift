import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Slips

extension SampleCommand {
    /// `slips sample --sampler mala|ula|hmc|nuts|dula|dmala --draws D`: a few long chains kept as draws, their statistics
    /// and diagnostics.
    func runDraws() throws {
        let job = try cliErrors { try makeDrawsJob() }
        let statsPath = stats ?? Self.statsPath(output)
        let written = [("--output", output), ("--stats", statsPath)]
            + [("--summary", summary), ("--plot", plot)].compactMap { o, p in p.map { (o, $0) } }
        try cliErrors {
            try AtomicFile.requireDistinct(outputs: written, inputs: [])
            for (_, path) in written { try AtomicFile.checkWritable(path: path) }
        }
        let result = try withProgress(label: job.sampler.name, total: job.expectedProgressUnits, quiet: quiet,
                                      unit: job.sampler.maxTreeDepth == nil ? nil : "draws/s") { try job.run(progress: $0) }
        let r = result.draws
        try cliErrors {
            try NPY.write(values: r.values, shape: [r.chains, r.draws, r.dimension], to: output)
            let names = r.sampleStats.keys.sorted()
            try NPZ.write(names.map { ($0, r.sampleStats[$0]!, [r.chains, r.draws]) }, to: statsPath)
            if let s = summary {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try AtomicFile.write(Array(try encoder.encode(result.summary)), to: s)
            }
            if let p = plot {
                try AtomicFile.write(text: DrawsPlots.trace(r.values, chains: r.chains, draws: r.draws, dimension: r.dimension,
                                                            names: job.target.coordinateNames), to: p)
            }
        }
        let s = result.summary
        print("target \(s.target) (d = \(s.dimension)), sampler \(s.sampler), \(r.chains) chains × \(r.draws) draws"
              + (job.thin > 1 ? " (thin \(job.thin))" : "") + ", seed \(s.seed)")
        print("gradient evaluations \(r.gradientEvaluations) (warm-up \(r.warmupGradientEvaluations)) in "
              + String(format: "%.3g s", r.wallSeconds))
        print(result.diagnostics.table())
        for (k, v) in s.statistics.sorted(by: { $0.key < $1.key }) { print("  \(k) = \(String(format: "%.4g", v))") }
        for (k, v) in s.metrics.sorted(by: { $0.key < $1.key }) { print("\(k) = \(String(format: "%.4g", v))") }
        for w in result.diagnostics.warnings { print("warning: \(w)") }
        print("wrote \(output), \(statsPath)" + (summary.map { ", \($0)" } ?? "") + (plot.map { ", \($0)" } ?? ""))
    }

    /// `d.npy` → `d.stats.npz`.
    static func statsPath(_ output: String) -> String {
        (output.lowercased().hasSuffix(".npy") ? String(output.dropLast(4)) : output) + ".stats.npz"
    }
}

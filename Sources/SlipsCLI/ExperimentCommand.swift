import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Slips

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Regenerate a named experiment of the specs (resumable runs.jsonl, table.md with pass/fail, SVG figures).",
        discussion: """
            Examples:
              slips experiment --list
              slips experiment observation-processes --output results/observation-processes
            """
    )

    @Argument(help: "Experiment name (see --list).")
    var name: String?
    @Flag(help: "List the experiments.")
    var list = false
    @Option(name: .shortAndLong, help: "Output directory (runs.jsonl, table.md, figures).")
    var output: String?
    @Option(help: "Random seed.")
    var seed: UInt64 = 0
    @Option(help: "Worker threads (default: all cores). Results do not depend on it.")
    var threads: Int?
    @Option(name: .customLong("data"), help: "digits, walk-jump-digits, binary-digits: the digits CSV (default: the project's data/digits/digits.csv).")
    var dataPath: String?
    @Flag(help: "No progress lines.")
    var quiet = false

    /// `data/digits/digits.csv` of the current directory, else of the checkout the executable was built in.
    static func defaultDigits() -> String {
        let local = "data/digits/digits.csv"
        if FileManager.default.fileExists(atPath: local) { return local }
        return Checkout.root.map { $0 + "/" + local } ?? local
    }

    func run() throws {
        if list && name != nil { throw CLIError("--list takes no experiment name") }
        if list || name == nil {
            for e in ExperimentCatalog.experiments { print("\(e.name)\n    \(e.summary)") }
            if !list { throw CLIError("name an experiment (see above), e.g. slips experiment observation-processes --output DIR") }
            return
        }
        guard let output, !output.isEmpty else { throw CLIError("--output DIR is required (and must not be empty)") }
        if let t = threads, t < 1 || t > 4096 { throw CLIError("--threads must be in 1...4096 (got \(t))") }
        if dataPath != nil && !ExperimentCatalog.dataExperiments.contains(name!) {
            throw CLIError("--data applies to the \(ExperimentCatalog.dataExperiments.joined(separator: " and ")) experiments")
        }
        var experiment = try cliErrors { try ExperimentCatalog.make(name!, outputDirectory: output, dataPath: dataPath ?? Self.defaultDigits()) }
        experiment.seed = seed
        if let t = threads { experiment.threads = t }
        let quiet = self.quiet
        let result = try cliErrors { try experiment.runReporting { line in if !quiet { printError(line) } } }
        print(result.summary)
        if !result.passed { throw ExitCode(1) }
    }
}

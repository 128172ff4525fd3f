import ArgumentParser
import Foundation
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
    @Option(name: .customLong("data"), help: "digits: the digits CSV (default: the project's data/digits/digits.csv).")
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
        guard ExperimentCatalog.experiments.contains(where: { $0.name == name }) else {
            throw CLIError("unknown experiment '\(name!)'; known experiments: "
                + ExperimentCatalog.experiments.map(\.name).joined(separator: ", "))
        }
        guard let output, !output.isEmpty else { throw CLIError("--output DIR is required (and must not be empty)") }
        if let t = threads, t < 1 || t > 4096 { throw CLIError("--threads must be in 1...4096 (got \(t))") }
        if dataPath != nil && name != "digits" && name != "walk-jump-digits" {
            throw CLIError("--data applies to the digits and walk-jump-digits experiments")
        }
        if name == "jms-vs-sms" {
            var experiment = MultimeasurementExperiment(outputDirectory: output)
            experiment.seed = seed
            if let t = threads { experiment.threads = t }
            let records = try cliErrors { try experiment.run { line in if !quiet { printError(line) } } }
            let failed = records.filter { MultimeasurementExperiment.criterion($0)?.pass == false }
            print("\(records.count) cells, \(failed.count) failing a criterion: \(output)/table.md")
            if !failed.isEmpty { throw ExitCode(1) }
            return
        }
        if name == "walk-jump-mixture" || name == "sms-stages" {
            var experiment = ScoreSamplerCriteriaExperiment(name: name!, outputDirectory: output)
            experiment.seed = seed
            if let t = threads { experiment.threads = t }
            let failed = try cliErrors { try experiment.run { line in if !quiet { printError(line) } } }
            print("\(failed) criteria failed: \(output)/table.md")
            if failed > 0 { throw ExitCode(1) }
            return
        }
        if name == "conditioning" {
            var experiment = ConditioningExperiment(outputDirectory: output)
            experiment.seed = seed
            if let t = threads { experiment.threads = t }
            let rows = try cliErrors { try experiment.run { line in if !quiet { printError(line) } } }
            print("\(rows.count) rows: \(output)/table.md")
            return
        }
        if name == "walk-jump-digits" {
            var experiment = WalkJumpDigitsExperiment(outputDirectory: output, dataPath: dataPath ?? Self.defaultDigits())
            experiment.seed = seed
            if let t = threads { experiment.threads = t }
            let m = try cliErrors { try experiment.run { line in if !quiet { printError(line) } } }
            print(String(format: "classes visited per chain: %.0f, %.0f, %.0f: %@/table.md", m["chain0_classes"] ?? 0,
                         m["chain1_classes"] ?? 0, m["chain2_classes"] ?? 0, output))
            return
        }
        if name == "digits" {
            var experiment = DigitsExperiment(outputDirectory: output, dataPath: dataPath ?? Self.defaultDigits())
            experiment.seed = seed
            if let t = threads { experiment.threads = t }
            let m = try cliErrors { try experiment.run { line in if !quiet { printError(line) } } }
            print(String(format: "sample → train %.2f vs held-out → train %.2f: %@/table.md", m["sample_to_train_nearest"] ?? .nan,
                         m["heldout_to_train_nearest"] ?? .nan, output))
            return
        }
        if name == "two-networks" {
            var experiment = TwoNetworksExperiment(outputDirectory: output)
            experiment.seed = seed
            if let t = threads { experiment.threads = t }
            let records = try cliErrors {
                try experiment.run { line in if !quiet { printError(line) } }
            }
            print("\(records.count) cells: \(output)/table.md")
            return
        }
        if name == "phi-four-small" {
            var experiment = PhiFourSmallFieldExperiment(outputDirectory: output)
            experiment.seed = seed
            if let t = threads { experiment.threads = t }
            let records = try cliErrors { try experiment.run { line in if !quiet { printError(line) } } }
            print("\(records.count) cells: \(output)/table.md")
            return
        }
        var experiment = ObservationProcessesExperiment(outputDirectory: output)
        experiment.seed = seed
        if let t = threads { experiment.threads = t }
        let records = try cliErrors {
            try experiment.run { line in if !quiet { printError(line) } }
        }
        let failed = records.filter { $0.passed == false }
        print("\(records.count) cells, \(records.filter { $0.passed == true }.count) pass, \(failed.count) fail: \(output)/table.md")
        if !failed.isEmpty { throw ExitCode(1) }
    }
}

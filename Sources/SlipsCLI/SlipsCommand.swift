import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Slips

@main
struct SlipsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slips",
        abstract: "Sample hard distributions by denoising (SLIPS, stochastic localization, baselines, MCMC).",
        discussion: """
            Example:
              slips sample --target two-modes --dim 8 --samples 8192 --seed 0 --output s.npy
            """,
        version: SlipsVersion.description,
        subcommands: [SampleCommand.self, TargetsCommand.self, MergeCommand.self, BenchCommand.self, OptimizeCommand.self,
                      ExperimentCommand.self, TrainCommand.self, DiagnoseCommand.self]
    )
}

/// One-line user-facing error (printed by ArgumentParser as "Error: …", exit status 1).
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body`, turning library errors into one-line CLI errors.
func cliErrors<R>(_ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let e as TargetError {
        throw CLIError(e.description)
    } catch let e as SamplerError {
        throw CLIError(e.description)
    } catch let e as IOError {
        throw CLIError(e.description)
    } catch let e as TrainingError {
        throw CLIError(e.description)
    }
}

/// Prints to standard error.
func printError(_ s: String) {
    writeError(s + "\n")
}

/// Formats an integer with thousands separators.
func grouped(_ n: Int) -> String {
    let s = String(n.magnitude)
    var out = ""
    for (i, c) in s.reversed().enumerated() {
        if i > 0 && i % 3 == 0 { out.append(",") }
        out.append(c)
    }
    return (n < 0 ? "-" : "") + String(out.reversed())
}

/// Formats a double with `digits` significant digits.
func short(_ x: Double, _ digits: Int = 4) -> String {
    String(format: "%.\(digits)g", x)
}

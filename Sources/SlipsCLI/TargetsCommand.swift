import ArgumentParser
import Slips

struct TargetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "targets",
        abstract: "List the built-in targets with their parameters and SLIPS defaults.",
        discussion: "Example:\n  slips targets"
    )

    func run() throws {
        let width = (TargetCatalog.allEntries.map(\.name.count).max() ?? 12) + 2
        print("name".padding(toLength: width, withPad: " ", startingAt: 0) + "dim    R        tau      sigma    epsilon  exact  description")
        for e in TargetCatalog.allEntries {
            guard let spec = try? TargetCatalog.make(e.name) else {
                print(e.name.padding(toLength: width, withPad: " ", startingAt: 0)
                      + "\(e.defaultDimension)".padding(toLength: 7, withPad: " ", startingAt: 0)
                      + "(needs \(e.requires ?? "options")) " + e.summary)
                continue
            }
            let dim = e.fixedDimension ? "\(e.defaultDimension)" : "\(e.defaultDimension)*"
            let exact = spec.exactSampler == nil ? "no" : "yes"
            let eps = SLIPSDefaults.epsilon(target: e.name, dimension: e.defaultDimension)
            print(
                e.name.padding(toLength: width, withPad: " ", startingAt: 0)
                    + dim.padding(toLength: 7, withPad: " ", startingAt: 0)
                    + short(spec.radius).padding(toLength: 9, withPad: " ", startingAt: 0)
                    + short(spec.tau).padding(toLength: 9, withPad: " ", startingAt: 0)
                    + short(spec.slipsSigma).padding(toLength: 9, withPad: " ", startingAt: 0)
                    + short(eps).padding(toLength: 9, withPad: " ", startingAt: 0)
                    + exact.padding(toLength: 7, withPad: " ", startingAt: 0)
                    + e.summary)
        }
        print("* any dimension (--dim); sigma = sqrt(R²/d + tau²) and epsilon = default t_0 of geometric(1,1) at the default dimension")
    }
}

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
        print("name".padded(to: width) + "dim    R        tau      sigma    epsilon  exact  description")
        for e in TargetCatalog.allEntries {
            guard let spec = try? TargetCatalog.make(e.name) else {
                print(e.name.padded(to: width)
                      + "\(e.defaultDimension)".padded(to: 7)
                      + "(needs \(e.requires ?? "options")) " + e.summary)
                continue
            }
            let dim = e.fixedDimension ? "\(e.defaultDimension)" : "\(e.defaultDimension)*"
            let exact = spec.exactSampler == nil ? "no" : "yes"
            let eps = SLIPSDefaults.epsilon(target: e.name, dimension: e.defaultDimension)
            print(
                e.name.padded(to: width)
                    + dim.padded(to: 7)
                    + short(spec.radius).padded(to: 9)
                    + short(spec.tau).padded(to: 9)
                    + short(spec.slipsSigma).padded(to: 9)
                    + short(eps).padded(to: 9)
                    + exact.padded(to: 7)
                    + e.summary)
        }
        print("* any dimension (--dim); sigma = sqrt(R²/d + tau²) and epsilon = default t_0 of geometric(1,1) at the default dimension")
    }
}

import FoundationEssentials

/// The git checkout the running `slips` executable was built in (`…/CHECKOUT/.build/release/slips`), if any: where the
/// project's own `data/` folder and its commit are found when the executable runs from elsewhere.
public enum Checkout {
    /// The checkout's root directory, nil when the executable is not inside one.
    public static let root: String? = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments.first ?? ""
        var dir = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0..<8 {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(".git").path)
                && FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return dir.path
            }
            dir.deleteLastPathComponent()
        }
        return nil
    }()
}

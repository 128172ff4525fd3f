import Foundation
import Testing

/// The `slips` executable built next to the test bundle by `swift test`, run as a subprocess (CLI tests).
enum SlipsExecutable {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static let binary: URL? = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("slips")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    /// A new empty directory under the temporary directory, named `prefix-UUID`.
    static func temporaryDirectory(_ prefix: String) throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// Runs `slips args…`; with `timeout`, a run still going after that many seconds is terminated (status 15 by
    /// signal, reported as -1 in `status`).
    static func run(_ args: [String], environment: [String: String]? = nil, directory: URL? = nil,
                    timeout: Double? = nil) throws -> Result {
        let p = Process()
        p.executableURL = try #require(binary, "the slips executable was not built next to the tests")
        p.arguments = args
        if let environment { p.environment = environment }
        if let directory { p.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        if let timeout {
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { if p.isRunning { p.terminate() } }
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationReason == .uncaughtSignal && p.terminationStatus == 15 ? -1 : p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }
}

import Foundation
import Slips
import Testing

/// Cancellation (issue 26): a run whose ``ProgressCounter`` is cancelled stops at its next check and throws
/// ``RunCancelled`` instead of returning samples — every sampler of `slips sample`, and within a second mid-run.
@Suite struct CancellationTests {
    static let binary: Set<String> = ["dula", "dmala", "binary-one-stage", "binary-two-stage", "binary-sms"]

    func settings(for sampler: String) -> SamplerCatalog.Settings {
        var s = SamplerCatalog.Settings()
        if sampler.hasPrefix("binary-") { s.alpha = 0.3 }
        return s
    }

    func target(for sampler: String) throws -> TargetSpec {
        try Self.binary.contains(sampler) ? TargetCatalog.make("binary-mixture", dimension: 16)
            : TargetCatalog.make("two-modes", dimension: 8)
    }

    /// Every sampler, given a counter cancelled before it starts, throws `RunCancelled` at once.
    @Test(arguments: SamplerCatalog.names)
    func everySamplerStopsWhenCancelledBeforeItStarts(name: String) throws {
        let spec = try target(for: name)
        let sampler = try SamplerCatalog.make(name, settings: settings(for: name), target: spec)
        let counter = ProgressCounter(total: 1)
        counter.cancel()
        let start = Date()
        #expect(throws: RunCancelled.self) {
            _ = try sampler.sample(spec.target, indices: 0..<2000, seed: 1, threads: 2, progress: counter)
        }
        #expect(Date().timeIntervalSince(start) < 1, "\(name) took \(Date().timeIntervalSince(start)) s to stop")
    }

    /// Long runs cancelled from another thread 0.3 s in return `RunCancelled` within a second of the cancellation.
    @Test(arguments: ["slips", "mala", "nuts", "smc", "oat", "rdmc", "sms", "dmala"])
    func longRunsStopWithinASecond(name: String) throws {
        let spec = try target(for: name)
        let sampler = try SamplerCatalog.make(name, settings: settings(for: name), target: spec)
        let counter = ProgressCounter(total: 1)
        let cancelledAt = LockedDate()
        // A thread of its own: the run's workers hold the dispatch pool's threads.
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.3)
            cancelledAt.set(Date())
            counter.cancel()
        }
        #expect(throws: RunCancelled.self) {
            _ = try sampler.sample(spec.target, indices: 0..<200_000, seed: 1, threads: 2, progress: counter)
        }
        let stoppedAfter = Date().timeIntervalSince(try #require(cancelledAt.get(), "\(name) ended before it was cancelled"))
        #expect(stoppedAfter < 1, "\(name) stopped \(stoppedAfter) s after the cancellation")
    }

    /// `slips sample` interrupted by Ctrl-C (SIGINT) or a batch system's SIGTERM a second into a long run: it stops within
    /// a second, says so in one line, ends by that signal, and leaves no output file behind.
    @Test(arguments: [(SIGINT, "Ctrl-C"), (SIGTERM, "SIGTERM")])
    func theCLIStopsCleanlyOnASignal(signal: Int32, words: String) throws {
        let dir = try SlipsExecutable.temporaryDirectory("slips-interrupt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = dir.appendingPathComponent("s.npy")
        let p = Process()
        p.executableURL = SlipsExecutable.binary
        p.arguments = ["sample", "--target", "two-modes", "--samples", "200000", "--quiet", "--output", output.path,
                       "--summary", dir.appendingPathComponent("s.json").path]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }  // never leave a long run behind
        Thread.sleep(forTimeInterval: 1.5)
        #expect(p.isRunning, "the run ended before the signal")
        let sent = Date()
        kill(p.processIdentifier, signal)
        while p.isRunning && Date().timeIntervalSince(sent) < 10 { Thread.sleep(forTimeInterval: 0.01) }
        let took = Date().timeIntervalSince(sent)
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(took < 1.5, "stopped \(took) s after the signal")
        // Ended by the signal itself (the shell's status 128 + n), as a shell loop around `slips` needs to stop too.
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == signal, "status \(p.terminationStatus): \(stderr)")
        #expect(stderr.split(separator: "\n").count == 1 && stderr.contains(words) && stderr.contains("nothing was written"),
                "\(stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    /// A counter that is never cancelled changes nothing: the same bytes as a run without one.
    @Test func anUncancelledCounterChangesNothing() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 4)
        var s = SamplerCatalog.Settings()
        s.steps = 16
        let sampler = try SamplerCatalog.make("slips", settings: s, target: spec)
        let a = try sampler.sample(spec.target, indices: 0..<6, seed: 3, threads: 2, progress: nil)
        let b = try sampler.sample(spec.target, indices: 0..<6, seed: 3, threads: 1, progress: ProgressCounter(total: 1))
        #expect(a.points.storage == b.points.storage)
    }
}

final class LockedDate: @unchecked Sendable {
    private let lock = NSLock()
    private var date: Date?
    func set(_ d: Date) { lock.lock(); date = d; lock.unlock() }
    func get() -> Date? { lock.lock(); defer { lock.unlock() }; return date }
}

import Foundation
import Slips

/// Progress on standard error (DESIGN.md §4): a bar with rate and ETA on a terminal, a line every 10 s
/// otherwise, nothing when quiet. Polls a ``ProgressCounter`` from a background thread.
final class ProgressDisplay: @unchecked Sendable {
    let counter: ProgressCounter
    let label: String
    let interactive: Bool
    /// What the counter counts, per second ("evals/s", "steps/s").
    var unit = "evals/s"
    /// Extra text after the rate (e.g. the latest losses), read from the display thread.
    var detail: (@Sendable () -> String)? = nil
    let start = Date()
    private let lock = NSLock()
    private var running = true
    private var thread: Thread?

    init(counter: ProgressCounter, label: String) {
        self.counter = counter
        self.label = label
        interactive = isatty(2) != 0
    }

    func start(quiet: Bool) {
        guard !quiet else { return }
        let t = Thread { [self] in
            var lastLine = Date()
            while isRunning {
                Thread.sleep(forTimeInterval: interactive ? 0.25 : 0.5)
                if interactive {
                    draw(final: false)
                } else if Date().timeIntervalSince(lastLine) >= 10 {
                    lastLine = Date()
                    printError(line())
                }
            }
        }
        thread = t
        t.start()
    }

    private var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    func stop(quiet: Bool) {
        lock.lock()
        running = false
        lock.unlock()
        guard !quiet, thread != nil else { return }
        if interactive { draw(final: true) }
    }

    private func line() -> String {
        let done = counter.completed, total = max(counter.total, 1)
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let pct = 100 * Double(done) / Double(total)
        return "\(label) \(String(format: "%5.1f", pct))%  \(format(rate)) \(unit)\(detail.map { "  " + $0() } ?? "")  elapsed \(clock(elapsed))  ETA \(clock(eta))"
    }

    private func draw(final: Bool) {
        let done = counter.completed, total = max(counter.total, 1)
        let width = 30
        let filled = min(width, Int(Double(width) * Double(done) / Double(total)))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write(Data(("\r\(bar) " + line() + (final ? "\n" : "")).utf8))
    }

    private func format(_ r: Double) -> String {
        r >= 1e6 ? String(format: "%.2fM", r / 1e6) : r >= 1e3 ? String(format: "%.1fk", r / 1e3) : String(format: "%.0f", r)
    }

    private func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}

/// Runs `body` with a progress display of `total` units (stopped when `body` returns or throws), turning library errors
/// into one-line CLI errors.
func withProgress<R>(label: String, total: Int, quiet: Bool, unit: String? = nil, _ body: (ProgressCounter) throws -> R) throws -> R {
    let counter = ProgressCounter(total: total)
    let display = ProgressDisplay(counter: counter, label: label)
    if let unit { display.unit = unit }
    display.start(quiet: quiet)
    return try cliErrors {
        defer { display.stop(quiet: quiet) }
        return try body(counter)
    }
}

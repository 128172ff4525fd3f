import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
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
    private let running = Mutex(true)
    private var started = false

    init(counter: ProgressCounter, label: String) {
        self.counter = counter
        self.label = label
        interactive = isatty(2) != 0
    }

    func start(quiet: Bool) {
        guard !quiet else { return }
        started = true
        detachThread { [self] in
            var lastLine = Date()
            while isRunning {
                usleep(interactive ? 250_000 : 500_000)
                if interactive {
                    draw(final: false)
                } else if Date().timeIntervalSince(lastLine) >= 10 {
                    lastLine = Date()
                    printError(line())
                }
            }
        }
    }

    private var isRunning: Bool { running.withLock { $0 } }

    func stop(quiet: Bool) {
        running.withLock { $0 = false }
        guard !quiet, started else { return }
        if interactive { draw(final: true) }
    }

    private func line() -> String {
        let done = counter.completed, total = max(counter.total, 1)
        let elapsed = Date().timeIntervalSince(start)
        let rate = Double(done) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let pct = 100 * Double(done) / Double(total)
        let extra = detail.map { "  " + $0() } ?? ""
        return label + " " + String(format: "%5.1f", pct) + "%  " + format(rate) + " " + unit + extra + "  elapsed " + clock(elapsed)
            + "  ETA " + clock(eta)
    }

    private func draw(final: Bool) {
        let done = counter.completed, total = max(counter.total, 1)
        let width = 30
        let filled = min(width, Int(Double(width) * Double(done) / Double(total)))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        writeError("\r\(bar) " + line() + (final ? "\n" : ""))
    }

    private func format(_ r: Double) -> String {
        if r >= 1e6 { return String(format: "%.2fM", r / 1e6) }
        return r >= 1e3 ? String(format: "%.1fk", r / 1e3) : String(format: "%.0f", r)
    }

    private func clock(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String(format: "%d:%02d", t / 60, t % 60)
    }
}

/// Runs `body` with a progress display of `total` units (stopped when `body` returns or throws), turning library errors
/// into one-line CLI errors. Ctrl-C (SIGINT) or SIGTERM (a batch system's time limit) while it runs cancels the run: the
/// sampler stops at its next check, nothing is written, one line goes to standard error, and the process ends by that
/// signal (so a shell loop around `slips` stops too: status 130 or 143); a second signal ends it at once.
func withProgress<R>(label: String, total: Int, quiet: Bool, unit: String? = nil, _ body: (ProgressCounter) throws -> R) throws -> R {
    let counter = ProgressCounter(total: total)
    let display = ProgressDisplay(counter: counter, label: label)
    if let unit { display.unit = unit }
    let interrupts = InterruptHandler(cancelling: counter)
    defer { interrupts.stop() }
    display.start(quiet: quiet)
    do {
        let result = try cliErrors {
            defer { display.stop(quiet: quiet) }
            return try body(counter)
        }
        // A signal after the run's last check (during the metrics, say) still means: stop, write nothing.
        if let signal = interrupts.received { interrupts.endBy(signal) }
        return result
    } catch is RunCancelled {
        interrupts.endBy(interrupts.received ?? SIGINT)
    }
}

/// The first SIGINT or SIGTERM received while an ``InterruptHandler`` is installed (0: none). Set by the signal handler
/// with a lock-free exchange, the one thing it does besides `_exit` on a second signal.
nonisolated let receivedSignal = Atomic<Int32>(0)

/// Turns SIGINT and SIGTERM into ``ProgressCounter/cancel()`` while installed: the handler records the signal, and a
/// watcher thread of its own (the dispatch pool's threads are the run's workers) cancels the counter within 20 ms; a
/// second signal exits at once with 128 + its number. A signal ignored on entry (as a shell leaves SIGINT for a
/// background job) stays ignored. ``stop()`` restores the previous actions and signal mask.
final class InterruptHandler: @unchecked Sendable {
    private let running = Mutex(true)
    /// The signals taken over, with their previous actions.
    private var previous: [(signal: Int32, action: sigaction)] = []
    private var previousMask = sigset_t()

    /// The first signal received, if any.
    var received: Int32? {
        let s = receivedSignal.load(ordering: .sequentiallyConsistent)
        return s == 0 ? nil : s
    }

    init(cancelling counter: ProgressCounter) {
        receivedSignal.store(0, ordering: .sequentiallyConsistent)
        var set = sigset_t()
        sigemptyset(&set)
        for signo in [SIGINT, SIGTERM] {
            var old = sigaction()
            sigaction(signo, nil, &old)
            if unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) { continue }
            signal(signo) { signo in
                if receivedSignal.exchange(signo, ordering: .sequentiallyConsistent) != 0 { _exit(128 + signo) }
            }
            previous.append((signo, old))
            sigaddset(&set, signo)
        }
        // A parent may have started us with the signals blocked (test runners do); this thread takes them.
        pthread_sigmask(SIG_UNBLOCK, &set, &previousMask)
        detachThread { [self] in
            while isRunning {
                if received != nil {
                    counter.cancel()
                    return
                }
                usleep(20_000)
            }
        }
    }

    private var isRunning: Bool { running.withLock { $0 } }

    func stop() {
        let wasRunning = running.withLock { r in
            defer { r = false }
            return r
        }
        guard wasRunning else { return }
        for (signo, action) in previous {
            var a = action
            sigaction(signo, &a, nil)
        }
        pthread_sigmask(SIG_SETMASK, &previousMask, nil)
    }

    /// Says that the run was interrupted and nothing written, then ends the process by `signal` itself (its default
    /// action), as a shell expects of a program it interrupted.
    func endBy(_ signal: Int32) -> Never {
        printError("slips: interrupted by \(signal == SIGTERM ? "SIGTERM" : "Ctrl-C (SIGINT)"): the run stopped and nothing was written")
        fflush(nil)  // every C stream (standard output)
        Glibc.signal(signal, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signal)
        _exit(128 + signal)
    }
}

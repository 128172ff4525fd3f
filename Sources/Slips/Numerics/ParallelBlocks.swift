import Dispatch
import Synchronization

/// Splits `count` independent work items into fixed blocks and runs them on `threads` worker threads
/// (DESIGN.md §3): each worker takes the next unclaimed block, so the partition never depends on the thread
/// count, and every item's randomness comes from its own stream.
public enum ParallelBlocks {
    /// Calls `body(range)` once for each block `[k·blockSize, min((k+1)·blockSize, count))`, on up to `threads`
    /// threads. `body` must write only to its own block's output. Once `cancellation` is cancelled no further block
    /// starts (the caller checks the counter and throws).
    public static func run(count: Int, blockSize: Int, threads: Int, cancellation: ProgressCounter? = nil,
                           _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let bs = Swift.max(1, blockSize)
        let blocks = (count + bs - 1) / bs
        let workers = Swift.max(1, Swift.min(threads, blocks))
        if workers == 1 {
            for b in 0..<blocks {
                if let cancellation, cancellation.isCancelled { return }
                body((b * bs)..<Swift.min(count, (b + 1) * bs))
            }
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let b = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if b >= blocks || cancellation?.isCancelled == true { break }
                    box.value((b * bs)..<Swift.min(count, (b + 1) * bs))
                }
            }
        }
    }

    /// Number of hardware threads available.
    public static var availableThreads: Int { ProcessInfoCores.count }
}

/// Wraps a value for a closure that needs `Sendable` when the caller guarantees disjoint use.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}

/// A shared output buffer written by several workers, each to its own disjoint rows.
public struct SharedBuffer: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Double>
    public init(_ base: UnsafeMutablePointer<Double>) { self.base = base }
}

enum ProcessInfoCores {
    static let count: Int = {
        #if canImport(Glibc)
        return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }()
}

/// CPU seconds used by the whole process so far (all threads; `CLOCK_PROCESS_CPUTIME_ID`), NaN where unavailable: the
/// per-CPU-second rates of the benchmarks and of `slips sample --draws`.
public func processCPUSeconds() -> Double {
    #if canImport(Glibc)
    var t = timespec()
    guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) == 0 else { return .nan }
    return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
    #else
    return .nan
    #endif
}

#if canImport(Glibc)
import Glibc
#endif

import Dispatch
import Synchronization

/// Runs `steps` kernel steps on a batch of chains, feeding each step's info to `adaptation` and then to
/// `observe(chains, stepIndex)` (stepIndex from 1). This is the one chain loop of the library: plain MCMC,
/// the SLIPS denoiser and the baselines all go through it (DESIGN.md §2, "Driver").
@inline(__always)
public func runChains<K: MCMCKernel, T: LogDensity, A: StepSizeAdaptation>(
    _ chains: inout Chains, kernel: K, target: T, steps: Int, adaptation: inout A,
    observe: (borrowing Chains, Int) -> Void = { _, _ in }
) {
    for s in 0..<steps {
        kernel.step(&chains, target: target)
        adaptation.update(&chains)
        observe(chains, s + 1)
    }
}

/// Thread-safe counter of work done, polled by progress displays (DESIGN.md §4).
public final class ProgressCounter: Sendable {
    /// Total units of work expected (gradient evaluations for the samplers).
    public let total: Int
    let done = Atomic<Int>(0)

    public init(total: Int) { self.total = total }

    /// Adds `units` of finished work.
    @inline(__always)
    public func add(_ units: Int) { done.wrappingAdd(units, ordering: .relaxed) }

    /// Units finished so far.
    public var completed: Int { done.load(ordering: .relaxed) }
}

/// Splits `count` independent work items into fixed blocks and runs them on `threads` worker threads
/// (DESIGN.md §3): each worker takes the next unclaimed block, so the partition never depends on the thread
/// count, and every item's randomness comes from its own stream.
public enum ParallelBlocks {
    /// Calls `body(range)` once for each block `[k·blockSize, min((k+1)·blockSize, count))`, on up to `threads`
    /// threads. `body` must write only to its own block's output.
    public static func run(count: Int, blockSize: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let bs = Swift.max(1, blockSize)
        let blocks = (count + bs - 1) / bs
        let workers = Swift.max(1, Swift.min(threads, blocks))
        if workers == 1 {
            for b in 0..<blocks { body((b * bs)..<Swift.min(count, (b + 1) * bs)) }
            return
        }
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                while true {
                    let b = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if b >= blocks { break }
                    box.value((b * bs)..<Swift.min(count, (b + 1) * bs))
                }
            }
        }
    }

    /// Number of hardware threads available.
    public static var availableThreads: Int { ProcessInfoCores.count }
}

/// Per-block statistics of a sampler run, merged in block order so that sums never depend on the thread count.
struct BlockStatistics {
    var gradientEvaluations = 0
    var logDensityEvaluations = 0
    var acceptanceSum = 0.0
    var acceptanceCount = 0.0
    var stepSizeSum = 0.0
    var stepSizeCount = 0.0
    var divergences = 0.0
    /// Global index of the first sample whose chains ended where the target is not finite.
    var firstNonFinite: Int? = nil

    mutating func merge(_ o: BlockStatistics) {
        gradientEvaluations += o.gradientEvaluations
        logDensityEvaluations += o.logDensityEvaluations
        acceptanceSum += o.acceptanceSum
        acceptanceCount += o.acceptanceCount
        stepSizeSum += o.stepSizeSum
        stepSizeCount += o.stepSizeCount
        divergences += o.divergences
        if firstNonFinite == nil { firstNonFinite = o.firstNonFinite }
    }

    var meanAcceptance: Double { acceptanceSum / Swift.max(1, acceptanceCount) }
    var meanStepSize: Double { stepSizeSum / Swift.max(1, stepSizeCount) }
}

/// Runs `body(range, output)` for fixed blocks of `count` samples on ``ParallelBlocks`` (each block writes its
/// `range.count × d` output rows) and returns the per-block statistics merged in block order. The one block
/// driver of SLIPS, the MCMC sampler and the baselines.
func runSampleBlocks(
    count n: Int, dimension d: Int, blockSize: Int, threads: Int, output: inout Points,
    _ body: @Sendable (Range<Int>, UnsafeMutablePointer<Double>) -> BlockStatistics
) -> BlockStatistics {
    let bs = Swift.max(1, blockSize)
    let blockCount = (n + bs - 1) / bs
    var stats = [BlockStatistics](repeating: BlockStatistics(), count: blockCount)
    output.storage.withUnsafeMutableBufferPointer { o in
        stats.withUnsafeMutableBufferPointer { st in
            let out = SharedBuffer(o.baseAddress!)
            let statBuffer = UncheckedSendable(st.baseAddress!)
            ParallelBlocks.run(count: n, blockSize: bs, threads: threads) { local in
                statBuffer.value[local.lowerBound / bs] = body(local, out.base + local.lowerBound * d)
            }
        }
    }
    return stats.reduce(into: BlockStatistics()) { $0.merge($1) }
}

/// Throws when a sampler output contains a non-finite coordinate.
func checkFinite(_ points: Points, firstIndex: Int, sampler: String) throws {
    let d = points.dimension
    for i in 0..<points.count where !(0..<d).allSatisfy({ points[i, $0].isFinite }) {
        throw SamplerError(
            "\(sampler) produced a non-finite sample (index \(firstIndex + i)): "
                + "the target returned NaN or infinity along the way")
    }
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

#if canImport(Glibc)
import Glibc
#endif

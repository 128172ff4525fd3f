import Dispatch
import Synchronization

/// Runs `steps` kernel steps on a batch of chains, feeding each step's info to `adaptation` and then to
/// `observe(chains, stepIndex)` (stepIndex from 1). This is the one chain loop of the library: plain MCMC,
/// the SLIPS denoiser and the baselines all go through it (DESIGN.md §2, "Driver").
///
/// With `cancellation`, the loop stops before the next step once that counter has been cancelled (the chains are left
/// where they are; the run that owns the counter throws ``RunCancelled``).
@inline(__always)
public func runChains<K: MCMCKernel, T: LogDensity, A: StepSizeAdaptation>(
    _ chains: inout Chains, kernel: K, target: T, steps: Int, adaptation: inout A,
    cancellation: ProgressCounter? = nil, observe: (borrowing Chains, Int) -> Void = { _, _ in }
) {
    for s in 0..<steps {
        if let cancellation, cancellation.isCancelled { return }
        kernel.step(&chains, target: target)
        adaptation.update(&chains)
        observe(chains, s + 1)
    }
}

/// Thread-safe counter of work done, polled by progress displays (DESIGN.md §4), and the run's cancellation flag
/// (issue 26): ``cancel()`` from any thread (the CLI's signal watcher, a foreign callback that failed) makes every
/// sampler given this counter stop at its next check — before each block, each kernel step and each denoiser call —
/// and throw ``RunCancelled`` instead of returning samples.
public final class ProgressCounter: Sendable {
    /// Total units of work expected (gradient evaluations for the samplers).
    public let total: Int
    let done = Atomic<Int>(0)
    let cancelled = Atomic<Bool>(false)

    /// Asks the run to stop as soon as it can.
    public func cancel() { cancelled.store(true, ordering: .relaxed) }

    /// Whether ``cancel()`` was called.
    @inline(__always)
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    /// Throws ``RunCancelled`` when the counter was cancelled.
    public func checkCancelled() throws(RunCancelled) {
        if isCancelled { throw RunCancelled() }
    }

    public init(total: Int) { self.total = total }

    /// Adds `units` of finished work.
    @inline(__always)
    public func add(_ units: Int) { done.wrappingAdd(units, ordering: .relaxed) }

    /// Units finished so far.
    public var completed: Int { done.load(ordering: .relaxed) }
}

/// The error of a run whose ``ProgressCounter`` was cancelled: it stopped early and its partial output is not returned.
public struct RunCancelled: Error, CustomStringConvertible, Sendable {
    public init() {}
    public var description: String { "the run was cancelled" }
}

/// Work counts and running statistics of a sampler run (DESIGN.md §2, "Drivers"): evaluations, acceptance,
/// step sizes, divergences. The one statistics type of every sampler and denoiser; per-block values are merged in
/// block order so that sums never depend on the thread count.
public struct WorkCounts: Sendable, Equatable {
    /// Target `(log π, ∇ log π)` evaluations.
    public var gradientEvaluations = 0
    /// Target log-density-only evaluations.
    public var logDensityEvaluations = 0
    public var acceptanceSum = 0.0
    public var acceptanceCount = 0.0
    public var stepSizeSum = 0.0
    public var stepSizeCount = 0.0
    public var divergences = 0.0
    /// Chains whose final state left the sampler's sanity radius or became non-finite (a diverged run).
    public var escapedChains = 0
    /// Global index of the first sample whose chains ended where the target is not finite.
    public var firstNonFinite: Int? = nil

    public init() {}

    public mutating func merge(_ o: WorkCounts) {
        gradientEvaluations += o.gradientEvaluations
        logDensityEvaluations += o.logDensityEvaluations
        acceptanceSum += o.acceptanceSum
        acceptanceCount += o.acceptanceCount
        stepSizeSum += o.stepSizeSum
        stepSizeCount += o.stepSizeCount
        divergences += o.divergences
        escapedChains += o.escapedChains
        if firstNonFinite == nil { firstNonFinite = o.firstNonFinite }
    }

    public var meanAcceptance: Double { acceptanceSum / Swift.max(1, acceptanceCount) }
    public var meanStepSize: Double { stepSizeSum / Swift.max(1, stepSizeCount) }
}

/// Runs `body(range, output)` for fixed blocks of `count` samples on ``ParallelBlocks`` (each block writes its
/// `range.count × d` output rows) and returns the per-block statistics merged in block order. The one block
/// driver of SLIPS, the MCMC sampler and the baselines. Once `progress` is cancelled no further block starts, and it
/// throws ``RunCancelled`` when the running ones have stopped.
func runSampleBlocks(
    count n: Int, dimension d: Int, blockSize: Int, threads: Int, progress: ProgressCounter?, output: inout Points,
    _ body: @Sendable (Range<Int>, UnsafeMutablePointer<Double>) -> WorkCounts
) throws(RunCancelled) -> WorkCounts {
    let bs = Swift.max(1, blockSize)
    let blockCount = (n + bs - 1) / bs
    var stats = [WorkCounts](repeating: WorkCounts(), count: blockCount)
    output.storage.withUnsafeMutableBufferPointer { o in
        stats.withUnsafeMutableBufferPointer { st in
            let out = SharedBuffer(o.baseAddress!)
            let statBuffer = UncheckedSendable(st.baseAddress!)
            ParallelBlocks.run(count: n, blockSize: bs, threads: threads, cancellation: progress) { local in
                statBuffer.value[local.lowerBound / bs] = body(local, out.base + local.lowerBound * d)
            }
        }
    }
    try progress?.checkCancelled()
    return stats.reduce(into: WorkCounts()) { $0.merge($1) }
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

/// What every sampler returns (DESIGN.md §2, "Samplers"): the points, optional importance weights, evaluation
/// counts, wall time and per-run statistics.
public struct SampleSet: Sendable {
    /// The samples, one row each.
    public var points: Points
    /// Normalised importance weights (nil: equal weights).
    public var weights: [Double]?
    /// Global index of the first sample (non-zero for a shard).
    public var firstIndex: Int
    /// Target `(log π, ∇ log π)` evaluations, one per point.
    public var gradientEvaluations: Int
    /// Target log-density-only evaluations.
    public var logDensityEvaluations: Int
    /// Wall-clock seconds.
    public var wallSeconds: Double
    /// Sampler statistics (mean acceptance, mean step size, divergences, …).
    public var statistics: [String: Double]

    public init(
        points: Points, weights: [Double]? = nil, firstIndex: Int = 0, gradientEvaluations: Int,
        logDensityEvaluations: Int = 0, wallSeconds: Double, statistics: [String: Double] = [:]
    ) {
        self.points = points
        self.weights = weights
        self.firstIndex = firstIndex
        self.gradientEvaluations = gradientEvaluations
        self.logDensityEvaluations = logDensityEvaluations
        self.wallSeconds = wallSeconds
        self.statistics = statistics
    }
}

/// Errors raised by samplers at run time.
public struct SamplerError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A top-level sampling algorithm (DESIGN.md §2): draws the samples with global indices `indices` (so a run
/// split into shards concatenates to the unsplit run), using `threads` worker threads, reporting gradient
/// evaluations to `progress`.
public protocol Sampler: Sendable {
    /// Name used in summaries.
    var name: String { get }
    /// Parameters, for summaries.
    var parameters: [String: Double] { get }
    /// The settings that are names rather than numbers (schedule, process, denoiser, kernel, …), for summaries.
    var settings: [String: String] { get }
    /// Gradient evaluations the run of `samples` samples will make (exact, for progress and budgets).
    func expectedGradientEvaluations(samples: Int) -> Int
    /// Log-density-only evaluations the run will make (0 by default).
    func expectedLogDensityEvaluations(samples: Int) -> Int
    /// The work a ``ProgressCounter`` tracks for this sampler (default: its gradient evaluations, or its
    /// log-density evaluations when it makes no gradient evaluations, as OAT).
    func expectedProgressUnits(samples: Int) -> Int
    /// Bytes the run of `samples` samples in dimension `d` needs at its peak, roughly (default: the output, the
    /// metrics' exact reference draws and sorted projections, `32 N d`). Checked before anything is allocated.
    func memoryEstimate(samples: Int, dimension d: Int) -> Double
    func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet
}

extension Sampler {
    public func expectedLogDensityEvaluations(samples: Int) -> Int { 0 }

    public func memoryEstimate(samples: Int, dimension d: Int) -> Double { 32 * Double(samples) * Double(d) }

    public var settings: [String: String] { [:] }

    public func expectedProgressUnits(samples: Int) -> Int {
        let g = expectedGradientEvaluations(samples: samples)
        return g > 0 ? g : expectedLogDensityEvaluations(samples: samples)
    }
}

/// Monotonic wall clock in seconds.
@inline(__always)
func wallClock() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) * 1e-9
}

import Dispatch

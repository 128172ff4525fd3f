import RealModule

/// How `Y_t` observes `X` over time (DESIGN.md §2, "ObservationProcess"; spec/denoising.md §6.1–§6.2): a time grid
/// `t_0 < … < t_K`, the law of `Y_{t_k}` given X (the ``ObservationModel`` a denoiser conditions on), where `Y` starts,
/// and its forward step `Y_{t_k} → Y_{t_{k+1}}` given the denoiser's estimate `m̂ = E[X | Y_{t_k}]`. The
/// ``StochasticLocalizationSampler`` runs any process with any ``Denoiser``:
///
///     Y ← start; (refine at t_0)^L; for k < K: Y ← advance(Y, m̂(Y, t_k)); return m̂(Y, t_K) or Y
///
/// Every random draw of sample n comes from that sample's own stream, passed in `streams` (one per row).
public protocol ObservationProcess: Sendable {
    /// Short name ("gaussian", "linear", "erasure", "binary", "poisson").
    var name: String { get }
    /// Parameters, for summaries.
    var parameters: [String: Double] { get }
    /// Where X must live for this process.
    var space: SampleSpace { get }
    /// The observation family of every ``model(atStep:)``.
    var kind: ObservationKind { get }
    /// K, the number of forward steps.
    var stepCount: Int { get }
    /// L, refinement steps at `t_0` before the first forward step (SLIPS's Langevin-within-Langevin); 0 by default.
    var refinementSteps: Int { get }
    /// True when the output is the estimate `m̂(Y_{t_K}, t_K)`, false when it is `Y_{t_K}` itself (binary processes).
    var readsOutEstimate: Bool { get }
    /// Checks the process's parameters against data of dimension `d`; one clear message on failure.
    func validate(dimension d: Int) throws
    /// Coordinates of Y for data of dimension `d`.
    func observationDimension(dataDimension d: Int) -> Int
    /// The law of `Y_{t_k}` given X, k = 0…K.
    func model(atStep k: Int) -> ObservationModel
    /// `Y_{t_0}` for each of the `rows` samples.
    func start(_ y: inout MutableSpan<Double>, rows: Int, dimension d: Int, streams: inout [Xoshiro256])
    /// One refinement of `Y_{t_0}` given `m̂(Y, t_0)` (only called when ``refinementSteps`` > 0).
    func refine(_ y: inout MutableSpan<Double>, estimate: Span<Double>, rows: Int, dimension d: Int,
                streams: inout [Xoshiro256])
    /// `Y_{t_k} → Y_{t_{k+1}}` given `m̂ = E[X | Y_{t_k}]`.
    func advance(_ y: inout MutableSpan<Double>, step k: Int, estimate: Span<Double>, rows: Int, dimension d: Int,
                 streams: inout [Xoshiro256])
}

extension ObservationProcess {
    public var refinementSteps: Int { 0 }
    public func refine(_ y: inout MutableSpan<Double>, estimate: Span<Double>, rows: Int, dimension d: Int,
                       streams: inout [Xoshiro256]) {}
    public func observationDimension(dataDimension d: Int) -> Int { d }
    /// Denoiser calls per sample: refinements, one per forward step, and the readout's.
    public var denoiserCalls: Int { Count.sum(refinementSteps, stepCount, readsOutEstimate ? 1 : 0) }
}

/// The time grids of the processes without a schedule of their own.
public enum TimeGrid: String, Sendable, CaseIterable {
    /// `{0} ∪ geomspace(t_min, T, K)` (spec/denoising.md §6.3: 1e-4 to 1e3, 400 points).
    case geometric
    /// Uniform in the OU/DDPM time `s` of spec/denoising.md §1.6 between `s(T)` and `s(t_min)`, then `{0}`
    /// (Gaussian processes only: `t = 1/(e^{2s} - 1)`).
    case ddpm
    /// Uniform on [0, T].
    case uniform

    /// K + 1 times from 0 to `horizon` (the first is 0 for every kind).
    public func times(steps k: Int, start tMin: Double, horizon: Double) -> [Double] {
        switch self {
        case .uniform:
            return (0...k).map { horizon * Double($0) / Double(k) }
        case .geometric:
            let l0 = Double.log(tMin), l1 = Double.log(horizon)
            var t = [0.0] + (0..<k).map { Double.exp(l0 + (l1 - l0) * Double($0) / Double(Swift.max(k - 1, 1))) }
            t[k] = horizon
            return t
        case .ddpm:
            let s0 = VPTime.ouTime(fromLocalizationTime: horizon), s1 = VPTime.ouTime(fromLocalizationTime: tMin)
            var t = [0.0] + (0..<k).map { i -> Double in
                let s = s1 + (s0 - s1) * Double(i) / Double(Swift.max(k - 1, 1))
                return VPTime.localizationTime(fromOUTime: s)
            }
            t[1] = tMin
            t[k] = horizon
            return t
        }
    }
}

/// The change of time between stochastic localization `Y_t = t x + W_t` and the variance-preserving (OU/DDPM)
/// process `Z = cos α · x + sin α · G` (spec/denoising.md §1.6, §6.3): `Z = Y_t/√(t(1+t))`, `α = arctan(1/√t)`,
/// `cos α = e^{-s}` with OU time `s`, `t = 1/(e^{2s} - 1)`. The denoisers agree: `E[x | Y_t = y] = E[x | Z = z]`.
public enum VPTime {
    /// α = arctan(1/√t) ∈ (0, π/2].
    public static func angle(fromLocalizationTime t: Double) -> Double { Double.atan(1 / t.squareRoot()) }
    /// The OU time s with `cos α = e^{-s}`: `s = ½ log(1 + 1/t)`.
    public static func ouTime(fromLocalizationTime t: Double) -> Double { 0.5 * Double.log(onePlus: 1 / t) }
    /// `t = 1/(e^{2s} - 1)`.
    public static func localizationTime(fromOUTime s: Double) -> Double { 1 / Double.expMinusOne(2 * s) }
    /// The VP observation `z = y/√(t(1+t))` of a localization observation y at time t.
    public static func vpObservation(_ y: Double, time t: Double) -> Double { y / (t * (1 + t)).squareRoot() }
    /// The observation model of Z: `.gaussian(scale: cos α, variance: sin² α)`.
    public static func vpModel(time t: Double) -> ObservationModel {
        let a = angle(fromLocalizationTime: t)
        let s = Double.sin(a)
        return .gaussian(scale: Double.cos(a), variance: s * s)
    }
}

/// Applies `body(row pointer, stream)` to each row of a mutable span of `rows × width` values.
@inline(__always)
func forEachRow(
    _ y: inout MutableSpan<Double>, rows: Int, width: Int, streams: inout [Xoshiro256],
    _ body: (UnsafeMutablePointer<Double>, Int, inout Xoshiro256) -> Void
) {
    y.withUnsafeMutableBufferPointer { yb in
        streams.withUnsafeMutableBufferPointer { sb in
            for r in 0..<rows {
                var g = sb[r]
                body(yb.baseAddress! + r * width, r, &g)
                sb[r] = g
            }
        }
    }
}

import RealModule

/// What one observation `Y = y` of `X` says about `X` at a fixed time of an observation process: the likelihood
/// that tilts the prior into the posterior `μ_t(dx) ∝ μ(dx) L(y | x)` (spec/denoising.md §6.2, "posterior tilt").
/// A ``Denoiser`` estimates `E[X | Y = y]` under one of these.
public enum ObservationModel: Sendable {
    /// `Y = a X + √v N` in R^d: `L ∝ exp(-‖y - a x‖² / (2v))`. SLIPS's `α(t) X + σ W_t` at time t is
    /// `a = α(t)`, `v = σ² t` (spec/slips.md §1.1); `t X + W_t` is `a = v = t`; `a = 0` carries no information.
    case gaussian(scale: Double, variance: Double)
    /// `Y = M X + √v N` in R^k with a k × d matrix M (rows of ``Points``): the linear process `t A X + B_t` at time t
    /// is `M = t A`, `v = t` (spec/denoising.md §6.2, "linear / anisotropic").
    case linear(matrix: Points, variance: Double)
    /// Binary data `x ∈ {-1, +1}^d` observed as `y ∈ {-1, 0, +1}^d`: `L ∝ exp(h ⟨x, y⟩)`, the binary symmetric
    /// channel of spec/denoising.md §1.5 with `α = h`; `h = +∞` reveals the coordinates with `y_i ≠ 0` exactly and
    /// says nothing of the others (erasure).
    case binaryField(strength: Double)
    /// Counts `Y_i ~ Poisson(t x_i)` of `x ≥ 0`: `L ∝ Π x_i^{y_i} e^{-t x_i}` (spec/denoising.md §6.2, "Poisson").
    case poisson(exposure: Double)

    /// Coordinates of one observation for data of dimension `d` (k for the linear model, d otherwise).
    public func observationDimension(dataDimension d: Int) -> Int {
        if case .linear(let m, _) = self { return m.count }
        return d
    }

    /// The family, for error messages.
    public var kind: ObservationKind {
        switch self {
        case .gaussian: .gaussian
        case .linear: .linear
        case .binaryField: .binaryField
        case .poisson: .poisson
        }
    }
}

/// The families of ``ObservationModel``, for capability checks and messages.
public enum ObservationKind: String, Sendable, CaseIterable {
    case gaussian, linear, binaryField = "binary field", poisson
}

/// Where a target's samples live; an observation process fits one of them (spec/denoising.md §6.2).
public enum SampleSpace: String, Sendable {
    /// R^d.
    case continuous = "R^d"
    /// {-1, +1}^d.
    case binary = "{-1, +1}^d"
    /// [0, ∞)^d.
    case nonNegative = "[0, ∞)^d"
}

/// A batched estimate of the posterior mean `E[X | Y = y]` under an ``ObservationModel`` (DESIGN.md §2,
/// "Denoiser"; spec/denoising.md §6.1): the closed forms (``ExactDenoiser``), the MCMC estimate of SLIPS and RDMC
/// (``MCMCDenoiser``), the importance-sampled estimate of OAT (``ImportanceSampledDenoiser``).
///
/// A sampler creates one `State` per block of samples (warm starts, random streams, scratch, work counts) and calls
/// ``denoise(_:model:target:into:state:)`` once per time step with the block's observations, one row per sample.
/// Randomness comes only from streams derived from `(seed, sample index, purpose)` in ``makeState``, so estimates do
/// not depend on how samples are split into blocks or threads.
public protocol Denoiser: Sendable {
    associatedtype State
    /// Short name for summaries ("exact", "mcmc", "importance-sampling").
    var name: String { get }
    /// Parameters, for summaries.
    var parameters: [String: Double] { get }
    /// Throws one clear message when this denoiser cannot estimate under `kind` for a target of dimension `d`.
    func check(_ kind: ObservationKind, dimension d: Int) throws
    /// Evaluations per sample of `calls` denoiser calls (for progress and budgets).
    func expectedWork(calls: Int) -> (gradient: Int, logDensity: Int)
    /// The per-block state for the samples with global indices `samples`.
    func makeState(samples: Range<Int>, seed: UInt64, dimension d: Int, progress: ProgressCounter?) -> State
    /// Writes `E[X | Y = y_r]` for each row r of `y` (`samples.count` rows of `model.observationDimension(d)`
    /// values) to row r of `estimate` (d values each). `target` is the prior's log-density, used by the estimators
    /// that sample the posterior; the exact denoisers carry their prior.
    func denoise<T: LogDensity>(
        _ y: Span<Double>, model: ObservationModel, target: T, into estimate: inout MutableSpan<Double>,
        state: inout State)
    /// Work done so far by the block.
    func work(_ state: State) -> WorkCounts
    /// Samples per work block for data of dimension `d` (results never depend on it; 64 by default).
    func preferredBlockSize(dimension d: Int) -> Int
    /// Bytes of one block's state at the preferred block size (default: 8 buffers of `64 d` values).
    func blockMemory(dimension d: Int) -> Double
}

extension Denoiser {
    public func preferredBlockSize(dimension d: Int) -> Int { 64 }
    public func blockMemory(dimension d: Int) -> Double { 8 * 8 * Double(preferredBlockSize(dimension: d)) * Double(d) }
}

/// Scores from denoisers (Tweedie–Miyasawa, spec/denoising.md §1.1, §1.3): for `Y = a X + √v N`,
/// `∇ log p(y) = (a E[X | y] - y) / v`. The one adapter every score-based sampler uses: RDMC's reverse-diffusion
/// drift (a = e^{-s}, v = 1 - e^{-2s}) and the SMS conditional score (a = 1, v = σ², with `E[X | y_{1:m}]`).
public enum TweedieScore {
    /// `score[i] = (a · estimate[i] - y[i]) / v` for `count` coordinates.
    @inline(__always)
    public static func gaussian(
        estimate: Span<Double>, observation y: Span<Double>, scale a: Double, variance v: Double,
        into score: inout MutableSpan<Double>
    ) {
        estimate.withUnsafeBufferPointer { m in
            y.withUnsafeBufferPointer { y in
                score.withUnsafeMutableBufferPointer { s in
                    for i in 0..<s.count { s[i] = (a * m[i] - y[i]) / v }
                }
            }
        }
    }
}

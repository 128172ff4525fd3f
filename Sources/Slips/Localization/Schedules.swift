import RealModule

/// An SNR schedule of stochastic localization (spec/slips.md §1.1–§1.2): the observation process is
/// `Y_t = α(t) X + σ W_t` with `α(t) = √t · g(t)`; `g` is increasing with `g(0) = 0`.
public protocol SNRSchedule: Sendable {
    /// Short name used in summaries ("classic", "geometric").
    var name: String { get }
    /// The horizon T (the schedule is defined on [0, T)).
    var horizon: Double { get }
    /// Whether `g(t) → ∞` as `t → T` (finite-time schedule): then integration stops at `T - ε_end`;
    /// otherwise (classic) it stops at `T` itself (spec/slips.md §1.3).
    var isFiniteTime: Bool { get }
    /// The SNR profile g(t).
    func g(_ t: Double) -> Double
    /// The closed-form inverse of g (or an exact numerical one).
    func inverseG(_ s: Double) -> Double
    /// Schedule parameters, for summaries.
    var parameters: [String: Double] { get }
}

extension SNRSchedule {
    /// α(t) = √t g(t).
    @inlinable
    public func alpha(_ t: Double) -> Double { t.squareRoot() * g(t) }

    /// log g(t)², the code's "log-SNR" (spec/slips.md §1.3).
    public func logSNR(_ t: Double) -> Double { 2 * Double.log(g(t)) }

    /// The end of the integration window: `T - ε_end` for finite-time schedules, `T` otherwise.
    public func endTime(epsilonEnd: Double) -> Double { isFiniteTime ? horizon - epsilonEnd : horizon }
}

/// The classic stochastic-localization schedule of Eldan and Montanari: `g(t) = √t`, `α(t) = t`, truncated at a
/// finite horizon T (spec/slips.md §1.2, upstream `AlphaClassic`).
public struct ClassicSchedule: SNRSchedule {
    public let horizon: Double
    public var name: String { "classic" }
    public var isFiniteTime: Bool { false }
    public var parameters: [String: Double] { ["T": horizon] }

    public init(horizon: Double = 150) throws {
        guard horizon > 0, horizon.isFinite else { throw TargetError("the classic schedule needs T > 0 (got \(horizon))") }
        self.horizon = horizon
    }

    public func g(_ t: Double) -> Double { t.squareRoot() }
    public func inverseG(_ s: Double) -> Double { s * s }
}

/// The geometric schedule of spec/slips.md §1.2 (paper §3.2(b), upstream `AlphaGeometric`):
/// `g(t) = (t/T)^(α1/2) (1 - t/T)^(-α2/2)`. The inverse is closed-form for α1 = α2 and for (2, 1); otherwise it is
/// solved by bisection in double precision to the last bit.
public struct GeometricSchedule: SNRSchedule {
    public let alpha1: Double
    public let alpha2: Double
    public let horizon: Double
    public var name: String { "geometric" }
    public var isFiniteTime: Bool { true }
    public var parameters: [String: Double] { ["alpha1": alpha1, "alpha2": alpha2, "T": horizon] }

    public init(alpha1: Double = 1, alpha2: Double = 1, horizon: Double = 1) throws {
        guard alpha1 > 0, alpha1.isFinite, alpha2 > 0, alpha2.isFinite else {
            throw TargetError("the geometric schedule needs alpha1 > 0 and alpha2 > 0 (got \(alpha1), \(alpha2))")
        }
        guard horizon > 0, horizon.isFinite else { throw TargetError("the geometric schedule needs T > 0 (got \(horizon))") }
        self.alpha1 = alpha1
        self.alpha2 = alpha2
        self.horizon = horizon
    }

    public func g(_ t: Double) -> Double {
        let u = t / horizon
        return Double.pow(u, alpha1 / 2) * Double.pow(1 - u, -alpha2 / 2)
    }

    public func inverseG(_ s: Double) -> Double {
        precondition(s >= 0)
        if s == 0 { return 0 }
        if alpha1 == alpha2 {
            let p = Double.pow(s, 2 / alpha1)
            return horizon * p / (1 + p)
        }
        if alpha1 == 2 && alpha2 == 1 {
            let s2 = s * s
            // u = (√(s⁴ + 4s²) - s²)/2, written as 2s²/(√(s⁴+4s²) + s²) to avoid cancellation.
            return horizon * 2 * s2 / ((s2 * s2 + 4 * s2).squareRoot() + s2)
        }
        // Solve α1 log u - α2 log(1-u) = 2 log s (increasing in u) by bisection. The loop stops once the
        // bracket can no longer be split (last bit); resolving u ≈ 2^-e to the last bit takes about e + 53
        // halvings of [0, 1], so the cap must exceed 1022 + 53 for every normal u (200 lost all precision
        // below u ≈ 2^-147).
        let target = 2 * Double.log(s)
        var lo = 0.0, hi = 1.0
        for _ in 0..<1100 {
            let mid = 0.5 * (lo + hi)
            if mid == lo || mid == hi { break }
            let f = alpha1 * Double.log(mid) - alpha2 * Double.log(1 - mid)
            if f < target { lo = mid } else { hi = mid }
        }
        return horizon * 0.5 * (lo + hi)
    }

    /// ε_end such that the final log-SNR equals that of the classic schedule at horizon `classicHorizon`
    /// (spec/slips.md §1.3: 6.62e-3 for (1,1) and 6.58e-3 for (2,1) match T = 150).
    public func matchedEpsilonEnd(classicHorizon: Double = 150) -> Double {
        horizon - inverseG(classicHorizon.squareRoot())
    }
}

/// The SLIPS time grid (spec/slips.md §1.3): `K` points uniform in `log g(t)²` between `t_0 = ε` and `t_end`,
/// `t_k = g⁻¹(exp(λ_k / 2))`, with the end points set exactly.
public func logSNRTimeGrid(schedule: some SNRSchedule, start: Double, end: Double, points k: Int) -> [Double] {
    precondition(k >= 2 && start > 0 && end > start)
    let l0 = schedule.logSNR(start), l1 = schedule.logSNR(end)
    var grid = (0..<k).map { i -> Double in
        let lambda = l0 + Double(i) / Double(k - 1) * (l1 - l0)
        return schedule.inverseG(Double.exp(lambda / 2))
    }
    grid[0] = start
    grid[k - 1] = end
    return grid
}

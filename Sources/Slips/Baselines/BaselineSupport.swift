import RealModule

/// Collects every invalid parameter of a baseline configuration and throws them together on one line, separated by
/// "; " (the `validate()` contract of the baselines, spec/slips.md §4.3; the command line's one error line).
struct ParameterProblems {
    private(set) var lines: [String] = []

    /// Records `message` unless `condition` holds.
    mutating func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { lines.append(message()) }
    }

    /// Throws a ``SamplerError`` listing every recorded problem on one line.
    func throwIfAny() throws {
        if !lines.isEmpty { throw SamplerError(lines.joined(separator: "; ")) }
    }
}

extension Double {
    /// True for a finite, strictly positive value.
    @inline(__always)
    var isPositiveFinite: Bool { isFinite && self > 0 }
}

/// Turns `count` log-weights at `l` into unnormalised weights `exp(l_i - max)` in place and returns their sum
/// together with the max. Non-finite log-weights (NaN, ±inf) get weight 0; when every weight is 0 all of them
/// become 1 (uniform), which the importance-sampling score oracles use as their fallback.
@inline(__always)
func exponentiateLogWeights(_ l: UnsafeMutablePointer<Double>, count: Int) -> (sum: Double, max: Double) {
    var m = -Double.infinity
    for i in 0..<count where l[i].isFinite && l[i] > m { m = l[i] }
    guard m.isFinite else {
        for i in 0..<count { l[i] = 1 }
        return (Double(count), 0)
    }
    var s = 0.0
    for i in 0..<count {
        let w = l[i].isFinite ? Double.exp(l[i] - m) : 0
        l[i] = w
        s += w
    }
    return (s, m)
}

extension MultiplicativeAdaptation {
    /// Records every invalid field of the step-size rule (target acceptance, factor, tolerance, cap).
    func check(_ p: inout ParameterProblems) {
        p.require(targetAcceptance > 0 && targetAcceptance < 1,
                  "the target acceptance must be in (0, 1) (got \(targetAcceptance))")
        p.require(factor > 1 && factor.isFinite, "the step-size factor must be finite and > 1 (got \(factor))")
        p.require(tolerance >= 0 && tolerance.isFinite,
                  "the acceptance tolerance must be finite and >= 0 (got \(tolerance))")
        p.require(maximum.isPositiveFinite, "the maximal step size must be positive and finite (got \(maximum))")
    }
}

/// Saturating arithmetic for work and size formulas (evaluation counts, buffer sizes): a product or sum that does
/// not fit in `Int` is `Int.max` instead of a trap, so that a run far too large for the machine is refused with a
/// message (``SamplingJob``) rather than crashing while its cost is computed. Negative operands are not expected.
public enum Count {
    /// `Int.max`, the value of any count that does not fit.
    public static let saturated = Int.max

    /// The product of `factors`, or `Int.max` on overflow.
    public static func product(_ factors: Int...) -> Int {
        var p = 1
        for f in factors {
            let (r, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { return saturated }
            p = r
        }
        return p
    }

    /// The sum of `terms`, or `Int.max` on overflow.
    public static func sum(_ terms: Int...) -> Int {
        var s = 0
        for t in terms {
            let (r, overflow) = s.addingReportingOverflow(t)
            if overflow { return saturated }
            s = r
        }
        return s
    }

    /// `Int(x)` for a finite non-negative `x`, `Int.max` above it (NaN gives 0).
    public static func int(_ x: Double) -> Int {
        guard x == x else { return 0 }
        return x >= 9.2e18 ? saturated : Int(Swift.max(0, x))
    }
}

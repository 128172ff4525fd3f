/// An unnormalized log-density on R^d with its gradient, evaluated for a whole batch of points in one call
/// (DESIGN.md §2, "LogDensity"; Stan-style value and analytic partials in one pass).
///
/// Conforming types are immutable and thread-safe: the samplers call them concurrently from several threads,
/// each on its own batch. Rows are points: `points` holds `count × dimension` values, row-major.
public protocol LogDensity: Sendable {
    /// Dimension d of the space.
    var dimension: Int { get }

    /// Writes `log π(x_i)` to `logDensity[i]` and `∇ log π(x_i)` to row `i` of `gradient`, for `i < count`.
    /// Non-finite values are allowed (the kernels reject such proposals).
    func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>)

    /// Writes `log π(x_i)` to `logDensity[i]` without the gradient (log-density-only evaluations, counted
    /// separately by the baselines). The default implementation calls ``evaluate(_:count:logDensity:gradient:)``.
    func logDensity(_ points: UnsafePointer<Double>, count: Int, into logDensity: UnsafeMutablePointer<Double>)
}

extension LogDensity {
    public func logDensity(_ points: UnsafePointer<Double>, count: Int, into logDensity: UnsafeMutablePointer<Double>) {
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(1, count * dimension))
        defer { scratch.deallocate() }
        evaluate(points, count: count, logDensity: logDensity, gradient: scratch)
    }

    /// Log-densities and gradients of a batch, as arrays (convenience for tests and small inputs).
    public func evaluate(_ points: Points) -> (logDensity: [Double], gradient: Points) {
        precondition(points.dimension == dimension, "points have dimension \(points.dimension), target \(dimension)")
        var lp = [Double](repeating: 0, count: points.count)
        var grad = Points(count: points.count, dimension: dimension)
        points.withUnsafeBufferPointer { x in
            lp.withUnsafeMutableBufferPointer { l in
                grad.withUnsafeMutableBufferPointer { g in
                    evaluate(x.baseAddress!, count: points.count, logDensity: l.baseAddress!, gradient: g.baseAddress!)
                }
            }
        }
        return (lp, grad)
    }

    /// Log-density and gradient at one point.
    public func evaluate(at x: [Double]) -> (logDensity: Double, gradient: [Double]) {
        let r = evaluate(Points(dimension: dimension, storage: x))
        return (r.logDensity[0], r.gradient.storage)
    }
}

/// A target given by a Swift closure that returns `log π(x)` and writes `∇ log π(x)` for one point.
///
/// Convenient for user targets; the closure is called once per point, so it must be thread-safe.
public struct ClosureTarget: LogDensity {
    public let dimension: Int
    public let body: @Sendable (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Double

    public init(
        dimension: Int,
        _ body: @escaping @Sendable (UnsafeBufferPointer<Double>, UnsafeMutableBufferPointer<Double>) -> Double
    ) {
        precondition(dimension > 0)
        self.dimension = dimension
        self.body = body
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        let d = dimension
        for i in 0..<count {
            logDensity[i] = body(
                UnsafeBufferPointer(start: points + i * d, count: d),
                UnsafeMutableBufferPointer(start: gradient + i * d, count: d))
        }
    }
}

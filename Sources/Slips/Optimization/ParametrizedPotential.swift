import RealModule

/// A potential `V(x, θ)` on R^d with trainable parameters θ ∈ R^p, evaluated for a whole batch of points with
/// `∇ₓV` and `∇_θV` in one pass (spec/implicit_diffusion.md §1 and §2.1: the sampling process's stationary law
/// is the Gibbs measure `π*(θ) ∝ exp(−V(·, θ))`).
///
/// Conforming types are immutable and thread-safe: the optimizers call them from several threads at once, each
/// on its own rows. Rows are points: `points` holds `count × dimension` values, row-major; θ holds
/// `parameterCount` values.
public protocol ParametrizedPotential: Sendable {
    /// Dimension d of the sample space.
    var dimension: Int { get }
    /// Number p of parameters θ.
    var parameterCount: Int { get }

    /// Writes `V(x_i, θ)` to `potential[i]`, `∇ₓV(x_i, θ)` to row `i` of `gradientX` (d values per row) and
    /// `∇_θV(x_i, θ)` to row `i` of `gradientTheta` (p values per row), for `i < count`. A `nil` output is
    /// not wanted and need not be computed. Non-finite values are allowed (the kernels reject such moves and
    /// the optimizers report them).
    func evaluate(
        _ points: UnsafePointer<Double>, count: Int, theta: UnsafePointer<Double>,
        potential: UnsafeMutablePointer<Double>,
        gradientX: UnsafeMutablePointer<Double>?,
        gradientTheta: UnsafeMutablePointer<Double>?)

    /// True when the normalizing constant `Z(θ) = ∫ exp(−V(x, θ)) dx` does not depend on θ (a normalized family,
    /// e.g. a Gaussian mixture with softmax weights). Then `E_θ[∇_θV] = −∇_θ log Z = 0` exactly (§2.1), and the
    /// KL(ref‖θ) gradient `E_ref[∇_θV] − E_θ[∇_θV]` needs no model-sample term (see
    /// ``LangevinOptimization/usesKnownNormalization``). Default: false.
    var isNormalizedInTheta: Bool { get }
}

extension ParametrizedPotential {
    public var isNormalizedInTheta: Bool { false }

    /// `V`, `∇ₓV` and `∇_θV` of a batch, as arrays (convenience for tests and small inputs).
    public func evaluate(_ points: Points, theta: [Double]) -> (potential: [Double], gradientX: Points, gradientTheta: Points) {
        precondition(points.dimension == dimension, "points have dimension \(points.dimension), potential \(dimension)")
        precondition(theta.count == parameterCount, "θ has \(theta.count) values, the potential \(parameterCount)")
        let n = points.count
        var v = [Double](repeating: 0, count: n)
        var gx = Points(count: n, dimension: dimension)
        var gt = Points(count: n, dimension: parameterCount)
        guard n > 0 else { return (v, gx, gt) }
        points.withUnsafeBufferPointer { x in
            theta.withUnsafeBufferPointer { t in
                v.withUnsafeMutableBufferPointer { vp in
                    gx.withUnsafeMutableBufferPointer { gxp in
                        gt.withUnsafeMutableBufferPointer { gtp in
                            evaluate(x.baseAddress!, count: n, theta: t.baseAddress!, potential: vp.baseAddress!,
                                     gradientX: gxp.baseAddress!, gradientTheta: gtp.baseAddress!)
                        }
                    }
                }
            }
        }
        return (v, gx, gt)
    }

    /// The Gibbs measure `π*(θ) ∝ exp(−V(·, θ))` at a fixed θ as a ``LogDensity`` (spec/implicit_diffusion.md §1).
    public func gibbs(theta: [Double]) -> GibbsTarget<Self> { GibbsTarget(potential: self, theta: theta) }
}

/// The Gibbs measure `π*(θ) ∝ exp(−V(·, θ))` of a ``ParametrizedPotential`` at a fixed θ, as the ``LogDensity``
/// the library's Langevin kernels sample (spec/implicit_diffusion.md §1, §3.2): `log π = −V`, `∇ log π = −∇ₓV`.
///
/// With a `thetaGradientSink`, every `evaluate` call also writes `∇_θV(x_i, θ)` to row `i` of the sink
/// (p values per row), so the optimizers get the parameter gradients of a kernel's proposals from the same
/// pass as the position gradients. The sink is owned by the caller, must hold `count × p` values for every
/// batch the target is evaluated on, and must not be shared between threads; hence `@unchecked Sendable`.
public struct GibbsTarget<P: ParametrizedPotential>: LogDensity, @unchecked Sendable {
    public let potential: P
    public let theta: [Double]
    public let thetaGradientSink: UnsafeMutablePointer<Double>?

    public init(potential: P, theta: [Double], thetaGradientSink: UnsafeMutablePointer<Double>? = nil) {
        precondition(theta.count == potential.parameterCount,
                     "θ has \(theta.count) values, the potential \(potential.parameterCount)")
        self.potential = potential
        self.theta = theta
        self.thetaGradientSink = thetaGradientSink
    }

    public var dimension: Int { potential.dimension }

    @inline(__always)
    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        theta.withUnsafeBufferPointer { t in
            potential.evaluate(points, count: count, theta: t.baseAddress!, potential: logDensity,
                               gradientX: gradient, gradientTheta: thetaGradientSink)
        }
        for i in 0..<count { logDensity[i] = -logDensity[i] }
        for i in 0..<(count * potential.dimension) { gradient[i] = -gradient[i] }
    }
}

/// A Gaussian mixture potential with trainable log-weights and, optionally, trainable means
/// (spec/implicit_diffusion.md §2.1 "Mixture potential" and §4.1):
/// `V(x, θ) = −log Σ_j w_j exp(−‖x − μ_j‖² / (2σ²))`, `w = softmax(θ_{0..<K})`, all components with the same
/// isotropic variance σ².
///
/// Gradients (ρ the responsibilities, computed with log-sum-exp, §7.2): `∇ₓV = Σ_j ρ_j (x − μ_j)/σ²`,
/// `∂V/∂θ_j = w_j − ρ_j(x)` and, when the means are trained, `∂V/∂μ_j = −ρ_j (x − μ_j)/σ²`.
/// θ layout: the K logits, then (with trainable means) the K means row-major.
public struct GaussianMixturePotential: ParametrizedPotential {
    /// Normalized Gaussian components with softmax weights: `Z(θ) = (2πσ²)^{d/2}` for every θ.
    public var isNormalizedInTheta: Bool { true }
    public let dimension: Int
    /// Number K of components.
    public let componentCount: Int
    /// The fixed component means (rows); with trainable means these are only the default initial means.
    public let means: Points
    /// The shared component variance σ².
    public let variance: Double
    /// Whether the means are part of θ.
    public let trainsMeans: Bool

    public var parameterCount: Int { componentCount * (trainsMeans ? 1 + dimension : 1) }

    public init(means: [[Double]], variance: Double = 1, trainsMeans: Bool = false) throws {
        guard let d = means.first?.count, d > 0, means.allSatisfy({ $0.count == d }) else {
            throw OptimizationError("a mixture potential needs at least one mean, all of the same positive dimension")
        }
        guard means.joined().allSatisfy(\.isFinite) else { throw OptimizationError("mixture means must be finite") }
        guard variance > 0, variance.isFinite else {
            throw OptimizationError("the mixture variance must be positive and finite (got \(variance))")
        }
        dimension = d
        componentCount = means.count
        self.means = Points(rows: means)
        self.variance = variance
        self.trainsMeans = trainsMeans
    }

    /// θ for the given log-weights (logits) and, with trainable means, the current ``means``.
    public func theta(logWeights: [Double]) -> [Double] {
        precondition(logWeights.count == componentCount)
        return trainsMeans ? logWeights + means.storage : logWeights
    }

    /// `softmax(θ_{0..<K})`, the mixture weights.
    public func weights(theta: [Double]) -> [Double] {
        GaussianMixturePotential.softmax(Array(theta.prefix(componentCount)))
    }

    /// `softmax(θ)` (log-sum-exp stabilized).
    public static func softmax(_ theta: [Double]) -> [Double] {
        let lse = theta.logSumExp()
        return theta.map { Double.exp($0 - lse) }
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int, theta: UnsafePointer<Double>,
        potential: UnsafeMutablePointer<Double>,
        gradientX: UnsafeMutablePointer<Double>?,
        gradientTheta: UnsafeMutablePointer<Double>?
    ) {
        let d = dimension, kc = componentCount, p = parameterCount
        let inv = 1 / variance, half = 0.5 / variance
        let trains = trainsMeans
        means.storage.withUnsafeBufferPointer { fixed in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 3 * kc) { scratch in
                let logW = scratch.baseAddress!, w = logW + kc, l = w + kc
                // log w = θ − lse(θ), once per batch.
                let lse = Vector.logSumExp(theta, kc)
                for k in 0..<kc {
                    logW[k] = theta[k] - lse
                    w[k] = Double.exp(logW[k])
                }
                let mu = trains ? theta + kc : fixed.baseAddress!
                for i in 0..<count {
                    let x = points + i * d
                    var m = -Double.infinity
                    for k in 0..<kc {
                        l[k] = logW[k] - half * Vector.squaredDistance(x, mu + k * d, d)
                        if l[k] > m { m = l[k] }
                    }
                    var s = 0.0
                    for k in 0..<kc {
                        l[k] = Double.exp(l[k] - m)
                        s += l[k]
                    }
                    potential[i] = -(m + Double.log(s))
                    let rs = 1 / s
                    for k in 0..<kc { l[k] *= rs }  // responsibilities ρ_k
                    if let gx = gradientX {
                        let g = gx + i * d
                        for j in 0..<d { g[j] = x[j] }
                        for k in 0..<kc {
                            let r = l[k], mk = mu + k * d
                            for j in 0..<d { g[j] -= r * mk[j] }
                        }
                        if inv != 1 { for j in 0..<d { g[j] *= inv } }
                    }
                    if let gt = gradientTheta {
                        let g = gt + i * p
                        for k in 0..<kc { g[k] = w[k] - l[k] }
                        if trains {
                            for k in 0..<kc {
                                let r = l[k] * inv, mk = mu + k * d, gk = g + kc + k * d
                                for j in 0..<d { gk[j] = -r * (x[j] - mk[j]) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The Gaussian location family `V(x, θ) = ‖x − θ‖²/2` (θ ∈ R^d), so `π*(θ) = N(θ, I)`: the Gaussian Langevin toy
/// of spec/implicit_diffusion.md §4.4 (`∇ₓV = x − θ`, `∇_θV = θ − x`).
public struct GaussianLocationPotential: ParametrizedPotential {
    /// `Z(θ) = (2π)^{d/2}` for every θ.
    public var isNormalizedInTheta: Bool { true }
    public let dimension: Int
    public var parameterCount: Int { dimension }

    public init(dimension: Int) throws {
        guard dimension > 0 else { throw OptimizationError("dimension must be positive (got \(dimension))") }
        self.dimension = dimension
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int, theta: UnsafePointer<Double>,
        potential: UnsafeMutablePointer<Double>,
        gradientX: UnsafeMutablePointer<Double>?,
        gradientTheta: UnsafeMutablePointer<Double>?
    ) {
        let d = dimension
        for i in 0..<count {
            let x = points + i * d
            var q = 0.0
            for j in 0..<d {
                let t = x[j] - theta[j]
                q += t * t
                gradientX?[i * d + j] = t
                gradientTheta?[i * d + j] = -t
            }
            potential[i] = 0.5 * q
        }
    }
}

/// A user potential given by a Swift closure for one point (spec/implicit_diffusion.md §1; the issue's "API for a
/// user's own potential"): it receives x (d values) and θ (p values), writes `∇ₓV` (d values) and `∇_θV`
/// (p values) and returns `V(x, θ)`.
///
/// The closure is called once per point and must be thread-safe. It must always fill both gradient buffers.
public struct ClosurePotential: ParametrizedPotential {
    public typealias Body = @Sendable (
        _ x: UnsafeBufferPointer<Double>, _ theta: UnsafeBufferPointer<Double>,
        _ gradientX: UnsafeMutableBufferPointer<Double>, _ gradientTheta: UnsafeMutableBufferPointer<Double>
    ) -> Double

    public let dimension: Int
    public let parameterCount: Int
    public let body: Body
    /// Whether the user declared `Z(θ)` independent of θ (``ParametrizedPotential/isNormalizedInTheta``).
    public let isNormalizedInTheta: Bool

    /// `normalizedInTheta`: declare that `∫ exp(−V(x, θ)) dx` does not depend on θ (only if it is true: the
    /// KL(ref‖θ) gradient then drops its model-sample term).
    public init(dimension: Int, parameterCount: Int, normalizedInTheta: Bool = false, _ body: @escaping Body) throws {
        guard dimension > 0, parameterCount > 0 else {
            throw OptimizationError("a potential needs a positive dimension and parameter count (got \(dimension), \(parameterCount))")
        }
        self.dimension = dimension
        self.parameterCount = parameterCount
        self.isNormalizedInTheta = normalizedInTheta
        self.body = body
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int, theta: UnsafePointer<Double>,
        potential: UnsafeMutablePointer<Double>,
        gradientX: UnsafeMutablePointer<Double>?,
        gradientTheta: UnsafeMutablePointer<Double>?
    ) {
        let d = dimension, p = parameterCount
        withUnsafeTemporaryAllocation(of: Double.self, capacity: d + p) { scratch in
            let t = UnsafeBufferPointer(start: theta, count: p)
            for i in 0..<count {
                let gx = gradientX.map { $0 + i * d } ?? scratch.baseAddress!
                let gt = gradientTheta.map { $0 + i * p } ?? scratch.baseAddress! + d
                potential[i] = body(
                    UnsafeBufferPointer(start: points + i * d, count: d), t,
                    UnsafeMutableBufferPointer(start: gx, count: d), UnsafeMutableBufferPointer(start: gt, count: p))
            }
        }
    }
}

/// Invalid optimization input, or a numerical failure during an optimization run (spec/implicit_diffusion.md §7;
/// the "never a silent NaN θ"). `description` is one line, fit for the CLI's error line.
public struct OptimizationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

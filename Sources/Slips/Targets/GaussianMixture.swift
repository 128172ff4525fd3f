import RealModule
internal import SlipsKernels

/// Errors raised when building a target from user input.
public struct TargetError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A Gaussian mixture `Σ_k w_k N(μ_k, diag(v_k))` with isotropic or diagonal covariances
/// (spec/denoising.md §1.2; spec/slips.md §2.1).
///
/// Besides the batched log-density and gradient it provides exact sampling, the closed-form smoothed
/// mixture `p_s = p * N(0, s² I)` and the closed-form denoiser `E[X | X + sN = y]` at any noise level,
/// the ground truth of every sampler test.
public struct GaussianMixture: LogDensity {
    public let dimension: Int
    /// Normalised weights.
    public let weights: [Double]
    /// Component means, one row per component.
    public let means: Points
    /// Component variances per coordinate, one row per component.
    public let variances: Points
    @usableFromInline let precisions: [Double]
    /// `log w_k - ½ Σ_j log(2π v_kj)`.
    @usableFromInline let logNormalizers: [Double]

    /// Number of components K.
    public var componentCount: Int { weights.count }

    /// A mixture with diagonal covariances (`variances[k][j]` is the variance of coordinate j in component k).
    public init(weights: [Double], means: [[Double]], variances: [[Double]]) throws {
        guard !weights.isEmpty, weights.count == means.count, weights.count == variances.count else {
            throw TargetError("a Gaussian mixture needs as many weights, means and variance rows (got \(weights.count), \(means.count), \(variances.count))")
        }
        guard weights.allSatisfy({ $0.isFinite && $0 >= 0 }), weights.reduce(0, +) > 0 else {
            throw TargetError("mixture weights must be finite, non-negative and not all zero")
        }
        let d = means[0].count
        guard d > 0, means.allSatisfy({ $0.count == d }), variances.allSatisfy({ $0.count == d }) else {
            throw TargetError("every mean and variance row must have the same dimension")
        }
        guard means.joined().allSatisfy(\.isFinite) else { throw TargetError("mixture means must be finite") }
        guard variances.joined().allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw TargetError("mixture variances must be finite and positive")
        }
        let total = weights.reduce(0, +)
        dimension = d
        self.weights = weights.map { $0 / total }
        self.means = Points(rows: means)
        self.variances = Points(rows: variances)
        precisions = variances.joined().map { 1 / $0 }
        logNormalizers = zip(self.weights, variances).map { w, v in
            Double.log(w) - 0.5 * v.reduce(0) { $0 + Double.log(2 * Double.pi * $1) }
        }
    }

    /// A mixture with isotropic covariances `variances[k] · I`.
    public init(weights: [Double], means: [[Double]], isotropicVariances: [Double]) throws {
        guard let d = means.first?.count, isotropicVariances.count == means.count else {
            throw TargetError("a Gaussian mixture needs one variance per component")
        }
        try self.init(weights: weights, means: means, variances: isotropicVariances.map { [Double](repeating: $0, count: d) })
    }

    /// Log-density and gradient of a batch, in the C target `SlipsKernels` (dispatched as ``DenseKernels``):
    /// `l_k = log w_k - ½ Σ_j P_kj (x_j - μ_kj)²` (the sum over coordinates in eight lanes j mod 8, then
    /// `((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7))`, in every build), `log π = m + log Σ_k e^{l_k - m}` (eight points at a time, the exponentials by
    /// ``VectorMath/exp(_:)``'s polynomial, 0 below e⁻⁷⁰⁸), `∇ log π = Σ_k (r_k P_k)(μ_k - x)` with `r_k = e_k · (1/s)`.
    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        let d = dimension, kc = componentCount
        means.storage.withUnsafeBufferPointer { mu in
            precisions.withUnsafeBufferPointer { prec in
                logNormalizers.withUnsafeBufferPointer { c in
                    withUnsafeTemporaryAllocation(of: Double.self, capacity: 8 * kc) { l in
                        slips_mixture_evaluate(points, count, d, kc, mu.baseAddress!, prec.baseAddress!, c.baseAddress!,
                                               logDensity, gradient, l.baseAddress!)
                    }
                }
            }
        }
    }

    /// Index of the component drawn for a uniform `u` in [0, 1).
    @usableFromInline
    func component(for u: Double) -> Int {
        var acc = 0.0
        for k in 0..<componentCount {
            acc += weights[k]
            if u < acc { return k }
        }
        return componentCount - 1
    }

    /// `count` exact draws from the mixture, point `i` from stream `(seed, i, .exactSamples)`.
    public func sample(count: Int, seed: UInt64) -> Points {
        var out = Points(count: count, dimension: dimension)
        let d = dimension
        for i in 0..<count {
            var rng = RandomStream.make(seed: seed, index: i, purpose: .exactSamples)
            let k = component(for: rng.nextUniform())
            for j in 0..<d {
                out.storage[i * d + j] = means.storage[k * d + j] + variances.storage[k * d + j].squareRoot() * rng.nextNormal()
            }
        }
        return out
    }

    /// The smoothed mixture `p_s = Law(X + sN)` (spec/denoising.md §1.2): variances grow by `noiseVariance`.
    public func smoothed(noiseVariance s2: Double) -> GaussianMixture {
        let vars = variances.rows.map { $0.map { $0 + s2 } }
        return try! GaussianMixture(weights: weights, means: means.rows, variances: vars)
    }

    /// The closed-form denoiser `E[X | X + sN = y]` for each row of `y`, with `s² = noiseVariance`
    /// (spec/denoising.md §1.2; responsibilities of the smoothed mixture, per-component shrinkage).
    public func denoiser(_ y: Points, noiseVariance s2: Double) -> Points {
        precondition(y.dimension == dimension && s2 > 0)
        let smooth = smoothed(noiseVariance: s2)
        let d = dimension, kc = componentCount
        var out = Points(count: y.count, dimension: d)
        var l = [Double](repeating: 0, count: kc)
        for i in 0..<y.count {
            for k in 0..<kc {
                var q = 0.0
                for j in 0..<d {
                    let t = y.storage[i * d + j] - means.storage[k * d + j]
                    q += t * t * smooth.precisions[k * d + j]
                }
                l[k] = smooth.logNormalizers[k] - 0.5 * q
            }
            let lse = l.logSumExp()
            for k in 0..<kc {
                let r = Double.exp(l[k] - lse)
                for j in 0..<d {
                    let v = variances.storage[k * d + j], mu = means.storage[k * d + j]
                    out.storage[i * d + j] += r * (mu + v / (v + s2) * (y.storage[i * d + j] - mu))
                }
            }
        }
        return out
    }

    /// The closed-form denoiser of stochastic localization, `u_t(y) = E[X | Y_t = y]` with
    /// `Y_t = α X + σ W_t` (spec/slips.md §1.1): `y/α = X + (σ√t/α) Z`.
    public func localizationDenoiser(_ y: Points, alpha: Double, sigma: Double, t: Double) -> Points {
        var scaled = y
        for i in scaled.storage.indices { scaled.storage[i] /= alpha }
        return denoiser(scaled, noiseVariance: sigma * sigma * t / (alpha * alpha))
    }

    /// Exact mean of the mixture.
    public var mean: [Double] {
        (0..<dimension).map { j in (0..<componentCount).reduce(0) { $0 + weights[$1] * means[$1, j] } }
    }

    /// Exact covariance of the mixture (d × d, row-major rows).
    public var covariance: [[Double]] {
        let m = mean, d = dimension
        var c = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for k in 0..<componentCount {
            for a in 0..<d {
                for b in 0..<d {
                    var t = (means[k, a] - m[a]) * (means[k, b] - m[b])
                    if a == b { t += variances[k, a] }
                    c[a][b] += weights[k] * t
                }
            }
        }
        return c
    }
}

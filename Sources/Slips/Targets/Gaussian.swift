import RealModule

/// A multivariate Gaussian `N(μ, Σ)` with a dense covariance, the exact reference for MCMC tests
/// (ROADMAP: "check every sampler against an exact reference").
public struct MultivariateGaussian: LogDensity {
    public let dimension: Int
    public let mean: [Double]
    /// Covariance Σ, row-major d × d.
    public let covariance: [Double]
    /// Precision Σ⁻¹, row-major.
    @usableFromInline let precision: [Double]
    /// Lower Cholesky factor L of Σ (Σ = L Lᵀ), row-major.
    public let choleskyFactor: [Double]
    @usableFromInline let logNormalizer: Double

    public init(mean: [Double], covariance: [[Double]]) throws {
        let d = mean.count
        guard d > 0, covariance.count == d, covariance.allSatisfy({ $0.count == d }) else {
            throw TargetError("a Gaussian needs a d × d covariance for a mean of length d")
        }
        let s = covariance.flatMap { $0 }
        guard let l = choleskyLower(s, d) else { throw TargetError("the covariance is not symmetric positive definite") }
        dimension = d
        self.mean = mean
        self.covariance = s
        choleskyFactor = l
        precision = spdInverse(lower: l, d)
        var logDet = 0.0
        for i in 0..<d { logDet += 2 * Double.log(l[i * d + i]) }
        logNormalizer = -0.5 * (Double(d) * Double.log(2 * Double.pi) + logDet)
    }

    /// The AR(1)-correlated Gaussian with unit variances and `Σ_ij = ρ^|i-j|`, centred at `mean` (0 by default).
    public static func autoregressive(dimension d: Int, correlation rho: Double, mean: [Double]? = nil) throws -> MultivariateGaussian {
        guard d > 0, abs(rho) < 1 else { throw TargetError("need d > 0 and |ρ| < 1") }
        let cov = (0..<d).map { i in (0..<d).map { j in Double.pow(rho, Double(abs(i - j))) } }
        return try MultivariateGaussian(mean: mean ?? [Double](repeating: 0, count: d), covariance: cov)
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        let d = dimension
        mean.withUnsafeBufferPointer { mu in
            precision.withUnsafeBufferPointer { p in
                withUnsafeTemporaryAllocation(of: Double.self, capacity: d) { r in
                    let r = r.baseAddress!, mu = mu.baseAddress!, p = p.baseAddress!
                    for i in 0..<count {
                        let x = points + i * d, g = gradient + i * d
                        for j in 0..<d { r[j] = x[j] - mu[j] }
                        var q = 0.0
                        for a in 0..<d {
                            let pa = -Vector.dot(p + a * d, r, d)
                            g[a] = pa
                            q -= pa * r[a]
                        }
                        logDensity[i] = logNormalizer - 0.5 * q
                    }
                }
            }
        }
    }

    /// `count` exact draws `μ + L z`, point `i` from stream `(seed, i, .exactSamples)`.
    public func sample(count: Int, seed: UInt64) -> Points {
        let d = dimension
        var out = Points(count: count, dimension: d)
        var z = [Double](repeating: 0, count: d)
        for i in 0..<count {
            var rng = RandomStream.make(seed: seed, index: i, purpose: .exactSamples)
            for j in 0..<d { z[j] = rng.nextNormal() }
            for a in 0..<d {
                var s = mean[a]
                for b in 0...a { s += choleskyFactor[a * d + b] * z[b] }
                out.storage[i * d + a] = s
            }
        }
        return out
    }
}

/// Lower Cholesky factor of a symmetric positive-definite row-major matrix, or nil.
func choleskyLower(_ a: [Double], _ n: Int) -> [Double]? {
    var l = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        guard a[i * n + i].isFinite else { return nil }
        for j in 0...i {
            guard abs(a[i * n + j] - a[j * n + i]) <= 1e-12 * max(1, abs(a[i * n + j])) else { return nil }
            var s = a[i * n + j]
            for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
            if i == j {
                guard s > 0, s.isFinite else { return nil }
                l[i * n + i] = s.squareRoot()
            } else {
                l[i * n + j] = s / l[j * n + j]
            }
        }
    }
    return l
}

/// Inverse of L Lᵀ from its lower Cholesky factor.
func spdInverse(lower l: [Double], _ n: Int) -> [Double] {
    // Solve L Lᵀ X = I column by column.
    var inv = [Double](repeating: 0, count: n * n)
    var y = [Double](repeating: 0, count: n)
    for c in 0..<n {
        for i in 0..<n {
            var s = i == c ? 1.0 : 0.0
            for k in 0..<i { s -= l[i * n + k] * y[k] }
            y[i] = s / l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<n { s -= l[k * n + i] * inv[k * n + c] }
            inv[i * n + c] = s / l[i * n + i]
        }
    }
    return inv
}

/// Solves `L Lᵀ x = b` from the lower Cholesky factor L (row-major, n × n).
func choleskySolve(lower l: [Double], _ n: Int, _ b: [Double]) -> [Double] {
    var y = [Double](repeating: 0, count: n)
    for i in 0..<n {
        var s = b[i]
        for k in 0..<i { s -= l[i * n + k] * y[k] }
        y[i] = s / l[i * n + i]
    }
    for i in stride(from: n - 1, through: 0, by: -1) {
        var s = y[i]
        for k in (i + 1)..<n { s -= l[k * n + i] * y[k] }
        y[i] = s / l[i * n + i]
    }
    return y
}

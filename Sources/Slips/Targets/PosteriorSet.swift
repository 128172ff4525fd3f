import RealModule

extension MultivariateGaussian {
    /// The ill-conditioned Gaussian of the MCMC posterior set (the `correlated-gaussian` target): `N(0, Σ)` with
    /// `Σ = Q diag(λ) Qᵀ`, variances `λ_k = 10^(−2 + 4k/(d−1))` (condition number `conditionNumber`, 10⁴ by default,
    /// spread log-evenly around 1) and `Q` the orthonormal DCT-II basis `Q_jk = √(c_k/d) cos(π (j + ½) k / d)`
    /// (`c_0 = 1`, else 2): every coordinate mixes every scale, so a diagonal metric cannot remove the conditioning and a
    /// dense one can. Closed form, so the same target is easy to rebuild elsewhere (Benchmarks/nuts_blackjax.py).
    public static func rotatedIllConditioned(dimension d: Int, conditionNumber: Double = 1e4) throws -> MultivariateGaussian {
        guard d >= 2 else { throw TargetError("correlated-gaussian needs dimension >= 2 (got \(d))") }
        guard conditionNumber >= 1, conditionNumber.isFinite else { throw TargetError("the condition number must be >= 1") }
        let logRange = Double.log10(conditionNumber)
        let lambda = (0..<d).map { Double.pow(10, -logRange / 2 + logRange * Double($0) / Double(d - 1)) }
        let q = (0..<d).map { j in
            (0..<d).map { k in
                ((k == 0 ? 1.0 : 2.0) / Double(d)).squareRoot() * Double.cos(Double.pi * (Double(j) + 0.5) * Double(k) / Double(d))
            }
        }
        var cov = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
        for a in 0..<d {
            for b in a..<d {
                var s = 0.0
                for k in 0..<d { s += q[a][k] * lambda[k] * q[b][k] }
                cov[a][b] = s
                cov[b][a] = s
            }
        }
        return try MultivariateGaussian(mean: [Double](repeating: 0, count: d), covariance: cov)
    }
}

/// The non-centred eight-schools model (Rubin 1981; Gelman et al., *Bayesian Data Analysis* §5.5), the standard test
/// of a hierarchical posterior with a funnel-shaped geometry in its centred form. Parameters `(μ, log τ, θ̃₁…θ̃₈)`:
///
///     μ ~ N(0, 5²),  τ ~ HalfCauchy(0, 5),  θ̃_j ~ N(0, 1),  y_j ~ N(μ + τ θ̃_j, σ_j²),
///
/// with `y = (28, 8, −3, 7, −1, 1, 18, 12)`, `σ = (15, 10, 16, 11, 9, 11, 10, 18)` and the Jacobian of `τ = e^{log τ}`;
/// the log-density is normalised.
public struct EightSchools: LogDensity {
    public static let effects: [Double] = [28, 8, -3, 7, -1, 1, 18, 12]
    public static let standardErrors: [Double] = [15, 10, 16, 11, 9, 11, 10, 18]
    public static let parameterNames = ["mu", "log_tau"] + (0..<8).map { "theta_tilde[\($0)]" }

    public var dimension: Int { 10 }
    let constant: Double

    public init() {
        let log2pi = Double.log(2 * Double.pi)
        // N(μ; 0, 25), HalfCauchy(τ; 0, 5) = 2/(π·5·(1 + τ²/25)), 8 × N(θ̃; 0, 1), 8 likelihood terms.
        constant = -0.5 * log2pi - Double.log(5) + Double.log(2 / (Double.pi * 5)) - 8 * 0.5 * log2pi
            - Self.standardErrors.reduce(0) { $0 + 0.5 * log2pi + Double.log($1) }
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        for i in 0..<count {
            let x = points + i * 10, g = gradient + i * 10
            let mu = x[0], logTau = x[1], tau = Double.exp(logTau)
            var lp = constant - mu * mu / 50 + logTau - Double.log(onePlus: tau * tau / 25)
            var gMu = -mu / 25, gLogTau = 1 - 2 * (tau * tau / 25) / (1 + tau * tau / 25)
            for j in 0..<8 {
                let t = x[2 + j], s = Self.standardErrors[j]
                let r = (Self.effects[j] - mu - tau * t) / s
                lp -= 0.5 * t * t + 0.5 * r * r
                let dr = r / s  // ∂(−½ r²)/∂θ_j where θ_j = μ + τ θ̃_j
                gMu += dr
                gLogTau += dr * tau * t
                g[2 + j] = -t + dr * tau
            }
            g[0] = gMu
            g[1] = gLogTau
            logDensity[i] = lp
        }
    }
}

/// The (optionally weighted) sample mean of `points`, one entry per coordinate; used by the mean error of the
/// two-mode diagnostics (spec/slips.md §3, `compute_metrics_mog`). All NaN for an empty set.
public func sampleMean(_ points: Points, weights: [Double]? = nil) -> [Double] {
    let n = points.count, d = points.dimension
    var mean = [Double](repeating: 0, count: d)
    guard n > 0 else { return [Double](repeating: .nan, count: d) }
    let w = normalizedWeights(weights, count: n)
    points.withUnsafeBufferPointer { x in
        for i in 0..<n {
            let wi = w?[i] ?? 1
            for j in 0..<d { mean[j] += wi * x[i * d + j] }
        }
    }
    if w == nil {
        let inv = 1 / Double(n)
        for j in 0..<d { mean[j] *= inv }
    }
    return mean
}

/// The unbiased sample covariance of `points` (divisor n − 1), a d×d matrix in row-major order; used by the
/// Frobenius covariance error of spec/slips.md §3 (`compute_metrics_mog`). All NaN for fewer than two points.
public func sampleCovariance(_ points: Points) -> [Double] {
    let n = points.count, d = points.dimension
    guard n >= 2 else { return [Double](repeating: .nan, count: d * d) }
    let mean = sampleMean(points)
    var cov = [Double](repeating: 0, count: d * d)
    var centred = [Double](repeating: 0, count: d)
    points.withUnsafeBufferPointer { x in
        for i in 0..<n {
            for j in 0..<d { centred[j] = x[i * d + j] - mean[j] }
            for r in 0..<d {
                let cr = centred[r]
                for c in r..<d { cov[r * d + c] += cr * centred[c] }
            }
        }
    }
    let inv = 1 / Double(n - 1)
    for r in 0..<d {
        for c in r..<d {
            let v = cov[r * d + c] * inv
            cov[r * d + c] = v
            cov[c * d + r] = v
        }
    }
    return cov
}

/// ‖mean(a) − mean(b)‖₂, the Euclidean norm of the difference of the sample means (spec/slips.md §3,
/// "mean error" of the two-mode diagnostics).
///
/// - Precondition: same dimension.
public func meanError(_ a: Points, _ b: Points) -> Double {
    precondition(a.dimension == b.dimension, "meanError: dimensions differ")
    let ma = sampleMean(a), mb = sampleMean(b)
    var s = 0.0
    for j in ma.indices { s += (ma[j] - mb[j]) * (ma[j] - mb[j]) }
    return s.squareRoot()
}

/// ‖Cov(a) − Cov(b)‖_F, the Frobenius norm of the difference of the unbiased sample covariances
/// (spec/slips.md §3, "Frobenius covariance error" of the two-mode diagnostics).
///
/// - Precondition: same dimension.
public func covarianceError(_ a: Points, _ b: Points) -> Double {
    precondition(a.dimension == b.dimension, "covarianceError: dimensions differ")
    let ca = sampleCovariance(a), cb = sampleCovariance(b)
    var s = 0.0
    for j in ca.indices { s += (ca[j] - cb[j]) * (ca[j] - cb[j]) }
    return s.squareRoot()
}

/// ‖mean(samples) − mean‖₂ against a known mean (spec/slips.md §3, "mean error" against the target's truth).
///
/// - Precondition: `mean.count == samples.dimension`.
public func meanError(_ samples: Points, mean: [Double]) -> Double {
    precondition(mean.count == samples.dimension, "meanError: mean has the wrong length")
    let m = sampleMean(samples)
    var s = 0.0
    for j in m.indices { s += (m[j] - mean[j]) * (m[j] - mean[j]) }
    return s.squareRoot()
}

/// ‖Cov(samples) − covariance‖_F against a known d×d row-major covariance (spec/slips.md §3, "Frobenius
/// covariance error" against the target's truth).
///
/// - Precondition: `covariance.count == d * d`.
public func covarianceError(_ samples: Points, covariance: [Double]) -> Double {
    let d = samples.dimension
    precondition(covariance.count == d * d, "covarianceError: covariance must have d*d entries")
    let c = sampleCovariance(samples)
    var s = 0.0
    for j in c.indices { s += (c[j] - covariance[j]) * (c[j] - covariance[j]) }
    return s.squareRoot()
}

/// The integrated autocorrelation time of a set of equally long chains (Sokal's automatic window, c = 5): the
/// autocorrelation ρ(t) averaged over chains, `τ = 1 + 2 Σ_{t=1}^{W} ρ(t)` with the smallest W ≥ 5τ(W).
/// `chains[c][t]` is chain c at step t. Chains are centred on the pooled mean when they sample one law, or each on its
/// own mean (`centreEachChain`) when each samples its own (e.g. a conditional given its own history).
public func integratedAutocorrelationTime(_ chains: [[Double]], centreEachChain: Bool = false) -> Double {
    guard let n = chains.first?.count, n > 2 else { return .nan }
    let pooled = chains.flatMap { $0 }.reduce(0, +) / Double(chains.count * n)
    let centred = chains.map { c -> [Double] in
        let m = centreEachChain ? c.reduce(0, +) / Double(n) : pooled
        return c.map { $0 - m }
    }
    let variance = centred.reduce(0.0) { acc, c in acc + c.reduce(0) { $0 + $1 * $1 } } / Double(chains.count * n)
    guard variance > 0 else { return .nan }
    var tau = 1.0
    for t in 1..<n {
        var s = 0.0
        for c in centred { for i in 0..<(n - t) { s += c[i] * c[i + t] } }
        tau += 2 * s / (Double(chains.count * (n - t)) * variance)
        if Double(t) >= 5 * tau { return tau }
    }
    return tau
}

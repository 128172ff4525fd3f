/// For each sample, the index of the nearest of `means` in Euclidean distance (ties go to the lower index):
/// the mode assignment of spec/slips.md §3 (`mode_weight_error`, two-mode target).
///
/// - Precondition: `samples` and `means` have the same dimension and `means` is not empty.
public func nearestMeanAssignments(_ samples: Points, means: Points) -> [Int] {
    precondition(samples.dimension == means.dimension, "samples and means must have the same dimension")
    precondition(means.count > 0, "at least one mean is needed")
    let d = samples.dimension, k = means.count
    var result = [Int](repeating: 0, count: samples.count)
    samples.withUnsafeBufferPointer { x in
        means.withUnsafeBufferPointer { mu in
            for i in 0..<samples.count {
                var best = 0
                var bestDistance = Double.infinity
                for j in 0..<k {
                    let dist = Vector.squaredDistance(x.baseAddress! + i * d, mu.baseAddress! + j * d, d)
                    if dist < bestDistance {
                        bestDistance = dist
                        best = j
                    }
                }
                result[i] = best
            }
        }
    }
    return result
}

/// The estimated weight of each mode: the fraction of `samples` whose nearest mean (Euclidean) is that mode,
/// or, with importance `weights` (AIS), the normalised weight-sum of those samples (spec/slips.md §3,
/// `mode_weight_error`: "w = fraction assigned to mean 0 (AIS: weight-sum)").
///
/// The result has `means.count` entries summing to 1; it is all NaN when `samples` is empty.
/// - Precondition: same dimension; `weights`, when given, has one finite non-negative value per sample, not all 0.
public func modeWeights(_ samples: Points, means: Points, weights: [Double]? = nil) -> [Double] {
    let assignment = nearestMeanAssignments(samples, means: means)
    guard samples.count > 0 else { return [Double](repeating: .nan, count: means.count) }
    var result = [Double](repeating: 0, count: means.count)
    if let w = normalizedWeights(weights, count: samples.count) {
        for (i, k) in assignment.enumerated() { result[k] += w[i] }
    } else {
        for k in assignment { result[k] += 1 }
        let n = Double(samples.count)
        for k in result.indices { result[k] /= n }
    }
    return result
}

/// The mode-weight error ½ Σ_k |ŵ_k − w_k| (total variation between estimated and target mode weights), with
/// ŵ from ``modeWeights(_:means:weights:)``. For two modes this is |ŵ_0 − w_0|, the SLIPS metric
/// `mode_weight_error` of spec/slips.md §3 (there with w_0 = 2/3).
///
/// - Precondition: `targetWeights.count == means.count`.
public func modeWeightError(
    _ samples: Points, means: Points, targetWeights: [Double], weights: [Double]? = nil
) -> Double {
    precondition(targetWeights.count == means.count, "one target weight per mean is needed")
    let estimated = modeWeights(samples, means: means, weights: weights)
    var total = 0.0
    for k in estimated.indices { total += abs(estimated[k] - targetWeights[k]) }
    return 0.5 * total
}

/// The within-mode variance relative to the components' own (spec/denoising.md §1.7, "within-mode variance"): the
/// samples are assigned to their nearest mean; for each mode with at least two samples, the per-coordinate variance
/// around the mode's sample mean divided by the component's variance, averaged over coordinates; the modes are
/// averaged with their sample counts. 1 for exact samples; a denoiser that shrinks (or widens) clusters moves it.
///
/// - Precondition: `variances` has the shape of `means` (per-coordinate component variances).
public func withinModeVarianceRatio(_ samples: Points, means: Points, variances: Points) -> Double {
    let assignment = nearestMeanAssignments(samples, means: means)
    let d = samples.dimension, kc = means.count
    var count = [Double](repeating: 0, count: kc)
    var sum = [Double](repeating: 0, count: kc * d), squares = sum
    for (i, k) in assignment.enumerated() {
        count[k] += 1
        for j in 0..<d {
            let v = samples[i, j]
            sum[k * d + j] += v
            squares[k * d + j] += v * v
        }
    }
    var total = 0.0, used = 0.0
    for k in 0..<kc where count[k] >= 2 {
        var ratio = 0.0
        for j in 0..<d {
            let mean = sum[k * d + j] / count[k]
            let variance = (squares[k * d + j] - count[k] * mean * mean) / (count[k] - 1)
            ratio += variance / variances[k, j]
        }
        total += count[k] * ratio / Double(d)
        used += count[k]
    }
    return used > 0 ? total / used : .nan
}

/// For a two-mode mixture with means ±a along `1` (spec/denoising.md §1.7): the fraction of samples with
/// `⟨x, 1⟩ > 0` and the within-mode variance along the unit direction `(e₀ − e₁)/√2 ⊥ 1`, pooled over the two sides
/// (for d = 1: of x itself around each side's mean).
public func plusSideWeightAndOrthogonalVariance(_ x: Points) -> (weight: Double, variance: Double) {
    var plus: [Double] = [], minus: [Double] = []
    for i in 0..<x.count {
        let s = (0..<x.dimension).reduce(0.0) { $0 + x[i, $1] }
        let v = x.dimension >= 2 ? (x[i, 0] - x[i, 1]) / 2.0.squareRoot() : x[i, 0]
        if s > 0 { plus.append(v) } else { minus.append(v) }
    }
    func squares(_ a: [Double]) -> [Double] {
        let m = a.reduce(0, +) / Double(Swift.max(a.count, 1))
        return a.map { ($0 - m) * ($0 - m) }
    }
    let ss = squares(plus) + squares(minus)
    let groups = (plus.isEmpty ? 0 : 1) + (minus.isEmpty ? 0 : 1)
    return (Double(plus.count) / Double(Swift.max(x.count, 1)), ss.reduce(0, +) / Double(Swift.max(ss.count - groups, 1)))
}

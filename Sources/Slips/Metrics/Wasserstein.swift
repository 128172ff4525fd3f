import RealModule

// MARK: - Fast sliced Wasserstein (SLIPS `w2_sliced`)

/// The SLIPS "fast sliced Wasserstein" metric `w2_sliced` of spec/slips.md §3 (Gaussian approximation of
/// Nadjahi et al. 2021, as in the benchmark code): centre each set on its own mean, take
/// `m2 = mean(‖x − x̄‖²) / d` for each, and return `|√m2(a) − √m2(b)|`. No projections are drawn.
///
/// With importance `weights` (AIS) the mean and the second moment are weighted averages with the weights
/// normalised to sum to 1 (`Σ w·x`, not the biased `mean(w·x)` of the upstream code, spec/slips.md §3).
///
/// - Precondition: same dimension; weights, when given, one finite non-negative value per point, not all 0.
public func fastSlicedWasserstein(
    _ a: Points, _ b: Points, weightsA: [Double]? = nil, weightsB: [Double]? = nil
) -> Double {
    precondition(a.dimension == b.dimension, "fastSlicedWasserstein: dimensions differ")
    let m2a = centredSecondMoment(a, weights: weightsA)
    let m2b = centredSecondMoment(b, weights: weightsB)
    return abs(m2a.squareRoot() - m2b.squareRoot())
}

/// Σ_i w_i ‖x_i − x̄_w‖² / d with weights normalised to 1 (uniform 1/N when `weights` is nil).
func centredSecondMoment(_ points: Points, weights: [Double]?) -> Double {
    let n = points.count, d = points.dimension
    guard n > 0 else { return .nan }
    let w = normalizedWeights(weights, count: n)
    let mean = sampleMean(points, weights: w)
    var total = 0.0
    points.withUnsafeBufferPointer { x in
        mean.withUnsafeBufferPointer { mu in
            for i in 0..<n {
                let s = Vector.squaredDistance(x.baseAddress! + i * d, mu.baseAddress!, d)
                total += (w?[i] ?? 1) * s
            }
        }
    }
    if w == nil { total /= Double(n) }
    return total / Double(d)
}

// MARK: - Sliced Wasserstein (Monte Carlo over directions)

/// The sliced 2-Wasserstein distance between the empirical distributions of `a` and `b`
/// (spec/slips.md §3, "true sliced W2", upstream `compute_sliced_wasserstein_mc`):
/// `SW2 = ( (1/P) Σ_p W2²(θ_p·a, θ_p·b) )^{1/2}` over `projections` random unit directions θ_p.
///
/// Direction p is drawn from its own stream `RandomStream.make(seed: seed, index: p, purpose: .projections)`
/// (d normals, normalised), so the result depends only on the data, `projections` and `seed`. Each 1-D W2² is
/// exact (quantile matching on the merged quantile grid, see ``wasserstein2OneDimensional(_:_:weightsA:weightsB:)``),
/// so sets of different sizes and importance-weighted sets are handled.
///
/// - Precondition: same dimension, both sets non-empty, `projections > 0`; weights as in
///   ``fastSlicedWasserstein(_:_:weightsA:weightsB:)``.
public func slicedWasserstein2(
    _ a: Points, _ b: Points, projections: Int = 128, seed: UInt64,
    weightsA: [Double]? = nil, weightsB: [Double]? = nil
) -> Double {
    precondition(a.dimension == b.dimension, "slicedWasserstein2: dimensions differ")
    precondition(a.count > 0 && b.count > 0, "slicedWasserstein2: both sets must be non-empty")
    precondition(projections > 0, "slicedWasserstein2: projections must be positive")
    let d = a.dimension
    let wa = normalizedWeights(weightsA, count: a.count, label: "weightsA")
    let wb = normalizedWeights(weightsB, count: b.count, label: "weightsB")
    var direction = [Double](repeating: 0, count: d)
    var total = 0.0
    for p in 0..<projections {
        randomUnitDirection(&direction, seed: seed, index: p)
        let pa = project(a, on: direction)
        let pb = project(b, on: direction)
        total += wasserstein2SquaredOneDimensional(pa, pb, weightsA: wa, weightsB: wb)
    }
    return (total / Double(projections)).squareRoot()
}

/// Fills `direction` with a uniformly random unit vector from stream `(seed, index, .projections)`.
func randomUnitDirection(_ direction: inout [Double], seed: UInt64, index: Int) {
    var rng = RandomStream.make(seed: seed, index: index, purpose: .projections)
    while true {
        var s = 0.0
        for j in direction.indices {
            let z = rng.nextNormal()
            direction[j] = z
            s += z * z
        }
        if s > 0 {
            let inv = 1 / s.squareRoot()
            for j in direction.indices { direction[j] *= inv }
            return
        }
    }
}

/// θ·x_i for every point.
func project(_ points: Points, on direction: [Double]) -> [Double] {
    let n = points.count, d = points.dimension
    return [Double](unsafeUninitializedCapacity: n) { out, initialized in
        points.withUnsafeBufferPointer { x in
            direction.withUnsafeBufferPointer { t in
                for i in 0..<n { out[i] = Vector.dot(x.baseAddress! + i * d, t.baseAddress!, d) }
            }
        }
        initialized = n
    }
}

// MARK: - One-dimensional W2

/// The exact 2-Wasserstein distance between two 1-D empirical distributions (optionally weighted), the
/// building block of ``slicedWasserstein2(_:_:projections:seed:weightsA:weightsB:)`` (spec/slips.md §3):
/// `W2² = ∫₀¹ (F_a⁻¹(t) − F_b⁻¹(t))² dt`, computed by sorting and walking the merged quantile grid.
///
/// For equal sizes without weights this is `mean((a₍ᵢ₎ − b₍ᵢ₎)²)`; unequal sizes without weights use an exact
/// integer grid of step 1/(n·m).
public func wasserstein2OneDimensional(
    _ a: [Double], _ b: [Double], weightsA: [Double]? = nil, weightsB: [Double]? = nil
) -> Double {
    precondition(!a.isEmpty && !b.isEmpty, "wasserstein2OneDimensional: both sets must be non-empty")
    let wa = normalizedWeights(weightsA, count: a.count, label: "weightsA")
    let wb = normalizedWeights(weightsB, count: b.count, label: "weightsB")
    return wasserstein2SquaredOneDimensional(a, b, weightsA: wa, weightsB: wb).squareRoot()
}

/// W2² between 1-D sets; weights, when given, are already normalised.
func wasserstein2SquaredOneDimensional(
    _ a: [Double], _ b: [Double], weightsA: [Double]?, weightsB: [Double]?
) -> Double {
    if weightsA == nil && weightsB == nil {
        return wasserstein2SquaredSorted(a.sorted(), b.sorted())
    }
    let (xa, ca) = sortedWithCumulativeWeights(a, weightsA)
    let (xb, cb) = sortedWithCumulativeWeights(b, weightsB)
    var i = 0, j = 0
    var previous = 0.0
    var total = 0.0
    while i < xa.count && j < xb.count {
        let next = Swift.min(ca[i], cb[j])
        let diff = xa[i] - xb[j]
        total += (next - previous) * diff * diff
        previous = next
        let advanceA = ca[i] <= next
        let advanceB = cb[j] <= next
        if advanceA { i += 1 }
        if advanceB { j += 1 }
    }
    return total
}

/// Unweighted W2² between two sorted 1-D sets.
func wasserstein2SquaredSorted(_ a: [Double], _ b: [Double]) -> Double {
    let n = a.count, m = b.count
    if n == m {
        var s = 0.0
        for i in 0..<n {
            let diff = a[i] - b[i]
            s += diff * diff
        }
        return s / Double(n)
    }
    // Quantile levels in units of 1/(n·m): a's i-th value covers ((i)·m, (i+1)·m], b's j-th (j·n, (j+1)·n].
    var i = 0, j = 0
    var previous = 0
    var total = 0.0
    while i < n && j < m {
        let endA = (i + 1) * m, endB = (j + 1) * n
        let next = Swift.min(endA, endB)
        let diff = a[i] - b[j]
        total += Double(next - previous) * diff * diff
        previous = next
        if endA == next { i += 1 }
        if endB == next { j += 1 }
    }
    return total / (Double(n) * Double(m))
}

/// The values sorted ascending with their cumulative normalised weights (uniform when `weights` is nil);
/// the last cumulative weight is exactly 1.
func sortedWithCumulativeWeights(_ values: [Double], _ weights: [Double]?) -> ([Double], [Double]) {
    let n = values.count
    guard let weights else {
        let sorted = values.sorted()
        var cumulative = (0..<n).map { Double($0 + 1) / Double(n) }
        cumulative[n - 1] = 1
        return (sorted, cumulative)
    }
    let order = (0..<n).sorted { values[$0] < values[$1] }
    var sorted = [Double](repeating: 0, count: n)
    var cumulative = [Double](repeating: 0, count: n)
    var running = 0.0
    for (k, index) in order.enumerated() {
        sorted[k] = values[index]
        running += weights[index]
        cumulative[k] = running
    }
    cumulative[n - 1] = 1
    return (sorted, cumulative)
}

// MARK: - Sliced Kolmogorov–Smirnov (SLIPS `ks_sliced`)

/// The sliced Kolmogorov–Smirnov metric `ks_sliced` of the Funnel benchmark, exactly as the upstream code computes
/// it (spec/slips.md §3, Funnel row, and §7 item 9):
///
/// 1. `projections` random unit directions θ_p; direction p comes from its own stream
///    `RandomStream.make(seed: seed, index: p, purpose: .projections)` (d normals, normalised), the same
///    directions as ``slicedWasserstein2(_:_:projections:seed:weightsA:weightsB:)`` for the same seed;
/// 2. both sets are projected on θ_p;
/// 3. a histogram with `bins` equal bins over `[min, max]` of the **reference** (target) projections, with the
///    semantics of `torch.histogram(x, bins, range=(min, max))`: edges `linspace(min, max, bins + 1)`, bins
///    `[e_k, e_{k+1})` except the last, which includes its right edge; **generated points outside the range are
///    dropped**; a degenerate range `min == max` is widened to `[min − 0.5, max + 0.5]`;
/// 4. each histogram is normalised by its own in-range total, cumulated, and the direction's statistic is
///    `max_k |CDF_samples(k) − CDF_reference(k)|`;
/// 5. the result is the mean over directions.
///
/// Because out-of-range points are dropped and each histogram is renormalised, this metric does not see mass that
/// a sampler puts outside the target's projected range (see ``exactSlicedKS(_:reference:projections:seed:weights:)``
/// for the plain two-sample statistic).
///
/// With importance `weights` (AIS) the sample histogram is weighted and renormalised over the in-range points.
///
/// - Returns: the mean statistic, in [0, 1]; NaN when, for some direction, no generated point (or no positive
///   weight) falls in the reference range (upstream divides 0 by 0 there).
/// - Precondition: same dimension, both sets non-empty, `projections > 0`, `bins > 0`, finite reference
///   coordinates; weights, when given, one finite non-negative value per sample, not all 0.
public func slicedKS(
    _ samples: Points, reference: Points, projections: Int = 128, bins: Int = 256, seed: UInt64,
    weights: [Double]? = nil
) -> Double {
    precondition(samples.dimension == reference.dimension, "slicedKS: dimensions differ")
    precondition(samples.count > 0 && reference.count > 0, "slicedKS: both sets must be non-empty")
    precondition(projections > 0 && bins > 0, "slicedKS: projections and bins must be positive")
    let w = normalizedWeights(weights, count: samples.count)
    var direction = [Double](repeating: 0, count: samples.dimension)
    var sampleHistogram = [Double](repeating: 0, count: bins)
    var referenceHistogram = [Double](repeating: 0, count: bins)
    var total = 0.0
    for p in 0..<projections {
        randomUnitDirection(&direction, seed: seed, index: p)
        let projectedSamples = project(samples, on: direction)
        let projectedReference = project(reference, on: direction)
        var lo = Double.infinity, hi = -Double.infinity
        for x in projectedReference {
            lo = Swift.min(lo, x)
            hi = Swift.max(hi, x)
        }
        precondition(lo.isFinite && hi.isFinite, "slicedKS: reference coordinates must be finite")
        if lo == hi {
            lo -= 0.5
            hi += 0.5
        }
        let binning = TorchHistogramBins(lower: lo, upper: hi, bins: bins)
        binning.fill(&referenceHistogram, projectedReference, weights: nil)
        binning.fill(&sampleHistogram, projectedSamples, weights: w)
        total += maximumCDFDifference(sampleHistogram, referenceHistogram)
    }
    return total / Double(projections)
}

/// The unbinned variant of ``slicedKS(_:reference:projections:bins:seed:weights:)``: for each of the same random
/// directions, the plain two-sample Kolmogorov–Smirnov statistic `sup_x |F_samples(x) − F_reference(x)|` between
/// the empirical CDFs of the projections (the maximum over the merged sorted sample), averaged over directions.
///
/// Not an upstream metric: an additional diagnostic documented with spec/slips.md §3. Unlike the binned version,
/// no point is dropped, so mass outside the reference's range counts. When every sample lies inside the reference
/// range, the binned statistic never exceeds this one (it evaluates the same CDF difference at the bin edges only).
///
/// - Precondition: same dimension, both sets non-empty, finite coordinates, `projections > 0`; weights as in
///   ``slicedKS(_:reference:projections:bins:seed:weights:)``.
public func exactSlicedKS(
    _ samples: Points, reference: Points, projections: Int = 128, seed: UInt64, weights: [Double]? = nil
) -> Double {
    precondition(samples.dimension == reference.dimension, "exactSlicedKS: dimensions differ")
    precondition(samples.count > 0 && reference.count > 0, "exactSlicedKS: both sets must be non-empty")
    precondition(projections > 0, "exactSlicedKS: projections must be positive")
    precondition(samples.isFinite && reference.isFinite, "exactSlicedKS: coordinates must be finite")
    let w = normalizedWeights(weights, count: samples.count)
    var direction = [Double](repeating: 0, count: samples.dimension)
    var total = 0.0
    for p in 0..<projections {
        randomUnitDirection(&direction, seed: seed, index: p)
        let (xs, cs) = sortedWithCumulativeWeights(project(samples, on: direction), w)
        let (xr, cr) = sortedWithCumulativeWeights(project(reference, on: direction), nil)
        var i = 0, j = 0
        var fs = 0.0, fr = 0.0, best = 0.0
        while i < xs.count || j < xr.count {
            let value = Swift.min(i < xs.count ? xs[i] : .infinity, j < xr.count ? xr[j] : .infinity)
            while i < xs.count && xs[i] <= value {
                fs = cs[i]
                i += 1
            }
            while j < xr.count && xr[j] <= value {
                fr = cr[j]
                j += 1
            }
            best = Swift.max(best, abs(fs - fr))
        }
        total += best
    }
    return total / Double(projections)
}

// MARK: - Helpers

/// Equal-width bins over `[lower, upper]` with the edge rules of `torch.histogram` (CPU kernel): edges from
/// `torch.linspace` (each half computed from its own end), position `⌊(x − lower)·bins/(upper − lower)⌋` corrected
/// by a local search against the edges, right edge of the last bin inclusive, out-of-range values dropped.
private struct TorchHistogramBins {
    let lower: Double, upper: Double, bins: Int
    let edges: [Double]

    init(lower: Double, upper: Double, bins: Int) {
        self.lower = lower
        self.upper = upper
        self.bins = bins
        let steps = bins + 1
        let step = (upper - lower) / Double(steps - 1)
        let halfway = steps / 2
        edges = (0..<steps).map { i in
            i < halfway ? lower + step * Double(i) : upper - step * Double(steps - i - 1)
        }
    }

    /// The bin of `x`, or nil when `x` is outside `[lower, upper]` (or NaN).
    @inline(__always)
    func bin(_ x: Double) -> Int? {
        guard x >= lower && x <= upper else { return nil }
        // (x - lower)/(upper - lower) overflows to ±inf or NaN when the range spans more than the doubles (1e308
        // means): such values land in the last bin's neighbourhood by clamping instead of trapping.
        let fraction = (x - lower) / (upper - lower)
        var pos = fraction.isFinite ? Int(Swift.min(Swift.max(fraction, 0), 1) * Double(bins)) : (x >= upper ? bins : 0)
        // Local search among edges[pos − 1 ..< pos + 2]: the last edge ≤ x.
        let from = Swift.max(0, pos - 1), to = Swift.min(pos + 2, bins + 1)
        var k = from
        while k < to && edges[k] <= x { k += 1 }
        pos = k - 1
        return pos == bins ? bins - 1 : pos
    }

    /// Fills `histogram` with the (weighted) counts of `values`, normalised by their in-range total (NaN
    /// everywhere when that total is 0).
    func fill(_ histogram: inout [Double], _ values: [Double], weights: [Double]?) {
        for k in histogram.indices { histogram[k] = 0 }
        var inRange = 0.0
        for (i, x) in values.enumerated() {
            guard let k = bin(x) else { continue }
            let w = weights?[i] ?? 1
            histogram[k] += w
            inRange += w
        }
        for k in histogram.indices { histogram[k] /= inRange }
    }
}

/// `max_k |Σ_{l ≤ k} a_l − Σ_{l ≤ k} b_l|` (NaN if any entry is NaN).
private func maximumCDFDifference(_ a: [Double], _ b: [Double]) -> Double {
    var ca = 0.0, cb = 0.0, best = 0.0
    for k in a.indices {
        ca += a[k]
        cb += b[k]
        let diff = abs(ca - cb)
        if diff.isNaN { return .nan }
        best = Swift.max(best, diff)
    }
    return best
}

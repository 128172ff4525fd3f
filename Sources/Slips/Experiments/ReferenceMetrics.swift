/// The metrics of spec/slips.md §3 that a target's ground truth allows, computed for a run's samples:
/// - mixtures: `mode_weight_error` (nearest-mean assignment, ½ Σ|ŵ_k - w_k|, = |ŵ - 2/3| for two modes) and
///   `mode_weight_0` (the fraction assigned to the first mean);
/// - `gaussian-mixture`: `within_mode_variance_ratio` (``withinModeVarianceRatio(_:means:variances:)``);
/// - binary mixtures: `component_weight_error` (½ Σ_k |mean_i P(k | x_i) - π_k|, the unbiased weight metric of
///   spec/denoising.md §1.7) and `component_weight_0`;
/// - binary targets (``binaryMetrics(_:exactMean:data:)``): `mean_abs_magnetisation`, `magnetisation_error` against the
///   exact per-coordinate means, and for data targets the Hamming distance to the nearest data row;
/// - targets with exact samples (drawn from stream `(seed, i, .exactSamples)`, as many as the run's samples):
///   `w2_sliced` (the benchmark's "fast sliced W2"), `sliced_w2` (a true sliced W2 over 128 random directions),
///   `mean_error`, `covariance_error`, `ks_sliced` (the benchmark's binned sliced Kolmogorov–Smirnov distance, its
///   funnel metric) and, in dimension ≤ 2, `w2` (the exact 2-Wasserstein distance, its 8-Gaussians and rings metric);
/// - Bayesian logistic regression (a ``TargetSpec/testModel``): `mean_pred_log_prob`, the test-split model's
///   log-density averaged over the samples with equal weights as upstream (plus `mean_pred_log_prob_weighted`
///   for weighted samples);
/// - phi^4 sample quality (``phiFourQuality(_:field:laplace:)``): whether the samples are in a mode at all;
/// - phi^4 (a ``TargetSpec/phiFourReference``): the mode-balance metrics of ``PhiFourMetrics`` in both sign
///   conventions — upstream's `weight_ratio`, `en_diff`, `abs_err_weight_ratio`, `relative_err_diff_est`, and
///   the corrected `log_weight_ratio`, `abs_err_weight_ratio_corrected`, `relative_err_log_weight_ratio` with
///   the reference `target_en_diff` = log(Z+/Z-). Non-finite values (e.g. the relative errors at b = 0, which
///   divide by zero) are left out, since JSON cannot hold them.
public enum ReferenceMetrics {
    /// Above this dimension `covariance_error` (two d × d matrices) is not computed: 2048 needs 64 MiB.
    public static let maximumCovarianceDimension = 2048

    public static func evaluate(_ set: SampleSet, target: TargetSpec, seed: UInt64) -> [String: Double] {
        var m: [String: Double] = [:]
        let x = set.points
        if let mixture = target.mixture {
            m["mode_weight_error"] = modeWeightError(x, means: mixture.means, targetWeights: mixture.weights, weights: set.weights)
            m["mode_weight_0"] = modeWeights(x, means: mixture.means, weights: set.weights)[0]
        }
        if target.name == "gaussian-mixture", let mixture = target.mixture, x.count > 0 {
            m["within_mode_variance_ratio"] = withinModeVarianceRatio(x, means: mixture.means, variances: mixture.variances)
        }
        if let b = target.closedForm as? BinaryProductMixture, x.count > 0, x.dimension == b.dimension {
            var w = [Double](repeating: 0, count: b.componentCount)
            for i in 0..<x.count {
                for (k, r) in b.responsibilities(x[row: i]).enumerated() { w[k] += r / Double(x.count) }
            }
            m["component_weight_error"] = 0.5 * zip(w, b.weights).reduce(0) { $0 + abs($1.0 - $1.1) }
            m["component_weight_0"] = w[0]
        }
        if target.space == .binary, x.count > 0 {
            for (key, value) in binaryMetrics(x, exactMean: target.exactMean, data: target.data) { m[key] = value }
        }
        if let exact = target.exactSampler, x.count >= 2 {
            let reference = exact(x.count, seed)
            m["w2_sliced"] = fastSlicedWasserstein(x, reference, weightsA: set.weights)
            m["sliced_w2"] = slicedWasserstein2(x, reference, projections: 128, seed: seed, weightsA: set.weights)
            m["mean_error"] = meanError(x, reference)
            // d × d sample covariances: skipped above `maximumCovarianceDimension` (the summary says so).
            if x.dimension <= maximumCovarianceDimension {
                m["covariance_error"] = covarianceError(x, reference)
            }
            m["ks_sliced"] = slicedKS(x, reference: reference, projections: 128, bins: 256, seed: seed, weights: set.weights)
            if x.dimension <= 2 {
                m["w2"] = set.weights.map { exactWasserstein2(x, weightsA: $0, reference) } ?? exactWasserstein2(x, reference)
            }
        }
        if let test = target.testModel, x.count > 0, x.dimension == test.dimension {
            m["mean_pred_log_prob"] = meanPredictiveLogProbability(x, testModel: test)
            if let w = set.weights {
                m["mean_pred_log_prob_weighted"] = meanPredictiveLogProbability(x, testModel: test, weights: w)
            }
        }
        if let phi = target.phiFourReference, x.count > 0, phi.site < x.dimension {
            let metrics = phiFourMetrics(x, targetEnDiff: phi.logZRatio, site: phi.site, weights: set.weights)
            for (key, value) in metrics.dictionary { m[key] = value }
            if let field = phi.field, field.dimension == x.dimension {
                for (key, value) in phiFourQuality(x, field: field, laplace: phi.laplace) { m[key] = value }
            }
        }
        // JSON cannot hold NaN or infinity (e.g. a sliced KS with no sample in range, or the phi^4 relative errors
        // at b = 0, which divide by zero): such values are left out.
        return m.filter { $0.value.isFinite }
    }
}

/// Sample quality on phi^4 (issue 20; docs/phi-four.md): the `x[N/2] > 0` split of the mode metrics only means something
/// if the samples sit in a mode. With the bulk magnetisation `m(x)` = the mean of sites `[N/5, N - N/5)` (20–79 for
/// N = 100):
/// - `bulk_magnetisation_mean`, `bulk_magnetisation_sd`;
/// - `localised_fraction`: the fraction of samples with `m(x)` within 0.3 of either minimum's bulk magnetisation
///   (`mode_bulk_magnetisation_plus`, `_minus`, from the Laplace minima);
/// - `mean_beta_energy`: the mean of `βU(x)`, against `laplace_beta_energy_plus`, `_minus` (βU at the minima; a
///   thermal sample sits about N/2 above its minimum).
public func phiFourQuality(_ x: Points, field: PhiFour, laplace: PhiFourLaplace?) -> [String: Double] {
    let n = x.dimension, lo = n / 5, hi = n - n / 5
    func bulk(_ row: [Double]) -> Double {
        guard hi > lo else { return row.reduce(0, +) / Double(n) }
        return row[lo..<hi].reduce(0, +) / Double(hi - lo)
    }
    let rows = (0..<x.count).map { x[row: $0] }
    let m = rows.map(bulk)
    let mean = m.reduce(0, +) / Double(m.count)
    let sd = (m.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(Swift.max(m.count - 1, 1))).squareRoot()
    var q: [String: Double] = [
        "bulk_magnetisation_mean": mean, "bulk_magnetisation_sd": sd,
        "mean_beta_energy": rows.reduce(0.0) { $0 + field.beta * field.energy($1) } / Double(rows.count),
    ]
    if let laplace {
        let plus = bulk(laplace.positiveMinimum), minus = bulk(laplace.negativeMinimum)
        q["mode_bulk_magnetisation_plus"] = plus
        q["mode_bulk_magnetisation_minus"] = minus
        q["localised_fraction"] = Double(m.filter { abs($0 - plus) <= 0.3 || abs($0 - minus) <= 0.3 }.count) / Double(m.count)
        q["laplace_beta_energy_plus"] = field.beta * laplace.positiveEnergy
        q["laplace_beta_energy_minus"] = field.beta * laplace.negativeEnergy
    }
    return q
}


/// Metrics of samples on `{-1, +1}^d` (issue 23): `mean_abs_magnetisation` (the mean of |Σ_i x_i|/d), with exact means
/// `magnetisation_error` (the RMS over coordinates of the sample mean minus the exact `E[x_i]`), and with data rows
/// `mean_nearest_hamming` (the mean over samples of the Hamming distance to the nearest data row) and `copy_fraction`
/// (the fraction of samples equal to a data row).
public func binaryMetrics(_ x: Points, exactMean: [Double]?, data: Points?) -> [String: Double] {
    let n = x.count, d = x.dimension
    var m: [String: Double] = [:]
    m["mean_abs_magnetisation"] = (0..<n).reduce(0.0) { acc, i in acc + abs((0..<d).reduce(0.0) { $0 + x[i, $1] }) } / Double(n * d)
    if let mu = exactMean, mu.count == d {
        let e = (0..<d).reduce(0.0) { acc, j in
            let t = (0..<n).reduce(0.0) { $0 + x[$1, j] } / Double(n) - mu[j]
            return acc + t * t
        }
        m["magnetisation_error"] = (e / Double(d)).squareRoot()
    }
    if let data, data.dimension == d, data.count > 0 {
        var total = 0.0, copies = 0
        x.storage.withUnsafeBufferPointer { xs in
            data.storage.withUnsafeBufferPointer { ds in
                for i in 0..<n {
                    var best = d
                    for r in 0..<data.count {
                        var h = 0
                        for j in 0..<d where (xs[i * d + j] > 0) != (ds[r * d + j] > 0) { h += 1 }
                        best = Swift.min(best, h)
                        if best == 0 { break }
                    }
                    total += Double(best)
                    if best == 0 { copies += 1 }
                }
            }
        }
        m["mean_nearest_hamming"] = total / Double(n)
        m["copy_fraction"] = Double(copies) / Double(n)
    }
    return m
}

import RealModule

/// The phi^4 mode-balance metrics of spec/slips.md §3, in both sign conventions.
///
/// A sample is in the positive mode when its site `N/2` (0-based; 50 for N = 100) is `> 0`. With
/// `ratio = P̂(+)/P̂(-)` (``weightRatio``) and the tabulated `c = target_en_diff = log(Z+/Z-)` (negative for
/// b > 0), upstream `compute_metrics` reports
///
/// - `weight_ratio` = ratio,
/// - `en_diff` = `-log(max(ratio, 1e-20))`,
/// - `abs_err_weight_ratio` = `|exp(-c) - ratio|`,
/// - `relative_err_diff_est` = `(en_diff - c)/c`,
///
/// which compare `-log(P̂+/P̂-)` with `log(Z+/Z-)`: a perfect sampler gets `relative_err_diff_est ≈ -2` and
/// `abs_err_weight_ratio ≈ |Z-/Z+ - Z+/Z-|` (the §3 sign warning). The corrected convention compares like with
/// like:
///
/// - `log_weight_ratio` = `log(max(ratio, 1e-20))` (= `-en_diff`),
/// - `abs_err_weight_ratio_corrected` = `|exp(c) - ratio|`,
/// - `relative_err_log_weight_ratio` = `(log_weight_ratio - c)/c` (≈ 0 for a perfect sampler),
///
/// - `log_weight_ratio_abs_error` = `|log_weight_ratio - c|` (the headline metric of `slips bench`),
///
/// and `target_en_diff` = c itself. Both sets are reported until the convention is checked against the paper.
/// For b = 0 (c = 0) the relative errors divide by zero (±inf or NaN, as upstream). `positive_fraction` (the
/// (weighted) fraction of samples in the + mode) is always finite, so a run with every sample in the + mode
/// (ratio +inf, log ratio +inf) still records what happened.
public struct PhiFourMetrics: Sendable, Equatable {
    /// `P̂(+)/P̂(-)`.
    public var weightRatio: Double
    /// `P̂(+)`, the (weighted) fraction of samples in the + mode.
    public var positiveFraction: Double
    /// Upstream `en_diff = -log(max(ratio, 1e-20))`.
    public var enDiff: Double
    /// The reference `log(Z+/Z-)` (upstream `target_en_diff`), when known.
    public var targetEnDiff: Double?
    /// Upstream `abs_err_weight_ratio = |exp(-c) - ratio|` (upstream sign convention).
    public var absErrWeightRatio: Double?
    /// Upstream `relative_err_diff_est = (en_diff - c)/c` (upstream sign convention).
    public var relativeErrDiffEst: Double?
    /// Corrected convention: `log(max(ratio, 1e-20))`, comparable with `targetEnDiff`.
    public var logWeightRatio: Double { -enDiff }
    /// Corrected convention: `|exp(c) - ratio|`.
    public var absErrWeightRatioCorrected: Double? { targetEnDiff.map { Swift.abs(Double.exp($0) - weightRatio) } }
    /// Corrected convention: `(log ratio - c)/c`.
    public var relativeErrLogWeightRatio: Double? { targetEnDiff.map { (logWeightRatio - $0) / $0 } }

    /// The metrics under their summary keys (see the type's documentation); entries needing `c` only when it is
    /// known. Values may be non-finite (e.g. the relative errors at b = 0).
    public var dictionary: [String: Double] {
        var m: [String: Double] = ["weight_ratio": weightRatio, "en_diff": enDiff, "log_weight_ratio": logWeightRatio,
                                   "positive_fraction": positiveFraction]
        if let c = targetEnDiff {
            m["target_en_diff"] = c
            m["abs_err_weight_ratio"] = absErrWeightRatio
            m["relative_err_diff_est"] = relativeErrDiffEst
            m["abs_err_weight_ratio_corrected"] = absErrWeightRatioCorrected
            m["relative_err_log_weight_ratio"] = relativeErrLogWeightRatio
            // |log(P̂+/P̂-) - log(Z+/Z-)|: the benchmark's headline phi^4 metric (defined at b = 0 too).
            m["log_weight_ratio_abs_error"] = Swift.abs(logWeightRatio - c)
        }
        return m
    }
}

/// `P̂(+)/P̂(-)` for phi^4 samples (spec/slips.md §3), with the positive mode `x[site] > 0`, `site` defaulting to
/// `N/2` (0-based, upstream `int(dim / 2)`), as coded upstream:
/// - unweighted: `f/(1 - f)` with `f` the fraction of positive samples (+inf when all are positive, 0 when none
///   is);
/// - with importance weights (AIS): `Σ_+ w / Σ_- w`, and `1e-10` when no sample is positive.
///
/// - Precondition: `site < samples.dimension`; `weights`, when given, has one finite non-negative value per
///   sample.
public func phiFourWeightRatio(_ samples: Points, site: Int? = nil, weights: [Double]? = nil) -> Double {
    let d = samples.dimension, s = site ?? d / 2
    precondition(s >= 0 && s < d, "site \(s) outside 0..<\(d)")
    if let weights {
        precondition(weights.count == samples.count, "\(weights.count) weights for \(samples.count) samples")
        precondition(weights.allSatisfy { $0 >= 0 && $0.isFinite }, "weights must be finite and non-negative")
        var plus = 0.0, minus = 0.0, anyPositive = false
        for i in 0..<samples.count {
            if samples[i, s] > 0 {
                plus += weights[i]
                anyPositive = true
            } else {
                minus += weights[i]
            }
        }
        return anyPositive ? plus / minus : 1e-10
    }
    var positive = 0
    for i in 0..<samples.count where samples[i, s] > 0 { positive += 1 }
    let f = Double(positive) / Double(samples.count)
    return f / (1 - f)
}

/// The phi^4 metrics of spec/slips.md §3 for `samples` (see ``PhiFourMetrics``), given the reference
/// `targetEnDiff = log(Z+/Z-)` (e.g. ``PhiFour/targetEnergyDifference(b:)``; nil: only the ratio and `en_diff`).
public func phiFourMetrics(
    _ samples: Points, targetEnDiff: Double?, site: Int? = nil, weights: [Double]? = nil
) -> PhiFourMetrics {
    let ratio = phiFourWeightRatio(samples, site: site, weights: weights)
    let enDiff = -Double.log(Swift.max(ratio, 1e-20))
    let s = site ?? samples.dimension / 2
    var plus = 0.0, total = 0.0
    for i in 0..<samples.count {
        let w = weights?[i] ?? 1
        total += w
        if samples[i, s] > 0 { plus += w }
    }
    return PhiFourMetrics(
        weightRatio: ratio, positiveFraction: total > 0 ? plus / total : 0, enDiff: enDiff, targetEnDiff: targetEnDiff,
        absErrWeightRatio: targetEnDiff.map { Swift.abs(Double.exp(-$0) - ratio) },
        relativeErrDiffEst: targetEnDiff.map { (enDiff - $0) / $0 })
}

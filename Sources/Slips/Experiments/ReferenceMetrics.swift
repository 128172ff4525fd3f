/// The metrics of spec/slips.md §3 that a target's ground truth allows, computed for a run's samples:
/// - mixtures: `mode_weight_error` (nearest-mean assignment, ½ Σ|ŵ_k - w_k|, = |ŵ - 2/3| for two modes) and
///   `mode_weight_0` (the fraction assigned to the first mean);
/// - targets with exact samples (drawn from stream `(seed, i, .exactSamples)`, as many as the run's samples):
///   `w2_sliced` (the benchmark's "fast sliced W2"), `sliced_w2` (a true sliced W2 over 128 random directions),
///   `mean_error` and `covariance_error`.
public enum ReferenceMetrics {
    public static func evaluate(_ set: SampleSet, target: TargetSpec, seed: UInt64) -> [String: Double] {
        var m: [String: Double] = [:]
        let x = set.points
        if let mixture = target.mixture {
            m["mode_weight_error"] = modeWeightError(x, means: mixture.means, targetWeights: mixture.weights, weights: set.weights)
            m["mode_weight_0"] = modeWeights(x, means: mixture.means, weights: set.weights)[0]
        }
        if let exact = target.exactSampler, x.count >= 2 {
            let reference = exact(x.count, seed)
            m["w2_sliced"] = fastSlicedWasserstein(x, reference, weightsA: set.weights)
            m["sliced_w2"] = slicedWasserstein2(x, reference, projections: 128, seed: seed, weightsA: set.weights)
            m["mean_error"] = meanError(x, reference)
            m["covariance_error"] = covarianceError(x, reference)
        }
        return m
    }
}

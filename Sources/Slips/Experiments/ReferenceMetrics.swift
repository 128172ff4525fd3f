/// The metrics of spec/slips.md §3 that a target's ground truth allows, computed for a run's samples:
/// - mixtures: `mode_weight_error` (nearest-mean assignment, ½ Σ|ŵ_k - w_k|, = |ŵ - 2/3| for two modes) and
///   `mode_weight_0` (the fraction assigned to the first mean);
/// - targets with exact samples (drawn from stream `(seed, i, .exactSamples)`, as many as the run's samples):
///   `w2_sliced` (the benchmark's "fast sliced W2"), `sliced_w2` (a true sliced W2 over 128 random directions),
///   `mean_error` and `covariance_error`.
public enum ReferenceMetrics {
    public static func evaluate(_ set: SampleSet, target: TargetSpec, seed: UInt64) -> [String: Double] {
        let m: [String: Double] = [:]  // TEMPORARY until Metrics lands
        return m
    }
}

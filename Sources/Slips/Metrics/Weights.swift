/// Checks optional per-sample weights (non-negative, finite, positive sum, one per sample) and returns them
/// normalised to sum to 1, or `nil` for unweighted samples. Used by the metrics of spec/slips.md §3 that accept
/// importance weights (AIS).
@usableFromInline
func normalizedWeights(_ weights: [Double]?, count: Int, label: String = "weights") -> [Double]? {
    guard let weights else { return nil }
    precondition(weights.count == count, "\(label): \(weights.count) weights for \(count) samples")
    var total = 0.0
    for w in weights {
        precondition(w >= 0 && w.isFinite, "\(label) must be finite and non-negative")
        total += w
    }
    precondition(total > 0, "\(label) must not all be zero")
    return weights.map { $0 / total }
}

/// The Bayesian logistic regression metric `mean_pred_log_prob` of spec/slips.md §3: the same model built on
/// the **test** split, its log-density averaged over the samples,
///
///     mean_j [ Σ_test log p(y | x, θ_j) + log prior(θ_j) ],
///
/// prior included (upstream `LogisticRegression(X_test, y_test).log_prob(samples).mean()`): an average of
/// log-likelihoods, not the log of the averaged predictive. `testModel` is typically a
/// ``BayesianLogisticRegression`` on the test split (``TargetSpec/testModel`` of the `ionosphere` and `sonar`
/// targets); only its log-density is evaluated.
///
/// Upstream ignores importance weights here (the AIS samples are averaged with equal weights); with `weights`
/// (non-negative, one per sample, not all 0) this returns the weighted mean `Σ w_j log π_test(θ_j) / Σ w_j`.
/// Returns NaN for an empty sample set.
///
/// - Precondition: `samples.dimension == testModel.dimension`.
public func meanPredictiveLogProbability(
    _ samples: Points, testModel: some LogDensity, weights: [Double]? = nil
) -> Double {
    precondition(samples.dimension == testModel.dimension,
                 "samples have dimension \(samples.dimension), the test model \(testModel.dimension)")
    let n = samples.count
    guard n > 0 else { return .nan }
    var values = [Double](repeating: 0, count: n)
    samples.withUnsafeBufferPointer { x in
        values.withUnsafeMutableBufferPointer { v in
            testModel.logDensity(x.baseAddress!, count: n, into: v.baseAddress!)
        }
    }
    if let w = normalizedWeights(weights, count: n) {
        var s = 0.0
        for i in 0..<n where w[i] > 0 { s += w[i] * values[i] }
        return s
    }
    return values.reduce(0, +) / Double(n)
}

import RealModule
internal import SlipsKernels

/// A binary classification data set for ``BayesianLogisticRegression`` (spec/slips.md §2.3): an n×D feature
/// matrix and n labels in {0, 1}, used as stored (no standardisation, as in the upstream code).
///
/// Files are CSV (see ``init(path:labelColumn:)``): the benchmark splits of `data/slips_datasets/` have a
/// header `x0,…,x{D-1},y` with the label last. Every error names the file, and the line, data row and column
/// where it applies.
public struct LogisticRegressionData: Sendable {
    /// Features, one row per data point (n × D).
    public let features: Points
    /// Labels, 0 or 1, one per row of ``features``.
    public let labels: [Double]
    /// Feature column names from the file's header, if it had one.
    public let featureNames: [String]?
    /// Where the data came from (the file path), for messages.
    public let source: String

    /// Number of data points n.
    public var count: Int { features.count }
    /// Number of features D (the model's dimension is D + 1).
    public var featureCount: Int { features.dimension }

    /// Wraps in-memory data.
    ///
    /// Throws ``TargetError`` when there are no rows, the label count differs from the row count, a feature is
    /// not finite or a label is not exactly 0 or 1.
    public init(features: Points, labels: [Double], featureNames: [String]? = nil, source: String = "<memory>") throws {
        guard features.count > 0 else { throw TargetError("\(source): logistic regression data has no rows") }
        guard labels.count == features.count else {
            throw TargetError("\(source): \(labels.count) labels for \(features.count) feature rows")
        }
        if let featureNames, featureNames.count != features.dimension {
            throw TargetError("\(source): \(featureNames.count) feature names for \(features.dimension) feature columns")
        }
        let d = features.dimension
        for (k, v) in features.storage.enumerated() where !v.isFinite {
            throw TargetError("\(source): data row \(k / d + 1), feature column \(k % d + 1): non-finite value \(v)")
        }
        for (i, y) in labels.enumerated() where y != 0 && y != 1 {
            throw TargetError("\(source): data row \(i + 1): label \(y) is not 0 or 1")
        }
        self.features = features
        self.labels = labels
        self.featureNames = featureNames
        self.source = source
    }

    /// Throws ``IOError`` (naming both files) unless `self`, a test split, has the features of `train`.
    public func checkCompatible(withTraining train: LogisticRegressionData) throws {
        guard featureCount == train.featureCount else {
            throw IOError(path: source, message: "the test split has \(featureCount) feature columns but the training split \(train.source) has \(train.featureCount)")
        }
        if let a = featureNames, let b = train.featureNames, a != b {
            let j = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }!.offset
            throw IOError(path: source, message: "feature column \(j + 1) is '\(a[j])' in the test split but '\(b[j])' in the training split \(train.source)")
        }
    }

}

/// Bayesian logistic regression, the Ionosphere and Sonar targets of the SLIPS benchmark (spec/slips.md §2.3;
/// upstream `slips/distributions/logistic_regression.py`).
///
/// The parameter is `θ = (w ∈ R^D, b)` with the intercept last (d = D + 1), and
///
///     log π(θ) = Σ_i [ y_i log p_i + (1 - y_i) log(1 - p_i) ] + log N(w; 0, I_D) + log N(b; 0, 2.5²),
///     p_i = clip(sigmoid(x_i·w + b), ε, 1 - ε),   ε = 1e-8,
///
/// with normalised Gaussian prior log-densities. Clipping `p` to `[ε, 1-ε]` is clipping the logit
/// `z_i = x_i·w + b` to `[-L, L]`, `L = log((1-ε)/ε)`; then `y log p + (1-y) log(1-p) = y z - softplus(z)`,
/// computed as `y z - max(z, 0) - log1p(e^{-|z|})` with the vectorised ``VectorMath``, eight data points at a
/// time (no overflow; a few ulps per term). As with `torch.clamp`, the clipped branch is constant: a data point whose logit lies
/// outside `[-L, L]` contributes `y·(±L) - softplus(±L)` to the log-density and nothing to the gradient; at
/// the boundary itself the gradient passes. Elsewhere `∂/∂z = y - sigmoid(z)`.
///
/// Upstream computes in float32, where `1 - 1e-8` rounds to 1 and `probs_to_logits` clamps again at the float32
/// epsilon, so its effective clip is `[2⁻²³, 1 - 2⁻²³]` (logits ±15.94); pass
/// ``upstreamFloat32Threshold`` as `threshold` to mimic that.
///
/// A batch of B parameter vectors is evaluated as two matrix products with the design matrix `X̃ = [X, 1]`
/// (n × d): the logits `Z = Θ X̃ᵀ` (B × n), then, after the elementwise residuals `R = y - sigmoid(Z)`
/// (masked where clipped), the likelihood gradients `R X̃` (B × d), in panels of
/// 32 parameter vectors (the logits never exist for the whole batch at once): the logits with ``DenseKernels``
/// (outer products along the n data points: 39 GFLOP/s on an AVX-512 host build), the gradients with ``MatrixKernels``
/// (dot products along n: 39 GFLOP/s there too). Each output row depends only on
/// its own θ: a batched call equals one call per point, bit for bit.
public struct BayesianLogisticRegression: LogDensity {
    public let dimension: Int
    /// The training data the likelihood sums over.
    public let data: LogisticRegressionData
    /// Prior standard deviation of each weight (1).
    public let weightScale: Double
    /// Prior standard deviation of the intercept (2.5).
    public let interceptScale: Double
    /// ε: probabilities are clipped to `[ε, 1 - ε]` (1e-8).
    public let threshold: Double

    /// ε of upstream's float32 arithmetic, 2⁻²³ (see the type's documentation).
    public static let upstreamFloat32Threshold = 0x1p-23

    /// The transposed design matrix `X̃ᵀ` (`X̃ = [x_i, 1]`, n × d), d × n row-major, with zero columns up to
    /// ``padded(_:)``(n).
    @usableFromInline let designTransposed: [Double]
    /// `m` rounded up to a multiple of 8 (whole vectors of the product kernels: one AVX-512 vector, two AVX2 ones).
    @inlinable static func padded(_ m: Int) -> Int { (m + 7) / 8 * 8 }
    @usableFromInline let labels: [Double]
    /// Logit clip `L = log((1 - ε)/ε)`.
    @usableFromInline let logitBound: Double
    /// `-½ d log 2π - D log s_w - log s_b`.
    @usableFromInline let priorConstant: Double

    /// Parameter vectors per panel of the batched evaluation.
    @usableFromInline static let panel = 32

    /// The posterior on `data` (spec/slips.md §2.3 defaults: weights N(0, 1), intercept N(0, 2.5²), ε = 1e-8).
    public init(data: LogisticRegressionData, weightScale: Double = 1, interceptScale: Double = 2.5,
                threshold: Double = 1e-8) throws {
        guard weightScale > 0, weightScale.isFinite, interceptScale > 0, interceptScale.isFinite else {
            throw TargetError("prior scales must be finite and positive (got \(weightScale), \(interceptScale))")
        }
        guard threshold > 0, threshold < 0.5 else {
            throw TargetError("the probability clip threshold must be in (0, 0.5) (got \(threshold))")
        }
        let n = data.count, dF = data.featureCount, d = dF + 1
        self.data = data
        self.dimension = d
        self.weightScale = weightScale
        self.interceptScale = interceptScale
        self.threshold = threshold
        // X̃ᵀ padded with zero columns to a whole number of the logit product's column tiles, so that it never falls
        // back to its one-column path.
        let np = Self.padded(n)
        var xt = [Double](repeating: 0, count: d * np)
        for i in 0..<n {
            for j in 0..<d { xt[j * np + i] = j < dF ? data.features.storage[i * dF + j] : 1 }
        }
        designTransposed = xt
        labels = data.labels
        logitBound = Double.log((1 - threshold) / threshold)
        priorConstant = -0.5 * Double(d) * Double.log(2 * Double.pi) - Double(dF) * Double.log(weightScale)
            - Double.log(interceptScale)
    }

    /// `log N(w; 0, s_w² I) + log N(b; 0, s_b²)` for `θ = (w, b)`.
    @inlinable
    func logPrior(_ theta: UnsafePointer<Double>) -> Double {
        let d = dimension
        let w2 = Vector.squaredNorm(theta, d - 1)
        let b = theta[d - 1]
        return priorConstant - 0.5 * (w2 / (weightScale * weightScale) + b * b / (interceptScale * interceptScale))
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        run(points, count: count, logDensity: logDensity, gradient: gradient)
    }

    public func logDensity(_ points: UnsafePointer<Double>, count: Int, into logDensity: UnsafeMutablePointer<Double>) {
        run(points, count: count, logDensity: logDensity, gradient: nil)
    }

    /// The elementwise part for one parameter vector, eight data points at a time with
    /// ``VectorMath/softplusAndSigmoid(_:)``'s arithmetic (in the C target `SlipsKernels`, dispatched as
    /// ``DenseKernels``): returns `Σ_i y_i z̄_i - softplus(z̄_i)` over the clipped logits `z̄ = clip(z, lo, hi)`
    /// (torch.clamp) and, when `residuals` is set, overwrites each logit with its residual `y_i - sigmoid(z_i)` (0 where
    /// clipped: zero derivative strictly outside [lo, hi]; NaN for a NaN logit).
    static func likelihoodRow(
        _ z: UnsafeMutablePointer<Double>, labels y: UnsafePointer<Double>, count n: Int,
        lo: Double, hi: Double, residuals: Bool
    ) -> Double {
        slips_logistic_row(z, y, n, lo, hi, residuals ? 1 : 0)
    }

    /// The shared batched path; `gradient == nil` skips the residuals and the second product.
    func run(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>?
    ) {
        if count <= 0 { return }
        let d = dimension, n = data.count, panel = Self.panel, np = Self.padded(n)
        let rowsMax = min(panel, count)
        let z = UnsafeMutablePointer<Double>.allocate(capacity: rowsMax * np)
        defer { z.deallocate() }
        let lo = -logitBound, hi = logitBound
        let invW2 = 1 / (weightScale * weightScale), invB2 = 1 / (interceptScale * interceptScale)
        designTransposed.withUnsafeBufferPointer { xt in
            labels.withUnsafeBufferPointer { y in
                let xt = xt.baseAddress!, y = y.baseAddress!
                var start = 0
                while start < count {
                    let rows = min(panel, count - start)
                    let theta = points + start * d
                    // Logits Z = Θ X̃ᵀ (rows × n).
                    DenseKernels.multiply(theta, rows: rows, depth: d, stride: d, xt, columns: np, stride: np,
                                          into: z, stride: np, accumulate: false)
                    for r in 0..<rows {
                        let ll = Self.likelihoodRow(z + r * np, labels: y, count: n, lo: lo, hi: hi,
                                                    residuals: gradient != nil)
                        logDensity[start + r] = ll + logPrior(theta + r * d)
                    }
                    if let gradient {
                        // Likelihood gradients R X̃ (rows × d), then the prior's.
                        let g = gradient + start * d
                        // One pass over X̃ per row (padded columns have zero residual and zero features).
                        MatrixKernels.rowDots(z, rows: rows, stride: np, xt, rows: d, stride: np, depth: np, into: g, stride: d)
                        for r in 0..<rows {
                            let gr = g + r * d, th = theta + r * d
                            for j in 0..<(d - 1) { gr[j] -= th[j] * invW2 }
                            gr[d - 1] -= th[d - 1] * invB2
                        }
                    }
                    start += rows
                }
            }
        }
    }
}

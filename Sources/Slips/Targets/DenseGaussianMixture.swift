import RealModule

/// A Gaussian mixture with dense covariances, `Σ_k w_k N(μ_k, Σ_k)`, each component given by its precision matrix
/// and stored by its eigen-decomposition `Σ_k = V_k diag(λ_k) V_kᵀ` (spec/denoising.md §1.2 with full covariances).
/// It has exact draws and the closed-form posterior mean under a Gaussian observation `Y = aX + √v N`:
/// with `q = y/a`, `s² = v/a²` and `r = V_kᵀ(q - μ_k)`, component k has evidence `N(q; μ_k, Σ_k + s² I)` and mean
/// `μ_k + V_k diag(λ/(λ + s²)) r`. It serves as the Laplace stand-in of the phi^4 field (``TargetCatalog``,
/// `phi-four-laplace`), whose oracle SLIPS runs separate the benchmark's protocol from its denoiser.
public struct DenseGaussianMixture: LogDensity, ClosedFormPrior, ExactDraws {
    public let dimension: Int
    public let weights: [Double]
    public let means: [[Double]]
    /// Per component: covariance eigenvalues λ and eigenvectors (row-major, column i ↔ λ_i).
    let eigen: [SymmetricEigen]
    /// `log w_k - ½ Σ log(2π λ_ki)`.
    let logNormalizers: [Double]

    /// Components from their precision matrices (row-major `d × d`, symmetric positive definite).
    public init(weights: [Double], means: [[Double]], precisions: [[Double]]) throws {
        guard !weights.isEmpty, weights.count == means.count, weights.count == precisions.count else {
            throw TargetError("a dense Gaussian mixture needs as many weights, means and precision matrices")
        }
        try checkMixtureWeights(weights)
        let d = means[0].count
        guard d > 0, means.allSatisfy({ $0.count == d }), precisions.allSatisfy({ $0.count == d * d }) else {
            throw TargetError("every mean needs d values and every precision d × d")
        }
        let decompositions = precisions.map { SymmetricEigen($0, dimension: d) }
        guard decompositions.allSatisfy({ $0.values.allSatisfy { $0 > 0 && $0.isFinite } }) else {
            throw TargetError("every precision matrix must be positive definite")
        }
        dimension = d
        self.weights = weights
        self.means = means
        // Covariance eigenvalues are the reciprocals of the precision's, with the same vectors.
        eigen = decompositions.map { e in SymmetricEigen(values: e.values.map { 1 / $0 }, vectors: e.vectors, dimension: d) }
        logNormalizers = zip(weights, eigen).map { w, e in
            Double.log(w) - 0.5 * e.values.reduce(0) { $0 + Double.log(2 * Double.pi * $1) }
        }
    }

    public var space: SampleSpace { .continuous }
    public var closedFormObservations: [ObservationKind] { [.gaussian] }

    /// `r = Vᵀ(x - μ)` for component k.
    func rotated(_ x: UnsafePointer<Double>, _ k: Int, into r: inout [Double]) {
        let d = dimension, v = eigen[k].vectors, mu = means[k]
        for i in 0..<d {
            var s = 0.0
            for j in 0..<d { s += v[j * d + i] * (x[j] - mu[j]) }
            r[i] = s
        }
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        let d = dimension, kc = weights.count
        var r = [Double](repeating: 0, count: d), l = [Double](repeating: 0, count: kc)
        var grads = [[Double]](repeating: [Double](repeating: 0, count: d), count: kc)
        for p in 0..<count {
            let x = points + p * d
            for k in 0..<kc {
                rotated(x, k, into: &r)
                let lam = eigen[k].values, v = eigen[k].vectors
                var q = 0.0
                for i in 0..<d {
                    q += r[i] * r[i] / lam[i]
                    r[i] /= lam[i]
                }
                l[k] = logNormalizers[k] - 0.5 * q
                // -Σ⁻¹(x - μ) = -V (r/λ).
                for j in 0..<d {
                    var s = 0.0
                    for i in 0..<d { s += v[j * d + i] * r[i] }
                    grads[k][j] = -s
                }
            }
            let lse = l.logSumExp()
            logDensity[p] = lse
            for j in 0..<d { gradient[p * d + j] = 0 }
            for k in 0..<kc {
                let w = Double.exp(l[k] - lse)
                for j in 0..<d { gradient[p * d + j] += w * grads[k][j] }
            }
        }
    }

    public func posteriorMean(
        _ y: Span<Double>, count: Int, model: ObservationModel, into estimate: inout MutableSpan<Double>
    ) {
        guard case .gaussian(let a, let v) = model else {
            preconditionFailure("ExactDenoiser.check rejects \(model.kind.rawValue) for a dense Gaussian mixture")
        }
        let d = dimension, kc = weights.count
        var q = [Double](repeating: 0, count: d), r = q, l = [Double](repeating: 0, count: kc)
        var comp = [[Double]](repeating: q, count: kc)
        y.withUnsafeBufferPointer { yb in
            estimate.withUnsafeMutableBufferPointer { ob in
                for row in 0..<count {
                    guard a != 0 && v.isFinite else {
                        for j in 0..<d { ob[row * d + j] = (0..<kc).reduce(0.0) { $0 + weights[$1] * means[$1][j] } }
                        continue
                    }
                    let s2 = v / (a * a)
                    for j in 0..<d { q[j] = yb[row * d + j] / a }
                    for k in 0..<kc {
                        q.withUnsafeBufferPointer { rotated($0.baseAddress!, k, into: &r) }
                        let lam = eigen[k].values, vec = eigen[k].vectors
                        var e = Double.log(weights[k])
                        for i in 0..<d {
                            let w = lam[i] + s2
                            e -= 0.5 * (r[i] * r[i] / w + Double.log(w))
                            r[i] *= lam[i] / w
                        }
                        l[k] = e
                        for j in 0..<d {
                            var s = means[k][j]
                            for i in 0..<d { s += vec[j * d + i] * r[i] }
                            comp[k][j] = s
                        }
                    }
                    mixComponents(l, dimension: d, into: ob.baseAddress! + row * d) { k, j in comp[k][j] }
                }
            }
        }
    }

    public func draw(_ rng: inout Xoshiro256, into x: UnsafeMutablePointer<Double>) {
        let d = dimension, k = drawComponent(weights, rng.nextUniform())
        let z = (0..<d).map { _ in rng.nextNormal() }
        let lam = eigen[k].values, v = eigen[k].vectors
        for j in 0..<d {
            var s = means[k][j]
            for i in 0..<d { s += v[j * d + i] * lam[i].squareRoot() * z[i] }
            x[j] = s
        }
    }

    /// `count` exact draws, draw i from stream `(seed, i, .exactSamples)`.
    public func sample(count: Int, seed: UInt64) -> Points {
        var out = Points(count: count, dimension: dimension)
        out.withUnsafeMutableBufferPointer { b in
            for i in 0..<count {
                var rng = RandomStream.make(seed: seed, index: i, purpose: .exactSamples)
                draw(&rng, into: b.baseAddress! + i * dimension)
            }
        }
        return out
    }
}

/// A law with exact draws from a given stream: what `--start exact` needs to draw `Y_{t_0}` exactly
/// (``GaussianObservationProcess/exactStart``).
public protocol ExactDraws: Sendable {
    var dimension: Int { get }
    /// One draw of X into `x` (d values) from `rng`.
    func draw(_ rng: inout Xoshiro256, into x: UnsafeMutablePointer<Double>)
}

extension GaussianMixture: ExactDraws {
    public func draw(_ rng: inout Xoshiro256, into x: UnsafeMutablePointer<Double>) {
        let k = component(for: rng.nextUniform())
        for j in 0..<dimension { x[j] = means[k, j] + variances[k, j].squareRoot() * rng.nextNormal() }
    }
}

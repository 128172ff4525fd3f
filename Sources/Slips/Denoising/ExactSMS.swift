import RealModule

/// Exact ancestral sequential multimeasurement sampling for a Gaussian mixture (spec/denoising.md §1.3 item 6), the
/// reference for ``SequentialMultimeasurementSampler``: `y_1 = x + σ ε` with x from the prior, then
/// `y_m = x̃ + σ ε` with `x̃ ~ p(x | ȳ_{m−1})` (the mixture posterior at noise `σ/√(m−1)`: weights `r_k(ȳ; σ_{m−1})`,
/// per-coordinate means `μ + V/(V + s²)(ȳ − μ)` and variances `V s²/(V + s²)`), and the output is SMS's, the jump
/// `E[X | ȳ_M]` at σ/√M. Every stage is drawn exactly, so its laws are what the Langevin SMS approximates.
///
/// Sample n draws from stream `(seed, n, .exactSamples)`.
public struct ExactSMSSampler: Sampler {
    public let mixture: GaussianMixture
    public var sigma: Double
    public var measurements: Int

    public init(mixture: GaussianMixture, sigma: Double, measurements: Int) {
        self.mixture = mixture
        self.sigma = sigma
        self.measurements = measurements
    }

    public var name: String { "sms-exact" }
    public var parameters: [String: Double] { ["sigma": sigma, "measurements": Double(measurements)] }
    public func expectedGradientEvaluations(samples: Int) -> Int { 0 }
    public func expectedLogDensityEvaluations(samples: Int) -> Int { 0 }

    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        let start = wallClock()
        let means = try stageMeans(count: indices.count, first: indices.lowerBound, seed: seed, stages: [measurements], progress: progress)[0]
        var out = Points(count: indices.count, dimension: mixture.dimension)
        let s2 = sigma * sigma / Double(measurements)
        for i in 0..<indices.count {
            if i % 256 == 0 { try progress?.checkCancelled() }
            let e = posterior(means[row: i], noiseVariance: s2).mean
            for j in 0..<mixture.dimension { out[i, j] = e[j] }
        }
        progress?.add(expectedProgressUnits(samples: indices.count))
        return SampleSet(points: out, firstIndex: indices.lowerBound, gradientEvaluations: 0, logDensityEvaluations: 0,
                         wallSeconds: wallClock() - start)
    }

    /// The running means ȳ_m after the measurements `stages` (1-based) of samples `first ..< first + count`.
    /// Checks `progress` for cancellation every 256 samples (throwing ``RunCancelled``).
    public func stageMeans(count n: Int, first: Int = 0, seed: UInt64, stages: [Int], progress: ProgressCounter? = nil) throws -> [Points] {
        guard sigma.isPositiveFinite, measurements >= 1 else { throw SamplerError("sms-exact needs sigma > 0 and at least one measurement") }
        let d = mixture.dimension, last = stages.max() ?? measurements
        var out = stages.map { _ in Points(count: n, dimension: d) }
        for i in 0..<n {
            if i % 256 == 0 { try progress?.checkCancelled() }
            var rng = RandomStream.make(seed: seed, index: first + i, purpose: .exactSamples)
            var mean = [Double](repeating: 0, count: d)
            for m in 1...max(last, 1) {
                let x = m == 1 ? draw(weights: mixture.weights, means: (0..<mixture.componentCount).map { mixture.means[row: $0] },
                                      variances: (0..<mixture.componentCount).map { mixture.variances[row: $0] }, &rng)
                    : drawPosterior(mean, noiseVariance: sigma * sigma / Double(m - 1), &rng)
                for j in 0..<d { mean[j] += (x[j] + sigma * rng.nextNormal() - mean[j]) / Double(m) }
                if let k = stages.firstIndex(of: m) { for j in 0..<d { out[k][i, j] = mean[j] } }
            }
        }
        return out
    }

    /// The mixture posterior given `ȳ = y + s N`: weights, per-coordinate means and variances, and its mean.
    func posterior(_ y: [Double], noiseVariance s2: Double)
        -> (weights: [Double], means: [[Double]], variances: [[Double]], mean: [Double])
    {
        let d = mixture.dimension, kc = mixture.componentCount
        var logw = [Double](repeating: 0, count: kc), means: [[Double]] = [], variances: [[Double]] = []
        for k in 0..<kc {
            var l = Double.log(mixture.weights[k]), mu = [Double](repeating: 0, count: d), va = mu
            for j in 0..<d {
                let v = mixture.variances[k, j], t = v + s2, r = y[j] - mixture.means[k, j]
                l -= 0.5 * (r * r / t + Double.log(t))
                mu[j] = mixture.means[k, j] + v / t * r
                va[j] = v * s2 / t
            }
            logw[k] = l
            means.append(mu)
            variances.append(va)
        }
        let top = logw.max()!
        var w = logw.map { Double.exp($0 - top) }
        let z = w.reduce(0, +)
        w = w.map { $0 / z }
        let mean = (0..<d).map { j in (0..<kc).reduce(0.0) { $0 + w[$1] * means[$1][j] } }
        return (w, means, variances, mean)
    }

    func drawPosterior(_ y: [Double], noiseVariance s2: Double, _ rng: inout Xoshiro256) -> [Double] {
        let p = posterior(y, noiseVariance: s2)
        return draw(weights: p.weights, means: p.means, variances: p.variances, &rng)
    }

    func draw(weights: [Double], means: [[Double]], variances: [[Double]], _ rng: inout Xoshiro256) -> [Double] {
        let u = rng.nextUniform()
        var k = 0, c = weights[0]
        while u >= c && k < weights.count - 1 {
            k += 1
            c += weights[k]
        }
        return (0..<means[k].count).map { j in means[k][j] + variances[k][j].squareRoot() * rng.nextNormal() }
    }
}

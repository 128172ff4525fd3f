/// Sequential multimeasurement sampling (SMS, "one at a time", spec/denoising.md §4.3): measurements
/// `y_m = x + σ ε_m` are sampled one after the other from `p(y_m | y_{1:m-1})`, whose score depends on the history
/// only through the running mean, `∇ log p(y_m | y_{1:m-1}) = (E[X | y_{1:m}] - y_m)/σ²` with
/// `E[X | y_{1:m}] = m̂(ȳ_m)` the denoiser at noise `σ/√m` (§1.3 items 2–4, through ``TweedieScore``). Each level runs
/// L steps of ``UnderdampedLangevinKernel`` from velocity 0, then updates the running mean and starts the next level
/// at the jump + re-noise `m̂(ȳ_m) + σ ξ`; the output is the jump `m̂(ȳ_M)` at noise `σ/√M`.
///
/// The first start is `U[-1, 1]^d + σ ξ` with running mean 0 (the official code). OAT is this sampler with the
/// importance-sampled denoiser (``OATSampler``). Sample n draws its start, Langevin and re-noise draws from stream
/// `(seed, n, .baselineParticles)`, the denoiser from its own streams.
public struct SequentialMultimeasurementSampler<D: Denoiser>: Sampler {
    /// σ of the measurements.
    public var sigma: Double
    /// M, the number of measurements.
    public var levels: Int
    /// L, Langevin steps per measurement.
    public var langevinSteps: Int
    public var kernel: UnderdampedLangevinKernel
    public var denoiser: D
    /// Samples per work block (results do not depend on it); nil: the denoiser's preference.
    public var blockSize: Int?
    public let name: String

    public init(sigma: Double, levels: Int, langevinSteps: Int, kernel: UnderdampedLangevinKernel, denoiser: D,
                name: String? = nil, blockSize: Int? = nil) {
        self.sigma = sigma
        self.levels = levels
        self.langevinSteps = langevinSteps
        self.kernel = kernel
        self.denoiser = denoiser
        self.blockSize = blockSize
        self.name = name ?? "sms-\(denoiser.name)"
    }

    /// Denoiser calls per sample: `M (L + 1) + 1`.
    public var denoiserCalls: Int { Count.sum(Count.product(levels, Count.sum(langevinSteps, 1)), 1) }

    public var parameters: [String: Double] {
        [
            "sigma": sigma, "levels": Double(levels), "langevin_steps": Double(langevinSteps),
            "step_size": kernel.stepSize, "velocity_decay": kernel.velocityDecay, "inverse_mass": kernel.inverseMass,
        ].merging(denoiser.parameters) { a, _ in a }
    }

    public func expectedGradientEvaluations(samples: Int) -> Int {
        Count.product(samples, denoiser.expectedWork(calls: denoiserCalls).gradient)
    }

    public func expectedLogDensityEvaluations(samples: Int) -> Int {
        Count.product(samples, denoiser.expectedWork(calls: denoiserCalls).logDensity)
    }

    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        let d = target.dimension
        guard sigma.isPositiveFinite, levels >= 1, langevinSteps >= 1 else {
            throw SamplerError("SMS needs sigma > 0, at least one level and one Langevin step")
        }
        try denoiser.check(.gaussian, dimension: d)
        let start = wallClock()
        var out = Points(count: indices.count, dimension: d)
        let bs = blockSize ?? denoiser.preferredBlockSize(dimension: d)
        let total = runSampleBlocks(count: indices.count, dimension: d, blockSize: bs, threads: threads, output: &out) {
            local, o in
            let global = (indices.lowerBound + local.lowerBound)..<(indices.lowerBound + local.upperBound)
            return runBlock(target, samples: global, seed: seed, output: o, progress: progress)
        }
        try checkFinite(out, firstIndex: indices.lowerBound, sampler: name.uppercased())
        return SampleSet(
            points: out, firstIndex: indices.lowerBound, gradientEvaluations: total.gradientEvaluations,
            logDensityEvaluations: total.logDensityEvaluations, wallSeconds: wallClock() - start)
    }

    /// The whole algorithm for the samples with global indices `samples`, writing `samples.count × d` values.
    func runBlock<T: LogDensity>(
        _ target: T, samples: Range<Int>, seed: UInt64, output: UnsafeMutablePointer<Double>, progress: ProgressCounter?
    ) -> WorkCounts {
        let d = target.dimension, b = samples.count, count = b * d
        let sigma2 = sigma * sigma
        var paths = samples.map { RandomStream.make(seed: seed, index: $0, purpose: .baselineParticles) }
        var state = denoiser.makeState(samples: samples, seed: seed, dimension: d, progress: progress)
        var y = [Double](repeating: 0, count: count), v = y, mean = y, query = y, estimate = y, psi = y

        /// `estimate ← E[X | ȳ = query]` at noise s.
        func jump(_ s: Double) {
            var e = estimate.mutableSpan
            denoiser.denoise(query.span, model: .gaussian(scale: 1, variance: s * s), target: target, into: &e,
                             state: &state)
        }
        for i in 0..<b {
            for j in 0..<d {
                let q = i * d + j
                y[q] = 2 * paths[i].nextUniform() - 1
                y[q] += sigma * paths[i].nextNormal()
            }
        }
        var s = sigma
        for m in 1...levels {
            s = sigma / Double(m).squareRoot()
            let inverseM = 1 / Double(m)
            for q in 0..<count { v[q] = 0 }
            for _ in 0..<langevinSteps {
                kernel.step(positions: &y, velocities: &v, rows: b, dimension: d, streams: &paths, psi: &psi) { y, psi in
                    // The conditional score at the running mean ȳ_m(y) = ȳ_{m-1} + (y - ȳ_{m-1})/m.
                    for q in 0..<count { query[q] = mean[q] + (y[q] - mean[q]) * inverseM }
                    jump(s)
                    var out = psi.mutableSpan
                    TweedieScore.gaussian(estimate: estimate.span, observation: y.span, scale: 1, variance: sigma2,
                                          into: &out)
                }
            }
            // Running mean, then the next start: jump + re-noise.
            for q in 0..<count {
                mean[q] += (y[q] - mean[q]) * inverseM
                query[q] = mean[q]
            }
            jump(s)
            for i in 0..<b {
                for j in 0..<d { y[i * d + j] = estimate[i * d + j] + sigma * paths[i].nextNormal() }
            }
        }
        // Output: the jump E[X | y_{1:M}] = m̂(ȳ_M) at noise σ/√M.
        for q in 0..<count { query[q] = mean[q] }
        jump(s)
        for q in 0..<count { output[q] = estimate[q] }
        return denoiser.work(state)
    }
}

/// Sequential multimeasurement sampling (SMS, "one at a time", spec/denoising.md §4.3): measurements
/// `y_m = x + σ ε_m` are sampled one after the other from `p(y_m | y_{1:m-1})`, whose score depends on the history
/// only through the running mean, `∇ log p(y_m | y_{1:m-1}) = (E[X | y_{1:m}] - y_m)/σ²` with
/// `E[X | y_{1:m}] = m̂(ȳ_m)` the denoiser at noise `σ/√m` (§1.3 items 2–4, through ``TweedieScore``). Each level runs
/// L steps of ``UnderdampedLangevinKernel`` from velocity 0, then updates the running mean and starts the next level
/// at the jump + re-noise `m̂(ȳ_m) + σ ξ` (or afresh); the output is the jump `m̂(ȳ_M)` at noise `σ/√M`.
///
/// The kernel is a ``ScoreKernel``: underdamped (OAT's) or overdamped (ULA, the reference runs of §4.6, with more
/// steps on the first stage). The first start is `U[-1, 1]^d + σ ξ` with running mean 0 (the official code). OAT is
/// this sampler with the importance-sampled denoiser and the underdamped kernel (``OATSampler``). Sample n draws its start, Langevin and re-noise draws from stream
/// `(seed, n, .baselineParticles)`, the denoiser from its own streams.
public struct SequentialMultimeasurementSampler<D: Denoiser>: DenoiserDrivenSampler {
    /// σ of the measurements.
    public var sigma: Double
    /// M, the number of measurements.
    public var levels: Int
    /// L, Langevin steps per measurement.
    public var langevinSteps: Int
    /// Langevin steps of the first measurement (default L; §4.6 uses 5L).
    public var firstStageSteps: Int
    /// Start each measurement after the first at the jump + re-noise `m̂(ȳ_{m−1}) + σ ξ` (true, the default: an
    /// approximate ancestral draw, §1.3 item 6) or afresh like the first (`U[-1, 1]^d + σ ξ`).
    public var jumpStart = true
    public var kernel: ScoreKernel
    /// `log p_s(ȳ)` (up to a constant) for `rows` rows of ȳ at noise variance s²: what the adjusted (MALA) kernel needs
    /// besides the score; known in closed form for Gaussian mixtures.
    public var stageLogDensity: (@Sendable ([Double], Int, Double) -> [Double])? = nil
    public var denoiser: D
    /// Samples per work block (results do not depend on it); nil: the denoiser's preference.
    public var blockSize: Int?
    public let name: String

    public init(sigma: Double, levels: Int, langevinSteps: Int, firstStageSteps: Int? = nil, kernel: ScoreKernel, denoiser: D,
                name: String? = nil, blockSize: Int? = nil) {
        self.sigma = sigma
        self.levels = levels
        self.langevinSteps = langevinSteps
        self.firstStageSteps = firstStageSteps ?? langevinSteps
        self.kernel = kernel
        self.denoiser = denoiser
        self.blockSize = blockSize
        self.name = name ?? "sms-\(denoiser.name)"
    }

    /// Denoiser calls per sample: `L₁ + (M − 1) L + M + 1` (`M (L + 1) + 1` when L₁ = L).
    public var denoiserCalls: Int {
        Count.sum(Count.product(levels - 1, langevinSteps), firstStageSteps, levels, 1)
    }

    public var parameters: [String: Double] {
        [
            "sigma": sigma, "levels": Double(levels), "langevin_steps": Double(langevinSteps),
            "first_stage_steps": Double(firstStageSteps), "jump_start": jumpStart ? 1 : 0,
        ].merging(kernel.parameters) { a, _ in a }.merging(denoiser.parameters) { a, _ in a }
    }

    public var settings: [String: String] { ["kernel": kernel.name, "denoiser": denoiser.name] }


    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        let d = target.dimension
        guard sigma.isPositiveFinite, levels >= 1, langevinSteps >= 1, firstStageSteps >= 1 else {
            throw SamplerError("SMS needs sigma > 0, at least one measurement and one Langevin step per stage")
        }
        if case .adjusted = kernel, stageLogDensity == nil {
            throw SamplerError("SMS with the adjusted (MALA) kernel needs the stage log-density (Gaussian-mixture targets)")
        }
        try denoiser.check(.gaussian, dimension: d)
        let r = try runBlocks(target, indices: indices, threads: threads, blockSize: blockSize, progress: progress) { samples, o in
            runBlock(target, samples: samples, seed: seed, output: o, progress: progress)
        }
        return SampleSet(r, firstIndex: indices.lowerBound)
    }

    /// The running means ȳ_m after the measurements `stages` (1-based), for N samples: what the exact ancestral
    /// sampler draws exactly (spec/denoising.md T-c4).
    public func stageMeans<T: LogDensity>(_ target: T, count n: Int, seed: UInt64, stages: [Int]) throws -> [Points] {
        try denoiser.check(.gaussian, dimension: target.dimension)
        let d = target.dimension
        var out = stages.map { _ in Points(count: n, dimension: d) }
        var final = [Double](repeating: 0, count: n * d)
        _ = final.withUnsafeMutableBufferPointer { o in
            runBlock(target, samples: 0..<n, seed: seed, output: o.baseAddress!, progress: nil) { m, mean in
                if let k = stages.firstIndex(of: m) { out[k].storage = mean }
            }
        }
        return out
    }

    /// The whole algorithm for the samples with global indices `samples`, writing `samples.count × d` values;
    /// `record(m, ȳ_m)` sees the running mean after each measurement.
    func runBlock<T: LogDensity>(
        _ target: T, samples: Range<Int>, seed: UInt64, output: UnsafeMutablePointer<Double>, progress: ProgressCounter?,
        record: ((Int, [Double]) -> Void)? = nil
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
        func freshStart() {
            for i in 0..<b {
                for j in 0..<d {
                    let q = i * d + j
                    y[q] = 2 * paths[i].nextUniform() - 1
                    y[q] += sigma * paths[i].nextNormal()
                }
            }
        }
        freshStart()
        var s = sigma
        for m in 1...levels {
            s = sigma / Double(m).squareRoot()
            let inverseM = 1 / Double(m)
            for q in 0..<count { v[q] = 0 }
            for _ in 0..<(m == 1 ? firstStageSteps : langevinSteps) {
                if progress?.isCancelled == true { break }  // the run throws RunCancelled
                // The stage's log-density in y (adjusted kernel): −(‖y‖² − m‖ȳ_m‖²)/(2σ²) + log p_{σ/√m}(ȳ_m) + const.
                // The closure escapes (an optional parameter), so it captures a constant copy of the running mean: capturing
                // the `var` itself would box it on the heap for the whole hot loop.
                let stageMean = mean
                let stageDensity = stageLogDensity.map { logSmoothed in
                    { (y: [Double]) -> [Double] in
                        var ybar = y
                        for q in 0..<count { ybar[q] = stageMean[q] + (y[q] - stageMean[q]) * inverseM }
                        let lp = logSmoothed(ybar, b, s * s)
                        return (0..<b).map { i in
                            var quad = 0.0
                            for j in 0..<d { quad += y[i * d + j] * y[i * d + j] - Double(m) * ybar[i * d + j] * ybar[i * d + j] }
                            return lp[i] - quad / (2 * sigma2)
                        }
                    }
                }
                kernel.step(positions: &y, velocities: &v, rows: b, dimension: d, streams: &paths, psi: &psi, score: { y, psi in
                    // The conditional score at the running mean ȳ_m(y) = ȳ_{m-1} + (y - ȳ_{m-1})/m.
                    for q in 0..<count { query[q] = mean[q] + (y[q] - mean[q]) * inverseM }
                    jump(s)
                    var out = psi.mutableSpan
                    TweedieScore.gaussian(estimate: estimate.span, observation: y.span, scale: 1, variance: sigma2,
                                          into: &out)
                }, logDensity: stageDensity)
            }
            // Running mean, then the next start: jump + re-noise.
            for q in 0..<count {
                mean[q] += (y[q] - mean[q]) * inverseM
                query[q] = mean[q]
            }
            record?(m, mean)
            jump(s)
            if jumpStart {
                for i in 0..<b {
                    for j in 0..<d { y[i * d + j] = estimate[i * d + j] + sigma * paths[i].nextNormal() }
                }
            } else if m < levels {
                freshStart()
            }
        }
        // Output: the jump E[X | y_{1:M}] = m̂(ȳ_M) at noise σ/√M.
        for q in 0..<count { query[q] = mean[q] }
        jump(s)
        for q in 0..<count { output[q] = estimate[q] }
        return denoiser.work(state)
    }
}

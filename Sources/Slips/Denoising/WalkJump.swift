/// Walk-jump sampling (spec/denoising.md §2.2; Saremi & Hyvärinen): N independent chains walk on the smoothed law
/// `p_σ` with a score-driven ``ScoreKernel``, and every `steps` steps (``draws`` times) emit the jump
/// `y + σ² ∇log p_σ(y) = E[X | X + σG = y]` of their state (never fed back), or with ``outputsWalk`` the state itself.
/// With D draws the output has N·D rows, chain-major: the (N, D, d) array of jumps.
/// The score comes from any ``Denoiser`` at noise σ through Tweedie's formula (§1.1).
///
/// Chains start at `σ ξ` (N(0, σ² I), T-a3's start). Sample n draws from stream `(seed, n, .baselineParticles)`.
public struct WalkJumpSampler<D: Denoiser>: DenoiserDrivenSampler {
    public var sigma: Double
    public var steps: Int
    public var kernel: ScoreKernel
    public var denoiser: D
    /// Output the walk's final state y instead of its jump.
    public var outputsWalk = false
    /// D, the jumps each chain emits (one every `steps` steps).
    public var draws = 1
    public var blockSize: Int?

    public init(sigma: Double, steps: Int, kernel: ScoreKernel, denoiser: D, blockSize: Int? = nil) {
        self.sigma = sigma
        self.steps = steps
        self.kernel = kernel
        self.denoiser = denoiser
        self.blockSize = blockSize
    }

    public var name: String { "walk-jump" }
    public var settings: [String: String] { ["kernel": kernel.name, "score": denoiser.name, "output": outputsWalk ? "walk" : "jump"] }
    public var parameters: [String: Double] {
        ["sigma": sigma, "steps": Double(steps), "draws": Double(draws)].merging(kernel.parameters) { a, _ in a }
            .merging(denoiser.parameters) { a, _ in a }
    }

    /// Denoiser (score) calls per sample: one per step and one per jump.
    public var denoiserCalls: Int { Count.product(draws, Count.sum(steps, 1)) }

    public func memoryEstimate(samples: Int, dimension d: Int) -> Double { 32 * Double(samples) * Double(draws) * Double(d) }

    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        guard sigma.isPositiveFinite, steps >= 1, draws >= 1 else {
            throw SamplerError("walk-jump needs sigma > 0, at least one step and one draw")
        }
        try denoiser.check(.gaussian, dimension: target.dimension)
        let r = try runBlocks(target, indices: indices, threads: threads, blockSize: blockSize, rowsPerSample: draws, progress: progress) { samples, o in
            runBlock(target, samples: samples, seed: seed, output: o, progress: progress)
        }
        return SampleSet(r, firstIndex: indices.lowerBound)
    }

    func runBlock<T: LogDensity>(
        _ target: T, samples: Range<Int>, seed: UInt64, output: UnsafeMutablePointer<Double>, progress: ProgressCounter?
    ) -> WorkCounts {
        let d = target.dimension
        return walk(target, samples: samples, seed: seed, progress: progress, every: steps, draws: draws) { draw, y, jumps in
            let emitted = outputsWalk ? y : jumps
            for i in 0..<samples.count {
                for j in 0..<d { output[(i * draws + draw) * d + j] = emitted[i * d + j] }
            }
        }
    }

    /// Sample n's chain, the jumps (or with ``outputsWalk`` the states) after every `k` steps: `draws × d`, the
    /// chain's own trajectory (the jumps are never fed back; the chain is the one of ``sample(_:indices:seed:threads:progress:)``
    /// with `steps = k · draws`).
    public func trajectory<T: LogDensity>(_ target: T, sample n: Int, seed: UInt64, every k: Int, draws: Int) throws -> Points {
        guard sigma.isPositiveFinite, k >= 1, draws >= 1 else { throw SamplerError("walk-jump needs sigma > 0, k ≥ 1 and at least one draw") }
        try denoiser.check(.gaussian, dimension: target.dimension)
        var out = Points(count: draws, dimension: target.dimension)
        _ = walk(target, samples: n..<(n + 1), seed: seed, progress: nil, every: k, draws: draws) { draw, y, jumps in
            for j in 0..<target.dimension { out[draw, j] = outputsWalk ? y[j] : jumps[j] }
        }
        return out
    }

    /// The walk of the chains of `samples`: after every `k` steps (`draws` times) `emit(draw, y, jumps)`.
    func walk<T: LogDensity>(
        _ target: T, samples: Range<Int>, seed: UInt64, progress: ProgressCounter?, every k: Int, draws: Int,
        emit: (Int, [Double], [Double]) -> Void
    ) -> WorkCounts {
        let d = target.dimension, count = samples.count * d, variance = sigma * sigma
        var paths = samples.map { RandomStream.make(seed: seed, index: $0, purpose: .baselineParticles) }
        var state = denoiser.makeState(samples: samples, seed: seed, dimension: d, progress: progress)
        var y = [Double](repeating: 0, count: count), v = y, psi = y, estimate = y
        func denoise(_ y: [Double]) {
            var e = estimate.mutableSpan
            denoiser.denoise(y.span, model: .gaussian(scale: 1, variance: variance), target: target, into: &e, state: &state)
        }
        for i in 0..<samples.count { for j in 0..<d { y[i * d + j] = sigma * paths[i].nextNormal() } }
        for draw in 0..<draws {
            for _ in 0..<k {
                if progress?.isCancelled == true { return denoiser.work(state) }  // the run throws RunCancelled
                kernel.step(positions: &y, velocities: &v, rows: samples.count, dimension: d, streams: &paths, psi: &psi) { y, psi in
                    denoise(y)
                    var out = psi.mutableSpan
                    TweedieScore.gaussian(estimate: estimate.span, observation: y.span, scale: 1, variance: variance, into: &out)
                }
            }
            denoise(y)
            emit(draw, y, estimate)
        }
        return denoiser.work(state)
    }
}

/// Joint ("all at once") multimeasurement sampling, JMS (spec/denoising.md §3.2): Langevin on the density of M
/// measurements `y_{1:M}` in R^{Md}, whose block scores are `(E[X | y_{1:M}] − y_j)/σ²` with `E[X | y_{1:M}]` the
/// denoiser at σ/√M at the mean ȳ (§1.3 items 2–3); the sample is the jump `E[X | ȳ]` of the final state.
///
/// Each measurement starts at `U[-1, 1]^d + σ ξ` (a broad, symmetric start). Sample n draws from stream
/// `(seed, n, .baselineParticles)`.
public struct JointMultimeasurementSampler<D: Denoiser>: DenoiserDrivenSampler {
    public var sigma: Double
    public var measurements: Int
    public var steps: Int
    public var kernel: ScoreKernel
    public var denoiser: D
    public var blockSize: Int?

    public init(sigma: Double, measurements: Int, steps: Int, kernel: ScoreKernel, denoiser: D, blockSize: Int? = nil) {
        self.sigma = sigma
        self.measurements = measurements
        self.steps = steps
        self.kernel = kernel
        self.denoiser = denoiser
        self.blockSize = blockSize
    }

    public var name: String { "jms" }
    public var settings: [String: String] { ["kernel": kernel.name, "score": denoiser.name] }
    public var parameters: [String: Double] {
        ["sigma": sigma, "measurements": Double(measurements), "steps": Double(steps)]
            .merging(kernel.parameters) { a, _ in a }.merging(denoiser.parameters) { a, _ in a }
    }

    public var denoiserCalls: Int { Count.sum(steps, 1) }
    public func memoryEstimate(samples: Int, dimension d: Int) -> Double {
        32 * Double(samples) * Double(d) + 5 * 8 * 64 * Double(measurements) * Double(d)
    }

    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        guard sigma.isPositiveFinite, steps >= 1, measurements >= 1 else {
            throw SamplerError("JMS needs sigma > 0, at least one measurement and one step")
        }
        try denoiser.check(.gaussian, dimension: target.dimension)
        let r = try runBlocks(target, indices: indices, threads: threads, blockSize: blockSize, progress: progress) { samples, o in
            runBlock(target, samples: samples, seed: seed, output: o, progress: progress)
        }
        return SampleSet(r, firstIndex: indices.lowerBound)
    }

    /// The running mean ȳ of every chain of `samples` after each step (`record(step, ȳ)`, `samples.count × d`): the
    /// trajectories whose autocorrelation shows the joint density's conditioning (spec/denoising.md §1.4, T-b2).
    public func meanTrajectories<T: LogDensity>(
        _ target: T, samples: Range<Int>, seed: UInt64, record: @escaping ([Double]) -> Void
    ) throws {
        guard sigma.isPositiveFinite, steps >= 1, measurements >= 1 else {
            throw SamplerError("JMS needs sigma > 0, at least one measurement and one step")
        }
        try denoiser.check(.gaussian, dimension: target.dimension)
        var out = [Double](repeating: 0, count: samples.count * target.dimension)
        _ = out.withUnsafeMutableBufferPointer { o in
            runBlock(target, samples: samples, seed: seed, output: o.baseAddress!, progress: nil, record: record)
        }
    }

    /// The block scores of the joint density (spec/denoising.md §1.3 item 3): `∇_{y_j} log p(y_{1:M}) =
    /// (E[X | y_{1:M}] − y_j)/σ²` for each of the `count` measurements of each row, from `estimate = E[X | ȳ]`
    /// (rows × d) and the measurements (rows × count·d).
    public static func blockScores(
        estimate: [Double], measurements y: [Double], rows: Int, count m: Int, dimension d: Int, variance: Double,
        into psi: inout [Double]
    ) {
        let md = m * d
        for i in 0..<rows {
            for j in 0..<m {
                for k in 0..<d { psi[i * md + j * d + k] = (estimate[i * d + k] - y[i * md + j * d + k]) / variance }
            }
        }
    }

    func runBlock<T: LogDensity>(
        _ target: T, samples: Range<Int>, seed: UInt64, output: UnsafeMutablePointer<Double>, progress: ProgressCounter?,
        record: (([Double]) -> Void)? = nil
    ) -> WorkCounts {
        let d = target.dimension, b = samples.count, m = measurements, md = m * d, variance = sigma * sigma
        let jumpModel = ObservationModel.gaussian(scale: 1, variance: variance / Double(m))
        var paths = samples.map { RandomStream.make(seed: seed, index: $0, purpose: .baselineParticles) }
        var state = denoiser.makeState(samples: samples, seed: seed, dimension: d, progress: progress)
        var y = [Double](repeating: 0, count: b * md), v = y, psi = y
        var mean = [Double](repeating: 0, count: b * d), estimate = mean
        func jump(_ y: [Double]) {
            for i in 0..<b {
                for k in 0..<d {
                    var s = 0.0
                    for j in 0..<m { s += y[i * md + j * d + k] }
                    mean[i * d + k] = s / Double(m)
                }
            }
            var e = estimate.mutableSpan
            denoiser.denoise(mean.span, model: jumpModel, target: target, into: &e, state: &state)
        }
        for i in 0..<b { for q in 0..<md { y[i * md + q] = 2 * paths[i].nextUniform() - 1 + sigma * paths[i].nextNormal() } }
        for _ in 0..<steps {
            if progress?.isCancelled == true { break }  // the run throws RunCancelled
            kernel.step(positions: &y, velocities: &v, rows: b, dimension: md, streams: &paths, psi: &psi) { y, psi in
                jump(y)
                Self.blockScores(estimate: estimate, measurements: y, rows: b, count: m, dimension: d, variance: variance, into: &psi)
            }
            if let record {
                for i in 0..<b {
                    for k in 0..<d { mean[i * d + k] = (0..<m).reduce(0.0) { $0 + y[i * md + $1 * d + k] } / Double(m) }
                }
                record(mean)
            }
        }
        jump(y)
        for q in 0..<(b * d) { output[q] = estimate[q] }
        return denoiser.work(state)
    }
}

/// Walk-jump with a Metropolis-adjusted walk where `log p_σ` is known in closed form (spec/denoising.md §2.2,
/// "ULA/MALA on p_σ where the log-density is known"): for a Gaussian mixture p_σ is the mixture with σ² added to every
/// variance, so the walk is ``MCMCSampler`` (MALA, step size adapted during warm-up) on it, free of ULA's bias, and the
/// jump is the exact denoiser at σ. Sample n's walk is chain n of the MCMC sampler.
public struct AdjustedWalkJumpSampler: Sampler {
    public let mixture: GaussianMixture
    public var sigma: Double
    public var walker: MCMCSampler
    /// Output the walk's final state y instead of its jump.
    public var outputsWalk = false

    public init(mixture: GaussianMixture, sigma: Double, walker: MCMCSampler) {
        self.mixture = mixture
        self.sigma = sigma
        self.walker = walker
    }

    public var name: String { "walk-jump" }
    public var settings: [String: String] { ["kernel": "mala", "score": "exact", "output": outputsWalk ? "walk" : "jump"] }
    public var parameters: [String: Double] { walker.parameters.merging(["sigma": sigma]) { _, b in b } }
    public func expectedGradientEvaluations(samples: Int) -> Int { walker.expectedGradientEvaluations(samples: samples) }

    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        guard sigma.isPositiveFinite else { throw SamplerError("walk-jump needs sigma > 0") }
        try walker.validate()
        let walk = try walker.sample(mixture.smoothed(noiseVariance: sigma * sigma), indices: indices, seed: seed,
                                     threads: threads, progress: progress)
        guard !outputsWalk else { return walk }
        var jumps = walk
        jumps.points = mixture.denoiser(walk.points, noiseVariance: sigma * sigma)
        return jumps
    }
}

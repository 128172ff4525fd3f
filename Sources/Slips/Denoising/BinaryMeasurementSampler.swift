import RealModule

/// The law of the next binary measurement as a ``LogDensity`` on `{-1, +1}^d` (spec/denoising.md §1.5, §5.4): after
/// measurements with sum S (one row per chain, ``offsets``; none for the first), `q(y | S) ∝ Z(α (S + y))` with
/// `Z(h) = Σ_x p(x) e^{⟨h, x⟩}`, whose score is `α E[x | h = α (S + y)]` (binary TMF, through ``TweedieScore/binary``).
///
/// The score comes from the prior's closed form (which also gives `log Z`, so DMALA can run) or from a denoiser
/// (a learned logistic model: the score only, the log-density reads 0 and only DULA and the two-stage move apply).
/// Rows are chains: row r uses offset row r. One value serves one block on one thread (it carries scratch).
public struct BinaryMeasurementLaw<D: Denoiser>: LogDensity {
    public let dimension: Int
    public let alpha: Double
    /// Closed-form tilt of the prior (exact score and log-density), or nil to use ``denoiser``.
    let prior: (any BinaryFieldPrior)?
    let denoiser: DenoiserSlot<D>?
    /// S, one row per chain (empty: 0).
    var offsets: [Double] = []
    let scratch: FieldScratch

    init(dimension: Int, alpha: Double, prior: (any BinaryFieldPrior)?, denoiser: DenoiserSlot<D>?, rows: Int) {
        self.dimension = dimension
        self.alpha = alpha
        self.prior = prior
        self.denoiser = denoiser
        scratch = FieldScratch(count: rows * dimension)
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int, logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        let d = dimension, n = count * d, a = alpha
        let f = scratch
        if f.field.count < n { f.field = [Double](repeating: 0, count: n) }
        // The closed form takes the field α(S + y); a denoiser takes the observation S + y with its strength α.
        let scale = prior == nil ? 1 : a
        f.field.withUnsafeMutableBufferPointer { field in
            offsets.withUnsafeBufferPointer { s in
                if s.isEmpty {
                    for q in 0..<n { field[q] = scale * points[q] }
                } else {
                    for q in 0..<n { field[q] = scale * (s[q] + points[q]) }
                }
            }
        }
        let mean = UnsafeMutableBufferPointer(start: gradient, count: n)
        var out = mean.mutableSpan
        if let prior {
            var z = UnsafeMutableBufferPointer(start: logDensity, count: count).mutableSpan
            prior.tilt(f.field.span, count: count, logPartition: &z, mean: &out)
        } else if let slot = denoiser {
            slot.denoiser.denoise(f.field.span, model: .binaryField(strength: a), target: self, into: &out, state: &slot.state)
            for r in 0..<count { logDensity[r] = 0 }
        }
        _ = consume out
        TweedieScore.binary(gradient, count: n, strength: a)
    }
}

/// A denoiser with its per-block state, shared by the law of every stage of one block.
final class DenoiserSlot<D: Denoiser>: @unchecked Sendable {
    let denoiser: D
    var state: D.State

    init(_ denoiser: D, state: D.State) {
        self.denoiser = denoiser
        self.state = state
    }
}

/// Scratch of one block's field evaluations.
final class FieldScratch: @unchecked Sendable {
    var field: [Double]
    init(count: Int) { field = [Double](repeating: 0, count: count) }
}

extension TweedieScore {
    /// Binary TMF (spec/denoising.md §1.5): `∇ log q_α(y) = α E[x | y]`, in place over `count` coordinates.
    @inline(__always)
    public static func binary(_ estimate: UnsafeMutablePointer<Double>, count: Int, strength a: Double) {
        for q in 0..<count { estimate[q] *= a }
    }
}

/// How the binary samplers move on the noisy side (spec/denoising.md §5.3–§5.4).
public enum BinaryWalk: Sendable, Equatable {
    /// Discrete Langevin with step η, unadjusted (DULA) or Metropolis-adjusted (DMALA).
    case discreteLangevin(stepSize: Double, adjusted: Bool)
    /// The two-stage move: `x̃ ~ ⊗ Bernoulli((1 + E[x|y])/2)`, `y' = x̃ ⊙ ε` (``BinaryTwoStageKernel``).
    case twoStage

    public var name: String {
        switch self {
        case .discreteLangevin(_, let adjusted): adjusted ? "dmala" : "dula"
        case .twoStage: "two-stage"
        }
    }
}

/// How a sample is read off the final field `h = α S` (spec/denoising.md §5.4).
public enum BinaryReadout: String, Sendable, CaseIterable {
    /// `x̂ = sign(E[x | h])`, the Hamming-optimal denoiser (biased towards the majority mode at high noise).
    case sign
    /// `x ~ ⊗ Bernoulli±((1 + E[x_i | h])/2)`, the factorised posterior draw.
    case bernoulli
}

/// The binary samplers of spec/denoising.md §5.4 as one composition: M measurements `y_1 … y_M` of x through the
/// binary symmetric channel at strength α are sampled one after the other, measurement m by ``walk`` on its law
/// `q(y | S) ∝ Z(α (S + y))` given the sum S of the earlier ones (``BinaryMeasurementLaw``), then x is read off the
/// field `α S` (``readout``).
///
/// - M = 1 is the **one-stage** sampler (walk on `q_α`, then denoise) with DULA or DMALA, and the **two-stage** sampler
///   with ``BinaryWalk/twoStage`` (a reconstruction, §5.4);
/// - M > 1 is **binary SMS**: the effective noise falls as measurements accumulate (the field's SNR grows like `M α²`).
///
/// The first measurement starts uniform on the cube; later ones start at the jump (a factorised posterior draw
/// through the channel, ``jumpStart``) or uniform. Sample n draws its start from stream `(seed, n, .initialization)`
/// and its moves, jumps and readout from `(seed, n, .mcmcChains)`; the denoiser from its own streams.
public struct BinaryMeasurementSampler<D: Denoiser>: Sampler {
    public var alpha: Double
    /// M.
    public var measurements: Int
    /// Walk steps on the first measurement.
    public var firstStageSteps: Int
    /// Walk steps on each later measurement.
    public var stepsPerStage: Int
    public var walk: BinaryWalk
    public var readout: BinaryReadout
    /// Start each later measurement at the jump (true) or uniform on the cube.
    public var jumpStart = true
    /// Write the sum S of the measurements (the noisy side) instead of the readout.
    public var outputsWalk = false
    /// The prior's closed form: exact scores and log-densities (DMALA), and the component posteriors of the metrics.
    public var prior: (any BinaryFieldPrior)?
    /// The score when ``prior`` is nil (a learned logistic model).
    public var denoiser: D
    public var blockSize = 64
    public let name: String

    public init(alpha: Double, measurements: Int = 1, firstStageSteps: Int, stepsPerStage: Int? = nil, walk: BinaryWalk,
                readout: BinaryReadout = .sign, prior: (any BinaryFieldPrior)?, denoiser: D, name: String) {
        self.alpha = alpha
        self.measurements = measurements
        self.firstStageSteps = firstStageSteps
        self.stepsPerStage = stepsPerStage ?? firstStageSteps
        self.walk = walk
        self.readout = readout
        self.prior = prior
        self.denoiser = denoiser
        self.name = name
    }

    public var parameters: [String: Double] {
        var p: [String: Double] = [
            "alpha": alpha, "measurements": Double(measurements), "first_stage_steps": Double(firstStageSteps),
            "steps_per_stage": Double(stepsPerStage), "jump_start": jumpStart ? 1 : 0,
        ]
        if case .discreteLangevin(let eta, _) = walk { p["step_size"] = eta }
        return p.merging(prior == nil ? denoiser.parameters : [:]) { a, _ in a }
    }

    public var settings: [String: String] {
        ["walk": walk.name, "readout": outputsWalk ? "walk" : readout.rawValue, "score": prior == nil ? denoiser.name : "exact"]
    }

    /// Evaluations per sample: each measurement's start and steps, the jumps between measurements, the readout.
    var evaluationsPerSample: Int {
        Count.sum(measurements, firstStageSteps, Count.product(measurements - 1, stepsPerStage),
                  jumpStart ? measurements - 1 : 0, 1)
    }

    public func expectedGradientEvaluations(samples: Int) -> Int { Count.product(samples, evaluationsPerSample) }

    public func memoryEstimate(samples: Int, dimension d: Int) -> Double { 3 * 32 * Double(samples) * Double(d) }

    /// Throws one clear message for settings no run can use.
    public func validate(dimension d: Int) throws {
        guard alpha.isFinite, alpha > 0 else { throw SamplerError("--alpha must be positive and finite (got \(alpha))") }
        guard measurements >= 1, firstStageSteps >= 0, stepsPerStage >= 0 else {
            throw SamplerError("the binary samplers need at least one measurement and non-negative step counts")
        }
        if case .discreteLangevin(let eta, let adjusted) = walk {
            guard eta.isFinite, eta > 0 else { throw SamplerError("--step-size must be positive and finite (got \(eta))") }
            if adjusted && prior == nil {
                throw SamplerError("DMALA needs the log-density of the noisy law, known only with the exact score of a binary mixture; "
                    + "with a learned score use --integrator dula or the two-stage sampler")
            }
        }
        if let prior, prior.dimension != d { throw SamplerError("the prior has dimension \(prior.dimension), the target \(d)") }
        if prior == nil { try denoiser.check(.binaryField, dimension: d) }
    }

    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        let d = target.dimension, start = wallClock()
        try validate(dimension: d)
        var out = Points(count: indices.count, dimension: 3 * d)
        let total = try runSampleBlocks(count: indices.count, dimension: 3 * d, blockSize: blockSize, threads: threads,
                                        progress: progress, output: &out) {
            local, o in
            runBlock(dimension: d, samples: (indices.lowerBound + local.lowerBound)..<(indices.lowerBound + local.upperBound),
                     seed: seed, output: o, progress: progress)
        }
        let split = splitOutput(out, dimension: d)
        try checkFinite(split.samples, firstIndex: indices.lowerBound, sampler: name)
        return SampleSet(points: split.samples, firstIndex: indices.lowerBound, gradientEvaluations: total.gradientEvaluations,
                         wallSeconds: wallClock() - start, statistics: statistics(split, work: total))
    }

    /// Rows `[x, S, E[x | αS]]` → the samples (x, or S with ``outputsWalk``), the sums and the posterior means.
    func splitOutput(_ out: Points, dimension d: Int) -> (samples: Points, sums: Points, means: Points) {
        var parts = (0..<3).map { _ in Points(count: out.count, dimension: d) }
        for i in 0..<out.count {
            for p in 0..<3 { for j in 0..<d { parts[p].storage[i * d + j] = out.storage[i * 3 * d + p * d + j] } }
        }
        return (outputsWalk ? parts[1] : parts[0], parts[1], parts[2])
    }

    /// Mean acceptance, `mean_abs_posterior_mean` (mean |E[x | αS]|) and, with a mixture prior, the mean component
    /// posteriors `E[P(k | αS)]` (`component_posterior_k`: equal to π_k under the exact law, spec/denoising.md §1.7).
    func statistics(_ r: (samples: Points, sums: Points, means: Points), work: WorkCounts) -> [String: Double] {
        var s: [String: Double] = ["mean_acceptance": work.meanAcceptance]
        let n = Double(Swift.max(r.means.count, 1))
        s["mean_abs_posterior_mean"] = r.means.storage.reduce(0) { $0 + abs($1) } / (n * Double(r.means.dimension))
        if let prior, let w = prior.meanComponentPosterior(sums: r.sums, alpha: alpha) {
            for (k, v) in w.enumerated() { s["component_posterior_\(k)"] = v }
        }
        return s
    }

    /// The whole algorithm for one block, writing rows `[x, S, E[x | αS]]` (3d values per sample).
    func runBlock(dimension d: Int, samples: Range<Int>, seed: UInt64, output: UnsafeMutablePointer<Double>,
                  progress: ProgressCounter?) -> WorkCounts {
        let b = samples.count, count = b * d
        var law = measurementLaw(rows: b, offsets: [], dimension: d, samples: samples, seed: seed)
        var y = [Double](repeating: 0, count: count)
        for (r, i) in samples.enumerated() {
            var g = RandomStream.make(seed: seed, index: i, purpose: .initialization)
            for j in 0..<d { y[r * d + j] = g.nextUniform() < 0.5 ? 1 : -1 }
        }
        var streams = samples.map { RandomStream.make(seed: seed, index: $0, purpose: .mcmcChains) }
        var sums = [Double](repeating: 0, count: count), mean = sums
        var work = WorkCounts()
        for m in 1...measurements {
            law.offsets = m == 1 ? [] : sums
            walkStage(&y, law: law, steps: m == 1 ? firstStageSteps : stepsPerStage, streams: &streams, work: &work, progress: progress)
            for q in 0..<count { sums[q] += y[q] }
            if m < measurements {
                if jumpStart {
                    posteriorMean(law: &law, sums: sums, rows: b, into: &mean, work: &work, progress: progress)
                    jump(&y, mean: mean, rows: b, streams: &streams)
                } else {
                    for r in 0..<b { for j in 0..<d { y[r * d + j] = streams[r].nextUniform() < 0.5 ? 1 : -1 } }
                }
            }
        }
        posteriorMean(law: &law, sums: sums, rows: b, into: &mean, work: &work, progress: progress)
        for r in 0..<b {
            let o = output + r * 3 * d
            for j in 0..<d {
                let e = mean[r * d + j]
                switch readout {
                case .sign: o[j] = e > 0 ? 1 : e < 0 ? -1 : (streams[r].nextUniform() < 0.5 ? 1 : -1)
                case .bernoulli: o[j] = streams[r].nextUniform() < 0.5 * (1 + e) ? 1 : -1
                }
                o[d + j] = sums[r * d + j]
                o[2 * d + j] = e
            }
        }
        return work
    }

    /// The law `q(y | S)` of the next measurement for `rows` chains given their sums `offsets` (rows × d; empty for
    /// the first measurement), with the denoiser's state for the samples `samples` when the score is learned.
    public func measurementLaw(rows: Int, offsets: [Double], dimension d: Int, samples: Range<Int>? = nil, seed: UInt64 = 0)
        -> BinaryMeasurementLaw<D>
    {
        let slot = prior == nil
            ? DenoiserSlot(denoiser, state: denoiser.makeState(samples: samples ?? 0..<rows, seed: seed, dimension: d, progress: nil))
            : nil
        var law = BinaryMeasurementLaw(dimension: d, alpha: alpha, prior: prior, denoiser: slot, rows: rows)
        law.offsets = offsets
        return law
    }

    /// Runs the walk for `steps` steps on `law` from `y` (in place), with the chains' acceptance in `work`.
    func walkStage(_ y: inout [Double], law: BinaryMeasurementLaw<D>, steps: Int, streams: inout [Xoshiro256],
                   work: inout WorkCounts, progress: ProgressCounter?) {
        let d = law.dimension
        var eta = 1.0
        if case .discreteLangevin(let h, _) = walk { eta = h }
        var chains = Chains(positions: y, dimension: d, generators: streams, stepSize: eta)
        chains.evaluate(law)
        var fixed = FixedStepSize()
        let n = chains.count
        func observe(_ c: borrowing Chains, _ step: Int) {
            work.acceptanceSum += c.acceptanceProbabilities.reduce(0, +)
            work.acceptanceCount += Double(n)
            progress?.add(n)
        }
        switch walk {
        case .discreteLangevin(_, let adjusted):
            runChains(&chains, kernel: DiscreteLangevinKernel(adjusted: adjusted), target: law, steps: steps, adaptation: &fixed,
                      cancellation: progress, observe: observe)
        case .twoStage:
            runChains(&chains, kernel: BinaryTwoStageKernel(alpha: alpha), target: law, steps: steps, adaptation: &fixed,
                      cancellation: progress, observe: observe)
        }
        progress?.add(n)
        y = chains.positions
        streams = chains.generators
        work.gradientEvaluations += chains.gradientEvaluations
    }

    /// `E[x | α S]` for every row: the law's score at y = 0 with offsets S, divided by α.
    func posteriorMean(law: inout BinaryMeasurementLaw<D>, sums: [Double], rows b: Int, into mean: inout [Double],
                       work: inout WorkCounts, progress: ProgressCounter?) {
        let d = law.dimension
        law.offsets = sums
        let zero = [Double](repeating: 0, count: b * d)
        var lp = [Double](repeating: 0, count: b)
        zero.withUnsafeBufferPointer { z in
            lp.withUnsafeMutableBufferPointer { l in
                mean.withUnsafeMutableBufferPointer { g in
                    law.evaluate(z.baseAddress!, count: b, logDensity: l.baseAddress!, gradient: g.baseAddress!)
                }
            }
        }
        for q in 0..<(b * d) { mean[q] = Swift.min(1, Swift.max(-1, mean[q] / alpha)) }
        work.gradientEvaluations += b
        progress?.add(b)
    }

    /// The next measurement's start: `x̃ ~ ⊗ Bernoulli±((1 + E[x_i | αS])/2)` seen through the channel,
    /// `P(y_i = +1) = (1 + tanh α · E[x_i | αS])/2`.
    func jump(_ y: inout [Double], mean: [Double], rows b: Int, streams: inout [Xoshiro256]) {
        let d = y.count / Swift.max(b, 1), t = Double.tanh(alpha)
        for r in 0..<b { for j in 0..<d { y[r * d + j] = streams[r].nextUniform() < 0.5 * (1 + t * mean[r * d + j]) ? 1 : -1 } }
    }
}

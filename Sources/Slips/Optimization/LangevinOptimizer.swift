import RealModule

/// Which library Langevin kernel samples `π*(θ)` inside the optimizers (spec/implicit_diffusion.md §3.2: ULA by
/// default; MALA as an option).
public enum LangevinKernelChoice: String, Sendable, CaseIterable {
    case ula, mala
}

/// The order of the two updates of an iteration of the single-loop algorithm (spec/implicit_diffusion.md §3.2).
public enum LangevinUpdateOrder: String, Sendable, CaseIterable {
    /// The official code's order: the Langevin step uses `∇ₓV(x_k, θ_k)`, then `θ_{k+1} = θ_k − η Γ(x_{k+1}, θ_k)`.
    /// Two potential evaluations per particle and step (the chains are re-evaluated after every θ step).
    case sequential
    /// The paper's simultaneous form: `(x_{k+1}, θ_{k+1})` both computed from `(x_k, θ_k)`. One potential
    /// evaluation per particle and step gives `∇ₓV` and `∇_θV`; the θ feedback sees one more step of lag, which
    /// raises the noise floor at large constant η (spec §4.4 Gaussian toy: ≈ 0.8 instead of ≈ 0.35).
    case simultaneous
}

/// Optimization of θ through the stationary law `π*(θ) ∝ exp(−V(·, θ))` of a Langevin process
/// (spec/implicit_diffusion.md §3.1 and §3.2): n persistent particles, `innerSteps` Langevin steps per θ step.
///
/// * `innerSteps = 1`, `reinitialize = false`: **Implicit Diffusion**, the single-loop algorithm of §3.2 — one
///   Langevin step for every particle, then one θ step, the population never re-initialized.
/// * `innerSteps = T > 1`: the nested-loop baseline of §3.1, re-initialized from `N(0, s² I)` before every
///   inner loop (`reinitialize = true`) or warm-started (`false`).
///
/// Iteration k runs the inner steps with the library kernel (``ULAKernel`` or ``MALAKernel`` over ``Chains``,
/// through ``runChains``) targeting `π*(θ_k)`, computes `Γ_k = Γ(x, θ_k)` on the resulting population with the
/// estimators of §2.1 (``Objective``), and sets `θ_{k+1} = θ_k − η_k Γ_k`.
///
/// Langevin details: the position gradients are cached with the chains, and the parameter gradients of the
/// proposals come from the same potential pass (``GibbsTarget/thetaGradientSink``). With the default
/// ``LangevinUpdateOrder/sequential`` order (and always with MALA, whose acceptance ratio needs the current density)
/// the chains are re-evaluated at θ_k before the first inner step of iteration k; with
/// ``LangevinUpdateOrder/simultaneous`` ULA's first inner step moves with the gradient cached at θ_{k−1}, one
/// potential evaluation per particle and step.
///
/// Randomness: particle `i` draws its start and all its Langevin noise from stream `(seed, i, .optimization)`;
/// reference draw `j` of a KL(ref‖θ) term from `(seed, 2^40 + j, .optimization)`. Particles are processed in fixed
/// blocks whose statistics merge in block order, so the output does not depend on `threads`.
public struct LangevinOptimization<P: ParametrizedPotential>: Sendable {
    public var potential: P
    public var objective: Objective
    /// θ0.
    public var initialTheta: [Double]
    /// Number n of particles (at least 2).
    public var particles: Int = 1000
    /// Number K of θ steps.
    public var steps: Int = 5000
    /// Langevin step size γ.
    public var samplingStepSize: Double = 0.2
    /// θ step sizes η_k.
    public var schedule: ThetaSchedule = .constant(0.1)
    public var kernel: LangevinKernelChoice = .ula
    /// Order of the x and θ updates (default: the official code's sequential order).
    public var order: LangevinUpdateOrder = .sequential
    /// Langevin steps T per θ step.
    public var innerSteps: Int = 1
    /// Re-initialize the particles before every inner loop (nested-loop baseline).
    public var reinitialize: Bool = false
    /// Particles start from `N(0, s² I)`, s = `initialScale` (§3.2: N(0, I)).
    public var initialScale: Double = 1
    /// Worker threads (the output does not depend on it).
    public var threads: Int = 1
    /// Particles per work block. The output never depends on `threads`; it depends on `blockSize` only through
    /// the floating-point rounding of the merged block statistics.
    public var blockSize: Int = 256
    /// Take `∇_θV` from the kernel's own potential evaluations (true) or recompute it in a separate pass (false;
    /// same result, slower; kept to test the cache).
    public var cachesThetaGradients: Bool = true
    /// For a potential normalized in θ (``ParametrizedPotential/isNormalizedInTheta``), estimate the KL(ref‖θ)
    /// gradient as `E_ref[∇_θV]` alone, using the exact `E_θ[∇_θV] = 0` instead of its particle estimate (true,
    /// default), or with both means from samples as in spec/implicit_diffusion.md §2.1 (false). The exact term
    /// removes that term's Monte Carlo noise and the sampler's bias on it (ULA over-fills small modes); it has
    /// no effect on other potentials or objectives. docs/implicit-diffusion.md (S5) compares the two.
    public var usesKnownNormalization: Bool = true

    public init(potential: P, objective: Objective, initialTheta: [Double]) {
        self.potential = potential
        self.objective = objective
        self.initialTheta = initialTheta
    }

    /// Checks the configuration; throws ``OptimizationError`` with one clear line.
    public func validate() throws {
        try objective.validate(dimension: potential.dimension)
        guard initialTheta.count == potential.parameterCount else {
            throw OptimizationError("θ0 has \(initialTheta.count) values, the potential \(potential.parameterCount) parameters")
        }
        guard initialTheta.allSatisfy(\.isFinite) else { throw OptimizationError("θ0 must be finite") }
        guard particles >= 2 else { throw OptimizationError("at least 2 particles are needed (got \(particles))") }
        guard steps >= 0 else { throw OptimizationError("the number of θ steps must be non-negative (got \(steps))") }
        guard samplingStepSize > 0, samplingStepSize.isFinite else {
            throw OptimizationError("the sampling step size must be positive and finite (got \(samplingStepSize))")
        }
        try schedule.validate()
        guard innerSteps >= 1 else { throw OptimizationError("inner steps must be at least 1 (got \(innerSteps))") }
        guard initialScale > 0, initialScale.isFinite else {
            throw OptimizationError("the initial scale must be positive and finite (got \(initialScale))")
        }
        guard threads >= 1 else { throw OptimizationError("threads must be at least 1 (got \(threads))") }
        guard blockSize >= 1 else { throw OptimizationError("block size must be at least 1 (got \(blockSize))") }
    }

    /// Potential evaluations (one `V, ∇ₓV, ∇_θV` per point) the run will make.
    public var expectedPotentialEvaluations: Int {
        let n = particles, m = objective.klFromReference?.draws ?? 0
        let uncached = cachesThetaGradients ? 0 : n
        let reevaluations = (reinitialize || kernel == .mala || order == .sequential) ? Swift.max(0, steps - 1) * n : 0
        return (n + uncached + m) + steps * (n * innerSteps + uncached + m) + reevaluations
    }

    /// Runs the K θ steps from `seed`. Throws ``OptimizationError`` for invalid input or when a reward, the
    /// potential or the gradient estimate turns non-finite (naming the step and, for the reward, the particle).
    public func run(seed: UInt64, progress: ProgressCounter? = nil) throws -> LangevinOptimizationResult {
        try validate()
        switch kernel {
        case .ula: return try run(ULAKernel(), seed: seed, progress: progress)
        case .mala: return try run(MALAKernel(), seed: seed, progress: progress)
        }
    }

    func run<K: MCMCKernel>(_ kern: K, seed: UInt64, progress: ProgressCounter?) throws -> LangevinOptimizationResult {
        let start = wallClock()
        let n = particles, p = potential.parameterCount, d = potential.dimension
        let ev = GibbsObjectiveEvaluation(objective)
        let bs = Swift.max(1, blockSize)
        let blockCount = (n + bs - 1) / bs
        let m = ev.klFrom?.draws ?? 0
        let blocks: [LangevinBlock<P>] = (0..<blockCount).map { b in
            let rows = (b * bs)..<Swift.min(n, (b + 1) * bs)
            let refRows = (b * m / blockCount)..<((b + 1) * m / blockCount)
            return LangevinBlock(potential: potential, objective: ev, rows: rows, referenceRows: refRows, seed: seed,
                                 stepSize: samplingStepSize, initialScale: initialScale, caches: cachesThetaGradients)
        }
        var thetas = Points(count: steps + 1, dimension: p)
        var meanRewards = [Double](repeating: 0, count: steps + 1)
        var gradientNorms = [Double](repeating: 0, count: steps)
        var theta = initialTheta
        var gamma = [Double](repeating: 0, count: p)
        var total = GibbsParticleStatistics(parameterCount: p)
        let klWeight = ev.klFrom?.weight ?? 0
        let zeroModelMean = usesKnownNormalization && potential.isNormalizedInTheta
        let reinit = reinitialize, refresh = kern is MALAKernel || order == .sequential, inner = innerSteps, nThreads = threads

        func combine() -> GibbsParticleStatistics {
            total.reset()
            for b in 0..<blockCount { total.merge(blocks[b].statistics) }
            return total
        }
        func checkReward(_ s: GibbsParticleStatistics, step: Int) throws {
            if let i = s.firstBadReward {
                let b = i / bs
                let value = blocks[b].rewards[i - blocks[b].rows.lowerBound]
                let x = Array(blocks[b].chains.positions[((i - blocks[b].rows.lowerBound) * d)..<((i - blocks[b].rows.lowerBound + 1) * d)])
                throw OptimizationError("the reward returned \(value) at particle \(i) (x = \(x)) at step \(step); rewards must be finite")
            }
        }

        // Start: x0 ~ N(0, s² I), evaluated at θ0.
        let t0 = theta
        ParallelBlocks.run(count: blockCount, blockSize: 1, threads: nThreads) { range in
            for b in range { blocks[b].start(theta: t0) }
        }
        progress?.add(n)
        var s = combine()
        try checkReward(s, step: 0)
        meanRewards[0] = s.meanReward
        for k in 0..<steps {
            let current = theta
            ParallelBlocks.run(count: blockCount, blockSize: 1, threads: nThreads) { range in
                for b in range {
                    blocks[b].advance(kern, theta: current, innerSteps: inner,
                                      reinitialize: reinit && k > 0, refresh: refresh && k > 0)
                }
            }
            progress?.add(n * inner)
            s = combine()
            try checkReward(s, step: k + 1)
            meanRewards[k + 1] = s.meanReward
            s.gradient(klWeight: klWeight, modelMeanIsZero: zeroModelMean, into: &gamma)
            let eta = schedule.stepSize(k)
            var norm = 0.0
            for j in 0..<p {
                thetas[k, j] = theta[j]
                norm += gamma[j] * gamma[j]
            }
            gradientNorms[k] = norm.squareRoot()
            guard norm.isFinite else {
                throw OptimizationError("the gradient estimate is not finite at step \(k) (θ = \(theta)): the potential returned NaN or ±∞")
            }
            for j in 0..<p { theta[j] -= eta * gamma[j] }
            guard theta.allSatisfy(\.isFinite) else {
                throw OptimizationError("θ overflowed at step \(k + 1) (θ = \(theta)); reduce the θ step size")
            }
        }
        for j in 0..<p { thetas[steps, j] = theta[j] }
        var finalPoints = Points(count: 0, dimension: d)
        var evaluations = 0
        for b in blocks {
            finalPoints.append(contentsOf: Points(dimension: d, storage: b.chains.positions))
            evaluations += b.chains.gradientEvaluations + b.extraEvaluations
        }
        return LangevinOptimizationResult(
            thetas: thetas, meanRewards: meanRewards, gradientNorms: gradientNorms, finalParticles: finalPoints,
            potentialEvaluations: evaluations, samplingSteps: steps * innerSteps, wallSeconds: wallClock() - start)
    }
}

/// What a ``LangevinOptimization`` run returns (spec/implicit_diffusion.md §4.1, "logged per step").
public struct LangevinOptimizationResult: Sendable {
    /// θ_0 … θ_K, one row per step.
    public var thetas: Points
    /// Particle estimate of `E[r]` per step: row 0 at the initial particles, row k ≥ 1 at the population after the
    /// k-th sampling phase (the one that gave `Γ_{k−1}`). Zero without a reward term.
    public var meanRewards: [Double]
    /// ‖Γ_k‖ for k < K.
    public var gradientNorms: [Double]
    /// The particles at the end of the run.
    public var finalParticles: Points
    /// Potential evaluations made (kernel proposals, re-evaluations, reference draws).
    public var potentialEvaluations: Int
    /// Langevin steps per particle (K·T): the sampling budget.
    public var samplingSteps: Int
    public var wallSeconds: Double

    /// θ_K.
    public var finalTheta: [Double] { thetas[row: thetas.count - 1] }
}

/// One fixed block of particles of a ``LangevinOptimization`` run, with its chains, its parameter-gradient caches,
/// its reference draws and its statistics. Each block is touched by one thread at a time (hence
/// `@unchecked Sendable`); its scratch buffers are allocated once.
final class LangevinBlock<P: ParametrizedPotential>: @unchecked Sendable {
    let potential: P
    let objective: GibbsObjectiveEvaluation
    let rows: Range<Int>
    let caches: Bool
    let initialScale: Double
    let referenceCount: Int
    var chains: Chains
    /// ∇_θV at the current positions (p per row).
    let current: UnsafeMutablePointer<Double>
    /// ∇_θV at the last proposals (p per row).
    let proposal: UnsafeMutablePointer<Double>
    let potentialValues: UnsafeMutablePointer<Double>
    let rewards: UnsafeMutablePointer<Double>
    let scores: UnsafeMutablePointer<Double>
    let scratch: UnsafeMutablePointer<Double>
    // Reference draws.
    let referencePoints: UnsafeMutablePointer<Double>
    let referenceGenerators: UnsafeMutablePointer<Xoshiro256>
    let referenceGradients: UnsafeMutablePointer<Double>
    let referenceValues: UnsafeMutablePointer<Double>
    var statistics: GibbsParticleStatistics
    /// Potential evaluations outside the chains' own count (reference draws, uncached ∇_θV).
    var extraEvaluations = 0

    init(potential: P, objective: GibbsObjectiveEvaluation, rows: Range<Int>, referenceRows: Range<Int>, seed: UInt64,
         stepSize: Double, initialScale: Double, caches: Bool) {
        let d = potential.dimension, p = potential.parameterCount, b = rows.count, m = referenceRows.count
        self.potential = potential
        self.objective = objective
        self.rows = rows
        self.caches = caches
        self.initialScale = initialScale
        referenceCount = m
        var gens = rows.map { RandomStream.make(seed: seed, index: $0, purpose: .optimization) }
        var x = [Double](repeating: 0, count: b * d)
        for r in 0..<b { for j in 0..<d { x[r * d + j] = initialScale * gens[r].nextNormal() } }
        chains = Chains(positions: x, dimension: d, generators: gens, stepSize: stepSize)
        func buffer(_ c: Int) -> UnsafeMutablePointer<Double> {
            let q = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, c))
            q.initialize(repeating: 0, count: Swift.max(1, c))
            return q
        }
        current = buffer(b * p)
        proposal = buffer(b * p)
        potentialValues = buffer(b)
        rewards = buffer(b)
        scores = buffer(b)
        scratch = buffer(Swift.max(b, m))
        referencePoints = buffer(m * d)
        referenceGradients = buffer(m * p)
        referenceValues = buffer(m)
        referenceGenerators = UnsafeMutablePointer<Xoshiro256>.allocate(capacity: Swift.max(1, m))
        for (j, r) in referenceRows.enumerated() {
            (referenceGenerators + j).initialize(to: RandomStream.make(seed: seed, index: (1 << 40) + r, purpose: .optimization))
        }
        statistics = GibbsParticleStatistics(parameterCount: p)
    }

    deinit {
        for q in [current, proposal, potentialValues, rewards, scores, scratch, referencePoints, referenceGradients,
                  referenceValues] {
            q.deallocate()
        }
        referenceGenerators.deinitialize(count: referenceCount)
        referenceGenerators.deallocate()
    }

    /// Evaluates the chains at θ, caching ∇_θV at the current positions.
    func evaluate(theta: [Double]) {
        chains.evaluate(GibbsTarget(potential: potential, theta: theta, thetaGradientSink: caches ? current : nil))
    }

    func start(theta: [Double]) {
        evaluate(theta: theta)
        score(theta: theta)
    }

    /// One sampling phase at θ (optional re-initialization or re-evaluation, then `innerSteps` kernel steps), then
    /// the statistics of the estimator at θ.
    func advance<K: MCMCKernel>(_ kernel: K, theta: [Double], innerSteps: Int, reinitialize: Bool, refresh: Bool) {
        let p = potential.parameterCount, n = chains.count
        if reinitialize {
            LangevinBlock.redraw(&chains, scale: initialScale)
            evaluate(theta: theta)
        } else if refresh {
            evaluate(theta: theta)
        }
        var fixed = FixedStepSize()
        let caching = caches, cur = current, prop = proposal
        let target = GibbsTarget(potential: potential, theta: theta, thetaGradientSink: caching ? prop : nil)
        runChains(&chains, kernel: kernel, target: target, steps: innerSteps, adaptation: &fixed) { ch, _ in
            guard caching else { return }
            ch.accepted.withUnsafeBufferPointer { acc in
                for r in 0..<n where acc[r] {
                    for j in 0..<p { cur[r * p + j] = prop[r * p + j] }
                }
            }
        }
        score(theta: theta)
    }

    /// Fresh `N(0, s² I)` positions from each chain's own stream.
    static func redraw(_ c: inout Chains, scale s: Double) {
        let n = c.count, d = c.dimension
        c.positions.withUnsafeMutableBufferPointer { x in
            c.generators.withUnsafeMutableBufferPointer { g in
                for r in 0..<n { for j in 0..<d { x[r * d + j] = s * g[r].nextNormal() } }
            }
        }
    }

    /// Rewards, scores and the block's statistics at θ (and fresh reference draws for KL(ref‖θ)).
    func score(theta: [Double]) {
        let n = chains.count
        let v = potentialValues
        if caches {
            chains.logDensities.withUnsafeBufferPointer { l in
                for r in 0..<n { v[r] = -l[r] }
            }
        } else {
            let pot = potential, cur = current
            chains.positions.withUnsafeBufferPointer { x in
                theta.withUnsafeBufferPointer { t in
                    pot.evaluate(x.baseAddress!, count: n, theta: t.baseAddress!, potential: v,
                                 gradientX: nil, gradientTheta: cur)
                }
            }
            extraEvaluations += n
        }
        let ev = objective, r = rewards, f = scores, s = scratch
        let bad = chains.positions.withUnsafeBufferPointer { x in
            gibbsScoreParticles(ev, points: x.baseAddress!, count: n, potential: v, rewards: r, scores: f, scratch: s)
        }
        statistics.set(count: n, f: f, r: r, g: current, weights: nil)
        statistics.firstBadReward = bad.map { rows.lowerBound + $0 }
        if let kl = ev.klFrom, let sampler = kl.reference.sampler {
            let m = referenceCount
            guard m > 0 else { statistics.referenceWeight = 0; return }
            sampler(referencePoints, m, referenceGenerators)
            theta.withUnsafeBufferPointer { t in
                potential.evaluate(referencePoints, count: m, theta: t.baseAddress!, potential: referenceValues,
                                   gradientX: nil, gradientTheta: referenceGradients)
            }
            statistics.setReference(count: m, g: referenceGradients, weights: nil)
            extraEvaluations += m
        }
    }
}

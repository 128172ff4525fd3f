import RealModule

/// Independent MCMC chains as a sampler (the "plain MALA and HMC chains" reference points of spec/slips.md
/// §4.3): sample `i` is the final state of chain `i`, started from `N(0, s² I)` (s = `initialScale`), or uniformly on
/// `{-1, +1}^d` for the discrete kernels (DULA, DMALA on a binary target, spec/denoising.md §5.3), adapted for
/// `warmupSteps` steps and then run `steps` more steps with the adapted step size.
///
/// Chain `i` draws its start from stream `(seed, i, .initialization)` and its moves from `(seed, i, .mcmcChains)`.
public struct MCMCSampler: Sampler {
    /// Which kernel to run.
    public enum Kernel: Sendable, Equatable {
        case ula
        case mala
        case hmc(leapfrogSteps: Int)
        /// Discrete Langevin on `{-1, +1}^d`, unadjusted and Metropolis-adjusted (``DiscreteLangevinKernel``).
        case dula
        case dmala

        /// Whether the chains live on `{-1, +1}^d`.
        public var isDiscrete: Bool { self == .dula || self == .dmala }
    }

    /// Which step-size adaptation to use during warm-up.
    public enum Adaptation: Sendable, Equatable {
        case none
        case dualAveraging
        case multiplicative
    }

    public var kernel: Kernel
    public var steps: Int
    public var warmupSteps: Int
    public var initialStepSize: Double
    public var adaptation: Adaptation
    public var targetAcceptance: Double
    public var initialScale: Double
    /// Chains per work block (results do not depend on it).
    public var blockSize: Int = 64

    public init(
        kernel: Kernel, steps: Int = 1000, warmupSteps: Int = 1000, initialStepSize: Double = 0.1,
        adaptation: Adaptation? = nil, targetAcceptance: Double? = nil, initialScale: Double = 1
    ) {
        self.kernel = kernel
        self.steps = steps
        self.warmupSteps = warmupSteps
        self.initialStepSize = initialStepSize
        self.adaptation = adaptation ?? (kernel == .ula || kernel.isDiscrete ? .none : .dualAveraging)
        if case .hmc = kernel { self.targetAcceptance = targetAcceptance ?? 0.8 } else { self.targetAcceptance = targetAcceptance ?? 0.75 }
        self.initialScale = initialScale
    }

    public var name: String {
        switch kernel {
        case .ula: "ula"
        case .mala: "mala"
        case .hmc: "hmc"
        case .dula: "dula"
        case .dmala: "dmala"
        }
    }

    public var settings: [String: String] {
        let a: String
        switch adaptation {
        case .none: a = "none"
        case .dualAveraging: a = "dual-averaging"
        case .multiplicative: a = "multiplicative"
        }
        return ["kernel": name, "adaptation": a]
    }

    var leapfrogSteps: Int {
        if case .hmc(let l) = kernel { return l }
        return 1
    }

    public var parameters: [String: Double] {
        var p: [String: Double] = [
            "steps": Double(steps), "warmup_steps": Double(warmupSteps), "initial_step_size": initialStepSize,
            "initial_scale": initialScale,
        ]
        if adaptation != .none { p["target_acceptance"] = targetAcceptance }
        if case .hmc(let l) = kernel { p["leapfrog_steps"] = Double(l) }
        return p
    }

    public func validate() throws {
        if steps < 0 { throw SamplerError("steps must be non-negative (got \(steps))") }
        if (kernel == .ula || kernel == .dula) && adaptation != .none {
            throw SamplerError("\(name.uppercased()) has no accept/reject step (its acceptance is always 1), so --adapt cannot tune it: "
                + "use --adapt none with a --step-size, or --sampler \(kernel == .ula ? "mala" : "dmala")")
        }
        if !(targetAcceptance > 0 && targetAcceptance < 1) {
            throw SamplerError("the target acceptance must be in (0, 1) (got \(targetAcceptance))")
        }
        if warmupSteps < 0 { throw SamplerError("warmup steps must be non-negative (got \(warmupSteps))") }
        if !(initialStepSize > 0 && initialStepSize.isFinite) {
            throw SamplerError("step size must be positive and finite (got \(initialStepSize))")
        }
        if !(targetAcceptance > 0 && targetAcceptance < 1) {
            throw SamplerError("target acceptance must be in (0, 1) (got \(targetAcceptance))")
        }
        if !(initialScale > 0 && initialScale.isFinite) { throw SamplerError("initial scale must be positive") }
        if leapfrogSteps < 1 { throw SamplerError("leapfrog steps must be at least 1 (got \(leapfrogSteps))") }
    }

    public func expectedGradientEvaluations(samples: Int) -> Int {
        Count.product(samples, Count.sum(1, Count.product(Count.sum(steps, warmupSteps), leapfrogSteps)))
    }

    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        try validate()
        let start = wallClock()
        let d = target.dimension, n = indices.count
        var out = Points(count: n, dimension: d)
        let total = runSampleBlocks(count: n, dimension: d, blockSize: blockSize, threads: threads, output: &out) {
            local, o in
            let global = (indices.lowerBound + local.lowerBound)..<(indices.lowerBound + local.upperBound)
            return runBlock(target, chains: global, seed: seed, output: o, progress: progress)
        }
        if let i = total.firstNonFinite {
            throw SamplerError("the target returned a non-finite log-density (NaN or infinity) where chain \(i) ended")
        }
        if total.escapedChains > 0 {
            throw SamplerError("\(total.escapedChains) of \(n) chains diverged (they left a radius of 1e6 × (1 + start scale · √d)): "
                + "lower --step-size" + (kernel == .ula ? " (ULA is unstable once the step exceeds 2/L for an L-smooth target)" : ""))
        }
        try checkFinite(out, firstIndex: indices.lowerBound, sampler: "MCMC")
        return SampleSet(
            points: out, firstIndex: indices.lowerBound, gradientEvaluations: total.gradientEvaluations,
            wallSeconds: wallClock() - start,
            statistics: [
                "mean_acceptance": total.meanAcceptance,
                "mean_step_size": total.meanStepSize,
                "divergences": total.divergences,
            ])
    }

    func runBlock<T: LogDensity>(
        _ target: T, chains range: Range<Int>, seed: UInt64, output: UnsafeMutablePointer<Double>,
        progress: ProgressCounter?
    ) -> WorkCounts {
        let d = target.dimension, n = range.count
        var positions = [Double](repeating: 0, count: n * d)
        for (r, i) in range.enumerated() {
            var g = RandomStream.make(seed: seed, index: i, purpose: .initialization)
            for j in 0..<d {
                positions[r * d + j] = kernel.isDiscrete ? (g.nextUniform() < 0.5 ? 1 : -1) : initialScale * g.nextNormal()
            }
        }
        var chains = Chains(
            positions: positions, dimension: d,
            generators: range.map { RandomStream.make(seed: seed, index: $0, purpose: .mcmcChains) },
            stepSize: initialStepSize)
        chains.evaluate(target)
        var stats: WorkCounts
        switch kernel {
        case .ula: stats = run(ULAKernel(), &chains, target, progress)
        case .mala: stats = run(MALAKernel(), &chains, target, progress)
        case .hmc(let l): stats = run(HMCKernel(leapfrogSteps: l), &chains, target, progress)
        case .dula: stats = run(DiscreteLangevinKernel(adjusted: false), &chains, target, progress)
        case .dmala: stats = run(DiscreteLangevinKernel(adjusted: true), &chains, target, progress)
        }
        chains.positions.withUnsafeBufferPointer { x in
            for i in 0..<(n * d) { output[i] = x[i] }
        }
        stats.gradientEvaluations = chains.gradientEvaluations
        if let r = chains.logDensities.firstIndex(where: { !$0.isFinite }) { stats.firstNonFinite = range.lowerBound + r }
        let radius = 1e6 * (1 + initialScale * Double(d).squareRoot())
        for r in 0..<n {
            var s = 0.0
            for j in 0..<d { s += chains.positions[r * d + j] * chains.positions[r * d + j] }
            if !(s.squareRoot() <= radius) { stats.escapedChains += 1 }
        }
        stats.stepSizeSum = chains.stepSizes.reduce(0, +)
        stats.stepSizeCount = Double(n)
        return stats
    }

    /// Warm-up with adaptation, then sampling with the adapted step sizes; returns the sampling-phase statistics.
    func run<K: MCMCKernel, T: LogDensity>(
        _ kernel: K, _ chains: inout Chains, _ target: T, _ progress: ProgressCounter?
    ) -> WorkCounts {
        let perStep = chains.count * leapfrogSteps
        progress?.add(chains.count)
        switch adaptation {
        case .none:
            var a = FixedStepSize()
            runChains(&chains, kernel: kernel, target: target, steps: warmupSteps, adaptation: &a) { _, _ in progress?.add(perStep) }
        case .multiplicative:
            var a = MultiplicativeAdaptation(targetAcceptance: targetAcceptance)
            runChains(&chains, kernel: kernel, target: target, steps: warmupSteps, adaptation: &a) { _, _ in progress?.add(perStep) }
        case .dualAveraging:
            var a = DualAveraging(chains: chains, targetAcceptance: targetAcceptance)
            runChains(&chains, kernel: kernel, target: target, steps: warmupSteps, adaptation: &a) { _, _ in progress?.add(perStep) }
            if warmupSteps > 0 { a.finalize(&chains) }
        }
        var fixed = FixedStepSize()
        var stats = WorkCounts()
        runChains(&chains, kernel: kernel, target: target, steps: steps, adaptation: &fixed) { ch, _ in
            stats.acceptanceSum += ch.acceptanceProbabilities.reduce(0, +)
            stats.acceptanceCount += Double(ch.count)
            stats.divergences += Double(ch.divergent.reduce(0) { $0 + ($1 ? 1 : 0) })
            progress?.add(perStep)
        }
        return stats
    }
}

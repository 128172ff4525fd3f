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
        /// The No-U-Turn Sampler (``NUTSKernel``).
        case nuts(maxTreeDepth: Int)

        /// Whether the chains live on `{-1, +1}^d`.
        public var isDiscrete: Bool { self == .dula || self == .dmala }
    }

    /// Which step-size adaptation to use during warm-up.
    public enum Adaptation: Sendable, Equatable {
        case none
        case dualAveraging
        case multiplicative
        /// Stan's window adaptation (``WindowAdaptation``): dual averaging and the metric in slow windows.
        case window
    }

    public var kernel: Kernel
    public var steps: Int
    public var warmupSteps: Int
    public var initialStepSize: Double
    public var adaptation: Adaptation
    public var targetAcceptance: Double
    public var initialScale: Double
    /// HMC, NUTS: the shape of the metric window adaptation estimates (identity: none).
    public var metric: MetricKind
    /// HMC: the step-size jitter of ``HMCKernel`` (0: none).
    public var stepJitter: Double = 0
    /// Chains per work block (results do not depend on it).
    public var blockSize: Int = 64

    public init(
        kernel: Kernel, steps: Int = 1000, warmupSteps: Int = 1000, initialStepSize: Double = 0.1,
        adaptation: Adaptation? = nil, targetAcceptance: Double? = nil, initialScale: Double = 1, metric: MetricKind? = nil
    ) {
        self.kernel = kernel
        self.steps = steps
        self.warmupSteps = warmupSteps
        self.initialStepSize = initialStepSize
        let isNUTS = if case .nuts = kernel { true } else { false }
        let resolved = adaptation ?? (kernel == .ula || kernel.isDiscrete ? .none : isNUTS ? .window : .dualAveraging)
        self.adaptation = resolved
        switch kernel {
        case .hmc, .nuts: self.targetAcceptance = targetAcceptance ?? 0.8
        default: self.targetAcceptance = targetAcceptance ?? 0.75
        }
        self.initialScale = initialScale
        self.metric = .identity
        self.metric = metric ?? (resolved == .window && isHamiltonian ? .diagonal : .identity)
    }

    public var name: String {
        switch kernel {
        case .ula: "ula"
        case .mala: "mala"
        case .hmc: "hmc"
        case .dula: "dula"
        case .dmala: "dmala"
        case .nuts: "nuts"
        }
    }

    /// Whether the kernel integrates Hamiltonian dynamics (HMC, NUTS): the kernels with a metric and a step-size search.
    var isHamiltonian: Bool {
        switch kernel {
        case .hmc, .nuts: true
        default: false
        }
    }

    /// The maximum tree depth, for NUTS.
    public var maxTreeDepth: Int? {
        if case .nuts(let m) = kernel { return m }
        return nil
    }

    public var settings: [String: String] {
        let a: String
        switch adaptation {
        case .none: a = "none"
        case .dualAveraging: a = "dual-averaging"
        case .multiplicative: a = "multiplicative"
        case .window: a = "window"
        }
        return ["kernel": name, "adaptation": a, "metric": metric.rawValue]
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
        if let m = maxTreeDepth { p["max_tree_depth"] = Double(m) }
        if stepJitter > 0 { p["step_jitter"] = stepJitter }
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
        if !(stepJitter >= 0 && stepJitter < 1) { throw SamplerError("the step-size jitter must be in [0, 1) (got \(stepJitter))") }
        if stepJitter > 0 && !(isHamiltonian && maxTreeDepth == nil) { throw SamplerError("step-size jitter applies to HMC, not \(name)") }
        if let m = maxTreeDepth, !(1...30).contains(m) {
            throw SamplerError("the maximum tree depth must be in 1...30 (got \(m))")
        }
        if metric != .identity && !(adaptation == .window && isHamiltonian) {
            throw SamplerError("a \(metric.rawValue) metric is estimated by window adaptation of HMC or NUTS "
                + "(--sampler hmc|nuts --adapt window); \(name) with --adapt \(settings["adaptation"]!) uses the identity")
        }
    }

    /// Gradient evaluations of the run; for NUTS an upper bound (every tree at the maximum depth).
    public func expectedGradientEvaluations(samples: Int) -> Int {
        let perStep = maxTreeDepth.map { 1 << $0 } ?? leapfrogSteps
        return Count.product(samples, Count.sum(1, Count.product(Count.sum(steps, warmupSteps), perStep)))
    }

    /// NUTS counts transitions for progress (its gradient evaluations are not known in advance).
    public func expectedProgressUnits(samples: Int) -> Int {
        maxTreeDepth == nil
            ? expectedGradientEvaluations(samples: samples) : Count.product(samples, Count.sum(1, Count.sum(steps, warmupSteps)))
    }

    /// Progress units of one kernel step of `chains` chains.
    func progressPerStep(chains: Int) -> Int { maxTreeDepth == nil ? chains * leapfrogSteps : chains }

    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        try validate()
        let start = wallClock()
        let d = target.dimension, n = indices.count
        var out = Points(count: n, dimension: d)
        let total = try runSampleBlocks(count: n, dimension: d, blockSize: blockSize, threads: threads, progress: progress, output: &out) {
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
        var chains = startingChains(target, range: range, seed: seed)
        var stats = WorkCounts()
        run(target, &chains, samplingSteps: steps, progress: progress) { ch, _ in
            stats.acceptanceSum += ch.acceptanceProbabilities.reduce(0, +)
            stats.acceptanceCount += Double(ch.count)
            stats.divergences += Double(ch.divergent.reduce(0) { $0 + ($1 ? 1 : 0) })
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

    /// Chains `range`, chain `i` started from stream `(seed, i, .initialization)` (N(0, s² I), or uniform on the cube for
    /// the discrete kernels) with its moves from `(seed, i, .mcmcChains)`, evaluated at their starts.
    func startingChains<T: LogDensity>(_ target: T, range: Range<Int>, seed: UInt64) -> Chains {
        let d = target.dimension
        var positions = [Double](repeating: 0, count: range.count * d)
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
        return chains
    }

    /// The warm-up, then `samplingSteps` steps with the adapted tunables, each followed by `observe(chains, step)`.
    func run<T: LogDensity>(
        _ target: T, _ chains: inout Chains, samplingSteps: Int, progress: ProgressCounter?,
        observe: (borrowing Chains, Int) -> Void
    ) {
        switch kernel {
        case .ula: run(ULAKernel(), &chains, target, samplingSteps, progress, observe)
        case .mala: run(MALAKernel(), &chains, target, samplingSteps, progress, observe)
        case .hmc(let l): run(HMCKernel(leapfrogSteps: l, jitter: stepJitter), &chains, target, samplingSteps, progress, observe)
        case .dula: run(DiscreteLangevinKernel(adjusted: false), &chains, target, samplingSteps, progress, observe)
        case .dmala: run(DiscreteLangevinKernel(adjusted: true), &chains, target, samplingSteps, progress, observe)
        case .nuts(let m): run(NUTSKernel(maxTreeDepth: m), &chains, target, samplingSteps, progress, observe)
        }
    }

    func run<K: MCMCKernel, T: LogDensity>(
        _ kernel: K, _ chains: inout Chains, _ target: T, _ samplingSteps: Int, _ progress: ProgressCounter?,
        _ observe: (borrowing Chains, Int) -> Void
    ) {
        warmUp(kernel, &chains, target, progress)
        let perStep = progressPerStep(chains: chains.count)
        var fixed = FixedStepSize()
        runChains(&chains, kernel: kernel, target: target, steps: samplingSteps, adaptation: &fixed, cancellation: progress) { ch, s in
            observe(ch, s)
            progress?.add(perStep)
        }
    }

    /// The warm-up: `warmupSteps` steps with the sampler's adaptation, after which the chains carry the adapted step
    /// sizes (and, with window adaptation, metrics).
    func warmUp<K: MCMCKernel, T: LogDensity>(
        _ kernel: K, _ chains: inout Chains, _ target: T, _ progress: ProgressCounter?
    ) {
        let perStep = progressPerStep(chains: chains.count)
        progress?.add(chains.count)
        switch adaptation {
        case .none:
            var a = FixedStepSize()
            runChains(&chains, kernel: kernel, target: target, steps: warmupSteps, adaptation: &a, cancellation: progress) {
                _, _ in progress?.add(perStep)
            }
        case .multiplicative:
            var a = MultiplicativeAdaptation(targetAcceptance: targetAcceptance)
            runChains(&chains, kernel: kernel, target: target, steps: warmupSteps, adaptation: &a, cancellation: progress) {
                _, _ in progress?.add(perStep)
            }
        case .dualAveraging:
            var a = DualAveraging(chains: chains, targetAcceptance: targetAcceptance)
            runChains(&chains, kernel: kernel, target: target, steps: warmupSteps, adaptation: &a, cancellation: progress) {
                _, _ in progress?.add(perStep)
            }
            if warmupSteps > 0 { a.finalize(&chains) }
        case .window:
            if warmupSteps > 0 && isHamiltonian { findReasonableStepSizes(&chains, target: target) }
            var a = WindowAdaptation(chains: chains, warmup: warmupSteps, metric: metric, targetAcceptance: targetAcceptance)
            runChains(&chains, kernel: kernel, target: target, steps: warmupSteps, adaptation: &a, cancellation: progress) {
                _, _ in progress?.add(perStep)
            }
            if warmupSteps > 0 { a.finalize(&chains) }
        }
    }
}

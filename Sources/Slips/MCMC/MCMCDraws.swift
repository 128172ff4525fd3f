/// The draws of a few long MCMC chains and their per-draw sample statistics (DESIGN.md §2, "Drivers … record
/// draws"), in the layout ArviZ reads: values `(chains, draws, d)` chain-major, statistics `(chains, draws)`.
///
/// Statistic names follow ArviZ's `sample_stats`: `lp` (log-density of the draw), `acceptance_rate` (the Metropolis
/// acceptance probability, for NUTS the mean over the trajectory), `step_size`, `n_steps` (gradient evaluations of the
/// transition), `diverging` (0/1), and for HMC/NUTS `energy` (the Hamiltonian at the draw), for NUTS `tree_depth`.
public struct MCMCDraws: Sendable {
    public let chains: Int
    public let draws: Int
    public let dimension: Int
    /// `values[(c · draws + t) · d + j]`.
    public var values: [Double]
    /// Each `(chains, draws)`, chain-major.
    public var sampleStats: [String: [Double]]
    /// Gradient evaluations of the whole run (warm-up included) and of the warm-up alone.
    public var gradientEvaluations: Int
    public var warmupGradientEvaluations: Int
    public var wallSeconds: Double
    /// CPU seconds of the run, all threads (``processCPUSeconds()`` before and after).
    public var cpuSeconds: Double
    /// The adapted step size of each chain.
    public var stepSizes: [Double]
    /// The adapted inverse mass matrix of each chain (diagonal: d values; dense: d × d), empty for the identity.
    public var inverseMass: [[Double]]

    /// Parameter `j`'s draws, `(chains, draws)` chain-major.
    public func parameter(_ j: Int) -> [Double] {
        (0..<(chains * draws)).map { values[$0 * dimension + j] }
    }

    /// The statistics the kernel fills (those of ``MCMCSampler/Kernel``).
    static func statistics(_ kernel: MCMCSampler.Kernel) -> [SampleStatistic] {
        var names: [SampleStatistic] = [.lp, .acceptanceRate, .stepSize, .steps, .diverging]
        switch kernel {
        case .hmc: names.append(.energy)
        case .nuts: names += [.energy, .treeDepth]
        default: break
        }
        return names
    }
}

/// One per-draw sample statistic, by its ArviZ name.
enum SampleStatistic: String {
    case lp
    case acceptanceRate = "acceptance_rate"
    case stepSize = "step_size"
    case steps = "n_steps"
    case diverging
    case energy
    case treeDepth = "tree_depth"

    /// Its value for the one chain of `state` after a step.
    @inline(__always)
    func value(_ state: borrowing Chains) -> Double {
        switch self {
        case .lp: state.logDensities[0]
        case .acceptanceRate: state.acceptanceProbabilities[0]
        case .stepSize: state.stepSizes[0]
        case .steps: Double(state.integrationSteps[0])
        case .diverging: state.divergent[0] ? 1 : 0
        case .energy: state.energies[0]
        case .treeDepth: Double(state.treeDepths[0])
        }
    }
}

extension MCMCSampler {
    /// Runs `chains` chains for ``warmupSteps`` adapted steps, then `draws × thin` steps keeping every `thin`-th state.
    /// Chain `c` is the chain of sample index `c` of ``sample(_:indices:seed:threads:progress:)`` (same start, same
    /// stream), so its draws do not depend on `threads`.
    public func draws<T: LogDensity>(
        _ target: T, chains: Int, draws: Int, thin: Int = 1, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> MCMCDraws {
        try validate()
        guard chains >= 1 else { throw SamplerError("chains must be at least 1 (got \(chains))") }
        guard draws >= 1 else { throw SamplerError("draws must be at least 1 (got \(draws))") }
        guard thin >= 1 else { throw SamplerError("thin must be at least 1 (got \(thin))") }
        let start = wallClock(), cpuStart = processCPUSeconds()
        let d = target.dimension
        let names = MCMCDraws.statistics(kernel)
        var result = MCMCDraws(
            chains: chains, draws: draws, dimension: d, values: [Double](repeating: 0, count: Count.product(chains, draws, d)),
            sampleStats: [:], gradientEvaluations: 0, warmupGradientEvaluations: 0, wallSeconds: 0, cpuSeconds: 0,
            stepSizes: [Double](repeating: 0, count: chains), inverseMass: [[Double]](repeating: [], count: chains))
        var stats = [Double](repeating: 0, count: names.count * chains * draws)
        var counts = [Int](repeating: 0, count: 2 * chains)
        var adapted = [Chains?](repeating: nil, count: chains)
        result.values.withUnsafeMutableBufferPointer { v in
            stats.withUnsafeMutableBufferPointer { st in
                counts.withUnsafeMutableBufferPointer { ct in
                    adapted.withUnsafeMutableBufferPointer { ad in
                        let out = (SharedBuffer(v.baseAddress!), SharedBuffer(st.baseAddress!))
                        let shared = UncheckedSendable((ct.baseAddress!, ad.baseAddress!))
                        ParallelBlocks.run(count: chains, blockSize: 1, threads: threads, cancellation: progress) { range in
                            let c = range.lowerBound
                            let recorder = DrawRecorder(
                                values: out.0.base + c * draws * d, stats: out.1.base, names: names, chain: c, chains: chains,
                                draws: draws, thin: thin)
                            var ch = startingChains(target, range: range, seed: seed)
                            var warmupEvaluations = 0
                            run(target, &ch, samplingSteps: draws * thin, progress: progress) { state, step in
                                if step == 1 { warmupEvaluations = state.gradientEvaluations - state.integrationSteps[0] }
                                recorder.record(state, step: step)
                            }
                            shared.value.0[2 * c] = ch.gradientEvaluations
                            shared.value.0[2 * c + 1] = warmupEvaluations
                            shared.value.1[c] = ch
                        }
                    }
                }
            }
        }
        try progress?.checkCancelled()  // chains that never started have no adapted state
        for (k, name) in names.enumerated() { result.sampleStats[name.rawValue] = Array(stats[(k * chains * draws)..<((k + 1) * chains * draws)]) }
        for c in 0..<chains {
            result.gradientEvaluations += counts[2 * c]
            result.warmupGradientEvaluations += counts[2 * c + 1]
            result.stepSizes[c] = adapted[c]!.stepSizes[0]
            result.inverseMass[c] = adapted[c]!.metric.inverseMass
        }
        result.wallSeconds = wallClock() - start
        result.cpuSeconds = processCPUSeconds() - cpuStart
        if let bad = (0..<(chains * draws)).first(where: { !result.sampleStats["lp"]![$0].isFinite }) {
            throw SamplerError("the target returned a non-finite log-density (NaN or infinity) at draw \(bad % draws) of chain \(bad / draws)")
        }
        return result
    }
}

/// Writes one chain's kept states and statistics into the shared output.
struct DrawRecorder {
    let values: UnsafeMutablePointer<Double>
    let stats: UnsafeMutablePointer<Double>
    let names: [SampleStatistic]
    let chain: Int, chains: Int, draws: Int, thin: Int

    func record(_ state: borrowing Chains, step: Int) {
        guard step % thin == 0 else { return }
        let t = step / thin - 1, d = state.dimension
        for j in 0..<d { values[t * d + j] = state.positions[j] }
        for (k, statistic) in names.enumerated() { stats[(k * chains + chain) * draws + t] = statistic.value(state) }
    }
}

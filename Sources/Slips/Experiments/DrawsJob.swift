/// A run of a few long MCMC chains kept as draws (`slips sample --sampler mala|ula|hmc|nuts|dula|dmala --draws D`): the
/// draws `(chains, draws, d)`, their sample statistics, the diagnostics table (``DrawsSummary``) and the run summary,
/// whose statistics carry the headline diagnostics (worst R̂, smallest bulk and tail ESS, divergences, E-BFMI).
public struct DrawsJob: Sendable {
    public let target: TargetSpec
    public let sampler: MCMCSampler
    public let chains: Int
    public let draws: Int
    public let thin: Int
    public let seed: UInt64
    public let threads: Int

    /// `sampler`'s warm-up and adaptation, then `draws × thin` steps per chain keeping every `thin`-th state.
    public init(target: TargetSpec, sampler: MCMCSampler, chains: Int, draws: Int, thin: Int, seed: UInt64, threads: Int) throws {
        guard chains >= 1 && chains <= 100_000 else { throw SamplerError("--chains must be in 1...100000 (got \(chains))") }
        guard draws >= 1 else { throw SamplerError("--draws must be positive (got \(draws))") }
        guard thin >= 1 && thin <= 1_000_000 else { throw SamplerError("--thin must be in 1...1000000 (got \(thin))") }
        guard threads > 0 else { throw SamplerError("threads must be positive (got \(threads))") }
        let values = Double(chains) * Double(draws) * Double(target.dimension + 8)
        guard 8 * values < 0.5 * SamplingJob.physicalMemory else {
            throw SamplerError("\(chains) chains × \(draws) draws × d = \(target.dimension) do not fit in memory; "
                + "lower --draws (or keep fewer with --thin)")
        }
        var s = sampler
        s.steps = draws * thin
        try s.validate()
        self.target = target
        self.sampler = s
        self.chains = chains
        self.draws = draws
        self.thin = thin
        self.seed = seed
        self.threads = threads
    }

    /// Units of work a progress counter tracks.
    public var expectedProgressUnits: Int { sampler.expectedProgressUnits(samples: chains) }

    /// Runs the chains, then the diagnostics.
    public func run(progress: ProgressCounter? = nil) throws -> (draws: MCMCDraws, diagnostics: DrawsSummary, summary: RunSummary) {
        let r = try sampler.draws(target.target, chains: chains, draws: draws, thin: thin, seed: seed, threads: threads,
                                  progress: progress)
        let diagnostics = DrawsSummary(
            values: r.values, chains: chains, draws: draws, dimension: target.dimension, names: target.coordinateNames,
            sampleStats: r.sampleStats, maxTreeDepth: sampler.maxTreeDepth)
        try progress?.checkCancelled()  // a cancel during the diagnostics: nothing is returned, so nothing is written
        var statistics = Self.headline(diagnostics)
        let accept = r.sampleStats["acceptance_rate"]!
        statistics["mean_acceptance"] = accept.reduce(0, +) / Double(accept.count)
        statistics["mean_step_size"] = r.stepSizes.reduce(0, +) / Double(chains)
        let steps = r.sampleStats["n_steps"]!
        statistics["mean_steps_per_draw"] = steps.reduce(0, +) / Double(steps.count)
        statistics["warmup_gradient_evaluations"] = Double(r.warmupGradientEvaluations)
        statistics["cpu_seconds"] = r.cpuSeconds
        if let minimum = diagnostics.rows.map({ $0.essBulk }).min(), minimum.isFinite {
            statistics["min_ess_bulk_per_gradient"] = minimum / Double(r.gradientEvaluations)
            statistics["min_ess_bulk_per_second"] = minimum / Swift.max(r.wallSeconds, 1e-9)
            statistics["min_ess_bulk_per_cpu_second"] = minimum / Swift.max(r.cpuSeconds, 1e-9)
        }
        let pooled = SampleSet(points: Points(dimension: target.dimension, storage: r.values), gradientEvaluations: r.gradientEvaluations,
                               wallSeconds: r.wallSeconds)
        var summary = RunSummary(
            target: target.name, targetParameters: target.parameters, dimension: target.dimension, sampler: sampler.name,
            parameters: sampler.parameters.merging(["chains": Double(chains), "draws": Double(draws), "thin": Double(thin)]) { $1 },
            seed: seed, samples: chains * draws, totalSamples: chains * draws, shard: "0/1", firstIndex: 0, threads: threads,
            gradientEvaluations: r.gradientEvaluations, logDensityEvaluations: 0,
            gradientEvaluationsPerSample: Double(r.gradientEvaluations) / Double(chains * draws),
            gradientEvaluationsPerSecond: Double(r.gradientEvaluations) / Swift.max(r.wallSeconds, 1e-9), wallSeconds: r.wallSeconds,
            metrics: ReferenceMetrics.evaluate(pooled, target: target, seed: seed), statistics: statistics,
            settings: sampler.settings, version: SlipsVersion.version, gitCommit: SlipsVersion.gitCommit, weightsFile: nil)
        summary.diagnostics = DrawsSummary.Report(diagnostics)
        summary.configurationHash = summary.computedConfigurationHash
        return (r, diagnostics, summary)
    }

    /// The worst R̂, the smallest ESS, divergences, tree-depth saturation and the smallest E-BFMI.
    static func headline(_ d: DrawsSummary) -> [String: Double] {
        var s: [String: Double] = [:]
        let finite = { (x: [Double]) in x.filter { !$0.isNaN } }
        if let r = finite(d.rows.map(\.rhat)).max() { s["max_rhat"] = r }
        if let e = finite(d.rows.map(\.essBulk)).min() { s["min_ess_bulk"] = e }
        if let e = finite(d.rows.map(\.essTail)).min() { s["min_ess_tail"] = e }
        if let n = d.divergences { s["divergences"] = Double(n) }
        if let n = d.maxDepthHits { s["max_tree_depth_hits"] = Double(n) }
        if let b = d.bfmi.flatMap({ finite($0).min() }) { s["min_bfmi"] = b }
        return s
    }
}

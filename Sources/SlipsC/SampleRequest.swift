import Slips

/// One `slips_run_sample` call: the sampler by name with `slips sample`'s options, checked as the command line checks
/// them, run as a ``SamplingJob`` (or a ``DrawsJob`` for MCMC with `draws`) under the run's cancellation flag.
struct SampleRequest {
    let sampler: String
    let options: [(name: String, value: String)]
    let samples: Int64
    let seed: UInt64
    let threads: Int32
    let batch: Int64
    let shard: (index: Int64, count: Int64)

    func run(_ target: TargetHandle, in handle: RunHandle) throws -> RunResults {
        guard SamplerCatalog.names.contains(sampler) else {
            throw SamplerError("unknown sampler '\(sampler)'; known samplers: \(SamplerCatalog.names.joined(separator: ", "))")
        }
        let names = options.map(\.name)
        guard Set(names).count == names.count else { throw SamplerError("an option is given twice: \(names.joined(separator: ", "))") }
        let drawsMode = SamplerCatalog.mcmcNames.contains(sampler) && names.contains("draws")
        try SamplerCatalog.checkApplicable(names, sampler: sampler, draws: names.contains("draws"))
        if drawsMode && shard.count != 1 {
            throw SamplerError("draws keeps one (chains, draws, d) array; run it unsharded")
        }
        guard threads >= 0 && threads <= 4096 else { throw SamplerError("threads must be in 0...4096 (got \(threads))") }
        guard batch >= 0 && batch <= 1 << 24 else { throw SamplerError("batch must be in 0...16777216 (got \(batch))") }
        var settings = try SamplerCatalog.settings(options: options, seed: seed)
        try SamplerCatalog.checkScheduleOptions(names, schedule: settings.schedule)
        if batch > 0 { settings.batchPoints = Int(batch) }
        let spec = target.spec(for: handle)
        try SamplerCatalog.checkDenoiserOptions(names, sampler: sampler, settings: settings, target: spec)
        let workers = threads == 0 ? ParallelBlocks.availableThreads : Int(threads)
        let result: RunResults
        if drawsMode {
            result = try draws(spec, settings: settings, threads: workers, handle: handle)
        } else {
            guard samples > 0 && samples <= 1 << 40 else { throw SamplerError("samples must be in 1...2^40 (got \(samples))") }
            guard shard.count >= 1 && shard.count <= samples && shard.index >= 0 && shard.index < shard.count else {
                throw SamplerError("shard must be k of n with 0 <= k < n <= samples (got \(shard.index) of \(shard.count))")
            }
            let job = try SamplingJob(
                target: spec, sampler: try SamplerCatalog.make(sampler, settings: settings, target: spec), samples: Int(samples),
                seed: seed, threads: workers, shard: (Int(shard.index), Int(shard.count)))
            let (set, summary) = try running(handle) { try job.run(progress: handle.startCounter(total: job.expectedProgressUnits)) }
            var arrays: [String: [Double]] = [:]
            if let w = set.weights { arrays["weights"] = w }
            // walk-jump with draws D > 1: D jumps per chain, (chains, D, d) as the command line writes them.
            let k = sampler == "walk-jump" ? Swift.max(1, settings.draws ?? 1) : 1
            let d = set.points.dimension
            let shape = k > 1 ? [set.points.count / k, k, d] : [set.points.count, d]
            result = try RunResults(values: set.points.storage, shape: shape, arrays: arrays, summary: summary)
        }
        return result
    }

    /// MCMC kept as `draws` draws of `chains` long chains (`slips sample --draws`).
    func draws(_ spec: TargetSpec, settings: SamplerCatalog.Settings, threads: Int, handle: RunHandle) throws -> RunResults {
        var s = settings
        let chains = s.chains ?? 4, draws = s.draws ?? 1
        let thin = try options.first { $0.name == "thin" }.map { o in
            guard let k = Int(o.value) else { throw SamplerError("--thin must be an integer (got '\(o.value)')") }
            return k
        } ?? 1
        s.chains = nil
        s.draws = nil
        guard let sampler = try SamplerCatalog.make(self.sampler, settings: s, target: spec) as? MCMCSampler else {
            throw SamplerError("draws with sampler \(self.sampler) is not an MCMC run")
        }
        let job = try DrawsJob(target: spec, sampler: sampler, chains: chains, draws: draws, thin: thin, seed: seed, threads: threads)
        let r = try running(handle) { try job.run(progress: handle.startCounter(total: job.expectedProgressUnits)) }
        return try RunResults(values: r.draws.values, shape: [chains, draws, spec.dimension], arrays: r.draws.sampleStats, summary: r.summary)
    }

    /// Runs `body`, telling a failed callback and a cancel apart from the sampler's own failures.
    func running<R>(_ handle: RunHandle, _ body: () throws -> R) throws -> R {
        defer { handle.counter.withLock { $0 = nil } }
        do {
            return try body()
        } catch {
            if handle.callbackFailed.load(ordering: .relaxed) { throw CallbackFailed() }
            if error is RunCancelled { throw error }
            throw SamplerFailed(description: "\(error)")
        }
    }
}

/// Stochastic localization with any observation process and any denoiser (spec/denoising.md §6.1; DESIGN.md §2,
/// "Samplers"): for each sample, `Y` starts where the process says, is refined L times at `t_0`, follows the
/// process's forward step driven by the denoiser's `m̂(Y, t_k) ≈ E[X | Y_{t_k}]`, and is read out as `m̂(Y_{t_K}, t_K)`
/// or `Y_{t_K}`. SLIPS is the Gaussian process with the MCMC denoiser (``SLIPSSampler``); with the
/// ``ExactDenoiser`` the only error left is the time discretisation.
///
/// Sample n draws the process's randomness from stream `(seed, n, .localization)` and the denoiser's from its own
/// streams, so output is bitwise identical whatever the thread count, block size and sharding.
public struct StochasticLocalizationSampler<Process: ObservationProcess, D: Denoiser>: DenoiserDrivenSampler {
    public var process: Process
    public var denoiser: D
    /// Samples per work block (results do not depend on it); nil: the denoiser's preference.
    public var blockSize: Int?
    public let name: String

    public init(process: Process, denoiser: D, name: String? = nil, blockSize: Int? = nil) {
        self.process = process
        self.denoiser = denoiser
        self.blockSize = blockSize
        self.name = name ?? "sl-\(process.name)-\(denoiser.name)"
    }

    public var settings: [String: String] {
        var s = ["process": process.name, "denoiser": denoiser.name]
        if let g = process as? GaussianObservationProcess {
            s["grid"] = g.gridName
            s["schedule"] = g.schedule.name
        }
        return s
    }

    public var parameters: [String: Double] {
        process.parameters.merging(denoiser.parameters) { a, _ in a }
    }

    public var denoiserCalls: Int { process.denoiserCalls }

    /// The output and metrics (`32 N d`) plus one block of the denoiser's state.
    public func memoryEstimate(samples: Int, dimension d: Int) -> Double {
        32 * Double(samples) * Double(d) + denoiser.blockMemory(dimension: d) + 24 * Double(process.stepCount)
    }


    /// Checks that the process fits a target of dimension `d` living in `space`, and the denoiser the process.
    public func validate(dimension d: Int, space: SampleSpace) throws {
        guard space == process.space else {
            throw SamplerError("the \(process.name) process samples \(process.space.rawValue), but the target lives in \(space.rawValue)")
        }
        try process.validate(dimension: d)
        try denoiser.check(process.kind, dimension: d)
    }

    /// Statistics: `mean_acceptance` and `mean_final_step_size` where the denoiser runs chains.
    public func sample<T: LogDensity>(
        _ target: T, indices: Range<Int>, seed: UInt64, threads: Int, progress: ProgressCounter?
    ) throws -> SampleSet {
        let d = target.dimension
        try process.validate(dimension: d)
        try denoiser.check(process.kind, dimension: d)
        let start = wallClock()
        let n = indices.count
        var out = Points(count: n, dimension: d)
        let bs = blockSize ?? denoiser.preferredBlockSize(dimension: d)
        let total = try runSampleBlocks(count: n, dimension: d, blockSize: bs, threads: threads, progress: progress, output: &out) { local, o in
            let global = (indices.lowerBound + local.lowerBound)..<(indices.lowerBound + local.upperBound)
            return runBlock(target, samples: global, seed: seed, output: o, progress: progress)
        }
        if let i = total.firstNonFinite {
            throw SamplerError(
                "the target returned a non-finite log-density (NaN or infinity) where the denoiser chains of sample \(i) ended")
        }
        try checkFinite(out, firstIndex: indices.lowerBound, sampler: name)
        var statistics: [String: Double] = [:]
        if total.acceptanceCount > 0 { statistics["mean_acceptance"] = total.meanAcceptance }
        if total.stepSizeCount > 0 { statistics["mean_final_step_size"] = total.meanStepSize }
        return SampleSet(
            points: out, firstIndex: indices.lowerBound, gradientEvaluations: total.gradientEvaluations,
            logDensityEvaluations: total.logDensityEvaluations, wallSeconds: wallClock() - start, statistics: statistics)
    }

    /// The whole algorithm for the samples with global indices `samples`, writing `samples.count × d` values.
    func runBlock<T: LogDensity>(
        _ target: T, samples: Range<Int>, seed: UInt64, output: UnsafeMutablePointer<Double>, progress: ProgressCounter?
    ) -> WorkCounts {
        let d = target.dimension, b = samples.count, k = process.observationDimension(dataDimension: d)
        var streams = samples.map { RandomStream.make(seed: seed, index: $0, purpose: .localization) }
        var state = denoiser.makeState(samples: samples, seed: seed, dimension: d, progress: progress)
        var y = [Double](repeating: 0, count: b * k)
        var u = [Double](repeating: 0, count: b * d)

        func denoise(_ step: Int) {
            var estimate = u.mutableSpan
            denoiser.denoise(y.span, model: process.model(atStep: step), target: target, into: &estimate, state: &state)
        }
        do {
            var ys = y.mutableSpan
            process.start(&ys, rows: b, dimension: d, streams: &streams)
        }
        for _ in 0..<process.refinementSteps {
            denoise(0)
            var ys = y.mutableSpan
            process.refine(&ys, estimate: u.span, rows: b, dimension: d, streams: &streams)
        }
        for step in 0..<process.stepCount {
            if progress?.isCancelled == true { break }  // the run throws RunCancelled
            denoise(step)
            var ys = y.mutableSpan
            process.advance(&ys, step: step, estimate: u.span, rows: b, dimension: d, streams: &streams)
        }
        if process.readsOutEstimate {
            denoise(process.stepCount)
            for i in 0..<(b * d) { output[i] = u[i] }
        } else {
            for i in 0..<(b * d) { output[i] = y[i] }
        }
        return denoiser.work(state)
    }
}

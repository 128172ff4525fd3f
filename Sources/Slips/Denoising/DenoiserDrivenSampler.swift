/// A sampler whose only access to the target is a ``Denoiser`` called a fixed number of times per sample (stochastic
/// localization, walk-jump, JMS, SMS; DESIGN.md §2 "Samplers"): its evaluation counts are the denoiser's work for
/// those calls, and with a denoiser that evaluates nothing (exact, learned) progress counts the calls.
public protocol DenoiserDrivenSampler: Sampler {
    associatedtype D: Denoiser
    var denoiser: D { get }
    /// Denoiser calls per sample.
    var denoiserCalls: Int { get }
}

extension DenoiserDrivenSampler {
    public func expectedGradientEvaluations(samples: Int) -> Int {
        Count.product(samples, denoiser.expectedWork(calls: denoiserCalls).gradient)
    }

    public func expectedLogDensityEvaluations(samples: Int) -> Int {
        Count.product(samples, denoiser.expectedWork(calls: denoiserCalls).logDensity)
    }

    /// Target evaluations, or with a denoiser that makes none the denoiser calls, `samples × calls`.
    public func expectedProgressUnits(samples: Int) -> Int {
        let w = denoiser.expectedWork(calls: denoiserCalls)
        return Count.product(samples, w.gradient > 0 ? w.gradient : w.logDensity > 0 ? w.logDensity : denoiserCalls)
    }

    /// Runs `block(target, samples, output)` over blocks of the global indices `indices` (the denoiser's preferred
    /// size unless `blockSize`), checks the output is finite and returns it with the work counts.
    /// Each sample writes `rowsPerSample` rows of d values (several draws of one chain), in sample order.
    func runBlocks<T: LogDensity>(
        _ target: T, indices: Range<Int>, threads: Int, blockSize: Int?, rowsPerSample: Int = 1, progress: ProgressCounter?,
        _ block: @Sendable (Range<Int>, UnsafeMutablePointer<Double>) -> WorkCounts
    ) throws -> (points: Points, work: WorkCounts, wallSeconds: Double) {
        let d = target.dimension * rowsPerSample, start = wallClock()
        var out = Points(count: indices.count, dimension: d)
        let total = try runSampleBlocks(count: indices.count, dimension: d, blockSize: blockSize ?? denoiser.preferredBlockSize(dimension: d),
                                    threads: threads, progress: progress, output: &out) { local, o in
            block((indices.lowerBound + local.lowerBound)..<(indices.lowerBound + local.upperBound), o)
        }
        try checkFinite(out, firstIndex: indices.lowerBound, sampler: name)
        return (Points(dimension: target.dimension, storage: out.storage), total, wallClock() - start)
    }
}

extension SampleSet {
    /// The samples of a denoiser-driven run with its work counts.
    init(_ r: (points: Points, work: WorkCounts, wallSeconds: Double), firstIndex: Int, statistics: [String: Double] = [:]) {
        self.init(points: r.points, firstIndex: firstIndex, gradientEvaluations: r.work.gradientEvaluations,
                  logDensityEvaluations: r.work.logDensityEvaluations, wallSeconds: r.wallSeconds, statistics: statistics)
    }
}

/// One `slips sample` run as a reproducible value: target, sampler, sample count, seed, shard and threads
/// (DESIGN.md §3–§5). `run` draws the shard's samples, computes the metrics that the target's ground truth
/// allows and returns them with a ``RunSummary``.
public struct SamplingJob: Sendable {
    public var target: TargetSpec
    public var sampler: any Sampler
    /// Total samples of the unsharded run.
    public var samples: Int
    public var seed: UInt64
    public var threads: Int
    /// Shard `index` of `count` (0-based); `(0, 1)` is the whole run.
    public var shard: (index: Int, count: Int)

    public init(target: TargetSpec, sampler: any Sampler, samples: Int, seed: UInt64, threads: Int,
                shard: (index: Int, count: Int) = (0, 1)) throws {
        guard samples > 0 else { throw SamplerError("samples must be positive (got \(samples))") }
        guard threads > 0 else { throw SamplerError("threads must be positive (got \(threads))") }
        guard shard.count > 0, shard.index >= 0, shard.index < shard.count else {
            throw SamplerError("shard must be k/n with 0 <= k < n (got \(shard.index)/\(shard.count))")
        }
        guard shard.count <= samples else {
            throw SamplerError("cannot split \(samples) samples into \(shard.count) shards")
        }
        self.target = target
        self.sampler = sampler
        self.samples = samples
        self.seed = seed
        self.threads = threads
        self.shard = shard
    }

    /// Global sample indices of this shard: `[k·N/n, (k+1)·N/n)`.
    public var indices: Range<Int> { Self.shardIndices(samples: samples, shard: shard) }

    /// Global sample indices of shard `k` of `n` of a run of `samples` samples: `[k·N/n, (k+1)·N/n)`.
    public static func shardIndices(samples: Int, shard: (index: Int, count: Int)) -> Range<Int> {
        (shard.index * samples / shard.count)..<((shard.index + 1) * samples / shard.count)
    }

    /// Gradient evaluations this shard will make.
    public var expectedGradientEvaluations: Int { sampler.expectedGradientEvaluations(samples: indices.count) }

    /// Units of work a progress counter tracks (``Sampler/expectedProgressUnits(samples:)``).
    public var expectedProgressUnits: Int { sampler.expectedProgressUnits(samples: indices.count) }

    /// Runs the sampler on this shard, then the metrics against ground truth.
    public func run(progress: ProgressCounter? = nil) throws -> (samples: SampleSet, summary: RunSummary) {
        let set = try sampler.sample(target.target, indices: indices, seed: seed, threads: threads, progress: progress)
        let metrics = ReferenceMetrics.evaluate(set, target: target, seed: seed)
        let summary = RunSummary(
            target: target.name, targetParameters: target.parameters, dimension: target.dimension,
            sampler: sampler.name, parameters: sampler.parameters, seed: seed, samples: set.points.count,
            totalSamples: samples, shard: "\(shard.index)/\(shard.count)", firstIndex: set.firstIndex,
            threads: threads, gradientEvaluations: set.gradientEvaluations,
            logDensityEvaluations: set.logDensityEvaluations,
            gradientEvaluationsPerSample: Double(set.gradientEvaluations) / Double(max(1, set.points.count)),
            gradientEvaluationsPerSecond: Double(set.gradientEvaluations) / max(set.wallSeconds, 1e-9),
            wallSeconds: set.wallSeconds, metrics: metrics, statistics: set.statistics)
        return (set, summary)
    }
}

/// The machine-readable summary of a run (DESIGN.md §5), written as JSON by `slips sample --summary`.
public struct RunSummary: Codable, Sendable {
    public var target: String
    public var targetParameters: [String: Double]
    public var dimension: Int
    public var sampler: String
    public var parameters: [String: Double]
    public var seed: UInt64
    /// Samples in this output (the shard's).
    public var samples: Int
    /// Samples of the whole (unsharded) run.
    public var totalSamples: Int
    public var shard: String
    public var firstIndex: Int
    public var threads: Int
    public var gradientEvaluations: Int
    public var logDensityEvaluations: Int
    public var gradientEvaluationsPerSample: Double
    public var gradientEvaluationsPerSecond: Double
    public var wallSeconds: Double
    public var metrics: [String: Double]
    public var statistics: [String: Double]

    enum CodingKeys: String, CodingKey {
        case target, dimension, sampler, parameters, seed, samples, shard, threads, metrics, statistics
        case targetParameters = "target_parameters"
        case totalSamples = "total_samples"
        case firstIndex = "first_index"
        case gradientEvaluations = "gradient_evaluations"
        case logDensityEvaluations = "logdensity_evaluations"
        case gradientEvaluationsPerSample = "gradient_evaluations_per_sample"
        case gradientEvaluationsPerSecond = "gradient_evaluations_per_second"
        case wallSeconds = "wall_seconds"
    }
}

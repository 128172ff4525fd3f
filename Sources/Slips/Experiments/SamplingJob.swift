#if canImport(Glibc)
import Glibc
#endif

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
        guard shard.count == 1 || (sampler.name != "smc" && sampler.name != "ais") else {
            throw SamplerError("sharding is refused for \(sampler.name): its particles interact or share normalised weights, "
                + "so shards would not concatenate to the unsharded run")
        }
        guard shard.count <= samples else {
            throw SamplerError("cannot split \(samples) samples into \(shard.count) shards")
        }
        let n = Self.shardIndices(samples: samples, shard: shard).count
        let units = sampler.expectedProgressUnits(samples: n)
        guard units < Count.saturated / 2 else {
            throw SamplerError("the run would make more than 4.6e18 target evaluations; reduce --samples or the step counts")
        }
        let bytes = sampler.memoryEstimate(samples: n, dimension: target.dimension)
        let available = Self.physicalMemory
        guard bytes < 0.8 * available else {
            throw SamplerError(String(format: "the run needs about %.3g GiB of memory, more than this machine's %.3g GiB; "
                + "reduce --samples (or split it with --shard) or the dimension", bytes / 1073741824, available / 1073741824))
        }
        self.target = target
        self.sampler = sampler
        self.samples = samples
        self.seed = seed
        self.threads = threads
        self.shard = shard
    }

    /// The shard of a SLURM job-array task (`sbatch --array=MIN-MAX[:STEP]`), for `--shard auto`: task
    /// `SLURM_ARRAY_TASK_ID` runs shard `(ID − MIN)/STEP` of `SLURM_ARRAY_TASK_COUNT`. Throws ``SamplerError`` naming
    /// what is wrong when the variables are missing, malformed or describe an array that is not evenly spaced (a list
    /// such as `--array=1,4,9` cannot be numbered by arithmetic; give `--shard k/n` there).
    public static func slurmArrayShard(environment: [String: String]) throws -> (index: Int, count: Int) {
        func value(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let v = Int(text) else {
                throw SamplerError("--shard auto: \(name) is '\(text)', not an integer")
            }
            return v
        }
        guard let id = try value("SLURM_ARRAY_TASK_ID") else {
            throw SamplerError("--shard auto reads SLURM_ARRAY_TASK_ID, which is not set: run it in a SLURM job array "
                + "(sbatch --array=0-N) or give --shard k/n")
        }
        guard let lo = try value("SLURM_ARRAY_TASK_MIN"), let hi = try value("SLURM_ARRAY_TASK_MAX"),
              let count = try value("SLURM_ARRAY_TASK_COUNT") else {
            throw SamplerError("--shard auto needs SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_MAX and SLURM_ARRAY_TASK_COUNT "
                + "besides SLURM_ARRAY_TASK_ID (set by sbatch --array)")
        }
        // A one-task array has nothing to step over (whatever STEP says).
        if count == 1 && lo == id && hi == id { return (0, 1) }
        let step = try value("SLURM_ARRAY_TASK_STEP") ?? 1
        let span = hi.subtractingReportingOverflow(lo), extent = (count - 1).multipliedReportingOverflow(by: step)
        guard count > 0, step > 0, lo <= id, id <= hi, !span.overflow, !extent.overflow,
              (id - lo) % step == 0, span.partialValue == extent.partialValue else {
            throw SamplerError("--shard auto: the job array (tasks \(lo)…\(hi), step \(step), \(count) tasks, this one \(id)) "
                + "is not an evenly spaced range MIN-MAX[:STEP]; give --shard k/n")
        }
        return ((id - lo) / step, count)
    }

    /// Physical memory of the machine in bytes (1 TiB if it cannot be read).
    public static var physicalMemory: Double {
        #if canImport(Glibc)
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0 && size > 0 { return Double(pages) * Double(size) }
        #endif
        return 1099511627776
    }

    /// Global sample indices of this shard: `[k·N/n, (k+1)·N/n)`.
    public var indices: Range<Int> { Self.shardIndices(samples: samples, shard: shard) }

    /// Global sample indices of shard `k` of `n` of a run of `samples` samples: `[k·N/n, (k+1)·N/n)`.
    public static func shardIndices(samples: Int, shard: (index: Int, count: Int)) -> Range<Int> {
        func part(_ k: Int) -> Int { shard.count.dividingFullWidth(samples.multipliedFullWidth(by: k)).quotient }
        return part(shard.index)..<part(shard.index + 1)
    }

    /// Gradient evaluations this shard will make.
    public var expectedGradientEvaluations: Int { sampler.expectedGradientEvaluations(samples: indices.count) }

    /// Units of work a progress counter tracks (``Sampler/expectedProgressUnits(samples:)``).
    public var expectedProgressUnits: Int { sampler.expectedProgressUnits(samples: indices.count) }

    /// Runs the sampler on this shard, then the metrics against ground truth.
    public func run(progress: ProgressCounter? = nil) throws -> (samples: SampleSet, summary: RunSummary) {
        let set = try sampler.sample(target.target, indices: indices, seed: seed, threads: threads, progress: progress)
        let metrics = ReferenceMetrics.evaluate(set, target: target, seed: seed)
        try progress?.checkCancelled()  // a cancel during the metrics: nothing is returned, so nothing is written
        var summary = RunSummary(
            target: target.name, targetParameters: target.parameters, dimension: target.dimension,
            sampler: sampler.name, parameters: sampler.parameters, seed: seed, samples: set.points.count,
            totalSamples: samples, shard: "\(shard.index)/\(shard.count)", firstIndex: set.firstIndex,
            threads: threads, gradientEvaluations: set.gradientEvaluations,
            logDensityEvaluations: set.logDensityEvaluations,
            gradientEvaluationsPerSample: Double(set.gradientEvaluations) / Double(max(1, set.points.count)),
            gradientEvaluationsPerSecond: Double(set.gradientEvaluations) / max(set.wallSeconds, 1e-9),
            wallSeconds: set.wallSeconds, metrics: metrics, statistics: set.statistics, settings: sampler.settings,
            version: SlipsVersion.version, gitCommit: SlipsVersion.gitCommit, weightsFile: nil)
        summary.configurationHash = summary.computedConfigurationHash
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
    /// Named settings (schedule, process, denoiser, grid, kernel).
    public var settings: [String: String]
    /// Slips version and git commit (when the executable runs from a checkout).
    public var version: String
    public var gitCommit: String?
    /// The importance weights' file written beside the samples (AIS), if any.
    public var weightsFile: String?
    /// MCMC draws (`--draws`): the per-parameter diagnostics table and its warnings.
    public var diagnostics: DrawsSummary.Report? = nil
    /// ``computedConfigurationHash`` of the run (nil in summaries written before it existed).
    public var configurationHash: String? = nil

    enum CodingKeys: String, CodingKey {
        case target, dimension, sampler, parameters, seed, samples, shard, threads, metrics, statistics, settings, version
        case gitCommit = "git_commit"
        case weightsFile = "weights_file"
        case diagnostics
        case configurationHash = "configuration_hash"
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

extension RunSummary {
    /// Where `slips sample --shard k/n --output F` writes the shard's summary, `F.shard.json`: `slips merge` checks
    /// with it that the shards it joins are one run's and cover every index once.
    public static func shardSidecarPath(_ output: String) -> String { output + ".shard.json" }

    /// A 64-bit FNV-1a hash (16 hex digits) of what makes a run this run: version, target and its parameters,
    /// dimension, sampler, parameters, settings, seed, total samples and shard count (numbers by their bits). Shards
    /// of one run share it, and a change to any of these changes it (issue 26's shard sidecars).
    public var computedConfigurationHash: String {
        func numbers(_ d: [String: Double]) -> String {
            d.sorted { $0.key < $1.key }.map { "\($0.key)=\(String($0.value.bitPattern, radix: 16))" }.joined(separator: ",")
        }
        let text = [version, target, numbers(targetParameters), "\(dimension)", sampler, numbers(parameters),
                    settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                    "\(seed)", "\(totalSamples)", String(shard.split(separator: "/").last ?? "")].joined(separator: "\u{1f}")
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Whether two shard summaries come from one run: version, target, sampler, parameters, settings, seed, total
    /// samples and shard count agree (only the shard's position, costs and metrics may differ), and so do their
    /// configuration hashes where both have one.
    public func sameRun(as o: RunSummary) -> Bool {
        if let a = configurationHash, let b = o.configurationHash, a != b { return false }
        return version == o.version && target == o.target && targetParameters == o.targetParameters && dimension == o.dimension
            && sampler == o.sampler && parameters == o.parameters && settings == o.settings && seed == o.seed
            && totalSamples == o.totalSamples && shard.split(separator: "/").last == o.shard.split(separator: "/").last
    }
}

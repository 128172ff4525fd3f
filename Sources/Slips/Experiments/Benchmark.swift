import FoundationEssentials
import RealModule

/// A target of the SLIPS benchmark under its upstream name (spec/slips.md §2: `8gaussians`, `rings`, `funnel`,
/// `two_modes_dim_{8,16,32,64,128}`, `ionosphere`, `sonar`, `phi_four_b_{b}_dim_100`) and the group that selects
/// its hyper-parameter grids (§4.2) and its headline metric (§3).
public struct BenchmarkTarget: Sendable, Hashable {
    public enum Group: String, Sendable, Codable { case toy, funnel, mixture, logistic, phiFour = "phi_four" }

    public let id: String
    public let group: Group
    public let catalogName: String
    public let dimension: Int?
    /// phi^4 local field b.
    public let field: Double?

    public static func twoModes(_ d: Int) -> BenchmarkTarget {
        BenchmarkTarget(id: "two_modes_dim_\(d)", group: .mixture, catalogName: "two-modes", dimension: d, field: nil)
    }
    public static let eightGaussians = BenchmarkTarget(id: "8gaussians", group: .toy, catalogName: "8-gaussians", dimension: nil, field: nil)
    public static let rings = BenchmarkTarget(id: "rings", group: .toy, catalogName: "rings", dimension: nil, field: nil)
    public static let funnel = BenchmarkTarget(id: "funnel", group: .funnel, catalogName: "funnel", dimension: 10, field: nil)
    public static let ionosphere = BenchmarkTarget(id: "ionosphere", group: .logistic, catalogName: "ionosphere", dimension: nil, field: nil)
    public static let sonar = BenchmarkTarget(id: "sonar", group: .logistic, catalogName: "sonar", dimension: nil, field: nil)
    public static func phiFour(_ b: Double) -> BenchmarkTarget {
        BenchmarkTarget(id: "phi_four_b_\(b)", group: .phiFour, catalogName: "phi-four", dimension: 100, field: b)
    }

    /// phi^4 on 32 sites at a small field b, where log(Z+/Z−) is O(1) and measurable by counting (docs/phi-four.md;
    /// in no profile by default: select with `--targets phi_four_small_b_…`).
    public static func phiFourSmall(_ b: Double) -> BenchmarkTarget {
        BenchmarkTarget(id: "phi_four_small_b_\(b)", group: .phiFour, catalogName: "phi-four", dimension: 32, field: b)
    }

    /// Every benchmark target, in table order.
    public static let all: [BenchmarkTarget] =
        [eightGaussians, rings, funnel] + [8, 16, 32, 64, 128].map(twoModes) + [ionosphere, sonar]
        + [0, 0.025, 0.05, 0.075, 0.1].map(phiFour) + PhiFourSmallFieldExperiment.fields.map(phiFourSmall)

    /// Builds the target (the data directory matters for the logistic-regression targets).
    public func makeSpec(dataDirectory: String?) throws -> TargetSpec {
        try BenchmarkTargetBuilder.make(self, dataDirectory: dataDirectory)
    }

    /// The headline metric of spec/slips.md §3 and whether larger is better.
    public var headlineMetric: (name: String, higherIsBetter: Bool) {
        switch group {
        case .mixture: ("mode_weight_error", false)
        case .toy: ("w2", false)
        case .funnel: ("ks_sliced", false)
        case .logistic: ("mean_pred_log_prob", true)
        case .phiFour: ("log_weight_ratio_abs_error", false)
        }
    }
}

/// One benchmark algorithm name (spec/slips.md §4.1: SLIPS in three schedules and the baselines; plain MALA
/// and HMC chains as reference points).
public enum BenchmarkAlgorithm: String, Sendable, CaseIterable, Codable {
    case slipsClassic = "slips_classic"
    case slipsGeometric11 = "slips_geometric_1_1"
    case slipsGeometric21 = "slips_geometric_2_1"
    case smc, ais, rdmc, oat, mala, hmc

    /// The hyper-parameter grid of spec/slips.md §4.2 for this algorithm on `group` (one empty point when the
    /// algorithm has no grid).
    public func grid(for group: BenchmarkTarget.Group) -> [[String: Double]] {
        func product(_ a: (String, [Double]), _ b: (String, [Double])) -> [[String: Double]] {
            a.1.flatMap { x in b.1.map { y in [a.0: x, b.0: y] } }
        }
        let toyLike = group == .toy || group == .funnel
        switch self {
        case .slipsClassic:
            if toyLike { return product(("T", [150, 300]), ("epsilon", [0.1, 0.2, 0.4, 1.0, 1.2])) }
            if group == .phiFour { return product(("T", [300, 450]), ("epsilon", [0.8, 1.0, 1.2, 1.4, 1.8])) }
            return product(("T", [150]), ("epsilon", [0.03, 0.05, 0.1, 0.2, 0.4]))
        case .slipsGeometric11:
            if toyLike { return product(("epsilon_end", [9.90e-3, 6.62e-3]), ("epsilon", [0.10, 0.15, 0.20])) }
            if group == .phiFour { return product(("epsilon_end", [3.32e-3, 2.22e-3]), ("epsilon", [0.30, 0.35, 0.40, 0.45])) }
            return product(("epsilon_end", [6.62e-3]), ("epsilon", [0.03, 0.05, 0.10, 0.15, 0.25]))
        case .slipsGeometric21:
            if toyLike { return product(("epsilon_end", [9.80e-3, 6.58e-3]), ("epsilon", [0.30, 0.35, 0.45])) }
            if group == .phiFour { return product(("epsilon_end", [3.31e-3, 2.21e-3]), ("epsilon", [0.40, 0.45, 0.50, 0.55])) }
            return product(("epsilon_end", [6.58e-3]), ("epsilon", [0.15, 0.20, 0.25, 0.35, 0.45]))
        case .rdmc:
            return [0.95, 0.9, 0.8, 0.7].map { ["T": -Double.log($0)] }
        case .oat:
            return product(("step_size", [0.03, 1.0]), ("friction", [0.0625, 0.05]))
        case .smc, .ais, .mala, .hmc:
            return [[:]]
        }
    }

    /// Whether each sample depends only on the seed and its global index, so that a run split into shards
    /// concatenates bitwise to the unsplit run (SLIPS, RDMC, OAT; tested in `SLIPSTests` and `BaselineTests`).
    /// SMC and AIS shards are separate populations, and the MALA/HMC reference chains are not checked for it,
    /// so `slips bench --chunks` runs those cells whole.
    public var shardsConcatenate: Bool {
        switch self {
        case .slipsClassic, .slipsGeometric11, .slipsGeometric21, .rdmc, .oat: return true
        case .smc, .ais, .mala, .hmc: return false
        }
    }
}

/// A benchmark profile: which targets, algorithms, grid points, seeds and run sizes (issue 3, spec/slips.md §4).
public struct BenchmarkProfile: Sendable {
    public var name: String
    public var targets: [BenchmarkTarget]
    public var algorithms: [BenchmarkAlgorithm]
    /// N, samples per run.
    public var samples: Int
    /// K, grid points / temperatures / time steps.
    public var gridPoints: Int
    /// S, MCMC steps per denoiser call or per temperature.
    public var mcmcSteps: Int
    public var seeds: [UInt64]
    /// Keep only the middle point of each grid (the quick profile).
    public var middleGridPointOnly: Bool
    /// Give every method the SLIPS gradient-evaluation budget per sample.
    public var equalBudget: Bool = false
    /// When set, the only grid point run for "target|algorithm" (e.g. the best point of a reduced-N grid run);
    /// pairs absent from it are skipped.
    public var restrictedGrid: [String: [String: Double]]? = nil

    /// Minutes on two cores: the 2-D targets, the funnel and two-modes d = 8 and 16 with every algorithm and the
    /// full §4.2 grids, at N = 512, K = 128, one seed.
    public static let quick = BenchmarkProfile(
        name: "quick", targets: [.eightGaussians, .rings, .funnel, .twoModes(8), .twoModes(16)],
        algorithms: BenchmarkAlgorithm.allCases, samples: 512, gridPoints: 128, mcmcSteps: 32, seeds: [0],
        middleGridPointOnly: false)

    /// The paper's protocol: every target, the full §4.2 grids, N = 8192, K = 1024, S = 32, three seeds.
    public static let paper = BenchmarkProfile(
        name: "paper", targets: BenchmarkTarget.all,
        algorithms: [.slipsClassic, .slipsGeometric11, .slipsGeometric21, .smc, .ais, .rdmc, .oat],
        samples: 8192, gridPoints: 1024, mcmcSteps: 32, seeds: [0, 1, 2], middleGridPointOnly: false)

    public static func named(_ name: String) throws -> BenchmarkProfile {
        switch name {
        case "quick": return quick
        case "paper": return paper
        default: throw SamplerError("unknown profile '\(name)'; profiles: quick, paper")
        }
    }

    /// The grid points run for `algorithm` on `target`.
    public func gridPoints(_ algorithm: BenchmarkAlgorithm, _ target: BenchmarkTarget) -> [[String: Double]] {
        if let r = restrictedGrid {
            return r["\(target.id)|\(algorithm.rawValue)"].map { [$0] } ?? []
        }
        let g = algorithm.grid(for: target.group)
        return middleGridPointOnly ? [g[g.count / 2]] : g
    }

    /// Every cell (target × algorithm × grid point × seed), in run order.
    public var cells: [BenchmarkCell] {
        var out: [BenchmarkCell] = []
        for t in targets {
            for a in algorithms {
                for p in gridPoints(a, t) {
                    for s in seeds { out.append(BenchmarkCell(target: t, algorithm: a, grid: p, seed: s)) }
                }
            }
        }
        return out
    }
}

/// One run of the benchmark grid.
public struct BenchmarkCell: Sendable {
    public let target: BenchmarkTarget
    public let algorithm: BenchmarkAlgorithm
    public let grid: [String: Double]
    public let seed: UInt64

    /// A stable identifier: target, algorithm, sorted grid values and seed (plus N, K, S and budget mode, which
    /// the runner prepends) — a rerun skips the cells whose key is already in the results.
    public var key: String {
        let g = grid.keys.sorted().map { "\($0)=\(grid[$0]!)" }.joined(separator: ",")
        return "\(target.id)|\(algorithm.rawValue)|\(g)|seed=\(seed)"
    }
}

/// One line of `runs.jsonl`: a finished benchmark run.
public struct BenchmarkRecord: Codable, Sendable {
    public var key: String
    public var profile: String
    public var target: String
    public var group: BenchmarkTarget.Group
    public var algorithm: String
    public var grid: [String: Double]
    public var seed: UInt64
    public var samples: Int
    public var dimension: Int
    public var parameters: [String: Double]
    public var metrics: [String: Double]
    public var statistics: [String: Double]
    public var gradientEvaluations: Int
    public var logDensityEvaluations: Int
    public var wallSeconds: Double
    public var date: String
    /// Relative path of the saved samples (2-D targets only), for figures.
    public var samplesFile: String?
    /// The machine and thread count the run took its wall time on (``BenchmarkHost``); absent in records written
    /// before 2026-12-01. The samples do not depend on it, only `wall_seconds` does.
    public var host: String?
    /// The number of chunks the run was split into by `slips bench --chunks` (absent: run whole). The samples
    /// and metrics are those of the whole run; `wall_seconds` is the chunks' sum.
    public var chunks: Int?
    /// Named sampler settings, Slips version and git commit (absent in records written before 2026-12-05).
    public var settings: [String: String]?
    public var version: String?
    public var gitCommit: String?

    public init(
        key: String, profile: String, target: String, group: BenchmarkTarget.Group, algorithm: String,
        grid: [String: Double], seed: UInt64, samples: Int, dimension: Int, parameters: [String: Double],
        metrics: [String: Double], statistics: [String: Double], gradientEvaluations: Int, logDensityEvaluations: Int,
        wallSeconds: Double, date: String, samplesFile: String? = nil, host: String? = nil, chunks: Int? = nil,
        settings: [String: String]? = nil, version: String? = SlipsVersion.version, gitCommit: String? = SlipsVersion.gitCommit
    ) {
        self.settings = settings
        self.version = version
        self.gitCommit = gitCommit
        self.key = key
        self.profile = profile
        self.target = target
        self.group = group
        self.algorithm = algorithm
        self.grid = grid
        self.seed = seed
        self.samples = samples
        self.dimension = dimension
        self.parameters = parameters
        self.metrics = metrics
        self.statistics = statistics
        self.gradientEvaluations = gradientEvaluations
        self.logDensityEvaluations = logDensityEvaluations
        self.wallSeconds = wallSeconds
        self.date = date
        self.samplesFile = samplesFile
        self.host = host
        self.chunks = chunks
    }

    enum CodingKeys: String, CodingKey {
        case key, profile, target, group, algorithm, grid, seed, samples, dimension, parameters, metrics, statistics, date
        case host, chunks, settings, version
        case gitCommit = "git_commit"
        case gradientEvaluations = "gradient_evaluations"
        case logDensityEvaluations = "logdensity_evaluations"
        case wallSeconds = "wall_seconds"
        case samplesFile = "samples_file"
    }
}

/// One saved shard of a benchmark cell run by `slips bench --chunks` (``BenchmarkRunner``): which cell and
/// which of its shards (samples `first_index ..< first_index + samples` of the cell's N), with the shard's
/// evaluation counts, sampling wall time, statistics, start date and host. Written as
/// `chunks/<cell>/chunk-<k>-of-<n>.json` next to the samples in `chunk-<k>-of-<n>.npy`.
public struct BenchmarkChunk: Codable, Sendable {
    public var key: String
    public var chunk: Int
    public var chunks: Int
    public var firstIndex: Int
    public var samples: Int
    public var gradientEvaluations: Int
    public var logDensityEvaluations: Int
    public var wallSeconds: Double
    public var statistics: [String: Double]
    public var date: String
    public var host: String

    enum CodingKeys: String, CodingKey {
        case key, chunk, chunks, samples, statistics, date, host
        case firstIndex = "first_index"
        case gradientEvaluations = "gradient_evaluations"
        case logDensityEvaluations = "logdensity_evaluations"
        case wallSeconds = "wall_seconds"
    }
}

/// A one-line description of the machine a benchmark run is timed on: processor model, logical CPUs and the
/// worker threads used, e.g. `"AMD EPYC 7B13, 2 logical CPUs, 2 threads"`. Wall times are only comparable between
/// records with the same host line; the samples and metrics are the same on every host (engineering.md: same seed,
/// same bytes).
public enum BenchmarkHost {
    public static func description(threads: Int) -> String {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        return "\(processorModel ?? "unknown processor"), \(cpus) logical CPU\(cpus == 1 ? "" : "s"), "
            + "\(threads) thread\(threads == 1 ? "" : "s")"
    }

    /// The first `model name` of /proc/cpuinfo (Linux), nil elsewhere.
    public static let processorModel: String? = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[line.index(after: colon)...].split(separator: " ").joined(separator: " ")
            return name.isEmpty ? nil : name
        }
        return nil
    }()
}

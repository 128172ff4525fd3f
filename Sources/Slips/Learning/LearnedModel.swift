import RealModule

/// The affine map between data and what a network sees, `x' = (x − μ)/s` with one scalar scale s, so that isotropic
/// Gaussian noise stays isotropic (noise σ on x is σ/s on x').
public struct DataNormalisation: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, CaseIterable, Codable {
        /// μ = the data mean, s = the root mean per-coordinate variance.
        case standardise
        /// μ = the data mean, s = 1.
        case center
        /// μ = 0, s = 1 (the §6.5 experiment: the skip term cos α z is exact for unit-variance components).
        case none
    }

    public var mean: [Double]
    public var scale: Double

    public init(mean: [Double], scale: Double) {
        self.mean = mean
        self.scale = scale
    }

    /// Fits the normalisation of `mode` to the rows of `x`.
    public static func fit(_ x: Points, mode: Mode) -> DataNormalisation {
        let d = x.dimension, n = Double(max(1, x.count))
        guard mode != .none else { return DataNormalisation(mean: [Double](repeating: 0, count: d), scale: 1) }
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<x.count { for j in 0..<d { mean[j] += x[i, j] } }
        for j in 0..<d { mean[j] /= n }
        guard mode == .standardise else { return DataNormalisation(mean: mean, scale: 1) }
        var ss = 0.0
        for i in 0..<x.count { for j in 0..<d { ss += (x[i, j] - mean[j]) * (x[i, j] - mean[j]) } }
        let s = (ss / (n * Double(d))).squareRoot()
        return DataNormalisation(mean: mean, scale: s > 0 && s.isFinite ? s : 1)
    }

    /// The rows of `x` normalised, in single precision.
    public func apply(_ x: Points) -> [Float] {
        let d = x.dimension
        var out = [Float](repeating: 0, count: x.count * d)
        for i in 0..<x.count { for j in 0..<d { out[i * d + j] = Float((x[i, j] - mean[j]) / scale) } }
        return out
    }
}

/// One network of a learned model and its training record.
public struct LearnedComponent: Sendable {
    public var network: TwoLayerNetwork
    /// Probability of choosing this network for a whole trajectory (1 for a single network; `n₊/n` and `n₋/n`
    /// for the two-network mixture of spec/denoising.md §6.5).
    public var weight: Double
    public var outcome: TrainingOutcome

    public init(_ t: TrainedNetwork, weight: Double) {
        network = t.network
        outcome = t.outcome
        self.weight = weight
    }
}

/// Where the training data came from and how the model was trained (the self-description of a model file).
public struct TrainingRecord: Sendable, Equatable, Codable {
    public var settings: TrainingSettings
    public var normalisation: DataNormalisation.Mode
    /// `principal` for the two-network mixture, nil for one network.
    public var split: String?
    public var dataSource: String
    public var dataRows: Int
    /// FNV-1a 64 of the data's float64 values, as 16 hex digits.
    public var dataHash: String
    /// Bayes loss of the objective where the data come from a known mixture (the experiment records it).
    public var bayesLoss: Double?
    public var slipsVersion: String
    public var date: String
    public var wallSeconds: Double

    public init(
        settings: TrainingSettings, normalisation: DataNormalisation.Mode, split: String?, dataSource: String,
        dataRows: Int, dataHash: String, bayesLoss: Double? = nil, slipsVersion: String, date: String, wallSeconds: Double
    ) {
        self.settings = settings
        self.normalisation = normalisation
        self.split = split
        self.dataSource = dataSource
        self.dataRows = dataRows
        self.dataHash = dataHash
        self.bayesLoss = bayesLoss
        self.slipsVersion = slipsVersion
        self.date = date
        self.wallSeconds = wallSeconds
    }

    /// FNV-1a 64 of the bytes of `x`'s values.
    public static func hash(_ x: Points) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in x.storage {
            var bits = v.bitPattern.littleEndian
            for _ in 0..<8 {
                h = (h ^ (bits & 0xff)) &* 0x100_0000_01b3
                bits >>= 8
            }
        }
        return String(h, radix: 16).leftPadded(to: 16)
    }
}

extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

/// A trained denoiser (spec/denoising.md §6.5, §2.1, §1.3, §5.2): one network, or the two-network mixture with the
/// principal direction it was split along.
public struct LearnedModel: Sendable {
    public var objective: DenoisingObjective
    public var normalisation: DataNormalisation
    public var components: [LearnedComponent]
    /// The two-network mixture's split: unit direction v and centre x̄ (data units); side + is `⟨v, x − x̄⟩ > 0`.
    public var splitDirection: [Double]?
    public var splitCenter: [Double]?
    /// Per-coordinate minimum and maximum of the training data (data units): the box in which the posterior mean of
    /// any law supported on the data's range lies, to which ``LearnedDenoiser`` clips its estimates.
    public var dataMinimum: [Double]
    public var dataMaximum: [Double]
    public var record: TrainingRecord

    public var kind: LearnedModelKind { objective.kind }
    public var dimension: Int { objective.dimension }

    public init(
        objective: DenoisingObjective, normalisation: DataNormalisation, components: [LearnedComponent],
        splitDirection: [Double]? = nil, splitCenter: [Double]? = nil, dataMinimum: [Double], dataMaximum: [Double],
        record: TrainingRecord
    ) {
        self.dataMinimum = dataMinimum
        self.dataMaximum = dataMaximum
        self.objective = objective
        self.normalisation = normalisation
        self.components = components
        self.splitDirection = splitDirection
        self.splitCenter = splitCenter
        self.record = record
    }
}

/// A target known only through data (the data a model was trained on): its dimension and space, no density
/// (every evaluation is NaN, so a sampler that needs one fails clearly).
public struct DataDefinedTarget: LogDensity {
    public let dimension: Int

    public init(dimension: Int) { self.dimension = dimension }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int, logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        for i in 0..<count { logDensity[i] = .nan }
        for i in 0..<(count * dimension) { gradient[i] = .nan }
    }
}

extension LearnedModel {
    /// The target of `slips sample --denoiser MODEL.json` without `--target`: the model's data, known only
    /// through it (`learned-model`, with the data's scale as R and τ).
    public var targetSpec: TargetSpec {
        let s = normalisation.scale
        return TargetSpec(
            name: "learned-model", target: DataDefinedTarget(dimension: dimension), radius: s * Double(dimension).squareRoot(),
            tau: s, parameters: ["dimension": Double(dimension)], space: kind == .logistic ? .binary : .continuous)
    }
}

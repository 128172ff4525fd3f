import FoundationEssentials
import RealModule

/// From a data set to a ``LearnedModel`` (spec/denoising.md §6.5, §2.1, §1.3, §5.2): checks the data, normalises
/// them, optionally splits them along their principal direction (the two-network mixture), trains the networks.
public enum ModelTraining {
    /// What to train.
    public struct Request: Sendable {
        public var kind: LearnedModelKind = .twoLayer
        public var noise = TrainingNoise()
        public var normalisation: DataNormalisation.Mode = .standardise
        /// Train the two-network mixture of §6.5 (split along the principal direction).
        public var split = false
        public var settings = TrainingSettings()
        public var dataSource = "<memory>"
        public var threads = 1
        /// The objective's Bayes loss, recorded in the model where the data come from a known mixture.
        public var bayesLoss: Double? = nil

        public init() {}
    }

    /// Throws one clear message when `data` or the request cannot be trained on.
    public static func validate(_ data: Points, _ q: Request) throws {
        guard data.count > 0, data.dimension > 0 else { throw TrainingError("\(q.dataSource): the data set has no rows") }
        if let i = data.storage.firstIndex(where: { !$0.isFinite }) {
            throw TrainingError("\(q.dataSource): row \(i / data.dimension + 1), column \(i % data.dimension + 1) is not finite (\(data.storage[i]))")
        }
        try q.settings.validate()
        let inputs = DenoisingObjective(kind: q.kind, dimension: data.dimension, features: features(q), noise: q.noise, scale: 1).inputCount
        guard inputs <= 1_000_000, Double(inputs) * Double(q.settings.hidden) <= 1e8 else {
            throw TrainingError("the network would have \(inputs) inputs × \(q.settings.hidden) hidden units: too large (at most 1e8 weights)")
        }
        switch q.kind {
        case .twoLayer: break
        case .denoiser, .conditional:
            guard let s = q.noise.sigma, s.isFinite, s > 0 else {
                throw TrainingError("--model \(q.kind.rawValue) needs --sigma, a positive noise level in data units")
            }
            if q.kind == .conditional, !((q.noise.measurements ?? 0) >= 1 && (q.noise.measurements ?? 0) <= 1_000_000) {
                throw TrainingError("--model conditional needs --measurements M between 1 and 1e6")
            }
        case .logistic:
            guard let a = q.noise.alpha, a.isFinite, a > 0 else {
                throw TrainingError("--model logistic needs --alpha, a positive binary channel strength")
            }
            if let m = q.noise.measurements, !(1...10_000).contains(m) {
                throw TrainingError("--measurements must be between 1 and 10000 (got \(m))")
            }
            if let v = data.storage.first(where: { $0 != 1 && $0 != -1 && $0 != 0 }) {
                throw TrainingError("\(q.dataSource): a logistic model needs binary data (±1 or 0/1), found \(v)")
            }
        }
    }

    /// Time features: none for one noise level or a field input.
    static func features(_ q: Request) -> TimeFeatureMode {
        q.kind == .denoiser || q.kind == .logistic ? .none : q.settings.features
    }

    /// Trains the model. `report(component, evaluation)` follows the progress of each network.
    public static func train(
        _ data: Points, _ q: Request, report: ((Int, TrainingEvaluation) -> Void)? = nil
    ) throws -> LearnedModel {
        try validate(data, q)
        let start = Date()
        var x = data
        if q.kind == .logistic { for i in 0..<x.storage.count where x.storage[i] == 0 { x.storage[i] = -1 } }
        let norm = DataNormalisation.fit(x, mode: q.kind == .logistic ? .none : q.normalisation)
        var settings = q.settings
        settings.features = features(q)
        let objective = DenoisingObjective(kind: q.kind, dimension: x.dimension, features: settings.features, noise: q.noise, scale: norm.scale)
        let normalised = norm.apply(x)
        let d = x.dimension
        var parts: [(rows: [Int], weight: Double)] = [(Array(0..<x.count), 1)]
        var direction: [Double]? = nil, center: [Double]? = nil
        if q.split {
            let s = try principalSplit(normalised, rows: x.count, dimension: d)
            parts = [(s.plus, Double(s.plus.count) / Double(x.count)), (s.minus, Double(s.minus.count) / Double(x.count))]
            direction = s.direction
            center = (0..<d).map { norm.mean[$0] + norm.scale * s.center[$0] }
        }
        var components: [LearnedComponent] = []
        for (k, part) in parts.enumerated() {
            var rows = [Float](repeating: 0, count: part.rows.count * d)
            for (i, r) in part.rows.enumerated() { for j in 0..<d { rows[i * d + j] = normalised[r * d + j] } }
            let trainer = NetworkTrainer(objective: objective, settings: settings, component: k, threads: q.threads)
            let t = try trainer.train(data: rows, rows: part.rows.count) { report?(k, $0) }
            components.append(LearnedComponent(t, weight: part.weight))
        }
        let record = TrainingRecord(
            settings: settings, normalisation: q.kind == .logistic ? .none : q.normalisation, split: q.split ? "principal" : nil,
            dataSource: q.dataSource, dataRows: x.count, dataHash: TrainingRecord.hash(data), bayesLoss: q.bayesLoss,
            slipsVersion: SlipsVersion.description, date: iso8601(start),
            wallSeconds: Date().timeIntervalSince(start))
        let d0 = (0..<d).map { j in (0..<x.count).reduce(Double.infinity) { Swift.min($0, x[$1, j]) } }
        let d1 = (0..<d).map { j in (0..<x.count).reduce(-Double.infinity) { Swift.max($0, x[$1, j]) } }
        return LearnedModel(objective: objective, normalisation: norm, components: components,
                            splitDirection: direction, splitCenter: center, dataMinimum: d0, dataMaximum: d1, record: record)
    }

    /// The top principal direction v of the rows (power iteration on the covariance, from a fixed start), oriented
    /// so that its largest-magnitude entry is positive, and the rows on each side of `⟨v, x − x̄⟩ = 0`.
    public static func principalSplit(_ x: [Float], rows n: Int, dimension d: Int) throws
        -> (direction: [Double], center: [Double], plus: [Int], minus: [Int])
    {
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(x[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var v = (0..<d).map { 1 / Double(d).squareRoot() + 1e-3 * Double($0 % 7) }
        var proj = [Double](repeating: 0, count: n)
        for _ in 0..<1000 {
            for i in 0..<n {
                var s = 0.0
                for j in 0..<d { s += (Double(x[i * d + j]) - mean[j]) * v[j] }
                proj[i] = s
            }
            var w = [Double](repeating: 0, count: d)
            for i in 0..<n { for j in 0..<d { w[j] += (Double(x[i * d + j]) - mean[j]) * proj[i] } }
            let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { throw TrainingError("the data have no spread: no principal direction to split along") }
            let change = zip(w, v).reduce(0.0) { $0 + ($1.0 / norm - $1.1) * ($1.0 / norm - $1.1) }
            v = w.map { $0 / norm }
            if change < 1e-24 { break }
        }
        if let m = v.indices.max(by: { abs(v[$0]) < abs(v[$1]) }), v[m] < 0 { v = v.map { -$0 } }
        var plus: [Int] = [], minus: [Int] = []
        for i in 0..<n {
            var s = 0.0
            for j in 0..<d { s += (Double(x[i * d + j]) - mean[j]) * v[j] }
            if s > 0 { plus.append(i) } else { minus.append(i) }
        }
        guard plus.count >= 2, minus.count >= 2 else {
            throw TrainingError("the principal split leaves \(min(plus.count, minus.count)) rows on one side: too few to train a network")
        }
        return (v, mean, plus, minus)
    }
}

extension ModelTraining {
    /// Reads a training set: `.npy` (N, d) float32/float64, or CSV (a header line optional; `labelColumn` names a
    /// header column to drop, e.g. a class label). One clear ``IOError`` per malformed file.
    public static func readData(path: String, labelColumn: String? = nil) throws -> Points {
        if path.lowercased().hasSuffix(".npy") {
            guard labelColumn == nil else { throw IOError(path: path, message: "--label-column applies to CSV files, not .npy") }
            return try NPY.readPoints(path: path)
        }
        let table = try CSV.readTable(path: path)
        guard let label = labelColumn else { return table.points }
        guard let names = table.header else { throw IOError(path: path, message: "--label-column '\(label)' needs a header line") }
        guard let drop = names.firstIndex(of: label) else {
            throw IOError(path: path, message: "no column '\(label)' (columns: \(names.joined(separator: ", ")))")
        }
        let x = table.points, d = x.dimension
        guard d > 1 else { throw IOError(path: path, message: "dropping '\(label)' leaves no columns") }
        var storage: [Double] = []
        storage.reserveCapacity(x.count * (d - 1))
        for i in 0..<x.count { for j in 0..<d where j != drop { storage.append(x[i, j]) } }
        return Points(dimension: d - 1, storage: storage)
    }
}

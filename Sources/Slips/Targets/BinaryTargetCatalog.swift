/// The binary targets beyond the product-Bernoulli mixture (spec/denoising.md §5; issue 23): the Ising model (couplings
/// from a file, or a periodic lattice), the Curie–Weiss model (exact law through the magnetisation) and a binary data
/// set (known only through its rows, sampled with a learned logistic score).
extension TargetCatalog {
    static func binaryTarget(_ name: String, dimension: Int?, options o: TargetOptions) throws -> TargetSpec {
        if o.couplingsPath != nil && name != "ising" { throw TargetError("--couplings applies to the target ising, not '\(name)'") }
        if (o.dataPath != nil || o.threshold != nil || o.labelColumn != nil) && name != "binary-data" {
            throw TargetError("--data, --threshold and --label-column apply to the target binary-data, not '\(name)'")
        }
        if let d = dimension, !(1...1_000_000).contains(d) { throw TargetError("dimension must be in 1...1e6 (got \(d))") }
        switch name {
        case "curie-weiss":
            let m = try CurieWeiss(dimension: dimension ?? 32, beta: o.isingBeta ?? 1.2, field: o.isingField ?? 0)
            return TargetSpec(name: name, target: m, radius: Double(m.dimension).squareRoot(), tau: 0,
                              exactSampler: { m.sample(count: $0, seed: $1) },
                              parameters: ["beta": m.beta, "field": m.field, "mean_abs_magnetisation": m.meanAbsoluteMagnetisation],
                              space: .binary, exactMean: m.mean)
        case "ising":
            return try ising(dimension: dimension, options: o)
        default:
            guard let path = o.dataPath else { throw TargetError("target 'binary-data' needs a data file (--data FILE.npy or .csv)") }
            let x = try binarize(try ModelTraining.readData(path: path, labelColumn: o.labelColumn), threshold: o.threshold, source: path)
            guard x.count > 0 else { throw IOError(path: path, message: "the data set has no rows") }
            if let d = dimension, d != x.dimension { throw TargetError("\(path) has \(x.dimension) columns (got --dim \(d))") }
            let n = Double(x.count)
            let mean = (0..<x.dimension).map { j in (0..<x.count).reduce(0.0) { $0 + x[$1, j] } / n }
            return TargetSpec(name: name, target: DataDefinedTarget(dimension: x.dimension), radius: Double(x.dimension).squareRoot(),
                              tau: 0, parameters: ["rows": n] .merging(o.threshold.map { ["threshold": $0] } ?? [:]) { a, _ in a },
                              space: .binary, exactMean: mean, data: x)
        }
    }

    /// `ising`: J from `--couplings` (d × d, .npy or CSV), or the periodic lattice of side √d at coupling β.
    static func ising(dimension: Int?, options o: TargetOptions) throws -> TargetSpec {
        let model: IsingModel
        if let path = o.couplingsPath {
            if o.isingBeta != nil { throw TargetError("--beta sets the lattice coupling; with --couplings the matrix carries it") }
            let j = path.lowercased().hasSuffix(".npy") ? try NPY.readPoints(path: path) : try CSV.readTable(path: path).points
            guard j.count == j.dimension else { throw IOError(path: path, message: "the coupling matrix must be square (got \(j.count) × \(j.dimension))") }
            if let d = dimension, d != j.dimension { throw TargetError("\(path) holds a \(j.dimension) × \(j.dimension) matrix (got --dim \(d))") }
            do {
                model = try IsingModel(couplings: j, field: [Double](repeating: o.isingField ?? 0, count: j.dimension))
            } catch let e as TargetError {
                throw IOError(path: path, message: e.description)
            }
        } else {
            let d = dimension ?? 64, side = Int(Double(d).squareRoot().rounded())
            guard side * side == d else { throw TargetError("the default Ising lattice is square: --dim must be a perfect square (got \(d)), or give --couplings") }
            guard d <= 4096 else { throw TargetError("ising stores a dense d × d coupling matrix: dimension at most 4096 (got \(d))") }
            model = try IsingModel.lattice(side: side, coupling: o.isingBeta ?? 0.4, field: o.isingField ?? 0)
        }
        var parameters = ["field": o.isingField ?? 0]
        if o.couplingsPath == nil { parameters["beta"] = o.isingBeta ?? 0.4 }
        return TargetSpec(name: "ising", target: model, radius: Double(model.dimension).squareRoot(), tau: 0,
                          parameters: parameters, space: .binary)
    }
}

/// Reading logistic-regression data sets from CSV files (DESIGN.md §1: data-set reading lives in IO, the model in
/// Targets): one split, a training/test pair, and the benchmark splits of `data/slips_datasets/`.
extension LogisticRegressionData {
    /// Reads a CSV file of features plus a label column.
    ///
    /// - With a header line (detected as in ``CSV/readTable(path:header:)``: no cell of the first line is a
    ///   number), the label is the column named `labelColumn` (default `y`, as in the shipped splits) and the
    ///   features are all other columns, in file order.
    /// - Without a header, the label is the last column.
    ///
    /// Throws ``IOError`` naming the file, and the line, data row and column, for: an unreadable file, no data,
    /// ragged rows, a header without the label column, a non-numeric, NaN or infinite cell, a label that is not
    /// 0 or 1, or fewer than two columns.
    public init(path: String, labelColumn: String = "y") throws {
        let bytes = try AtomicFile.read(path: path)
        let table = try CSV.decode(bytes, source: path, allowInfinite: true)
        let columns = table.points.dimension
        let lines = Self.dataLineNumbers(bytes, hasHeader: table.header != nil)
        func line(_ row: Int) -> String {
            row < lines.count ? "line \(lines[row]) (data row \(row + 1))" : "data row \(row + 1)"
        }
        func columnName(_ j: Int) -> String {
            if let h = table.header, j < h.count, !h[j].isEmpty { return "column \(j + 1) ('\(h[j])')" }
            return "column \(j + 1)"
        }
        let labelIndex: Int
        if let header = table.header {
            guard let j = header.firstIndex(of: labelColumn) else {
                let shown = header.count <= 8 ? header.joined(separator: ", ")
                    : header.prefix(4).joined(separator: ", ") + ", …, " + header.suffix(2).joined(separator: ", ")
                throw IOError(path: path, message: "line 1: missing label column '\(labelColumn)' in the header (columns: \(shown))")
            }
            labelIndex = j
        } else {
            labelIndex = columns - 1
        }
        guard columns >= 2 else {
            throw IOError(path: path, message: "needs at least one feature column and a label column (found \(columns) column)")
        }
        let n = table.points.count, dFeatures = columns - 1
        var features = [Double](repeating: 0, count: n * dFeatures)
        var labels = [Double](repeating: 0, count: n)
        table.points.withUnsafeBufferPointer { x in
            for i in 0..<n {
                var out = i * dFeatures
                for j in 0..<columns where j != labelIndex {
                    features[out] = x[i * columns + j]
                    out += 1
                }
                labels[i] = x[i * columns + labelIndex]
            }
        }
        for i in 0..<n {
            for j in 0..<columns {
                let v = table.points[i, j]
                if !v.isFinite {
                    throw IOError(path: path, message: "\(line(i)), \(columnName(j)): infinite value")
                }
            }
            let y = labels[i]
            if y != 0 && y != 1 {
                let role = table.header == nil ? "the label (last column of a file without header)" : "the label"
                throw IOError(path: path, message: "\(line(i)), \(columnName(labelIndex)): \(role) is \(y), not 0 or 1")
            }
        }
        var names: [String]? = nil
        if let header = table.header {
            names = header.enumerated().filter { $0.offset != labelIndex }.map(\.element)
        }
        try self.init(features: Points(dimension: dFeatures, storage: features), labels: labels,
                      featureNames: names, source: path)
    }

    /// Loads a training and a test split and checks that they have the same features: the same number of
    /// feature columns and, when both files have headers, the same names in the same order.
    ///
    /// Throws ``IOError`` as ``init(path:labelColumn:)`` does, or naming both files on a mismatch.
    public static func splits(
        trainPath: String, testPath: String, labelColumn: String = "y"
    ) throws -> (train: LogisticRegressionData, test: LogisticRegressionData) {
        let train = try LogisticRegressionData(path: trainPath, labelColumn: labelColumn)
        let test = try LogisticRegressionData(path: testPath, labelColumn: labelColumn)
        try test.checkCompatible(withTraining: train)
        return (train, test)
    }

    /// The two splits of a benchmark data set (`ionosphere`, `sonar`, …) in `directory`: files
    /// `NAME_train.csv` and `NAME_test.csv` (the layout of `data/slips_datasets/`).
    public static func benchmark(
        _ name: String, directory: String
    ) throws -> (train: LogisticRegressionData, test: LogisticRegressionData) {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        return try splits(trainPath: base + name + "_train.csv", testPath: base + name + "_test.csv")
    }

    /// Physical line numbers (1-based) of the data rows, skipping what ``CSV`` skips (blank lines, `#` comments)
    /// and the header line.
    static func dataLineNumbers(_ bytes: [UInt8], hasHeader: Bool) -> [Int] {
        var result: [Int] = []
        var skippedHeader = !hasHeader
        var lineNumber = 0
        for raw in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = raw[...]
            if line.last == 0x0D { line = line.dropLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) || line.first == 0x23 { continue }
            if !skippedHeader {
                skippedHeader = true
                continue
            }
            result.append(lineNumber)
        }
        return result
    }
}

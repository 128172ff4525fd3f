/// Comma-separated text files of points, one point per line (spec/engineering.md §7, DESIGN.md §5).
///
/// Values are written with Swift's shortest round-tripping representation (`"\(value)"`), so reading a
/// written file gives back the same `Double`s bit for bit. Reading skips blank lines and lines that start
/// with `#` (Stan-CSV comments), accepts `\r\n` line ends and RFC 4180 quoted cells, and detects an optional
/// header line.
public enum CSV {
    /// Writes `points` to `path`, one point per line, atomically (DESIGN.md §5), after an optional `header`
    /// line (one name per column; names with commas or quotes are quoted).
    ///
    /// - Precondition: `header`, when given, has `points.dimension` names.
    /// Throws ``IOError`` naming the path when the file cannot be written.
    public static func write(_ points: Points, header: [String]? = nil, to path: String) throws {
        try AtomicFile.write(encode(points, header: header), to: path)
    }

    /// The CSV text of `points` (see ``write(_:header:to:)``), as UTF-8 bytes.
    public static func encode(_ points: Points, header: [String]? = nil) -> [UInt8] {
        if let header {
            precondition(header.count == points.dimension,
                         "CSV header has \(header.count) names for \(points.dimension) columns")
        }
        var out: [UInt8] = []
        out.reserveCapacity(points.storage.count * 20 + 64)
        if let header {
            out += Array(header.map(quoted).joined(separator: ",").utf8)
            out.append(0x0A)
        }
        let d = points.dimension
        points.withUnsafeBufferPointer { x in
            for i in 0..<points.count {
                for j in 0..<d {
                    if j > 0 { out.append(0x2C) }
                    out += "\(x[i * d + j])".utf8
                }
                out.append(0x0A)
            }
        }
        return out
    }

    /// Reads a CSV file of numbers as ``Points`` (one point per data line), skipping a header line when there is
    /// one (see ``readTable(path:header:)``).
    ///
    /// Throws ``IOError`` naming the file, and the line and column where it applies, for a non-numeric or NaN
    /// cell, a line with a different number of cells than the first, or a file without data.
    public static func readPoints(path: String, header: Bool? = nil) throws -> Points {
        try readTable(path: path, header: header).points
    }

    /// Reads a CSV file of numbers: the header names (if any) and the points.
    ///
    /// - Parameter header: `true` when the first line is a header, `false` when it is data, `nil` (default) to
    ///   detect it: the first line is a header when none of its cells is a number.
    /// Throws ``IOError`` as ``readPoints(path:header:)`` does.
    public static func readTable(path: String, header: Bool? = nil) throws -> (header: [String]?, points: Points) {
        try decode(AtomicFile.read(path: path), header: header, source: path)
    }

    /// Parses CSV bytes (see ``readTable(path:header:)``); errors name `source` as the file. Infinite values
    /// (`inf`, or a number beyond the double range such as `1e400`) are errors unless `allowInfinite` (for a reader
    /// that reports them itself, with more context).
    public static func decode(
        _ bytes: [UInt8], header: Bool? = nil, source: String = "<csv data>", allowInfinite: Bool = false
    ) throws -> (header: [String]?, points: Points) {
        var names: [String]? = nil
        var storage: [Double] = []
        var dimension: Int? = nil
        var firstLine = true
        var lineNumber = 0
        // Split on the byte 0x0A, not on Characters: "\r\n" is a single Character in Swift.
        // A UTF-8 byte-order mark (as spreadsheet programs write) is not part of the first cell.
        let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
        for rawLine in body.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(String(decoding: rawLine, as: UTF8.self))
            if line.last == "\r" { line = line.dropLast() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) || line.first == "#" { continue }
            let cells: [Substring]
            do {
                cells = try splitCells(line)
            } catch let failure as CellFailure {
                throw IOError(path: source, message: "line \(lineNumber): \(failure.message)")
            }
            if firstLine {
                firstLine = false
                let isHeader = header ?? cells.allSatisfy { Double(unquote(trim($0))) == nil }
                if isHeader {
                    names = cells.map { unquote(trim($0)) }
                    dimension = cells.count
                    continue
                }
            }
            if let d = dimension, cells.count != d {
                throw IOError(path: source,
                              message: "line \(lineNumber) has \(cells.count) cells, expected \(d) (ragged rows)")
            }
            dimension = cells.count
            for (j, cell) in cells.enumerated() {
                let trimmed = unquote(trim(cell))
                func where_() -> String {
                    if let names, j < names.count, !names[j].isEmpty {
                        return "line \(lineNumber), column \(j + 1) ('\(names[j])')"
                    }
                    return "line \(lineNumber), column \(j + 1)"
                }
                guard let value = Double(trimmed) else {
                    let shown = trimmed.isEmpty ? "empty cell" : "'\(trimmed)'"
                    throw IOError(path: source, message: "\(where_()): \(shown) is not a number")
                }
                if value.isNaN {
                    throw IOError(path: source, message: "\(where_()): NaN value")
                }
                if !value.isFinite && !allowInfinite {
                    throw IOError(path: source, message: "\(where_()): '\(trimmed)' is infinite or beyond the range of a double")
                }
                storage.append(value)
            }
        }
        guard let d = dimension, d > 0 else {
            throw IOError(path: source, message: "no data (empty file)")
        }
        return (names, Points(dimension: d, storage: storage))
    }

    // MARK: - Internals

    private struct CellFailure: Error { let message: String }

    /// Splits one line at commas outside double quotes (RFC 4180; no line breaks inside quotes).
    private static func splitCells(_ line: Substring) throws -> [Substring] {
        if !line.contains("\"") { return line.split(separator: ",", omittingEmptySubsequences: false) }
        var cells: [Substring] = []
        var start = line.startIndex
        var inQuotes = false
        var i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if c == "\"" {
                inQuotes.toggle()
            } else if c == "," && !inQuotes {
                cells.append(line[start..<i])
                start = line.index(after: i)
            }
            i = line.index(after: i)
        }
        if inQuotes { throw CellFailure(message: "unterminated quoted cell") }
        cells.append(line[start..<line.endIndex])
        return cells
    }

    private static func trim(_ s: Substring) -> Substring {
        var t = s
        while let f = t.first, f == " " || f == "\t" { t.removeFirst() }
        while let l = t.last, l == " " || l == "\t" { t.removeLast() }
        return t
    }

    /// Removes RFC 4180 quoting: `"a ""b"""` → `a "b"`.
    private static func unquote(_ s: Substring) -> String {
        guard s.count >= 2, s.first == "\"", s.last == "\"" else { return String(s) }
        return s.dropFirst().dropLast().replacingOccurrences(of: "\"\"", with: "\"")
    }

    /// Quotes a header name when it holds a comma, a quote or a line break.
    private static func quoted(_ name: String) -> String {
        guard name.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return name }
        return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// NumPy `.npy` files (spec/engineering.md §7, DESIGN.md §5).
///
/// The writer produces format v1.0 (v2.0 only when the header would not fit in 65535 bytes), dtype `'<f8'`,
/// C order: magic `\x93NUMPY`, version bytes, little-endian header length, an ASCII dict
/// `{'descr': '<f8', 'fortran_order': False, 'shape': (N, d), }` padded with spaces and ended by `\n` so that
/// the data start on a 64-byte boundary, then the raw little-endian float64 values.
///
/// The reader accepts versions 1.0, 2.0 and 3.0, C order only, and the dtypes `f8`, `f4`, `i8`, `i4`, `i2`,
/// `i1`, `u8`, `u4`, `u2`, `u1` and `b1` in either byte order, converting every value to `Double`.
public enum NPY {
    /// The six magic bytes that open every `.npy` file.
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    // MARK: Encoding

    /// The `.npy` bytes of `points` as a float64 array of shape `(count, dimension)` (spec/engineering.md §7).
    public static func encode(_ points: Points) -> [UInt8] {
        encode(values: points.storage, shape: [points.count, points.dimension])
    }

    /// The `.npy` bytes of `values` (C order) as a float64 array of any `shape`, e.g. `[n]` (written `(n,)`),
    /// `[N, d]` or `[chains, draws, d]` (spec/engineering.md §7).
    ///
    /// - Precondition: the product of `shape` equals `values.count` and no extent is negative.
    public static func encode(values: [Double], shape: [Int]) -> [UInt8] {
        precondition(shape.allSatisfy { $0 >= 0 }, "NPY.encode: negative extent in shape \(shape)")
        precondition(shape.reduce(1, *) == values.count,
                     "NPY.encode: shape \(shape) does not hold \(values.count) values")
        var bytes = header(shape: shape)
        bytes.reserveCapacity(bytes.count + 8 * values.count)
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for v in values {
            withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        #endif
        return bytes
    }

    /// The preamble (magic, version, header length, padded dict) of a `'<f8'` C-order array of `shape`.
    static func header(shape: [Int]) -> [UInt8] {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        let dict = Array("{'descr': '<f8', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
        // Version 1.0 has a 2-byte length (10-byte preamble), version 2.0 a 4-byte one (12-byte preamble).
        var prefixLength = 10
        var total = (prefixLength + dict.count + 1 + 63) / 64 * 64
        if total - prefixLength > Int(UInt16.max) {
            prefixLength = 12
            total = (prefixLength + dict.count + 1 + 63) / 64 * 64
        }
        let headerLength = total - prefixLength
        var out = magic
        out.reserveCapacity(total)
        if prefixLength == 10 {
            out += [1, 0, UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)]
        } else {
            out += [2, 0]
            for k in 0..<4 { out.append(UInt8((headerLength >> (8 * k)) & 0xFF)) }
        }
        out += dict
        out += [UInt8](repeating: 0x20, count: headerLength - dict.count - 1)
        out.append(0x0A)
        return out
    }

    /// Writes `points` to `path` as a `(count, dimension)` float64 `.npy` file, atomically
    /// (DESIGN.md §5). Throws ``IOError`` naming the path on failure.
    public static func write(_ points: Points, to path: String) throws {
        try AtomicFile.write(encode(points), to: path)
    }

    /// Writes `values` (C order) with any `shape` to `path` as a float64 `.npy` file, atomically
    /// (DESIGN.md §5; e.g. `(chains, draws, d)` MCMC draws). Throws ``IOError`` naming the path on failure.
    public static func write(values: [Double], shape: [Int], to path: String) throws {
        try AtomicFile.write(encode(values: values, shape: shape), to: path)
    }

    // MARK: Decoding

    /// Parses `.npy` bytes into their shape and C-order values converted to `Double`
    /// (spec/engineering.md §7).
    ///
    /// Throws ``IOError`` (with `source` as its path) for a bad magic string, an unknown version, a malformed
    /// header, an unsupported dtype, Fortran order, or data shorter or longer than the shape says.
    public static func decode(_ bytes: [UInt8], source: String = "<npy data>") throws -> (shape: [Int], values: [Double]) {
        func fail(_ message: String) -> IOError { IOError(path: source, message: message) }

        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not a NumPy .npy file (bad magic string)")
        }
        let major = bytes[6], minor = bytes[7]
        let headerStart: Int
        let headerLength: Int
        switch major {
        case 1:
            headerStart = 10
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated .npy header") }
            headerStart = 12
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
        default:
            throw fail("unsupported .npy format version \(major).\(minor)")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw fail("truncated .npy header (needs \(headerLength) bytes, file has \(bytes.count - headerStart))")
        }
        let headerText = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        let dict: [String: HeaderValue]
        do {
            var parser = HeaderParser(Array(headerText.unicodeScalars))
            dict = try parser.parseDict()
        } catch let error as HeaderParser.Failure {
            throw fail("malformed .npy header (\(error.message)): \(headerText.trimmingTrailingWhitespace())")
        }

        guard case .string(let descr)? = dict["descr"] else {
            if let other = dict["descr"] { throw fail("unsupported dtype \(other) (only plain numeric dtypes are read)") }
            throw fail("malformed .npy header: no 'descr' key")
        }
        guard let dtype = DType(descr) else {
            throw fail("unsupported dtype '\(descr)' (supported: f8, f4, i8, i4, i2, i1, u8, u4, u2, u1, b1)")
        }
        switch dict["fortran_order"] {
        case .bool(false)?: break
        case .bool(true)?: throw fail("Fortran-order arrays are not supported (save with C order)")
        default: throw fail("malformed .npy header: missing or invalid 'fortran_order'")
        }
        guard case .ints(let shape)? = dict["shape"] else {
            throw fail("malformed .npy header: missing or invalid 'shape'")
        }
        var count = 1
        for extent in shape {
            guard extent >= 0 else { throw fail("negative extent in shape \(formatShape(shape))") }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw fail("shape \(formatShape(shape)) is too large") }
            count = product
        }
        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        let (needed, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow else { throw fail("shape \(formatShape(shape)) is too large") }
        if available < needed {
            throw fail("truncated data: shape \(formatShape(shape)) of '\(descr)' needs \(needed) bytes, file has \(available)")
        }
        if available > needed {
            throw fail("\(available - needed) unexpected bytes after the data of shape \(formatShape(shape))")
        }
        let values = bytes.withUnsafeBytes { raw in
            dtype.convert(UnsafeRawBufferPointer(rebasing: raw[dataStart..<(dataStart + needed)]), count: count)
        }
        return (shape, values)
    }

    /// Reads a `.npy` file: its shape and its C-order values converted to `Double` (spec/engineering.md §7).
    /// Throws ``IOError`` naming the file and the problem.
    public static func read(path: String) throws -> (shape: [Int], values: [Double]) {
        try decode(AtomicFile.read(path: path), source: path)
    }

    /// Reads a `.npy` file of shape `(N, d)` (d ≥ 1) as ``Points``; a 1-D array `(n,)` is read as `(n, 1)`
    /// (spec/engineering.md §7). Throws ``IOError`` naming the file for any other shape or any format problem.
    public static func readPoints(path: String) throws -> Points {
        let (shape, values) = try read(path: path)
        switch shape.count {
        case 1:
            return Points(dimension: 1, storage: values)
        case 2:
            guard shape[1] > 0 else {
                throw IOError(path: path, message: "wrong shape \(formatShape(shape)): points need at least one column")
            }
            return Points(dimension: shape[1], storage: values)
        default:
            throw IOError(path: path, message: "wrong shape \(formatShape(shape)): expected a 2-D array (N, d) of points")
        }
    }

    /// `shape` written as Python does: `()`, `(n,)`, `(a, b)`.
    static func formatShape(_ shape: [Int]) -> String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}

// MARK: - dtype

/// A plain numeric NumPy dtype: byte order, kind and item size.
private struct DType {
    enum Kind { case float, signed, unsigned, bool }
    let kind: Kind
    let size: Int
    let bigEndian: Bool

    init?(_ descr: String) {
        let chars = Array(descr)
        guard chars.count >= 3 else { return nil }
        switch chars[0] {
        case "<": bigEndian = false
        case ">": bigEndian = true
        case "|", "=":
            #if _endian(little)
            bigEndian = false
            #else
            bigEndian = true
            #endif
        default: return nil
        }
        guard let size = Int(String(chars[2...])) else { return nil }
        switch (chars[1], size) {
        case ("f", 4), ("f", 8): kind = .float
        case ("i", 1), ("i", 2), ("i", 4), ("i", 8): kind = .signed
        case ("u", 1), ("u", 2), ("u", 4), ("u", 8): kind = .unsigned
        case ("b", 1): kind = .bool
        default: return nil
        }
        self.size = size
    }

    /// Reads `count` items from `raw` (exactly `count * size` bytes) as `Double`.
    func convert(_ raw: UnsafeRawBufferPointer, count: Int) -> [Double] {
        #if _endian(little)
        let swap = bigEndian
        #else
        let swap = !bigEndian
        #endif
        if kind == .float && size == 8 && !swap {
            return [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0 {
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
                }
                initialized = count
            }
        }
        var out = [Double](repeating: 0, count: count)
        for i in 0..<count {
            let offset = i * size
            switch size {
            case 1:
                let b = raw[offset]
                switch kind {
                case .signed: out[i] = Double(Int8(bitPattern: b))
                case .bool: out[i] = b != 0 ? 1 : 0
                default: out[i] = Double(b)
                }
            case 2:
                var bits = raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
                if swap { bits = bits.byteSwapped }
                out[i] = kind == .signed ? Double(Int16(bitPattern: bits)) : Double(bits)
            case 4:
                var bits = raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
                if swap { bits = bits.byteSwapped }
                switch kind {
                case .float: out[i] = Double(Float(bitPattern: bits))
                case .signed: out[i] = Double(Int32(bitPattern: bits))
                default: out[i] = Double(bits)
                }
            default:
                var bits = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                if swap { bits = bits.byteSwapped }
                switch kind {
                case .float: out[i] = Double(bitPattern: bits)
                case .signed: out[i] = Double(Int64(bitPattern: bits))
                default: out[i] = Double(bits)
                }
            }
        }
        return out
    }
}

// MARK: - Header dict parser

/// A value of the header dict.
private enum HeaderValue: CustomStringConvertible {
    case string(String)
    case bool(Bool)
    case ints([Int])
    case other(String)

    var description: String {
        switch self {
        case .string(let s): return "'\(s)'"
        case .bool(let b): return b ? "True" : "False"
        case .ints(let v): return NPY.formatShape(v)
        case .other(let s): return s
        }
    }
}

/// A parser for the Python literal dict of a `.npy` header: string keys; string, boolean and
/// integer-tuple values; anything else (nested lists of a structured dtype) is kept as text.
private struct HeaderParser {
    struct Failure: Error { let message: String }

    let text: [Unicode.Scalar]
    var i = 0

    init(_ text: [Unicode.Scalar]) { self.text = text }

    var current: Unicode.Scalar? { i < text.count ? text[i] : nil }

    mutating func skipSpace() {
        while let c = current, c == " " || c == "\n" || c == "\t" || c == "\r" { i += 1 }
    }

    mutating func expect(_ c: Unicode.Scalar) throws {
        skipSpace()
        guard current == c else {
            throw Failure(message: "expected '\(c)' at offset \(i)")
        }
        i += 1
    }

    mutating func parseDict() throws -> [String: HeaderValue] {
        var result: [String: HeaderValue] = [:]
        try expect("{")
        while true {
            skipSpace()
            if current == "}" { i += 1; break }
            let key = try parseString()
            try expect(":")
            result[key] = try parseValue()
            skipSpace()
            if current == "," { i += 1; continue }
            if current == "}" { i += 1; break }
            throw Failure(message: "expected ',' or '}' at offset \(i)")
        }
        skipSpace()
        guard i == text.count else { throw Failure(message: "unexpected text after the dict") }
        return result
    }

    mutating func parseString() throws -> String {
        skipSpace()
        guard let quote = current, quote == "'" || quote == "\"" else {
            throw Failure(message: "expected a quoted string at offset \(i)")
        }
        i += 1
        var s = String.UnicodeScalarView()
        while let c = current, c != quote {
            s.append(c)
            i += 1
        }
        guard current == quote else { throw Failure(message: "unterminated string") }
        i += 1
        return String(s)
    }

    mutating func parseValue() throws -> HeaderValue {
        skipSpace()
        guard let c = current else { throw Failure(message: "missing value") }
        switch c {
        case "'", "\"":
            return .string(try parseString())
        case "(":
            i += 1
            var values: [Int] = []
            while true {
                skipSpace()
                if current == ")" { i += 1; break }
                values.append(try parseInt())
                skipSpace()
                if current == "," { i += 1; continue }
                if current == ")" { i += 1; break }
                throw Failure(message: "expected ',' or ')' in shape at offset \(i)")
            }
            return .ints(values)
        case "[", "{":
            let start = i
            var depth = 0
            repeat {
                guard let d = current else { throw Failure(message: "unbalanced brackets") }
                if d == "[" || d == "{" || d == "(" { depth += 1 }
                if d == "]" || d == "}" || d == ")" { depth -= 1 }
                if d == "'" || d == "\"" { _ = try parseString(); continue }
                i += 1
            } while depth > 0
            var s = String.UnicodeScalarView()
            s.append(contentsOf: text[start..<i])
            return .other(String(s))
        default:
            var word = String.UnicodeScalarView()
            while let d = current, d != ",", d != "}", d != " " {
                word.append(d)
                i += 1
            }
            switch String(word) {
            case "True": return .bool(true)
            case "False": return .bool(false)
            default: return .other(String(word))
            }
        }
    }

    mutating func parseInt() throws -> Int {
        skipSpace()
        var digits = ""
        if current == "-" { digits.append("-"); i += 1 }
        while let c = current, c.properties.numericType == .decimal, c.isASCII {
            digits.unicodeScalars.append(c)
            i += 1
        }
        if current == "L" { i += 1 }  // Python 2 long literal
        guard let value = Int(digits) else { throw Failure(message: "expected an integer at offset \(i)") }
        return value
    }
}

extension String {
    fileprivate func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return String(s)
    }
}

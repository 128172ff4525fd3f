import FoundationEssentials

/// A mixture described in a JSON file, so that a user can bring a target without writing Swift (README
/// "Targets from a file"):
///
/// - Gaussian: `{"weights": [...], "means": [[...], ...], "variances": [...]}` (isotropic variance per component) or
///   `"diagonal": [[...], ...]` (one variance per coordinate) instead of `"variances"`;
/// - binary (on `{-1, +1}^d`): `{"weights": [...], "probabilities": [[P(x_i = +1), ...], ...]}`;
/// - Gamma products (on `[0, ∞)^d`): `{"weights": [...], "shapes": [[...], ...], "rates": [[...], ...]}`.
///
/// Every check names the file and the field: weights non-negative and summing to 1 within 1e-9, rows of one length,
/// variances, shapes and rates positive and finite, probabilities in [0, 1].
public struct MixtureFile {
    public let path: String
    public let weights: [Double]
    let object: [String: JSONValue]

    /// Reads and checks the common part (the weights) of the file at `path`.
    public init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IOError(path: path, message: "cannot read the mixture file")
        }
        let parsed: JSONValue
        do { parsed = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw IOError(path: path, message: "not valid JSON (or a number beyond the range of a double)")
        }
        guard case .object(let object) = parsed else {
            throw IOError(path: path, message: "the mixture must be a JSON object with a 'weights' field")
        }
        self.object = object
        weights = try Self.vector(object, "weights", path: path)
        guard !weights.isEmpty else { throw IOError(path: path, message: "field 'weights' is empty") }
        guard weights.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw IOError(path: path, message: "field 'weights' must be finite and non-negative")
        }
        let sum = weights.reduce(0, +)
        guard abs(sum - 1) <= 1e-9 else {
            throw IOError(path: path, message: "field 'weights' must sum to 1 within 1e-9 (it sums to \(sum))")
        }
    }

    /// Throws for a field outside `known` (a typo would otherwise be ignored).
    public func requireOnly(_ known: [String]) throws {
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw IOError(path: path, message: "unknown field '\(unknown)' (known: \(known.joined(separator: ", ")))")
        }
    }

    /// Whether the file has `field`.
    public func has(_ field: String) -> Bool { object[field] != nil }

    /// A rectangular `weights.count × d` table of finite numbers, each checked by `valid` (described by `rule`).
    public func table(_ field: String, rule: String? = nil, _ valid: (Double) -> Bool = { _ in true }) throws -> [[Double]] {
        guard case .array(let raw) = object[field] else {
            throw IOError(path: path, message: "field '\(field)' is missing or not an array of arrays of numbers")
        }
        let rows = try raw.enumerated().map { i, row -> [Double] in
            guard case .array(let r) = row else {
                throw IOError(path: path, message: "field '\(field)': row \(i + 1) is not an array of numbers")
            }
            return try r.map { try Self.number($0, field: field, path: path) }
        }
        try checkRows(rows, field)
        if let rule, let bad = rows.joined().first(where: { !valid($0) }) {
            throw IOError(path: path, message: "field '\(field)': \(rule) (got \(bad))")
        }
        return rows
    }

    /// One number per component, each checked by `valid`.
    public func perComponent(_ field: String, rule: String, _ valid: (Double) -> Bool) throws -> [Double] {
        let v = try Self.vector(object, field, path: path)
        guard v.count == weights.count else {
            throw IOError(path: path, message: "field '\(field)' has \(v.count) entries for \(weights.count) weights")
        }
        if let bad = v.first(where: { !valid($0) }) {
            throw IOError(path: path, message: "field '\(field)': \(rule) (got \(bad))")
        }
        return v
    }

    func checkRows(_ rows: [[Double]], _ field: String) throws {
        guard rows.count == weights.count else {
            throw IOError(path: path, message: "field '\(field)' has \(rows.count) rows for \(weights.count) weights")
        }
        let d = rows.first?.count ?? 0
        guard d > 0 else { throw IOError(path: path, message: "field '\(field)': rows must not be empty") }
        if let i = rows.firstIndex(where: { $0.count != d }) {
            throw IOError(path: path, message: "field '\(field)' is ragged: row \(i + 1) has \(rows[i].count) numbers, row 1 has \(d)")
        }
    }

    static func vector(_ object: [String: JSONValue], _ field: String, path: String) throws -> [Double] {
        guard case .array(let raw) = object[field] else {
            throw IOError(path: path, message: "field '\(field)' is missing or not an array of numbers")
        }
        return try raw.map { try number($0, field: field, path: path) }
    }

    static func number(_ v: JSONValue, field: String, path: String) throws -> Double {
        guard case .number(let x) = v else {
            throw IOError(path: path, message: "field '\(field)' must hold numbers only")
        }
        guard x.isFinite else { throw IOError(path: path, message: "field '\(field)' holds a non-finite number") }
        return x
    }
}

/// A JSON value with its numbers decoded exactly (JSONDecoder's conversion; Foundation's JSONSerialization on Linux rounds
/// about half of all decimal doubles by an ulp).
enum JSONValue: Decodable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])
    case null

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let x = try? c.decode(Double.self) {
            self = .number(x)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }
}

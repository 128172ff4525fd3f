import Foundation

/// Append-only JSON Lines logs (`runs.jsonl` of `slips bench` and `slips experiment`): one sorted-keys JSON object
/// per line, each appended and flushed to disk as soon as its run ends, so an interrupted run loses nothing finished.
public enum JSONLines {
    /// The encoder of every record: sorted keys, so equal records are equal lines.
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }

    /// Drops an incomplete last line (no newline: a run killed or a disk filled while appending) from `path`, so
    /// that the next append starts on a line of its own. Returns whether it dropped anything.
    @discardableResult
    public static func repairTornTail(_ path: String) throws -> Bool {
        guard let h = FileHandle(forUpdatingAtPath: path) else { return false }
        defer { try? h.close() }
        // Only the last byte is read unless it is not a newline.
        let size = try h.seekToEnd()
        guard size > 0 else { return false }
        try h.seek(toOffset: size - 1)
        if try h.read(upToCount: 1)?.first == UInt8(ascii: "\n") { return false }
        try h.seek(toOffset: 0)
        let data = try h.readToEnd() ?? Data()
        guard let last = data.last, last != UInt8(ascii: "\n") else { return false }
        let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        try h.truncate(atOffset: UInt64(keep))
        try h.synchronize()
        return true
    }

    /// Appends `value` as one line to `path` (created if missing) and syncs it; an incomplete last line left by an
    /// interrupted append is dropped first (``repairTornTail(_:)``).
    public static func append<T: Encodable>(_ value: T, to path: String) throws {
        try repairTornTail(path)
        var line = try encoder().encode(value)
        line.append(UInt8(ascii: "\n"))
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let h = FileHandle(forWritingAtPath: path) else {
            throw IOError(path: path, message: "cannot open for appending")
        }
        defer { try? h.close() }
        try h.seekToEnd()
        try h.write(contentsOf: line)
        try h.synchronize()
    }

    /// A decoding error in a few words (the field and what is wrong with it).
    static func describe(_ error: Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func field(_ path: [CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch e {
        case .keyNotFound(let key, let c): return "missing field '\(field(c.codingPath + [key]))'"
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return "field '\(field(c.codingPath))' has the wrong type"
        case .dataCorrupted(let c): return c.codingPath.isEmpty ? "not valid JSON" : "field '\(field(c.codingPath))' is invalid"
        @unknown default: return "not decodable"
        }
    }

    /// The records of `path`, one per non-empty line. A last line without its newline that does not decode (a run
    /// killed while appending) is skipped; any other line that does not decode is an error naming the line.
    public static func read<T: Decodable>(_ type: T.Type, path: String, what: String, allowTornTail: Bool = true) throws -> [T] {
        let text = String(decoding: try AtomicFile.read(path: path), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let decoder = JSONDecoder()
        var out: [T] = []
        for (i, line) in lines.enumerated() where !line.isEmpty {
            do {
                out.append(try decoder.decode(T.self, from: Data(line.utf8)))
            } catch {
                if allowTornTail && i == lines.count - 1 && !text.hasSuffix("\n") { break }
                throw IOError(path: path, message: "line \(i + 1) is not \(what) (\(describe(error)))")
            }
        }
        return out
    }
}

extension JSONLines {
    /// Opens the resumable log `directory/runs.jsonl` of an experiment: creates the folder, drops a torn last line
    /// (saying so through `log`) and returns the records already there.
    public static func openLog<T: Decodable>(
        _ type: T.Type, directory: String, what: String, log: (String) -> Void
    ) throws -> [T] {
        try AtomicFile.createDirectory(directory)
        let path = directory + "/runs.jsonl"
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        if try repairTornTail(path) {
            log("\(path): dropped an incomplete last line (a run interrupted while writing it); that cell runs again")
        }
        return try read(T.self, path: path, what: what)
    }
}

import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

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
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // Only the last byte is read unless it is not a newline.
        let size = lseek(fd, 0, SEEK_END)
        guard size >= 0 else { throw IOError(path: path, message: "cannot seek") }
        guard size > 0 else { return false }
        var last: UInt8 = 0
        guard pread(fd, &last, 1, size - 1) == 1 else { throw IOError(path: path, message: "cannot read") }
        if last == UInt8(ascii: "\n") { return false }
        var data = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        while done < data.count {
            let n = data.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, $0.count - done, off_t(done)) }
            guard n > 0 else { throw IOError(path: path, message: "cannot read") }
            done += n
        }
        let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        guard ftruncate(fd, off_t(keep)) == 0, fsync(fd) == 0 else { throw IOError(path: path, message: "cannot truncate a torn last line") }
        return true
    }

    /// Appends `value` as one line to `path` (created if missing) and syncs it; an incomplete last line left by an
    /// interrupted append is dropped first (``repairTornTail(_:)``).
    public static func append<T: Encodable>(_ value: T, to path: String) throws {
        try repairTornTail(path)
        var line = try encoder().encode(value)
        line.append(UInt8(ascii: "\n"))
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw IOError(path: path, message: "cannot open for appending") }
        defer { close(fd) }
        var done = 0
        while done < line.count {
            let n = line.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw IOError(path: path, message: "cannot append" + (n < 0 ? " (\(String(cString: strerror(errno))))" : "")) }
            done += n
        }
        guard fsync(fd) == 0 else { throw IOError(path: path, message: "cannot sync") }
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

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An input/output failure: which file, and what went wrong (DESIGN.md §4: "one clear line on error").
///
/// `description` is a single line `path: message`, fit to print as the CLI's error line.
public struct IOError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file (or directory) concerned.
    public let path: String
    /// What went wrong, without the path.
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// One line: `path: message`.
    public var description: String { "\(path): \(message)" }
}

/// Atomic file writes (DESIGN.md §5: "Writes are atomic (temporary file, then rename): an interrupted run
/// never leaves a half file").
///
/// The bytes go to a fresh temporary file in the destination's directory, are flushed to disk, and the file
/// is then renamed over the destination, so a reader sees either the old file or the whole new one.
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically (temporary file in the same directory, `fsync`, `rename`).
    ///
    /// Throws ``IOError`` naming the path when the directory does not exist or is not writable, when the disk
    /// is full, or when `path` is a directory. On failure no temporary file is left behind and an existing
    /// file at `path` is untouched.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try bytes.withUnsafeBufferPointer { try write(UnsafeRawBufferPointer($0), to: path) }
    }

    /// Writes the UTF-8 encoding of `text` to `path` atomically (see ``write(_:to:)``).
    public static func write(text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// Writes raw bytes to `path` atomically (see ``write(_:to:)``).
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        let (directory, _) = try splitPath(path)
        try requireDirectory(directory, for: path)
        try requireReplaceable(path)
        let (fd, temporary) = try createTemporary(for: path)
        var ok = false
        defer {
            if !ok { _ = unlink(temporary) }
        }
        do {
            try writeAll(fd: fd, bytes, path: path)
            if fsync(fd) != 0 {
                let message = lastError()
                _ = close(fd)
                throw IOError(path: path, message: "cannot flush the file to disk (\(message))")
            }
        } catch {
            _ = close(fd)
            throw error
        }
        if close(fd) != 0 {
            throw IOError(path: path, message: "cannot close the temporary file (\(lastError()))")
        }
        if rename(temporary, path) != 0 {
            throw IOError(path: path, message: "cannot move the temporary file into place (\(lastError()))")
        }
        ok = true
        syncDirectory(directory)
    }

    /// Verifies up front that `path` can be written: its directory exists and is a directory, `path` itself
    /// is not a directory, and a file can be created in the directory (a probe file is created and deleted).
    ///
    /// Call it before a long computation so that a bad `--output` fails before the run starts.
    public static func checkWritable(path: String) throws {
        let (directory, _) = try splitPath(path)
        try requireDirectory(directory, for: path)
        try requireReplaceable(path)
        let (fd, temporary) = try createTemporary(for: path)
        _ = close(fd)
        _ = unlink(temporary)
    }

    /// Throws unless `path` is missing or a regular file: an atomic write renames over its target, which would
    /// replace a device (`/dev/null`), a FIFO, a socket or a symbolic link with a plain file. Symbolic links are
    /// refused rather than followed, so a write never lands somewhere the user did not name.
    public static func requireReplaceable(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw IOError(path: path, message: "is a directory, not a file")
        case S_IFLNK:
            throw IOError(path: path, message: "is a symbolic link; name the file it points to (Slips replaces files by renaming, which would replace the link)")
        default:
            throw IOError(path: path, message: "is not a regular file (a device, FIFO or socket); Slips writes only regular files")
        }
    }

    /// `path` with its directory resolved (symbolic links, `.` and `..`) and its last component kept, so that two
    /// names of one file compare equal even before the file exists.
    public static func canonicalPath(_ path: String) -> String {
        let (directory, name) = (try? splitPath(path)) ?? (".", path)
        guard let resolved = realpath(directory, nil) else { return path }
        defer { free(resolved) }
        let d = String(cString: resolved)
        return (d.hasSuffix("/") ? d : d + "/") + name
    }

    /// Throws when two of `paths` (option name, path) name the same file; `inputs` are files read, which no output
    /// may name either.
    public static func requireDistinct(outputs: [(String, String)], inputs: [(String, String)] = []) throws {
        let canonical = outputs.map { ($0.0, $0.1, canonicalPath($0.1)) }
        for i in canonical.indices {
            for j in canonical.indices where j > i && canonical[i].2 == canonical[j].2 {
                throw IOError(path: canonical[j].1, message: "\(canonical[i].0) and \(canonical[j].0) name the same file")
            }
            for (option, input) in inputs where canonicalPath(input) == canonical[i].2 {
                throw IOError(path: canonical[i].1, message: "\(canonical[i].0) would overwrite the \(option) input")
            }
        }
    }

    /// Creates the directory `path` and its missing parents; throws one ``IOError`` with the system's reason.
    public static func createDirectory(_ path: String) throws {
        if path.isEmpty { throw IOError(path: path, message: "empty directory name") }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + part
            var st = stat()
            if stat(prefix, &st) == 0 {
                if (st.st_mode & S_IFMT) != S_IFDIR { throw IOError(path: path, message: "'\(prefix)' is not a directory") }
                continue
            }
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw IOError(path: path, message: "cannot create the directory '\(prefix)' (\(lastError()))")
            }
        }
    }

    /// Reads the whole file at `path`.
    ///
    /// Throws ``IOError`` naming the path when it does not exist, is a directory, or cannot be read.
    public static func read(path: String) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below like any non-regular file.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            throw IOError(path: path, message: "cannot open for reading (\(lastError()))")
        }
        defer { _ = close(fd) }
        var st = stat()
        if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
            throw IOError(path: path, message: "is a directory, not a file")
        }
        if (st.st_mode & S_IFMT) != S_IFREG {
            throw IOError(path: path, message: "is not a regular file (a device, FIFO or socket)")
        }
        var result: [UInt8] = []
        let hint = Int(st.st_size)
        if hint > 0 { result.reserveCapacity(hint) }
        let chunkSize = 1 << 20
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc_read(fd, $0.baseAddress!, chunkSize) }
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError(path: path, message: "read failed (\(lastError()))")
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    // MARK: - Internals

    /// `(directory, file name)` of `path`; the directory is "." for a bare name.
    static func splitPath(_ path: String) throws -> (String, String) {
        if path.isEmpty { throw IOError(path: path, message: "empty file name") }
        if path.hasSuffix("/") { throw IOError(path: path, message: "is a directory path, not a file name") }
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        let name = String(path[path.index(after: slash)...])
        return (directory.isEmpty ? "/" : directory, name)
    }

    static func requireDirectory(_ directory: String, for path: String) throws {
        var st = stat()
        if stat(directory, &st) != 0 {
            throw IOError(path: path, message: "directory '\(directory)' is not accessible (\(lastError()))")
        }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            throw IOError(path: path, message: "'\(directory)' is not a directory")
        }
    }

    /// Creates a new, empty temporary file next to `path`; returns its descriptor and name.
    static func createTemporary(for path: String) throws -> (Int32, String) {
        let (directory, name) = try splitPath(path)
        let prefix = path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
        var attempt = 0
        while true {
            // A one-off random suffix (not a simulation stream): only needs to avoid collisions.
            let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let temporary = "\(prefix).\(name).tmp-\(getpid())-\(suffix)"
            let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 { return (fd, temporary) }
            let code = errno
            if code == EEXIST && attempt < 16 {
                attempt += 1
                continue
            }
            throw IOError(
                path: path,
                message: "cannot create a file in directory '\(directory)' (\(String(cString: strerror(code))))")
        }
    }

    static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc_write(fd, p, Swift.min(left, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw IOError(path: path, message: "write failed (\(lastError()))")
            }
            p += n
            left -= n
        }
    }

    /// Best effort: makes the rename itself durable.
    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            _ = close(fd)
        }
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}

// `read`/`write` are shadowed inside `AtomicFile` by its own static methods; these reach the C functions.
@inline(__always)
private func Glibc_read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

@inline(__always)
private func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}

import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

// What the library's reports need from text formatting without Foundation (issue 26: the core imports only
// FoundationEssentials, so the runtime that ships with the C library and the Python wheel carries no ICU).

/// printf-style formatting through C's `vsnprintf`: the same text as Foundation's `String(format:)` for numbers and
/// integers (`%.3f`, `%g`, `%d`, ...); strings go in by interpolation. The library and the command line format with it
/// so that neither needs Foundation (issue 26).
public func cFormat(_ format: String, _ arguments: [any CVarArg]) -> String {
    // The C locale's numbers whatever locale a host process (Python's `locale.setlocale`) has set.
    let previous = cNumericLocale.map { uselocale($0) }
    defer { if let previous { uselocale(previous) } }
    let count = withVaList(arguments) { vsnprintf(nil, 0, format, $0) }
    guard count > 0 else { return "" }
    var buffer = [CChar](repeating: 0, count: Int(count) + 1)
    _ = buffer.withUnsafeMutableBufferPointer { b in withVaList(arguments) { vsnprintf(b.baseAddress, b.count, format, $0) } }
    return String(decoding: buffer.prefix(Int(count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The "C" numeric locale, made once.
nonisolated(unsafe) private let cNumericLocale: locale_t? = newlocale(LC_NUMERIC_MASK, "C", nil)

extension String {
    /// ``cFormat(_:_:)`` under Foundation's name (internal: where Foundation is imported, its own is used).
    init(format: String, _ arguments: any CVarArg...) {
        self = cFormat(format, arguments)
    }

}

extension StringProtocol {
    /// The text without leading and trailing white space (spaces, tabs, line breaks).
    public var trimmed: String {
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }

    /// `replacingOccurrences(of:with:)` without Foundation (internal: the CLI and the tests see Foundation's).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return String(self) }
        var result = ""
        var rest = Substring(self)
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        result += rest
        return result
    }
}

/// `date` as ISO 8601 in UTC, `2026-12-05T15:20:00Z` (as Foundation's `ISO8601DateFormatter`).
func iso8601(_ date: Date = Date()) -> String {
    var now = time_t(date.timeIntervalSince1970.rounded(.down))
    var parts = tm()
    gmtime_r(&now, &parts)
    var buffer = [CChar](repeating: 0, count: 32)
    let n = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
    return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Runs `executable` with `arguments` and waits for it (optional helpers such as rsvg-convert), as Foundation's
/// `Process` did: standard output and error inherited, default signal handling and an empty signal mask in the child
/// (the library opens its own descriptors close-on-exec); failures are ignored.
func runAndWait(_ executable: String, _ arguments: [String]) {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t(), all = sigset_t()
    sigemptyset(&none)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid = pid_t()
    guard posix_spawn(&pid, executable, nil, &attributes, argv, environ) == 0 else { return }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
}

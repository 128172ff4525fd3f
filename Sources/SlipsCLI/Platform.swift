#if canImport(Glibc)
import Glibc
#endif
import Slips

// The few things the command line took from Foundation, so that it imports only FoundationEssentials (no ICU: the
// Python wheel that bundles it stays small, issue 26).

extension String {
    /// ``cFormat(_:_:)`` under Foundation's name.
    init(format: String, _ arguments: any CVarArg...) {
        self = cFormat(format, arguments)
    }

    /// Exactly `width` characters: padded with spaces or cut (as Foundation's `padding(toLength:withPad:startingAt:)`).
    func padded(to width: Int) -> String {
        count >= width ? String(prefix(width)) : self + String(repeating: " ", count: width - count)
    }
}

/// Writes `text` to standard error as it is (no newline added), unbuffered.
func writeError(_ text: String) { writeAll(2, text) }

/// Writes `text` to standard output, unbuffered.
func writeOutput(_ text: String) { writeAll(1, text) }

private func writeAll(_ descriptor: Int32, _ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return }
        bytes = bytes.dropFirst(n)
    }
}

/// The folder holding `path` (`a/b/c` → `a/b`, `/a` → `/`, `a` → empty), as NSString's `deletingLastPathComponent`.
func parentPath(_ path: String) -> String {
    var s = Substring(path)
    while s.count > 1 && s.hasSuffix("/") { s = s.dropLast() }
    guard let i = s.lastIndex(of: "/") else { return "" }
    if i == s.startIndex { return "/" }
    var parent = s[..<i]
    while parent.count > 1 && parent.hasSuffix("/") { parent = parent.dropLast() }
    return String(parent)
}

/// Runs `body` on a new detached thread of its own (not the dispatch pool, whose threads are a run's workers).
func detachThread(_ body: @escaping @Sendable () -> Void) {
    final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
    let context = Unmanaged.passRetained(Body(body)).toOpaque()
    var thread = pthread_t()
    let started = pthread_create(&thread, nil, { context in
        Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
        return nil
    }, context)
    if started == 0 {
        pthread_detach(thread)
    } else {
        Unmanaged<Body>.fromOpaque(context).release()
    }
}

/// Whether `path` exists and is a directory (nil: it does not exist).
func isDirectory(_ path: String) -> Bool? {
    var s = stat()
    guard stat(path, &s) == 0 else { return nil }
    return (s.st_mode & S_IFMT) == S_IFDIR
}

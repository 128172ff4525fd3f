import FoundationEssentials

/// The version of Slips and, when the running executable sits in a git checkout (`.build/…/slips` of a clone), the
/// commit it was built from; both go into every run summary, benchmark record and experiment record.
public enum SlipsVersion {
    /// Semantic version of the package.
    public static let version = "0.6.0"

    /// The commit of the checkout around the running executable (`HEAD` resolved through `refs/` or
    /// `packed-refs`), nil outside a checkout. It names the checked-out commit, which may differ from the build's if
    /// the tree changed since.
    public static let gitCommit: String? = Checkout.root.flatMap { headCommit(gitDirectory: $0 + "/.git") }

    /// `version` and, when known, ` (commit abcdef123456)`.
    public static var description: String {
        version + (gitCommit.map { " (commit \($0.prefix(12)))" } ?? "")
    }

    static func headCommit(gitDirectory g: String) -> String? {
        guard let head = try? String(contentsOfFile: g + "/HEAD", encoding: .utf8)
            .trimmed else { return nil }
        guard head.hasPrefix("ref: ") else { return isHash(head) ? head : nil }
        let ref = String(head.dropFirst(5))
        if let c = try? String(contentsOfFile: g + "/" + ref, encoding: .utf8).trimmed,
           isHash(c) {
            return c
        }
        let packed = (try? String(contentsOfFile: g + "/packed-refs", encoding: .utf8)) ?? ""
        for line in packed.split(separator: "\n") where line.hasSuffix(" " + ref) {
            let c = String(line.prefix(40))
            if isHash(c) { return c }
        }
        return nil
    }

    static func isHash(_ s: String) -> Bool { s.count == 40 && s.allSatisfy(\.isHexDigit) }
}

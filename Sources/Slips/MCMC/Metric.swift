import RealModule

/// The shape of the Euclidean metric (inverse mass matrix M⁻¹) of HMC and NUTS (Betancourt 2017, §4.2; Stan's
/// `unit_e`, `diag_e`, `dense_e`).
public enum MetricKind: String, Sendable, CaseIterable {
    case identity
    case diagonal
    case dense
}

/// The inverse mass matrix of each chain of a batch (DESIGN.md §2, "Kernels": a per-chain tunable that window
/// adaptation sets). The kinetic energy is `K(p) = ½ pᵀ M⁻¹ p`, the velocity `dq/dt = M⁻¹ p`, and momenta are drawn
/// from `N(0, M)`.
///
/// Identity metrics store nothing; diagonal metrics store `d` values per chain; dense ones `d × d` values per chain and
/// the lower Cholesky factor `L` of `M⁻¹ = L Lᵀ`, so that `p = L⁻ᵀ z` (z standard normal) has covariance M.
public struct ChainMetric: Sendable {
    public private(set) var kind: MetricKind
    public let count: Int
    public let dimension: Int
    /// Per chain: the diagonal of M⁻¹ (`count × d`), or M⁻¹ row-major (`count × d × d`); empty for the identity.
    public private(set) var inverseMass: [Double]
    var choleskyInverseMass: [Double]

    /// The identity metric for `count` chains.
    public init(count: Int, dimension: Int) {
        kind = .identity
        self.count = count
        self.dimension = dimension
        inverseMass = []
        choleskyInverseMass = []
    }

    var stride: Int { kind == .dense ? dimension * dimension : dimension }

    /// Sets chain `i`'s M⁻¹ to `values` (d values for a diagonal metric, d × d row-major for a dense one). The first
    /// call fixes the kind. Returns false, leaving the chain's metric unchanged, when `values` is not positive
    /// definite (or not finite).
    @discardableResult
    public mutating func set(chain i: Int, kind newKind: MetricKind, values: [Double]) -> Bool {
        precondition(newKind != .identity && (kind == .identity || kind == newKind), "a batch has one metric kind")
        let d = dimension
        if kind == .identity {
            kind = newKind
            inverseMass = newKind == .dense ? (0..<count).flatMap { _ in Self.identityMatrix(d) } : [Double](repeating: 1, count: count * d)
            choleskyInverseMass = newKind == .dense ? inverseMass : []
        }
        if newKind == .diagonal {
            guard values.count == d, values.allSatisfy({ $0 > 0 && $0.isFinite }) else { return false }
            for j in 0..<d { inverseMass[i * d + j] = values[j] }
            return true
        }
        guard values.count == d * d, let l = choleskyLower(values, d) else { return false }
        for k in 0..<(d * d) {
            inverseMass[i * d * d + k] = values[k]
            choleskyInverseMass[i * d * d + k] = l[k]
        }
        return true
    }

    /// The identity as a row-major d × d matrix.
    static func identityMatrix(_ d: Int) -> [Double] {
        var m = [Double](repeating: 0, count: d * d)
        for j in 0..<d { m[j * d + j] = 1 }
        return m
    }

    /// Raw access for the kernels.
    func withPointers<R>(_ body: (MetricPointers) -> R) -> R {
        inverseMass.withUnsafeBufferPointer { m in
            choleskyInverseMass.withUnsafeBufferPointer { l in
                body(MetricPointers(kind: kind, dimension: dimension, inverseMass: m.baseAddress, cholesky: l.baseAddress))
            }
        }
    }
}

/// A metric's arrays during a kernel step; every operation takes the chain index.
struct MetricPointers {
    let kind: MetricKind
    let dimension: Int
    let inverseMass: UnsafePointer<Double>?
    let cholesky: UnsafePointer<Double>?

    /// `v = M⁻¹ p` for chain `i`.
    @inline(__always)
    func velocity(chain i: Int, _ p: UnsafePointer<Double>, into v: UnsafeMutablePointer<Double>) {
        let d = dimension
        switch kind {
        case .identity:
            for j in 0..<d { v[j] = p[j] }
        case .diagonal:
            let m = inverseMass! + i * d
            for j in 0..<d { v[j] = m[j] * p[j] }
        case .dense:
            let m = inverseMass! + i * d * d
            for a in 0..<d {
                var s = 0.0
                let row = m + a * d
                for b in 0..<d { s = Relaxed.multiplyAdd(row[b], p[b], s) }
                v[a] = s
            }
        }
    }

    /// Overwrites the standard normals `z` with a momentum `p ~ N(0, M)`, for chain `i`.
    @inline(__always)
    func momentum(chain i: Int, fromNormals z: UnsafeMutablePointer<Double>) {
        let d = dimension
        switch kind {
        case .identity:
            return
        case .diagonal:
            let m = inverseMass! + i * d
            for j in 0..<d { z[j] /= m[j].squareRoot() }
        case .dense:
            // Solve Lᵀ p = z (back substitution) in place.
            let l = cholesky! + i * d * d
            for a in Swift.stride(from: d - 1, through: 0, by: -1) {
                var s = z[a]
                for b in (a + 1)..<d { s -= l[b * d + a] * z[b] }
                z[a] = s / l[a * d + a]
            }
        }
    }
}

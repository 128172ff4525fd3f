import RealModule

/// Eigen-decomposition of a symmetric matrix by the cyclic Jacobi method (Golub and Van Loan §8.5): `A = V diag(λ) Vᵀ`
/// with orthonormal columns V. Accurate to rounding for the small dense matrices it serves (d up to a few hundred:
/// the Laplace covariances of the phi^4 stand-in); O(d³) per sweep, a handful of sweeps.
public struct SymmetricEigen: Sendable {
    /// λ_i.
    public let values: [Double]
    /// V, row-major `d × d`; column i is the eigenvector of `values[i]`.
    public let vectors: [Double]
    public let dimension: Int

    /// A decomposition given by its parts.
    public init(values: [Double], vectors: [Double], dimension: Int) {
        self.values = values
        self.vectors = vectors
        self.dimension = dimension
    }

    /// Decomposes the row-major symmetric `d × d` matrix `a` (its upper triangle is used).
    public init(_ a: [Double], dimension d: Int) {
        var m = a
        var v = [Double](repeating: 0, count: d * d)
        for i in 0..<d { v[i * d + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0, scale = 0.0
            for i in 0..<d {
                scale += m[i * d + i] * m[i * d + i]
                for j in (i + 1)..<Swift.max(i + 1, d) { off += m[i * d + j] * m[i * d + j] }
            }
            if off <= 1e-30 * Swift.max(scale, 1e-300) { break }
            for p in 0..<d {
                for q in (p + 1)..<Swift.max(p + 1, d) where m[p * d + q] != 0 {
                    let apq = m[p * d + q], app = m[p * d + p], aqq = m[q * d + q]
                    let theta = (aqq - app) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<d {
                        let mkp = m[k * d + p], mkq = m[k * d + q]
                        m[k * d + p] = c * mkp - s * mkq
                        m[k * d + q] = s * mkp + c * mkq
                    }
                    for k in 0..<d {
                        let mpk = m[p * d + k], mqk = m[q * d + k]
                        m[p * d + k] = c * mpk - s * mqk
                        m[q * d + k] = s * mpk + c * mqk
                    }
                    for k in 0..<d {
                        let vkp = v[k * d + p], vkq = v[k * d + q]
                        v[k * d + p] = c * vkp - s * vkq
                        v[k * d + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        values = (0..<d).map { m[$0 * d + $0] }
        vectors = v
        dimension = d
    }
}

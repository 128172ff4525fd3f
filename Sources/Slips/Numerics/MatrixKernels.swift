import RealModule
internal import SlipsKernels

/// Small dense matrix kernels (DESIGN.md §1 "Numerics", §6: the default build needs nothing but the toolchain; the
/// row dots run in the package's C target `SlipsKernels`), used by the batched targets of spec/slips.md §2.3 (logistic regression: logits and
/// gradients of a whole batch as two matrix products).
///
/// The one product is `C = A·Bᵀ` with row-major `A` (m×k) and `B` (n×k): every entry is a dot product of two
/// contiguous rows, the form in which both products of the logistic regression come (with the design matrix
/// stored once as rows and once transposed). The kernel packs `A` in panels of 4 rows, walks `B` in blocks
/// that stay in L1, and computes 4×2 tiles of `C` in registers with `Relaxed.multiplyAdd` (the reductions over
/// `k` vectorise). Every entry is computed by the same micro-kernel on zero-padded tiles, whatever `m`, `n` and
/// the entry's position: `C[p][q]` depends only on rows `A[p]`, `B[q]` and `k`, bit for bit, so a batched call
/// equals row-by-row calls exactly.
public enum MatrixKernels {
    /// Rows of `A` per register tile.
    @usableFromInline static let tileRows = 4
    /// Rows of `B` per register tile.
    @usableFromInline static let tileColumns = 2

    /// `C[p·ldc + q] = Σ_{t<k} A[p·lda + t] · B[q·ldb + t]` for `p < m`, `q < n` (`C = A·Bᵀ`).
    ///
    /// - Precondition: `m, n >= 0`, `k >= 0`, `lda, ldb >= k`, `ldc >= n`; `C` does not overlap `A` or `B`.
    public static func multiplyTransposed(
        _ a: UnsafePointer<Double>, rows m: Int, stride lda: Int,
        _ b: UnsafePointer<Double>, rows n: Int, stride ldb: Int,
        depth k: Int,
        into c: UnsafeMutablePointer<Double>, stride ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0 && lda >= k && ldb >= k && ldc >= n, "bad matrix shape")
        if m == 0 || n == 0 { return }
        if k == 0 {
            for p in 0..<m { for q in 0..<n { c[p * ldc + q] = 0 } }
            return
        }
        let mr = tileRows, nr = tileColumns
        let panels = (m + mr - 1) / mr
        // Pack A in panels of 4 contiguous rows (zero rows pad the last panel), plus one zero row of B for an odd n.
        let packed = UnsafeMutablePointer<Double>.allocate(capacity: panels * mr * k + k)
        defer { packed.deallocate() }
        let zeroRow = packed + panels * mr * k
        zeroRow.initialize(repeating: 0, count: k)
        for panel in 0..<panels {
            for r in 0..<mr {
                let p = panel * mr + r, dst = packed + (panel * mr + r) * k
                if p < m {
                    dst.initialize(from: a + p * lda, count: k)
                } else {
                    dst.initialize(repeating: 0, count: k)
                }
            }
        }
        // B in blocks of about 16 KiB (L1), each block reused by every panel of A.
        let blockRows = max(nr, (2048 / k) / nr * nr)
        var q0 = 0
        while q0 < n {
            let q1 = min(n, q0 + blockRows)
            for panel in 0..<panels {
                let ap = UnsafePointer(packed + panel * mr * k)
                let rows = min(mr, m - panel * mr)
                var q = q0
                while q < q1 {
                    let b0 = b + q * ldb
                    let b1 = q + 1 < n ? b + (q + 1) * ldb : UnsafePointer(zeroRow)
                    let t = microKernel(ap, k, b0, b1)
                    let cols = min(nr, n - q)
                    let out = c + panel * mr * ldc + q
                    store(t, rows: rows, cols: cols, out, ldc)
                    q += nr
                }
            }
            q0 = q1
        }
    }

    /// `C = A Bᵀ` by row: `c[r, j] = Σ_t a[r, t] b[j, t]` for the rows of A and B (the logistic gradients `R X̃`, one
    /// pass over B per pair of rows of A). Every entry is computed by the same arithmetic whatever tile (2 × 2, 2 × 4 or
    /// 4 × 4 rows of A × rows of B, or one row of A) computes it: 4-lane products added in order over `t`, the lanes summed, then a scalar tail — no
    /// fused multiply-add and no reassociation — so that a row's result never depends on the other rows of its batch (a
    /// row alone equals the row in a batch, bit for bit; shards concatenate to the unsharded run). It runs in the C target
    /// `SlipsKernels`, in the variant ``DenseKernels/instructionSet`` names; every variant gives the same bits (unless
/// `SLIPS_BLAS` names an external BLAS: ``DenseKernels/usesExternalBLAS``).
    public static func rowDots(
        _ a: UnsafePointer<Double>, rows m: Int, stride lda: Int,
        _ b: UnsafePointer<Double>, rows n: Int, stride ldb: Int,
        depth k: Int,
        into c: UnsafeMutablePointer<Double>, stride ldc: Int
    ) {
        slips_drowdots(a, m, lda, b, n, ldb, k, c, ldc)  // SlipsKernels, dispatched as DenseKernels.multiply
    }

    /// The 4×2 register tile: `Σ_t a_r[t] b_s[t]` for the 4 packed rows `a_r = a + r·k` and the rows `b0`, `b1`.
    @inline(__always)
    static func microKernel(
        _ a: UnsafePointer<Double>, _ k: Int, _ b0: UnsafePointer<Double>, _ b1: UnsafePointer<Double>
    ) -> (Double, Double, Double, Double, Double, Double, Double, Double) {
        let a0 = a, a1 = a + k, a2 = a + 2 * k, a3 = a + 3 * k
        var c00 = 0.0, c01 = 0.0, c10 = 0.0, c11 = 0.0, c20 = 0.0, c21 = 0.0, c30 = 0.0, c31 = 0.0
        for t in 0..<k {
            let x0 = b0[t], x1 = b1[t]
            let y0 = a0[t], y1 = a1[t], y2 = a2[t], y3 = a3[t]
            c00 = Relaxed.multiplyAdd(y0, x0, c00)
            c01 = Relaxed.multiplyAdd(y0, x1, c01)
            c10 = Relaxed.multiplyAdd(y1, x0, c10)
            c11 = Relaxed.multiplyAdd(y1, x1, c11)
            c20 = Relaxed.multiplyAdd(y2, x0, c20)
            c21 = Relaxed.multiplyAdd(y2, x1, c21)
            c30 = Relaxed.multiplyAdd(y3, x0, c30)
            c31 = Relaxed.multiplyAdd(y3, x1, c31)
        }
        return (c00, c01, c10, c11, c20, c21, c30, c31)
    }

    @inline(__always)
    static func store(
        _ t: (Double, Double, Double, Double, Double, Double, Double, Double), rows: Int, cols: Int,
        _ c: UnsafeMutablePointer<Double>, _ ldc: Int
    ) {
        if rows == 4 && cols == 2 {
            c[0] = t.0; c[1] = t.1
            c[ldc] = t.2; c[ldc + 1] = t.3
            c[2 * ldc] = t.4; c[2 * ldc + 1] = t.5
            c[3 * ldc] = t.6; c[3 * ldc + 1] = t.7
            return
        }
        withUnsafeBytes(of: t) { raw in
            let v = raw.bindMemory(to: Double.self)
            for r in 0..<rows {
                for s in 0..<cols { c[r * ldc + s] = v[r * 2 + s] }
            }
        }
    }
}

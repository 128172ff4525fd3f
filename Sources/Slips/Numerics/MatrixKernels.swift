import RealModule

/// Small dense matrix kernels in pure Swift (DESIGN.md §1 "Numerics", §6: the default build needs nothing but
/// the toolchain), used by the batched targets of spec/slips.md §2.3 (logistic regression: logits and
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
    /// pass over B per pair of rows of A). Every entry is computed by the same arithmetic whatever kernel variant (2 × 2
    /// or 1 × 2 rows) computes it: 4-lane products added in order over `t`, the lanes summed, then a scalar tail — no
    /// fused multiply-add and no reassociation — so that a row's result never depends on the other rows of its batch (a
    /// row alone equals the row in a batch, bit for bit; shards concatenate to the unsharded run).
    public static func rowDots(
        _ a: UnsafePointer<Double>, rows m: Int, stride lda: Int,
        _ b: UnsafePointer<Double>, rows n: Int, stride ldb: Int,
        depth k: Int,
        into c: UnsafeMutablePointer<Double>, stride ldc: Int
    ) {
        typealias V = SIMD4<Double>
        let vk = k / 4 * 4
        var r = 0
        while r + 2 <= m {
            let a0 = a + r * lda, a1 = a0 + lda
            var j = 0
            while j + 2 <= n {
                let b0 = b + j * ldb, b1 = b0 + ldb
                var s00 = V.zero, s01 = V.zero, s10 = V.zero, s11 = V.zero
                var t = 0
                while t < vk {
                    let x0: V = DenseKernels.load(a0 + t), x1: V = DenseKernels.load(a1 + t)
                    let y0: V = DenseKernels.load(b0 + t), y1: V = DenseKernels.load(b1 + t)
                    s00 = s00 + x0 * y0
                    s01 = s01 + x0 * y1
                    s10 = s10 + x1 * y0
                    s11 = s11 + x1 * y1
                    t += 4
                }
                c[r * ldc + j] = laneSum(s00, a0, b0, from: vk, to: k)
                c[r * ldc + j + 1] = laneSum(s01, a0, b1, from: vk, to: k)
                c[(r + 1) * ldc + j] = laneSum(s10, a1, b0, from: vk, to: k)
                c[(r + 1) * ldc + j + 1] = laneSum(s11, a1, b1, from: vk, to: k)
                j += 2
            }
            if j < n {
                rowDotsSingleRow(a0, b + j * ldb, ldb, 1, k, c + r * ldc + j)
                rowDotsSingleRow(a1, b + j * ldb, ldb, 1, k, c + (r + 1) * ldc + j)
            }
            r += 2
        }
        if r < m { rowDotsSingleRow(a + r * lda, b, ldb, n, k, c + r * ldc) }
    }

    /// One row of A against `n` rows of B, two at a time (a last one alone), with ``rowDots``'s arithmetic.
    @inline(__always)
    static func rowDotsSingleRow(_ a0: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ ldb: Int, _ n: Int, _ k: Int,
                                 _ c: UnsafeMutablePointer<Double>) {
        typealias V = SIMD4<Double>
        let vk = k / 4 * 4
        var j = 0
        while j + 2 <= n {
            let b0 = b + j * ldb, b1 = b0 + ldb
            var s0 = V.zero, s1 = V.zero
            var t = 0
            while t < vk {
                let x: V = DenseKernels.load(a0 + t)
                s0 = s0 + x * DenseKernels.load(b0 + t)
                s1 = s1 + x * DenseKernels.load(b1 + t)
                t += 4
            }
            c[j] = laneSum(s0, a0, b0, from: vk, to: k)
            c[j + 1] = laneSum(s1, a0, b1, from: vk, to: k)
            j += 2
        }
        if j < n {
            let bj = b + j * ldb
            var s = V.zero, t = 0
            while t < vk {
                s = s + DenseKernels.load(a0 + t) * DenseKernels.load(bj + t)
                t += 4
            }
            c[j] = laneSum(s, a0, bj, from: vk, to: k)
        }
    }

    /// ``rowDots``'s entry: the four lanes summed, then the scalar tail `Σ_{t ∈ [from, to)} x[t] y[t]` added in order.
    @inline(__always)
    static func laneSum(_ s: SIMD4<Double>, _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, from: Int, to: Int) -> Double {
        var t = s.sum()
        for i in from..<to { t = t + x[i] * y[i] }
        return t
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

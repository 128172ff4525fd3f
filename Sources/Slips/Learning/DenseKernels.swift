/// Single-precision dense kernels of the learned denoisers (spec/denoising.md §6.5; DESIGN.md §1 "Numerics"):
/// the row-major product `C = A·B (+ C)` and a transpose, in pure Swift.
///
/// The product computes tiles of 4 rows × 16 columns of `C` in eight `SIMD8<Float>` registers, broadcasting
/// `A[i][t]` against the contiguous row `B[t][j..<j+16]`; columns left over are done 8, then 1 at a time. Every
/// entry accumulates over `t = 0..<k` in order with a separate multiply and add (no fused multiply-add), in every
/// path, so an entry depends only on its row of `A`, its column of `B` and `k`: results are bitwise the same
/// whatever the tiling, and therefore whatever the thread count of the caller.
public enum DenseKernels {
    /// `C[i·ldc + j] (+)= Σ_t A[i·lda + t] · B[t·ldb + j]` for `i < m`, `j < n`.
    @inline(__always)
    public static func multiply(
        _ a: UnsafePointer<Float>, rows m: Int, depth k: Int, stride lda: Int,
        _ b: UnsafePointer<Float>, columns n: Int, stride ldb: Int,
        into c: UnsafeMutablePointer<Float>, stride ldc: Int, accumulate: Bool
    ) {
        var i = 0
        while i + 4 <= m {
            multiplyRows(4, a + i * lda, k, lda, b, n, ldb, c + i * ldc, ldc, accumulate)
            i += 4
        }
        while i < m {
            multiplyRows(1, a + i * lda, k, lda, b, n, ldb, c + i * ldc, ldc, accumulate)
            i += 1
        }
    }

    /// One panel of `r` (4 or 1) rows.
    @inline(__always)
    static func multiplyRows(
        _ r: Int, _ a: UnsafePointer<Float>, _ k: Int, _ lda: Int, _ b: UnsafePointer<Float>, _ n: Int, _ ldb: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
    ) {
        var j = 0
        if r == 4 {
            while j + 16 <= n {
                tile4x16(a, k, lda, b + j, ldb, c + j, ldc, accumulate)
                j += 16
            }
        }
        while j + 8 <= n {
            for row in 0..<r { tile1x8(a + row * lda, k, b + j, ldb, c + row * ldc + j, accumulate) }
            j += 8
        }
        while j < n {
            for row in 0..<r {
                var s: Float = accumulate ? c[row * ldc + j] : 0
                let ar = a + row * lda
                for t in 0..<k { s = s + ar[t] * b[t * ldb + j] }
                c[row * ldc + j] = s
            }
            j += 1
        }
    }

    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func tile4x16(
        _ a: UnsafePointer<Float>, _ k: Int, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
        _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool
    ) {
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        if accumulate {
            c00 = load8(c); c01 = load8(c + 8)
            c10 = load8(c + ldc); c11 = load8(c + ldc + 8)
            c20 = load8(c + 2 * ldc); c21 = load8(c + 2 * ldc + 8)
            c30 = load8(c + 3 * ldc); c31 = load8(c + 3 * ldc + 8)
        }
        let a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda
        for t in 0..<k {
            let bt = b + t * ldb
            let b0 = load8(bt), b1 = load8(bt + 8)
            let x0 = SIMD8(repeating: a[t]), x1 = SIMD8(repeating: a1[t])
            let x2 = SIMD8(repeating: a2[t]), x3 = SIMD8(repeating: a3[t])
            c00 = c00 + x0 * b0; c01 = c01 + x0 * b1
            c10 = c10 + x1 * b0; c11 = c11 + x1 * b1
            c20 = c20 + x2 * b0; c21 = c21 + x2 * b1
            c30 = c30 + x3 * b0; c31 = c31 + x3 * b1
        }
        store8(c00, c); store8(c01, c + 8)
        store8(c10, c + ldc); store8(c11, c + ldc + 8)
        store8(c20, c + 2 * ldc); store8(c21, c + 2 * ldc + 8)
        store8(c30, c + 3 * ldc); store8(c31, c + 3 * ldc + 8)
    }

    @inline(__always)
    static func tile1x8(
        _ a: UnsafePointer<Float>, _ k: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ c: UnsafeMutablePointer<Float>,
        _ accumulate: Bool
    ) {
        var s = accumulate ? load8(c) : SIMD8<Float>()
        for t in 0..<k { s = s + SIMD8(repeating: a[t]) * load8(b + t * ldb) }
        store8(s, c)
    }

    /// `out[j·rows + i] = x[i·ldx + j]` for `i < rows`, `j < columns` (the columns × rows transpose).
    @inline(__always)
    public static func transpose(
        _ x: UnsafePointer<Float>, rows: Int, columns: Int, stride ldx: Int, into out: UnsafeMutablePointer<Float>
    ) {
        for i in 0..<rows {
            let xi = x + i * ldx
            for j in 0..<columns { out[j * rows + i] = xi[j] }
        }
    }
}

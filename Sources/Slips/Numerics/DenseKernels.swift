/// A floating-point type the dense kernels run on, with the SIMD vector of 32 bytes that holds its lanes
/// (`SIMD8<Float>`, `SIMD4<Double>`: one AVX register, two SSE2 registers).
public protocol DenseScalar: BinaryFloatingPoint, SIMDScalar, Codable where Lanes.Scalar == Self {
    associatedtype Lanes: SIMD
}

extension Float: DenseScalar { public typealias Lanes = SIMD8<Float> }
extension Double: DenseScalar { public typealias Lanes = SIMD4<Double> }

/// Dense kernels in pure Swift (DESIGN.md §1 "Numerics"; the default build needs nothing but the toolchain): the
/// row-major product `C = A·B (+ C)` and a transpose, in single precision for the learned denoisers (spec/denoising.md
/// §6.5) and double precision for the batched logistic regressions (spec/slips.md §2.3: logits and gradients of a
/// batch of parameter vectors as two products).
///
/// The product computes tiles of 4 rows × 2 vectors of columns of `C` (4 × 16 floats, 4 × 8 doubles) in eight
/// SIMD registers (a lone row: 1 row × 4 vectors), broadcasting `A[i][t]` against the contiguous row `B[t][j..<j+2L]`; columns left over are done one
/// vector, then one column at a time. Every entry accumulates over `t = 0..<k` in order with a separate multiply and
/// add (no fused multiply-add, whatever the target CPU), in every path, so an entry depends only on its row of `A`, its
/// column of `B` and `k`: results are bitwise the same whatever the tiling, the batch size and the thread count of
/// the caller.
public enum DenseKernels {
    /// `C[i·ldc + j] (+)= Σ_t A[i·lda + t] · B[t·ldb + j]` for `i < m`, `j < n`.
    @_specialize(exported: true, where T == Float)
    @_specialize(exported: true, where T == Double)
    @inline(__always)
    public static func multiply<T: DenseScalar>(
        _ a: UnsafePointer<T>, rows m: Int, depth k: Int, stride lda: Int,
        _ b: UnsafePointer<T>, columns n: Int, stride ldb: Int,
        into c: UnsafeMutablePointer<T>, stride ldc: Int, accumulate: Bool
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
    static func multiplyRows<T: DenseScalar>(
        _ r: Int, _ a: UnsafePointer<T>, _ k: Int, _ lda: Int, _ b: UnsafePointer<T>, _ n: Int, _ ldb: Int,
        _ c: UnsafeMutablePointer<T>, _ ldc: Int, _ accumulate: Bool
    ) {
        let lanes = T.Lanes.scalarCount
        var j = 0
        if r == 4 {
            while j + 2 * lanes <= n {
                tile4x2(a, k, lda, b + j, ldb, c + j, ldc, accumulate)
                j += 2 * lanes
            }
        } else {
            // A single row: four independent accumulators hide the add latency (a single row is NUTS's per-point call).
            while j + 4 * lanes <= n {
                tile1x4(a, k, b + j, ldb, c + j, accumulate)
                j += 4 * lanes
            }
        }
        while j + lanes <= n {
            for row in 0..<r { tile1x1(a + row * lda, k, b + j, ldb, c + row * ldc + j, accumulate) }
            j += lanes
        }
        while j < n {
            for row in 0..<r {
                var s: T = accumulate ? c[row * ldc + j] : 0
                let ar = a + row * lda
                for t in 0..<k { s = s + ar[t] * b[t * ldb + j] }
                c[row * ldc + j] = s
            }
            j += 1
        }
    }

    @inline(__always)
    static func load<T: DenseScalar>(_ p: UnsafePointer<T>) -> T.Lanes {
        UnsafeRawPointer(p).loadUnaligned(as: T.Lanes.self)
    }

    @inline(__always)
    static func store<T: DenseScalar>(_ v: T.Lanes, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: T.Lanes.self)
    }

    /// The 4 × 2-vector register tile.
    @inline(__always)
    static func tile4x2<T: DenseScalar>(
        _ a: UnsafePointer<T>, _ k: Int, _ lda: Int, _ b: UnsafePointer<T>, _ ldb: Int,
        _ c: UnsafeMutablePointer<T>, _ ldc: Int, _ accumulate: Bool
    ) {
        let l = T.Lanes.scalarCount
        var c00 = T.Lanes(), c01 = T.Lanes(), c10 = T.Lanes(), c11 = T.Lanes()
        var c20 = T.Lanes(), c21 = T.Lanes(), c30 = T.Lanes(), c31 = T.Lanes()
        if accumulate {
            c00 = load(c); c01 = load(c + l)
            c10 = load(c + ldc); c11 = load(c + ldc + l)
            c20 = load(c + 2 * ldc); c21 = load(c + 2 * ldc + l)
            c30 = load(c + 3 * ldc); c31 = load(c + 3 * ldc + l)
        }
        let a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda
        for t in 0..<k {
            let bt = b + t * ldb
            let b0: T.Lanes = load(bt), b1: T.Lanes = load(bt + l)
            let x0 = T.Lanes(repeating: a[t]), x1 = T.Lanes(repeating: a1[t])
            let x2 = T.Lanes(repeating: a2[t]), x3 = T.Lanes(repeating: a3[t])
            c00 = c00 + x0 * b0; c01 = c01 + x0 * b1
            c10 = c10 + x1 * b0; c11 = c11 + x1 * b1
            c20 = c20 + x2 * b0; c21 = c21 + x2 * b1
            c30 = c30 + x3 * b0; c31 = c31 + x3 * b1
        }
        store(c00, c); store(c01, c + l)
        store(c10, c + ldc); store(c11, c + ldc + l)
        store(c20, c + 2 * ldc); store(c21, c + 2 * ldc + l)
        store(c30, c + 3 * ldc); store(c31, c + 3 * ldc + l)
    }

    /// One row × four vectors of columns.
    @inline(__always)
    static func tile1x4<T: DenseScalar>(
        _ a: UnsafePointer<T>, _ k: Int, _ b: UnsafePointer<T>, _ ldb: Int, _ c: UnsafeMutablePointer<T>, _ accumulate: Bool
    ) {
        let l = T.Lanes.scalarCount
        var s0 = T.Lanes(), s1 = T.Lanes(), s2 = T.Lanes(), s3 = T.Lanes()
        if accumulate {
            s0 = load(c); s1 = load(c + l); s2 = load(c + 2 * l); s3 = load(c + 3 * l)
        }
        for t in 0..<k {
            let x = T.Lanes(repeating: a[t]), bt = b + t * ldb
            s0 = s0 + x * load(bt); s1 = s1 + x * load(bt + l)
            s2 = s2 + x * load(bt + 2 * l); s3 = s3 + x * load(bt + 3 * l)
        }
        store(s0, c); store(s1, c + l); store(s2, c + 2 * l); store(s3, c + 3 * l)
    }

    /// One row × one vector of columns.
    @inline(__always)
    static func tile1x1<T: DenseScalar>(
        _ a: UnsafePointer<T>, _ k: Int, _ b: UnsafePointer<T>, _ ldb: Int, _ c: UnsafeMutablePointer<T>, _ accumulate: Bool
    ) {
        var s: T.Lanes = accumulate ? load(c) : T.Lanes()
        for t in 0..<k { s = s + T.Lanes(repeating: a[t]) * load(b + t * ldb) }
        store(s, c)
    }

    /// `out[j·rows + i] = x[i·ldx + j]` for `i < rows`, `j < columns` (the columns × rows transpose).
    @inline(__always)
    public static func transpose<T>(
        _ x: UnsafePointer<T>, rows: Int, columns: Int, stride ldx: Int, into out: UnsafeMutablePointer<T>
    ) {
        for i in 0..<rows {
            let xi = x + i * ldx
            for j in 0..<columns { out[j * rows + i] = xi[j] }
        }
    }
}

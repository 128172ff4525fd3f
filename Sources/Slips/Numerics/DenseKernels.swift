internal import SlipsKernels

/// Dense kernels (DESIGN.md §1 "Numerics"): the row-major product `C = A·B (+ C)` and a transpose, in single precision
/// for the learned denoisers (spec/denoising.md §6.5) and double precision for the batched logistic regressions
/// (spec/slips.md §2.3: logits and gradients of a batch of parameter vectors as two products).
///
/// The products run in the package's C target `SlipsKernels`, compiled for the build's baseline instruction set and,
/// on x86-64, for AVX2 and AVX-512; the first call picks the best the CPU runs (``instructionSet``), so the default
/// portable build runs AVX-512 code on a CPU that has it (the default build still needs nothing but the toolchain).
/// The product computes tiles of 4 rows (8 with AVX-512) × 2 vectors of columns of `C` (a lone row: 1 row × 4
/// vectors); columns left over are done one vector, then in the low lanes of one vector. Every entry accumulates over `t = 0..<k` in order with a
/// separate multiply and add (no fused multiply-add, in every variant), so an entry depends only on its row of `A`, its
/// column of `B` and `k`: results are bitwise the same whatever the tiling, the batch size, the thread count of the
/// caller and the variant that ran.
public enum DenseKernels {
    /// Whether the double products (``multiply(_:rows:depth:stride:_:columns:stride:into:stride:accumulate:)`` and
    /// ``MatrixKernels/rowDots(_:rows:stride:_:rows:stride:depth:into:stride:)``) run through an external BLAS: the
    /// `cblas_dgemm` of the library named by the environment variable `SLIPS_BLAS` (e.g. `libopenblas.so.0`), loaded at
    /// the first product, an opt-in for speed. Its results agree with the built-in kernels to rounding, not bit for bit
    /// (its own order of additions, fused multiply-adds), so recorded results are reproduced without it. A library that
    /// cannot be loaded gives one message on standard error and the built-in kernels.
    public static var usesExternalBLAS: Bool { slips_blas_active() != 0 }

    /// The instruction set of the kernel variant in use.
    public enum InstructionSet: String, Sendable {
        case portable, avx2, avx512
    }

    /// The variant the kernels run: the best this CPU runs, capped by the environment variable `SLIPS_KERNELS`
    /// (`portable`, `avx2` or `avx512`), read at the first call.
    public static var instructionSet: InstructionSet {
        switch slips_kernels_level() {
        case Int32(SLIPS_KERNELS_AVX512): .avx512
        case Int32(SLIPS_KERNELS_AVX2): .avx2
        default: .portable
        }
    }

    /// Runs the kernels on `set` or the best below it this CPU runs (tests compare the variants); returns the variant
    /// then in use. Not for use while other threads run kernels.
    @discardableResult
    public static func useInstructionSet(_ set: InstructionSet) -> InstructionSet {
        let level: Int32 = switch set {
        case .portable: Int32(SLIPS_KERNELS_PORTABLE)
        case .avx2: Int32(SLIPS_KERNELS_AVX2)
        case .avx512: Int32(SLIPS_KERNELS_AVX512)
        }
        _ = slips_kernels_set_level(level)
        return instructionSet
    }

    /// `C[i·ldc + j] (+)= Σ_t A[i·lda + t] · B[t·ldb + j]` for `i < m`, `j < n`, in double precision.
    @inline(__always)
    public static func multiply(
        _ a: UnsafePointer<Double>, rows m: Int, depth k: Int, stride lda: Int,
        _ b: UnsafePointer<Double>, columns n: Int, stride ldb: Int,
        into c: UnsafeMutablePointer<Double>, stride ldc: Int, accumulate: Bool
    ) {
        slips_dgemm(a, m, k, lda, b, n, ldb, c, ldc, accumulate ? 1 : 0)
    }

    /// `C[i·ldc + j] (+)= Σ_t A[i·lda + t] · B[t·ldb + j]` for `i < m`, `j < n`, in single precision.
    @inline(__always)
    public static func multiply(
        _ a: UnsafePointer<Float>, rows m: Int, depth k: Int, stride lda: Int,
        _ b: UnsafePointer<Float>, columns n: Int, stride ldb: Int,
        into c: UnsafeMutablePointer<Float>, stride ldc: Int, accumulate: Bool
    ) {
        slips_sgemm(a, m, k, lda, b, n, ldb, c, ldc, accumulate ? 1 : 0)
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

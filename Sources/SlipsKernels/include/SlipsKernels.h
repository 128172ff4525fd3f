// Dense kernels of the Slips library compiled for several instruction sets and chosen at run time
// (issue 24; DESIGN.md §1 "Numerics"). Internal to the package: the Swift API is `DenseKernels`,
// `MatrixKernels.rowDots` and the logistic regressions; no header here is installed.
//
// Every variant does the same floating-point operations in the same order (no fused multiply-add: the
// sources are compiled with contraction off), so results are bitwise the same whichever variant runs (the optional
// external BLAS of SLIPS_BLAS, below, is the one exception: it agrees to rounding).
#ifndef SLIPS_KERNELS_H
#define SLIPS_KERNELS_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The variants: 0 portable (the baseline of the build), 2 AVX2, 3 AVX-512 (x86-64 only).
enum { SLIPS_KERNELS_PORTABLE = 0, SLIPS_KERNELS_AVX2 = 2, SLIPS_KERNELS_AVX512 = 3 };

/// The variant in use: the best this CPU runs, capped by the environment variable SLIPS_KERNELS
/// (`portable`, `avx2`, `avx512`) or by slips_kernels_set_level.
int slips_kernels_level(void);

/// Caps the variant at `level` (tests compare the variants); returns the variant then in use.
int slips_kernels_set_level(int level);

/// The optional external BLAS for the double products (slips_dgemm, slips_drowdots): a library with cblas_dgemm
/// (OpenBLAS, BLIS, MKL) named by the environment variable SLIPS_BLAS, loaded at the first product (one message on
/// standard error, and the built-in kernels, if it cannot be). Results then agree with the built-in kernels to
/// rounding, not bit for bit. slips_blas_active: 1 when it is in use.
int slips_blas_active(void);

/// One product C (+)= A·B (transposeB 0) or A·B^T (1) through `library`'s cblas_dgemm, whatever SLIPS_BLAS says (the
/// tests compare it with the built-in kernels); returns 0, computing nothing, if the library cannot be loaded.
int slips_blas_product(const char *library, int transposeB, const double *a, ptrdiff_t m, ptrdiff_t k, ptrdiff_t lda,
                       const double *b, ptrdiff_t n, ptrdiff_t ldb, double *c, ptrdiff_t ldc, int accumulate);

/// C[i*ldc + j] (+)= sum_t A[i*lda + t] * B[t*ldb + j], for i < m, j < n; every entry added in order over t.
void slips_dgemm(const double *a, ptrdiff_t m, ptrdiff_t k, ptrdiff_t lda, const double *b, ptrdiff_t n,
                 ptrdiff_t ldb, double *c, ptrdiff_t ldc, int accumulate);
void slips_sgemm(const float *a, ptrdiff_t m, ptrdiff_t k, ptrdiff_t lda, const float *b, ptrdiff_t n,
                 ptrdiff_t ldb, float *c, ptrdiff_t ldc, int accumulate);

/// c[r*ldc + j] = sum_t a[r*lda + t] * b[j*ldb + t] for r < m, j < n: four-lane products added in order over t,
/// the lanes summed in order, then the scalar tail (MatrixKernels.rowDots).
void slips_drowdots(const double *a, ptrdiff_t m, ptrdiff_t lda, const double *b, ptrdiff_t n, ptrdiff_t ldb,
                    ptrdiff_t k, double *c, ptrdiff_t ldc);

/// The logistic likelihood of one row of logits z against labels y (n points): returns
/// sum_i y_i zc_i - softplus(zc_i) over zc = clip(z, lo, hi) and, when `residuals`, overwrites z_i with
/// y_i - sigmoid(zc_i) (0 where clipped). Eight points at a time; VectorMath.softplusAndSigmoid's arithmetic.
double slips_logistic_row(double *z, const double *y, ptrdiff_t n, double lo, double hi, int residuals);

/// out[i] = e^x[i] for i < n (VectorMath.exp: x clamped to [-708, 709], a degree-11 polynomial, 1 ulp).
void slips_exp(const double *x, ptrdiff_t n, double *out);

/// softplus(z) and sigmoid(z) for n values (VectorMath.softplusAndSigmoid).
void slips_softplus_sigmoid(const double *z, ptrdiff_t n, double *softplus, double *sigmoid);

/// The Ziggurat's slow path for a draw `first` that left the fast path, continuing the xoshiro256++ stream `state`
/// (4 words) in place (Ziggurat.slowPath).
typedef double (*slips_slow_normal)(uint64_t first, uint64_t *state);

/// The Langevin proposal of n chains with rows of d (Kernels.swift's langevinProposal): for chain i, d standard normals
/// z from its xoshiro256++ stream streams[4i ..< 4i + 4] by the 256-layer Ziggurat with layer boundaries `layers`
/// (257 values), xp_i = (x_i + h_i g_i) + sqrt(2 h_i) z and norms[i] = sum_j z_j^2 in order. Several chains draw in
/// vector lanes; every chain gets exactly its own stream's draws, whatever the variant.
void slips_langevin_proposal(uint64_t *streams, ptrdiff_t n, ptrdiff_t d, const double *x, const double *g,
                             const double *h, double *xp, double *norms, const double *layers, slips_slow_normal slow);

/// Sums over coordinates in the functions below have one order in every variant and build: eight lanes, lane l adding
/// the terms j = l (mod 8) in increasing j, then the lanes as ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)).

/// The diagonal Gaussian mixture sum_k exp(c_k - 1/2 sum_j P_kj (x_j - mu_kj)^2) at `count` points of dimension d
/// (GaussianMixture.evaluate): log-density and gradient, eight points at a time with the vector exponential of
/// slips_exp; `scratch` holds 8 × `components` values.
void slips_mixture_evaluate(const double *x, ptrdiff_t count, ptrdiff_t d, ptrdiff_t components, const double *means,
                            const double *precisions, const double *logNormalizers, double *logDensity,
                            double *gradient, double *scratch);

/// The localization tilt -|alpha x - y|^2 p / 2 added to `count` evaluated rows (LocalizationPosterior), row r observing
/// observations[(r / chainsPerObservation) * d ...].
void slips_localization_tilt(const double *x, ptrdiff_t count, ptrdiff_t d, const double *observations,
                             ptrdiff_t chainsPerObservation, double alpha, double precision, double *logDensity,
                             double *gradient);

/// MALA's log acceptance ratios of n chains with rows of d: out[i] = ((lp_i - l_i) - b_i / (4 h_i)) + norms_i / 2 with
/// the backward term b_i = |x_i - xp_i - h_i gp_i|^2; -inf where that is NaN or lp_i is NaN or +inf.
void slips_mala_log_ratios(ptrdiff_t n, ptrdiff_t d, const double *x, const double *xp, const double *gp,
                           const double *h, const double *proposalLogDensity, const double *logDensity,
                           const double *norms, double *out);

/// Metropolis acceptance probabilities in place: p_i = min(1, e^{p_i}) for the log-ratios p_i, 0 below -708 (and for
/// -inf or NaN), the exponential by slips_exp's polynomial.
void slips_acceptance_probabilities(double *p, ptrdiff_t n);

/// The Metropolis decisions of n chains with acceptance probabilities p: chain i accepts without a draw when
/// p_i >= 1, else when u < p_i for one uniform u = (xoshiro256++ output >> 11) 2^-53 from its stream; an accepted chain
/// copies its proposal's row of xp and gp into x and g and its log-density into logDensity. accepted[i] records it.
void slips_metropolis_accept(uint64_t *streams, ptrdiff_t n, ptrdiff_t d, const double *p, double *x, double *g,
                             double *logDensity, const double *xp, const double *gp, const double *proposalLogDensity,
                             bool *accepted);

#ifdef __cplusplus
}
#endif

#endif

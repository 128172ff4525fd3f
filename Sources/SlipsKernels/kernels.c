// Run-time dispatch of the dense kernels (include/SlipsKernels.h): each .inc file is compiled once per instruction set
// (portable, AVX2, AVX-512 on x86-64) from the same source, and the first call picks the best the CPU runs.
#include "SlipsKernels.h"
#include "blas.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// One rounding per operation, as the Swift code: never fuse a multiply and an add, whatever the instruction set.
#pragma clang fp contract(off)
#ifdef __FAST_MATH__
#error "SlipsKernels promises the same bits in every variant: do not build it with -ffast-math"
#endif
// The vector helpers are static and inlined: no call passes a vector across a variant boundary.
#pragma clang diagnostic ignored "-Wpsabi"

typedef double slips_d4 __attribute__((ext_vector_type(4)));
typedef double slips_d8 __attribute__((ext_vector_type(8)));
typedef uint64_t slips_u8 __attribute__((ext_vector_type(8)));

#define D4 slips_d4
#define D8 slips_d8
#define U8 slips_u8

// BODY for the groups [j, j + c) of eight coordinates of a row of d: the whole groups with c the constant 8 (the lane
// helpers then need no count test), then a last partial group with c = d - j.
#define FOR_EACH_GROUP(j, c, d, ...)                                                                                 \
    do {                                                                                                             \
        ptrdiff_t j = 0;                                                                                             \
        for (; j + 8 <= (d); j += 8) {                                                                               \
            const ptrdiff_t c = 8;                                                                                   \
            __VA_ARGS__                                                                                              \
        }                                                                                                            \
        if (j < (d)) {                                                                                               \
            const ptrdiff_t c = (d) - j;                                                                             \
            __VA_ARGS__                                                                                              \
        }                                                                                                            \
    } while (0)

#define CAT(a, b) a##b
#define XCAT(a, b) CAT(a, b)

// The portable variant: the build's baseline instruction set.
#define VARIANT portable
#define TARGET
#define DW 4
#define FW 8
#define GR 4
#define RA 2
#define RB 2
#define LV 4
#include "variant.inc"

#if defined(__x86_64__)
#define VARIANT avx2
#define TARGET __attribute__((target("avx2")))
#define DW 4
#define FW 8
#define GR 4
#define RA 2
#define RB 4
#define LV 4
#include "variant.inc"

#define VARIANT avx512
#define TARGET __attribute__((target("avx512f,avx512vl")))
#define DW 8
#define FW 16
#define GR 8
#define RA 4
#define RB 4
#define LV 8
#include "variant.inc"
#endif

/// The best variant this CPU and its operating system run (the compiler's CPU check includes the XSAVE state).
static int detected_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return SLIPS_KERNELS_AVX512;
    if (__builtin_cpu_supports("avx2")) return SLIPS_KERNELS_AVX2;
#endif
    return SLIPS_KERNELS_PORTABLE;
}

static int level_cap_from_environment(void) {
    const char *v = getenv("SLIPS_KERNELS");
    if (v == NULL) return SLIPS_KERNELS_AVX512;
    if (strcmp(v, "portable") == 0) return SLIPS_KERNELS_PORTABLE;
    if (strcmp(v, "avx2") == 0) return SLIPS_KERNELS_AVX2;
    return SLIPS_KERNELS_AVX512;
}

static int cached_level = -1;  // read and written with relaxed atomics

int slips_kernels_level(void) {
    int level = __atomic_load_n(&cached_level, __ATOMIC_RELAXED);
    if (level < 0) {
        int cap = level_cap_from_environment(), best = detected_level();
        level = best < cap ? best : cap;
        __atomic_store_n(&cached_level, level, __ATOMIC_RELAXED);
    }
    return level;
}

int slips_kernels_set_level(int level) {
    int best = detected_level();
    int chosen = level < best ? level : best;
    if (chosen < 0) chosen = SLIPS_KERNELS_PORTABLE;
    __atomic_store_n(&cached_level, chosen, __ATOMIC_RELAXED);
    return chosen;
}

#if defined(__x86_64__)
#define VARIANT_CALL(call)                                                  \
    switch (slips_kernels_level()) {                                       \
    case SLIPS_KERNELS_AVX512: avx512_##call; break;                       \
    case SLIPS_KERNELS_AVX2: avx2_##call; break;                           \
    default: portable_##call; break;                                       \
    }
#define VARIANT_VALUE(call)                                                 \
    switch (slips_kernels_level()) {                                       \
    case SLIPS_KERNELS_AVX512: return avx512_##call;                       \
    case SLIPS_KERNELS_AVX2: return avx2_##call;                           \
    default: return portable_##call;                                       \
    }
#else
#define VARIANT_CALL(call) portable_##call;
#define VARIANT_VALUE(call) return portable_##call;
#endif

void slips_dgemm(const double *a, ptrdiff_t m, ptrdiff_t k, ptrdiff_t lda, const double *b, ptrdiff_t n,
                 ptrdiff_t ldb, double *c, ptrdiff_t ldc, int accumulate) {
    if (slips_blas_dgemm(0, a, m, k, lda, b, n, ldb, c, ldc, accumulate)) return;
    VARIANT_CALL(d_gemm(a, m, k, lda, b, n, ldb, c, ldc, accumulate))
}

void slips_sgemm(const float *a, ptrdiff_t m, ptrdiff_t k, ptrdiff_t lda, const float *b, ptrdiff_t n,
                 ptrdiff_t ldb, float *c, ptrdiff_t ldc, int accumulate) {
    VARIANT_CALL(s_gemm(a, m, k, lda, b, n, ldb, c, ldc, accumulate))
}

void slips_drowdots(const double *a, ptrdiff_t m, ptrdiff_t lda, const double *b, ptrdiff_t n, ptrdiff_t ldb,
                    ptrdiff_t k, double *c, ptrdiff_t ldc) {
    if (slips_blas_dgemm(1, a, m, k, lda, b, n, ldb, c, ldc, 0)) return;
    VARIANT_CALL(rowdots(a, m, lda, b, n, ldb, k, c, ldc))
}

double slips_logistic_row(double *z, const double *y, ptrdiff_t n, double lo, double hi, int residuals) {
    VARIANT_VALUE(logistic(z, y, n, lo, hi, residuals))
}

void slips_exp(const double *x, ptrdiff_t n, double *out) {
    VARIANT_CALL(elementwise(0, x, n, out, NULL))
}

void slips_softplus_sigmoid(const double *z, ptrdiff_t n, double *softplus, double *sigmoid) {
    VARIANT_CALL(elementwise(1, z, n, softplus, sigmoid))
}

void slips_langevin_proposal(uint64_t *streams, ptrdiff_t n, ptrdiff_t d, const double *x, const double *g,
                             const double *h, double *xp, double *norms, const double *layers, slips_slow_normal slow) {
    VARIANT_CALL(proposal(streams, n, d, x, g, h, xp, norms, layers, slow))
}

void slips_mixture_evaluate(const double *x, ptrdiff_t count, ptrdiff_t d, ptrdiff_t components, const double *means,
                            const double *precisions, const double *logNormalizers, double *logDensity,
                            double *gradient, double *scratch) {
    VARIANT_CALL(mixture(x, count, d, components, means, precisions, logNormalizers, logDensity, gradient, scratch))
}

void slips_localization_tilt(const double *x, ptrdiff_t count, ptrdiff_t d, const double *observations,
                             ptrdiff_t chainsPerObservation, double alpha, double precision, double *logDensity,
                             double *gradient) {
    VARIANT_CALL(tilt(x, count, d, observations, chainsPerObservation, alpha, precision, logDensity, gradient))
}

void slips_mala_log_ratios(ptrdiff_t n, ptrdiff_t d, const double *x, const double *xp, const double *gp,
                           const double *h, const double *proposalLogDensity, const double *logDensity,
                           const double *norms, double *out) {
    VARIANT_CALL(malaLogRatios(n, d, x, xp, gp, h, proposalLogDensity, logDensity, norms, out))
}

void slips_acceptance_probabilities(double *p, ptrdiff_t n) {
    VARIANT_CALL(acceptance(p, n))
}

void slips_metropolis_accept(uint64_t *streams, ptrdiff_t n, ptrdiff_t d, const double *p, double *x, double *g,
                             double *logDensity, const double *xp, const double *gp, const double *proposalLogDensity,
                             bool *accepted) {
    VARIANT_CALL(accept(streams, n, d, p, x, g, logDensity, xp, gp, proposalLogDensity, accepted))
}

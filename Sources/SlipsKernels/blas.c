// The optional external BLAS (blas.h). Nothing is loaded unless asked: the built-in kernels give the same bytes in every
// build and variant, an external library only agrees with them to rounding (its own summation order, fused
// multiply-adds, kernels chosen by shape), so it is an opt-in for speed. Its cblas_dgemm must take 32-bit integers (the
// LP64 interface: OpenBLAS's and BLIS's usual builds, MKL's mkl_rt in its default LP64 mode).
#include "blas.h"
#include "SlipsKernels.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };
typedef void (*cblas_dgemm_fn)(int order, int transA, int transB, int m, int n, int k, double alpha, const double *a,
                               int lda, const double *b, int ldb, double beta, double *c, int ldc);

static cblas_dgemm_fn loaded = NULL;  // written once, from the environment
static pthread_once_t fromEnvironment = PTHREAD_ONCE_INIT;

/// Loads `library` (a path or a name the dynamic loader finds) and its cblas_dgemm; NULL and a message on failure.
static cblas_dgemm_fn load(const char *library, int quiet) {
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);  // kept open for the process when it has cblas_dgemm
    cblas_dgemm_fn f = handle ? (cblas_dgemm_fn)dlsym(handle, "cblas_dgemm") : NULL;
    if (f == NULL && !quiet)
        fprintf(stderr, "slips: SLIPS_BLAS=%s: %s; using the built-in kernels\n", library,
                handle ? "no cblas_dgemm in it" : dlerror());
    if (f == NULL && handle != NULL) dlclose(handle);
    return f;
}

static void loadFromEnvironment(void) {
    const char *library = getenv("SLIPS_BLAS");
    if (library != NULL && library[0] != '\0') loaded = load(library, 0);
}

static cblas_dgemm_fn current(void) {
    pthread_once(&fromEnvironment, loadFromEnvironment);
    return loaded;
}

/// Whether cblas_dgemm takes these sizes: 32-bit integers, and the leading dimensions it requires (a library refuses
/// smaller ones with a message and computes nothing; the built-in kernels take any stride).
static int fits(int transposeB, ptrdiff_t m, ptrdiff_t k, ptrdiff_t lda, ptrdiff_t n, ptrdiff_t ldb, ptrdiff_t ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return 0;
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX || ldb > INT_MAX || ldc > INT_MAX) return 0;
    return lda >= k && ldb >= (transposeB ? k : n) && ldc >= n;
}

static void call(cblas_dgemm_fn f, int transposeB, const double *a, ptrdiff_t m, ptrdiff_t k, ptrdiff_t lda,
                 const double *b, ptrdiff_t n, ptrdiff_t ldb, double *c, ptrdiff_t ldc, int accumulate) {
    f(CBLAS_ROW_MAJOR, CBLAS_NO_TRANS, transposeB ? CBLAS_TRANS : CBLAS_NO_TRANS, (int)m, (int)n, (int)k, 1.0, a,
      (int)lda, b, (int)ldb, accumulate ? 1.0 : 0.0, c, (int)ldc);
}

int slips_blas_product(const char *library, int transposeB, const double *a, ptrdiff_t m, ptrdiff_t k, ptrdiff_t lda,
                       const double *b, ptrdiff_t n, ptrdiff_t ldb, double *c, ptrdiff_t ldc, int accumulate) {
    if (!fits(transposeB, m, k, lda, n, ldb, ldc)) return 0;
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) return 0;
    cblas_dgemm_fn f = (cblas_dgemm_fn)dlsym(handle, "cblas_dgemm");
    if (f != NULL) call(f, transposeB, a, m, k, lda, b, n, ldb, c, ldc, accumulate);
    dlclose(handle);
    return f != NULL;
}

int slips_blas_active(void) { return current() != NULL; }

int slips_blas_dgemm(int transposeB, const double *a, ptrdiff_t m, ptrdiff_t k, ptrdiff_t lda, const double *b,
                     ptrdiff_t n, ptrdiff_t ldb, double *c, ptrdiff_t ldc, int accumulate) {
    cblas_dgemm_fn f = current();
    if (f == NULL || !fits(transposeB, m, k, lda, n, ldb, ldc)) return 0;
    call(f, transposeB, a, m, k, lda, b, n, ldb, c, ldc, accumulate);
    return 1;
}

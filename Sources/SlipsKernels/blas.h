// The optional external BLAS: the double products through a cblas_dgemm loaded at run time from the library named by
// the environment variable SLIPS_BLAS (SlipsKernels.h). Private to SlipsKernels.
#ifndef SLIPS_BLAS_H
#define SLIPS_BLAS_H

#include <stddef.h>

/// C (+)= A·B (transposeB 0) or A·Bᵀ (transposeB 1, B n × k with rows of ldb) through the external BLAS; returns 0
/// (and does nothing) when none is loaded or the sizes do not fit its interface.
int slips_blas_dgemm(int transposeB, const double *a, ptrdiff_t m, ptrdiff_t k, ptrdiff_t lda, const double *b,
                     ptrdiff_t n, ptrdiff_t ldb, double *c, ptrdiff_t ldc, int accumulate);

#endif

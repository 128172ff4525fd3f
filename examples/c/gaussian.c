/*
 * Samples a correlated 2-D Gaussian written in C with SLIPS and with MALA through the C interface (include/slips.h),
 * prints the sample mean and covariance, then shows a failing callback stopping the run.
 *
 *   swift build -c release --product SlipsC
 *   cc -std=c11 -Iinclude examples/c/gaussian.c -L.build/release -lSlipsC -Wl,-rpath,"$PWD/.build/release" -o gaussian
 *   ./gaussian
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "slips.h"

/* N(0, Σ) with Σ = [[1, ρ], [ρ, 1]]: log π = -xᵀΣ⁻¹x/2 + const, ∇ log π = -Σ⁻¹x. */
typedef struct { double rho; long calls; long fail_after; } gaussian;

static int32_t log_density(void *context, const double *x, int64_t count, int64_t dim, double *lp, double *grad) {
    gaussian *g = context;
    if (dim != 2 || (g->fail_after > 0 && ++g->calls > g->fail_after)) return 0;
    double s = 1.0 / (1.0 - g->rho * g->rho);
    for (int64_t i = 0; i < count; i++) {
        double a = x[2 * i], b = x[2 * i + 1];
        double ga = s * (a - g->rho * b), gb = s * (b - g->rho * a);
        lp[i] = -0.5 * (a * ga + b * gb);
        grad[2 * i] = -ga;
        grad[2 * i + 1] = -gb;
    }
    return 1;
}

static int run(slips_target *target, const char *sampler, const char *options) {
    char error[512];
    slips_run *r = slips_run_new();
    int32_t status = slips_run_sample(r, target, sampler, options, 4096, 1, 1, 256, 0, 1, error, sizeof error);
    if (status != SLIPS_OK) {
        printf("%s: status %d: %s\n", sampler, status, error);
        slips_run_free(r);
        return status;
    }
    int64_t shape[3];
    slips_run_shape(r, shape);
    double *x = malloc(sizeof(double) * shape[0] * shape[1]);
    slips_run_samples(r, x, shape[0] * shape[1]);
    double m[2] = {0, 0}, c[3] = {0, 0, 0};
    for (int64_t i = 0; i < shape[0]; i++) { m[0] += x[2 * i]; m[1] += x[2 * i + 1]; }
    m[0] /= shape[0];
    m[1] /= shape[0];
    for (int64_t i = 0; i < shape[0]; i++) {
        double a = x[2 * i] - m[0], b = x[2 * i + 1] - m[1];
        c[0] += a * a; c[1] += a * b; c[2] += b * b;
    }
    printf("%s: %lld samples, mean (%.3f, %.3f), covariance [[%.3f, %.3f], [%.3f, %.3f]]\n", sampler,
           (long long)shape[0], m[0], m[1], c[0] / shape[0], c[1] / shape[0], c[1] / shape[0], c[2] / shape[0]);
    free(x);
    slips_run_free(r);
    return SLIPS_OK;
}

int main(void) {
    if (slips_api_version() != SLIPS_API_VERSION) { fprintf(stderr, "header and library disagree\n"); return 1; }
    printf("Slips %s, C API %d\n", slips_version(), slips_api_version());
    gaussian g = {0.8, 0, 0};
    slips_target *target;
    char error[512];
    /* R and τ unknown (NAN): SLIPS then takes sigma from the options. */
    if (slips_target_callback(2, log_density, &g, NAN, NAN, &target, error, sizeof error) != SLIPS_OK) {
        fprintf(stderr, "%s\n", error);
        return 1;
    }
    int ok = run(target, "slips", "sigma=1.5") == SLIPS_OK && run(target, "mala", "init-scale=1") == SLIPS_OK;
    /* A callback that fails on its fifth call: the run stops with SLIPS_ERROR_CALLBACK, no samples. */
    g.fail_after = 5;
    ok = ok && run(target, "mala", "init-scale=1") == SLIPS_ERROR_CALLBACK && g.calls == 6;
    slips_target_free(target);
    return ok ? 0 : 1;
}

/*
 * slips.h: the C interface of Slips (libSlipsC), version 1.
 *
 * Build the library with `swift build -c release --product SlipsC` (.build/release/libSlipsC.so). Every sampler of
 * `slips sample` runs through slips_run_sample with the command line's option names and values; a target is a
 * built-in one (slips_target_builtin) or yours, as a C function evaluating a batch of points (slips_target_callback).
 *
 * Status convention: every function returning int32_t returns SLIPS_OK (1) on success (slips_run_shape: the number of
 * extents, 2 or 3) and a negative SLIPS_ERROR_* code on failure; it never returns 0, so a failure can never read as success. Target callbacks follow the same rule:
 * they return non-zero on success and 0 on failure (a Python callback that raised returns 0 through ctypes), and a
 * failed callback stops the run within one batch with SLIPS_ERROR_CALLBACK. Error messages are one line, written to
 * `error` (at most `error_capacity` bytes with the terminating NUL; either may be NULL/0).
 *
 * Threads: slips_run_cancel and slips_run_progress may be called from any thread while slips_run_sample runs on
 * another. With threads > 1 the target callback is called concurrently from several threads, each on its own batch.
 * The same seed gives the same samples bitwise whatever the thread count, the batch size and the sharding.
 */
#ifndef SLIPS_H
#define SLIPS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SLIPS_API_VERSION 1

enum {
    SLIPS_OK = 1,
    /* A bad argument, option, dimension or size. */
    SLIPS_ERROR_INVALID = -1,
    /* The target callback returned 0. */
    SLIPS_ERROR_CALLBACK = -2,
    /* slips_run_cancel was called. */
    SLIPS_ERROR_CANCELLED = -3,
    /* The sampler failed (for example its chains left the target's finite region). */
    SLIPS_ERROR_FAILED = -4
};

/*
 * A target: for i < count, write log pi(x_i) to logdensity[i] and its gradient to gradient[i*dim ... i*dim+dim-1],
 * where x_i = points[i*dim ... i*dim+dim-1] (row-major, float64). Return non-zero on success, 0 on failure.
 * Non-finite log-densities are allowed (the samplers reject such proposals).
 */
typedef int32_t (*slips_logdensity_fn)(void *context, const double *points, int64_t count, int64_t dim,
                                       double *logdensity, double *gradient);

typedef struct slips_target slips_target;
typedef struct slips_run slips_run;

/* SLIPS_API_VERSION of the library (compare with the header's). */
int32_t slips_api_version(void);
/* The Slips version, e.g. "0.9.0" (a static string). */
const char *slips_version(void);

/*
 * A target evaluated by `fn` (called with `context`) in dimension `dim`. `radius` and `tau` are R and tau of
 * spec/slips.md §1.8, the scale SLIPS, SMC, AIS and OAT start from (sigma = sqrt(R^2/d + tau^2)); give NAN for
 * either when unknown and pass the sampler option sigma (or init-scale for MCMC) instead.
 */
int32_t slips_target_callback(int64_t dim, slips_logdensity_fn fn, void *context, double radius, double tau,
                              slips_target **target, char *error, size_t error_capacity);
/*
 * A built-in target of `slips targets` by name; `dim` 0 takes its default dimension; `options` holds the target's
 * options of `slips sample` as "name=value" lines (data-dir, train, test, mixture, field, coupling, beta,
 * couplings, data, threshold, label-column), or NULL. A `name` ending in .json is a model file of `slips train`:
 * the target is the data set the model learned (sample it with the option denoiser=MODEL.json or score=MODEL.json).
 */
int32_t slips_target_builtin(const char *name, int64_t dim, const char *options, slips_target **target,
                             char *error, size_t error_capacity);
/* The target's dimension. */
int64_t slips_target_dimension(const slips_target *target);
/* Evaluates the target at `count` points (as the samplers do; a callback target calls its function once). */
int32_t slips_target_evaluate(const slips_target *target, const double *points, int64_t count, double *logdensity,
                              double *gradient, char *error, size_t error_capacity);
void slips_target_free(slips_target *target);

/* A run: its cancellation flag, progress and, after slips_run_sample, its results. */
slips_run *slips_run_new(void);
void slips_run_free(slips_run *run);
/* Asks the running (or next) slips_run_sample to stop; it returns SLIPS_ERROR_CANCELLED with no results, and the run
 * can sample again afterwards. One slips_run_sample at a time per run (a second one at once is refused). */
void slips_run_cancel(slips_run *run);
/* Units of work done and expected while slips_run_sample runs (gradient evaluations for most samplers); 0 and 0
 * before and after. */
void slips_run_progress(const slips_run *run, int64_t *done, int64_t *total);

/*
 * Runs `sampler` (a name of `slips sample --sampler`) on `target`: `samples` samples of the whole run, shard
 * `shard_index` of `shard_count` (0 and 1: the whole run), seed `seed`, `threads` worker threads (0: all cores),
 * about `batch` points per target call where the sampler evaluates blocks (0: the sampler's default). `options`:
 * "name=value" lines with `slips sample`'s sampler option names and values (steps=1024, mcmc-steps=32, sigma=2.5,
 * adapt=window, ...; flags as true/false; denoiser=MODEL.json or score=MODEL.json for a model of `slips train`), or
 * NULL. With an MCMC sampler, `draws=D` (and chains=C, default 4,
 * thin=k) keeps D draws of C long chains instead: samples is then ignored, the run is unsharded and the result's shape
 * is (C, D, dim); walk-jump with draws=D > 1 gives (samples / D, D, dim).
 */
int32_t slips_run_sample(slips_run *run, const slips_target *target, const char *sampler, const char *options,
                         int64_t samples, uint64_t seed, int32_t threads, int64_t batch, int64_t shard_index,
                         int64_t shard_count, char *error, size_t error_capacity);
/* The result's shape: writes up to 3 extents to `shape` and returns their number (2: (n, dim); 3: (chains, draws,
 * dim)), or SLIPS_ERROR_INVALID before a successful run. */
int32_t slips_run_shape(const slips_run *run, int64_t shape[3]);
/* Copies the samples (row-major, `count` values = the product of the shape) to `out`. */
int32_t slips_run_samples(const slips_run *run, double *out, int64_t count);
/* The run summary as JSON (as `slips sample --summary`: evaluations, wall seconds, statistics, metrics, settings);
 * valid until the next slips_run_sample or slips_run_free; NULL before a successful run. */
const char *slips_run_summary_json(const slips_run *run);
/* The names of the run's per-sample or per-draw arrays, one per line ("weights" of AIS; the MCMC draws' sample
 * statistics in ArviZ's names: lp, acceptance_rate, step_size, diverging, n_steps, tree_depth, ...); valid until the
 * next slips_run_sample or slips_run_free. */
const char *slips_run_array_names(const slips_run *run);
/* The length of array `name`, or SLIPS_ERROR_INVALID when the run has none of that name. */
int64_t slips_run_array_length(const slips_run *run, const char *name);
int32_t slips_run_array(const slips_run *run, const char *name, double *out, int64_t count);

#ifdef __cplusplus
}
#endif

#endif /* SLIPS_H */

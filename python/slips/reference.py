"""The two-modes target of `slips targets` written three ways (numpy, JAX, numba), the reference the tests, the
benchmarks (Benchmarks/python_targets.py) and the example compare with the target built into Slips: weights (2/3, 1/3),
means -(2/3)·1 and (4/3)·1, covariance 0.05·I, R = (4/3)√d, τ = √0.05. The normalising constant is included, so
log-densities agree with the Swift target's to rounding."""

import numpy as np

from . import from_jax, from_numpy, native

MEANS = (-2.0 / 3.0, 4.0 / 3.0)
LOG_WEIGHTS = (np.log(2.0 / 3.0), np.log(1.0 / 3.0))
VARIANCE = 0.05


def scale(dim):
    """R and τ of spec/slips.md §1.8, as ``radius=``/``tau=``."""
    return dict(radius=4.0 / 3.0 * np.sqrt(dim), tau=np.sqrt(VARIANCE))


def two_modes(x):
    """log π and ∇ log π at the rows of a (batch, d) array, in numpy."""
    d = x.shape[1]
    logs = np.stack([w - ((x - m) ** 2).sum(1) / (2 * VARIANCE) - d / 2 * np.log(2 * np.pi * VARIANCE)
                     for w, m in zip(LOG_WEIGHTS, MEANS)])
    top = logs.max(0)
    lp = top + np.log(np.exp(logs - top).sum(0))
    resp = np.exp(logs - lp)
    return lp, -sum(r[:, None] * (x - m) for r, m in zip(resp, MEANS)) / VARIANCE


def numpy_target(dim):
    return from_numpy(two_modes, dim, **scale(dim))


def jax_target(dim):
    """Through ``from_jax`` in float64 (it turns on ``jax_enable_x64``); ImportError without JAX."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def logp(x):
        return jax.scipy.special.logsumexp(jnp.stack([
            w - jnp.sum((x - m) ** 2) / (2 * VARIANCE) - dim / 2 * jnp.log(2 * jnp.pi * VARIANCE)
            for w, m in zip(LOG_WEIGHTS, MEANS)]))

    return from_jax(logp, dim, **scale(dim))


def numba_target(dim):
    """A numba ``cfunc`` with the C signature of ``slips_logdensity_fn``, through ``native``; ImportError without
    numba."""
    import numba
    from numba import types

    signature = types.int32(types.voidptr, types.CPointer(types.float64), types.int64, types.int64,
                            types.CPointer(types.float64), types.CPointer(types.float64))
    w0, w1, m0, m1, v = LOG_WEIGHTS[0], LOG_WEIGHTS[1], MEANS[0], MEANS[1], VARIANCE

    @numba.cfunc(signature, nopython=True)
    def f(context, points, count, dim, logdensity, gradient):
        norm = dim / 2 * np.log(2 * np.pi * v)
        for i in range(count):
            s0 = 0.0
            s1 = 0.0
            for j in range(dim):
                x = points[i * dim + j]
                s0 += (x - m0) ** 2
                s1 += (x - m1) ** 2
            l0 = w0 - s0 / (2 * v) - norm
            l1 = w1 - s1 / (2 * v) - norm
            top = max(l0, l1)
            lp = top + np.log(np.exp(l0 - top) + np.exp(l1 - top))
            r0 = np.exp(l0 - lp)
            r1 = np.exp(l1 - lp)
            logdensity[i] = lp
            for j in range(dim):
                x = points[i * dim + j]
                gradient[i * dim + j] = -(r0 * (x - m0) + r1 * (x - m1)) / v
        return 1

    target = native(f.address, dim, **scale(dim))
    target._refs = (target._refs, f)  # the compiled function lives as long as the target
    return target

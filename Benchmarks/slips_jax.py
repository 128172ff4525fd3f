#!/usr/bin/env python3
"""SLIPS re-implemented in JAX (spec/slips.md §1.10), for the side-by-side speed comparison of BENCHMARKS.md.

    python Benchmarks/slips_jax.py --dim 8 [--samples 512] [--grid 1024] [--seed 0] [--x64]

The benchmark path of the paper's code on the two-modes target (`2/3 N(-2/3·1, 0.05 I) + 1/3 N(4/3·1, 0.05 I)`):
geometric(1, 1) schedule on K grid points uniform in log-SNR, ε from Slips's defaults (0.25 at d = 8, 0.05 at d = 64),
ε_end = 6.62e-3, σ = sqrt(R²/d + τ²); C = 4 MALA chains per sample, S = 32 steps per denoiser call averaging the last
16, warm starts, per-chain step sizes from 1e-5 (×/÷ 1.03 around acceptance 0.75, capped at 1), the 1600-step first
call, 10 Langevin-within-Langevin initial steps, the exponential integrator and the final posterior-mean estimate.
The whole sampler is one jitted function (lax.scan over the grid, vmap over samples and chains).

It runs the function twice and prints one JSON line: gradient evaluations (C · calls per sample, the §1.9 formula),
the first call's wall time (with the jit compile), and the second call's CPU seconds (`time.process_time`, all XLA
threads) and wall seconds — the steady state — with the rates per CPU-second and per wall-second, and the mode-weight
error of the samples (|fraction nearer the second mode − 1/3|). Float32 by default, as the paper's code; `--x64` for
float64, as Slips computes.
"""

import argparse
import json
import math
import os
import time

os.environ.setdefault("XLA_FLAGS", "")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dim", type=int, default=8)
    p.add_argument("--samples", type=int, default=512)
    p.add_argument("--grid", type=int, default=1024, help="K, grid points (K - 1 SDE steps)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--x64", action="store_true")
    args = p.parse_args()

    import jax
    if args.x64:
        jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    from jax.scipy.special import logsumexp

    d, n, K = args.dim, args.samples, args.grid
    C, S, keep, L, warm = 4, 32, 16, 10, 50 * 32
    dtype = jnp.float64 if args.x64 else jnp.float32
    eps = {8: 0.25, 16: 0.15, 32: 0.1, 64: 0.05, 128: 0.03}[d]
    eps_end = 6.62e-3
    radius, tau2 = 4.0 / 3.0 * math.sqrt(d), 0.05
    sigma = math.sqrt(radius ** 2 / d + tau2)

    weights = jnp.array([2.0 / 3.0, 1.0 / 3.0], dtype)
    means = jnp.stack([jnp.full((d,), -2.0 / 3.0, dtype), jnp.full((d,), 4.0 / 3.0, dtype)])
    var = 0.05
    log_norm = jnp.log(weights) - 0.5 * d * math.log(2 * math.pi * var)

    def log_pi(x):
        return logsumexp(log_norm - 0.5 * jnp.sum((x - means) ** 2, axis=-1) / var)

    value_and_grad = jax.vmap(jax.value_and_grad(log_pi))  # over a batch of points (B, d)

    # geometric(1, 1): g² = t/(1-t), α = t/sqrt(1-t); the grid uniform in log g².
    lam = jnp.linspace(math.log(eps / (1 - eps)), math.log((1 - eps_end) / eps_end), K, dtype=dtype)
    ts = jnp.exp(lam) / (1 + jnp.exp(lam))
    alpha = lambda t: t / jnp.sqrt(1 - t)

    def posterior(x, y, t):
        """log q(x | y) and its gradient for chains x (C, n, d) against observations y (n, d)."""
        a, s2t = alpha(t), sigma ** 2 * t
        lp, g = value_and_grad(x.reshape(-1, d))
        lp, g = lp.reshape(C, n), g.reshape(C, n, d)
        r = a * x - y[None]
        return lp - 0.5 * jnp.sum(r * r, -1) / s2t, g - a * r / s2t

    def mala(state, y, t, key, steps, record):
        """`steps` MALA steps on q(· | y) from the chains' state; the mean of the last `keep` states when recording."""
        x, h = state
        lq, gq = posterior(x, y, t)

        def step(carry, inputs):
            x, lq, gq, h, acc = carry
            k, i = inputs
            k1, k2 = jax.random.split(k)
            xp = x + h[..., None] * gq + jnp.sqrt(2 * h)[..., None] * jax.random.normal(k1, x.shape, dtype)
            lqp, gqp = posterior(xp, y, t)
            fwd = jnp.sum((xp - x - h[..., None] * gq) ** 2, -1)
            back = jnp.sum((x - xp - h[..., None] * gqp) ** 2, -1)
            log_a = lqp - lq - back / (4 * h) + fwd / (4 * h)
            log_a = jnp.where(jnp.isnan(log_a), -jnp.inf, log_a)
            ok = jnp.log(jax.random.uniform(k2, h.shape, dtype)) < log_a
            x = jnp.where(ok[..., None], xp, x)
            lq, gq = jnp.where(ok, lqp, lq), jnp.where(ok[..., None], gqp, gq)
            pa = jnp.minimum(1.0, jnp.exp(log_a))
            h = jnp.where(pa - 0.75 > 0.01, h * 1.03, jnp.where(0.75 - pa > 0.01, h / 1.03, h))
            h = jnp.minimum(h, 1.0)
            if record:
                acc = acc + jnp.where(i >= steps - keep, 1.0, 0.0) * x
            return (x, lq, gq, h, acc), None

        acc0 = jnp.zeros_like(x) if record else jnp.zeros((), dtype)
        (x, _, _, h, acc), _ = jax.lax.scan(step, (x, lq, gq, h, acc0),
                                            (jax.random.split(key, steps), jnp.arange(steps)))
        estimate = jnp.mean(acc, axis=0) / keep if record else None
        return (x, h), estimate

    def sampler(key):
        k0, k1, k2, k3 = jax.random.split(key, 4)
        t0 = ts[0]
        y = sigma * jnp.sqrt(t0) * jax.random.normal(k0, (n, d), dtype)
        x = jnp.broadcast_to(y / alpha(t0), (C, n, d))
        state = (x, jnp.full((C, n), 1e-5, dtype))
        state, _ = mala(state, y, t0, k1, warm, record=False)  # the first call's long warm-up
        eta = sigma ** 2 * t0 / 2

        def init_step(carry, k):
            state, y = carry
            ka, kb = jax.random.split(k)
            state, u = mala(state, y, t0, ka, S, record=True)
            y = y + eta * (alpha(t0) * u - y) / (sigma ** 2 * t0) + jnp.sqrt(2 * eta) * jax.random.normal(kb, y.shape, dtype)
            return (state, y), None

        (state, y), _ = jax.lax.scan(init_step, (state, y), jax.random.split(k2, L))

        def sde_step(carry, inputs):
            state, y = carry
            k, t, t_next = inputs
            ka, kb = jax.random.split(k)
            state, u = mala(state, y, t, ka, S, record=True)
            y = y + (alpha(t_next) - alpha(t)) * u + sigma * jnp.sqrt(t_next - t) * jax.random.normal(kb, y.shape, dtype)
            return (state, y), None

        (state, y), _ = jax.lax.scan(sde_step, (state, y), (jax.random.split(k3, K - 1), ts[:-1], ts[1:]))
        _, u = mala(state, y, ts[-1], jax.random.fold_in(k3, 1), S, record=True)
        return u

    run = jax.jit(sampler)
    key = jax.random.PRNGKey(args.seed)
    w0 = time.perf_counter()
    run(key).block_until_ready()
    first_wall = time.perf_counter() - w0
    c0, w0 = time.process_time(), time.perf_counter()
    samples = run(jax.random.fold_in(key, 1)).block_until_ready()
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0

    calls = (1 + warm) + (1 + S) * L + (1 + S) * (K - 1) + (1 + S)
    grads = C * calls * n
    # Mode of a sample: nearer the second mean (4/3·1) than the first (-2/3·1), i.e. mean coordinate above 1/3.
    second = float(jnp.mean(jnp.mean(samples, axis=1) > 1.0 / 3.0))
    print(json.dumps({
        "side": "jax", "dtype": "float64" if args.x64 else "float32", "dimension": d, "samples": n, "grid": K,
        "jax": jax.__version__, "gradient_evaluations": grads, "first_call_wall_seconds": first_wall,
        "cpu_seconds": cpu, "wall_seconds": wall, "per_cpu_second": grads / cpu, "per_wall_second": grads / wall,
        "per_wall_second_with_compile": grads / first_wall, "mode_weight_error": abs(second - 1.0 / 3.0),
        "finite": bool(jnp.all(jnp.isfinite(samples)))}))


if __name__ == "__main__":
    main()

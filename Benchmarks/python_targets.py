"""Gradient evaluations per second of SLIPS and MALA on the two-modes target written in numpy, JAX (float64) and
numba (a cfunc passed as a C function pointer) against the same target built into Slips (issue 26), d = 8 and 64,
one thread, about 256 points per target call.

    swift build -c release --product SlipsC
    PYTHONPATH=python python3 Benchmarks/python_targets.py [--quick]

Each configuration runs twice and the second run is reported (steady state: JAX's compile and numba's are excluded);
CPU seconds are the process's, all threads. Prints JSON lines, then a markdown table."""

import argparse
import json
import time

import numpy as np

import slips

VARIANCE = 0.05
MEANS, LOG_WEIGHTS = (-2.0 / 3.0, 4.0 / 3.0), (np.log(2.0 / 3.0), np.log(1.0 / 3.0))


def numpy_target(d):
    def f(x):
        logs = np.stack([w - ((x - m) ** 2).sum(1) / (2 * VARIANCE) for w, m in zip(LOG_WEIGHTS, MEANS)])
        top = logs.max(0)
        lp = top + np.log(np.exp(logs - top).sum(0))
        resp = np.exp(logs - lp)
        return lp, -sum(r[:, None] * (x - m) for r, m in zip(resp, MEANS)) / VARIANCE
    return slips.from_numpy(f, d, **scale(d))


def jax_target(d):
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def logp(x):
        return jax.scipy.special.logsumexp(jnp.stack([w - jnp.sum((x - m) ** 2) / (2 * VARIANCE)
                                                      for w, m in zip(LOG_WEIGHTS, MEANS)]))
    return slips.from_jax(logp, d, **scale(d))


def numba_target(d):
    import numba
    from numba import types

    signature = types.int32(types.voidptr, types.CPointer(types.float64), types.int64, types.int64,
                            types.CPointer(types.float64), types.CPointer(types.float64))
    w0, w1, m0, m1, v = LOG_WEIGHTS[0], LOG_WEIGHTS[1], MEANS[0], MEANS[1], VARIANCE

    @numba.cfunc(signature, nopython=True, fastmath=False)
    def f(context, points, count, dim, logdensity, gradient):
        for i in range(count):
            s0 = 0.0
            s1 = 0.0
            for j in range(dim):
                x = points[i * dim + j]
                s0 += (x - m0) ** 2
                s1 += (x - m1) ** 2
            l0 = w0 - s0 / (2 * v)
            l1 = w1 - s1 / (2 * v)
            top = max(l0, l1)
            lp = top + np.log(np.exp(l0 - top) + np.exp(l1 - top))
            r0 = np.exp(l0 - lp)
            r1 = np.exp(l1 - lp)
            logdensity[i] = lp
            for j in range(dim):
                x = points[i * dim + j]
                gradient[i * dim + j] = -(r0 * (x - m0) + r1 * (x - m1)) / v
        return 1

    target = slips.native(f.address, d, **scale(d))
    target._cfunc = f  # keep the compiled function alive with the target
    return target


def scale(d):
    return dict(radius=4.0 / 3.0 * np.sqrt(d), tau=np.sqrt(VARIANCE))


def measure(target, run):
    slips.sample(target, **run)  # warm-up: compiles, caches
    cpu, wall = time.process_time(), time.perf_counter()
    r = slips.sample(target, **run)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    g = r.info["gradient_evaluations"]
    return dict(gradient_evaluations=g, wall_seconds=wall, cpu_seconds=cpu, per_wall_second=g / wall,
                per_cpu_second=g / cpu)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a tenth of the work (a smoke test)")
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    scale_n = 10 if args.quick else 1
    kinds = {"swift": lambda d: slips.targets.two_modes(dim=d), "numpy": numpy_target, "jax": jax_target,
             "numba": numba_target}
    rows = []
    for d in (8, 64):
        runs = {"slips": dict(sampler="slips", n=64 // scale_n or 1, seed=0),
                "mala": dict(sampler="mala", n=1024 // scale_n, seed=0, steps=4000, warmup=0, init_scale=1.0)}
        for name, make in kinds.items():
            try:
                target = make(d)
            except ImportError as e:
                print(json.dumps(dict(target=name, d=d, skipped=str(e))))
                continue
            for sampler, run in runs.items():
                row = dict(target=name, d=d, sampler=sampler, batch=args.batch, threads=1,
                           **measure(target, dict(run, threads=1, batch=args.batch)))
                print(json.dumps(row), flush=True)
                rows.append(row)
    print("\n| sampler | d | target | M grad evals / CPU-s | M / wall-s | vs Swift (CPU-s) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for row in rows:
        base = next(r for r in rows if r["target"] == "swift" and r["d"] == row["d"] and r["sampler"] == row["sampler"])
        print(f"| {row['sampler']} | {row['d']} | {row['target']} | {row['per_cpu_second'] / 1e6:.2f} | "
              f"{row['per_wall_second'] / 1e6:.2f} | {row['per_cpu_second'] / base['per_cpu_second']:.2f}× |")


if __name__ == "__main__":
    main()

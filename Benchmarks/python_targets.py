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


import slips
from slips.reference import jax_target, numba_target, numpy_target

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

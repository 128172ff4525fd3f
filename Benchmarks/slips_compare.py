#!/usr/bin/env python3
"""Slips's SLIPS against the JAX re-implementation, side by side on one machine (BENCHMARKS.md, "SLIPS against JAX").

    python Benchmarks/slips_compare.py [--slips .build/release/slips] [--dims 8 64] [--samples 512] [--grid 1024] [--x64]

For every dimension it runs, one after the other (never two at once), the configuration of issue 24 (two-modes,
n samples, K grid points, S = 32, C = 4, geometric(1, 1), Slips's default ε):
  - `slips sample --threads 1` and `--threads 2`: gradient evaluations and the sampler's wall time from the run summary;
    CPU seconds of the whole process (child rusage: target set-up and file output included, which are milliseconds);
  - `Benchmarks/slips_jax.py` (float32 as the paper's code, or float64 with --x64): its second call is the steady
    state (CPU seconds over all XLA threads, wall seconds), its first call's wall time includes the jit compile.
Prints one JSON line per run and a markdown table of gradient evaluations per CPU-second and per wall-second, with the
mode-weight error of each run's samples as the check that both sample the target. Slips runs ahead-of-time compiled:
no compile time in its numbers. Needs jax for the JAX side (`pip install "jax[cpu]"`).
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_common import run_sample  # noqa: E402

ROOT = os.path.dirname(HERE)


def run_slips(binary, d, n, grid, seed, threads):
    cpu, s = run_sample(binary, ["--target", "two-modes", "--dim", str(d), "--samples", str(n), "--steps", str(grid),
                                 "--seed", str(seed), "--threads", str(threads)])
    grads = s["gradient_evaluations"]
    return {"side": "slips", "dimension": d, "threads": threads, "samples": n, "grid": grid, "gradient_evaluations": grads,
            "cpu_seconds": cpu, "wall_seconds": s["wall_seconds"], "per_cpu_second": grads / cpu,
            "per_wall_second": grads / s["wall_seconds"], "mode_weight_error": s["metrics"].get("mode_weight_error")}


def run_jax(d, n, grid, seed, x64):
    cmd = [sys.executable, os.path.join(HERE, "slips_jax.py"), "--dim", str(d), "--samples", str(n), "--grid", str(grid),
           "--seed", str(seed)] + (["--x64"] if x64 else [])
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--slips", default=os.path.join(ROOT, ".build", "release", "slips"))
    p.add_argument("--dims", type=int, nargs="+", default=[8, 64])
    p.add_argument("--samples", type=int, default=512)
    p.add_argument("--grid", type=int, default=1024)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--x64", action="store_true", help="run JAX in float64 (default float32, as the paper's code)")
    p.add_argument("--no-jax", action="store_true")
    args = p.parse_args()

    rows = []
    for d in args.dims:
        for threads in (1, 2):
            rows.append(run_slips(args.slips, d, args.samples, args.grid, args.seed, threads))
            print(json.dumps(rows[-1]), flush=True)
        if not args.no_jax:
            rows.append(run_jax(d, args.samples, args.grid, args.seed, args.x64))
            print(json.dumps(rows[-1]), flush=True)

    print()
    print("| d | run | gradient evaluations | per CPU-second | per wall-second | wall s | mode-weight error |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        name = (f"Slips, {r['threads']} thread(s)" if r["side"] == "slips"
                else f"JAX {r['jax']} ({r['dtype']}), steady state")
        print(f"| {r['dimension']} | {name} | {r['gradient_evaluations']:,} | {r['per_cpu_second'] / 1e6:.2f} M "
              f"| {r['per_wall_second'] / 1e6:.2f} M | {r['wall_seconds']:.1f} | {r['mode_weight_error']:.4f} |")
        if r["side"] == "jax":
            print(f"| {r['dimension']} | JAX, first call (jit compile included) | | | "
                  f"{r['per_wall_second_with_compile'] / 1e6:.2f} M | {r['first_call_wall_seconds']:.1f} | |")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Slips NUTS against BlackJAX NUTS, side by side on one machine (the table of BENCHMARKS.md, "NUTS").

    python Benchmarks/nuts_compare.py [--slips .build/release/slips] [--seeds 0 1 2] [--targets ...]

For every target and seed it runs, one after the other (never two at once):
  - `slips sample --sampler nuts --chains 4 --warmup 1000 --draws 1000 --init-scale 1 --threads 1`: the sampler's own
    CPU time from the run summary (`cpu_seconds`: warm-up and sampling, all threads, without process start, file output
    and diagnostics) is the counterpart of BlackJAX's timed call; the whole process's CPU time (child rusage) is kept
    as "process_cpu_seconds". Then the same with --threads 2 for the sampler's wall time on both cores;
  - `Benchmarks/nuts_blackjax.py` with the same chains, warm-up, draws and metric (BlackJAX's window adaptation, chains
    vmapped, float64 on CPU; its CPU time excludes the jit compile, which it reports apart).
Both start the chains from N(0, I), adapt with Stan's window schedule (target acceptance 0.8, max tree depth 10) and
count every leapfrog step of warm-up and sampling as a gradient evaluation. ESS is ArviZ's bulk ESS (Slips computes
the same numbers, tested to 1e-6), minimised over coordinates. Prints one JSON line per run and a markdown table of the
means over seeds.

Needs jax, blackjax and arviz for the BlackJAX side (`pip install "jax[cpu]" blackjax arviz`).
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


def run_slips(binary, target, metric, seed, threads, data_dir):
    cpu, s = run_sample(binary, ["--target", target, "--sampler", "nuts", "--metric", metric, "--chains", "4",
                                 "--warmup", "1000", "--draws", "1000", "--init-scale", "1", "--seed", str(seed),
                                 "--threads", str(threads)] + (["--data-dir", data_dir] if target == "ionosphere" else []))
    st = s["statistics"]
    # The sampler's own CPU time (warm-up and sampling, all threads, as BlackJAX's timed call) and wall time.
    sampler = st["cpu_seconds"]
    return {"side": "slips", "target": target, "metric": metric, "seed": seed, "threads": threads,
            "grad_evals": s["gradient_evaluations"], "min_ess_bulk": st["min_ess_bulk"], "max_rhat": st["max_rhat"],
            "divergences": st["divergences"], "ess_per_grad": st["min_ess_bulk"] / s["gradient_evaluations"],
            "cpu_seconds": sampler, "process_cpu_seconds": cpu, "wall_seconds": s["wall_seconds"],
            "ess_per_cpu_second": st["min_ess_bulk"] / sampler, "mean_steps_per_draw": st["mean_steps_per_draw"]}


def run_blackjax(target, metric, seed, data_dir):
    cmd = [sys.executable, os.path.join(HERE, "nuts_blackjax.py"), "--target", target, "--chains", "4", "--warmup", "1000",
           "--draws", "1000", "--seed", str(seed), "--data-dir", data_dir] + (["--dense"] if metric == "dense" else [])
    line = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    r = json.loads(line)
    r["side"] = "blackjax"
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--slips", default=os.path.join(ROOT, ".build", "release", "slips"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--targets", nargs="+",
                   default=["correlated-gaussian:dense", "correlated-gaussian:diagonal", "eight-schools:diagonal",
                            "ionosphere:diagonal"])
    p.add_argument("--data-dir", default=os.path.join(ROOT, "data", "slips_datasets"))
    p.add_argument("--no-blackjax", action="store_true")
    args = p.parse_args()

    rows = []
    for spec in args.targets:
        target, metric = spec.split(":")
        for seed in args.seeds:
            for threads in (1, 2):
                r = run_slips(args.slips, target, metric, seed, threads, args.data_dir)
                print(json.dumps(r), flush=True)
                rows.append(r)
            if not args.no_blackjax:
                r = run_blackjax(target, metric, seed, args.data_dir)
                print(json.dumps(r), flush=True)
                rows.append(r)

    def mean(xs):
        return sum(xs) / len(xs) if xs else float("nan")

    print()
    print("| target (metric) | sampler | gradient evals | min ESS bulk | ESS / gradient | CPU s | ESS / CPU s | wall s (2 cores) | divergences |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for spec in args.targets:
        target, metric = spec.split(":")
        for side in ("slips", "blackjax"):
            one = [r for r in rows if r["side"] == side and r["target"] == target and r["metric"] == metric
                   and r.get("threads", 1) == 1]
            if not one:
                continue
            wall = [r["wall_seconds"] for r in rows if r["side"] == side and r["target"] == target
                    and r["metric"] == metric and r.get("threads", 2) == 2]
            print(f"| {target} ({metric}) | {side} | {mean([r['grad_evals'] for r in one]):,.0f} "
                  f"| {mean([r['min_ess_bulk'] for r in one]):.0f} | {mean([r['ess_per_grad'] for r in one]):.4f} "
                  f"| {mean([r['cpu_seconds'] for r in one]):.3g} | {mean([r['ess_per_cpu_second'] for r in one]):,.0f} "
                  f"| {mean(wall):.3g} | {mean([r['divergences'] for r in one]):.1f} |")


if __name__ == "__main__":
    main()

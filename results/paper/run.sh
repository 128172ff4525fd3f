#!/usr/bin/env bash
# Full-size best points of the SLIPS benchmark (spec/slips.md §4): for every paper target and the seven methods,
# the best grid point of the reduced-N grids (results/paper-grid: N = 256 for two modes; results/paper-grid-small:
# N = 64 for phi^4, N = 32 for the logistic regressions) rerun at N = 8192, K = 1024, S = 32 into results/paper/.
#
# Resumable: `slips bench` skips every cell already in results/paper/runs.jsonl, so rerunning this script (after
# an interruption, or with another SEEDS) only runs what is missing. Seed 0 takes about 20 hours on two cores from
# scratch (about 15 for what was still missing on 2026-11-24; results/README.md and table.md give every run's time).
#
#   results/paper/run.sh             # seed 0
#   SEEDS=1,2 results/paper/run.sh   # more seeds
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product slips
slips=.build/release/slips
seeds=${SEEDS:-0}
all=slips_geometric_1_1,slips_geometric_2_1,slips_classic,smc,ais,rdmc,oat
run() { "$slips" bench --profile paper --seeds "$seeds" --output results/paper "$@"; }

# Two modes, d = 8 … 128: the N = 256 grids (seeds 0, 1, 2 for d ≤ 64; the best point is the seed-averaged one).
for d in 8 16 32 64 128; do
    run --targets "two_modes_dim_$d" --algorithms "$all" --best-from results/paper-grid/runs.jsonl
done
# phi^4, all five b: the N = 64 grids.
run --targets phi_four_b_0.0,phi_four_b_0.025,phi_four_b_0.05,phi_four_b_0.075,phi_four_b_0.1 --algorithms "$all" \
    --best-from results/paper-grid-small/runs.jsonl
# Bayesian logistic regression (about an hour per SLIPS run on two cores): the N = 32 grids.
run --targets sonar,ionosphere --algorithms "$all" --best-from results/paper-grid-small/runs.jsonl

# Table and figures over every record in the folder.
"$slips" bench --profile paper --output results/paper --report-only

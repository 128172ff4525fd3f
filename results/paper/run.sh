#!/usr/bin/env bash
# Full-size best points of the SLIPS benchmark (spec/slips.md §4): for every paper target and the seven methods,
# the best grid point of the reduced-N grids (results/paper-grid: N = 256 for two modes; results/paper-grid-small:
# N = 64 for phi^4, N = 32 for the logistic regressions) rerun at N = 8192, K = 1024, S = 32 into results/paper/.
#
# Resumable: `slips bench` skips every cell already in results/paper/runs.jsonl, so rerunning this script (after
# an interruption, or with another SEEDS) only runs what is missing. The cells go cheapest first, so that a run cut
# short still fills whole rows: two modes, then SLIPS and SMC/AIS on phi^4 and the logistic regressions, then RDMC
# and OAT (the logistic-regression RDMC and OAT runs take one to two hours each on two cores). results/README.md
# and table.md give every finished run's time.
#
#   results/paper/run.sh             # seed 0
#   SEEDS=1,2 results/paper/run.sh   # more seeds
#   STOP_AFTER=7200 results/paper/run.sh   # the chunked last step starts no shard that would end after 2 h
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product slips
slips=.build/release/slips
seeds=${SEEDS:-0}
slips_all=slips_geometric_1_1,slips_geometric_2_1,slips_classic
all=$slips_all,smc,ais,rdmc,oat
grid=results/paper-grid/runs.jsonl       # two modes: N = 256, seeds 0, 1, 2 for d ≤ 64 (seed-averaged best point)
small=results/paper-grid-small/runs.jsonl  # phi^4: N = 64; Ionosphere, Sonar: N = 32
phi=phi_four_b_0.0,phi_four_b_0.025,phi_four_b_0.05,phi_four_b_0.075,phi_four_b_0.1
run() { "$slips" bench --profile paper --seeds "$seeds" --output results/paper "$@"; }

for d in 8 16 32 64; do run --targets "two_modes_dim_$d" --algorithms "$all" --best-from "$grid"; done
run --targets two_modes_dim_128 --algorithms "$slips_all,smc,ais" --best-from "$grid"
run --targets "$phi" --algorithms slips_geometric_1_1,smc,ais --best-from "$small"
run --targets sonar,ionosphere --algorithms smc,ais --best-from "$small"
run --targets "$phi" --algorithms slips_geometric_2_1,slips_classic --best-from "$small"
run --targets two_modes_dim_128 --algorithms rdmc,oat --best-from "$grid"
run --targets "$phi" --algorithms rdmc,oat --best-from "$small"
run --targets sonar,ionosphere --algorithms "$slips_all" --best-from "$small"
# One to three hours each: in 16 saved shards, so that an interrupted cell resumes at its first missing shard;
# STOP_AFTER=seconds ends the invocation cleanly before a shard that would not fit (rerun to go on).
run --targets sonar,ionosphere --algorithms rdmc,oat --best-from "$small" --chunks 16 ${STOP_AFTER:+--stop-after "$STOP_AFTER"}

# Table and figures over every record in the folder; a (target, method) not yet rerun at full size shows its
# reduced-N best point, marked with its N.
"$slips" bench --profile paper --output results/paper --report-only --fill-from "$grid" --fill-from "$small" \
    --quality-from results/paper-phi-four-quality/runs.jsonl  # phi^4 quality metrics of N = 256 reruns (its run.sh)

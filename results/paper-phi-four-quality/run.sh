#!/usr/bin/env bash
# phi^4 sample quality of the full-size best points (issue 20): every phi^4 cell of results/paper/ (same target, method,
# grid point and seed) rerun at N = 256 (about 18 min on one core; the full-size cells took 10-30 min each and their
# samples were not kept), for the quality metrics (localised fraction, bulk magnetisation, mean energy) the full-size
# records predate. results/paper/table.md joins them into its phi^4 sample-quality section (--quality-from).
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product slips
phi=phi_four_b_0.0,phi_four_b_0.025,phi_four_b_0.05,phi_four_b_0.075,phi_four_b_0.1
.build/release/slips bench --profile paper --samples 256 --seeds 0 --threads 1 --targets "$phi" \
    --algorithms slips_geometric_1_1,slips_geometric_2_1,slips_classic,smc,ais,rdmc,oat \
    --best-from results/paper-grid-small/runs.jsonl --output results/paper-phi-four-quality
.build/release/slips bench --profile paper --output results/paper --report-only --fill-from results/paper-grid/runs.jsonl \
    --fill-from results/paper-grid-small/runs.jsonl --quality-from results/paper-phi-four-quality/runs.jsonl

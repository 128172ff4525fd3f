#!/usr/bin/env bash
# Full-length runs of spec/implicit_diffusion.md §8 (S2–S7) recorded in docs/implicit-diffusion.md.
# Usage (from the repository root, after `swift build -c release`):
#   results/implicit-diffusion/run_all.sh [SLIPS_BINARY] [OUT_DIR]
# Then: python3 results/implicit-diffusion/summarize.py OUT_DIR > results/implicit-diffusion/summary.md
set -euo pipefail
B=${1:-.build/release/slips}
O=${2:-/tmp/slips-implicit-diffusion}
mkdir -p "$O"
run() { local dir=$1; shift; "$B" optimize "$@" --quiet --output "$O/$dir" > "$O/$dir.txt"; }
# S2, S3: hexagon, official defaults (n = 1000, K = 5000, γ = 0.2, η = 0.1), 5 seeds.
for s in 0 1 2 3 4; do run hexagon-s$s --experiment hexagon --seed $s; done
# S4: nested loop at the same budget (5000 ULA steps × 1000 particles) and at 10× the budget.
run nested-T10-reinit --experiment hexagon --inner-steps 10 --steps 500 --reinit
run nested-T10-warm --experiment hexagon --inner-steps 10 --steps 500
run nested-T100-reinit --experiment hexagon --inner-steps 100 --steps 50 --reinit
run nested-T100-warm --experiment hexagon --inner-steps 100 --steps 50
run nested-T10-reinit-10x --experiment hexagon --inner-steps 10 --steps 5000 --reinit
run nested-T10-warm-10x --experiment hexagon --inner-steps 10 --steps 5000
run nested-T100-reinit-10x --experiment hexagon --inner-steps 100 --steps 500 --reinit
# S5: KL(ref‖θ)-regularized, λ ∈ {0.02, 0.1}, 1000 unit-variance reference draws per step, ULA and MALA, 5 seeds;
# the KL gradient's E_θ[∇_θV] exact (0 for the normalized mixture, the default) or from the particles (§2.1).
for t in exact particles; do for l in 0.02 0.1; do for k in ula mala; do for s in 0 1 2 3 4; do
  run kl$l-$k-$t-s$s --experiment hexagon-kl --lambda $l --kernel $k --kl-model-term $t --seed $s
done; done; done; done
# S6: Gaussian Langevin toy, K = 10^5, n = 100, γ = 0.1, η = 0.5 (constant) or 0.5/√(k+1).
run rate-sqrt --experiment gaussian-rate --schedule sqrt
run rate-constant --experiment gaussian-rate
# S7: finite-time Gaussian denoising toy, N = 30, n = 256, η = 0.2, λ = 0.5: 10 seeds at K = 200, 40 at K = 1000.
for m in nested queue; do
  for s in $(seq 0 9); do run queue-$m-K200-s$s --experiment queue-toy --method $m --steps 200 --seed $s; done
  for s in $(seq 0 39); do run queue-$m-K1000-s$s --experiment queue-toy --method $m --steps 1000 --seed $s; done
done
echo "wrote $O"

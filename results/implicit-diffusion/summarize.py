"""Tables of docs/implicit-diffusion.md from the summary.json files written by run_all.sh."""
import json, sys, statistics as st
O = sys.argv[1]
def S(d): return json.load(open(f"{O}/{d}/summary.json"))
def f(x, n=4): return f"{x:.{n}f}"
print("## S2/S3: hexagon, official defaults\n")
print("| seed | final exact E[r] | w2 | first step ≥ 95% | E[r] at 1000 | max dev. from oracle (k ≤ 2000, every 100) | last-500 particle E[r] | wall s |")
print("|---|---|---|---|---|---|---|---|")
for s in range(5):
    m = S(f"hexagon-s{s}")["metrics"]; w = S(f"hexagon-s{s}")["wall_seconds"]
    print(f"| {s} | {f(m['final_exact_reward'])} | {f(m['w2'],3)} | {int(m['first_step_95'])} | {f(m['exact_reward_at_1000'])} | {f(m['max_oracle_deviation_checkpoints_2000'])} | {f(m['final_particle_reward_last500'])} | {f(w,2)} |")
m = S("hexagon-s0")["metrics"]
print("\nExact E[r] vs the exact-gradient oracle (seed 0):\n")
print("| step | " + " | ".join(str(c) for c in [500, 1000, 2000, 3000, 4000]) + " | 5000 |")
print("|---|---|---|---|---|---|---|")
print("| ID (seed 0) | " + " | ".join(f(m[f'exact_reward_at_{c}'],3) for c in [500,1000,2000,3000,4000]) + f" | {f(m['final_exact_reward'],3)} |")
print("| oracle | " + " | ".join(f(m[f'oracle_reward_at_{c}'],3) for c in [500,1000,2000,3000,4000]) + f" | {f(m['oracle_final_reward'],3)} |")
print("\n## S4: single loop vs nested loop\n")
print("| method | θ updates | ULA steps per particle | final exact E[r] |")
print("|---|---|---|---|")
for name, d in [("Implicit Diffusion (seed 0)", "hexagon-s0"), ("nested T=10, re-init", "nested-T10-reinit"),
                ("nested T=10, warm", "nested-T10-warm"), ("nested T=100, re-init", "nested-T100-reinit"),
                ("nested T=100, warm", "nested-T100-warm"), ("nested T=10, re-init, 10× budget", "nested-T10-reinit-10x"),
                ("nested T=10, warm, 10× budget", "nested-T10-warm-10x"), ("nested T=100, re-init, 10× budget", "nested-T100-reinit-10x")]:
    j = S(d); m = j["metrics"]
    print(f"| {name} | {j['steps']} | {int(m['sampling_steps'])} | {f(m['final_exact_reward'])} |")
print("\n## S5: KL-regularized reward training\n")
print("| λ | kernel | E_θ[∇_θV] | seed | w (last iterate) | E[r] | KL | max-abs w err | E[r] err | KL err | mean E[r], KL over steps 4001–5000 |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for l in ["0.02", "0.1"]:
    for t in ["exact", "particles"]:
        for k in ["ula", "mala"]:
            for s in range(5):
                d = f"kl{l}-{k}-{t}-s{s}"; j = S(d); m = j["metrics"]
                w = "[" + ", ".join(f(x, 3) for x in j["vectors"]["final_weights"]) + "]"
                try:
                    import numpy as np
                    o = np.load(f"{O}/{d}/objective.npy"); tail = f"{o[4001:,1].mean():.4f}, {o[4001:,2].mean():.3f}"
                except Exception:
                    tail = "n/a"
                print(f"| {l} | {k} | {t} | {s} | {w} | {f(m['final_exact_reward'])} | {f(m['final_exact_kl'],3)} | {f(m['weights_max_abs_error'],3)} | {f(m['reward_error'])} | {f(m['kl_error'],3)} | {tail} |")
    j = S(f"kl{l}-ula-exact-s0"); m = j["metrics"]
    print(f"| {l} | exact optimum | | | [" + ", ".join(f(x,3) for x in j["vectors"]["optimum_weights"]) + f"] | {f(m['optimum_reward'])} | {f(m['optimum_kl'],3)} | | | | |")
print("\n## S6: Gaussian Langevin toy\n")
print("| schedule | avg ‖∇ℓ‖² K=10² | 10³ | 10⁴ | 10⁵ | log-log slope 10³→10⁵ | final θ |")
print("|---|---|---|---|---|---|---|")
for d, name in [("rate-sqrt", "η_k = 0.5/√(k+1)"), ("rate-constant", "η = 0.5")]:
    j = S(d); m = j["metrics"]
    print(f"| {name} | " + " | ".join(f(m[f'average_grad_norm_sq_{k}']) for k in [100, 1000, 10000, 100000]) + f" | {f(m['loglog_slope'],3)} | [{f(j['final_theta'][0],3)}, {f(j['final_theta'][1],3)}] |")
print("\n## S7: finite-time queue vs nested loop\n")
print("| K | seeds | method | Polyak error mean (max) | rms | last-iterate error mean | sequential rounds | adjoint vs FD rel. err (max) | wall s (mean) |")
print("|---|---|---|---|---|---|---|---|---|")
for K, seeds in [(200, range(10)), (1000, range(10)), (1000, range(40))]:
    means = {}
    for meth in ["nested", "queue"]:
        ms = [S(f"queue-{meth}-K{K}-s{s}") for s in seeds]
        pe = [j["metrics"]["polyak_error"] for j in ms]; le = [j["metrics"]["last_iterate_error"] for j in ms]
        fd = max(j["metrics"]["adjoint_fd_relative_error"] for j in ms); w = st.mean(j["wall_seconds"] for j in ms)
        means[meth] = st.mean(pe)
        rms = (sum(x * x for x in pe) / len(pe)) ** 0.5
        print(f"| {K} | {len(seeds)} | {meth} | {f(st.mean(pe))} ({f(max(pe))}) | {f(rms)} | {f(st.mean(le))} | {int(ms[0]['metrics']['sequential_rounds'])} | {fd:.1e} | {f(w,3)} |")
    print(f"| {K} | {len(seeds)} | queue/nested ratio of mean Polyak errors | {means['queue']/means['nested']:.2f} | | | | | |")

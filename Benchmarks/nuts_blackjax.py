#!/usr/bin/env python3
"""BlackJAX NUTS baseline for the Slips benchmark targets (CPU, float64).

    python Benchmarks/nuts_blackjax.py --target correlated-gaussian|eight-schools|ionosphere \
        --chains 4 --warmup 1000 --draws 1000 --seed 0 [--dense] [--data-dir data/slips_datasets]

Needs jax, blackjax and arviz (written against jax 0.10.2, blackjax 1.7.1, arviz 0.23.4).

What it does. Each chain starts at N(0, I). Warmup is `blackjax.window_adaptation(blackjax.nuts, logdensity,
is_mass_matrix_diagonal=not --dense)` run for --warmup steps (Stan's schedule: 75-step initial fast buffer,
doubling slow windows from 25, 50-step final fast buffer; dual averaging to acceptance 0.8; Stan's shrinkage of the
windowed covariance); one adaptation per chain, vmapped over chains. Then --draws NUTS transitions per chain with
that chain's adapted step size and inverse mass matrix (`blackjax.nuts.build_kernel()`, max 10 doublings, i.e.
Stan's max treedepth 10), vmapped over chains. Warmup and sampling together are one jitted function of a PRNG key.

Timing. The jitted function is called once with one key (trace + XLA compile + run: "*_incl_compile"), then again
with a different key (run only: "cpu_seconds", "wall_seconds"); every reported statistic comes from the second
run. CPU time is time.process_time() (all threads of the process); wall time is time.perf_counter().

Gradient count. "grad_evals" is the sum of NUTSInfo.num_integration_steps over all chains and all warmup + sampling
transitions. In BlackJAX that field is trajectory.num_states of the final trajectory, which includes the steps of
a last doubling abandoned on divergence or U-turn inside the subtree (the integration loop counts `step + 1` for
every leapfrog step it actually takes); each leapfrog step is one gradient evaluation. The gradients at the initial
positions (one per chain) are not counted. Under jax.vmap the chains run in lock step, so a batch executes at least
chains * max_c(num_integration_steps) leapfrog steps per transition; that lower bound on the executed work is
reported as "grad_evals_lockstep_lower_bound". "ess_per_grad" = min_ess_bulk / grad_evals (warmup included);
"ess_per_grad_draws" uses the sampling-phase gradients only. "ess_per_cpu_second" = min_ess_bulk / cpu_seconds
(the second run, compile excluded).

ESS. "min_ess_bulk" is arviz.ess(draws[:, :, i], method="bulk") (a (chain, draw) numpy array) minimised over the
d coordinates of the position; "max_rhat" is arviz.rhat(..., method="rank") maximised likewise.
"""

import argparse
import json
import math
import os
import sys
import time
import warnings

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_platforms", "cpu")

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import blackjax  # noqa: E402
from blackjax.adaptation.base import get_filter_adapt_info_fn  # noqa: E402

warnings.filterwarnings("ignore", category=FutureWarning)
import arviz as az  # noqa: E402

# --------------------------------------------------------------------------------------------------------------------
# Targets
# --------------------------------------------------------------------------------------------------------------------


def correlated_gaussian(d=100):
    """Sigma = Q diag(lambda) Q^T, lambda_k = 10^(-2 + 4k/(d-1)), Q the orthonormal DCT-II matrix."""
    k = np.arange(d)
    lam = 10.0 ** (-2.0 + 4.0 * k / (d - 1))
    j = np.arange(d)[:, None]
    q = np.sqrt(np.where(k == 0, 1.0, 2.0) / d)[None, :] * np.cos(np.pi * (j + 0.5) * k[None, :] / d)
    precision = jnp.asarray((q / lam[None, :]) @ q.T)  # Q diag(1/lambda) Q^T
    precision = 0.5 * (precision + precision.T)

    def logdensity(x):
        return -0.5 * x @ (precision @ x)

    return logdensity, d


def eight_schools():
    """Non-centred eight schools, theta = (mu, log tau, theta_tilde_1..8)."""
    y = jnp.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
    sigma = jnp.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])

    def logdensity(x):
        mu, log_tau, theta_tilde = x[0], x[1], x[2:]
        tau = jnp.exp(log_tau)
        log_prior_mu = -(mu**2) / (2.0 * 25.0)
        log_prior_tau = log_tau - jnp.log1p(tau**2 / 25.0)  # half-Cauchy(0, 5) on tau, plus the log-Jacobian
        log_prior_theta = -0.5 * jnp.sum(theta_tilde**2)
        log_lik = -0.5 * jnp.sum(((y - mu - tau * theta_tilde) / sigma) ** 2)
        return log_prior_mu + log_prior_tau + log_prior_theta + log_lik

    return logdensity, 10


def find_data_dir(explicit):
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [
        explicit,
        os.environ.get("SLIPS_DATASETS"),
        os.path.join(os.getcwd(), "data", "slips_datasets"),
        os.path.join(here, "..", "data", "slips_datasets"),
        os.path.join(here, "..", "..", "shared", "slips_datasets"),
    ]
    for c in candidates:
        if c and os.path.isfile(os.path.join(c, "ionosphere_train.csv")):
            return c
    sys.exit("ionosphere_train.csv not found: pass --data-dir")


def ionosphere(data_dir):
    """Bayesian logistic regression, theta = (w, b), w ~ N(0, I), b ~ N(0, 2.5^2); features used as stored."""
    path = os.path.join(find_data_dir(data_dir), "ionosphere_train.csv")
    with open(path) as f:
        header = f.readline().strip().split(",")
    table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    assert header[-1] == "y" and header[:-1] == [f"x{i}" for i in range(len(header) - 1)], header
    features = jnp.asarray(table[:, :-1])
    labels = jnp.asarray(table[:, -1])
    n_features = features.shape[1]

    def logdensity(theta):
        w, b = theta[:-1], theta[-1]
        z = features @ w + b
        log_lik = jnp.sum(labels * z - jax.nn.softplus(z))
        return log_lik - 0.5 * jnp.sum(w**2) - 0.5 * (b / 2.5) ** 2

    return logdensity, n_features + 1


# --------------------------------------------------------------------------------------------------------------------
# Sampler
# --------------------------------------------------------------------------------------------------------------------


def make_run(logdensity, d, chains, n_warmup, n_draws, dense):
    warmup = blackjax.window_adaptation(
        blackjax.nuts,
        logdensity,
        is_mass_matrix_diagonal=not dense,
        adaptation_info_fn=get_filter_adapt_info_fn(info_keys={"num_integration_steps"}),
    )
    kernel = blackjax.nuts.build_kernel()

    def one_chain(key, position):
        warm_key, sample_key = jax.random.split(key)
        (state, parameters), warm_info = warmup.run(warm_key, position, num_steps=n_warmup)
        step_size = parameters["step_size"]
        inverse_mass_matrix = parameters["inverse_mass_matrix"]

        def step(state, k):
            state, info = kernel(k, state, logdensity, step_size, inverse_mass_matrix)
            return state, (state.position, info.num_integration_steps, info.is_divergent, info.acceptance_rate)

        _, (positions, n_steps, divergent, accept) = jax.lax.scan(
            step, state, jax.random.split(sample_key, n_draws)
        )
        return {
            "positions": positions,
            "warmup_steps": warm_info.info.num_integration_steps,
            "draw_steps": n_steps,
            "divergent": divergent,
            "accept": accept,
            "step_size": step_size,
        }

    @jax.jit
    def run(key):
        init_key, chain_key = jax.random.split(key)
        positions = jax.random.normal(init_key, (chains, d), dtype=jnp.float64)
        return jax.vmap(one_chain)(jax.random.split(chain_key, chains), positions)

    return run


def timed(run, key):
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out = jax.block_until_ready(run(key))
    return jax.tree.map(np.asarray, out), time.process_time() - cpu0, time.perf_counter() - wall0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, choices=["correlated-gaussian", "eight-schools", "ionosphere"])
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dense", action="store_true", help="adapt a dense inverse mass matrix")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()

    if args.target == "correlated-gaussian":
        logdensity, d = correlated_gaussian()
    elif args.target == "eight-schools":
        logdensity, d = eight_schools()
    else:
        logdensity, d = ionosphere(args.data_dir)

    run = make_run(logdensity, d, args.chains, args.warmup, args.draws, args.dense)
    compile_key, timed_key = jax.random.split(jax.random.key(args.seed))
    _, cpu_first, wall_first = timed(run, compile_key)
    out, cpu, wall = timed(run, timed_key)

    draws = out["positions"]  # (chains, draws, d)
    ess_bulk = np.array([float(az.ess(np.ascontiguousarray(draws[:, :, i]), method="bulk")) for i in range(d)])
    rhat = np.array([float(az.rhat(np.ascontiguousarray(draws[:, :, i]), method="rank")) for i in range(d)])
    warm_steps = out["warmup_steps"].astype(np.int64)  # (chains, warmup)
    draw_steps = out["draw_steps"].astype(np.int64)  # (chains, draws)
    grad_evals = int(warm_steps.sum() + draw_steps.sum())
    lockstep = int(args.chains * (warm_steps.max(axis=0).sum() + draw_steps.max(axis=0).sum()))
    min_ess = float(np.min(ess_bulk))

    record = {
        "target": args.target,
        "d": d,
        "metric": "dense" if args.dense else "diagonal",
        "chains": args.chains,
        "warmup": args.warmup,
        "draws": args.draws,
        "seed": args.seed,
        "grad_evals": grad_evals,
        "grad_evals_warmup": int(warm_steps.sum()),
        "grad_evals_draws": int(draw_steps.sum()),
        "grad_evals_lockstep_lower_bound": lockstep,
        "min_ess_bulk": min_ess,
        "max_rhat": float(np.max(rhat)),
        "ess_per_grad": min_ess / grad_evals,
        "ess_per_grad_draws": min_ess / max(int(draw_steps.sum()), 1),
        "cpu_seconds": cpu,
        "cpu_seconds_incl_compile": cpu_first,
        "wall_seconds": wall,
        "wall_seconds_incl_compile": wall_first,
        "ess_per_cpu_second": min_ess / cpu if cpu > 0 else math.nan,
        "divergences": int(out["divergent"].sum()),
        "mean_accept": float(out["accept"].mean()),
        "step_size": [float(s) for s in out["step_size"]],
        "mean_steps_per_draw": float(draw_steps.mean()),
        "jax": jax.__version__,
        "blackjax": blackjax.__version__,
        "arviz": az.__version__,
        "device": str(jax.devices()[0]),
    }
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()

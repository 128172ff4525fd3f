#!/usr/bin/env python3
"""Write Tests/Fixtures/diagnostics.json: ArviZ's own MCMC diagnostics on fixed draws.

Run with:  /work/pyenv/bin/python Tests/Fixtures/make_diagnostics_fixtures.py
(ArviZ 0.23.4, NumPy 2.4.6, SciPy 1.17.1 when first written; the versions used are recorded in the JSON.)

Deterministic: one numpy Generator, np.random.default_rng(20240611), draws every case in the order below.

How ArviZ is called. Every case's draws are a float64 numpy array `x` of shape (chains, draws). ArviZ's public
functions, given an np.ndarray of ndim < 3, apply np.atleast_2d and call the private 1-variable function directly
(arviz/stats/diagnostics.py: `if isinstance(data, np.ndarray): data = np.atleast_2d(data); if len(data.shape) < 3:
return rhat_func(data)`, likewise for ess and mcse). The ess docstring states "For ndarray: shape = (chain, draw)",
and not_valid() "Assumes dimensions in order (chain, draw, *shape)". So axis 0 is the chain and axis 1 the draw.
bfmi, given an np.ndarray, calls _bfmi(energy) which takes differences and variances along axis=1, one value per row,
so axis 0 is the chain there too. The exact calls:

    rhat        = az.rhat(x, method="rank")                    # -> _rhat_rank(x)
    ess_bulk    = az.ess(x, method="bulk")                     # -> _ess_bulk(x, relative=False)
    ess_tail    = az.ess(x, method="tail")                     # -> _ess_tail(x, relative=False), prob (0.05, 0.95)
    ess_mean    = az.ess(x, method="mean")                     # -> _ess_mean(x, relative=False)
    mcse_mean   = az.mcse(x, method="mean")                    # -> _mcse_mean(x)
    mcse_sd     = az.mcse(x, method="sd")                      # -> _mcse_sd(x)
    mcse_q05    = az.mcse(x, method="quantile", prob=0.05)     # -> _mcse_quantile(x, prob=0.05)
    mcse_q95    = az.mcse(x, method="quantile", prob=0.95)     # -> _mcse_quantile(x, prob=0.95)
    mcse_median = az.mcse(x, method="median")                  # -> _mcse_median(x) = _mcse_quantile(x, 0.5)
    bfmi        = az.bfmi(energy)                              # -> _bfmi(energy), energy shape (chains, draws)

Numba is not installed, so ArviZ's numpy code paths (np.var, np.std) are the ones used.

JSON layout: {"arviz_version", "numpy_version", "scipy_version", "seed", "cases": [...]}; each case
{"name", "chains", "draws", "values" (chain-major flat list: values[c*draws + t]; NaN as null),
 "energy" (same layout, only in energy cases), "expected": {...}}; non-finite expected values are null.
"""

import json
import math
import os
import warnings

import numpy as np
import scipy

warnings.filterwarnings("ignore")
import arviz as az  # noqa: E402

SEED = 20240611
rng = np.random.default_rng(SEED)


def ar1(chains, draws, rho, offsets=None):
    """AR(1) chains x_t = rho x_{t-1} + e_t, e_t ~ N(0, 1), started from the stationary law N(0, 1/(1-rho^2))."""
    x = np.empty((chains, draws))
    x[:, 0] = rng.standard_normal(chains) / math.sqrt(1.0 - rho * rho)
    for t in range(1, draws):
        x[:, t] = rho * x[:, t - 1] + rng.standard_normal(chains)
    if offsets is not None:
        x += np.asarray(offsets, dtype=float)[:, None]
    return x


def clean(v):
    v = float(v)
    return v if math.isfinite(v) else None


def flat(a):
    return [clean(v) for v in np.asarray(a, dtype=float).ravel(order="C")]


def expected(x, energy=None):
    e = {
        "rhat": clean(az.rhat(x, method="rank")),
        "ess_bulk": clean(az.ess(x, method="bulk")),
        "ess_tail": clean(az.ess(x, method="tail")),
        "ess_mean": clean(az.ess(x, method="mean")),
        "mcse_mean": clean(az.mcse(x, method="mean")),
        "mcse_sd": clean(az.mcse(x, method="sd")),
        "mcse_q05": clean(az.mcse(x, method="quantile", prob=0.05)),
        "mcse_q95": clean(az.mcse(x, method="quantile", prob=0.95)),
        "mcse_median": clean(az.mcse(x, method="median")),
    }
    if energy is not None:
        e["bfmi"] = [clean(v) for v in np.asarray(az.bfmi(energy)).ravel()]
    return e


def case(name, x, energy=None):
    x = np.ascontiguousarray(x, dtype=float)
    chains, draws = x.shape
    c = {"name": name, "chains": chains, "draws": draws, "values": flat(x)}
    if energy is not None:
        energy = np.ascontiguousarray(energy, dtype=float)
        assert energy.shape == x.shape
        c["energy"] = flat(energy)
    c["expected"] = expected(x, energy)
    return c


cases = []
cases.append(case("ar1_4x200", ar1(4, 200, 0.7)))
cases.append(case("ar1_odd_3x151", ar1(3, 151, 0.9)))
cases.append(case("iid_2x1000", rng.standard_normal((2, 1000))))
shifted = rng.standard_normal((4, 100))
shifted[3] += 1.5
cases.append(case("shifted_4x100", shifted))
cases.append(case("heavy_4x250", rng.standard_t(3, size=(4, 250))))
cases.append(case("ties_4x120", np.round(rng.standard_normal((4, 120)), 1)))
cases.append(case("antithetic_4x200", ar1(4, 200, -0.6)))
cases.append(case("one_chain_1x400", ar1(1, 400, 0.5)))
cases.append(case("constant_4x50", np.full((4, 50), 2.5)))
nan_x = rng.standard_normal((4, 50))
nan_x[2, 17] = np.nan
cases.append(case("nan_4x50", nan_x))
cases.append(case("tiny_2x3", rng.standard_normal((2, 3))))
energy_values = rng.standard_normal((4, 300))
energy = ar1(4, 300, 0.5, offsets=[0.0, 3.0, -2.0, 10.0])
cases.append(case("energy_4x300", energy_values, energy=energy))

out = {
    "arviz_version": az.__version__,
    "numpy_version": np.__version__,
    "scipy_version": scipy.__version__,
    "seed": SEED,
    "cases": cases,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "diagnostics.json")
with open(path, "w") as f:
    json.dump(out, f, allow_nan=False)
    f.write("\n")
print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(cases)} cases)")
for c in cases:
    print(c["name"], json.dumps(c["expected"]))

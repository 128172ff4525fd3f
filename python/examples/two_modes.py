"""SLIPS and MALA on a target written in numpy: the two-mode Gaussian mixture of `slips targets` in dimension 8
(weights 2/3 and 1/3 at -(2/3)·1 and (4/3)·1, variance 0.05). SLIPS finds both modes in their proportions; MALA
chains stay where they start. Run: python3 python/examples/two_modes.py"""

import numpy as np

import slips

D, VARIANCE = 8, 0.05
MEANS, LOG_WEIGHTS = (-2.0 / 3.0, 4.0 / 3.0), (np.log(2.0 / 3.0), np.log(1.0 / 3.0))


def two_modes(x):
    """log π and ∇ log π of a (batch, d) array of points (up to a constant)."""
    logs = np.stack([w - ((x - m) ** 2).sum(1) / (2 * VARIANCE) for w, m in zip(LOG_WEIGHTS, MEANS)])
    top = logs.max(0)
    lp = top + np.log(np.exp(logs - top).sum(0))
    resp = np.exp(logs - lp)
    return lp, -sum(r[:, None] * (x - m) for r, m in zip(resp, MEANS)) / VARIANCE


target = slips.from_numpy(two_modes, D, radius=4 / 3 * np.sqrt(D), tau=np.sqrt(VARIANCE))  # R and τ: the scale
for sampler, options in (("slips", {}), ("mala", dict(steps=1000, warmup=1000))):
    r = slips.sample(target, n=2048, sampler=sampler, seed=0, **options)
    first = (r.samples.mean(axis=1) < 1 / 3).mean()
    print(f"{sampler:5s}: {r.samples.shape[0]} samples, weight of the first mode {first:.3f} (exact 0.667), "
          f"{r.info['gradient_evaluations'] / r.info['wall_seconds'] / 1e6:.2f} M gradient evaluations/s")
try:
    import arviz as az

    # Four NUTS chains, each stuck in the mode it found: ArviZ's R-hat far above 1.01 says so.
    print(az.summary(slips.sample(target, sampler="nuts", draws=500, chains=4, seed=0).to_arviz()).iloc[:2])
except ImportError:
    pass

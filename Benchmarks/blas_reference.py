#!/usr/bin/env python3
"""The BLAS limit for the logistic-regression products (BENCHMARKS.md, "The limits these are compared with").

    OPENBLAS_NUM_THREADS=1 python Benchmarks/blas_reference.py

Times numpy's float64 matrix product (the BLAS numpy was built with, OpenBLAS in the PyPI wheels) on one thread at the
shapes of `BayesianLogisticRegression`'s batched evaluation, a panel of 32 parameter vectors: the logits `Θ X̃ᵀ`
(32 × n, depth d) and the likelihood gradients `R X̃` (32 × d, depth n), Ionosphere (n = 280, d = 34) and Sonar
(n = 166, d = 61). Prints GFLOP/s (2·m·n·k per product), best of 7 timings of a loop, to compare with
`SlipsBenchmarks --targets-only`'s product rows.
"""

import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402


def rate(m, n, k, reps=20000):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    c = np.empty((m, n))
    best = float("inf")
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=c)
        best = min(best, time.perf_counter() - t)
    return 2 * m * n * k * reps / best / 1e9


config = np.__config__.CONFIG.get("Build Dependencies", {}).get("blas", {}) if hasattr(np.__config__, "CONFIG") else {}
print(f"numpy {np.__version__}, BLAS {config.get('name', '?')} {config.get('version', '')}, "
      f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
for name, n, d in (("ionosphere", 280, 34), ("sonar", 166, 61)):
    print(f"{name} logits 32x{n}, depth {d}: {rate(32, n, d):.1f} GFLOP/s")
    print(f"{name} gradient 32x{d}, depth {n}: {rate(32, d, n):.1f} GFLOP/s")

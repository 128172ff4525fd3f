#!/usr/bin/env python3
"""Reference timings for `SlipsBenchmarks --training`: the same training step of the two-layer denoiser of
spec/denoising.md §6.5 (inputs [z; φ(α)] with 40 time features, h = 128 ReLU units, skip cos α · z, squared error,
Adam), batch 256, d = 16 and 64, float32.

  python3 Benchmarks/training_reference.py [--threads N] [--steps S]

- numpy: forward, hand-written backward and Adam in numpy float32 (its BLAS does the matrix products);
- PyTorch (when `import torch` works): nn.Linear layers, autograd and torch.optim.Adam, torch.set_num_threads(N).

Both draw the minibatch with numpy like Slips draws its own (a fresh batch of 256 pairs each step) and report steps
per wall-second, best of 3, after a warm-up of 50 steps. Set OMP_NUM_THREADS / OPENBLAS_NUM_THREADS to N as well
for numpy.
"""
import argparse
import time

import numpy as np

H, B, K = 128, 256, 20


def data(d, rng):
    sign = np.where(rng.random((10_000, 1)) < 0.3, 1.0, -1.0)
    return (6.0 * sign + rng.standard_normal((10_000, d))).astype(np.float32)


def batch(x, rng):
    rows = x[rng.integers(0, len(x), B)]
    alpha = (rng.random((B, 1)) * np.pi / 2).astype(np.float32)
    z = np.cos(alpha) * rows + np.sin(alpha) * rng.standard_normal(rows.shape).astype(np.float32)
    i = np.arange(1, K + 1, dtype=np.float32)
    phi = np.concatenate([np.cos(alpha * i), np.sin(alpha * i)], axis=1)
    return np.concatenate([z, phi], axis=1).astype(np.float32), z, np.cos(alpha), rows


def numpy_rate(d, steps, rng):
    x = data(d, rng)
    n_in = d + 2 * K
    p = [rng.uniform(-1, 1, s).astype(np.float32) / np.sqrt(f) for s, f in
         [((n_in, H), n_in), ((H,), n_in), ((H, d), H), ((d,), H)]]
    m = [np.zeros_like(q) for q in p]
    v = [np.zeros_like(q) for q in p]
    t = 0

    def step():
        nonlocal t
        u, z, c, target = batch(x, rng)
        pre = u @ p[0] + p[1]
        a = np.maximum(pre, 0)
        out = a @ p[2] + p[3] + c * z
        g_out = (2.0 / B) * (out - target)
        g = [None] * 4
        g[2] = a.T @ g_out
        g[3] = g_out.sum(0)
        g_h = (g_out @ p[2].T) * (pre > 0)
        g[0] = u.T @ g_h
        g[1] = g_h.sum(0)
        t += 1
        for j in range(4):
            m[j] = 0.9 * m[j] + 0.1 * g[j]
            v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j]
            p[j] -= 1e-3 * (m[j] / (1 - 0.9 ** t)) / (np.sqrt(v[j] / (1 - 0.999 ** t)) + 1e-8)

    return timed(step, steps)


def torch_rate(d, steps, rng, threads):
    import torch
    torch.set_num_threads(threads)
    x = data(d, rng)
    net = torch.nn.Sequential(torch.nn.Linear(d + 2 * K, H), torch.nn.ReLU(), torch.nn.Linear(H, d))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step():
        u, z, c, target = (torch.from_numpy(a) for a in batch(x, rng))
        loss = ((net(u) + c * z - target) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    return timed(step, steps)


def timed(step, steps):
    for _ in range(50):
        step()
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        best = min(best, time.perf_counter() - t0)
    return steps / best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=1000)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    for d in (16, 64):
        print(f"numpy {np.__version__}, d = {d}: {numpy_rate(d, args.steps, rng):.0f} steps/s")
        try:
            import torch
            print(f"PyTorch {torch.__version__}, d = {d}, {args.threads} thread(s): "
                  f"{torch_rate(d, args.steps, rng, args.threads):.0f} steps/s")
        except ImportError:
            print("PyTorch: not installed")


if __name__ == "__main__":
    main()

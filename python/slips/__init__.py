"""Slips from Python: sample your own numpy, JAX or C/numba targets with every sampler of `slips sample`.

    import numpy as np, slips
    def two_modes(x):                      # x: (batch, dim) float64
        ...
        return logp, grad                  # (batch,), (batch, dim)
    r = slips.sample(two_modes, dim=8, n=1024, sampler="slips", seed=0, sigma=1.0)
    r.samples, r.info, r.to_arviz()

Options are `slips sample`'s (underscores for hyphens: mcmc_steps=32, step_size=0.1, adapt="window"); the C library
(include/slips.h) runs the samplers, this package only translates.
"""

import ctypes
import json
import math
import threading

import numpy as np

from . import _native
from ._native import lib

__all__ = ["sample", "concat", "Target", "Result", "SlipsError", "CallbackError", "from_numpy", "from_jax", "native",
           "builtin", "targets", "version"]

version = lib.slips_version().decode()
__version__ = version


class SlipsError(RuntimeError):
    """An error of the library: a bad option or argument, or a sampler that failed (the library's message)."""

    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


class CallbackError(SlipsError):
    """The target returned a failure without a Python exception (a native function returned 0)."""


def _check(status, error):
    if status != _native.OK:
        message = error.value.decode(errors="replace")
        raise (CallbackError if status == _native.ERROR_CALLBACK else SlipsError)(message, status)


def _error_buffer():
    return ctypes.create_string_buffer(1024)


class Target:
    """A target of the C library: built-in (``builtin``), a Python function (``from_numpy``, ``from_jax``) or a C
    function pointer (``native``). ``python_callback`` tells whether sampling holds the GIL in every call (then one
    thread is the default)."""

    def __init__(self, handle, dim, python_callback, keep=None, refs=()):
        self._handle = ctypes.c_void_p(handle)
        self.dim = dim
        self.python_callback = python_callback
        self._keep = keep  # the ctypes callback and its state live as long as the target
        self._refs = refs  # what the C function reads (its context)

    def __del__(self):
        if getattr(self, "_handle", None) and self._handle.value:
            lib.slips_target_free(self._handle)
            self._handle = ctypes.c_void_p(None)

    def evaluate(self, x):
        """(log π(x), ∇ log π(x)) at the rows of x, as the samplers evaluate them."""
        x = np.ascontiguousarray(np.atleast_2d(x), dtype=np.float64)
        if x.shape[1] != self.dim:
            raise ValueError(f"points have dimension {x.shape[1]}, the target {self.dim}")
        logp = np.empty(x.shape[0])
        grad = np.empty_like(x)
        error = _error_buffer()
        p = _native.c_double_p
        status = lib.slips_target_evaluate(self._handle, x.ctypes.data_as(p), x.shape[0], logp.ctypes.data_as(p),
                                           grad.ctypes.data_as(p), error, len(error))
        if self._keep is not None:
            self._keep.reraise()
        _check(status, error)
        return logp, grad


class _Callback:
    """The ctypes trampoline of a Python target: zero-copy (count, dim) views in, the function's arrays copied out;
    any exception (KeyboardInterrupt included) is kept and the call returns 0, which stops the run."""

    def __init__(self, function, dim):
        self.function = function
        self.dim = dim
        self.error = None
        self.c_function = _native.LOGDENSITY_FN(self._call)
        # One run at a time: the exception a call raised belongs to the run that made it.
        self.in_use = threading.Lock()

    def _call(self, _context, points, count, dim, logdensity, gradient):
        if count == 0:
            return 1
        try:
            n = count * dim
            x = np.frombuffer((ctypes.c_double * n).from_address(points), dtype=np.float64).reshape(count, dim)
            x.flags.writeable = False
            logp, grad = self.function(x)
            logp, grad = np.asarray(logp), np.asarray(grad)
            if logp.shape != (count,) or grad.shape != (count, dim):
                raise ValueError(f"the target returned shapes {logp.shape} and {grad.shape} for {count} points in "
                                 f"dimension {dim}; expected ({count},) and ({count}, {dim})")
            np.copyto(np.frombuffer((ctypes.c_double * count).from_address(logdensity), dtype=np.float64), logp)
            np.copyto(np.frombuffer((ctypes.c_double * n).from_address(gradient), dtype=np.float64).reshape(count, dim),
                      grad)
            return 1
        except BaseException as e:  # noqa: BLE001 — every failure must reach the caller, not read as success
            if self.error is None:
                self.error = e
            return 0

    def reraise(self):
        if self.error is not None:
            e, self.error = self.error, None
            raise e


def _scale(value):
    return math.nan if value is None else float(value)


def from_numpy(function, dim, radius=None, tau=None):
    """A target from ``function(x) -> (logp, grad)`` on a (batch, dim) float64 array (read-only, valid during the
    call), returning (batch,) and (batch, dim) arrays. ``radius``/``tau``: R and τ of the target's scale (SLIPS's
    default σ = sqrt(R²/d + τ²)); without them give ``sigma=`` (SLIPS, SMC, AIS, OAT) or ``init_scale=`` (MCMC)."""
    dim = int(dim)
    callback = _Callback(function, dim)
    handle = ctypes.c_void_p()
    error = _error_buffer()
    _check(lib.slips_target_callback(dim, callback.c_function, None, _scale(radius), _scale(tau), ctypes.byref(handle),
                                     error, len(error)), error)
    return Target(handle.value, dim, python_callback=True, keep=callback)


def from_jax(logp, dim, radius=None, tau=None):
    """A target from a JAX log-density of one point: ``jit(vmap(value_and_grad(logp)))`` evaluated on each batch.
    With ``jax.config.update("jax_enable_x64", True)`` it runs in float64 (else float32, rounded)."""
    import jax

    batched = jax.jit(jax.vmap(jax.value_and_grad(logp)))

    def function(x):
        value, grad = batched(x)
        return np.asarray(value), np.asarray(grad)

    return from_numpy(function, dim, radius=radius, tau=tau)


def native(address, dim, context=None, radius=None, tau=None):
    """A target from a C function pointer (an int address, e.g. a numba ``cfunc``'s ``.address``) with the signature
    of ``slips_logdensity_fn``: ``int32 f(void *context, const double *points, int64 count, int64 dim, double
    *logdensity, double *gradient)``, non-zero on success. No Python runs in the loop, so every thread samples."""
    dim = int(dim)
    function = ctypes.cast(ctypes.c_void_p(int(address)), _native.LOGDENSITY_FN)
    handle = ctypes.c_void_p()
    error = _error_buffer()
    _check(lib.slips_target_callback(dim, function, context, _scale(radius), _scale(tau), ctypes.byref(handle), error,
                                     len(error)), error)
    return Target(handle.value, dim, python_callback=False, keep=None, refs=(function, context))


def _option_lines(options):
    lines = []
    for key, value in options.items():
        if value is None or value is False:  # a flag not given
            continue
        name = key.replace("_", "-")
        text = "true" if value is True else str(value)
        if len(f"{name}={text}".splitlines()) != 1 or text != text.strip():
            raise ValueError(f"option {key}={value!r} has a line break or surrounding spaces")
        lines.append(f"{name}={text}")
    return "\n".join(lines).encode()


def builtin(name, dim=None, **options):
    """A built-in target of `slips targets` (two-modes, funnel, phi-four, ionosphere, ...) with its options
    (data_dir, mixture, field, coupling, beta, ...)."""
    handle = ctypes.c_void_p()
    error = _error_buffer()
    _check(lib.slips_target_builtin(name.encode(), int(dim or 0), _option_lines(options), ctypes.byref(handle), error,
                                    len(error)), error)
    return Target(handle.value, int(lib.slips_target_dimension(handle)), python_callback=False)


class Result:
    """Samples of one run: ``samples`` ((n, dim), or (chains, draws, dim) for MCMC with ``draws``), ``info`` (the run
    summary of `slips sample --summary`: evaluations, wall seconds, statistics, metrics) and ``stats`` (per-sample or
    per-draw arrays: AIS weights; the draws' lp, acceptance_rate, step_size, diverging, ...)."""

    def __init__(self, samples, info, stats):
        self.samples = samples
        self.info = info
        self.stats = stats

    def __repr__(self):
        return (f"Result(sampler={self.info.get('sampler')!r}, shape={self.samples.shape}, "
                f"gradient_evaluations={self.info.get('gradient_evaluations')})")

    def to_arviz(self):
        """An ArviZ InferenceData: posterior ``x`` with dims (chain, draw, x_dim_0), and the sample statistics. Draws
        keep their chains; independent samples are one chain of n draws."""
        import arviz as az

        if self.samples.ndim == 3 and self.info.get("sampler") == "walk-jump":
            x = self.samples.reshape(1, -1, self.samples.shape[-1])  # jumps of many walks: one chain of draws
        else:
            x = self.samples if self.samples.ndim == 3 else self.samples[np.newaxis]
        chains, draws = x.shape[:2]
        stats = {name: values.reshape(chains, draws) for name, values in self.stats.items()
                 if values.size == chains * draws}
        for name in ("diverging",):
            if name in stats:
                stats[name] = stats[name].astype(bool)
        try:
            return az.from_dict(posterior={"x": x}, sample_stats=stats or None)
        except TypeError:  # ArviZ 1.x: one dictionary of groups
            return az.from_dict({"posterior": {"x": x}, **({"sample_stats": stats} if stats else {})})


def _threads(target, threads):
    if threads is not None:
        return int(threads)
    return 1 if target.python_callback else 0


def sample(target, dim=None, n=1024, sampler="slips", seed=0, threads=None, batch=256, shard=None, **options):
    """Draws ``n`` samples from ``target`` with ``sampler`` (any of `slips sample --sampler`) and its options.

    ``target``: a ``Target`` (``from_numpy``, ``from_jax``, ``native``, ``builtin``, ``slips.targets.*``), a built-in
    name, or a function ``f(x) -> (logp, grad)`` on (batch, dim) arrays (then ``dim`` is needed). ``threads``: worker
    threads (default: 1 for a Python function, which holds the GIL, else all cores; the output never depends on it).
    ``batch``: about this many points per target call. ``shard=(k, n_shards)``: the k-th part of the run (join the
    parts with ``concat``). MCMC with ``draws=D`` (and ``chains=C``) keeps D draws of C long chains.
    Ctrl-C (KeyboardInterrupt) and an exception in the target stop the run within a second and are raised here."""
    if isinstance(target, str):
        target = builtin(target, dim)
    elif not isinstance(target, Target):
        if dim is None:
            raise ValueError("give dim= for a target function")
        target = from_numpy(target, dim, radius=options.pop("radius", None), tau=options.pop("tau", None))
    if dim is not None and int(dim) != target.dim:
        raise ValueError(f"dim={dim} but the target has dimension {target.dim}")
    k, parts = shard if shard is not None else (0, 1)
    arguments = (target._handle, str(sampler).encode(), _option_lines(options), int(n), int(seed),
                 _threads(target, threads), int(batch), int(k), int(parts))
    callback = target._keep
    if callback is not None and not callback.in_use.acquire(blocking=False):
        raise RuntimeError("this Python target is sampling in another run; make one target per concurrent run")
    run = lib.slips_run_new()
    try:
        if callback is not None:
            callback.error = None
        status, error = _run_interruptibly(run, arguments)
        if callback is not None:
            callback.reraise()
        _check(status, error)
        return _result(run)
    finally:
        lib.slips_run_free(run)  # the worker has finished: _run_interruptibly never returns or raises before
        if callback is not None:
            callback.in_use.release()


def _run_interruptibly(run, arguments):
    """slips_run_sample on a worker thread while this one waits, so that Ctrl-C cancels the run; returns (or raises
    KeyboardInterrupt) only once the worker has finished, however many times Ctrl-C is pressed."""
    error = _error_buffer()
    out = {}

    def body():
        out["status"] = lib.slips_run_sample(run, *arguments, error, len(error))

    worker = threading.Thread(target=body, name="slips-sample", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
    except KeyboardInterrupt:
        lib.slips_run_cancel(run)
        while worker.is_alive():  # the run stops at its next check (within a second)
            try:
                worker.join()
            except KeyboardInterrupt:
                lib.slips_run_cancel(run)
        raise
    return out["status"], error


def _result(run):
    shape = (ctypes.c_int64 * 3)()
    ndim = lib.slips_run_shape(run, shape)
    samples = np.empty(tuple(shape[:ndim]))
    _check(lib.slips_run_samples(run, samples.ctypes.data_as(_native.c_double_p), samples.size), _error_buffer())
    info = json.loads(lib.slips_run_summary_json(run).decode())
    stats = {}
    for name in filter(None, lib.slips_run_array_names(run).decode().split("\n")):
        values = np.empty(lib.slips_run_array_length(run, name.encode()))
        lib.slips_run_array(run, name.encode(), values.ctypes.data_as(_native.c_double_p), values.size)
        stats[name] = values
    return Result(samples, info, stats)


def concat(results):
    """Joins the shards of one run (``sample(..., shard=(k, n))``) into the unsharded run's samples, in index order.
    Raises ValueError for shards of different runs, a missing or a duplicated shard."""
    results = list(results)
    if not results:
        raise ValueError("no shards to join")
    same = ("configuration_hash", "target", "target_parameters", "dimension", "sampler", "parameters", "settings", "seed",
            "total_samples", "version")
    first = results[0].info
    parts = int(first["shard"].split("/")[1])
    for r in results:
        for key in same:
            if r.info.get(key) != first.get(key):
                raise ValueError(f"shard {r.info['shard']} is from another run ({key} differs)")
        if int(r.info["shard"].split("/")[1]) != parts:
            raise ValueError(f"shard {r.info['shard']} is from a run in {r.info['shard'].split('/')[1]} shards, not {parts}")
    indices = sorted(int(r.info["shard"].split("/")[0]) for r in results)
    if len(set(indices)) != len(indices):
        raise ValueError(f"duplicate shards: {indices}")
    if indices != list(range(parts)):
        missing = sorted(set(range(parts)) - set(indices))
        raise ValueError(f"missing shards {missing} of {parts}")
    ordered = sorted(results, key=lambda r: r.info["first_index"])
    info = {key: first[key] for key in same + ("threads", "git_commit") if key in first}
    total = lambda key: sum(r.info[key] for r in results)  # noqa: E731
    info.update(shard="0/1", first_index=0, samples=total("samples"), gradient_evaluations=total("gradient_evaluations"),
                logdensity_evaluations=total("logdensity_evaluations"), wall_seconds=total("wall_seconds"),
                gradient_evaluations_per_sample=total("gradient_evaluations") / max(1, total("samples")),
                # metrics and statistics are each shard's own: kept per shard, in index order
                shards=[r.info for r in ordered])
    stats = {name: np.concatenate([r.stats[name] for r in ordered]) for name in ordered[0].stats}
    return Result(np.concatenate([r.samples for r in ordered]), info, stats)


from . import reference, targets  # noqa: E402,F401  (slips.reference, slips.targets)

"""The Python package against the library's own targets (issue 26's criteria): a numpy, a JAX and a numba target give
the Swift target's samples to 1e-12; errors and interrupts in the callback surface as Python exceptions within a
second; ArviZ output; shards join to the unsharded run and refuse missing, duplicate and foreign parts."""

import threading
import time

import numpy as np
import pytest

import slips

from slips.reference import MEANS, VARIANCE, two_modes

D = 8
SCALE = slips.reference.scale(D)


def failing_on_call(k, error):
    """two_modes that raises `error` on its k-th call, and the list counting its calls."""
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) == k:
            raise error
        return two_modes(x)

    return f, calls


RUNS = [dict(sampler="mala", n=128, seed=7, steps=100, warmup=100),
        dict(sampler="slips", n=32, seed=7, steps=64)]


@pytest.fixture(scope="module")
def swift_target():
    return slips.targets.two_modes(dim=D)


def test_numpy_target_evaluates_as_the_swift_target(swift_target):
    x = np.random.default_rng(0).normal(size=(16, D))
    lp, grad = swift_target.evaluate(x)
    lp2, grad2 = two_modes(x)
    np.testing.assert_allclose(lp2, lp, rtol=0, atol=1e-12)
    np.testing.assert_allclose(grad2, grad, rtol=0, atol=1e-9)


@pytest.mark.parametrize("run", RUNS, ids=lambda r: r["sampler"])
def test_numpy_target_gives_the_swift_samples(swift_target, run):
    reference = slips.sample(swift_target, **run)
    mine = slips.sample(two_modes, dim=D, **SCALE, **run)
    assert mine.samples.shape == (run["n"], D)
    np.testing.assert_allclose(mine.samples, reference.samples, rtol=0, atol=1e-12)
    assert mine.info["gradient_evaluations"] == reference.info["gradient_evaluations"]


@pytest.mark.parametrize("kind", ["jax", "numba"])
def test_jax_and_numba_targets_give_the_swift_samples(swift_target, kind):
    pytest.importorskip(kind)
    target = getattr(slips.reference, f"{kind}_target")(D)
    for run in RUNS:
        mine = slips.sample(target, threads=2 if kind == "numba" else None, **run)
        np.testing.assert_allclose(mine.samples, slips.sample(swift_target, **run).samples, rtol=0, atol=1e-12)


def test_output_does_not_depend_on_threads_or_batch(swift_target):
    run = RUNS[1]
    a = slips.sample(swift_target, threads=1, batch=0, **run)
    b = slips.sample(swift_target, threads=2, batch=512, **run)
    assert np.array_equal(a.samples, b.samples)


@pytest.mark.parametrize("error", [ZeroDivisionError("boom"), KeyboardInterrupt()], ids=["exception", "interrupt"])
def test_an_error_in_the_callback_stops_the_run_within_a_second(error):
    failing, calls = failing_on_call(20, error)
    start = time.monotonic()
    with pytest.raises(type(error)):
        slips.sample(failing, dim=D, n=1_000_000, sampler="mala", init_scale=1.0)
    assert time.monotonic() - start < 1.0
    assert len(calls) == 20


@pytest.mark.parametrize("shapes", [lambda x: (np.zeros(1), np.zeros((1, D))),
                                    lambda x: (np.zeros((len(x), 1)), np.zeros_like(x)),
                                    lambda x: (np.zeros(len(x)), np.zeros_like(x).T)], ids=["short", "column", "transposed"])
def test_a_callback_returning_a_bad_shape_is_a_python_error(shapes):
    with pytest.raises(ValueError, match="expected"):
        slips.sample(shapes, dim=D, n=16, sampler="mala", init_scale=1.0)


def test_a_failed_run_leaves_the_target_usable(swift_target):
    once_failing, _ = failing_on_call(3, ZeroDivisionError())
    target = slips.from_numpy(once_failing, D, **SCALE)
    with pytest.raises(ZeroDivisionError):
        slips.sample(target, **RUNS[0])
    np.testing.assert_allclose(slips.sample(target, **RUNS[0]).samples, slips.sample(swift_target, **RUNS[0]).samples,
                               rtol=0, atol=1e-12)


def test_the_exact_denoiser_through_python(swift_target):
    r = slips.sample(swift_target, n=256, sampler="sl", denoiser="exact", steps=100, seed=2)
    assert r.info["settings"]["denoiser"] == "exact"
    assert r.info["metrics"]["mode_weight_error"] < 0.1


def test_ctrl_c_cancels_a_native_run_within_a_second(swift_target):
    import _thread

    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        slips.sample(swift_target, n=10_000_000, sampler="mala", threads=1)
    assert time.monotonic() - start < 1.3


def test_library_errors_are_python_exceptions(swift_target):
    with pytest.raises(slips.SlipsError, match="does not apply to --sampler mala"):
        slips.sample(swift_target, n=8, sampler="mala", mcmc_steps=3)
    with pytest.raises(slips.SlipsError, match="unknown sampler"):
        slips.sample(swift_target, n=8, sampler="nope")
    with pytest.raises(slips.SlipsError, match="unknown target"):
        slips.targets.no_such_target()
    with pytest.raises(slips.SlipsError, match="sigma"):
        slips.sample(two_modes, dim=D, n=8, sampler="slips")


def test_draws_to_arviz_round_trip_through_summary(swift_target):
    az = pytest.importorskip("arviz")
    r = slips.sample(swift_target, sampler="nuts", draws=100, chains=2, warmup=100, seed=1)
    assert r.samples.shape == (2, 100, D)
    data = r.to_arviz()
    assert data.posterior["x"].shape == (2, 100, D)
    assert bool(data.sample_stats["diverging"].dtype == bool)
    table = az.summary(data)
    assert len(table) == D
    np.testing.assert_allclose(table["mean"].to_numpy(), r.samples.mean(axis=(0, 1)), atol=1e-3)


def test_shards_join_to_the_unsharded_run(swift_target):
    run = dict(sampler="mala", n=100, seed=3, steps=50, warmup=50)
    whole = slips.sample(swift_target, **run)
    parts = [slips.sample(swift_target, shard=(k, 3), **run) for k in (2, 0, 1)]
    assert len({p.info["configuration_hash"] for p in parts}) == 1
    assert parts[0].info["configuration_hash"] != whole.info["configuration_hash"]  # 3 shards, not 1
    joined = slips.concat(parts)
    assert np.array_equal(joined.samples, whole.samples)
    assert [s["shard"] for s in joined.info["shards"]] == ["0/3", "1/3", "2/3"] and "metrics" not in joined.info
    assert joined.info["gradient_evaluations"] == whole.info["gradient_evaluations"]
    with pytest.raises(ValueError, match="missing"):
        slips.concat(parts[:2])
    with pytest.raises(ValueError, match="duplicate"):
        slips.concat(parts + parts[:1])
    foreign = slips.sample(swift_target, shard=(1, 3), **dict(run, seed=4))
    with pytest.raises(ValueError, match="another run"):
        slips.concat([parts[0], parts[1], foreign])


def test_dask_shards_join_to_the_unsharded_run(swift_target):
    distributed = pytest.importorskip("dask.distributed")
    run = dict(sampler="mala", n=64, seed=5, steps=40, warmup=40)
    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1) as client:
        futures = [client.submit(lambda k: slips.sample("two-modes", dim=D, shard=(k, 4), **run), k) for k in range(4)]
        joined = slips.concat(client.gather(futures))
    assert np.array_equal(joined.samples, slips.sample(swift_target, **run).samples)


def test_version_matches_the_library():
    from slips import _version

    assert slips.version == _version.__version__


@pytest.mark.skipif(not __import__("os").environ.get("SLIPS_EXPECT_BUNDLED"), reason="only for an installed wheel")
def test_a_wheel_runs_on_its_own_runtime():
    """With SLIPS_EXPECT_BUNDLED=1 (CI's wheel check): every Swift library this process loaded is the wheel's own."""
    import pathlib
    import re

    slips.sample("two-modes", n=8, sampler="mala", steps=5, warmup=5)
    package = str(pathlib.Path(slips.__file__).resolve().parent)
    loaded = set(re.findall(r"(/\S*lib(?:swift\w*|Foundation\w*|dispatch|BlocksRuntime|SlipsC)\.so)",
                            open("/proc/self/maps").read()))
    assert loaded and all(path.startswith(package) for path in loaded), loaded


def test_a_model_of_slips_train_denoises_from_python(tmp_path):
    """`slips train` (the wheel's bundled command, else a checkout's build) and its model as a target and denoiser."""
    import pathlib
    import shutil
    import subprocess

    command = shutil.which("slips") or str(pathlib.Path(__file__).resolve().parents[2] / ".build" / "release" / "slips")
    if not pathlib.Path(command).is_file():
        pytest.skip("no slips command (install the wheel or build the checkout)")
    rng = np.random.default_rng(3)
    data = np.where(rng.random((2000, 1)) < 2 / 3, MEANS[0], MEANS[1]) + np.sqrt(VARIANCE) * rng.normal(size=(2000, 4))
    np.save(tmp_path / "x.npy", data)
    model = str(tmp_path / "m.json")
    subprocess.run([command, "train", "--data", str(tmp_path / "x.npy"), "--steps", "200", "--hidden", "32", "--quiet",
                    "--output", model], check=True, capture_output=True)
    target = slips.targets.model(model)
    assert target.dim == 4
    r = slips.sample(target, n=200, sampler="sl", denoiser=model, steps=50, seed=1)
    assert r.samples.shape == (200, 4) and np.isfinite(r.samples).all()
    assert r.info["settings"]["denoiser"].startswith("learned")
    with pytest.raises(slips.SlipsError, match="no-such.json"):
        slips.sample(target, n=8, sampler="sl", denoiser=str(tmp_path / "no-such.json"))

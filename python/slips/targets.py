"""The built-in targets of `slips targets` as functions: ``slips.targets.two_modes(dim=8)``,
``slips.targets.phi_four(dim=100, field=0.0)``, ``slips.targets.ionosphere(data_dir=...)`` (hyphens as underscores)."""

from . import builtin


def __getattr__(name):
    if name.startswith("_"):
        raise AttributeError(name)
    target = name.replace("_", "-")

    def make(dim=None, **options):
        return builtin(target, dim, **options)

    make.__name__ = name
    make.__doc__ = f"The built-in target {target!r} (see `slips targets`)."
    return make


def model(path):
    """The data set a model of `slips train` learned (MODEL.json), to sample with ``denoiser=path`` (sampler "sl")
    or ``score=path`` (walk-jump, jms, sms), as `slips sample --denoiser MODEL.json` does."""
    return builtin(str(path))

"""The built-in targets of `slips targets` as functions: ``slips.targets.two_modes(dim=8)``,
``slips.targets.phi_four(dim=100, field=0.0)``, ``slips.targets.ionosphere(data_dir=...)`` (hyphens as underscores)."""

from . import builtin


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    target = name.replace("_", "-")

    def make(dim=None, **options):
        return builtin(target, dim, **options)

    make.__name__ = name
    make.__doc__ = f"The built-in target {target!r} (see `slips targets`)."
    return make

"""Builds the package's native part with the Swift toolchain: libSlipsC.so from the checkout this folder sits in
(`swift build -c release --product SlipsC`), copied into slips/_lib. `SLIPS_PREBUILT_LIB_DIR=DIR` takes every file of
DIR instead (python/build_wheel.sh puts the library, the CLI and the Swift runtime there)."""

import os
import pathlib
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70
    try:
        from wheel.bdist_wheel import bdist_wheel
    except ImportError:  # pragma: no cover
        bdist_wheel = None

ROOT = pathlib.Path(__file__).resolve().parent.parent


class BuildWithSwift(build_py):
    def run(self):
        super().run()
        destination = pathlib.Path(self.build_lib) / "slips" / "_lib"
        destination.mkdir(parents=True, exist_ok=True)
        prebuilt = os.environ.get("SLIPS_PREBUILT_LIB_DIR")
        if prebuilt:
            for path in pathlib.Path(prebuilt).iterdir():
                shutil.copy2(path, destination / path.name)
            return
        if shutil.which("swift") is None:
            raise RuntimeError("building slips needs the Swift toolchain (swift on the PATH), or a wheel from "
                               "python/build_wheel.sh")
        subprocess.check_call(["swift", "build", "-c", "release", "--product", "SlipsC"], cwd=ROOT)
        shutil.copy2(ROOT / ".build" / "release" / "libSlipsC.so", destination / "libSlipsC.so")


class NativeDistribution(Distribution):
    """The package carries a native library: its wheel is platform-specific."""

    def has_ext_modules(self):
        return True


commands = {"build_py": BuildWithSwift}
if bdist_wheel is not None:
    class PlatformWheel(bdist_wheel):
        """Any Python 3 on this platform: the library is loaded through ctypes, not the Python ABI."""

        def get_tag(self):
            _, _, platform = super().get_tag()
            return "py3", "none", platform

    commands["bdist_wheel"] = PlatformWheel

setup(cmdclass=commands, distclass=NativeDistribution)

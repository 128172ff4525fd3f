"""The `slips` command of a wheel: runs the CLI executable bundled beside the library (slips/_lib/slips)."""

import os
import pathlib
import sys


def main():
    executable = pathlib.Path(__file__).resolve().parent / "_lib" / "slips"
    if not executable.is_file():
        sys.exit("slips: this installation has no bundled command line (a wheel from python/build_wheel.sh has one; "
                 "from a checkout run `swift run -c release slips`)")
    os.execv(str(executable), [str(executable)] + sys.argv[1:])

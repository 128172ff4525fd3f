"""Helpers shared by the side-by-side comparison scripts of Benchmarks/ (nuts_compare.py, slips_compare.py)."""

import resource
import subprocess


def child_cpu():
    """CPU seconds (user + system) of all finished child processes of this one."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_timed(cmd):
    """Runs `cmd` (its standard output discarded, failing on a non-zero status) and returns its CPU seconds."""
    cpu0 = child_cpu()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return child_cpu() - cpu0

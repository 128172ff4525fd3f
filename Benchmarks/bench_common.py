"""Helpers shared by the side-by-side comparison scripts of Benchmarks/ (nuts_compare.py, slips_compare.py)."""

import json
import os
import resource
import subprocess
import tempfile


def child_cpu():
    """CPU seconds (user + system) of all finished child processes of this one."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_timed(cmd):
    """Runs `cmd` (its standard output discarded, failing on a non-zero status) and returns its CPU seconds."""
    cpu0 = child_cpu()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return child_cpu() - cpu0


def run_sample(binary, args):
    """Runs `binary sample ARGS --quiet` writing into a temporary folder; returns (CPU seconds of the process, its run
    summary as a dict)."""
    with tempfile.TemporaryDirectory() as tmp:
        summary = os.path.join(tmp, "s.json")
        cpu = run_timed([binary, "sample"] + args + ["--quiet", "--output", os.path.join(tmp, "s.npy"), "--summary", summary])
        with open(summary) as f:
            return cpu, json.load(f)

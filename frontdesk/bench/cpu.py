"""Pin the benchmark process to one CPU core, and pick the least busy one.

Linux only (``os.sched_setaffinity``); elsewhere pinning is reported as not done.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import time
from pathlib import Path

__all__ = ["pin_to_cpu", "least_busy_cpu", "allowed_cpus"]

log = logging.getLogger(__name__)


def allowed_cpus() -> list[int]:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def _idle_ticks() -> dict[int, int]:
    ticks: dict[int, int] = {}
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return ticks
    for line in lines:
        name, *fields = line.split()
        if name.startswith("cpu") and name != "cpu":
            ticks[int(name[3:])] = int(fields[3]) + int(fields[4])  # idle + iowait
    return ticks


def least_busy_cpu(sample_s: float = 0.3) -> int:
    """The allowed core that was idle the most over a short sample."""
    cpus = allowed_cpus()
    before = _idle_ticks()
    time.sleep(sample_s)
    after = _idle_ticks()
    if not before or not after:
        return cpus[0]
    return max(cpus, key=lambda c: after.get(c, 0) - before.get(c, 0))


def pin_to_cpu(cpu: int) -> bool:
    """Pin every thread of this process (and threads started later) to ``cpu``.

    Threads inherit their creator's affinity, so pin before starting MediaPipe
    graphs. Returns False where pinning is not supported.
    """
    if not hasattr(os, "sched_setaffinity"):
        log.warning("cannot pin to one core on this system; measuring on all cores")
        return False
    os.sched_setaffinity(0, {cpu})
    try:
        tids = [int(p.name) for p in Path("/proc/self/task").iterdir()]
    except OSError:
        tids = []
    for tid in tids:
        with contextlib.suppress(OSError):  # a thread that ended meanwhile
            os.sched_setaffinity(tid, {cpu})
    return True


def positive_int(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_output_and_pinning_args(p: argparse.ArgumentParser) -> None:
    """--json, --cpu CORE and --no-pin, shared by the single-core benchmarks."""
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--cpu", type=int, default=None, metavar="CORE",
                   help="pin to this core (default: the least busy allowed core)")
    p.add_argument("--no-pin", action="store_true", help="do not pin; use every core")

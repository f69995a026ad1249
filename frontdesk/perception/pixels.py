"""Small helpers for the small pictures the gate and the presence stage compare.

Both run on every frame an idle counter delivers, once per frame after the pacing's
wait, when the caches have gone cold: there, what a call costs is mostly the code
it touches, not its arithmetic (docs/performance.md, "Issue 19, idle path").
"""

from __future__ import annotations

import numpy as np

__all__ = ["median"]


def median(values: np.ndarray) -> float:
    """``float(np.median(values))`` over all of ``values`` (not empty, no NaN), the
    same number: one partition about the middle, without numpy's Python-level
    wrapper (about 0.2 ms the first time after a frame's wait, against 5 to 10 us
    for the partition)."""
    flat = values.reshape(-1)
    n = flat.size
    lo, hi = (n - 1) // 2, n // 2
    part = np.partition(flat, (lo, hi))
    if flat.dtype.kind in "iu":  # numpy's mean of integers is taken in floats
        return (int(part[lo]) + int(part[hi])) / 2
    return float((part[lo] + part[hi]) / 2)  # a float32 sum, as numpy's mean takes it

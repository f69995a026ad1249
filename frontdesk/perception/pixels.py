"""Small helpers for the small pictures the gate and the presence stage compare.

Both run on every frame an idle counter delivers, once per frame after the pacing's
wait, when the caches have gone cold: there, what a call costs is mostly the code
it touches, not its arithmetic (docs/performance.md, "Issue 19, idle path").
"""

from __future__ import annotations

import cv2
import numpy as np

from frontdesk.types import Frame, grey_from_luma

__all__ = ["median", "shrink_grey"]


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


def shrink_grey(frame: Frame, width: int, height: int, *, grey_first: bool = False) -> np.ndarray:
    """``frame`` in grey at ``width`` x ``height`` (uint8): a bilinear step to twice
    that size when the frame is larger, then block averages (cheaper than one area
    resize of the whole frame).

    From the decoder's luma plane when the frame has one, stretched from video range
    to BGR grey's scale at the end (on the small picture): the frame is never
    converted to BGR for it. Otherwise from BGR, converted to grey after the
    bilinear step (the gate), or between the two steps with ``grey_first`` (the
    presence stage: its grey values as they were measured)."""
    luma = frame.luma
    image = frame.image if luma is None else luma
    if frame.width > 2 * width and frame.height > 2 * height:
        image = cv2.resize(image, (2 * width, 2 * height), interpolation=cv2.INTER_LINEAR)
    if luma is None and grey_first:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    if luma is None:
        return small if grey_first else cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    return grey_from_luma(small, frame.luma_full_range)

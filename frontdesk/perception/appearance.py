"""What a person wears: a colour signature of the upper body under each face.

A customer who looks down at her phone, or walks up from the queue with her
eyes on it, has no face for a while; when her face comes back the engine must
decide whose visit it continues. Place and size cannot tell two people apart
when one steps into the spot the other just left; their clothes usually can.

The signature is a small colour histogram of the chest under the face, computed
on a patch shrunk to :data:`PATCH_PX` pixels a side (about 20 microseconds a
face):

* chromatic pixels (saturation and value both at least :data:`GREY_BELOW`) go to
  :data:`HUE_BINS` hue bins (soft: each pixel is shared between the two nearest
  bins, so a colour on a bin's edge does not flip) times two saturation bins;
* the rest (black, grey, white clothes) go to :data:`GREY_BINS` value bins.

Where someone nearer the camera stands in front of the chest (a queue seen at an
angle), their coat would show in the box: the cells of the patch inside the body
of a nearer face (:func:`nearer_bodies`) are left out and the histogram is made of
the rest; a chest less than :data:`MIN_UNCOVERED` of which is left has no
signature.

The histogram sums to 1. Two signatures are compared by the Hellinger distance
(0: the same colours, 1: no colour in common), which weighs a missing colour
more than a small shift in proportions. Lighting moves the value bins, not the
hue; a dark coat in a dim shop and in a bright one may land in neighbouring grey
bins, which is why the engine uses a signature only to tell clearly different
clothes apart or clearly alike ones together, never for small differences.

No image leaves this module: a signature is 28 numbers, too coarse to show
anything of a person but the colours they wear.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from frontdesk.geometry import PERSON_ABOVE_FACES, PERSON_BELOW_FACES, PERSON_HALF_WIDTH_FACES
from frontdesk.types import SIGNATURE_GREY_BINS, SIGNATURE_HUE_BINS, signature_distance

__all__ = [
    "SIGNATURE_BINS",
    "PATCH_PX",
    "torso_box",
    "visible_chest",
    "torso_signature",
    "patch_signatures",
    "nearer_bodies",
    "uncovered_cells",
    "signature_distance",
]

HUE_BINS = SIGNATURE_HUE_BINS
"""Hue bins (30 degrees of hue each)."""
GREY_BINS = SIGNATURE_GREY_BINS
"""Value bins for black, grey and white."""
GREY_BELOW = 50
"""Saturation or value (0-255) below which a pixel counts as black, grey or white."""
SIGNATURE_BINS = HUE_BINS * 2 + GREY_BINS
PATCH_PX = 12
"""The chest patch is shrunk to this many pixels a side before counting: its
colours, not its texture (and the same work for a near face as for a far one)."""

TORSO_TOP_FACES = 0.35
"""The chest starts this many face heights under the face box (the neck)..."""
TORSO_BOTTOM_FACES = 1.6
"""... reaches this many face heights under it ..."""
TORSO_HALF_WIDTH_FACES = 0.7
"""... and this many face widths either side of the face's centre."""
MIN_INSIDE = 0.3
"""A chest less than this share of which is inside the frame has no signature (a
customer close to the camera at the service spot often has only the top of her chest
in view)."""
NEARER_FACE_RATIO = 1.1
"""A face at least this much wider than another belongs to someone nearer the camera
(whose body may hide the other's chest)."""
MIN_UNCOVERED = 0.25
"""A chest less than this share of which is left uncovered by nearer people has no
signature (a few cells of colour say too little)."""

Box = tuple[float, float, float, float]


def torso_box(bbox: Box) -> Box:
    """The chest under a face box (pixels; may reach outside the frame)."""
    x0, y0, x1, y1 = bbox
    w, h = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2.0
    return (cx - TORSO_HALF_WIDTH_FACES * w, y1 + TORSO_TOP_FACES * h,
            cx + TORSO_HALF_WIDTH_FACES * w, y1 + TORSO_BOTTOM_FACES * h)


def visible_chest(bbox: tuple[float, float, float, float], width: int, height: int
                  ) -> tuple[int, int, int, int] | None:
    """The chest under a face box, clipped to a ``width`` x ``height`` frame (integer
    pixels), or None when less than :data:`MIN_INSIDE` of it is in the frame."""
    bx0, by0, bx1, by1 = torso_box(bbox)
    area = (bx1 - bx0) * (by1 - by0)
    x0, y0 = max(0, int(round(bx0))), max(0, int(round(by0)))
    x1, y1 = min(width, int(round(bx1))), min(height, int(round(by1)))
    if area <= 0 or x1 - x0 < 2 or y1 - y0 < 2 or (x1 - x0) * (y1 - y0) < MIN_INSIDE * area:
        return None
    return x0, y0, x1, y1


def nearer_bodies(bbox: Box, faces: Sequence[Box]) -> list[Box]:
    """The bodies (pixels: shoulders wide, from the top of the head down) of the faces
    among ``faces`` nearer the camera than the face ``bbox``: those at least
    :data:`NEARER_FACE_RATIO` times wider. ``faces`` may include ``bbox`` itself."""
    width = bbox[2] - bbox[0]
    out = []
    for x0, y0, x1, y1 in faces:
        w = x1 - x0
        if w < NEARER_FACE_RATIO * width:
            continue
        cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        out.append((cx - PERSON_HALF_WIDTH_FACES * w, cy - PERSON_ABOVE_FACES * w,
                    cx + PERSON_HALF_WIDTH_FACES * w, cy + PERSON_BELOW_FACES * w))
    return out


def uncovered_cells(box: Box, covers: Sequence[Box], n: int) -> np.ndarray:
    """Which cells of an ``n`` x ``n`` grid laid over ``box`` (row by row, ``(n, n)``
    bool) have their centre outside every box of ``covers``."""
    x0, y0, x1, y1 = box
    xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    ys = y0 + (np.arange(n) + 0.5) * (y1 - y0) / n
    free = np.ones((n, n), dtype=bool)
    for cx0, cy0, cx1, cy1 in covers:
        inside_x = (xs >= cx0) & (xs <= cx1)
        inside_y = (ys >= cy0) & (ys <= cy1)
        free &= ~(inside_y[:, None] & inside_x[None, :])
    return free


def torso_signature(image_bgr: np.ndarray, bbox: Box, faces: Sequence[Box] = ()
                    ) -> np.ndarray | None:
    """The colour signature of the chest under the face ``bbox`` (pixels) in a BGR frame.

    ``faces``: every face box of the frame (pixels); the bodies of nearer ones are
    left out of the chest (:func:`nearer_bodies`). None when too little of the chest
    is in the frame, or left uncovered, to say.
    """
    height, width = image_bgr.shape[:2]
    box = visible_chest(bbox, width, height)
    if box is None:
        return None
    covers = nearer_bodies(bbox, faces)
    free = uncovered_cells(box, covers, PATCH_PX) if covers else None
    if free is not None and free.mean() < MIN_UNCOVERED:
        return None
    x0, y0, x1, y1 = box
    patch = cv2.resize(image_bgr[y0:y1, x0:x1], (PATCH_PX, PATCH_PX),
                       interpolation=cv2.INTER_AREA)
    return patch_signatures(patch[None], None if free is None else free[None])[0]


def patch_signatures(patches_bgr: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """Signatures of ``n`` BGR patches (``(n, h, w, 3)`` uint8): ``(n, SIGNATURE_BINS)``.

    ``keep``: ``(n, h, w)`` bool, the pixels to count (None: all); a patch with none
    to count has an all-zero signature."""
    n, h, w = patches_bgr.shape[:3]
    if n == 0:
        return np.zeros((0, SIGNATURE_BINS), dtype=np.float32)
    hsv = cv2.cvtColor(np.ascontiguousarray(patches_bgr).reshape(n * h, w, 3),
                       cv2.COLOR_BGR2HSV).reshape(n, h * w, 3).astype(np.float32)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    grey = (sat < GREY_BELOW) | (val < GREY_BELOW)
    base = (np.arange(n) * SIGNATURE_BINS)[:, None]
    # Soft hue bins: OpenCV's hue runs 0-180; bin centres at (i + 0.5) * 15.
    pos = hue / (180.0 / HUE_BINS) - 0.5
    lo = np.floor(pos)
    frac = pos - lo
    lo_bin = lo.astype(np.int64) % HUE_BINS
    hi_bin = (lo_bin + 1) % HUE_BINS
    sat_off = (sat >= 128).astype(np.int64) * HUE_BINS
    grey_bin = 2 * HUE_BINS + np.minimum((val * GREY_BINS / 256.0).astype(np.int64),
                                         GREY_BINS - 1)
    colour = ~grey
    index = np.concatenate([
        (np.where(grey, grey_bin, lo_bin + sat_off) + base).ravel(),
        (hi_bin + sat_off + base)[colour],
    ])
    lo_weight = np.where(grey, 1.0, 1.0 - frac)
    hi_weight = frac
    total = np.full((n, 1), float(h * w))
    if keep is not None:
        counted = keep.reshape(n, h * w).astype(np.float64)
        lo_weight, hi_weight = lo_weight * counted, hi_weight * counted
        total = np.maximum(counted.sum(axis=1, keepdims=True), 1.0)
    weight = np.concatenate([lo_weight.ravel(), hi_weight[colour]])
    counts = np.bincount(index, weights=weight, minlength=n * SIGNATURE_BINS)
    return (counts.reshape(n, SIGNATURE_BINS) / total).astype(np.float32)


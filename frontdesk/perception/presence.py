"""Presence without a face: where the picture differs from the empty scene.

A face is the best cue (identity, gaze) but not the only one. A customer who
looks down at her phone, turns to a colleague or waits too far off for a face
is still standing there, and the picture shows it: her head and body cover the
counter, the floor and the wall behind her. This stage keeps a picture of the
empty scene and marks, on a coarse grid, where the frame differs from it
(:class:`~frontdesk.types.OccupancyGrid`). The engine holds a visit whose face
is gone for as long as the cells where the customer stood stay occupied.

The empty scene's picture is a running average of a small grey copy of each
frame (OpenCV's ``accumulateWeighted`` with a mask), with one rule that a
stock background subtractor (MOG2, KNN) cannot express: **what differs where a
face was seen recently is never learned.** A stock subtractor learns every
pixel at the same rate, so a customer standing still for a minute fades into
its background; here the pixels of a person whose face was seen within
``protect_s`` stay out of the learning while they differ, and the rest of the
picture (daylight, a moved chair) is learned with the time constant
``background_time_s``. A sudden change of most of the picture (lights switched)
restarts the empty scene from the current frame.

Cost: about 0.6 ms of CPU a frame at 1280x720 (two resizes, a grey conversion of
the reduced picture, a few array operations on 192x108 pixels), on one frame in ``every_n_frames``
(docs/performance.md).
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from frontdesk.config.presence import PresenceConfig
from frontdesk.geometry import person_box_norm
from frontdesk.perception.pixels import median, shrink_grey
from frontdesk.types import Face, Frame, OccupancyGrid

__all__ = ["PresenceStage", "PIXELS_PER_CELL", "GLOBAL_CHANGE_FRACTION"]

PIXELS_PER_CELL = 4
"""Each grid cell is this many pixels square in the small grey copy."""
GLOBAL_CHANGE_FRACTION = 0.6
"""When more than this share of the picture differs at once (lights switched on or
off, the camera bumped), the empty scene restarts from the current frame."""
_NOISE_SIGMAS = 4.0
"""A pixel differs when it is this many noise sigmas off (and at least
``min_difference``). The noise sigma is the median difference (most of the
picture is empty scene), followed slowly from frame to frame."""
_SIGMA_RATE = 0.05
"""How fast the noise estimate follows each frame's (a share per frame)."""


class PresenceStage:
    """Keeps the empty scene's picture and returns each frame's occupancy grid.

    Args:
        cfg: the ``perception.presence`` settings.
    """

    def __init__(self, cfg: PresenceConfig) -> None:
        self.cfg = cfg
        self._background: np.ndarray | None = None
        self._protect_until: np.ndarray | None = None
        self._size: tuple[int, int] | None = None
        self._last_t: float | None = None
        self._sigma: float | None = None
        self._calls = 0
        self._last: OccupancyGrid | None = None
        self.restarts = 0
        """How often the empty scene restarted from a frame (a global change)."""

    def grid_shape(self, width: int, height: int) -> tuple[int, int]:
        """(rows, cols) of the grid for frames of this size."""
        cols = self.cfg.grid_cols
        rows = max(1, round(cols * height / width))
        return rows, cols

    def update(self, frame: Frame, faces: list[Face], *, slower: int = 1) -> OccupancyGrid:
        """The frame's occupancy grid; learns the empty scene from it.

        ``slower``: run on one in this many of the frames it runs on otherwise (the
        gate's idle frames); the others carry the last grid.

        The pipeline runs OpenCV single-threaded (``pipeline._single_threaded_opencv``):
        on images this small its thread pool doubles the CPU time.
        """
        self._calls += 1
        if self._last is not None and (self._calls - 1) % (self.cfg.every_n_frames * slower):
            rows, cols = self._last.cells.shape
            self._protect_faces(faces, frame, rows, cols, frame.t)
            return self._last  # between two runs: the latest grid (a person stays a while)
        self._last = self._update(frame, faces)
        return self._last

    def _update(self, frame: Frame, faces: list[Face]) -> OccupancyGrid:
        rows, cols = self.grid_shape(frame.width, frame.height)
        small = self._small_grey(frame, rows, cols)
        if self._background is None or self._size != (frame.width, frame.height):
            return self._restart(small, frame, rows, cols)
        background = self._background
        diff = cv2.absdiff(small, background)
        frame_sigma = 1.4826 * median(diff[::2, ::2])  # a quarter is plenty
        if self._sigma is None:
            self._sigma = frame_sigma
        differs = diff > max(self.cfg.min_difference, _NOISE_SIGMAS * self._sigma)
        if differs.mean() > GLOBAL_CHANGE_FRACTION:
            self.restarts += 1
            return self._restart(small, frame, rows, cols)
        # The noise follows the picture slowly, and never leaps: a change of the whole
        # picture must show as a change, not as noise.
        self._sigma += _SIGMA_RATE * (min(frame_sigma, 2.0 * self._sigma + 1.0) - self._sigma)
        t = frame.t
        self._protect_faces(faces, frame, rows, cols, t)
        assert self._protect_until is not None
        protected = np.repeat(np.repeat(self._protect_until > t, PIXELS_PER_CELL, axis=0),
                              PIXELS_PER_CELL, axis=1)
        learn = ~(differs & protected)
        dt = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        alpha = 1.0 - math.exp(-dt / self.cfg.background_time_s)
        if alpha > 0.0:
            cv2.accumulateWeighted(small, background, alpha, mask=learn.astype(np.uint8))
        # each cell's share of differing pixels (block averages, as OpenCV does them fast)
        share = cv2.resize(differs.view(np.uint8) * np.uint8(255), (cols, rows),
                           interpolation=cv2.INTER_AREA)
        return OccupancyGrid(share >= self.cfg.min_cell_fraction * 255.0 - 1e-6)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _small_grey(frame: Frame, rows: int, cols: int) -> np.ndarray:
        """The frame in grey at 4 x 4 pixels a cell. A bilinear step to twice that
        size, then averaging pixel blocks (cheaper than one area-averaging resize of
        the whole frame); the grey conversion comes after the bilinear step, on a
        ninth of the pixels: 0.38 ms at 720p against 0.70 ms converting the whole
        frame first (issue 19, third pass; the grey values differ by at most one
        level, from rounding). A frame with the decoder's luma is shrunk from it,
        never converted to BGR (:func:`frontdesk.perception.pixels.shrink_grey`)."""
        small = shrink_grey(frame, cols * PIXELS_PER_CELL, rows * PIXELS_PER_CELL,
                            grey_first=True)
        return small.astype(np.float32)

    def _restart(self, small: np.ndarray, frame: Frame, rows: int,
                 cols: int) -> OccupancyGrid:
        """The empty scene starts from this frame: nothing differs yet."""
        self._background = small.copy()
        self._sigma = None
        self._size = (frame.width, frame.height)
        if self._protect_until is None or self._protect_until.shape != (rows, cols):
            self._protect_until = np.full((rows, cols), -math.inf)
        self._last_t = frame.t
        return OccupancyGrid(np.zeros((rows, cols), dtype=bool))

    def _protect_faces(self, faces: list[Face], frame: Frame, rows: int, cols: int,
                       t: float) -> None:
        """The cells a person with this face covers are not learned for ``protect_s``."""
        if self._protect_until is None or self._protect_until.shape != (rows, cols):
            return
        width, height = float(frame.width), float(frame.height)
        aspect = height / width
        until = t + self.cfg.protect_s
        for face in faces:
            x0, y0, x1, y1 = face.bbox
            box = person_box_norm((x0 + x1) / 2 / width, (y0 + y1) / 2 / height,
                                  (x1 - x0) / width, aspect)
            c0, c1 = _span(box[0], box[2], cols)
            r0, r1 = _span(box[1], box[3], rows)
            if c1 > c0 and r1 > r0:
                block = self._protect_until[r0:r1, c0:c1]
                np.maximum(block, until, out=block)


def _span(lo: float, hi: float, n: int) -> tuple[int, int]:
    """Cells touched by [lo, hi] (normalised), clipped to the grid."""
    return max(0, math.floor(lo * n)), min(n, math.ceil(hi * n))

"""Gated detection: the face detector runs when something changes where customers
come, or while someone is in view; otherwise at a slow keep-alive.

Most frames of a shop counter show nobody. Face detection and Face Mesh are most
of a frame's cost, so on an idle counter they are skipped: each frame is shrunk to
a small grey picture (``width_px`` wide, about 0.3 ms at 720p) and compared, inside
the counters' zones widened by ``margin`` (ignore masks left out), with the
picture at the detector's last run. The detector runs on this frame when

* anyone is in view: the last run found a face, the presence stage's grid has an
  occupied cell, or the engine still tracks someone, or did within ``hold_s``
  (people already seen are always fully measured);
* at least ``min_changed_px`` pixels of the watched region changed by
  ``min_difference`` grey levels since the last run (someone walks in: the first
  frame that shows them is perceived);
* ``idle_every_s`` has passed since the last run (keep-alive: a face that comes
  without a visible change is found at most this late).

A skipped frame's observation has no faces, which is what the last run saw; the
presence stage, the person detector and the engine still run on every frame, so
tracks, grace periods and timers advance as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from frontdesk.config.gating import GatingConfig
from frontdesk.config.zones import CounterConfig
from frontdesk.types import Face, Frame, OccupancyGrid

__all__ = ["DetectionGate", "GateStats"]


@dataclass
class GateStats:
    """What the gate decided so far.

    Attributes:
        frames: frames asked about.
        detected: frames on which the detector ran.
        in_view: runs because someone was in view (or within ``hold_s``).
        changed: runs because the watched region changed (the first frame, and the
            first after a new frame size or new zones, count here).
        keep_alive: runs because ``idle_every_s`` had passed.
        skipped: frames on which detection was skipped.
    """

    frames: int = 0
    detected: int = 0
    in_view: int = 0
    changed: int = 0
    keep_alive: int = 0
    skipped: int = 0

    def to_json(self) -> dict[str, int]:
        return asdict(self)


class DetectionGate:
    """Decides, frame by frame, whether the face detector must run.

    Args:
        cfg: the ``perception.gating`` settings.
        counters: the counters whose zones are watched (none: the whole frame).

    Call :meth:`should_detect` before perceiving a frame; tell the gate what was
    seen with :meth:`saw` (faces of a run, the occupancy grid, tracks).
    """

    def __init__(self, cfg: GatingConfig, counters: Sequence[CounterConfig]) -> None:
        self.cfg = cfg
        self.counters = list(counters)
        self.stats = GateStats()
        self._size: tuple[int, int] | None = None
        self._mask: np.ndarray | None = None
        self._reference: np.ndarray | None = None
        self._last_run_t = -math.inf
        self._last_seen_t = -math.inf

    def set_counters(self, counters: Sequence[CounterConfig]) -> None:
        """Watch these counters' zones from the next frame on (zones edited live); the
        next frame runs the detector."""
        self.counters = list(counters)
        self._size = None

    @property
    def detector_period_s(self) -> float:
        """The longest gap between two detector runs (the keep-alive period)."""
        return self.cfg.idle_every_s

    def should_detect(self, frame: Frame) -> bool:
        """Whether the face detector runs on ``frame`` (counted in :attr:`stats`)."""
        self.stats.frames += 1
        small = self._small_grey(frame)
        t = frame.t
        reason = self._reason(small, t)
        if reason is None:
            self.stats.skipped += 1
            return False
        setattr(self.stats, reason, getattr(self.stats, reason) + 1)
        self.stats.detected += 1
        self._reference = small
        self._last_run_t = t
        return True

    def saw(self, t: float, *, faces: Sequence[Face] = (), occupancy: OccupancyGrid | None = None,
            tracked: bool = False) -> None:
        """Someone is in view at ``t`` when there are faces, occupied cells or tracks."""
        occupied = occupancy is not None and bool(occupancy.cells.any())
        if faces or occupied or tracked:
            self._last_seen_t = max(self._last_seen_t, t)

    # ------------------------------------------------------------------ helpers

    def _reason(self, small: np.ndarray, t: float) -> str | None:
        if self._reference is None or self._reference.shape != small.shape:
            return "changed"
        if t - self._last_seen_t <= self.cfg.hold_s:
            return "in_view"
        if self._changed_px(small) >= self.cfg.min_changed_px:
            return "changed"
        if t - self._last_run_t >= self.cfg.idle_every_s - 1e-9:
            return "keep_alive"
        return None

    def _changed_px(self, small: np.ndarray) -> int:
        assert self._reference is not None and self._mask is not None
        diff = cv2.absdiff(small, self._reference)
        changed = (diff > self.cfg.min_difference) & self._mask
        return int(np.count_nonzero(changed))

    def _small_grey(self, frame: Frame) -> np.ndarray:
        """The frame in grey, ``width_px`` wide: a bilinear step to twice that size,
        then block averages (cheaper than one area resize of the whole frame)."""
        width = self.cfg.width_px
        height = max(1, round(width * frame.height / frame.width))
        if self._size != (frame.width, frame.height):
            self._size = (frame.width, frame.height)
            self._mask = self._watched_region(width, height)
            self._reference = None
        image = frame.image
        if frame.width > 2 * width and frame.height > 2 * height:
            image = cv2.resize(image, (2 * width, 2 * height), interpolation=cv2.INTER_LINEAR)
        small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)

    def _watched_region(self, width: int, height: int) -> np.ndarray:
        """The counters' zones widened by ``margin``, less their ignore masks; the
        whole picture without counters."""
        if not self.counters:
            return np.ones((height, width), dtype=bool)
        region = np.zeros((height, width), dtype=np.uint8)
        ignore = np.zeros_like(region)
        scale = np.array([width, height], dtype=np.float64)
        for counter in self.counters:
            zones = counter.zones
            for poly in (zones.approach, zones.service, zones.staff):
                if poly:
                    cv2.fillPoly(region, [_points(poly, scale)], (1,))
            for poly in zones.ignore:
                cv2.fillPoly(ignore, [_points(poly, scale)], (1,))
        grow = round(self.cfg.margin * width)
        if grow > 0:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
            region = np.asarray(cv2.dilate(region, kernel), dtype=np.uint8)
        return (region > 0) & (ignore == 0)


def _points(poly: Sequence[Sequence[float]], scale: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(poly, dtype=np.float64) * scale).astype(np.int32)

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
  frame that shows them is perceived), once the region's median change is taken
  off (a camera's auto-exposure or a flickering light shifts the whole picture,
  someone walking in only part of it);
* ``idle_every_s`` has passed since the last run (keep-alive: a face that comes
  without a visible change is found at most this late).

A skipped frame's observation has no faces, which is what the last run saw; the
presence stage, the person detector and the engine still run on every frame, so
tracks, grace periods and timers advance as before.

While someone is in view the gate also says how much of the work the frame needs
(:class:`DetectionPlan`), from what the engine knew after the previous frame (a
:class:`Focus`, handed down by the pipeline) and where the known faces are:

* **staff alone**: every track is settled staff, no visit is open, and every face
  the last run found is a staff face (a face not yet tracked is someone new).
  Unless the watched region changed *outside* the known faces (someone else
  coming), the detector runs once in ``staff_every_s``, and Face Mesh is left out
  (``mesh_staff_alone``): a staff gaze matters only to a customer;
* **tiles**: with anyone but staff tracked (or a visit open), the detector's
  tiles run as they would ungated. With nobody or only staff, they run when
  something changed outside the known faces, someone is in view whose face is
  not known, a known face is small (``small_face``), or ``tiles_every_s`` passed
  (the keep-alive too runs them only then); the perceiver adds them when the
  whole-frame pass misses a face it knew.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from frontdesk.config.gating import GatingConfig
from frontdesk.config.zones import CounterConfig
from frontdesk.perception.pixels import median, shrink_grey
from frontdesk.types import Face, Frame, OccupancyGrid

__all__ = ["DetectionGate", "DetectionPlan", "Focus", "GateStats"]


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
        staff_alone: of the skipped, those skipped because only staff were in view
            and nothing changed outside their faces (``staff_every_s``).
        tiles: runs that asked for the detector's tiles.
        unmeshed: runs whose faces got no Face Mesh (staff alone).
        out_of_zones: faces left without Face Mesh because they were out of every
            zone (and its margin) and not staff.
    """

    frames: int = 0
    detected: int = 0
    in_view: int = 0
    changed: int = 0
    keep_alive: int = 0
    skipped: int = 0
    staff_alone: int = 0
    tiles: int = 0
    unmeshed: int = 0
    out_of_zones: int = 0

    def to_json(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Focus:
    """What the engine knew after the previous frame, as far as perception's work
    depends on it (built by the pipeline from ``Engine.tracks_view``; perception
    never imports the engine).

    Attributes:
        staff: face centres (normalised image coordinates) of the tracks whose role
            is settled as staff.
        others: tracks that are not settled staff (customers, people not yet placed).
        visits_open: open visits (a customer held while her face is gone counts).
    """

    staff: tuple[tuple[float, float], ...] = ()
    others: int = 0
    visits_open: int = 0

    @property
    def staff_alone(self) -> bool:
        """Only settled staff are known: nobody's wait depends on this frame."""
        return bool(self.staff) and self.others == 0 and self.visits_open == 0

    def only_staff(self, boxes: Sequence[tuple[float, float, float, float]], width: int,
                   height: int) -> bool:
        """Every box (pixels) is a staff face: its centre lies within its own width of
        a staff track's. A face anywhere else is someone new."""
        for x0, y0, x1, y1 in boxes:
            cx, cy, reach = (x0 + x1) / 2.0, (y0 + y1) / 2.0, x1 - x0
            if not any(abs(cx - sx * width) <= reach and abs(cy - sy * height) <= reach
                       for sx, sy in self.staff):
                return False
        return True


@dataclass(frozen=True)
class DetectionPlan:
    """What one frame needs: whether the detector runs, with its tiles, and with
    Face Mesh (False: the detector's keypoint pose only)."""

    detect: bool
    tiles: bool = True
    mesh: bool = True


SKIP = DetectionPlan(False, False, False)


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
        self._watched_px = 0
        self._reference: np.ndarray | None = None
        self._last_run_t = -math.inf
        self._last_seen_t = -math.inf
        self._last_tiles_t = -math.inf
        self._known: list[tuple[float, float, float, float]] = []
        """Normalised boxes of the faces the detector's last run found."""
        self._known_px: list[tuple[float, float, float, float]] = []
        self._known_size = (1, 1)
        self._known_mask: np.ndarray | None = None
        self._mesh_mask: np.ndarray | None = None
        self._mesh_key: tuple[int, int, int] | None = None
        self.idle = False
        """The last frame asked about was skipped with nobody in view (not staff
        alone): nothing changed in the watched region since the detector's last run."""

    def set_counters(self, counters: Sequence[CounterConfig]) -> None:
        """Watch these counters' zones from the next frame on (zones edited live); the
        next frame runs the detector."""
        self.counters = list(counters)
        self._size = None
        self._mesh_mask = None

    @property
    def detector_period_s(self) -> float:
        """The longest gap between two detector runs (the keep-alive period)."""
        return self.cfg.idle_every_s

    def should_detect(self, frame: Frame) -> bool:
        """Whether the face detector runs on ``frame`` (counted in :attr:`stats`)."""
        return self.plan(frame).detect

    def plan(self, frame: Frame, focus: Focus | None = None) -> DetectionPlan:
        """The work ``frame`` needs (counted in :attr:`stats`); ``focus`` is what the
        engine knew after the previous frame (None: nothing known, full work)."""
        self.stats.frames += 1
        small = self._small_grey(frame)
        t = frame.t
        reason, outside = self._reason(small, t, focus)
        self.idle = reason is None and t - self._last_seen_t > self.cfg.hold_s
        if reason is None:
            self.stats.skipped += 1
            return SKIP
        setattr(self.stats, reason, getattr(self.stats, reason) + 1)
        self.stats.detected += 1
        self._reference = small
        self._last_run_t = t
        crowd = focus is None or focus.others > 0 or focus.visits_open > 0
        tiles = (crowd or outside or reason == "changed"
                 or t - self._last_tiles_t >= self.cfg.tiles_every_s - 1e-9
                 or (reason == "in_view" and not self._known)
                 or any(b[2] - b[0] < self.cfg.small_face for b in self._known))
        if tiles:
            self.stats.tiles += 1
            self._last_tiles_t = t
        mesh = self.cfg.mesh_staff_alone or focus is None or not focus.staff_alone
        if not mesh:
            self.stats.unmeshed += 1
        return DetectionPlan(True, tiles, mesh)

    def detected(self, faces: Sequence[Face], width: int, height: int) -> None:
        """The faces the detector found on a frame it ran on (all of them, tiles too):
        changes around them are theirs, not someone new."""
        self._known_px = [f.bbox for f in faces]
        self._known_size = (width, height)
        self._known = [(b[0] / width, b[1] / height, b[2] / width, b[3] / height)
                       for b in self._known_px]
        self._known_mask = None

    def mesh_wanted(self, boxes: Sequence[tuple[float, float, float, float]], width: int,
                    height: int, focus: Focus | None) -> list[bool]:
        """Which faces (boxes in pixels) get Face Mesh: those the engine's work depends
        on, a face whose centre lies in a zone (focus-work zones too) widened by
        ``margin``, or a settled staff face anywhere; the rest (passers-by, people
        out of the zones) get the detector's keypoint pose. All of them with
        ``mesh_outside_zones``, or when the zones are not known for this size."""
        if self.cfg.mesh_outside_zones or not self.counters:
            return [True] * len(boxes)
        region = self._mesh_region(width, height)
        rows, cols = region.shape
        out = []
        for box in boxes:
            cx, cy = (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0
            c = min(max(int(cx / width * cols), 0), cols - 1)
            r = min(max(int(cy / height * rows), 0), rows - 1)
            out.append(bool(region[r, c]) or (focus is not None and bool(focus.staff)
                                                and focus.only_staff([box], width, height)))
        self.stats.out_of_zones += out.count(False)
        return out

    def _mesh_region(self, width: int, height: int) -> np.ndarray:
        key = (width, height, id(self.counters))
        if self._mesh_key != key or self._mesh_mask is None:
            cols = self.cfg.width_px
            rows = max(1, round(cols * height / width))
            self._mesh_mask = self._watched_region(cols, rows, focus=True)
            self._mesh_key = key
        return self._mesh_mask

    def saw(self, t: float, *, faces: Sequence[Face] = (), occupancy: OccupancyGrid | None = None,
            tracked: bool = False) -> None:
        """Someone is in view at ``t`` when there are faces, occupied cells or tracks."""
        occupied = occupancy is not None and bool(occupancy.cells.any())
        if faces or occupied or tracked:
            self._last_seen_t = max(self._last_seen_t, t)

    # ------------------------------------------------------------------ helpers

    def _reason(self, small: np.ndarray, t: float, focus: Focus | None) -> tuple[str | None, bool]:
        """Why the detector runs (None: it doesn't), and whether the watched region
        changed outside the known faces."""
        if self._reference is None or self._reference.shape != small.shape:
            return "changed", True
        outside = self._changed_px(small, self._outside_known()) >= self.cfg.min_changed_px
        if t - self._last_seen_t <= self.cfg.hold_s:
            if (focus is not None and focus.staff_alone and not outside and self._known
                    and t - self._last_run_t < self.cfg.staff_every_s - 1e-9
                    and focus.only_staff(self._known_px, *self._known_size)):
                self.stats.staff_alone += 1
                return None, False
            return "in_view", outside
        if outside:
            return "changed", True
        if t - self._last_run_t >= self.cfg.idle_every_s - 1e-9:
            return "keep_alive", False
        return None, False

    def _outside_known(self) -> np.ndarray:
        """The watched region less each known face's surroundings: a face's width to
        either side, its height above, and everything below it (the body)."""
        assert self._mask is not None
        if not self._known:
            return self._mask
        if self._known_mask is None or self._known_mask.shape != self._mask.shape:
            height, width = self._mask.shape
            mask = self._mask.copy()
            for x0, y0, x1, y1 in self._known:
                w, h = x1 - x0, y1 - y0
                c0, c1 = math.floor((x0 - w) * width), math.ceil((x1 + w) * width)
                r0 = math.floor((y0 - h) * height)
                mask[max(r0, 0):, max(c0, 0):max(c1, 0)] = False
            self._known_mask = mask
        return self._known_mask

    def _changed_px(self, small: np.ndarray, mask: np.ndarray) -> int:
        """Pixels of ``mask`` changed since the detector's last run, once the watched
        region's median change is taken off: a camera's auto-exposure, gain or a
        flickering light shifts the whole picture, someone walking in only part of it.

        OpenCV calls on the small picture, no numpy temporaries: run once a frame
        after the pacing's sleep, the cost is the code touched more than the
        arithmetic (docs/performance.md, "Issue 19, idle path")."""
        assert self._reference is not None
        diff = cv2.subtract(small, self._reference, dtype=cv2.CV_16S)
        shift = self._median_shift(small, diff)
        # OpenCV's stubs type every operand as an array; a number is a scalar operand
        over = cv2.compare(cv2.absdiff(diff, shift),  # type: ignore[call-overload]
                           self.cfg.min_difference, cv2.CMP_GT)
        return int(cv2.countNonZero(cv2.bitwise_and(over, mask.view(np.uint8))))

    def _median_shift(self, small: np.ndarray, diff: np.ndarray) -> int:
        """The watched region's median of ``diff`` (``small`` less the reference),
        truncated toward zero as ``int(np.median(...))``. When no more than half the
        region moved either way, both middle values are 0 and so is the median
        (counted, not sorted); only otherwise is the region's change sorted."""
        assert self._mask is not None and self._reference is not None
        watched = self._mask.view(np.uint8)
        n = self._watched_px
        if n == 0:
            return 0
        lo, hi = (n - 1) // 2, n // 2
        ref = self._reference
        up = cv2.countNonZero(cv2.bitwise_and(cv2.compare(small, ref, cv2.CMP_GT), watched))
        down = cv2.countNonZero(cv2.bitwise_and(cv2.compare(small, ref, cv2.CMP_LT), watched))
        if down <= lo and up <= n - 1 - hi:
            return 0
        return int(median(diff[self._mask]))

    def _small_grey(self, frame: Frame) -> np.ndarray:
        """The frame in grey, ``width_px`` wide: a bilinear step to twice that size,
        then block averages (cheaper than one area resize of the whole frame). From
        the decoder's luma when the frame has one (stretched to BGR grey's scale), so
        an idle frame is never converted to BGR (docs/performance.md, "Issue 19,
        decoding to YUV")."""
        width = self.cfg.width_px
        height = max(1, round(width * frame.height / frame.width))
        if self._size != (frame.width, frame.height):
            self._size = (frame.width, frame.height)
            self._mask = self._watched_region(width, height)
            self._watched_px = int(np.count_nonzero(self._mask))
            self._known_mask = None
            self._reference = None
        return shrink_grey(frame, width, height)

    def _watched_region(self, width: int, height: int, focus: bool = False) -> np.ndarray:
        """The counters' zones (with ``focus``: their focus-work zones too) widened by
        ``margin``, less their ignore masks; the whole picture without counters."""
        if not self.counters:
            return np.ones((height, width), dtype=bool)
        region = np.zeros((height, width), dtype=np.uint8)
        ignore = np.zeros_like(region)
        scale = np.array([width, height], dtype=np.float64)
        for counter in self.counters:
            zones = counter.zones
            polys = [zones.approach, zones.service, zones.staff]
            if focus:
                polys += list(zones.focus)
            for poly in polys:
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

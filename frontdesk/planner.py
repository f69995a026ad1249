"""The placement planner: what one camera, or a pair, can measure at a counter.

:mod:`frontdesk.placement` gives the angles of one camera beside the counter while
two people look at each other across it. This module takes the counter's layout
in its floor frame (docs/simulator.md: x along the counter, y across it from the
staff side to the customers', z up, metres) and any cameras, each a
:class:`~frontdesk.world.WorldPose` with :class:`~frontdesk.camera_model.Intrinsics`,
and says, for each moment that matters, which camera sees which face:

* ``approach D m``: a staff member looks up the walkway at a customer ``D`` metres
  before the service spot, and the customer looks back (both faces needed: the
  greeting before arrival);
* ``counter``: the customer at the service spot faces the staff member (the
  customer's face needed);
* ``acknowledge``: the staff member looks at the customer at the service spot
  (the staff member's face needed).

A camera *sees* a face when the face points within :data:`FACE_MESH_MAX_YAW_DEG`
of the camera (the angle between where the face points and its direction to the
camera, in 3D: the angle Face Mesh's limit applies to), the face is at least
``min_face_px`` wide (a :data:`TYPICAL_FACE_WIDTH_M` face at that distance), its
centre is in the frame, and the other person's head is not in the way. A pair
*measures* a moment when every face it needs is seen by one camera or the other
(fusion places both cameras' heads in one world: docs/engine.md, "Several
cameras, one engine").

:func:`recommend_camera` searches camera positions in plan (a grid, 1.9 to 2.3 m
up, each aimed at the heads it should see) for the one that, with the cameras
already placed, measures the most; with no camera placed it is the best single
camera. Projection is :meth:`WorldPose.project` (no second camera model).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.config import CameraConfig, Config
from frontdesk.world import WorldPose

__all__ = [
    "FACE_MESH_MAX_YAW_DEG",
    "TYPICAL_FACE_WIDTH_M",
    "MIN_FACE_PX",
    "CounterLayout",
    "PlannedCamera",
    "Moment",
    "FaceView",
    "MomentResult",
    "PlanResult",
    "plan",
    "recommend_camera",
    "Recommendation",
    "SIDE_CAMERA",
    "camera_sections",
    "cameras_of_counter",
    "describe",
]

FACE_MESH_MAX_YAW_DEG = 60.0
"""Face Mesh gives up near this yaw (a staff face at 63 degrees was meshed once in 26
frames); :mod:`frontdesk.placement` and the placement check use the same number."""
TYPICAL_FACE_WIDTH_M = 0.15
"""Width of an adult face as the detector's box spans it (cheek to cheek), metres."""
MIN_FACE_PX = 24.0
"""Faces narrower get no mesh (``perception.mesh_min_face_px``'s default)."""
HEAD_RADIUS_M = 0.11
"""A head, as something that hides a face behind it."""
SEARCH_HEIGHTS_M = (1.9, 2.1, 2.3)
KEEP_CLEAR_M = 0.5
"""A searched camera stays this far, in plan, from where people stand."""


@dataclass(frozen=True)
class CounterLayout:
    """Where people are at a counter, in its floor frame (metres).

    Attributes:
        staff_m: where staff stand (x, y); each spot gives its own moments.
        service_m: where a customer stands at the counter.
        walkway_y_m: the line customers walk in along (y).
        approach_from: +1 or -1: the side (along x) customers come from.
        distances_m: how far before the service spot (along the walkway) a
            greeting is looked for.
        staff_head_m, customer_head_m: head heights.
        counter_m: the counter's ends (x, y), for drawing.
    """

    staff_m: tuple[tuple[float, float], ...] = ((0.0, -0.6),)
    service_m: tuple[float, float] = (0.0, 0.6)
    walkway_y_m: float = 0.85
    approach_from: float = -1.0
    distances_m: tuple[float, ...] = (0.8, 1.5, 2.5)
    staff_head_m: float = 1.65
    customer_head_m: float = 1.7
    counter_m: tuple[tuple[float, float], tuple[float, float]] = ((-1.5, 0.0), (0.5, 0.0))

    def __post_init__(self) -> None:
        if not self.staff_m:
            raise ValueError("a layout needs at least one staff position")
        if self.approach_from not in (-1.0, 1.0):
            raise ValueError("approach_from must be +1 or -1")
        if any(d <= 0 for d in self.distances_m):
            raise ValueError("greeting distances must be positive")

    def walkway_point(self, distance_m: float) -> tuple[float, float]:
        """The walkway point ``distance_m`` before the service spot."""
        return (self.service_m[0] + self.approach_from * distance_m, self.walkway_y_m)

    def moments(self) -> list[Moment]:
        out: list[Moment] = []
        cz, sz = self.customer_head_m, self.staff_head_m
        service = (self.service_m[0], self.service_m[1], cz)
        for i, (sx, sy) in enumerate(self.staff_m):
            staff = (sx, sy, sz)
            who = "" if len(self.staff_m) == 1 else f" (staff {i + 1})"
            for d in self.distances_m:
                wx, wy = self.walkway_point(d)
                out.append(Moment(f"approach {d:g} m{who}", "approach", d, staff, (wx, wy, cz),
                                  ("staff", "customer")))
            out.append(Moment(f"counter{who}", "counter", None, staff, service, ("customer",)))
            out.append(Moment(f"acknowledge{who}", "acknowledge", None, staff, service,
                              ("staff",)))
        return out

    def to_json(self) -> dict[str, Any]:
        return {"staff_m": [list(p) for p in self.staff_m], "service_m": list(self.service_m),
                "walkway_y_m": self.walkway_y_m, "approach_from": self.approach_from,
                "distances_m": list(self.distances_m), "staff_head_m": self.staff_head_m,
                "customer_head_m": self.customer_head_m,
                "counter_m": [list(p) for p in self.counter_m]}


@dataclass(frozen=True)
class Moment:
    """Two people at a counter: who looks at whom, and whose face must be seen."""

    name: str
    kind: str
    """approach, counter or acknowledge."""
    distance_m: float | None
    staff_m: tuple[float, float, float]
    customer_m: tuple[float, float, float]
    needs: tuple[str, ...]
    """The faces the moment needs: "staff", "customer"."""

    def face(self, who: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(head, unit direction the face points, the other person's head)."""
        s, c = np.asarray(self.staff_m, float), np.asarray(self.customer_m, float)
        head, other = (s, c) if who == "staff" else (c, s)
        d = other - head
        return head, d / np.linalg.norm(d), other


@dataclass(frozen=True)
class PlannedCamera:
    id: str
    pose: WorldPose
    intrinsics: Intrinsics

    @classmethod
    def looking_at(cls, camera_id: str, position_m: Sequence[float], target_m: Sequence[float],
                   hfov_deg: float = 90.0, size: tuple[int, int] = (1280, 720)) -> PlannedCamera:
        return cls(camera_id, WorldPose.look_at(position_m, target_m),
                   Intrinsics.from_fov(size[0], size[1], hfov_deg))

    def to_json(self) -> dict[str, Any]:
        heading, tilt, roll = self.pose.angles_deg
        return {"id": self.id, "position_m": [round(float(v), 3) for v in self.pose.position_m],
                "heading_deg": round(heading, 1), "tilt_down_deg": round(tilt, 1),
                "roll_deg": round(roll, 1), "size": [self.intrinsics.width, self.intrinsics.height],
                "hfov_deg": round(self.intrinsics.horizontal_fov_deg, 1)}


SIDE_CAMERA = PlannedCamera.looking_at("side", (0.8, 0.0, 1.9), (-1.5, 0.3, 1.6))
"""Issue 17's camera beside the counter (1280x720, 90 degrees)."""


@dataclass(frozen=True)
class FaceView:
    """How one camera sees one face at one moment."""

    camera: str
    who: str
    yaw_deg: float
    """Angle between where the face points and its direction to the camera."""
    face_px: float
    in_frame: bool
    occluded: bool
    seen: bool
    why_not: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"camera": self.camera, "who": self.who, "yaw_deg": round(self.yaw_deg, 1),
                "face_px": round(self.face_px, 1), "in_frame": self.in_frame,
                "occluded": self.occluded, "seen": self.seen, "why_not": self.why_not}


@dataclass(frozen=True)
class MomentResult:
    moment: Moment
    views: tuple[FaceView, ...]

    def seen_by(self, who: str) -> list[str]:
        return [v.camera for v in self.views if v.who == who and v.seen]

    @property
    def measured(self) -> bool:
        return all(self.seen_by(w) for w in self.moment.needs)

    def measured_by(self, camera_ids: Iterable[str]) -> bool:
        ids = set(camera_ids)
        return all(set(self.seen_by(w)) & ids for w in self.moment.needs)

    def to_json(self) -> dict[str, Any]:
        m = self.moment
        return {"moment": m.name, "kind": m.kind, "distance_m": m.distance_m,
                "needs": list(m.needs), "measured": self.measured,
                "seen_by": {w: self.seen_by(w) for w in ("staff", "customer")},
                "views": [v.to_json() for v in self.views]}


@dataclass(frozen=True)
class PlanResult:
    layout: CounterLayout
    cameras: tuple[PlannedCamera, ...]
    moments: tuple[MomentResult, ...]
    min_face_px: float = MIN_FACE_PX
    max_yaw_deg: float = FACE_MESH_MAX_YAW_DEG

    @property
    def measured(self) -> list[str]:
        return [m.moment.name for m in self.moments if m.measured]

    def measured_alone(self, camera_id: str) -> list[str]:
        return [m.moment.name for m in self.moments if m.measured_by([camera_id])]

    def missed_alone(self, camera_id: str) -> list[str]:
        return [m.moment.name for m in self.moments if not m.measured_by([camera_id])]

    def moment(self, name: str) -> MomentResult:
        for m in self.moments:
            if m.moment.name == name:
                return m
        raise KeyError(name)

    def summary(self) -> list[str]:
        """Plain sentences: what the cameras measure together and what each misses alone."""
        ids = [c.id for c in self.cameras]
        out = []
        total = len(self.moments)
        together = self.measured
        if len(ids) > 1:
            out.append(f"together ({' + '.join(ids)}): {len(together)} of {total} moments "
                       f"measured" + (f"; not: {', '.join(self._missed())}" if self._missed()
                                      else ""))
        for cid in ids:
            missed = self.missed_alone(cid)
            gained = [n for n in together if n in missed]
            line = (f"{cid} alone: {total - len(missed)} of {total}"
                    + (f"; misses {', '.join(missed)}" if missed else ""))
            if len(ids) > 1 and gained:
                others = "cameras" if len(ids) > 2 else "camera"
                line += f" ({', '.join(gained)} covered by the other {others})"
            out.append(line)
        return out

    def _missed(self) -> list[str]:
        return [m.moment.name for m in self.moments if not m.measured]

    def to_json(self) -> dict[str, Any]:
        return {"layout": self.layout.to_json(), "cameras": [c.to_json() for c in self.cameras],
                "max_yaw_deg": self.max_yaw_deg, "min_face_px": self.min_face_px,
                "moments": [m.to_json() for m in self.moments], "measured": self.measured,
                "alone": {c.id: {"measured": self.measured_alone(c.id),
                                 "missed": self.missed_alone(c.id)} for c in self.cameras},
                "summary": self.summary()}


# ------------------------------------------------------------------ the arithmetic


@dataclass(frozen=True)
class _Targets:
    """Every face of every moment, as arrays (one row a face)."""

    heads: np.ndarray
    facing: np.ndarray
    others: np.ndarray
    keys: list[tuple[int, str]] = field(default_factory=list)
    """(moment index, who) per row."""


def _targets(moments: Sequence[Moment], needed_only: bool = False) -> _Targets:
    heads, facing, others, keys = [], [], [], []
    for i, m in enumerate(moments):
        for who in (m.needs if needed_only else ("staff", "customer")):
            h, f, o = m.face(who)
            heads.append(h)
            facing.append(f)
            others.append(o)
            keys.append((i, who))
    return _Targets(np.array(heads), np.array(facing), np.array(others), keys)


def _look(camera: PlannedCamera, t: _Targets, min_face_px: float, max_yaw_deg: float
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(yaw_deg, face_px, in_frame, occluded, seen) per target row."""
    c = camera.pose.position_m
    to_cam = c - t.heads
    dist = np.linalg.norm(to_cam, axis=1)
    cos = np.einsum("ij,ij->i", t.facing, to_cam) / np.maximum(dist, 1e-9)
    yaw = np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))
    intr = camera.intrinsics
    face_px = intr.fx * TYPICAL_FACE_WIDTH_M / np.maximum(dist, 1e-9)
    px = camera.pose.project(t.heads, intr)
    with np.errstate(invalid="ignore"):
        in_frame = ((px[:, 0] >= 0) & (px[:, 0] < intr.width)
                    & (px[:, 1] >= 0) & (px[:, 1] < intr.height))
    # The other head on the segment from the face to the lens hides it.
    rel = t.others - t.heads
    s = np.einsum("ij,ij->i", rel, to_cam) / np.maximum(dist * dist, 1e-12)
    closest = t.heads + np.clip(s, 0.0, 1.0)[:, None] * to_cam
    gap = np.linalg.norm(t.others - closest, axis=1)
    occluded = (s > 0) & (s < 1) & (gap < HEAD_RADIUS_M)
    seen = (yaw <= max_yaw_deg) & (face_px >= min_face_px) & in_frame & ~occluded
    return yaw, face_px, in_frame, occluded, seen


def plan(layout: CounterLayout, cameras: Sequence[PlannedCamera], *,
         min_face_px: float = MIN_FACE_PX,
         max_yaw_deg: float = FACE_MESH_MAX_YAW_DEG) -> PlanResult:
    """What ``cameras`` (one or several) see of each of the layout's moments."""
    if not cameras:
        raise ValueError("plan needs at least one camera")
    ids = [c.id for c in cameras]
    if len(set(ids)) != len(ids):
        raise ValueError(f"camera ids must differ, got {ids}")
    moments = layout.moments()
    t = _targets(moments)
    views: dict[int, list[FaceView]] = {i: [] for i in range(len(moments))}
    for cam in cameras:
        yaw, px, frame, occ, seen = _look(cam, t, min_face_px, max_yaw_deg)
        for row, (i, who) in enumerate(t.keys):
            why = ""
            if not seen[row]:
                reasons = []
                if not frame[row]:
                    reasons.append("out of frame")
                if yaw[row] > max_yaw_deg:
                    reasons.append(f"turned {yaw[row]:.0f} degrees away")
                if px[row] < min_face_px:
                    reasons.append(f"{px[row]:.0f} px wide")
                if occ[row]:
                    reasons.append("hidden by the other head")
                why = ", ".join(reasons)
            views[i].append(FaceView(cam.id, who, float(yaw[row]), float(px[row]),
                                     bool(frame[row]), bool(occ[row]), bool(seen[row]), why))
    results = tuple(MomentResult(m, tuple(views[i])) for i, m in enumerate(moments))
    return PlanResult(layout, tuple(cameras), results, min_face_px, max_yaw_deg)


# ------------------------------------------------------------------ the search


@dataclass(frozen=True)
class Recommendation:
    camera: PlannedCamera
    result: PlanResult
    """The plan with the cameras given and this one."""
    candidates: int
    """Positions tried."""
    step_m: float = 0.1
    """The grid's step (coarser than asked when ``max_positions`` capped it)."""

    def to_json(self) -> dict[str, Any]:
        return {"camera": self.camera.to_json(), "candidates": self.candidates,
                "step_m": round(self.step_m, 3), "plan": self.result.to_json()}


def _score(seen_any: np.ndarray, best_yaw: np.ndarray, best_px: np.ndarray,
           t: _Targets, n_moments: int, max_yaw_deg: float) -> tuple[float, ...]:
    ok = np.ones(n_moments, dtype=bool)
    for row, (i, _who) in enumerate(t.keys):
        ok[i] &= bool(seen_any[row])
    margin = float(np.mean(np.where(seen_any, max_yaw_deg - best_yaw, 0.0)))
    return (float(ok.sum()), float(seen_any.sum()), round(margin, 1), float(np.min(best_px)))


def recommend_camera(layout: CounterLayout, placed: Sequence[PlannedCamera] = (), *,
                     camera_id: str = "front", hfov_deg: float = 90.0,
                     size: tuple[int, int] = (1280, 720), step_m: float = 0.1,
                     heights_m: Sequence[float] = SEARCH_HEIGHTS_M,
                     min_face_px: float = MIN_FACE_PX,
                     max_yaw_deg: float = FACE_MESH_MAX_YAW_DEG,
                     only: Sequence[str] | None = None,
                     max_positions: int | None = None) -> Recommendation:
    """The camera position (a grid in plan, ``heights_m`` up) that with ``placed``
    measures the most moments; then the one that sees the most needed faces; then
    the one whose needed faces are turned least from their best camera (mean
    margin under ``max_yaw_deg``); then the largest smallest face. ``only``: the
    names of the moments to count (default every moment of the layout).

    Each candidate is aimed at the needed faces the placed cameras miss (all the
    needed faces when they miss none, or when none is placed) and, as a second try,
    at every head of the layout. ``max_positions``: the most grid positions in plan
    to try (the step grows until the grid fits; a layout 30 m across at 0.2 m is
    about 30,000 positions and more than a minute of search); None: no cap.
    """
    if step_m <= 0.01:
        raise ValueError("step_m must be more than 0.01")
    moments = layout.moments()
    if only is not None:
        moments = [m for m in moments if m.name in set(only)]
        if not moments:
            raise ValueError(f"no moment named {', '.join(only)}")
    t = _targets(moments, needed_only=True)
    n = len(moments)
    seen_any = np.zeros(len(t.keys), dtype=bool)
    best_yaw = np.full(len(t.keys), 180.0)
    best_px = np.zeros(len(t.keys))
    for cam in placed:
        yaw, px, _f, _o, seen = _look(cam, t, min_face_px, max_yaw_deg)
        best_yaw = np.where(seen, np.minimum(best_yaw, yaw), best_yaw)
        best_px = np.where(seen, np.maximum(best_px, px), best_px)
        seen_any |= seen
    missing = t.heads[~seen_any] if placed and (~seen_any).any() else t.heads
    aims = [missing.mean(axis=0), t.heads.mean(axis=0)]
    people = np.array([[m.staff_m[0], m.staff_m[1]] for m in moments]
                      + [[m.customer_m[0], m.customer_m[1]] for m in moments])
    lo = people.min(axis=0) - 2.0
    hi = people.max(axis=0) + 2.0
    xs = np.arange(lo[0], hi[0] + 1e-9, step_m)
    ys = np.arange(lo[1], hi[1] + 1e-9, step_m)
    while max_positions is not None and len(xs) * len(ys) > max(1, max_positions):
        step_m *= 1.1
        xs = np.arange(lo[0], hi[0] + 1e-9, step_m)
        ys = np.arange(lo[1], hi[1] + 1e-9, step_m)
    intr = Intrinsics.from_fov(size[0], size[1], hfov_deg)
    best: tuple[tuple[float, ...], PlannedCamera] | None = None
    tried = 0
    for x in xs:
        for y in ys:
            if np.min(np.hypot(people[:, 0] - x, people[:, 1] - y)) < KEEP_CLEAR_M:
                continue
            for z in heights_m:
                for aim in aims:
                    cam = PlannedCamera(camera_id, WorldPose.look_at((x, y, z), aim), intr)
                    yaw, px, _f, _o, seen = _look(cam, t, min_face_px, max_yaw_deg)
                    tried += 1
                    s_any = seen_any | seen
                    s_yaw = np.where(seen, np.minimum(best_yaw, yaw), best_yaw)
                    s_px = np.where(seen, np.maximum(best_px, px), best_px)
                    score = _score(s_any, s_yaw, s_px, t, n, max_yaw_deg)
                    if best is None or score > best[0]:
                        best = (score, cam)
    if best is None:
        raise ValueError("no camera position to try: widen the search")
    chosen = PlannedCamera(camera_id, best[1].pose, best[1].intrinsics)
    rounded = PlannedCamera(chosen.id, WorldPose(chosen.pose.rotation,
                                                 np.round(chosen.pose.position_m, 3)),
                            chosen.intrinsics)
    return Recommendation(rounded, plan(layout, [*placed, rounded], min_face_px=min_face_px,
                                        max_yaw_deg=max_yaw_deg), tried, float(step_m))


def _ids(cameras: Iterable[PlannedCamera]) -> list[str]:
    return [c.id for c in cameras]


def describe(result: PlanResult) -> str:
    """The plan as a table for a terminal."""
    ids = _ids(result.cameras)
    lines = []
    for cam in result.cameras:
        j = cam.to_json()
        lines.append(f"camera {cam.id}: at {tuple(j['position_m'])} m, heading "
                     f"{j['heading_deg']}, tilt down {j['tilt_down_deg']}, "
                     f"{j['size'][0]}x{j['size'][1]}, {j['hfov_deg']} degrees")
    lines.append("")
    head = f"{'moment':<22}{'face':<10}" + "".join(f"{cid:>24}" for cid in ids) + "  measured"
    lines.append(head)
    for m in result.moments:
        for k, who in enumerate(m.moment.needs):
            cells = []
            for cid in ids:
                v = next(v for v in m.views if v.camera == cid and v.who == who)
                mark = "seen" if v.seen else "no"
                cells.append(f"{mark} {v.yaw_deg:3.0f}deg {v.face_px:3.0f}px".rjust(24))
            done = ("yes" if m.measured else "NO") if k == 0 else ""
            name = m.moment.name if k == 0 else ""
            lines.append(f"{name:<22}{who:<10}" + "".join(cells) + f"  {done}")
    lines.append("")
    lines += result.summary()
    lines.append(f"(a face is seen within {result.max_yaw_deg:g} degrees of the camera, at "
                 f"{result.min_face_px:g} px or wider, in frame, not behind the other head)")
    return "\n".join(lines)



def camera_sections(config: Config) -> list[tuple[str, CameraConfig, list[str]]]:
    """(camera id, camera section, counter ids) of every camera of a config: the
    entries of ``cameras:``, or the one top-level camera (id ``camera``)."""
    if config.cameras:
        return [(e.id, e.camera, [c.id for c in e.counters]) for e in config.cameras]
    return [(config.camera_id or "camera", config.camera, [c.id for c in config.counters])]


def cameras_of_counter(config: Config, counter_id: str | None = None,
                       size: tuple[int, int] = (1280, 720)) -> list[PlannedCamera]:
    """The cameras of ``config`` that see ``counter_id`` (default: the first counter),
    each with its ``camera.pose`` and its lens at ``size`` (or its own capture size).

    Raises:
        ValueError: no such counter, or none of its cameras has a pose.
    """
    sections = camera_sections(config)
    known = [cid for _cam, _sec, counters in sections for cid in counters]
    if counter_id is None:
        if not known:
            raise ValueError("the config has no counter")
        counter_id = known[0]
    if counter_id not in known:
        raise ValueError(f"no counter {counter_id!r} (counters: {', '.join(dict.fromkeys(known))})")
    out, without = [], []
    for cam_id, section, counters in sections:
        if counter_id not in counters:
            continue
        if section.pose is None:
            without.append(cam_id)
            continue
        w = section.width or size[0]
        h = section.height or size[1]
        out.append(PlannedCamera(cam_id, WorldPose.from_config(section.pose),
                                 Intrinsics.from_config(section, w, h)))
    if not out:
        raise ValueError(f"counter {counter_id!r}: camera {', '.join(without)} has no "
                         f"camera.pose (frontdesk calibrate board|pose measures it)")
    return out

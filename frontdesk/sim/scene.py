"""Scenes: people as moving heads with a gaze, over time, in the world frame.

A :class:`Person` has a :class:`HeadPath` (head positions at given times, linearly
interpolated; present from the first waypoint to the last) and a list of
:class:`GazeAction` (from time ``t`` the person turns, over ``turn_s``, to look
at a point, at another person's head, along a heading, where they walk, or at
the camera). Everything is evaluated on arrays of times, so the renderer and the
ground truth sample the same functions, at frame rate and at a finer step.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from frontdesk.sim.cameras import SceneCamera, camera_layout
from frontdesk.sim.layout import DEFAULT_COUNTER_ID, DEFAULT_LAYOUT, CounterLayout
from frontdesk.sim.world import WORLD_UP, direction_from_angles, unit_rows

__all__ = [
    "Role",
    "GazeKind",
    "Waypoint",
    "HeadPath",
    "GazeAction",
    "Person",
    "Scene",
    "slerp_rows",
    "WALK_PITCH_DEG",
]

log = logging.getLogger(__name__)

Role = Literal["staff", "customer"]
GazeKind = Literal["walk", "point", "person", "heading", "camera"]

WALK_PITCH_DEG = -8.0
"""People walking look a little below the horizon along their way."""

_MOVING_M_S = 1e-3


@dataclass(frozen=True)
class Waypoint:
    """The head at ``position`` (world, metres) at time ``t`` (seconds)."""

    t: float
    position: tuple[float, float, float]


class HeadPath:
    """Head positions over time: linear between waypoints, present from first to last.

    Two waypoints at the same place make the person stand still between them.
    """

    def __init__(self, waypoints: Sequence[Waypoint]):
        if len(waypoints) < 2:
            raise ValueError(f"a path needs at least 2 waypoints, got {len(waypoints)}")
        ts = np.array([w.t for w in waypoints], dtype=np.float64)
        if np.any(np.diff(ts) <= 0):
            raise ValueError(f"waypoint times must increase strictly, got {ts.tolist()}")
        self.waypoints = tuple(waypoints)
        self.times = ts
        self.points = np.array([w.position for w in waypoints], dtype=np.float64)
        seg = np.diff(self.points, axis=0) / np.diff(ts)[:, None]
        self._velocities = seg
        self._moving_heading = self._headings_when_moving(seg)

    @staticmethod
    def _headings_when_moving(seg_velocity: np.ndarray) -> np.ndarray:
        """Per segment, the plan heading of the latest movement (the next one before any)."""
        speeds = np.hypot(seg_velocity[:, 0], seg_velocity[:, 1])
        headings = np.degrees(np.arctan2(seg_velocity[:, 1], seg_velocity[:, 0]))
        out = np.full(len(seg_velocity), np.nan)
        last = np.nan
        for i, (s, h) in enumerate(zip(speeds, headings, strict=True)):
            if s > _MOVING_M_S:
                last = h
            out[i] = last
        if np.isnan(out).all():
            return np.full(len(seg_velocity), 180.0)
        first_known = out[~np.isnan(out)][0]
        out[np.isnan(out)] = first_known
        return out

    @property
    def start_t(self) -> float:
        return float(self.times[0])

    @property
    def end_t(self) -> float:
        return float(self.times[-1])

    def present(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        return (t >= self.times[0]) & (t <= self.times[-1])

    def position(self, t: np.ndarray) -> np.ndarray:
        """(N, 3) head positions at times ``t`` (held at the ends outside the path)."""
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        return np.stack([np.interp(t, self.times, self.points[:, i]) for i in range(3)], axis=1)

    def _segment(self, t: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.times, t, side="right") - 1
        return np.clip(idx, 0, len(self._velocities) - 1)

    def velocity(self, t: np.ndarray) -> np.ndarray:
        """(N, 3) head velocity (m/s) at times ``t``."""
        return self._velocities[self._segment(np.asarray(t, dtype=np.float64).reshape(-1))]

    def walk_heading_deg(self, t: np.ndarray) -> np.ndarray:
        """Plan heading of the latest movement at each time (while standing: the last one)."""
        return self._moving_heading[self._segment(np.asarray(t, dtype=np.float64).reshape(-1))]

    def speed(self, t: np.ndarray) -> np.ndarray:
        return np.linalg.norm(self.velocity(t), axis=1)


@dataclass(frozen=True)
class GazeAction:
    """From ``t`` on, turn over ``turn_s`` seconds to look at something.

    Attributes:
        t: when the turn starts.
        kind: ``walk`` (along the way one walks, slightly down), ``point`` (a world
            point), ``person`` (another person's head), ``heading`` (a fixed plan
            heading and pitch), ``camera`` (into the lens).
        point: world point for ``point``.
        person: person id for ``person``.
        heading_deg, pitch_deg: for ``heading``.
        offset_deg: (heading, pitch) added to the target direction: aim error, or
            looking at someone's shoulder rather than their eyes.
        turn_s: duration of the turn (eyes and head together).
    """

    t: float
    kind: GazeKind
    point: tuple[float, float, float] | None = None
    person: str | None = None
    heading_deg: float = 0.0
    pitch_deg: float = 0.0
    offset_deg: tuple[float, float] = (0.0, 0.0)
    turn_s: float = 0.2

    def __post_init__(self) -> None:
        if self.kind == "point" and self.point is None:
            raise ValueError("a 'point' gaze action needs point")
        if self.kind == "person" and not self.person:
            raise ValueError("a 'person' gaze action needs person")
        if self.turn_s < 0:
            raise ValueError(f"turn_s must be >= 0, got {self.turn_s}")


@dataclass
class Person:
    """One person: an id, a role, a path and what they look at."""

    id: str
    role: Role
    path: HeadPath
    gaze: list[GazeAction] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.gaze.sort(key=lambda a: a.t)


def slerp_rows(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Spherical interpolation between unit rows ``a`` and ``b`` by weights ``w`` in [0, 1].

    Opposite directions turn about the world's up axis (people turn round, not over).
    """
    a = unit_rows(np.broadcast_to(a, b.shape))
    b = unit_rows(b)
    w = np.asarray(w, dtype=np.float64).reshape(-1, 1)
    dot = np.clip(np.sum(a * b, axis=1, keepdims=True), -1.0, 1.0)
    theta = np.arccos(dot)
    # Axis of rotation from a toward b; for (near-)parallel vectors, world up made
    # orthogonal to a (or x when a is vertical).
    axis = np.cross(a, b)
    n = np.linalg.norm(axis, axis=1, keepdims=True)
    up = np.broadcast_to(WORLD_UP, a.shape)
    alt = up - np.sum(up * a, axis=1, keepdims=True) * a
    alt_x = np.array([1.0, 0.0, 0.0]) - a[:, :1] * a
    alt = np.where(np.linalg.norm(alt, axis=1, keepdims=True) > 1e-6, alt, alt_x)
    axis = unit_rows(np.where(n > 1e-9, axis, alt))
    ang = w * theta
    # Rodrigues' rotation of a about axis (axis is orthogonal to a).
    out = a * np.cos(ang) + np.cross(axis, a) * np.sin(ang)
    return unit_rows(out)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _apply_offset(d: np.ndarray, offset_deg: tuple[float, float]) -> np.ndarray:
    if offset_deg == (0.0, 0.0):
        return d
    heading = np.degrees(np.arctan2(d[:, 1], d[:, 0])) + offset_deg[0]
    pitch = np.degrees(np.arcsin(np.clip(d[:, 2], -1.0, 1.0))) + offset_deg[1]
    return direction_from_angles(heading, np.clip(pitch, -89.0, 89.0))


@dataclass
class Scene:
    """People at one counter over ``duration_s`` seconds, seen by the layout's camera.

    Attributes:
        layout: camera and areas.
        people: everyone in the scene.
        duration_s: the scene's length; frames run from 0 to this.
        counter_id: the counter the scene shows.
        start_wall_time: Unix time at t = 0 (observations then carry wall_time).
        meta: how the scene was made (generator, seed), copied into the truth file.
        cameras: the scene file's ``cameras:`` (:mod:`frontdesk.sim.cameras`), empty for
            the default single camera; ``layout`` is then the first one's.
    """

    layout: CounterLayout = field(default_factory=lambda: DEFAULT_LAYOUT)
    people: list[Person] = field(default_factory=list)
    duration_s: float = 0.0
    counter_id: str = DEFAULT_COUNTER_ID
    start_wall_time: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    cameras: tuple[SceneCamera, ...] = ()
    gaze_camera_m: tuple[float, float, float] | None = None
    """Where a ``camera`` gaze looks (None: this layout's camera); seen through another
    of the scene's cameras, people still look at the first."""

    def __post_init__(self) -> None:
        ids = [p.id for p in self.people]
        if len(set(ids)) != len(ids):
            raise ValueError("person ids must be unique")
        self._by_id = {p.id: p for p in self.people}
        self._gaze_cache: dict[str, tuple[list[GazeAction], list[np.ndarray | None]]] = {}
        for p in self.people:
            for a in p.gaze:
                if a.kind == "person" and a.person not in self._by_id:
                    raise ValueError(f"{p.id} looks at unknown person {a.person!r}")
                if a.kind == "person" and a.person == p.id:
                    raise ValueError(f"{p.id} cannot look at themselves")

    def for_camera(self, camera_id: str, default_size: tuple[int, int] | None = None) -> Scene:
        """The same people seen through camera ``camera_id`` of :attr:`cameras` (its frame
        size, or ``default_size``, or this layout's)."""
        by_id = {c.id: c for c in self.cameras}
        if camera_id not in by_id:
            known = ", ".join(by_id) or "none"
            raise ValueError(f"no camera {camera_id!r} in this scene (cameras: {known})")
        cam = by_id[camera_id]
        sized = replace(self.layout, image_size=cam.size or default_size or self.layout.image_size)
        return replace(self, layout=camera_layout(sized, cam),
                       gaze_camera_m=self.gaze_camera_m or self.layout.camera.position)

    def person(self, person_id: str) -> Person:
        return self._by_id[person_id]

    @property
    def customers(self) -> list[Person]:
        return [p for p in self.people if p.role == "customer"]

    @property
    def staff(self) -> list[Person]:
        return [p for p in self.people if p.role == "staff"]

    # ------------------------------------------------------------------ gaze

    def _target_direction(self, person: Person, action: GazeAction, t: np.ndarray,
                          head: np.ndarray) -> np.ndarray:
        if action.kind == "walk":
            d = direction_from_angles(person.path.walk_heading_deg(t), WALK_PITCH_DEG)
        elif action.kind == "point":
            d = unit_rows(np.asarray(action.point, dtype=np.float64) - head)
        elif action.kind == "person":
            other = self._by_id[str(action.person)]
            d = unit_rows(other.path.position(t) - head)
        elif action.kind == "camera":
            camera = self.gaze_camera_m or self.layout.camera.position
            d = unit_rows(np.asarray(camera, dtype=np.float64) - head)
        else:
            d = np.broadcast_to(direction_from_angles(action.heading_deg, action.pitch_deg),
                                head.shape).copy()
        return _apply_offset(d, action.offset_deg)

    def gaze(self, person: Person, t: np.ndarray) -> np.ndarray:
        """(N, 3) unit gaze directions (world frame) of ``person`` at times ``t``."""
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        head = person.path.position(t)
        actions, starts = self._gaze_plan(person)
        out = np.empty((len(t), 3))
        action_t = np.array([a.t for a in actions])
        which = np.searchsorted(action_t, t, side="right") - 1
        for i in np.unique(which):
            sel = which == i
            action = actions[i]
            target = self._target_direction(person, action, t[sel], head[sel])
            start = starts[i]
            if action.turn_s <= 0 or start is None:
                out[sel] = target
                continue
            w = _smoothstep((t[sel] - action.t) / action.turn_s)
            out[sel] = slerp_rows(start, target, w)
        return out

    def _gaze_plan(self, person: Person) -> tuple[list[GazeAction], list[np.ndarray | None]]:
        """The person's actions (after an initial ``walk``) and where each turn starts; cached."""
        cached = self._gaze_cache.get(person.id)
        if cached is None:
            actions = [GazeAction(-math.inf, "walk", turn_s=0.0), *person.gaze]
            cached = (actions, self._start_directions(person, actions))
            self._gaze_cache[person.id] = cached
        return cached

    def _start_directions(self, person: Person,
                          actions: list[GazeAction]) -> list[np.ndarray | None]:
        """Where the gaze points at the moment each action's turn begins."""
        starts: list[np.ndarray | None] = [None]
        current: np.ndarray | None = None
        for i in range(1, len(actions)):
            prev, action = actions[i - 1], actions[i]
            tt = np.array([action.t])
            head = person.path.position(tt)
            target = self._target_direction(person, prev, tt, head)
            if prev.turn_s > 0 and current is not None and action.t - prev.t < prev.turn_s:
                w = _smoothstep(np.array([(action.t - prev.t) / prev.turn_s]))
                d = slerp_rows(current, target, w)[0]
            else:
                d = target[0]
            starts.append(d)
            current = d
        return starts

"""Scripted scenes: people, paths and gaze actions with times, from a small YAML file.

::

    duration_s: 30            # optional: default, last waypoint + 2 s
    counter_id: counter-1     # optional
    start_wall_time: 1718000000   # optional, Unix seconds at t = 0
    bodies: true              # optional: also report body boxes (a person detector);
                              # or a mapping of BodyModel fields, e.g. {every_n_frames: 1}
    cameras:                  # optional: several cameras (frontdesk.sim.cameras); the
      - {id: side, position_m: [0.8, 0.0, 1.9], look_at_m: [-1.5, 0.3, 1.6], hfov_deg: 90}
                              # first is the scene's own camera
    people:
      - id: anna
        role: staff
        path:                 # head positions (world frame, metres) at times
          - {t: 0, at: staff}            # a named spot, or [x, y, z]
          - {t: 30, at: staff}
        gaze:                 # from t on, turn (turn_s, default 0.2) to look at...
          - {t: 0, till: true}           # the layout's work point
          - {t: 8, person: bob}          # another person's head
          - {t: 10, till: true}
      - id: bob
        role: customer
        z: 1.75               # head height for named spots (default 1.65)
        path:
          - {t: 2, at: [-4.0, 0.85, 1.75]}
          - {t: 5.5, at: service}
          - {t: 20, at: service}
          - {t: 24, at: [-4.0, 1.2, 1.75]}
        gaze:
          - {t: 2, walk: true}           # along the way they walk
          - {t: 20, heading: 180}        # plan heading, degrees from +x toward +y

Named spots: ``service`` (``service1``...), ``staff`` (``staff1``...), ``queue1``...,
``exit``. Gaze targets: ``walk: true``, ``point: [x, y, z]``, ``person: ID``,
``heading: DEG`` (with ``pitch: DEG``), ``camera: true``, ``till: true``,
``look_down: DEG`` (the head pitched DEG below the horizontal, at a phone or the
counter top, facing plan heading ``facing: DEG``, default -90: across the counter
toward the staff side; the eyes add their own 15 degrees); each may add
``offset_deg: [heading, pitch]`` and ``turn_s``. World frame and layout:
:mod:`frontdesk.sim.world`, :mod:`frontdesk.sim.layout`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from frontdesk.errors import FrontdeskError
from frontdesk.sim.cameras import CameraListError, camera_layout, parse_cameras
from frontdesk.sim.layout import DEFAULT_COUNTER_ID, DEFAULT_LAYOUT, CounterLayout
from frontdesk.sim.scene import GazeAction, HeadPath, Person, Scene, Waypoint
from frontdesk.yaml_io import YamlFileError, load_yaml

__all__ = ["ScriptError", "scene_from_dict", "load_scene", "look_down_action", "DEFAULT_HEAD_Z",
           "LOOK_DOWN_FACING_DEG"]

log = logging.getLogger(__name__)

DEFAULT_HEAD_Z = 1.65


class ScriptError(FrontdeskError):
    """A scripted scene that cannot be built; the message names the entry."""


def _spots(layout: CounterLayout) -> dict[str, tuple[float, float]]:
    spots: dict[str, tuple[float, float]] = {"exit": layout.staff_exit}
    for name, seq in (("service", layout.service_spots), ("staff", layout.staff_spots),
                      ("queue", layout.queue_spots)):
        for i, xy in enumerate(seq, 1):
            spots[f"{name}{i}"] = xy
        if seq and name != "queue":
            spots[name] = seq[0]
    return spots


def _point(value: Any, where: str, z: float, spots: dict[str, tuple[float, float]]
           ) -> tuple[float, float, float]:
    if isinstance(value, str):
        if value not in spots:
            known = ", ".join(sorted(spots))
            raise ScriptError(f"{where}: unknown spot {value!r} (known: {known})")
        x, y = spots[value]
        return (float(x), float(y), z)
    if isinstance(value, (list, tuple)) and len(value) == 3:
        try:
            return (float(value[0]), float(value[1]), float(value[2]))
        except (TypeError, ValueError):
            pass
    raise ScriptError(f"{where}: expected a spot name or [x, y, z] in metres, got {value!r}")


_GAZE_KEYS = {"walk", "point", "person", "heading", "camera", "till", "look_down"}
_GAZE_OPTIONS = {"t", "turn_s", "offset_deg", "pitch", "facing"}
LOOK_DOWN_FACING_DEG = -90.0
"""Plan heading of a ``look_down`` without ``facing``: across the counter, toward the staff side."""


def _gaze(d: Any, where: str, layout: CounterLayout) -> GazeAction:
    if not isinstance(d, dict) or "t" not in d:
        raise ScriptError(f"{where}: a gaze action is a mapping with t and one target")
    unknown = set(d) - _GAZE_KEYS - _GAZE_OPTIONS
    if unknown:
        raise ScriptError(f"{where}: unknown keys {sorted(unknown)}")
    targets = [k for k in d if k in _GAZE_KEYS]
    if len(targets) != 1:
        raise ScriptError(f"{where}: give exactly one of {sorted(_GAZE_KEYS)}, got {targets}")
    kind = targets[0]
    if "facing" in d and kind != "look_down":
        raise ScriptError(f"{where}: facing goes with look_down")
    if "pitch" in d and kind != "heading":
        raise ScriptError(f"{where}: pitch goes with heading (look_down sets the head's own)")
    kw: dict[str, Any] = {"t": float(d["t"]), "turn_s": float(d.get("turn_s", 0.2))}
    if "offset_deg" in d:
        off = d["offset_deg"]
        if not (isinstance(off, (list, tuple)) and len(off) == 2):
            raise ScriptError(f"{where}: offset_deg is [heading, pitch]")
        kw["offset_deg"] = (float(off[0]), float(off[1]))
    try:
        if kind == "walk":
            return GazeAction(kind="walk", **kw)
        if kind == "camera":
            return GazeAction(kind="camera", **kw)
        if kind == "till":
            return GazeAction(kind="point", point=layout.work_point, **kw)
        if kind == "point":
            return GazeAction(kind="point", point=_point(d["point"], where, 0.0, {}), **kw)
        if kind == "person":
            return GazeAction(kind="person", person=str(d["person"]), **kw)
        if kind == "look_down":
            return look_down_action(float(d["look_down"]),
                                    float(d.get("facing", LOOK_DOWN_FACING_DEG)), **kw)
        return GazeAction(kind="heading", heading_deg=float(d["heading"]),
                          pitch_deg=float(d.get("pitch", 0.0)), **kw)
    except (TypeError, ValueError) as exc:
        raise ScriptError(f"{where}: {exc}") from None


def look_down_action(head_pitch_deg: float, facing_deg: float = LOOK_DOWN_FACING_DEG,
                     eye_pitch_range_deg: float = 15.0, **kw: Any) -> GazeAction:
    """Look down with the head pitched ``head_pitch_deg`` (0 to 80) below the horizontal.

    The gaze goes ``eye_pitch_range_deg`` further down (the eyes' share of a look down,
    :func:`frontdesk.sim.world.head_forward_from_gaze`), along plan heading ``facing_deg``.
    """
    if not 0.0 <= head_pitch_deg <= 80.0:
        raise ValueError(f"look_down is the head's pitch below the horizontal, 0 to 80 degrees, "
                         f"got {head_pitch_deg}")
    gaze_pitch = max(-(head_pitch_deg + eye_pitch_range_deg), -89.0)
    return GazeAction(kind="heading", heading_deg=facing_deg, pitch_deg=gaze_pitch, **kw)


def _person(d: Any, i: int, layout: CounterLayout,
            spots: dict[str, tuple[float, float]]) -> Person:
    where = f"people[{i}]"
    if not isinstance(d, dict):
        raise ScriptError(f"{where}: a person is a mapping with id, role, path and gaze")
    unknown = set(d) - {"id", "role", "z", "path", "gaze"}
    if unknown:
        raise ScriptError(f"{where}: unknown keys {sorted(unknown)}")
    pid = str(d.get("id") or "")
    if not pid:
        raise ScriptError(f"{where}: id is required")
    role = d.get("role")
    if role not in ("staff", "customer"):
        raise ScriptError(f"{where} ({pid}): role must be staff or customer, got {role!r}")
    z = float(d.get("z", DEFAULT_HEAD_Z))
    raw_path = d.get("path") or []
    waypoints = []
    for j, w in enumerate(raw_path):
        wwhere = f"{where}.path[{j}]"
        if not isinstance(w, dict) or set(w) != {"t", "at"}:
            raise ScriptError(f"{wwhere}: a waypoint is {{t: SECONDS, at: SPOT or [x, y, z]}}")
        waypoints.append(Waypoint(float(w["t"]), _point(w["at"], wwhere, z, spots)))
    try:
        path = HeadPath(waypoints)
    except ValueError as exc:
        raise ScriptError(f"{where}.path ({pid}): {exc}") from None
    gaze = [_gaze(g, f"{where}.gaze[{j}]", layout) for j, g in enumerate(d.get("gaze") or [])]
    return Person(pid, role, path, gaze)


def scene_from_dict(data: Any, layout: CounterLayout = DEFAULT_LAYOUT,
                    name: str = "<scene>") -> Scene:
    """Build a :class:`Scene` from the parsed YAML (see the module docstring)."""
    if not isinstance(data, dict):
        raise ScriptError(f"{name}: a scene is a mapping with people:")
    unknown = set(data) - {"duration_s", "counter_id", "start_wall_time", "people", "bodies",
                           "cameras"}
    if unknown:
        raise ScriptError(f"{name}: unknown keys {sorted(unknown)}")
    try:
        cameras = parse_cameras(data.get("cameras"), f"{name}: cameras")
    except CameraListError as exc:
        raise ScriptError(str(exc)) from None
    if cameras:  # the first camera is the scene's own: truth and zones are judged through it
        layout = camera_layout(layout, cameras[0])
    spots = _spots(layout)
    raw_people = data.get("people") or []
    if not isinstance(raw_people, list) or not raw_people:
        raise ScriptError(f"{name}: people: must list at least one person")
    people = [_person(d, i, layout, spots) for i, d in enumerate(raw_people)]
    duration = data.get("duration_s")
    if duration is None:
        duration = max(p.path.end_t for p in people) + 2.0
    wall = data.get("start_wall_time")
    meta: dict[str, Any] = {"generator": "script", "script": name}
    bodies = data.get("bodies")
    if bodies:
        meta["bodies"] = _bodies(bodies, name)
    try:
        return Scene(layout=layout, people=people, duration_s=float(duration),
                     counter_id=str(data.get("counter_id", DEFAULT_COUNTER_ID)),
                     start_wall_time=None if wall is None else float(wall),
                     meta=meta, cameras=cameras)
    except ValueError as exc:
        raise ScriptError(f"{name}: {exc}") from None


def _bodies(value: Any, name: str) -> dict[str, Any]:
    """The ``bodies:`` entry as BodyModel keyword arguments (checked here, not at render)."""
    from frontdesk.sim.render import BodyModel

    if value is True:
        return {}
    if not isinstance(value, dict):
        raise ScriptError(f"{name}: bodies: is true or a mapping of body model settings")
    try:
        BodyModel(**value)
    except (TypeError, ValueError) as exc:
        raise ScriptError(f"{name}: bodies: {exc}") from None
    return dict(value)


def load_scene(path: str | os.PathLike[str], layout: CounterLayout = DEFAULT_LAYOUT) -> Scene:
    """Read a scripted scene from a YAML file."""
    p = Path(path)
    try:
        data = load_yaml(p, "scene file")
    except YamlFileError as exc:
        raise ScriptError(str(exc)) from None
    return scene_from_dict(data, layout, p.name)

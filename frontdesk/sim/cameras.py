"""A scene's cameras: the optional ``cameras:`` list of a scene file (issue 17's format).

::

    cameras:                       # optional; without it, the default single camera
      - id: side
        position_m: [0.8, 0.0, 1.9]      # world frame (x along the counter, y across, z up)
        look_at_m: [-1.5, 0.3, 1.6]
        hfov_deg: 90
        size: [1280, 720]                # optional: the scene's frame size
      - id: front
        position_m: [-0.4, 2.6, 2.1]
        look_at_m: [-0.2, -0.6, 1.6]
        hfov_deg: 90

Each camera is level (no roll) and looks from ``position_m`` at ``look_at_m``.
:func:`camera_layout` gives the counter layout seen through one of them (the
same areas, spots and walkway; that camera's pose, lens and frame size), so
every single-camera tool (truth, zones, rendering) works per camera unchanged.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Any

from frontdesk.sim.layout import CounterLayout, layout_zones
from frontdesk.sim.world import CameraPose
from frontdesk.world import WorldPose

__all__ = ["SceneCamera", "CameraListError", "parse_cameras", "camera_layout", "camera_zones"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")
_KEYS = {"id", "position_m", "look_at_m", "hfov_deg", "size"}


class CameraListError(ValueError):
    """A ``cameras:`` entry that cannot be used; the message names it."""


@dataclass(frozen=True)
class SceneCamera:
    """One camera of a scene: where it is, what it looks at, its lens and frame size."""

    id: str
    position_m: tuple[float, float, float]
    look_at_m: tuple[float, float, float]
    hfov_deg: float = 90.0
    size: tuple[int, int] | None = None

    @property
    def pose(self) -> CameraPose:
        """The camera as the simulator's :class:`~frontdesk.sim.world.CameraPose`."""
        heading, tilt, _ = WorldPose.look_at(self.position_m, self.look_at_m).angles_deg
        return CameraPose(self.position_m, heading, tilt)


def _xyz(value: Any, where: str) -> tuple[float, float, float]:
    if not (isinstance(value, (list, tuple)) and len(value) == 3):
        raise CameraListError(f"{where}: expected [x, y, z] in metres, got {value!r}")
    try:
        x, y, z = (float(v) for v in value)
    except (TypeError, ValueError):
        raise CameraListError(f"{where}: expected [x, y, z] in metres, got {value!r}") from None
    if not all(math.isfinite(c) for c in (x, y, z)):
        raise CameraListError(f"{where}: expected finite numbers, got {value!r}")
    return (x, y, z)


def _camera(d: Any, where: str) -> SceneCamera:
    if not isinstance(d, dict):
        raise CameraListError(f"{where}: a camera is a mapping with id, position_m, look_at_m")
    unknown = set(d) - _KEYS
    if unknown:
        raise CameraListError(f"{where}: unknown keys {sorted(unknown)} (a camera takes "
                              f"{', '.join(sorted(_KEYS))})")
    for key in ("id", "position_m", "look_at_m"):
        if key not in d:
            raise CameraListError(f"{where}: {key} is missing")
    cid = str(d["id"])
    if not _ID.match(cid):
        raise CameraListError(f"{where}.id: letters, digits, - and _ (it names the clip file), "
                              f"got {cid!r}")
    position = _xyz(d["position_m"], f"{where}.position_m")
    look_at = _xyz(d["look_at_m"], f"{where}.look_at_m")
    if position[2] <= 0:
        raise CameraListError(f"{where}.position_m: the camera must be above the floor (z > 0), "
                              f"got z = {position[2]}")
    if math.dist(position, look_at) < 0.1:
        raise CameraListError(f"{where}.look_at_m: at least 0.1 m from the camera")
    try:
        hfov = float(d.get("hfov_deg", 90.0))
    except (TypeError, ValueError):
        raise CameraListError(f"{where}.hfov_deg: a number, got {d.get('hfov_deg')!r}") from None
    if not 20.0 <= hfov <= 160.0:
        raise CameraListError(f"{where}.hfov_deg: 20 to 160 degrees, got {hfov:g}")
    size = None
    if d.get("size") is not None:
        raw = d["size"]
        if not (isinstance(raw, (list, tuple)) and len(raw) == 2
                and all(isinstance(v, int) for v in raw)):
            raise CameraListError(f"{where}.size: [width, height] in pixels, got {raw!r}")
        size = (int(raw[0]), int(raw[1]))
        if not (160 <= size[0] <= 3840 and 90 <= size[1] <= 2160):
            raise CameraListError(f"{where}.size: 160x90 to 3840x2160, got {list(size)}")
    return SceneCamera(cid, position, look_at, hfov, size)


def parse_cameras(value: Any, where: str = "cameras") -> tuple[SceneCamera, ...]:
    """The ``cameras:`` list of a scene file (empty when absent).

    Raises:
        CameraListError: not a list, an entry that is not a camera, or a repeated id.
    """
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise CameraListError(f"{where}: a list of cameras (id, position_m, look_at_m, hfov_deg, "
                              f"size)")
    cameras = tuple(_camera(d, f"{where}[{i}]") for i, d in enumerate(value))
    ids = [c.id for c in cameras]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise CameraListError(f"{where}: camera ids must differ; repeated: {', '.join(repeated)}")
    return cameras


def camera_layout(base: CounterLayout, camera: SceneCamera) -> CounterLayout:
    """``base`` (areas, spots, walkway) seen through ``camera``."""
    return replace(base, camera=camera.pose, horizontal_fov_deg=camera.hfov_deg,
                   image_size=camera.size or base.image_size)


def camera_zones(layout: CounterLayout, camera_id: str) -> dict[str, list[list[float]]]:
    """The counter's zones in ``camera_id``'s image (:func:`~frontdesk.sim.layout.layout_zones`).

    Raises:
        CameraListError: an area is behind the camera or out of its view.
    """
    try:
        zones = layout_zones(layout)
    except ValueError as exc:
        raise CameraListError(f"camera {camera_id}: {exc}; it cannot draw the counter's "
                              f"zones") from None
    for name, poly in zones.items():
        xs = [p[0] for p in poly]
        ys = [p[1] for p in poly]
        if max(xs) - min(xs) < 0.01 or max(ys) - min(ys) < 0.01:
            raise CameraListError(f"camera {camera_id}: the {name} area is out of its view")
    return zones

"""The 3D layout of a simulated counter and the image zones that follow from it.

Plan view of the default scene (metres, world frame of :mod:`frontdesk.sim.world`)::

        y
        ^   customers' side
    1.0 |   <-- walkway (y 0.85): customers walk in from x = -8 toward the camera --
        |     queue spots at x = -3.0, -2.3, -1.6     service spot
    0.6 |        o      o      o                      C (0, 0.6)
        |                                                          \\
    0.0 |================ counter ================|                 [camera] (0.8, 0, 1.9 m up)
        |                                                          /   looking along -x
   -0.6 |    staff spots S2 (-0.75, -0.6)           S (0, -0.6)
        +--------------------------------------------------------------------> x

Staff and customer stand 1.2 m apart across the counter; the camera stands
beside the counter 0.8 m from the line between them, 1.9 m up, tilted 10 degrees
down, with a 90-degree horizontal field of view. While they look at each other
the camera sees each face 53.1 degrees from frontal in plan (54.4 degrees
counting the camera's height), inside Face Mesh's ~60-degree limit; the two
heads span 73.7 degrees of the 90-degree view. :func:`geometry_report` prints
these numbers.

Zones are the image-space bounding boxes of 3D *areas* (a floor rectangle times
the range of head heights) projected through the camera and clipped to the
frame. The areas are chosen so that the three boxes do not overlap: a single
camera cannot tell depth along a line of sight, so the service area stops
short of the queue's lines of sight. :data:`DEFAULT_ZONES` holds the rounded
result; ``frontdesk.config.default_config_dict`` and ``config/frontdesk.yaml``
carry the same numbers and ``tests/sim/test_layout.py`` keeps them equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.sim.world import CameraPose, unit_rows, view_angle_deg

__all__ = [
    "Area",
    "CounterLayout",
    "DEFAULT_LAYOUT",
    "DEFAULT_ZONES",
    "DEFAULT_COUNTER_ID",
    "layout_zones",
    "default_counter_dict",
    "geometry_report",
]

DEFAULT_COUNTER_ID = "counter-1"


@dataclass(frozen=True)
class Area:
    """A floor rectangle and the heights heads take over it (world frame, metres)."""

    x: tuple[float, float]
    y: tuple[float, float]
    head_z: tuple[float, float] = (1.5, 1.95)

    def corners(self) -> np.ndarray:
        """The 8 corners of the box heads can occupy over this area."""
        return np.array(
            [[x, y, z] for x in self.x for y in self.y for z in self.head_z], dtype=np.float64
        )


@dataclass(frozen=True)
class CounterLayout:
    """Everything fixed about a simulated counter: camera, areas and named spots.

    Attributes:
        camera: where the camera is and where it looks.
        image_size: (width, height) in pixels.
        horizontal_fov_deg: the lens's horizontal field of view.
        staff_area, service_area, approach_area: where staff stand, where customers
            stand at the counter, where they walk up and queue; the zones are
            their projections.
        staff_spots: (x, y) where staff members stand by default.
        service_spots: (x, y) where a customer stands to be served.
        queue_spots: (x, y) in the approach area, nearest the counter first.
        walkway_y: the line customers walk in along.
        entry_x: where customers enter (out of detection range, beyond the approach).
        staff_exit: (x, y) a staff member walks to when leaving the counter.
        work_point: (x, y, z) on the counter staff look at while working (a till).
    """

    camera: CameraPose = field(default_factory=lambda: CameraPose((0.8, 0.0, 1.9), 180.0, 10.0))
    image_size: tuple[int, int] = (1280, 720)
    horizontal_fov_deg: float = 90.0
    staff_area: Area = field(default_factory=lambda: Area((-1.2, 0.1), (-0.75, -0.45)))
    service_area: Area = field(default_factory=lambda: Area((-0.15, 0.15), (0.52, 0.75)))
    approach_area: Area = field(default_factory=lambda: Area((-5.0, -1.4), (0.6, 1.0)))
    staff_spots: tuple[tuple[float, float], ...] = ((0.0, -0.6), (-0.75, -0.6))
    service_spots: tuple[tuple[float, float], ...] = ((0.0, 0.6),)
    queue_spots: tuple[tuple[float, float], ...] = ((-1.6, 0.85), (-2.3, 0.85), (-3.0, 0.85))
    walkway_y: float = 0.85
    entry_x: float = -8.0
    staff_exit: tuple[float, float] = (-4.0, -1.2)
    work_point: tuple[float, float, float] = (0.35, -0.25, 1.0)

    @property
    def intrinsics(self) -> Intrinsics:
        w, h = self.image_size
        return Intrinsics.from_fov(w, h, self.horizontal_fov_deg)

    def project_world(self, points_world: np.ndarray) -> np.ndarray:
        """(N, 3) world points to (N, 2) pixels (points behind the camera give nan)."""
        pc = self.camera.to_camera(points_world)
        px = self.intrinsics.project(pc)
        px[pc[:, 2] <= 1e-6] = np.nan
        return px


def _area_box(layout: CounterLayout, area: Area) -> list[list[float]]:
    """Image bounding box (normalised, clipped to the frame) of an area's head box."""
    w, h = layout.image_size
    px = layout.project_world(area.corners())
    if np.isnan(px).any():
        raise ValueError(f"part of {area} is behind the camera")
    u0, u1 = np.clip([px[:, 0].min() / w, px[:, 0].max() / w], 0.0, 1.0)
    v0, v1 = np.clip([px[:, 1].min() / h, px[:, 1].max() / h], 0.0, 1.0)
    r = [round(float(a), 3) for a in (u0, v0, u1, v1)]
    return [[r[0], r[1]], [r[2], r[1]], [r[2], r[3]], [r[0], r[3]]]


def layout_zones(layout: CounterLayout) -> dict[str, list[list[float]]]:
    """The counter's zones (normalised polygons) derived from the layout's areas."""
    return {
        "approach": _area_box(layout, layout.approach_area),
        "service": _area_box(layout, layout.service_area),
        "staff": _area_box(layout, layout.staff_area),
    }


DEFAULT_LAYOUT = CounterLayout()

DEFAULT_ZONES: dict[str, list[list[float]]] = {
    "approach": [[0.552, 0.322], [0.732, 0.322], [0.732, 0.505], [0.552, 0.505]],
    "service": [[0.759, 0.272], [1.0, 0.272], [1.0, 0.852], [0.759, 0.852]],
    "staff": [[0.0, 0.277], [0.39, 0.277], [0.39, 0.819], [0.0, 0.819]],
}
"""``layout_zones(DEFAULT_LAYOUT)``, written out so config files can copy it."""


def default_counter_dict(counter_id: str = DEFAULT_COUNTER_ID) -> dict:
    """The default scene's counter as a config dict (``counters[0]`` of a config)."""
    zones = {k: [list(p) for p in v] for k, v in DEFAULT_ZONES.items()}
    return {"id": counter_id, "zones": zones}


def _mutual_gaze_angles(layout: CounterLayout, staff_xy: tuple[float, float],
                        customer_xy: tuple[float, float], head_z: float) -> tuple[float, float]:
    s = np.array([[staff_xy[0], staff_xy[1], head_z]])
    c = np.array([[customer_xy[0], customer_xy[1], head_z]])
    cam = layout.camera.position_array
    staff_angle = float(view_angle_deg(unit_rows(c - s), s, cam)[0])
    customer_angle = float(view_angle_deg(unit_rows(s - c), c, cam)[0])
    return staff_angle, customer_angle


def geometry_report(layout: CounterLayout = DEFAULT_LAYOUT, head_z: float = 1.65) -> dict:
    """The numbers behind the default placement, for docs and ``frontdesk simulate``.

    Returns the angle at which the camera sees the staff member's and the
    customer's face while they look at each other (3D, with the camera's
    height, and in plan as in DESIGN.md), the horizontal angle the two heads span
    as seen from the camera, and the derived zones.
    """
    staff_xy = layout.staff_spots[0]
    customer_xy = layout.service_spots[0]
    staff_3d, customer_3d = _mutual_gaze_angles(layout, staff_xy, customer_xy, head_z)
    cam = layout.camera.position
    line_offset = abs(cam[0] - (staff_xy[0] + customer_xy[0]) / 2.0)
    half_sep = abs(customer_xy[1] - staff_xy[1]) / 2.0
    plan_angle = math.degrees(math.atan2(line_offset, half_sep))
    s_dir = math.atan2(staff_xy[1] - cam[1], staff_xy[0] - cam[0])
    c_dir = math.atan2(customer_xy[1] - cam[1], customer_xy[0] - cam[0])
    span = abs(math.degrees(math.atan2(math.sin(s_dir - c_dir), math.cos(s_dir - c_dir))))
    return {
        "separation_m": round(abs(customer_xy[1] - staff_xy[1]), 3),
        "camera_offset_from_line_m": round(line_offset, 3),
        "camera_height_m": cam[2],
        "head_height_m": head_z,
        "horizontal_fov_deg": layout.horizontal_fov_deg,
        "staff_face_angle_deg": round(staff_3d, 1),
        "customer_face_angle_deg": round(customer_3d, 1),
        "plan_face_angle_deg": round(plan_angle, 1),
        "heads_span_deg": round(span, 1),
        "zones": layout_zones(layout),
    }

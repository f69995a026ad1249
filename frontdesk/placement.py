"""Where the camera can be: the arithmetic behind the mounting advice.

Two people looking at each other gaze in opposite directions, so a camera far
behind either of them sees only one face. The camera sees a person at a yaw
equal to the angle between their gaze and their direction to the camera, and
Face Mesh holds to roughly 60 degrees of yaw. This module computes, for a camera
beside the counter, the yaw at which it sees each of two people in mutual gaze,
and the field of view it needs to have both in frame.

Plan view (metres), staff S at the origin, customer C on the x axis:

          S ------------- C        y = 0   (the line between them)
           \\             /
            \\  yaw_S    /  yaw_C
             \\         /
              [camera]             y = offset_m, x = along_m
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["PlacementView", "mutual_gaze_view", "placement_table"]

FACE_MESH_MAX_YAW_DEG = 60.0


@dataclass(frozen=True)
class PlacementView:
    separation_m: float
    offset_m: float
    along_m: float
    staff_yaw_deg: float
    """Angle between the staff member's gaze (toward the customer) and their direction
    to the camera."""
    customer_yaw_deg: float
    needed_fov_deg: float
    """Horizontal angle the two heads span as seen from the camera."""

    @property
    def both_faces_seen(self) -> bool:
        return max(self.staff_yaw_deg, self.customer_yaw_deg) <= FACE_MESH_MAX_YAW_DEG

    def fits(self, horizontal_fov_deg: float, margin_deg: float = 5.0) -> bool:
        return self.needed_fov_deg + 2 * margin_deg <= horizontal_fov_deg


def _angle_deg(ax: float, ay: float, bx: float, by: float) -> float:
    dot = ax * bx + ay * by
    norm = math.hypot(ax, ay) * math.hypot(bx, by)
    return math.degrees(math.acos(max(-1.0, min(1.0, dot / norm))))


def mutual_gaze_view(
    separation_m: float, offset_m: float, along_m: float | None = None
) -> PlacementView:
    """How a camera ``offset_m`` from the staff-customer line sees both faces.

    Args:
        separation_m: distance between the two heads across the counter.
        offset_m: camera's distance from the line between them (beside the counter).
        along_m: camera's position along that line from the staff member
            (default: midway).
    """
    if separation_m <= 0 or offset_m <= 0:
        raise ValueError("separation_m and offset_m must be positive")
    along = separation_m / 2.0 if along_m is None else along_m
    cam = (along, offset_m)
    staff_yaw = _angle_deg(separation_m, 0.0, cam[0], cam[1])
    customer_yaw = _angle_deg(-separation_m, 0.0, cam[0] - separation_m, cam[1])
    needed = _angle_deg(-cam[0], -cam[1], separation_m - cam[0], -cam[1])
    return PlacementView(separation_m, offset_m, along, staff_yaw, customer_yaw, needed)


def placement_table(
    separation_m: float = 1.2,
    offsets_m: tuple[float, ...] = (0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.5, 2.0),
) -> list[PlacementView]:
    return [mutual_gaze_view(separation_m, d) for d in offsets_m]


if __name__ == "__main__":
    print("offset_m  staff_yaw  customer_yaw  needed_fov  both_seen")
    for v in placement_table():
        print(
            f"{v.offset_m:8.1f}  {v.staff_yaw_deg:9.1f}  {v.customer_yaw_deg:12.1f}  "
            f"{v.needed_fov_deg:10.1f}  {v.both_faces_seen}"
        )

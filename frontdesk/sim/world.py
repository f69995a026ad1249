"""World and camera frames for simulated scenes, and head pose from a facing direction.

World frame (metres), the frame scenes are written in::

    x  along the counter, toward the camera's end
    y  across the counter, from the staff side (y < 0) to the customer side (y > 0)
    z  up from the floor

Camera frame: OpenCV's (x right, y down, z forward out of the lens), as in
:mod:`frontdesk.types`. :class:`CameraPose` maps world points and directions into it.

Head pose follows :mod:`frontdesk.perception.pose`: angles are in the camera frame,
``R = Ry(-yaw) @ Rx(-pitch) @ Rz(roll)`` maps head-frame vectors (x toward the
subject's left, y toward the chin, z toward the back of the head) into the camera
frame, and the head looks along ``R @ (0, 0, -1)``. Yaw is positive when the head
turns toward the image's right, pitch positive when it tilts up.

All functions here are vectorised over a leading axis: (N, 3) in, (N, ...) out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "WORLD_UP",
    "CameraPose",
    "unit_rows",
    "direction_from_angles",
    "world_heading_pitch_deg",
    "head_forward_from_gaze",
    "euler_from_forward",
    "rotation_from_euler",
    "view_angle_deg",
]

WORLD_UP = np.array([0.0, 0.0, 1.0])


def unit_rows(v: np.ndarray) -> np.ndarray:
    """Each row of ``v`` scaled to length 1 (zero rows stay zero)."""
    v = np.asarray(v, dtype=np.float64)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, n, out=np.zeros_like(v), where=n > 1e-12)


def direction_from_angles(heading_deg: np.ndarray | float,
                          pitch_deg: np.ndarray | float) -> np.ndarray:
    """World direction from a heading (degrees from +x toward +y) and a pitch (up positive)."""
    h, p = np.broadcast_arrays(np.radians(np.asarray(heading_deg, dtype=np.float64)),
                               np.radians(np.asarray(pitch_deg, dtype=np.float64)))
    return np.stack([np.cos(p) * np.cos(h), np.cos(p) * np.sin(h), np.sin(p)], axis=-1)


def world_heading_pitch_deg(direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`direction_from_angles` for (N, 3) world directions."""
    d = unit_rows(np.asarray(direction, dtype=np.float64).reshape(-1, 3))
    heading = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
    pitch = np.degrees(np.arcsin(np.clip(d[:, 2], -1.0, 1.0)))
    return heading, pitch


def head_forward_from_gaze(gaze_world: np.ndarray, eye_pitch_range_deg: float) -> np.ndarray:
    """Where the head faces when the eyes look along ``gaze_world`` (world frame).

    People turn their heads fully to look sideways but move mostly their eyes to
    look up or down: the eyes take up to ``eye_pitch_range_deg`` of the gaze's pitch
    and the head the rest; the head's heading equals the gaze's.
    """
    heading, pitch = world_heading_pitch_deg(gaze_world)
    eye = np.clip(pitch, -eye_pitch_range_deg, eye_pitch_range_deg)
    return direction_from_angles(heading, pitch - eye)


def euler_from_forward(forward_cam: np.ndarray,
                       up_cam: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(yaw, pitch, roll) in degrees for heads facing ``forward_cam`` with crown toward ``up_cam``.

    Both arguments are (N, 3) camera-frame directions. Roll is the angle of the
    head's x axis (toward the subject's left) about the forward axis, measured from
    where it would lie with zero roll for the same yaw and pitch.
    """
    f = unit_rows(np.asarray(forward_cam, dtype=np.float64).reshape(-1, 3))
    yaw = np.degrees(np.arctan2(f[:, 0], -f[:, 2]))
    pitch = np.degrees(np.arctan2(-f[:, 1], np.hypot(f[:, 0], f[:, 2])))
    # Head y axis (toward the chin) is "down" of the head: opposite the crown,
    # made orthogonal to forward. Head x = y_head x z_head with z_head = -forward.
    down = -np.asarray(up_cam, dtype=np.float64).reshape(-1, 3)
    down = unit_rows(down - np.sum(down * f, axis=1, keepdims=True) * f)
    x_head = np.cross(down, -f)
    # Zero-roll x axis for this yaw and pitch: Ry(-yaw) @ Rx(-pitch) @ (1, 0, 0).
    yr = np.radians(yaw)
    x0 = np.stack([np.cos(yr), np.zeros_like(yr), np.sin(yr)], axis=1)
    y0 = np.cross(-f, x0)  # zero-roll y axis (z0 x x0 with z0 = -f)
    roll = np.degrees(np.arctan2(np.sum(x_head * y0, axis=1), np.sum(x_head * x0, axis=1)))
    return yaw, pitch, roll


def rotation_from_euler(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """Head-to-camera rotation ``Ry(-yaw) @ Rx(-pitch) @ Rz(roll)``."""
    a, b, c = math.radians(-yaw_deg), math.radians(-pitch_deg), math.radians(roll_deg)
    ca, sa, cb, sb, cc, sc = (math.cos(a), math.sin(a), math.cos(b), math.sin(b), math.cos(c),
                              math.sin(c))
    ry = np.array([[ca, 0.0, sa], [0.0, 1.0, 0.0], [-sa, 0.0, ca]])
    rx = np.array([[1.0, 0.0, 0.0], [0.0, cb, -sb], [0.0, sb, cb]])
    rz = np.array([[cc, -sc, 0.0], [sc, cc, 0.0], [0.0, 0.0, 1.0]])
    return ry @ rx @ rz


def view_angle_deg(head_forward: np.ndarray, head_position: np.ndarray,
                   camera_position: np.ndarray) -> np.ndarray:
    """Angle between where each head faces and its direction to the camera (same frame).

    This is the angle the camera sees the face at; face detectors lose faces
    beyond about 60 to 70 degrees.
    """
    to_cam = unit_rows(np.asarray(camera_position, dtype=np.float64) - np.asarray(head_position))
    f = unit_rows(head_forward)
    return np.degrees(np.arccos(np.clip(np.sum(f * to_cam, axis=-1), -1.0, 1.0)))


@dataclass(frozen=True)
class CameraPose:
    """Where the camera is and where it looks, in the world frame.

    Attributes:
        position: the lens centre (x, y, z), metres.
        heading_deg: direction of the optical axis in plan, degrees from +x toward +y
            (180 looks along the counter, toward -x).
        tilt_down_deg: how far the optical axis points below horizontal.
    """

    position: tuple[float, float, float]
    heading_deg: float
    tilt_down_deg: float

    @property
    def rotation(self) -> np.ndarray:
        """3x3 world-to-camera rotation: rows are the camera's x, y, z axes in world terms."""
        forward = direction_from_angles(self.heading_deg, -self.tilt_down_deg)
        right = np.cross(forward, WORLD_UP)
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        return np.stack([right, down, forward])

    @property
    def position_array(self) -> np.ndarray:
        return np.asarray(self.position, dtype=np.float64)

    def to_camera(self, points_world: np.ndarray) -> np.ndarray:
        """(N, 3) world points to camera-frame points."""
        p = np.asarray(points_world, dtype=np.float64).reshape(-1, 3) - self.position_array
        return p @ self.rotation.T

    def config_dict(self) -> dict[str, object]:
        """This pose as a config's ``camera.pose`` (:class:`frontdesk.config.CameraPoseConfig`)."""
        return {"position_m": [float(v) for v in self.position], "heading_deg": self.heading_deg,
                "tilt_down_deg": self.tilt_down_deg, "roll_deg": 0.0}

    def directions_to_camera(self, directions_world: np.ndarray) -> np.ndarray:
        """(N, 3) world directions to camera-frame directions."""
        return np.asarray(directions_world, dtype=np.float64).reshape(-1, 3) @ self.rotation.T

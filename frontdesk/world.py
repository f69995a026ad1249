"""A camera's pose in its counter's floor frame: world points to pixels and back.

World frame (metres), the one of docs/simulator.md and of every scene file::

    x  along the counter
    y  across the counter, from the staff side (y < 0) to the customers' side
    z  up from the floor (the floor is z = 0)

Camera frame: OpenCV's (x right, y down, z forward out of the lens), as
everywhere in frontdesk. A :class:`WorldPose` holds the world-to-camera
rotation and the lens centre in the world; ``to_camera`` and ``to_world`` move
points between the two frames, ``project`` takes world points to pixels through
:class:`~frontdesk.camera_model.Intrinsics`, and ``point_at_height`` takes a
pixel back to the world point on its ray at a given height (a foot on the floor,
a head at 1.7 m).

In the config a pose is written the way an installer thinks of a camera
(``camera.pose``: position, heading, tilt, roll; :class:`~frontdesk.config.CameraPoseConfig`);
:meth:`WorldPose.from_angles` and :attr:`WorldPose.angles_deg` convert.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.config import CameraPoseConfig

__all__ = ["WORLD_UP", "WorldPose", "rotation_angle_deg"]

WORLD_UP = np.array([0.0, 0.0, 1.0])
_EPS = 1e-9


def _axes(heading_deg: float, tilt_down_deg: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(right, down, forward) world directions of an unrolled camera."""
    h, p = math.radians(heading_deg), math.radians(-tilt_down_deg)
    forward = np.array([math.cos(p) * math.cos(h), math.cos(p) * math.sin(h), math.sin(p)])
    # Level right: forward x up, which vanishes for a camera looking straight up or
    # down; the heading then names where the image's top points.
    right = np.array([math.sin(h), -math.cos(h), 0.0])
    down = np.cross(forward, right)
    return right, down, forward


def rotation_angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    """The angle of the rotation that takes rotation matrix ``a`` to ``b``, degrees."""
    r = np.asarray(a, dtype=np.float64).T @ np.asarray(b, dtype=np.float64)
    cos2 = float(np.trace(r)) - 1.0  # 2 cos(angle)
    sin2 = math.hypot(r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1])  # 2 sin(angle)
    return math.degrees(math.atan2(sin2, cos2))


@dataclass(frozen=True)
class WorldPose:
    """Where a camera is and how it is turned, in its counter's floor frame.

    Attributes:
        rotation: 3x3 world-to-camera rotation; its rows are the camera's x (right),
            y (down) and z (forward) axes in world terms.
        position_m: the lens centre in the world, metres.
    """

    rotation: np.ndarray
    position_m: np.ndarray

    def __post_init__(self) -> None:
        r = np.asarray(self.rotation, dtype=np.float64).reshape(3, 3)
        p = np.asarray(self.position_m, dtype=np.float64).reshape(3)
        if not np.allclose(r @ r.T, np.eye(3), atol=1e-6) or np.linalg.det(r) < 0:
            raise ValueError("WorldPose.rotation must be a proper rotation matrix")
        if not np.all(np.isfinite(p)):
            raise ValueError(f"WorldPose.position_m must be finite, got {p}")
        object.__setattr__(self, "rotation", r)
        object.__setattr__(self, "position_m", p)

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_angles(cls, position_m: Sequence[float], heading_deg: float,
                    tilt_down_deg: float, roll_deg: float = 0.0) -> WorldPose:
        """A camera at ``position_m`` whose optical axis points ``heading_deg`` in plan
        (degrees from +x toward +y) and ``tilt_down_deg`` below horizontal, turned
        ``roll_deg`` about that axis (positive: the image's right edge goes down)."""
        right, down, forward = _axes(heading_deg, tilt_down_deg)
        r = math.radians(roll_deg)
        rolled_right = math.cos(r) * right + math.sin(r) * down
        rolled_down = -math.sin(r) * right + math.cos(r) * down
        return cls(np.stack([rolled_right, rolled_down, forward]), np.asarray(position_m, float))

    @classmethod
    def look_at(cls, position_m: Sequence[float], target_m: Sequence[float]) -> WorldPose:
        """A level camera (no roll) at ``position_m`` looking at ``target_m``."""
        d = np.asarray(target_m, dtype=np.float64) - np.asarray(position_m, dtype=np.float64)
        n = float(np.linalg.norm(d))
        if n < 1e-6:
            raise ValueError("a camera cannot look at its own position")
        heading = math.degrees(math.atan2(d[1], d[0]))
        tilt = math.degrees(math.asin(max(-1.0, min(1.0, -d[2] / n))))
        return cls.from_angles(position_m, heading, tilt)

    @classmethod
    def from_opencv(cls, rvec: np.ndarray, tvec: np.ndarray) -> WorldPose:
        """From solvePnP's answer (``x_cam = R @ x_world + t``), world in metres."""
        import cv2

        r, _ = cv2.Rodrigues(np.asarray(rvec, dtype=np.float64).reshape(3, 1))
        t = np.asarray(tvec, dtype=np.float64).reshape(3)
        return cls(r, -r.T @ t)

    @classmethod
    def from_config(cls, cfg: CameraPoseConfig) -> WorldPose:
        return cls.from_angles(cfg.position_m, cfg.heading_deg, cfg.tilt_down_deg, cfg.roll_deg)

    # ------------------------------------------------------------------ reading

    @property
    def forward(self) -> np.ndarray:
        """The optical axis, a world direction."""
        return self.rotation[2].copy()

    @property
    def angles_deg(self) -> tuple[float, float, float]:
        """(heading, tilt down, roll), the inverse of :meth:`from_angles`."""
        f = self.rotation[2]
        tilt = math.degrees(math.asin(max(-1.0, min(1.0, -float(f[2])))))
        if math.hypot(float(f[0]), float(f[1])) < 1e-6:  # straight up or down
            up_img = -self.rotation[1] if f[2] < 0 else self.rotation[1]
            return math.degrees(math.atan2(up_img[1], up_img[0])), tilt, 0.0
        heading = math.degrees(math.atan2(float(f[1]), float(f[0])))
        right, down, _ = _axes(heading, tilt)
        x = self.rotation[0]
        roll = math.degrees(math.atan2(float(x @ down), float(x @ right)))
        return heading, tilt, roll

    @property
    def opencv(self) -> tuple[np.ndarray, np.ndarray]:
        """(rvec, tvec) as solvePnP and projectPoints use them."""
        import cv2

        rvec, _ = cv2.Rodrigues(self.rotation)
        return rvec.reshape(3), -self.rotation @ self.position_m

    def config_values(self, reprojection_error_px: float | None = None) -> dict[str, object]:
        """The ``camera.pose`` mapping to store (rounded to a millimetre and a hundredth
        of a degree)."""
        heading, tilt, roll = self.angles_deg
        out: dict[str, object] = {
            "position_m": [round(float(v), 4) for v in self.position_m],
            "heading_deg": round(heading, 3),
            "tilt_down_deg": round(tilt, 3),
            "roll_deg": round(roll, 3),
        }
        if reprojection_error_px is not None:
            out["reprojection_error_px"] = round(float(reprojection_error_px), 3)
        return out

    # ------------------------------------------------------------------ transforms

    def to_camera(self, points_world: np.ndarray) -> np.ndarray:
        """(N, 3) world points to camera-frame points."""
        p = np.asarray(points_world, dtype=np.float64).reshape(-1, 3) - self.position_m
        return p @ self.rotation.T

    def to_world(self, points_camera: np.ndarray) -> np.ndarray:
        """(N, 3) camera-frame points to world points."""
        p = np.asarray(points_camera, dtype=np.float64).reshape(-1, 3)
        return p @ self.rotation + self.position_m

    def directions_to_world(self, directions_camera: np.ndarray) -> np.ndarray:
        """(N, 3) camera-frame directions to world directions (no translation)."""
        return np.asarray(directions_camera, dtype=np.float64).reshape(-1, 3) @ self.rotation

    def project(self, points_world: np.ndarray, intrinsics: Intrinsics) -> np.ndarray:
        """(N, 3) world points to (N, 2) pixels, through the lens's distortion when it
        is known; points behind the camera give nan."""
        pc = self.to_camera(points_world)
        ahead = pc[:, 2] > 1e-6
        out = np.full((len(pc), 2), np.nan)
        if not ahead.any():
            return out
        if intrinsics.distortion is None:
            out[ahead] = intrinsics.project(pc[ahead])
        else:
            import cv2

            px, _ = cv2.projectPoints(pc[ahead].reshape(-1, 1, 3), np.zeros(3), np.zeros(3),
                                      intrinsics.matrix, intrinsics.dist_coeffs)
            out[ahead] = px.reshape(-1, 2)
        return out

    def point_at_height(self, u: float, v: float, intrinsics: Intrinsics,
                        height_m: float) -> np.ndarray | None:
        """The world point seen at pixel (u, v) that lies ``height_m`` above the floor,
        or None when the pixel's ray never reaches that height in front of the camera."""
        ray = self.directions_to_world(intrinsics.pixel_ray(u, v))[0]
        if abs(ray[2]) < _EPS:
            return None
        s = (height_m - self.position_m[2]) / ray[2]
        if s <= 0:
            return None
        return self.position_m + s * ray

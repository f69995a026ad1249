"""Pinhole camera intrinsics: from a field of view or a calibrated matrix.

Pure numpy and OpenCV; OpenCV's camera frame (x right, y down, z forward, metres).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from frontdesk.config import CameraConfig

__all__ = ["Intrinsics"]


@dataclass(frozen=True)
class Intrinsics:
    """Camera matrix for one image size.

    Attributes:
        fx, fy: focal lengths in pixels.
        cx, cy: principal point in pixels.
        width, height: the image size these numbers belong to.
        distortion: OpenCV distortion coefficients, or None for an ideal lens.
    """

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    distortion: tuple[float, ...] | None = None

    @classmethod
    def from_fov(cls, width: int, height: int, horizontal_fov_deg: float) -> Intrinsics:
        """Square pixels, principal point at the centre, focal length from the FOV."""
        f = (width / 2.0) / math.tan(math.radians(horizontal_fov_deg) / 2.0)
        return cls(f, f, width / 2.0, height / 2.0, width, height)

    @classmethod
    def from_config(cls, cfg: CameraConfig, width: int, height: int) -> Intrinsics:
        """Intrinsics for a ``width`` x ``height`` image from the camera config.

        A calibrated matrix is scaled when the image size differs from the size it
        was calibrated at; otherwise the horizontal field of view is used.
        """
        if cfg.matrix is None:
            return cls.from_fov(width, height, cfg.horizontal_fov_deg)
        m = cfg.matrix
        sx = sy = 1.0
        if cfg.calibrated_size is not None:
            sx = width / cfg.calibrated_size[0]
            sy = height / cfg.calibrated_size[1]
        dist = tuple(cfg.distortion) if cfg.distortion else None
        return cls(m[0][0] * sx, m[1][1] * sy, m[0][2] * sx, m[1][2] * sy, width, height, dist)

    @property
    def matrix(self) -> np.ndarray:
        return np.array(
            [[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]], dtype=np.float64
        )

    @property
    def dist_coeffs(self) -> np.ndarray:
        if self.distortion is None:
            return np.zeros(5, dtype=np.float64)
        return np.asarray(self.distortion, dtype=np.float64)

    @property
    def horizontal_fov_deg(self) -> float:
        return math.degrees(2.0 * math.atan2(self.width / 2.0, self.fx))

    def project(self, points_m: np.ndarray) -> np.ndarray:
        """Project (N, 3) camera-frame points to (N, 2) pixels (ideal lens)."""
        p = np.asarray(points_m, dtype=np.float64).reshape(-1, 3)
        z = p[:, 2]
        return np.stack([self.fx * p[:, 0] / z + self.cx, self.fy * p[:, 1] / z + self.cy], axis=1)

    def pixel_ray(self, u: float, v: float) -> np.ndarray:
        """Unit ray through pixel (u, v), undistorted when distortion is known."""
        if self.distortion is not None:
            import cv2

            pts = cv2.undistortPoints(
                np.array([[[u, v]]], dtype=np.float64), self.matrix, self.dist_coeffs
            )
            x, y = float(pts[0, 0, 0]), float(pts[0, 0, 1])
        else:
            x, y = (u - self.cx) / self.fx, (v - self.cy) / self.fy
        ray = np.array([x, y, 1.0])
        return ray / np.linalg.norm(ray)

    def backproject(self, u: float, v: float, depth_m: float) -> np.ndarray:
        """The camera-frame point at pixel (u, v) whose z is ``depth_m``."""
        ray = self.pixel_ray(u, v)
        return ray * (depth_m / ray[2])

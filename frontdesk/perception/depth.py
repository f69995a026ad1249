"""Head distance: from the apparent iris size and from the pose solution.

Two estimates of the distance ``z`` (metres, camera frame) of the point between
the eyes:

* **Iris.** Adult irises are 11.7 +- 0.5 mm across (about 4 % spread), so
  ``z = fx * iris_mm / iris_px``. The horizontal iris diameter is used (Face
  Mesh's vertical diameter shrinks as the eyelids cover the iris), divided by the
  cosine of the angle between the eye's gaze and the ray to the camera to undo
  foreshortening. Its error is dominated by landmark noise: the two eyes of
  one face disagree by 0.4-0.5 px on re-rendered faces, on a diameter that is
  only ~8 px on a face 100 px wide.
* **Pose.** solvePnP places the face model, scaled to the configured
  interpupillary distance (63 +- 3.6 mm across adults, about 6 %), at the
  distance that makes it the observed size. It uses all model landmarks, so its
  pixel noise is small; its error is the spread of real face sizes.

:func:`fuse_depth` averages the two in log space, weighted by the inverse of
their variances as modelled here, so close faces lean on the iris and far ones
on the pose.
"""

from __future__ import annotations

import math

import numpy as np

import frontdesk.perception.landmarks as L

__all__ = [
    "IRIS_SPREAD",
    "FACE_SIZE_SPREAD",
    "IRIS_NOISE_PX",
    "POSE_NOISE_PX",
    "MAX_DEPTH_UNCERTAINTY",
    "depth_uncertainty",
    "iris_diameter_px",
    "depth_from_iris",
    "fuse_depth",
]

IRIS_SPREAD = 0.04
FACE_SIZE_SPREAD = 0.06
IRIS_NOISE_PX = 0.5
POSE_NOISE_PX = 0.5
MAX_DEPTH_UNCERTAINTY = 0.5
"""The largest distance uncertainty reported (a fraction of the distance)."""


def iris_diameter_px(landmarks_px: np.ndarray, eye: int) -> float:
    """Horizontal iris diameter of the right (0) or left (1) eye, pixels."""
    ring = L.RIGHT_IRIS_RING if eye == 0 else L.LEFT_IRIS_RING
    a, b = landmarks_px[ring[0]], landmarks_px[ring[2]]
    return math.hypot(float(a[0] - b[0]), float(a[1] - b[1]))


def depth_from_iris(
    iris_px: float, fx: float, iris_mm: float, foreshortening: float = 1.0
) -> float:
    """Distance (m) at which an iris ``iris_mm`` across looks ``iris_px`` wide.

    ``foreshortening`` is the cosine of the angle between the iris's normal and
    the ray to the camera (1 when the eye looks into the lens); it is clamped at
    cos 45 degrees.
    """
    if iris_px <= 0:
        raise ValueError(f"iris diameter must be > 0 px, got {iris_px}")
    k = max(foreshortening, math.cos(math.radians(45.0)))
    return fx * (iris_mm / 1000.0) * k / iris_px


def fuse_depth(
    pose_z_m: float,
    iris_z_m: float | None,
    iris_px: float,
    interpupillary_px: float,
    n_irises: int = 2,
) -> float:
    """Inverse-variance average (in log space) of the pose and iris distances.

    ``iris_px`` is the mean iris diameter of the ``n_irises`` irises averaged
    into ``iris_z_m``; ``interpupillary_px`` is the pupils' distance in the image.
    """
    var_pose = _pose_variance(interpupillary_px)
    if iris_z_m is None or iris_z_m <= 0 or iris_px <= 0:
        return pose_z_m
    var_iris = _iris_variance(iris_px, n_irises)
    w_iris = (1.0 / var_iris) / (1.0 / var_iris + 1.0 / var_pose)
    return float(math.exp(w_iris * math.log(iris_z_m) + (1.0 - w_iris) * math.log(pose_z_m)))


def depth_uncertainty(
    pose_z_m: float,
    iris_z_m: float | None,
    iris_px: float,
    interpupillary_px: float,
    n_irises: int = 2,
) -> float:
    """How far off :func:`fuse_depth`'s distance may be, as a fraction of it.

    Two standard deviations of the inverse-variance average, or the two
    estimates' own disagreement where that is larger: when the irises and the
    face's size tell different distances (dim light, a darker iris against a
    darker skin, glasses), one of them is misread and the truth may lie at either.
    Without irises, two deviations of the pose's distance alone.
    """
    var_pose = _pose_variance(interpupillary_px)
    if iris_z_m is None or iris_z_m <= 0 or iris_px <= 0 or pose_z_m <= 0:
        return float(min(MAX_DEPTH_UNCERTAINTY, 2.0 * math.sqrt(var_pose)))
    var_iris = _iris_variance(iris_px, n_irises)
    fused = 2.0 * math.sqrt(1.0 / (1.0 / var_iris + 1.0 / var_pose))
    apart = abs(math.log(iris_z_m) - math.log(pose_z_m))
    return float(min(MAX_DEPTH_UNCERTAINTY, max(fused, apart)))


def _pose_variance(interpupillary_px: float) -> float:
    """Variance of the log of the pose's distance: adult eye spacing and pixel noise."""
    return FACE_SIZE_SPREAD**2 + (POSE_NOISE_PX / max(interpupillary_px, 1e-6)) ** 2


def _iris_variance(iris_px: float, n_irises: int) -> float:
    """Variance of the log of the irises' distance: adult iris size and pixel noise."""
    return IRIS_SPREAD**2 + (IRIS_NOISE_PX / iris_px) ** 2 / max(n_irises, 1)

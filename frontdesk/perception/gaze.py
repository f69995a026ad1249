"""Eye gaze: the head's forward direction corrected by where each iris sits.

Each eye is modelled as a sphere turning about a fixed centre in the head frame:
the centre sits :data:`EYE_RADIUS_MM` behind the iris of an eye looking straight
ahead (the face model's neutral pupil). The iris centre Face Mesh finds in the
image is a ray from the camera; where that ray meets the sphere is the iris's 3D
position, and the line from the sphere's centre through it is that eye's gaze.
This handles head rotation and perspective exactly: an iris that stays put in
its eye opening while the head turns gives the head's forward direction, and a
sideways shift of ``d`` millimetres in the head frame turns the eye by
``asin(d / EYE_RADIUS_MM)``.

The gain is the radius. Anatomically the eye's centre of rotation is about
13.5 mm behind the cornea and the visible iris about 3 mm behind the cornea, so
:data:`ANATOMICAL_EYE_RADIUS_MM` = 10.5 mm. How it was chosen: the astronaut's
face was re-rendered with its eyes turned by known angles
(:mod:`frontdesk.sim.face_render`, which moves the iris on a 10.5 mm sphere) and
read back. With the anatomical radius, sideways glances of -20..20 degrees came
back with a slope of 0.77 (Face Mesh's iris landmark moves about three quarters
as far as the rendered iris) and vertical glances of -15..15 degrees with 0.62.
The radius used, :data:`EYE_RADIUS_MM` = 8.0 mm, is the anatomical one times
the sideways response (:data:`IRIS_RESPONSE_SLOPE`; 8.1, rounded); with it the
same renders read back with slopes 1.03 sideways and 0.81 vertically. The
vertical figure is not used to set a second gain: the renderer does not move
the eyelids with the eye, as real lids do, so vertical renders are the less
trustworthy.

When the eyes are not trusted, the gaze falls back toward the head's forward
direction:

* small faces: the iris shift for a 20 degree glance is ``EYE_RADIUS_MM * sin 20``,
  about 3 mm, under a pixel once the eyeball's radius is below ~3 px. Eyes are
  trusted fully above :data:`EYE_FULL_WEIGHT_PX` of eyeball radius, ignored below
  :data:`EYE_MIN_PX`, blended in between;
* oblique faces: Face Mesh's irises go astray when the face turns far from the
  camera (a head pitched 37 degrees away from the camera read its eyes 45 degrees
  off on a render), so eyes fade out between :data:`EYES_TRUSTED_VIEW_DEG` and
  :data:`EYES_IGNORED_VIEW_DEG` between the head's forward direction and the
  direction to the camera;
* an eye on the far side of a head turned beyond 25 degrees of yaw fades out by
  55 degrees, leaving the near eye.

On faces about 100 px wide the eyes' own reading scatters by 3-4 degrees (up to
about 7) around the truth when the eyes are still and only the head turns; the
head pose is steadier (see docs/perception.md).
"""

from __future__ import annotations

import math

import numpy as np

from frontdesk.perception.pose import FORWARD_HEAD

__all__ = [
    "ANATOMICAL_EYE_RADIUS_MM",
    "IRIS_RESPONSE_SLOPE",
    "EYE_RADIUS_MM",
    "EYE_MIN_PX",
    "EYE_FULL_WEIGHT_PX",
    "MAX_EYE_ROTATION_DEG",
    "eye_gaze",
    "eye_weight",
    "far_eye_weight",
    "view_weight",
    "combine_gaze",
]

ANATOMICAL_EYE_RADIUS_MM = 10.5
IRIS_RESPONSE_SLOPE = 0.77
"""Face Mesh's sideways iris displacement per rendered displacement (measured)."""
EYE_RADIUS_MM = 8.0
"""The gain: ``ANATOMICAL_EYE_RADIUS_MM * IRIS_RESPONSE_SLOPE`` (8.1), rounded."""
EYE_MIN_PX = 2.0
EYE_FULL_WEIGHT_PX = 4.0
EYES_TRUSTED_VIEW_DEG = 25.0
EYES_IGNORED_VIEW_DEG = 45.0
MAX_EYE_ROTATION_DEG = 35.0
"""Eyes rarely turn further in the head; people turn the head instead."""


def eye_gaze(
    iris_ray: np.ndarray, eye_center_m: np.ndarray, radius_m: float, head_forward: np.ndarray
) -> np.ndarray:
    """Gaze of one eye, camera frame.

    Args:
        iris_ray: unit ray from the camera through the iris centre pixel.
        eye_center_m: the eyeball's centre of rotation in the camera frame.
        radius_m: centre of rotation to iris centre.
        head_forward: the head's forward unit vector (the neutral gaze).

    The ray's near intersection with the sphere is the iris; a ray that misses
    (landmark noise) takes the sphere point closest to it. The eye's rotation
    from ``head_forward`` is clamped to :data:`MAX_EYE_ROTATION_DEG`.
    """
    d = iris_ray / math.sqrt(float(iris_ray @ iris_ray))
    along = float(d @ eye_center_m)
    closest = d * along
    offset = closest - eye_center_m
    miss2 = float(offset @ offset)
    if miss2 < radius_m * radius_m:
        g = d * (along - math.sqrt(radius_m * radius_m - miss2)) - eye_center_m
    else:
        g = offset
    g = g / math.sqrt(float(g @ g))
    return _clamp_cone(g, head_forward, MAX_EYE_ROTATION_DEG)


def _clamp_cone(v: np.ndarray, axis: np.ndarray, max_deg: float) -> np.ndarray:
    cos_a = min(max(float(v @ axis), -1.0), 1.0)
    limit = math.radians(max_deg)
    if cos_a >= math.cos(limit):
        return v
    side = v - cos_a * axis
    n = math.sqrt(float(side @ side))
    if n < 1e-12:
        return axis.copy()
    return math.cos(limit) * axis + math.sin(limit) * side / n


def eye_weight(eyeball_radius_px: float) -> float:
    """How much an eye's own rotation is trusted, from its size in the image."""
    span = EYE_FULL_WEIGHT_PX - EYE_MIN_PX
    return min(max((eyeball_radius_px - EYE_MIN_PX) / span, 0.0), 1.0)


def view_weight(view_angle_deg: float) -> float:
    """How much the eyes are trusted when the face is ``view_angle_deg`` off the camera."""
    span = EYES_IGNORED_VIEW_DEG - EYES_TRUSTED_VIEW_DEG
    return min(max((EYES_IGNORED_VIEW_DEG - view_angle_deg) / span, 0.0), 1.0)


def far_eye_weight(yaw_deg: float) -> float:
    """Weight of the eye on the far side of a head turned by ``yaw_deg``."""
    return min(max(1.0 - (abs(yaw_deg) - 25.0) / 30.0, 0.0), 1.0)


def combine_gaze(
    rotation: np.ndarray,
    yaw_deg: float,
    eye_gazes: tuple[np.ndarray, np.ndarray],
    eyeball_radius_px: float,
    view_angle_deg: float = 0.0,
) -> np.ndarray:
    """The face's gaze: both eyes averaged, blended with the head's forward direction.

    ``eye_gazes`` is (right eye, left eye). With yaw > 0 the subject's left eye
    is the far one. ``view_angle_deg`` is the angle between the head's forward
    direction and the direction from the head to the camera.
    """
    forward = rotation @ FORWARD_HEAD
    w_right = far_eye_weight(yaw_deg) if yaw_deg < 0 else 1.0
    w_left = far_eye_weight(yaw_deg) if yaw_deg > 0 else 1.0
    eyes = w_right * eye_gazes[0] + w_left * eye_gazes[1]
    n = math.sqrt(float(eyes @ eyes))
    if n < 1e-9:
        return forward
    w = eye_weight(eyeball_radius_px) * view_weight(view_angle_deg)
    g = w * eyes / n + (1.0 - w) * forward
    return g / math.sqrt(float(g @ g))

"""Pure geometry for the engine: rays, angles and polygons.

Two flavours of each operation:

* vectorised numpy functions (``angle_to_point_deg``, ``points_in_polygon``) for
  tests, tools and batches;
* scalar fast paths (``cos_angle_to_point``, :class:`ZonePolygon`) the engine calls
  per frame, written with plain floats because numpy's per-call overhead
  (about a microsecond) dominates on 3-vectors.

The eye-contact cone built on these angles is in :mod:`frontdesk.engine.contact`.

Conventions: 3D points and directions are in OpenCV's camera frame (x right,
y down, z forward, metres). Polygons are in normalised image coordinates
(0 to 1, x right, y down). A point exactly on a polygon edge may fall either
side (ray casting is half-open); zones should not be drawn to the pixel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = [
    "unit",
    "angle_between_deg",
    "angle_to_point_deg",
    "cos_angle_to_point",
    "point_in_polygon",
    "points_in_polygon",
    "ZonePolygon",
    "blend_unit",
    "person_box_norm",
]

_EPS = 1e-12


def unit(v: np.ndarray) -> np.ndarray:
    """``v`` scaled to length 1 along its last axis; zero vectors stay zero."""
    v = np.asarray(v, dtype=np.float64)
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, n, out=np.zeros_like(v), where=n > _EPS)


def angle_between_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray | float:
    """Angle in degrees between direction vectors ``a`` and ``b`` (broadcasts).

    Uses atan2 of the cross and dot products, which stays accurate near 0 and
    180 degrees where acos loses precision. A zero vector gives 180 degrees
    (never "inside a cone").
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    dot = np.sum(a * b, axis=-1)
    degenerate = (np.linalg.norm(a, axis=-1) < _EPS) | (np.linalg.norm(b, axis=-1) < _EPS)
    angle = np.degrees(np.arctan2(cross, dot))
    angle = np.where(degenerate, 180.0, angle)
    return float(angle) if np.ndim(angle) == 0 else angle


def angle_to_point_deg(
    origin: np.ndarray, direction: np.ndarray, point: np.ndarray
) -> np.ndarray | float:
    """Angle in degrees between the ray (``origin``, ``direction``) and ``point - origin``.

    This is the eye-contact angle: with ``origin`` the observer's head, ``direction``
    their gaze and ``point`` the other person's head, 0 means looking straight at them.
    """
    offset = np.asarray(point, dtype=np.float64) - np.asarray(origin, dtype=np.float64)
    return angle_between_deg(direction, offset)


def cos_angle_to_point(
    origin: Sequence[float], direction: Sequence[float], point: Sequence[float]
) -> float:
    """Cosine of the eye-contact angle, scalar fast path (no numpy).

    Compare with ``cos(radians(cone))``: a larger cosine is a smaller angle.
    ``direction`` need not be unit length. Degenerate input gives -1 (no contact).
    """
    dx = point[0] - origin[0]
    dy = point[1] - origin[1]
    dz = point[2] - origin[2]
    gx, gy, gz = direction[0], direction[1], direction[2]
    norm = math.sqrt((dx * dx + dy * dy + dz * dz) * (gx * gx + gy * gy + gz * gz))
    if norm < _EPS:
        return -1.0
    return (dx * gx + dy * gy + dz * gz) / norm


def blend_unit(
    previous: tuple[float, float, float], current: Sequence[float], keep: float
) -> tuple[float, float, float]:
    """Smooth a direction: ``keep * previous + (1 - keep) * current``, renormalised.

    ``keep`` is in [0, 1): 0 returns ``current`` (normalised). If the blend cancels
    out (opposite directions), ``current`` wins.
    """
    w = 1.0 - keep
    x = keep * previous[0] + w * current[0]
    y = keep * previous[1] + w * current[1]
    z = keep * previous[2] + w * current[2]
    n = math.sqrt(x * x + y * y + z * z)
    if n < 1e-6:
        x, y, z = float(current[0]), float(current[1]), float(current[2])
        n = math.sqrt(x * x + y * y + z * z) or 1.0
    return (x / n, y / n, z / n)


def point_in_polygon(x: float, y: float, polygon: Sequence[Sequence[float]]) -> bool:
    """Ray casting (even-odd rule) for one point; scalar fast path."""
    inside = False
    n = len(polygon)
    xj, yj = polygon[n - 1][0], polygon[n - 1][1]
    for i in range(n):
        xi, yi = polygon[i][0], polygon[i][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        xj, yj = xi, yi
    return inside


def points_in_polygon(points: np.ndarray, polygon: Sequence[Sequence[float]]) -> np.ndarray:
    """Vectorised ray casting: boolean mask for (N, 2) ``points`` inside ``polygon``."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    poly = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    x, y = pts[:, 0:1], pts[:, 1:2]
    xi, yi = poly[:, 0], poly[:, 1]
    xj, yj = np.roll(xi, 1), np.roll(yi, 1)
    straddles = (yi > y) != (yj > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = (xj - xi) * (y - yi) / (yj - yi) + xi
    crossings = straddles & (x < x_cross)
    return (np.count_nonzero(crossings, axis=1) % 2) == 1


class ZonePolygon:
    """A polygon in normalised image coordinates with a bounding-box pre-check.

    ``contains`` is the engine's per-frame zone test: a box rejection, then ray casting.
    """

    __slots__ = ("points", "x_min", "x_max", "y_min", "y_max")

    def __init__(self, points: Sequence[Sequence[float]]):
        if len(points) < 3:
            raise ValueError(f"a polygon needs at least 3 points, got {len(points)}")
        self.points: tuple[tuple[float, float], ...] = tuple(
            (float(p[0]), float(p[1])) for p in points
        )
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        self.x_min, self.x_max = min(xs), max(xs)
        self.y_min, self.y_max = min(ys), max(ys)

    def contains(self, x: float, y: float) -> bool:
        if x < self.x_min or x > self.x_max or y < self.y_min or y > self.y_max:
            return False
        return point_in_polygon(x, y, self.points)

    def __repr__(self) -> str:
        return f"ZonePolygon({list(self.points)})"


PERSON_HALF_WIDTH_FACES = 1.3
"""Half a person's width (shoulders) in face widths."""
PERSON_ABOVE_FACES = 0.8
"""From the face's centre to the top of the head, in face widths."""
PERSON_BELOW_FACES = 6.0
"""From the face's centre down to the hips, in face widths."""


def person_box_norm(cx: float, cy: float, face_width_norm: float, aspect: float,
                    below_faces: float = PERSON_BELOW_FACES
                    ) -> tuple[float, float, float, float]:
    """The image box a person standing upright occupies, from their face.

    Args:
        cx, cy: the face centre, normalised (x by the frame width, y by its height).
        face_width_norm: the face's width as a fraction of the frame width.
        aspect: frame height / width.
        below_faces: how far down the box reaches, in face widths (the upper body
            only with a small value).

    Returns:
        ``(x0, y0, x1, y1)`` normalised like ``cx, cy`` (not clipped to the frame).
    """
    w = max(face_width_norm, 0.0)
    h_per_w = w / aspect if aspect > 0 else w  # a face width in units of the frame height
    return (cx - PERSON_HALF_WIDTH_FACES * w, cy - PERSON_ABOVE_FACES * h_per_w,
            cx + PERSON_HALF_WIDTH_FACES * w, cy + below_faces * h_per_w)

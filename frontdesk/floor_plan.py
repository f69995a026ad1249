"""Zones on a top-down floor plan: a counter's zones in metres, to and from each view.

A zone is stored as it always was: a polygon in normalised image coordinates (0
to 1) in which the engine tests where a head's face is seen. With the camera's
pose (``camera.pose``, :class:`~frontdesk.world.WorldPose`) a zone has a place
on the floor: the area where a head ``height_m`` above the floor (default the
middle of ``perception.head_height_m``, 1.7 m) is seen inside the polygon.

* :func:`plan_to_image`: a floor polygon (x, y metres, the counter's floor frame)
  lifted to head height, cut where it passes behind the camera, projected through
  :meth:`WorldPose.project` and cut to the frame: the image zone of that camera.
* :func:`image_to_plan`: an image zone back to the floor, each corner's ray met
  at head height (:meth:`WorldPose.point_at_height`); the part of the polygon
  above the horizon (rays that never come down to head height within
  :data:`MAX_RANGE_M`) is cut off first.

A floor polygon and its image zone are the same area at that one height (a
plane seen through a pinhole is a homography, so straight edges stay straight
for an ideal lens): back and forth gives the corners again. Heads taller or
shorter than ``height_m`` are seen a little off it, as in the view; the image
zone is what the engine uses, so nothing changes for it. A lens with distortion
moves the corners exactly; the edges between them bend slightly.

:func:`layout_from_zones` reads a counter's layout for the placement planner
(:mod:`frontdesk.planner`) from its zones on the floor.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.planner import CounterLayout
from frontdesk.world import WorldPose

__all__ = ["DEFAULT_HEAD_HEIGHT_M", "MAX_RANGE_M", "plan_to_image", "image_to_plan",
           "centroid", "layout_from_zones"]

DEFAULT_HEAD_HEIGHT_M = 1.7
MAX_RANGE_M = 15.0
"""Image points whose ray meets head height farther than this (in plan) are cut off."""
_NEAR_M = 0.05

Point = tuple[float, float]


def _clip(poly: list[np.ndarray], inside: np.ndarray, value: np.ndarray) -> list[np.ndarray]:
    """Sutherland-Hodgman against one half-space: keep points with ``inside @ p >= value``
    (``p`` homogeneous as given)."""
    out: list[np.ndarray] = []
    n = len(poly)
    for i in range(n):
        a, b = poly[i - 1], poly[i]
        fa, fb = float(inside @ a) - float(value), float(inside @ b) - float(value)
        if fb >= 0:
            if fa < 0:
                out.append(a + (b - a) * (fa / (fa - fb)))
            out.append(b)
        elif fa >= 0:
            out.append(a + (b - a) * (fa / (fa - fb)))
    return out


def _area(poly: Sequence[Sequence[float]]) -> float:
    s = 0.0
    for i in range(len(poly)):
        x0, y0 = poly[i - 1][0], poly[i - 1][1]
        x1, y1 = poly[i][0], poly[i][1]
        s += x0 * y1 - x1 * y0
    return abs(s) / 2.0


def _tidy(points: Sequence[Sequence[float]], digits: int, min_area: float) -> list[Point] | None:
    out: list[Point] = []
    for p in points:
        q = (round(float(p[0]), digits), round(float(p[1]), digits))
        if not out or q != out[-1]:
            out.append(q)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    if len(out) < 3 or _area(out) < min_area:
        return None
    return out


def _image_polygon(polygon_m: Sequence[Sequence[float]], pose: WorldPose,
                   intrinsics: Intrinsics, height_m: float) -> list[np.ndarray]:
    world = np.array([[float(p[0]), float(p[1]), height_m] for p in polygon_m])
    cam = [np.append(p, 1.0) for p in pose.to_camera(world)]
    cam = _clip(cam, np.array([0.0, 0.0, 1.0, 0.0]), np.array(_NEAR_M))
    if len(cam) < 3:
        return []
    back = pose.to_world(np.array([p[:3] for p in cam]))
    px = pose.project(back, intrinsics)
    norm = [np.array([u / intrinsics.width, v / intrinsics.height, 1.0]) for u, v in px]
    for axis in (0, 1):  # 0 <= coordinate <= 1
        lo = np.zeros(3)
        lo[axis] = 1.0
        norm = _clip(norm, lo, np.array(0.0))
        hi = np.zeros(3)
        hi[axis] = -1.0
        hi[2] = 1.0
        norm = _clip(norm, hi, np.array(0.0))
        if len(norm) < 3:
            return []
    return norm


def plan_to_image(polygon_m: Sequence[Sequence[float]], pose: WorldPose, intrinsics: Intrinsics,
                  heights_m: Sequence[float] = (DEFAULT_HEAD_HEIGHT_M,)) -> list[Point] | None:
    """The image zone (normalised, cut to the frame) of a floor polygon, or None when
    the camera sees none of it.

    With one height, the polygon at that height, corner for corner. With several
    (a band such as ``perception.head_height_m``), the convex hull of the polygon
    seen at each: the zone a head of any of those heights standing in the area is
    seen in (as the simulator draws its zones).
    """
    parts = [p for h in heights_m for p in _image_polygon(polygon_m, pose, intrinsics, h)]
    if len(heights_m) > 1 and len(parts) >= 3:
        import cv2

        hull = cv2.convexHull(np.array([p[:2] for p in parts], dtype=np.float32))
        parts = [np.array([float(q[0][0]), float(q[0][1]), 1.0]) for q in hull]
    if len(parts) < 3:
        return None
    pts = [(min(1.0, max(0.0, float(p[0]))), min(1.0, max(0.0, float(p[1])))) for p in parts]
    return _tidy(pts, 4, 1e-5)


def image_to_plan(polygon_norm: Sequence[Sequence[float]], pose: WorldPose,
                  intrinsics: Intrinsics, height_m: float = DEFAULT_HEAD_HEIGHT_M
                  ) -> list[Point] | None:
    """The floor polygon (metres) of an image zone at head height, or None when none of
    it comes down to that height (a zone drawn above the horizon)."""
    drop = float(pose.position_m[2]) - height_m
    if drop <= 0:
        return None  # a camera at or below head height sees no head-height floor area
    # Each corner as an undistorted ray (x, y, 1) in the camera frame; keep the part
    # whose ray descends at least drop / MAX_RANGE_M per unit of its length.
    rays = []
    for u, v in polygon_norm:
        r = intrinsics.pixel_ray(float(u) * intrinsics.width, float(v) * intrinsics.height)
        rays.append(r / r[2])
    down = -pose.rotation[:, 2]  # world z of camera axes, negated: descent per unit
    lens = 1.5  # a ray (x, y, 1) within a 110-degree view is at most this long
    kept = _clip(rays, down, np.array(lens * drop / MAX_RANGE_M))
    if len(kept) < 3:
        return None
    out = []
    for r in kept:
        world_dir = pose.directions_to_world(r)[0]
        s = -drop / world_dir[2]
        p = pose.position_m + s * world_dir
        out.append((float(p[0]), float(p[1])))
    return _tidy(out, 3, 1e-4)


def centroid(polygon: Sequence[Sequence[float]]) -> Point:
    """The area centroid of a simple polygon (the corners' mean when it has no area)."""
    a = cx = cy = 0.0
    n = len(polygon)
    for i in range(n):
        x0, y0 = float(polygon[i - 1][0]), float(polygon[i - 1][1])
        x1, y1 = float(polygon[i][0]), float(polygon[i][1])
        c = x0 * y1 - x1 * y0
        a += c
        cx += (x0 + x1) * c
        cy += (y0 + y1) * c
    if abs(a) < 1e-12:
        return (sum(float(p[0]) for p in polygon) / n, sum(float(p[1]) for p in polygon) / n)
    return (cx / (3 * a), cy / (3 * a))


def layout_from_zones(staff_m: Sequence[Sequence[float]], service_m: Sequence[Sequence[float]],
                      approach_m: Sequence[Sequence[float]] | None = None,
                      distances_m: Sequence[float] = (0.8, 1.5, 2.5)) -> CounterLayout:
    """The planner's :class:`~frontdesk.planner.CounterLayout` from a counter's zones on
    the floor: staff at the staff zone's centroid, the customer at the service zone's,
    the walkway through the approach zone's centroid (else 0.25 m beyond the service
    spot), customers coming from the approach zone's side (else from -x)."""
    staff = centroid(staff_m)
    service = centroid(service_m)
    walkway_y = service[1] + (0.25 if service[1] >= staff[1] else -0.25)
    side = -1.0
    if approach_m:
        a = centroid(approach_m)
        walkway_y = a[1]
        side = 1.0 if a[0] > service[0] else -1.0
    xs = [float(p[0]) for p in list(staff_m) + list(service_m)]
    mid_y = (staff[1] + service[1]) / 2
    return CounterLayout(staff_m=(staff,), service_m=service, walkway_y_m=walkway_y,
                         approach_from=side, distances_m=tuple(distances_m),
                         counter_m=((min(xs), mid_y), (max(xs), mid_y)))

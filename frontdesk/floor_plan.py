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
from typing import Any

import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.planner import CounterLayout
from frontdesk.world import WorldPose

__all__ = ["DEFAULT_HEAD_HEIGHT_M", "MAX_RANGE_M", "plan_to_image", "image_to_plan",
           "floor_area", "centroid", "zone_spot", "layout_from_spots",
           "layout_from_zones"]

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
    it reaches that height (a zone drawn above the horizon, for heads below the lens)."""
    drop = float(pose.position_m[2]) - height_m
    if abs(drop) < 1e-6:
        return None  # the plane through the lens: seen edge-on
    # Each corner as an undistorted ray (x, y, 1) in the camera frame; keep the part
    # whose ray heads toward that height (down below the lens, up above it) at least
    # |drop| / MAX_RANGE_M per unit of its length.
    rays = []
    for u, v in polygon_norm:
        r = intrinsics.pixel_ray(float(u) * intrinsics.width, float(v) * intrinsics.height)
        rays.append(r / r[2])
    toward = -pose.rotation[:, 2] if drop > 0 else pose.rotation[:, 2]
    lens = 1.5  # a ray (x, y, 1) within a 110-degree view is at most this long
    kept = _clip(rays, toward, np.array(lens * abs(drop) / MAX_RANGE_M))
    if len(kept) < 3:
        return None
    out = []
    for r in kept:
        world_dir = pose.directions_to_world(r)[0]
        s = -drop / world_dir[2]
        p = pose.position_m + s * world_dir
        out.append((float(p[0]), float(p[1])))
    return _tidy(out, 3, 1e-4)


def _convex_hull(points: Sequence[Sequence[float]]) -> list[np.ndarray]:
    import cv2

    hull = cv2.convexHull(np.array([[p[0], p[1]] for p in points], dtype=np.float32))
    return [np.array([float(q[0][0]), float(q[0][1])]) for q in hull]


def _intersect_convex(subject: Sequence[Sequence[float]], clip: Sequence[Sequence[float]]
                      ) -> list[Point] | None:
    """``subject`` cut to the convex polygon ``clip`` (Sutherland-Hodgman)."""
    hull = _convex_hull(clip)
    if len(hull) < 3:
        return None
    if _signed_area(hull) < 0:
        hull = hull[::-1]
    poly = [np.array([float(p[0]), float(p[1]), 1.0]) for p in subject]
    for i in range(len(hull)):
        a, b = hull[i - 1], hull[i]
        # inside: left of a->b (counter-clockwise hull): cross(b - a, p - a) >= 0
        inside = np.array([-(b[1] - a[1]), b[0] - a[0], 0.0])
        value = np.array(inside[0] * a[0] + inside[1] * a[1])
        poly = _clip(poly, inside, value)
        if len(poly) < 3:
            return None
    return _tidy([(p[0], p[1]) for p in poly], 3, 1e-4)


def _signed_area(poly: Sequence[Any]) -> float:
    s = 0.0
    for i in range(len(poly)):
        s += float(poly[i - 1][0]) * float(poly[i][1]) - float(poly[i][0]) * float(poly[i - 1][1])
    return s / 2.0


def floor_area(polygon_norm: Sequence[Sequence[float]], pose: WorldPose, intrinsics: Intrinsics,
               heights_m: tuple[float, float]) -> list[Point] | None:
    """Where on the floor a head of every height in ``heights_m`` is seen inside an image
    zone: the zone met at the lowest and at the highest head, intersected (the inverse
    of :func:`plan_to_image` over that band, up to the hull it takes), when that
    holds the zone's spot (:func:`zone_spot`); else (a zone drawn tighter than the
    band spans in the image, whose heads of every height meet only far away) the
    zone at the middle height. None when the camera places no head in it."""
    lo, hi = heights_m
    parts = [p for p in (image_to_plan(polygon_norm, pose, intrinsics, h) for h in (lo, hi))
             if p is not None]
    mid = image_to_plan(polygon_norm, pose, intrinsics, (lo + hi) / 2)
    spot = zone_spot(polygon_norm, pose, intrinsics, (lo + hi) / 2)
    if len(parts) == 2 and spot is not None:
        from frontdesk.geometry import point_in_polygon

        both = _intersect_convex(parts[0], parts[1])
        if both is not None and point_in_polygon(spot[0], spot[1], both):
            return both
    return mid if mid is not None else (parts[0] if parts else None)


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


def zone_spot(polygon_norm: Sequence[Sequence[float]], pose: WorldPose, intrinsics: Intrinsics,
              height_m: float = DEFAULT_HEAD_HEIGHT_M) -> Point | None:
    """Where a head ``height_m`` up stands when seen at the middle (centroid) of an image
    zone: the zone's spot in plan, for the planner's layout."""
    u, v = centroid(polygon_norm)
    p = pose.point_at_height(u * intrinsics.width, v * intrinsics.height, intrinsics, height_m)
    if p is None or max(abs(float(p[0])), abs(float(p[1]))) > MAX_RANGE_M:
        return None
    return (round(float(p[0]), 3), round(float(p[1]), 3))


def layout_from_spots(staff: Point, service: Point, approach: Point | None = None,
                      distances_m: Sequence[float] = (0.8, 1.5, 2.5)) -> CounterLayout:
    """The planner's :class:`~frontdesk.planner.CounterLayout` from where the staff stand,
    where the customer stands at the counter and a point of the walkway (else 0.25 m
    beyond the service spot; customers come from the walkway point's side, else from
    -x)."""
    walkway_y = service[1] + (0.25 if service[1] >= staff[1] else -0.25)
    side = -1.0
    if approach is not None:
        walkway_y = approach[1]
        side = 1.0 if approach[0] > service[0] else -1.0
    mid_y = (staff[1] + service[1]) / 2
    xs = (staff[0], service[0])
    return CounterLayout(staff_m=(staff,), service_m=service, walkway_y_m=walkway_y,
                         approach_from=side, distances_m=tuple(distances_m),
                         counter_m=((min(xs) - 1.0, mid_y), (max(xs) + 0.5, mid_y)))


def layout_from_zones(staff_m: Sequence[Sequence[float]], service_m: Sequence[Sequence[float]],
                      approach_m: Sequence[Sequence[float]] | None = None,
                      distances_m: Sequence[float] = (0.8, 1.5, 2.5)) -> CounterLayout:
    """:func:`layout_from_spots` with the centroids of zones drawn on the floor."""
    return layout_from_spots(centroid(staff_m), centroid(service_m),
                             centroid(approach_m) if approach_m else None, distances_m)

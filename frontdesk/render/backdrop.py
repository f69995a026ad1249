"""The room behind the people: floor, walls, counter, till and shelves, drawn by ray casting.

Drawn once per clip (every pixel's ray from the layout's camera meets the
nearest plane or box of a small room built around the layout: world frame of
:mod:`frontdesk.sim.world`), with simple patterns (floor tiles, wall panels)
and shading so the picture has the texture of a real room and a face
detector has edges to ignore. Nothing here comes from a photograph.

The counter and the till also give a depth map: the composer hides the parts
of a person that stand behind them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from frontdesk.sim.layout import CounterLayout

__all__ = ["Backdrop", "Box", "draw_backdrop", "room_boxes"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Box:
    """An axis-aligned box (world frame, metres) with a colour (BGR) and a name."""

    name: str
    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    colour: tuple[int, int, int]
    occludes: bool = False
    """Hides people behind it (the counter); others are only background."""


@dataclass
class Backdrop:
    """The drawn room and, per pixel, the camera-frame depth of anything that hides people.

    Attributes:
        image: BGR, the frame size.
        occluder_depth_m: depth (camera z) of the counter or till at each pixel; inf elsewhere.
    """

    image: np.ndarray
    occluder_depth_m: np.ndarray


def room_boxes(layout: CounterLayout) -> list[Box]:
    """The furniture of the default counter, placed from the layout's spots."""
    sx, sy = layout.staff_spots[0]
    wx, wy, wz = layout.work_point
    counter_top = wz
    return [
        Box("counter", (layout.entry_x + 5.4, -0.32, 0.0), (wx + 0.15, 0.3, counter_top),
            (70, 95, 125), occludes=True),
        Box("counter-top", (layout.entry_x + 5.35, -0.35, counter_top),
            (wx + 0.18, 0.33, counter_top + 0.04), (165, 175, 180), occludes=True),
        Box("till", (wx - 0.12, wy - 0.05, counter_top + 0.04), (wx + 0.08, wy + 0.15,
                                                                counter_top + 0.22),
            (50, 50, 55), occludes=True),
        Box("shelf", (sx - 3.2, sy - 1.55, 0.0), (sx - 0.6, sy - 1.2, 2.0), (60, 110, 150)),
        Box("shelf-goods-1", (sx - 3.1, sy - 1.22, 1.2), (sx - 2.2, sy - 1.15, 1.45),
            (40, 60, 160)),
        Box("shelf-goods-2", (sx - 2.0, sy - 1.22, 0.7), (sx - 1.0, sy - 1.15, 0.95),
            (150, 120, 40)),
        Box("stand", (-6.5, 2.2, 0.0), (-5.8, 2.6, 1.3), (90, 140, 90)),
    ]


def _ray_box(origin: np.ndarray, d: np.ndarray, box: Box) -> tuple[np.ndarray, np.ndarray]:
    """Distance along each ray to the box (inf if missed) and the face hit (0..5)."""
    lo, hi = np.asarray(box.lo), np.asarray(box.hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / d
        t1 = (lo - origin) * inv
        t2 = (hi - origin) * inv
    tmin = np.minimum(t1, t2)
    tmax = np.maximum(t1, t2)
    t_near = np.nanmax(tmin, axis=1)
    t_far = np.nanmin(tmax, axis=1)
    hit = (t_near <= t_far) & (t_far > 0) & (t_near > 0)
    axis = np.nanargmax(tmin, axis=1)
    sign = np.take_along_axis(d, axis[:, None], axis=1)[:, 0] > 0
    face = axis * 2 + sign.astype(np.int64)
    return np.where(hit, t_near, np.inf), face


def _wall_pattern(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Panels 1.2 m wide with thin seams; a skirting board near the floor."""
    seam = (np.abs(((u + 0.6) % 1.2) - 0.6) < 0.015).astype(np.float64)
    skirting = (v < 0.12).astype(np.float64)
    return 1.0 - 0.25 * seam - 0.3 * skirting


def draw_backdrop(layout: CounterLayout, boxes: list[Box] | None = None,
                  room: tuple[float, float, float, float, float] = (-11.0, 2.0, -2.4, 3.2, 2.9)
                  ) -> Backdrop:
    """Ray-cast the room.

    ``room`` = (back wall x, front wall x, staff-side wall y, far wall y, ceiling z).
    """
    boxes = room_boxes(layout) if boxes is None else boxes
    w, h = layout.image_size
    k = layout.intrinsics
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    rays_c = np.stack([(xs - k.cx) / k.fx, (ys - k.cy) / k.fy, np.ones_like(xs)], axis=-1)
    rays_c = rays_c.reshape(-1, 3)
    rot = layout.camera.rotation  # rows: camera axes in world terms
    d = rays_c @ rot  # world directions (not unit: camera z component is 1)
    o = layout.camera.position_array
    back_x, front_x, wall_y0, wall_y1, ceil_z = room
    n = len(d)
    best_t = np.full(n, np.inf)
    colour = np.zeros((n, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        planes = [
            ("floor", 2, 0.0), ("ceiling", 2, ceil_z), ("back", 0, back_x), ("front", 0, front_x),
            ("left", 1, wall_y0), ("right", 1, wall_y1),
        ]
        for name, axis, value in planes:
            t = (value - o[axis]) / d[:, axis]
            t = np.where(t > 1e-6, t, np.inf)
            closer = t < best_t
            if not closer.any():
                continue
            p = o + d[closer] * t[closer, None]
            if name == "floor":
                tile = ((np.floor(p[:, 0] / 0.6) + np.floor(p[:, 1] / 0.6)) % 2)
                base = np.array([150.0, 160.0, 170.0]) - 18.0 * tile[:, None]
            elif name == "ceiling":
                base = np.broadcast_to(np.array([215.0, 220.0, 222.0]), (len(p), 3))
            else:
                u = p[:, 1] if axis == 0 else p[:, 0]
                tint = {"back": (175.0, 190.0, 200.0), "front": (180.0, 180.0, 185.0),
                        "left": (150.0, 180.0, 195.0), "right": (190.0, 195.0, 180.0)}[name]
                base = np.asarray(tint)[None, :] * _wall_pattern(u, p[:, 2])[:, None]
            best_t[closer] = t[closer]
            colour[closer] = base
        occluder_t = np.full(n, np.inf)
        for box in boxes:
            t, face = _ray_box(o, d, box)
            closer = t < best_t
            if box.occludes:
                occluder_t = np.minimum(occluder_t, t)
            if not closer.any():
                continue
            # Faces: 0/1 x (-/+), 2/3 y, 4/5 z; tops lighter, sides by direction.
            shade = np.array([0.8, 0.95, 0.75, 0.9, 0.6, 1.1])[face[closer]]
            best_t[closer] = t[closer]
            colour[closer] = np.asarray(box.colour, dtype=np.float64)[None, :] * shade[:, None]
    # Light falls off with distance from the camera end of the room.
    dist = np.where(np.isfinite(best_t), best_t * np.linalg.norm(d, axis=1), 20.0)
    colour *= (1.0 - 0.25 * np.clip((dist - 2.0) / 10.0, 0.0, 1.0))[:, None]
    image = np.clip(colour, 0, 255).astype(np.uint8).reshape(h, w, 3)
    # Depth along the optical axis: the ray's camera z is 1 per unit of t.
    occ = occluder_t.reshape(h, w)
    return Backdrop(image=image, occluder_depth_m=occ)

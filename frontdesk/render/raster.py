"""Vectorised drawing of a :class:`~frontdesk.sim.face_render.FaceTexture` and of shaded solids.

:func:`frontdesk.sim.face_render.render_face` warps each of the face's ~900
triangles with its own ``cv2.warpAffine`` call: about 25 ms per face whatever
its size, which is most of the time of a counter clip. :func:`draw_face` draws
the same mesh, with the same conventions, in one pass:

* every visible triangle (counter-clockwise on screen, as in the photo: back
  faces culled) is scanned over its bounding box, all triangles at once, with
  barycentric coordinates;
* a depth buffer keeps, per pixel, the nearest triangle (``render_face`` paints
  far triangles first, which agrees except where two triangles cross);
* each pixel takes the photo's colour at the affine image of its position in
  its triangle (as ``warpAffine`` does), through one ``cv2.remap``;
* the eyes are redrawn as ``render_face`` redraws them: the opening filled with
  the sclera's colour and the iris disc, turned on an eyeball of radius
  :data:`~frontdesk.sim.face_render.EYEBALL_RADIUS_M`, copied from the photo and
  clipped by the eyelids.

``tests/render/test_raster.py`` checks the two renderers agree pixel for pixel
up to the edges. :func:`fill_solid` draws a convex closed surface (an
ellipsoid: heads, bodies) with flat Lambertian shading.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.perception import landmarks as L
from frontdesk.perception.pose import rotation_from_euler
from frontdesk.sim.face_render import EYEBALL_RADIUS_M, FaceTexture

__all__ = [
    "DrawnFace",
    "draw_face",
    "Solid",
    "ellipsoid",
    "fill_solid",
    "shade_ellipsoid",
    "project_points",
]

log = logging.getLogger(__name__)

_EYES = (
    (L.RIGHT_IRIS_CENTER, L.RIGHT_EYE_CONTOUR),
    (L.LEFT_IRIS_CENTER, L.LEFT_EYE_CONTOUR),
)
_MIN_DEPTH_M = 0.05

ColourFn = Callable[[np.ndarray], np.ndarray]

MAX_VIEW_DEG = 100.0
"""Faces turned further than this from the camera are not drawn (the skull hides them)."""


def _sphere_points(n: int = 48) -> np.ndarray:
    """Points spread over the unit sphere: their projection bounds an ellipsoid's silhouette."""
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    r = np.sqrt(1.0 - z * z)
    a = np.pi * (1.0 + 5.0**0.5) * i
    return np.stack([r * np.cos(a), r * np.sin(a), z], axis=1)


_OUTLINE = np.vstack([_sphere_points(96), np.eye(3), -np.eye(3)]) * 1.02


@dataclass(frozen=True)
class DrawnFace:
    """Where a face was drawn.

    Attributes:
        landmarks_px: (478, 2) projected landmarks.
        gaze: unit gaze (camera frame) of head and eyes together.
        bbox: (x0, y0, x1, y1) of the projected landmarks.
        pixels: how many pixels of the face were painted (0 when it faces away).
    """

    landmarks_px: np.ndarray
    gaze: np.ndarray
    bbox: tuple[float, float, float, float]
    pixels: int


def project_points(points_cam: np.ndarray, k: Intrinsics) -> np.ndarray:
    """(N, 3) camera-frame points to (N, 2) pixels (ideal lens)."""
    return k.project(points_cam)


def _candidates(dst: np.ndarray, tri: np.ndarray, width: int, height: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(triangle index, x, y) for every pixel centre in each triangle's bounding box."""
    pts = dst[tri]  # (T, 3, 2)
    x0 = np.clip(np.ceil(pts[:, :, 0].min(axis=1)), 0, width).astype(np.int64)
    x1 = np.clip(np.floor(pts[:, :, 0].max(axis=1)), -1, width - 1).astype(np.int64)
    y0 = np.clip(np.ceil(pts[:, :, 1].min(axis=1)), 0, height).astype(np.int64)
    y1 = np.clip(np.floor(pts[:, :, 1].max(axis=1)), -1, height - 1).astype(np.int64)
    ws = np.maximum(x1 - x0 + 1, 0)
    hs = np.maximum(y1 - y0 + 1, 0)
    n = ws * hs
    total = int(n.sum())
    if total == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    idx = np.repeat(np.arange(len(tri)), n)
    local = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    w_of = ws[idx]
    return idx, x0[idx] + local % w_of, y0[idx] + local // w_of


def _barycentric(dst: np.ndarray, tri: np.ndarray, idx: np.ndarray, x: np.ndarray,
                 y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, b, c = dst[tri[idx, 0]], dst[tri[idx, 1]], dst[tri[idx, 2]]
    e1, e2 = b - a, c - a
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    px, py = x - a[:, 0], y - a[:, 1]
    l1 = (px * e2[:, 1] - py * e2[:, 0]) / det
    l2 = (e1[:, 0] * py - e1[:, 1] * px) / det
    return 1.0 - l1 - l2, l1, l2


def draw_face(canvas: np.ndarray, texture: FaceTexture, rotation: np.ndarray,
              translation_m: np.ndarray, intrinsics: Intrinsics,
              eye_rotation_deg: tuple[float, float] = (0.0, 0.0),
              image: np.ndarray | None = None, max_view_deg: float = MAX_VIEW_DEG) -> DrawnFace:
    """Draw ``texture`` onto ``canvas`` (BGR, in place) at the given head pose.

    Same arguments and conventions as :func:`frontdesk.sim.face_render.render_face`
    (``p_cam = rotation @ p_head + translation_m``); ``image`` replaces the
    texture's photo (a recoloured copy of the same size) when given. A face
    turned more than ``max_view_deg`` from the camera is not drawn: only the rim
    of the mesh would face the camera then, and the skull hides it.
    """
    src = texture.image if image is None else image
    rot = np.asarray(rotation, dtype=np.float64)
    t = np.asarray(translation_m, dtype=np.float64).reshape(3)
    cam = texture.points_head_m @ rot.T + t
    eye_rot = rotation_from_euler(eye_rotation_deg[0], eye_rotation_deg[1], 0.0)
    gaze = rot @ eye_rot @ np.array([0.0, 0.0, -1.0])
    if np.any(cam[:, 2] <= _MIN_DEPTH_M):
        raise ValueError("the face is (partly) behind the camera")
    dst = intrinsics.project(cam)
    forward = rot @ np.array([0.0, 0.0, -1.0])
    to_camera = -t / np.linalg.norm(t)
    if float(forward @ to_camera) < math.cos(math.radians(max_view_deg)):
        x0f, y0f = dst.min(axis=0)
        x1f, y1f = dst.max(axis=0)
        return DrawnFace(dst, gaze, (float(x0f), float(y0f), float(x1f), float(y1f)), 0)
    x0f, y0f = dst.min(axis=0)
    x1f, y1f = dst.max(axis=0)
    bbox = (float(x0f), float(y0f), float(x1f), float(y1f))
    h, w = canvas.shape[:2]
    tri = texture.triangles
    a, b, c = dst[tri[:, 0]], dst[tri[:, 1]], dst[tri[:, 2]]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    tri = tri[area > 1e-9]
    idx, x, y = _candidates(dst, tri, w, h)
    if len(idx) == 0:
        return DrawnFace(dst, gaze, bbox, 0)
    l0, l1, l2 = _barycentric(dst, tri, idx, x.astype(np.float64), y.astype(np.float64))
    inside = (l0 >= -1e-9) & (l1 >= -1e-9) & (l2 >= -1e-9)
    idx, x, y, l0, l1, l2 = idx[inside], x[inside], y[inside], l0[inside], l1[inside], l2[inside]
    if len(idx) == 0:
        return DrawnFace(dst, gaze, bbox, 0)
    z = cam[:, 2]
    depth = l0 * z[tri[idx, 0]] + l1 * z[tri[idx, 1]] + l2 * z[tri[idx, 2]]
    pix = y * w + x
    order = np.lexsort((depth, pix))
    pix_sorted = pix[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = pix_sorted[1:] != pix_sorted[:-1]
    keep = order[first]
    idx, x, y, l0, l1, l2 = idx[keep], x[keep], y[keep], l0[keep], l1[keep], l2[keep]
    uv = texture.uv_px
    u = l0 * uv[tri[idx, 0], 0] + l1 * uv[tri[idx, 1], 0] + l2 * uv[tri[idx, 2], 0]
    v = l0 * uv[tri[idx, 0], 1] + l1 * uv[tri[idx, 1], 1] + l2 * uv[tri[idx, 2], 1]
    _paint(canvas, src, x, y, u, v)
    for eye, (center, contour) in enumerate(_EYES):
        _draw_eye(canvas, texture, src, eye, center, contour, eye_rot, rot, t, dst, intrinsics)
    return DrawnFace(dst, gaze, bbox, int(len(idx)))


def _paint(canvas: np.ndarray, src: np.ndarray, x: np.ndarray, y: np.ndarray, u: np.ndarray,
           v: np.ndarray) -> None:
    """canvas[y, x] = src sampled (bilinear, reflected borders) at (u, v)."""
    if len(x) == 0:
        return
    colours = cv2.remap(src, u.astype(np.float32).reshape(1, -1),
                        v.astype(np.float32).reshape(1, -1), cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REFLECT)
    canvas[y, x] = colours.reshape(-1, 3)


def _draw_eye(canvas: np.ndarray, tex: FaceTexture, src: np.ndarray, eye: int, center: int,
              contour: tuple[int, ...], eye_rot: np.ndarray, rot: np.ndarray, t: np.ndarray,
              dst: np.ndarray, intrinsics: Intrinsics) -> None:
    """The eye opening in sclera colour and the turned iris disc, as ``render_face`` draws it."""
    opening = np.round(dst[list(contour)]).astype(np.int32)
    # The opening must face the camera: a back-facing eye is hidden by the head.
    signed = 0.5 * float(np.sum(opening[:, 0] * np.roll(opening[:, 1], -1)
                                - np.roll(opening[:, 0], -1) * opening[:, 1]))
    src_open = tex.uv_px[list(contour)]
    src_signed = 0.5 * float(np.sum(src_open[:, 0] * np.roll(src_open[:, 1], -1)
                                    - np.roll(src_open[:, 0], -1) * src_open[:, 1]))
    if signed * src_signed <= 0:
        return
    h, w = canvas.shape[:2]
    x0, y0 = opening.min(axis=0) - 1
    x1, y1 = opening.max(axis=0) + 2
    x0, y0, x1, y1 = max(int(x0), 0), max(int(y0), 0), min(int(x1), w), min(int(y1), h)
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(mask, [opening - np.array([x0, y0], np.int32)], (1,))
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return
    rho = tex.iris_radius_m
    iris = tex.points_head_m[center]
    pivot = iris + np.array([0.0, 0.0, EYEBALL_RADIUS_M])
    src_disc = np.stack([iris, iris + [rho, 0.0, 0.0], iris + [0.0, rho, 0.0]])
    moved = pivot + (src_disc - pivot) @ eye_rot.T
    src_px = tex.source_intrinsics.project(src_disc @ tex.source_rotation.T
                                           + tex.source_translation_m)
    dst_px = intrinsics.project(moved @ rot.T + t)
    # Affine map from the canvas to the photo: p_src = A @ (p_dst - d0) + s0.
    d = np.stack([dst_px[1] - dst_px[0], dst_px[2] - dst_px[0]], axis=1)
    s = np.stack([src_px[1] - src_px[0], src_px[2] - src_px[0]], axis=1)
    det = float(d[0, 0] * d[1, 1] - d[0, 1] * d[1, 0])
    if abs(det) < 1e-9:
        return
    d_inv = np.array([[d[1, 1], -d[0, 1]], [-d[1, 0], d[0, 0]]]) / det
    px = np.stack([xs + x0 - dst_px[0, 0], ys + y0 - dst_px[0, 1]])
    ab = d_inv @ px  # disc coordinates: inside when a^2 + b^2 <= 1
    in_disc = (ab**2).sum(axis=0) <= 1.0
    cx, cy = xs + x0, ys + y0
    canvas[cy, cx] = np.round(tex.sclera_bgr[eye]).astype(np.uint8)
    if in_disc.any():
        q = s @ ab[:, in_disc] + src_px[0][:, None]
        _paint(canvas, src, cx[in_disc], cy[in_disc], q[0], q[1])


# --------------------------------------------------------------------------- solids


@dataclass(frozen=True)
class Solid:
    """A closed convex surface as quads: (V, 3) vertices and (Q, 4) vertex ids.

    Quads are ordered so that their corners run counter-clockwise seen from outside.
    """

    vertices: np.ndarray
    quads: np.ndarray


def ellipsoid(n_around: int = 16, n_up: int = 10) -> Solid:
    """A unit sphere as quads (poles as degenerate quads), to scale into an ellipsoid."""
    lat = np.linspace(-math.pi / 2, math.pi / 2, n_up + 1)
    lon = np.linspace(0.0, 2 * math.pi, n_around, endpoint=False)
    verts = np.array([[math.cos(a) * math.cos(o), math.cos(a) * math.sin(o), math.sin(a)]
                      for a in lat for o in lon])
    quads = []
    for i in range(n_up):
        for j in range(n_around):
            j2 = (j + 1) % n_around
            quads.append([i * n_around + j, i * n_around + j2, (i + 1) * n_around + j2,
                          (i + 1) * n_around + j])
    return Solid(verts, np.array(quads, dtype=np.int64))


def fill_solid(canvas: np.ndarray, points_cam: np.ndarray, solid: Solid,
               colours_bgr: np.ndarray, light_cam: np.ndarray, intrinsics: Intrinsics,
               ambient: float = 0.45, levels: int = 10) -> None:
    """Fill the camera-facing quads of a convex solid with flat Lambertian shading.

    ``points_cam`` are the solid's vertices in the camera frame; ``colours_bgr``
    is one colour per quad (Q, 3). Faces of a convex solid that face the camera
    never overlap, so no depth order is needed. Shades are rounded to
    ``levels`` steps so each colour is drawn with few ``fillPoly`` calls.
    """
    if np.any(points_cam[:, 2] <= _MIN_DEPTH_M):
        return
    q = solid.quads
    p = points_cam[q]  # (Q, 4, 3)
    normal = np.cross(p[:, 2] - p[:, 0], p[:, 3] - p[:, 1])
    centre = p.mean(axis=1)
    n_len = np.linalg.norm(normal, axis=1)
    ok = n_len > 1e-12
    normal[ok] /= n_len[ok, None]
    facing = ok & (np.sum(normal * centre, axis=1) < 0.0)
    if not facing.any():
        return
    px = intrinsics.project(points_cam)
    light = np.asarray(light_cam, dtype=np.float64)
    light = light / np.linalg.norm(light)
    diffuse = np.clip(normal @ -light, 0.0, 1.0)
    shade = np.round((ambient + (1.0 - ambient) * diffuse) * levels) / levels
    colours = np.clip(np.asarray(colours_bgr, dtype=np.float64) * shade[:, None], 0, 255)
    colours = np.round(colours).astype(np.int64)
    keys = colours[:, 0] * 65536 + colours[:, 1] * 256 + colours[:, 2]
    poly = np.round(px[q] * 4).astype(np.int32)  # 2 bits of sub-pixel precision
    for key in np.unique(keys[facing]):
        sel = facing & (keys == key)
        colour = (int(key // 65536), int(key // 256 % 256), int(key % 256))
        cv2.fillPoly(canvas, list(poly[sel]), colour, cv2.LINE_8, 2)


def shade_ellipsoid(canvas: np.ndarray, rotation: np.ndarray, translation_m: np.ndarray,
                    centre: np.ndarray, semi: np.ndarray, colour_of: ColourFn,
                    light_cam: np.ndarray, intrinsics: Intrinsics, ambient: float = 0.55
                    ) -> tuple[float, float, float, float] | None:
    """Draw an ellipsoid pixel by pixel (exact silhouette, smooth Lambertian shading).

    The ellipsoid is ``centre`` and ``semi``-axes in a body frame that
    ``p_cam = rotation @ p + translation_m`` places in the camera frame.
    ``colour_of`` gets the hit points on the unit sphere, (N, 3) in the body
    frame's axes, and returns (N, 3) BGR colours before shading. Returns the
    box drawn, or None when nothing was.
    """
    rot = np.asarray(rotation, dtype=np.float64)
    t = np.asarray(translation_m, dtype=np.float64).reshape(3)
    cam = (_OUTLINE * semi + centre) @ rot.T + t
    if np.any(cam[:, 2] <= _MIN_DEPTH_M):
        return None
    px = intrinsics.project(cam)
    h, w = canvas.shape[:2]
    x0 = max(int(math.floor(px[:, 0].min())) - 1, 0)
    y0 = max(int(math.floor(px[:, 1].min())) - 1, 0)
    x1 = min(int(math.ceil(px[:, 0].max())) + 2, w)
    y1 = min(int(math.ceil(px[:, 1].max())) + 2, h)
    if x1 <= x0 or y1 <= y0:
        return None
    xs, ys = np.meshgrid(np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64))
    rays = np.stack([(xs.ravel() - intrinsics.cx) / intrinsics.fx,
                     (ys.ravel() - intrinsics.cy) / intrinsics.fy,
                     np.ones(xs.size)], axis=1)
    # In the body frame, scaled to the unit sphere: o + s * d.
    o = (rot.T @ -t - centre) / semi
    d = (rays @ rot) / semi
    a = np.sum(d * d, axis=1)
    b = 2.0 * (d @ o)
    c = float(o @ o) - 1.0
    disc = b * b - 4.0 * a * c
    hit = disc > 0
    if not hit.any():
        return None
    s = (-b[hit] - np.sqrt(disc[hit])) / (2.0 * a[hit])
    unit = o + s[:, None] * d[hit]
    normal_body = unit / semi
    normal = normal_body @ rot.T
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    light = np.asarray(light_cam, dtype=np.float64)
    light = light / np.linalg.norm(light)
    diffuse = np.clip(normal @ -light, 0.0, 1.0)
    # A little rim darkening: surfaces seen edge-on are darker.
    view = rays[hit] / np.linalg.norm(rays[hit], axis=1, keepdims=True)
    rim = np.clip(-np.sum(normal * view, axis=1), 0.0, 1.0) ** 0.3
    shade = (ambient + (1.0 - ambient) * diffuse) * (0.75 + 0.25 * rim)
    colours = np.clip(colour_of(unit) * shade[:, None], 0, 255).astype(np.uint8)
    yy, xx = np.divmod(np.flatnonzero(hit), x1 - x0)
    canvas[yy + y0, xx + x0] = colours
    return float(x0), float(y0), float(x1), float(y1)

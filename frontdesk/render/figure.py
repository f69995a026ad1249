"""A person as the camera sees them: shaded solids for the body, the photographed face on top.

The simulator models a person as a head point with a gaze
(:mod:`frontdesk.sim.scene`). To be seen by a real face detector the head needs a
skull, hair, a neck and a body under it; here they are ellipsoids, flat-shaded,
in the person's look's colours:

* legs and torso (world frame), turned to the body's heading: the way the person
  walks, or the way the head faces when standing;
* the neck;
* the head (head frame of :mod:`frontdesk.perception.pose`: x toward the
  subject's left, y toward the chin, z toward the back): an ellipsoid just
  behind the face mesh, hair on the crown and back (or to the shoulders, or
  none), skin at the ears; long hair adds a second ellipsoid behind the neck;
* the face: the photo's mesh at the head pose with the eyes turned
  (:func:`frontdesk.render.raster.draw_face`).

Everything is drawn far to near within a person; people are ordered by the
composer.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.render.faces import PreparedLook
from frontdesk.render.raster import (
    DrawnFace,
    Solid,
    draw_face,
    ellipsoid,
    fill_solid,
    shade_ellipsoid,
)
from frontdesk.sim.world import CameraPose

__all__ = ["PersonPose", "FigureDrawer", "FigureBounds"]

log = logging.getLogger(__name__)

_TORSO = ellipsoid(16, 10)
_COARSE = ellipsoid(12, 8)

# Head ellipsoid in the head frame, metres at head_scale 1: centre and semi-axes.
_HEAD_CENTRE = np.array([0.0, -0.03, 0.085])
_HEAD_SEMI = np.array([0.076, 0.1, 0.095])
_LONG_HAIR_CENTRE = np.array([0.0, 0.07, 0.115])
_LONG_HAIR_SEMI = np.array([0.092, 0.16, 0.065])


@dataclass(frozen=True)
class PersonPose:
    """One person at one frame.

    Attributes:
        head_cam: the point between the eyes, camera frame, metres.
        rotation: head-to-camera rotation (perception's convention).
        eye_deg: (yaw, pitch) of the eyes in the head.
        head_world: the same point in the world frame.
        body_heading_deg: plan heading of the body (degrees from +x toward +y).
    """

    head_cam: np.ndarray
    rotation: np.ndarray
    eye_deg: tuple[float, float]
    head_world: np.ndarray
    body_heading_deg: float


@dataclass(frozen=True)
class FigureBounds:
    """Pixels a drawn figure may cover: (x0, y0, x1, y1), clipped to the frame.

    Integer pixel bounds of what the renderer drew (head, face and body), not a
    detector's :class:`frontdesk.types.BodyBox`.
    """

    x0: int
    y0: int
    x1: int
    y1: int


def _ramp(v: np.ndarray) -> np.ndarray:
    """0 below -0.5, 1 above 0.5, smooth in between."""
    x = np.clip(v + 0.5, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def head_colour_fn(look: PreparedLook) -> Callable[[np.ndarray], np.ndarray]:
    """Colours of the skull by where a point lies on it: hair, or skin at the ears and jaw.

    The function takes (N, 3) points on the unit sphere in the head frame's axes
    (x to the subject's left, y to the chin, z to the back).
    """
    skin = np.asarray(look.skin_bgr, dtype=np.float64)
    hair = np.asarray(look.hair_bgr, dtype=np.float64)
    style = look.look.hair

    def colour(u: np.ndarray) -> np.ndarray:
        x, y, z = u[:, 0], u[:, 1], u[:, 2]
        # Forehead below the hairline, in front (the face mesh covers the rest of the face).
        forehead = _ramp((-0.55 - z) / 0.1) * _ramp((y + 0.3) / 0.1)
        ear = (_ramp((np.abs(x) - 0.78) / 0.08) * _ramp((0.32 - np.abs(z)) / 0.08)
               * _ramp((y - 0.15) / 0.08) * _ramp((0.65 - y) / 0.08))
        if style == "bald":
            weight = np.zeros(len(u))
        elif style == "long":
            weight = (1.0 - forehead) * (1.0 - _ramp((-0.35 - z) / 0.1) * _ramp((y - 0.2) / 0.1))
        else:
            above_ears = _ramp((0.2 - y) / 0.1)
            back = _ramp((z - 0.15) / 0.12) * _ramp((0.6 - y) / 0.1)
            weight = np.maximum(above_ears, back) * (1.0 - forehead) * (1.0 - ear)
        strands = 0.9 + 0.12 * np.sin(np.arctan2(x, z) * 38.0 + y * 6.0)
        hair_c = hair[None, :] * strands[:, None]
        return weight[:, None] * hair_c + (1.0 - weight[:, None]) * skin[None, :]

    return colour


def photo_skull_fn(look: PreparedLook, base: Callable[[np.ndarray], np.ndarray],
                   centre: np.ndarray, semi: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """``base`` colours with the photo's own hair and ears where the photo saw the skull.

    Points of the skull ellipsoid (``centre``, ``semi`` in the head frame) that
    faced the photo's camera take the photo's colour at their projection into
    it (through the pose the photo was taken at), blending into ``base`` toward
    the sides and back, which the photo did not see.
    """
    tex = look.texture
    image = look.image
    h, w = image.shape[:2]

    def colour(u: np.ndarray) -> np.ndarray:
        out = np.array(base(u), dtype=np.float64)
        p_head = centre + u * semi
        normal = u / semi
        normal /= np.linalg.norm(normal, axis=1, keepdims=True)
        p_src = p_head @ tex.source_rotation.T + tex.source_translation_m
        n_src = normal @ tex.source_rotation.T
        facing = -np.sum(n_src * p_src, axis=1) / np.linalg.norm(p_src, axis=1)
        weight = _ramp((facing - 0.45) / 0.3)
        uv = tex.source_intrinsics.project(p_src)
        inside = (uv[:, 0] >= 0) & (uv[:, 0] < w - 1) & (uv[:, 1] >= 0) & (uv[:, 1] < h - 1)
        weight = np.where(inside, weight, 0.0)
        sel = weight > 0
        if sel.any():
            sampled = cv2.remap(image, uv[sel, 0].astype(np.float32).reshape(1, -1),
                                uv[sel, 1].astype(np.float32).reshape(1, -1), cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_REFLECT).reshape(-1, 3)
            wv = weight[sel, None]
            out[sel] = wv * sampled / 0.8 + (1.0 - wv) * out[sel]
        return out

    return colour


def _skin_fn(colour_bgr: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    c = np.asarray(colour_bgr, dtype=np.float64)

    def colour(u: np.ndarray) -> np.ndarray:
        return np.broadcast_to(c, (len(u), 3))

    return colour


class FigureDrawer:
    """Draws people for one camera and one light.

    Args:
        camera: the scene camera (world to camera frame).
        intrinsics: the camera's pinhole model at the frame size.
        light_world: direction light travels in the world frame.
    """

    def __init__(self, camera: CameraPose, intrinsics: Intrinsics, light_world: np.ndarray):
        self.camera = camera
        self._cam_rot = camera.rotation  # world to camera, computed once
        self._cam_pos = camera.position_array
        self.k = intrinsics
        lw = np.asarray(light_world, dtype=np.float64)
        self.light_cam = camera.directions_to_camera(lw / np.linalg.norm(lw))[0]
        self._colour_fns: dict[int, Callable[[np.ndarray], np.ndarray]] = {}

    def _head_colours(self, look: PreparedLook) -> Callable[[np.ndarray], np.ndarray]:
        fn = self._colour_fns.get(id(look))
        if fn is None:
            s = look.look.head_scale
            fn = photo_skull_fn(look, head_colour_fn(look), _HEAD_CENTRE * s, _HEAD_SEMI * s)
            self._colour_fns[id(look)] = fn
        return fn

    def _ellipsoid(self, canvas: np.ndarray, rot: np.ndarray, t: np.ndarray, centre: np.ndarray,
                   semi: np.ndarray, colour: Callable[[np.ndarray], np.ndarray],
                   box: list[float]) -> None:
        drawn = shade_ellipsoid(canvas, rot, t, centre, semi, colour, self.light_cam, self.k)
        if drawn is not None:
            box[0], box[1] = min(box[0], drawn[0]), min(box[1], drawn[1])
            box[2], box[3] = max(box[2], drawn[2]), max(box[3], drawn[3])

    def _world_solid(self, canvas: np.ndarray, solid: Solid, centre_w: np.ndarray,
                     semi: np.ndarray, heading_deg: float, colour: np.ndarray,
                     box: list[float]) -> None:
        h = math.radians(heading_deg)
        rz = np.array([[math.cos(h), -math.sin(h), 0.0], [math.sin(h), math.cos(h), 0.0],
                       [0.0, 0.0, 1.0]])
        pts_w = centre_w + (solid.vertices * semi) @ rz.T
        pts_c = (pts_w - self._cam_pos) @ self._cam_rot.T
        self._fill(canvas, pts_c, solid, colour, box)

    def _fill(self, canvas: np.ndarray, pts_c: np.ndarray, solid: Solid, colour: np.ndarray,
              box: list[float]) -> None:
        if np.any(pts_c[:, 2] <= 0.05):
            return
        colours = np.broadcast_to(np.asarray(colour, dtype=np.float64), (len(solid.quads), 3))
        fill_solid(canvas, pts_c, solid, colours, self.light_cam, self.k)
        px = self.k.project(pts_c)
        box[0] = min(box[0], float(px[:, 0].min()))
        box[1] = min(box[1], float(px[:, 1].min()))
        box[2] = max(box[2], float(px[:, 0].max()))
        box[3] = max(box[3], float(px[:, 1].max()))

    def draw(self, canvas: np.ndarray, look: PreparedLook, pose: PersonPose
             ) -> tuple[DrawnFace | None, FigureBounds]:
        """Draw the person; return the face drawn (None if it could not be) and its bounds."""
        box = [math.inf, math.inf, -math.inf, -math.inf]
        s = look.look.head_scale
        hw = pose.head_world
        heading = pose.body_heading_deg
        back = -np.array([math.cos(math.radians(heading)), math.sin(math.radians(heading)), 0.0])
        side = np.array([-back[1], back[0], 0.0])
        clothes = np.asarray(look.look.clothes_bgr, dtype=np.float64)
        trousers = np.array([45.0, 40.0, 38.0])
        skin = np.asarray(look.skin_bgr, dtype=np.float64)
        # Heights below the eyes, metres at head_scale 1 (an adult of 1.75 m: eyes at
        # 1.63, shoulders 0.22 below them, waist 0.6, hips 0.75).
        hip_z = hw[2] - 0.78 * s
        parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, Solid]] = []
        if hip_z > 0.2:
            for sgn in (-1.0, 1.0):
                c = np.array([hw[0], hw[1], hip_z / 2.0]) + sgn * 0.085 * side + 0.03 * back
                parts.append((c, np.array([0.075, 0.07, hip_z / 2.0 + 0.05]), trousers,
                              _COARSE))
        chest_c = hw + np.array([0.0, 0.0, -0.36 * s]) + 0.06 * back
        parts.append((chest_c, np.array([0.11, 0.2, 0.17]) * s, clothes, _TORSO))
        belly_c = hw + np.array([0.0, 0.0, -0.6 * s]) + 0.05 * back
        parts.append((belly_c, np.array([0.1, 0.16, 0.22]) * s, clothes * 0.95, _TORSO))
        for sgn in (-1.0, 1.0):
            c = hw + np.array([0.0, 0.0, -0.52 * s]) + sgn * 0.21 * s * side + 0.06 * back
            parts.append((c, np.array([0.05, 0.05, 0.26]) * s, clothes * 0.88, _COARSE))
        cam_pos = self._cam_pos
        parts.sort(key=lambda p: -float(np.linalg.norm(p[0] - cam_pos)))
        for centre, semi, colour, solid in parts:
            self._world_solid(canvas, solid, centre, semi, heading, colour, box)
        rot, t = pose.rotation, pose.head_cam
        # The neck, upright in the world, from under the skull to the shoulders.
        neck_w = hw + np.array([0.0, 0.0, -0.14 * s]) + 0.05 * s * back
        self._world_solid(canvas, _COARSE, neck_w, np.array([0.048, 0.048, 0.08]) * s, heading,
                          skin * 0.92, box)
        if look.look.hair == "long":
            self._ellipsoid(canvas, rot, t, _LONG_HAIR_CENTRE * s, _LONG_HAIR_SEMI * s,
                            _skin_fn(look.hair_bgr), box)
        self._ellipsoid(canvas, rot, t, _HEAD_CENTRE * s, _HEAD_SEMI * s,
                        self._head_colours(look), box)
        face: DrawnFace | None = None
        try:
            face = draw_face(canvas, look.texture, rot, t, self.k, pose.eye_deg, image=look.image)
        except ValueError:
            face = None
        if face is not None:
            x0, y0, x1, y1 = face.bbox
            box = [min(box[0], x0), min(box[1], y0), max(box[2], x1), max(box[3], y1)]
        h, w = canvas.shape[:2]
        if not math.isfinite(box[0]):
            return face, FigureBounds(0, 0, 0, 0)
        bb = FigureBounds(max(int(box[0]) - 2, 0), max(int(box[1]) - 2, 0),
                     min(int(math.ceil(box[2])) + 2, w), min(int(math.ceil(box[3])) + 2, h))
        return face, bb

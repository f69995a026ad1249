"""Re-render a photographed face at a new head pose and eye direction.

A face photographed once becomes a textured 3D mesh: Face Mesh's 478 landmarks
(x, y in pixels, z in the same scale) are lifted into the photo's camera frame,
put in the head frame of :mod:`frontdesk.perception.pose`, and joined by a
Delaunay triangulation of their positions in the photo. Rendering projects the
mesh at any pose through any pinhole camera and warps each triangle of the photo
onto its new place with an affine warp, far triangles first, back faces culled.

Eyes can be turned independently of the head: the eye opening is filled with
the sclera's colour and the iris disc is redrawn where an eyeball of radius
:data:`EYEBALL_RADIUS_M` (rotation centre to iris plane) turned by the given
angles puts it, clipped by the eyelids.

The geometry is only as good as Face Mesh's depth, and whatever the photo did
not show (the far cheek at large yaw) is stretched from its neighbours; within
about +-30 degrees the renders are good enough for Face Mesh to track, which is
what the perception tests use them for. The renders give pose ground truth *by
construction*: the pose passed to :func:`render_face` is the truth.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.perception import landmarks as L
from frontdesk.perception.face_model import head_frame
from frontdesk.perception.pose import euler_from_rotation, rotation_from_euler

__all__ = [
    "EYEBALL_RADIUS_M",
    "IRIS_DIAMETER_M",
    "FaceTexture",
    "RenderedFace",
    "render_face",
    "turned_pose",
    "erase_face",
]

log = logging.getLogger(__name__)

EYEBALL_RADIUS_M = 0.0105
"""Distance from the eye's centre of rotation to the visible iris centre.

The centre of rotation sits about 13.5 mm behind the cornea's apex and the
apparent iris about 3 mm behind it (Gullstrand's schematic eye)."""

IRIS_DIAMETER_M = 0.0117
_INTERPUPILLARY_M = 0.063
_EYES = (
    (L.RIGHT_IRIS_CENTER, L.RIGHT_IRIS_RING, L.RIGHT_EYE_CONTOUR),
    (L.LEFT_IRIS_CENTER, L.LEFT_IRIS_RING, L.LEFT_EYE_CONTOUR),
)


@dataclass
class FaceTexture:
    """A photographed face ready to be re-rendered.

    Attributes:
        image: the BGR photo.
        uv_px: (478, 2) landmark positions in the photo.
        points_head_m: (478, 3) the same landmarks in the head frame, metres.
        triangles: (T, 3) landmark ids of the Delaunay triangles.
        source_rotation, source_translation_m: the face's pose in the photo.
        source_intrinsics: the camera the photo is assumed to come from.
        sclera_bgr: (2, 3) sclera colour of the right and left eye.
        iris_radius_m: iris radius in the photo (half its horizontal diameter), metres.
    """

    image: np.ndarray
    uv_px: np.ndarray
    points_head_m: np.ndarray
    triangles: np.ndarray
    source_rotation: np.ndarray
    source_translation_m: np.ndarray
    source_intrinsics: Intrinsics
    sclera_bgr: np.ndarray
    iris_radius_m: float

    @property
    def source_euler_deg(self) -> tuple[float, float, float]:
        """(yaw, pitch, roll) of the face in the photo."""
        return euler_from_rotation(self.source_rotation)

    @classmethod
    def from_landmarks(
        cls,
        image: np.ndarray,
        landmarks_px: np.ndarray,
        intrinsics: Intrinsics,
        interpupillary_m: float = _INTERPUPILLARY_M,
    ) -> FaceTexture:
        """Build a texture from a photo and its 478 Face Mesh landmarks (pixels).

        Face Mesh sees a face crop without knowing where in the frame it was, so
        its z is depth along the line of sight to the face, not along the
        optical axis. Each landmark is therefore placed on its own pixel's ray at
        the depth, measured along the line of sight, that its z gives; this
        reprojects exactly onto the photo. The whole face is then scaled about
        the camera centre (which changes no pixel) until its pupils are
        ``interpupillary_m`` apart.
        """
        lm = np.asarray(landmarks_px, dtype=np.float64)
        if lm.shape != (L.NUM_LANDMARKS, 3):
            raise ValueError(f"landmarks_px must be ({L.NUM_LANDMARKS}, 3), got {lm.shape}")
        f = intrinsics.fx
        rays = np.stack(
            [(lm[:, 0] - intrinsics.cx) / f, (lm[:, 1] - intrinsics.cy) / intrinsics.fy,
             np.ones(len(lm))],
            axis=1,
        )
        rays /= np.linalg.norm(rays, axis=1, keepdims=True)
        sight = rays[: L.NUM_FACE_MESH_POINTS].mean(axis=0)
        sight /= np.linalg.norm(sight)
        ipd_px = float(np.linalg.norm(lm[L.LEFT_IRIS_CENTER, :2] - lm[L.RIGHT_IRIS_CENTER, :2]))
        distance0 = f * interpupillary_m / ipd_px
        along_sight = distance0 + lm[:, 2] * distance0 / f
        cam = rays * (along_sight / (rays @ sight))[:, None]
        ipd_m = float(np.linalg.norm(cam[L.LEFT_IRIS_CENTER] - cam[L.RIGHT_IRIS_CENTER]))
        cam *= interpupillary_m / ipd_m
        depth0 = float(cam[:, 2].mean())
        axes, origin = head_frame(cam)
        head = (cam - origin) @ axes.T
        uv = lm[:, :2].copy()
        triangles = _delaunay(uv)
        sclera = np.stack(
            [_sclera_colour(image, uv, ring, contour, c) for c, ring, contour in _EYES]
        )
        # The horizontal diameter: eyelids shorten the vertical one.
        radius_px = np.mean([np.linalg.norm(uv[ring[0]] - uv[ring[2]]) / 2 for _, ring, _ in _EYES])
        iris_radius_m = float(radius_px * depth0 / f)
        return cls(
            image, uv, head, triangles, axes.T.copy(), origin, intrinsics, sclera, iris_radius_m
        )

    @classmethod
    def from_photo(cls, image: np.ndarray, intrinsics: Intrinsics) -> FaceTexture:
        """Run Face Mesh (refined irises) on a BGR photo of one face and build a texture."""
        import mediapipe as mp

        with mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=1, refine_landmarks=True
        ) as mesh:
            result = mesh.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        if not result.multi_face_landmarks:
            raise ValueError("Face Mesh found no face in the photo")
        h, w = image.shape[:2]
        points = result.multi_face_landmarks[0].landmark
        lm = np.array([(p.x * w, p.y * h, p.z * w) for p in points])
        return cls.from_landmarks(image, lm, intrinsics)


@dataclass
class RenderedFace:
    """Where the rendered face landed: ground truth for tests and the simulator.

    Attributes:
        landmarks_px: (478, 2) projected landmark positions.
        rotation, translation_m: the head pose rendered.
        gaze: unit gaze direction in the camera frame (head and eyes).
        bbox: (x0, y0, x1, y1) of the projected landmarks.
    """

    landmarks_px: np.ndarray
    rotation: np.ndarray
    translation_m: np.ndarray
    gaze: np.ndarray
    bbox: tuple[float, float, float, float]


def turned_pose(
    texture: FaceTexture,
    yaw_deg: float = 0.0,
    pitch_deg: float = 0.0,
    roll_deg: float = 0.0,
    pivot_behind_eyes_m: float = 0.09,
) -> tuple[np.ndarray, np.ndarray]:
    """The photo's pose with yaw, pitch and roll changed by the given degrees.

    The head turns about a point ``pivot_behind_eyes_m`` behind the eyes (near the
    top of the neck), as a person turns, so the face also moves a little.
    Returns (rotation, translation_m); the new Euler angles are exactly the
    photo's plus the deltas.
    """
    y0, p0, r0 = texture.source_euler_deg
    rot = rotation_from_euler(y0 + yaw_deg, p0 + pitch_deg, r0 + roll_deg)
    src_r, src_t = texture.source_rotation, texture.source_translation_m
    pivot = src_t + src_r @ np.array([0.0, 0.0, pivot_behind_eyes_m])
    t = pivot + rot @ src_r.T @ (src_t - pivot)
    return rot, t


def render_face(
    canvas: np.ndarray,
    texture: FaceTexture,
    rotation: np.ndarray,
    translation_m: np.ndarray,
    intrinsics: Intrinsics,
    eye_rotation_deg: tuple[float, float] | None = None,
) -> RenderedFace:
    """Draw the face onto ``canvas`` (BGR, modified in place) at the given pose.

    Args:
        canvas: the image to draw on; its size must match ``intrinsics``.
        texture: the face to draw.
        rotation, translation_m: head pose, ``p_cam = rotation @ p_head + t``.
        intrinsics: the camera that sees the canvas.
        eye_rotation_deg: (yaw, pitch) of both eyes relative to the head, with the
            signs of :mod:`frontdesk.perception.pose`; None keeps the photo's eyes.
    """
    rot = np.asarray(rotation, dtype=np.float64)
    t = np.asarray(translation_m, dtype=np.float64).reshape(3)
    cam = texture.points_head_m @ rot.T + t
    if np.any(cam[:, 2] <= 0):
        raise ValueError("the face is (partly) behind the camera")
    dst = intrinsics.project(cam)
    _draw_triangles(canvas, texture, dst, cam[:, 2])
    eye_rot = np.eye(3)
    if eye_rotation_deg is not None:
        eye_rot = rotation_from_euler(eye_rotation_deg[0], eye_rotation_deg[1], 0.0)
        for i, (center, _, contour) in enumerate(_EYES):
            _draw_eye(canvas, texture, i, center, contour, eye_rot, rot, t, dst, intrinsics)
    gaze = rot @ eye_rot @ np.array([0.0, 0.0, -1.0])
    x0, y0 = dst.min(axis=0)
    x1, y1 = dst.max(axis=0)
    return RenderedFace(dst, rot, t, gaze, (float(x0), float(y0), float(x1), float(y1)))


def erase_face(image: np.ndarray, landmarks_px: np.ndarray, margin_px: int = 6) -> np.ndarray:
    """A copy of ``image`` with the face inside its outline inpainted away.

    Gives a background to re-render a face onto without the original showing
    through where the turned face no longer covers it.
    """
    mask = np.zeros(image.shape[:2], np.uint8)
    oval = np.round(np.asarray(landmarks_px)[list(L.FACE_OVAL), :2]).astype(np.int32)
    cv2.fillPoly(mask, [oval], (255,))
    grown = cv2.dilate(mask, np.ones((2 * margin_px + 1, 2 * margin_px + 1), np.uint8))
    return cv2.inpaint(image, grown, 3, cv2.INPAINT_TELEA)


# --------------------------------------------------------------------------- internals


def _delaunay(uv: np.ndarray) -> np.ndarray:
    from scipy.spatial import Delaunay

    tri = Delaunay(uv).simplices.astype(np.int32)
    a, b, c = uv[tri[:, 0]], uv[tri[:, 1]], uv[tri[:, 2]]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    tri = tri[np.abs(area) > 1e-6]
    flip = _signed_area(uv, tri) < 0
    tri[flip] = tri[flip][:, ::-1]  # every triangle counter-clockwise on screen in the photo
    return tri


def _signed_area(pts: np.ndarray, tri: np.ndarray) -> np.ndarray:
    a, b, c = pts[tri[:, 0]], pts[tri[:, 1]], pts[tri[:, 2]]
    return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])


def _draw_triangles(
    canvas: np.ndarray, tex: FaceTexture, dst: np.ndarray, depth: np.ndarray
) -> None:
    tri = tex.triangles
    visible = _signed_area(dst, tri) > 0  # a flipped triangle faces away from the camera
    order = np.argsort(-depth[tri].mean(axis=1))  # far first
    h, w = canvas.shape[:2]
    for k in order:
        if not visible[k]:
            continue
        d = dst[tri[k]].astype(np.float32)
        x0, y0 = np.floor(d.min(axis=0)).astype(int)
        x1, y1 = np.ceil(d.max(axis=0)).astype(int) + 1
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:
            continue
        local = d - np.array([x0, y0], np.float32)
        m = cv2.getAffineTransform(tex.uv_px[tri[k]].astype(np.float32), local)
        patch = cv2.warpAffine(
            tex.image, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
        mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillConvexPoly(mask, np.round(local * 16).astype(np.int32), (1,), cv2.LINE_8, 4)
        region = canvas[y0:y1, x0:x1]
        np.copyto(region, patch, where=mask[:, :, None].astype(bool))


def _sclera_colour(
    image: np.ndarray, uv: np.ndarray, ring: tuple[int, ...], contour: tuple[int, ...], center: int
) -> np.ndarray:
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(uv[list(contour)]).astype(np.int32)], (1,))
    radius = float(np.linalg.norm(uv[list(ring)] - uv[center], axis=1).mean())
    cx, cy = (int(v) for v in np.round(uv[center]))
    cv2.circle(mask, (cx, cy), int(math.ceil(radius * 1.15)), (0,), -1)
    pixels = image[mask.astype(bool)].astype(np.float64)
    if len(pixels) < 3:
        return np.array([200.0, 205.0, 215.0])
    gray = pixels.mean(axis=1)
    return np.median(pixels[gray >= np.median(gray)], axis=0)


def _draw_eye(
    canvas: np.ndarray,
    tex: FaceTexture,
    eye: int,
    center: int,
    contour: tuple[int, ...],
    eye_rot: np.ndarray,
    rot: np.ndarray,
    t: np.ndarray,
    dst: np.ndarray,
    intrinsics: Intrinsics,
) -> None:
    rho = tex.iris_radius_m
    iris = tex.points_head_m[center]
    pivot = iris + np.array([0.0, 0.0, EYEBALL_RADIUS_M])
    src_disc = np.stack([iris, iris + [rho, 0.0, 0.0], iris + [0.0, rho, 0.0]])
    moved = pivot + (src_disc - pivot) @ eye_rot.T
    src_cam = src_disc @ tex.source_rotation.T + tex.source_translation_m
    src_px = tex.source_intrinsics.project(src_cam).astype(np.float32)
    dst_px = intrinsics.project(moved @ rot.T + t).astype(np.float32)

    opening = np.round(dst[list(contour)]).astype(np.int32)
    x0, y0 = opening.min(axis=0) - 1
    x1, y1 = opening.max(axis=0) + 2
    h, w = canvas.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 <= x0 or y1 <= y0:
        return
    off = np.array([x0, y0], np.float32)
    eye_mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(eye_mask, [opening - off.astype(np.int32)], (1,))
    region = canvas[y0:y1, x0:x1]
    region[eye_mask.astype(bool)] = tex.sclera_bgr[eye].astype(np.uint8)

    m = cv2.getAffineTransform(src_px, dst_px - off)
    patch = cv2.warpAffine(
        tex.image, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    angles = np.linspace(0.0, 2.0 * math.pi, 48, endpoint=False)
    rim = src_px[0] + np.outer(np.cos(angles), src_px[1] - src_px[0]) + np.outer(
        np.sin(angles), src_px[2] - src_px[0]
    )
    rim_dst = np.hstack([rim, np.ones((len(rim), 1), np.float32)]) @ m.T
    disc = np.zeros_like(eye_mask)
    cv2.fillPoly(disc, [np.round(rim_dst * 16).astype(np.int32)], (1,), cv2.LINE_8, 4)
    keep = (disc & eye_mask).astype(bool)
    region[keep] = patch[keep]

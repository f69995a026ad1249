"""FacePerceiver: one frame in, every face with pose, gaze and position out.

Per frame:

1. **detect**: BGR -> RGB, MediaPipe full-range face detection on the whole frame
   and on `detection_tiles` square tiles along its long side (merged).
2. **mesh**: for the ``max_faces`` largest faces at least ``mesh_min_face_px``
   wide, Face Mesh (478 landmarks, refined irises) on a crop around the face;
   landmarks mapped back to frame pixels.
3. **pose**: solvePnP of the landmarks against the 3D face model (rotation,
   translation), gaze from the irises, distance from iris size and pose.

Faces that get no mesh (too small, beyond ``max_faces``, or Face Mesh missed
them in the crop) get a coarse pose from the detector's six keypoints and
``has_mesh=False``. All faces are reported, largest first; masks are the
engine's business.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

import cv2
import numpy as np

import frontdesk.perception.landmarks as L
from frontdesk.camera_model import Intrinsics
from frontdesk.config import CameraConfig, PerceptionConfig
from frontdesk.perception.depth import (
    depth_from_iris,
    depth_uncertainty,
    fuse_depth,
    iris_diameter_px,
)
from frontdesk.perception.face_model import DEFAULT_FACE_MODEL, KEYPOINT_MODEL_MM, FaceModel
from frontdesk.perception.gaze import EYE_RADIUS_MM, combine_gaze, eye_gaze
from frontdesk.perception.height_prior import apply_height_prior
from frontdesk.perception.mediapipe_faces import (
    Detection,
    MediaPipeFaces,
    mesh_crop,
    tile_windows,
    zoom_windows,
)
from frontdesk.perception.pose import (
    HeadPose,
    euler_from_rotation,
    forward_vector,
    rotation_from_euler,
    solve_head_pose,
)
from frontdesk.perception.timing import StageTimes
from frontdesk.types import Face, Frame, FrameObservation
from frontdesk.world import WorldPose

__all__ = ["FacePerceiver"]

log = logging.getLogger(__name__)

_MAX_REPROJECTION_FRACTION = 0.15
"""A pose whose RMS reprojection error exceeds this fraction of the face width is rejected."""


class FacePerceiver:
    """MediaPipe face detection + Face Mesh + head pose, gaze and distance.

    Args:
        perception_cfg: thresholds, face limits and the anthropometric constants.
        camera_cfg: field of view or calibration, for the intrinsics.
        face_model: the 3D model pose is solved against (default: the mesh-derived
            model, see :mod:`frontdesk.perception.face_model`); it is scaled to
            ``perception_cfg.interocular_mm``.

    Raises:
        ModelError: MediaPipe or its models cannot be loaded (at construction).

    ``stage_ms`` holds the mean milliseconds per frame of each stage so far
    (detect, mesh, pose, plus decode when the caller reports it through
    ``timer.add("decode", ms)``). Counters: ``faces_seen`` (all faces reported),
    ``faces_meshed``, and ``mesh_misses`` (faces that should have had a mesh but
    Face Mesh found none in the crop, or one that did not cover the detection).
    """

    def __init__(
        self,
        perception_cfg: PerceptionConfig,
        camera_cfg: CameraConfig,
        face_model: FaceModel = DEFAULT_FACE_MODEL,
        zoom_regions: Sequence[tuple[float, float, float, float]] = (),
    ) -> None:
        self._cfg = perception_cfg
        self._zoom_regions = list(zoom_regions)
        self._zoom: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        self._zoom_turn = 0
        self._zoom_due = False
        self._camera_cfg = camera_cfg
        self._world = WorldPose.from_config(camera_cfg.pose) if camera_cfg.pose else None
        model = face_model.scaled_to(perception_cfg.interocular_mm)
        scale = perception_cfg.interocular_mm / face_model.interpupillary_mm
        self._model = model
        self._model_ids = list(model.landmark_ids)
        self._model_points_m = model.points_mm / 1000.0
        self._keypoint_points_m = KEYPOINT_MODEL_MM * scale / 1000.0
        back = np.array([0.0, 0.0, EYE_RADIUS_MM * scale / 1000.0])
        self._eye_centers_m = (
            model.right_pupil_mm / 1000.0 + back,
            model.left_pupil_mm / 1000.0 + back,
        )
        self._eye_radius_m = EYE_RADIUS_MM * scale / 1000.0
        self._cameras: dict[tuple[int, int], _Camera] = {}
        self._tiles: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        self._tile_turn = 0
        self._last_boxes: list[tuple[float, float, float, float]] = []
        self.timer = StageTimes()
        self.faces_seen = 0
        self.faces_meshed = 0
        self.mesh_misses = 0
        self._graphs: MediaPipeFaces | None = MediaPipeFaces(
            perception_cfg.min_detection_confidence
        )

    # ------------------------------------------------------------------ public API

    @property
    def stage_ms(self) -> dict[str, float]:
        """Mean milliseconds per frame for each stage so far."""
        return self.timer.mean_ms()

    @property
    def face_model(self) -> FaceModel:
        return self._model

    def intrinsics_for(self, width: int, height: int) -> Intrinsics:
        """The camera model for frames of this size (from the camera config)."""
        return self._camera(width, height).intrinsics

    def _camera(self, width: int, height: int) -> _Camera:
        key = (width, height)
        cam = self._cameras.get(key)
        if cam is None:
            intr = Intrinsics.from_config(self._camera_cfg, width, height)
            dist = intr.dist_coeffs if intr.distortion is not None else None
            cam = self._cameras[key] = _Camera(intr, intr.matrix, dist)
        return cam

    def _windows_for(self, width: int, height: int,
                     advance: bool = True) -> list[tuple[int, int, int]]:
        """The detector windows to run on this frame: the frame-high tiles (all, or
        ``tiles_per_frame`` in turn) and, on one frame in
        ``approach_zoom_every_n_frames``, the next small-face window over the
        approach zones (one due on a frame whose windows did not run, gated, comes
        on the next frame that runs them). ``advance`` False: the same, without
        moving the turns on."""
        key = (width, height)
        windows = self._tiles.get(key)
        if windows is None:
            windows = self._tiles[key] = tile_windows(width, height, self._cfg.detection_tiles)
        n = len(windows)
        per_frame = self._cfg.tiles_per_frame
        if n > per_frame:
            start = self._tile_turn * per_frame
            windows = [windows[(start + j) % n] for j in range(per_frame)]
        zoom = self._zoom.get(key)
        if zoom is None:
            zoom = self._zoom[key] = self._zoom_windows(width, height)
        due = bool(zoom) and (self._zoom_due
                              or self._tile_turn % self._cfg.approach_zoom_every_n_frames == 0)
        if due:
            windows = windows + [zoom[self._zoom_turn % len(zoom)]]
        if advance:
            # a window due stays due until a frame runs its windows (_zoom_ran): the
            # gate drops them on some frames, and its frames may all fall between
            self._zoom_due = due
            self._tile_turn += 1  # one a frame: the turn of the tiles and of the windows
        return windows

    def _zoom_ran(self) -> None:
        """This frame ran its windows: the zoom window due (if any) is done."""
        if self._zoom_due:
            self._zoom_due = False
            self._zoom_turn += 1

    def next_windows(self, width: int, height: int) -> list[tuple[int, int, int]]:
        """The windows the next frame of this size will get (for the benchmarks)."""
        return self._windows_for(width, height, advance=False)

    def set_zoom_regions(self, regions: Sequence[tuple[float, float, float, float]]) -> None:
        """Where the small-face windows go from the next frame on (``x0, y0, x1, y1``
        as fractions of the frame): the approach zones' boxes (zones edited live)."""
        self._zoom_regions = list(regions)
        self._zoom.clear()
        self._zoom_due = False

    def zoom_windows(self, width: int, height: int) -> list[tuple[int, int, int]]:
        """Every small-face window for frames of this size (one runs a frame, in turn)."""
        return list(self._zoom_windows(width, height))

    def _zoom_windows(self, width: int, height: int) -> list[tuple[int, int, int]]:
        fraction = self._cfg.approach_zoom
        if fraction <= 0.0 or not self._zoom_regions:
            return []
        pad = fraction * min(width, height) / 8.0  # a small face centred on the edge
        boxes = [(x0 * width - pad, y0 * height - pad, x1 * width + pad, y1 * height + pad)
                 for x0, y0, x1, y1 in self._zoom_regions]
        return zoom_windows(width, height, boxes, fraction)

    def process(self, frame: Frame, *, tiles: bool = True,
                mesh: bool | Callable[[list[Detection]], bool | list[bool]] = True
                ) -> FrameObservation:
        """Every face in ``frame``, largest first.

        Args:
            tiles: run the detector's tiles too. Without them they still run when
                the whole-frame pass misses a face the previous call found (a face
                the tiles hold is not dropped).
            mesh: Face Mesh on the faces (False: keypoint pose for all), or a test
                of this frame's detections that says whether they need it (all of
                them, or one flag a detection, in their order).
        """
        graphs = self._graphs
        if graphs is None:
            raise RuntimeError("FacePerceiver.process() called after close()")
        cam = self._camera(frame.width, frame.height)
        t0 = time.perf_counter()
        rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
        found = graphs.detect_whole(rgb)
        windows = self._windows_for(frame.width, frame.height)  # the turn moves on either way
        if not tiles and not _misses_a_known_face(found, self._last_boxes):
            windows = []
        if windows:
            self._zoom_ran()
        detections = graphs.add_tiles(rgb, found, windows)
        self._last_boxes = [d.bbox for d in detections]
        t1 = time.perf_counter()
        self.timer.add("detect", (t1 - t0) * 1000.0)
        wanted = mesh(detections) if callable(mesh) else mesh
        meshing = [wanted] * len(detections) if isinstance(wanted, bool) else wanted
        mesh_ms = pose_ms = 0.0
        faces: list[Face] = []
        for i, det in enumerate(detections):
            ta = time.perf_counter()
            landmarks = None
            if (meshing[i] and i < self._cfg.max_faces
                    and det.width_px >= self._cfg.mesh_min_face_px):
                landmarks = self._mesh(graphs, rgb, det)
            tb = time.perf_counter()
            face = self._face_from_mesh(det, landmarks, cam) if landmarks is not None else None
            if face is None:
                face = self._face_from_keypoints(det, cam)
            if self._world is not None:
                self._hold_to_head_height(face, self._world)
            tc = time.perf_counter()
            mesh_ms += tb - ta
            pose_ms += tc - tb
            faces.append(face)
        self.timer.add("mesh", mesh_ms * 1000.0)
        self.timer.add("pose", pose_ms * 1000.0)
        self.timer.end_frame()
        self.faces_seen += len(faces)
        return FrameObservation(
            index=frame.index, t=frame.t, width=frame.width, height=frame.height, faces=faces,
            wall_time=frame.wall_time,
        )

    def skip_frame(self, frame: Frame) -> None:
        """A frame the caller does not perceive (gated): the tiles' turn moves on as
        if it had been, so each frame gets the tile it would get ungated."""
        self._windows_for(frame.width, frame.height)

    def close(self) -> None:
        if self._graphs is not None:
            self._graphs.close()
            self._graphs = None

    def __enter__(self) -> FacePerceiver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ stages

    def _mesh(self, graphs: MediaPipeFaces, rgb: np.ndarray, det: Detection) -> np.ndarray | None:
        crop = mesh_crop(det.bbox)
        normalized = graphs.mesh(crop.cut(rgb))
        if normalized is None:
            self.mesh_misses += 1
            return None
        lm = crop.to_frame(normalized)
        if not _mesh_matches(lm, det):
            self.mesh_misses += 1
            return None
        self.faces_meshed += 1
        return lm

    def _face_from_mesh(self, det: Detection, lm: np.ndarray, cam: _Camera) -> Face | None:
        intr = cam.intrinsics
        pose = solve_head_pose(self._model_points_m, lm[self._model_ids, :2], cam.matrix, cam.dist)
        if pose is None or pose.reprojection_px > _MAX_REPROJECTION_FRACTION * det.width_px:
            return None
        rot, t = pose.rotation, pose.translation_m
        yaw, pitch, roll = euler_from_rotation(rot)
        eyes = self._eye_gazes(rot, t, lm, intr)
        eyeball_px = intr.fx * self._eye_radius_m / t[2]
        to_camera = -t / math.sqrt(float(t @ t))
        facing = min(max(float(forward_vector(rot) @ to_camera), -1.0), 1.0)
        gaze = combine_gaze(rot, yaw, eyes, eyeball_px, math.degrees(math.acos(facing)))
        position, uncertainty = self._position(t, lm, eyes, intr)
        return Face(
            bbox=det.bbox, score=det.score, yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll,
            gaze=gaze, head_position_m=position, landmarks=lm, rotation=rot, has_mesh=True,
            range_uncertainty_rel=uncertainty,
        )

    def _eye_gazes(
        self, rot: np.ndarray, t: np.ndarray, lm: np.ndarray, intr: Intrinsics
    ) -> tuple[np.ndarray, np.ndarray]:
        """(right eye, left eye) gaze from where each iris meets its eyeball."""
        forward = forward_vector(rot)
        out = []
        for eye, center in enumerate((L.RIGHT_IRIS_CENTER, L.LEFT_IRIS_CENTER)):
            eyeball = rot @ self._eye_centers_m[eye] + t
            ray = intr.pixel_ray(float(lm[center, 0]), float(lm[center, 1]))
            out.append(eye_gaze(ray, eyeball, self._eye_radius_m, forward))
        return out[0], out[1]

    def _position(
        self, t: np.ndarray, lm: np.ndarray, gazes: tuple[np.ndarray, np.ndarray],
        intr: Intrinsics,
    ) -> tuple[np.ndarray, float]:
        """The pose's eye midpoint, its distance refined by the irises' size, and how
        far off that distance may be (a fraction, :func:`depth_uncertainty`)."""
        ray_to_eye = -t / math.sqrt(float(t @ t))
        depths, sizes = [], []
        for eye in (0, 1):
            px = iris_diameter_px(lm, eye)
            if px <= 0:
                continue
            g = gazes[eye]
            horizontal = math.hypot(g[0], g[2]) * math.hypot(ray_to_eye[0], ray_to_eye[2])
            cos_h = (g[0] * ray_to_eye[0] + g[2] * ray_to_eye[2]) / max(horizontal, 1e-9)
            depths.append(depth_from_iris(px, intr.fx, self._cfg.iris_diameter_mm, cos_h))
            sizes.append(px)
        a, b = lm[L.LEFT_IRIS_CENTER], lm[L.RIGHT_IRIS_CENTER]
        ipd_px = math.hypot(float(a[0] - b[0]), float(a[1] - b[1]))
        if not depths:
            return t.copy(), depth_uncertainty(float(t[2]), None, 0.0, ipd_px)
        iris_z = math.exp(sum(math.log(d) for d in depths) / len(depths))
        iris_px = float(np.mean(sizes))
        z = fuse_depth(float(t[2]), iris_z, iris_px, ipd_px, len(sizes))
        return t * (z / t[2]), depth_uncertainty(float(t[2]), iris_z, iris_px, ipd_px,
                                                 len(sizes))

    def _hold_to_head_height(self, face: Face, world: WorldPose) -> None:
        """With the camera's pose: the head's distance held to the band of head heights
        (:mod:`frontdesk.perception.height_prior`), and its uncertainty with it."""
        position, uncertainty = apply_height_prior(
            face.head_position_m, face.range_uncertainty, world, self._cfg.head_height_m)
        face.head_position_m = position
        face.range_uncertainty_rel = uncertainty

    def _face_from_keypoints(self, det: Detection, cam: _Camera) -> Face:
        kps = det.keypoints_px
        pose = solve_head_pose(self._keypoint_points_m, kps, cam.matrix, cam.dist)
        if pose is None or pose.reprojection_px > 0.25 * det.width_px:
            pose = self._frontal_from_eyes(kps, cam.intrinsics)
        rot = pose.rotation
        yaw, pitch, roll = euler_from_rotation(rot)
        return Face(
            bbox=det.bbox, score=det.score, yaw_deg=yaw, pitch_deg=pitch, roll_deg=roll,
            gaze=forward_vector(rot), head_position_m=pose.translation_m, landmarks=None,
            rotation=rot, has_mesh=False,
        )

    def _frontal_from_eyes(self, kps: np.ndarray, intr: Intrinsics) -> HeadPose:
        """Last resort: the head faces the camera's axis; roll and distance from the eyes."""
        right, left = kps[0], kps[1]
        roll = math.degrees(math.atan2(left[1] - right[1], left[0] - right[0]))
        eye_px = max(float(np.linalg.norm(left - right)), 1.0)
        z = intr.fx * (self._cfg.interocular_mm / 1000.0) / eye_px
        mid = (right + left) / 2.0
        position = intr.backproject(float(mid[0]), float(mid[1]), z)
        return HeadPose(rotation_from_euler(0.0, 0.0, roll), position, 0.0)


@dataclass(frozen=True)
class _Camera:
    intrinsics: Intrinsics
    matrix: np.ndarray
    dist: np.ndarray | None


def _misses_a_known_face(found: list[Detection],
                         known: list[tuple[float, float, float, float]]) -> bool:
    """True when a face of the previous call has no detection within its width of
    where it was."""
    for x0, y0, x1, y1 in known:
        cx, cy, reach = (x0 + x1) / 2.0, (y0 + y1) / 2.0, x1 - x0
        if not any(abs((d.bbox[0] + d.bbox[2]) / 2.0 - cx) <= reach
                   and abs((d.bbox[1] + d.bbox[3]) / 2.0 - cy) <= reach for d in found):
            return True
    return False


def _mesh_matches(lm: np.ndarray, det: Detection) -> bool:
    """True when the mesh covers the detected face (not a neighbour in the crop)."""
    x0, y0, x1, y1 = det.bbox
    w, h = x1 - x0, y1 - y0
    nose = lm[L.NOSE_TIP]
    inside_x = x0 - 0.25 * w <= nose[0] <= x1 + 0.25 * w
    inside_y = y0 - 0.25 * h <= nose[1] <= y1 + 0.25 * h
    inside = inside_x and inside_y
    oval = lm[list(L.FACE_OVAL), 0]
    width = float(oval.max() - oval.min())
    return inside and 0.5 * w <= width <= 2.0 * w

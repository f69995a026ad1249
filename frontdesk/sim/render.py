"""From a scene to the records perception produces: :class:`FrameObservation` of :class:`Face`.

Each person is sampled at the frame times (see :func:`sample_person`), projected
through the layout's camera, and reported as a face on the frames where a
detector would see it (:class:`DetectorModel`): in front of the camera, centre in
the frame, wide enough, and turned at most ``max_view_angle_deg`` from the camera.

Noise (:class:`NoiseModel`) is applied per face and frame, from a generator
seeded by (seed, person index), so a render is reproducible and one person's
noise does not depend on who else is in the scene:

* dropouts: a detected face is missing from a frame with probability ``dropout``;
* pixel jitter: the two eye centres move by ``jitter_px`` (Gaussian, per axis);
  the face centre moves with their mean and the eye spacing with their difference,
  so depth (focal length x interocular distance / eye spacing in pixels) and the
  3D head position carry the noise the jitter implies;
* gaze noise: the gaze turns by a Gaussian ``gaze_sigma_deg`` on each of two
  axes perpendicular to it; head pose angles get ``pose_sigma_deg``;
* faces looking down (``pitch_loss_deg``) and small faces (``small_face_loss``) are
  missed more often, as MediaPipe misses them; these draws come from a generator
  of their own, so the other noise is the same with or without them.

Bodies (optional, :class:`BodyModel`): when a scene asks for them (a scripted
scene's ``bodies:`` key) or the caller passes a model, every frame also carries
the boxes a person detector would report, as the runner does: fresh on one
frame in ``every_n_frames``, the latest boxes carried (not fresh) in between. A
body is seen whatever way the person faces; its noise comes from its own
generator, so turning bodies on does not change the faces' noise.

Frames are produced one at a time (:func:`render_frames` is a generator) and
each person's arrays exist only while the person is in view, so a working day
renders in bounded memory.
"""

from __future__ import annotations

import heapq
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np

from frontdesk.perception.appearance import nearer_bodies
from frontdesk.sim.clothes import ChestView, ClothesModel, clothes_colour
from frontdesk.sim.scene import Person, Scene
from frontdesk.sim.world import (
    WORLD_UP,
    euler_from_forward,
    head_forward_from_gaze,
    rotation_from_euler,
    unit_rows,
    view_angle_deg,
)
from frontdesk.types import BodyBox, Face, FrameObservation, OccupancyGrid

__all__ = [
    "NoiseModel",
    "PresenceModel",
    "occupancy_grid",
    "NOISE_PRESETS",
    "DetectorModel",
    "BodyModel",
    "body_boxes",
    "body_model_for",
    "PersonSamples",
    "sample_person",
    "render_frames",
    "frame_times",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoiseModel:
    """Measurement noise and frame rate of a simulated perception stage.

    Attributes:
        name: preset name.
        fps: frames per second.
        gaze_sigma_deg: Gaussian gaze error per axis.
        pose_sigma_deg: Gaussian error on each head-pose angle.
        dropout: probability that a visible face is missing from a frame.
        jitter_px: Gaussian error per axis on each eye centre, pixels.
        score_sigma: Gaussian error on the detector score.
        pitch_loss_deg: (start, full): a face pitched down (head pose pitch, camera
            frame, as perception reports it) more than ``start`` degrees is missed
            with a probability rising linearly to 1 at ``full``; None: no such loss.
        small_face_loss: (start_px, at_floor): a face narrower than ``start_px`` is
            missed with a probability rising linearly to ``at_floor`` at the
            detector's smallest face (``DetectorModel.min_face_px``); None: no such loss.
    """

    name: str
    fps: float = 15.0
    gaze_sigma_deg: float = 0.0
    pose_sigma_deg: float = 0.0
    dropout: float = 0.0
    jitter_px: float = 0.0
    score_sigma: float = 0.0
    pitch_loss_deg: tuple[float, float] | None = None
    small_face_loss: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.pitch_loss_deg is not None and not (
                0.0 <= self.pitch_loss_deg[0] < self.pitch_loss_deg[1] <= 90.0):
            raise ValueError(f"pitch_loss_deg is (start, full), 0 <= start < full <= 90, "
                             f"got {self.pitch_loss_deg}")
        if self.small_face_loss is not None and not (
                self.small_face_loss[0] > 0 and 0.0 <= self.small_face_loss[1] <= 1.0):
            raise ValueError(f"small_face_loss is (start_px > 0, probability 0 to 1), "
                             f"got {self.small_face_loss}")
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {self.fps}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if min(self.gaze_sigma_deg, self.pose_sigma_deg, self.jitter_px, self.score_sigma) < 0:
            raise ValueError("noise sigmas must be >= 0")

    @property
    def noisy(self) -> bool:
        """Whether detections are perturbed at all (dropout or jitter)."""
        return self.dropout > 0 or self.jitter_px > 0

    def with_fps(self, fps: float | None) -> NoiseModel:
        if fps is None:
            return self
        return replace(self, fps=fps)

    def to_json(self) -> dict:
        d: dict = {
            "name": self.name, "fps": self.fps, "gaze_sigma_deg": self.gaze_sigma_deg,
            "pose_sigma_deg": self.pose_sigma_deg, "dropout": self.dropout,
            "jitter_px": self.jitter_px, "score_sigma": self.score_sigma,
        }
        if self.pitch_loss_deg is not None:
            d["pitch_loss_deg"] = list(self.pitch_loss_deg)
        if self.small_face_loss is not None:
            d["small_face_loss"] = list(self.small_face_loss)
        return d

    def loss_probability(self, pitch_deg: np.ndarray, face_px: np.ndarray,
                         min_face_px: float) -> np.ndarray:
        """Chance a face the detector could see is missed for looking down or being small
        (on top of ``dropout``): ``pitch_deg`` is the pose pitch (negative down)."""
        keep = np.ones(np.shape(pitch_deg))
        if self.pitch_loss_deg is not None:
            a, b = self.pitch_loss_deg
            keep *= 1.0 - np.clip((-np.asarray(pitch_deg) - a) / (b - a), 0.0, 1.0)
        if self.small_face_loss is not None:
            start, at_floor = self.small_face_loss
            span = max(start - min_face_px, 1e-6)
            keep *= 1.0 - at_floor * np.clip((start - np.asarray(face_px)) / span, 0.0, 1.0)
        return 1.0 - keep


NOISE_PRESETS: dict[str, NoiseModel] = {
    "none": NoiseModel("none"),
    "realistic": NoiseModel(
        "realistic", fps=15.0, gaze_sigma_deg=5.0, pose_sigma_deg=2.0, dropout=0.10,
        jitter_px=2.0, score_sigma=0.03, pitch_loss_deg=(45.0, 55.0),
        small_face_loss=(32.0, 0.3),
    ),
}


@dataclass(frozen=True)
class DetectorModel:
    """Which faces perception reports, and how big they look.

    Attributes:
        max_view_angle_deg: faces turned further than this from the camera are
            missed (Face Mesh holds to roughly 60 to 70 degrees).
        min_face_px: faces narrower than this are missed (too far).
        face_width_m: width of a face's bounding box, metres.
        face_aspect: bounding box height / width.
        interocular_m: distance between the pupils; depth comes from its size in pixels.
        eye_pitch_range_deg: how much of a look up or down the eyes take before the
            head tilts (see :func:`frontdesk.sim.world.head_forward_from_gaze`).
        max_faces: most faces reported per frame (largest first), as perception.
        min_depth_m: faces closer than this to the lens are missed.
    """

    max_view_angle_deg: float = 65.0
    min_face_px: float = 20.0
    face_width_m: float = 0.15
    face_aspect: float = 1.2
    interocular_m: float = 0.063
    eye_pitch_range_deg: float = 15.0
    max_faces: int = 6
    min_depth_m: float = 0.25


@dataclass(frozen=True)
class BodyModel:
    """Which bodies a simulated person detector reports, and their boxes.

    A body is a vertical box ``width_m`` wide from the crown (``crown_above_eyes_m``
    above the point between the eyes) to the floor, at the head's position,
    projected through the camera and clipped to the frame (a person near the
    camera is cut by its bottom edge). It is reported when the head is at least
    ``min_depth_m`` in front of the lens, the crown's image point is in the frame
    and the clipped box is at least ``min_height_px`` tall, whichever way the
    person faces. People hiding each other are not modelled.

    Attributes:
        every_n_frames: the detector runs on one frame in n (the runner's
            ``detectors.person.every_n_frames``).
        dropout: probability a body is missed on a run (with noise).
        jitter_frac: Gaussian error of each box edge, in box widths (with noise).
        score: the detector's score.
    """

    every_n_frames: int = 3
    width_m: float = 0.45
    crown_above_eyes_m: float = 0.12
    min_height_px: float = 40.0
    min_depth_m: float = 0.25
    dropout: float = 0.05
    jitter_frac: float = 0.03
    score: float = 0.8

    def __post_init__(self) -> None:
        if self.every_n_frames < 1:
            raise ValueError(f"every_n_frames must be at least 1, got {self.every_n_frames}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")


def body_model_for(scene: Scene) -> BodyModel | None:
    """The body model a scene asks for (``scene.meta["bodies"]``), or None (faces only)."""
    spec = scene.meta.get("bodies")
    if spec is None or spec is False:
        return None
    return BodyModel(**spec) if isinstance(spec, dict) else BodyModel()


def body_boxes(scene: Scene, s: PersonSamples, model: BodyModel) -> tuple[np.ndarray, np.ndarray]:
    """Noise-free body boxes (N, 4) in pixels and whether each is reported (N,)."""
    cam = scene.layout.camera
    k = scene.layout.intrinsics
    crown = s.head_world + np.array([0.0, 0.0, model.crown_above_eyes_m])
    feet = s.head_world * np.array([1.0, 1.0, 0.0])
    crown_c = cam.to_camera(crown)
    feet_c = cam.to_camera(feet)
    z = s.head_cam[:, 2]
    with np.errstate(invalid="ignore", divide="ignore"):
        safe = np.where(z > 1e-6, z, np.nan)
        v_top = k.fy * crown_c[:, 1] / np.where(crown_c[:, 2] > 1e-6, crown_c[:, 2], np.nan) + k.cy
        v_bottom = np.where(feet_c[:, 2] > 0.05,
                            k.fy * feet_c[:, 1] / np.where(feet_c[:, 2] > 0.05, feet_c[:, 2], 1.0)
                            + k.cy, np.inf)
        half = k.fx * model.width_m / 2.0 / safe
        u = s.u
        boxes = np.stack([np.clip(u - half, 0, k.width), np.clip(v_top, 0, k.height),
                          np.clip(u + half, 0, k.width), np.clip(v_bottom, 0, k.height)], axis=1)
        visible = (
            s.present & (z >= model.min_depth_m)
            & (u >= 0) & (u < k.width) & (v_top >= 0) & (v_top < k.height)
            & (boxes[:, 3] - boxes[:, 1] >= model.min_height_px)
        )
    return boxes, visible


@dataclass(frozen=True)
class PresenceModel:
    """What perception's presence stage reports: the grid cells people's bodies cover.

    A body is the :class:`BodyModel` box (crown to floor, ``width_m`` wide), for
    everyone in front of the lens whichever way they face; a cell is occupied
    when its centre lies in a body. Noise (with a noisy :class:`NoiseModel`): each
    covered cell is missed with probability ``miss`` (clothes the colour of the
    wall behind), and any cell is wrongly occupied with probability ``false_cell``
    (sensor noise, a flicker), each frame on its own.
    """

    grid_cols: int = 48
    width_m: float = 0.45
    crown_above_eyes_m: float = 0.12
    miss: float = 0.10
    false_cell: float = 0.002
    clothes: ClothesModel | None = field(default_factory=ClothesModel)
    """The clothes' colour signature under each face, as perception.presence.appearance
    measures it (None: faces carry none)."""

    def body_model(self) -> BodyModel:
        return BodyModel(width_m=self.width_m, crown_above_eyes_m=self.crown_above_eyes_m,
                         min_height_px=1.0)

    def grid_shape(self, width: int, height: int) -> tuple[int, int]:
        return max(1, round(self.grid_cols * height / width)), self.grid_cols


def occupancy_grid(boxes: list[tuple[float, float, float, float]], width: int, height: int,
                   model: PresenceModel, rng: np.random.Generator | None) -> OccupancyGrid:
    """The grid for these body boxes (pixels); ``rng`` None: no noise."""
    grid = OccupancyGrid(np.zeros(model.grid_shape(width, height), dtype=bool))
    cells = grid.cells
    for x0, y0, x1, y1 in boxes:
        cells[grid.box_cells(x0 / width, y0 / height, x1 / width, y1 / height)] = True
    if rng is not None:
        draw = rng.random(cells.shape)
        cells = np.where(cells, draw >= model.miss, draw < model.false_cell)
    return OccupancyGrid(cells)


@dataclass
class PersonSamples:
    """One person sampled at ``t``: world and camera geometry and what a detector sees.

    Camera-frame arrays are (N, 3); ``u``, ``v`` are pixels; ``visible`` is the
    noise-free detection decision.
    """

    t: np.ndarray
    present: np.ndarray
    head_world: np.ndarray
    gaze_world: np.ndarray
    head_cam: np.ndarray
    gaze_cam: np.ndarray
    forward_cam: np.ndarray
    u: np.ndarray
    v: np.ndarray
    face_px: np.ndarray
    view_angle_deg: np.ndarray
    visible: np.ndarray


def sample_person(scene: Scene, person: Person, t: np.ndarray,
                  detector: DetectorModel) -> PersonSamples:
    """Evaluate ``person`` at times ``t`` through the scene's camera, without noise."""
    t = np.asarray(t, dtype=np.float64).reshape(-1)
    cam = scene.layout.camera
    k = scene.layout.intrinsics
    present = person.path.present(t)
    head_w = person.path.position(t)
    gaze_w = scene.gaze(person, t)
    forward_w = head_forward_from_gaze(gaze_w, detector.eye_pitch_range_deg)
    head_c = cam.to_camera(head_w)
    gaze_c = cam.directions_to_camera(gaze_w)
    forward_c = cam.directions_to_camera(forward_w)
    z = head_c[:, 2]
    safe_z = np.where(z > 1e-6, z, np.nan)
    u = k.fx * head_c[:, 0] / safe_z + k.cx
    v = k.fy * head_c[:, 1] / safe_z + k.cy
    face_px = k.fx * detector.face_width_m / safe_z
    angle = view_angle_deg(forward_w, head_w, cam.position_array)
    with np.errstate(invalid="ignore"):
        visible = (
            present
            & (z >= detector.min_depth_m)
            & (u >= 0) & (u < k.width) & (v >= 0) & (v < k.height)
            & (face_px >= detector.min_face_px)
            & (angle <= detector.max_view_angle_deg)
        )
    return PersonSamples(t, present, head_w, gaze_w, head_c, gaze_c, forward_c, u, v, face_px,
                         angle, visible)


def frame_times(duration_s: float, fps: float) -> np.ndarray:
    """Frame times 0, 1/fps, ... up to ``duration_s`` inclusive."""
    n = int(math.floor(duration_s * fps + 1e-9)) + 1
    return np.arange(n, dtype=np.float64) / fps


def _perturb_directions(d: np.ndarray, sigma_deg: float, rng: np.random.Generator) -> np.ndarray:
    """Turn each unit row by Gaussian angles (sigma per axis) about two perpendicular axes."""
    if sigma_deg <= 0:
        return d
    ref = np.where(np.abs(d[:, 1:2]) < 0.9, [[0.0, 1.0, 0.0]], [[1.0, 0.0, 0.0]])
    e1 = unit_rows(np.cross(d, ref))
    e2 = np.cross(d, e1)
    a = np.radians(rng.normal(0.0, sigma_deg, size=(len(d), 2)))
    return unit_rows(d + e1 * np.tan(a[:, :1]) + e2 * np.tan(a[:, 1:2]))


def _normal(rng: np.random.Generator, sigma: float, shape: tuple[int, ...]) -> np.ndarray:
    """Gaussian noise of ``sigma`` (zeros, drawing nothing, when sigma is 0)."""
    return rng.normal(0.0, sigma, size=shape) if sigma > 0 else np.zeros(shape)


class _PersonFrames:
    """One person's noisy detections over the frames they are present in."""

    def __init__(self, scene: Scene, index: int, person: Person, frames: np.ndarray,
                 fps: float, noise: NoiseModel, detector: DetectorModel, seed: int,
                 bodies: BodyModel | None = None, presence: PresenceModel | None = None):
        self.person = person
        self.first = int(frames[0])
        self.last = int(frames[-1])
        t = frames / fps
        s = sample_person(scene, person, t, detector)
        rng = np.random.default_rng([seed, index])
        n = len(t)
        keep = s.visible & (rng.random(n) >= noise.dropout)
        k = scene.layout.intrinsics
        # Eye centres: the face centre -/+ half the interocular distance in pixels.
        iod_px = k.fx * detector.interocular_m / np.where(s.visible, s.head_cam[:, 2], 1.0)
        jit = _normal(rng, noise.jitter_px, (n, 4))
        u = s.u + (jit[:, 0] + jit[:, 2]) / 2.0
        v = s.v + (jit[:, 1] + jit[:, 3]) / 2.0
        iod_noisy = np.maximum(iod_px + (jit[:, 2] - jit[:, 0]), 0.25 * iod_px)
        depth = k.fx * detector.interocular_m / iod_noisy
        self.head = np.stack([(u - k.cx) / k.fx * depth, (v - k.cy) / k.fy * depth, depth], axis=1)
        width = s.face_px * iod_noisy / iod_px
        self.bbox = np.stack([u - width / 2, v - width * detector.face_aspect / 2,
                              u + width / 2, v + width * detector.face_aspect / 2], axis=1)
        self.width = width
        # What perception would say of the distance: two sigmas of the noise the
        # eye-centre jitter puts on the eyes' spacing (0 without noise).
        self.range_uncertainty = 2.0 * math.sqrt(2.0) * noise.jitter_px / np.maximum(iod_px, 1.0)
        self.gaze = _perturb_directions(unit_rows(s.gaze_cam), noise.gaze_sigma_deg, rng)
        up_c = np.broadcast_to(scene.layout.camera.directions_to_camera(WORLD_UP),
                               s.forward_cam.shape)
        yaw, pitch, roll = euler_from_forward(s.forward_cam, up_c)
        if noise.pitch_loss_deg is not None or noise.small_face_loss is not None:
            lost = noise.loss_probability(pitch, s.face_px, detector.min_face_px)
            keep = keep & (np.random.default_rng([seed, index, 2]).random(n) >= np.nan_to_num(lost))
        pose_noise = _normal(rng, noise.pose_sigma_deg, (n, 3))
        self.pose = np.stack([yaw, pitch, roll], axis=1) + pose_noise
        base = 0.95 - 0.25 * (s.view_angle_deg / detector.max_view_angle_deg) ** 2
        self.score = np.clip(base + _normal(rng, noise.score_sigma, (n,)), 0.5, 0.99)
        self.keep = keep
        self.body_box: np.ndarray | None = None
        self.body_keep: np.ndarray | None = None
        if bodies is not None:
            self._bodies(scene, s, bodies, noise, np.random.default_rng([seed, index, 1]))
        self.occupying: np.ndarray | None = None
        self.occupying_box: np.ndarray | None = None
        self.clothes: np.ndarray | None = None
        self.head_depth = np.nan_to_num(s.head_cam[:, 2], nan=np.inf)
        if presence is not None:
            self.occupying_box, self.occupying = body_boxes(scene, s, presence.body_model())
            if presence.clothes is not None:  # own generator: the other draws stay the same
                self.clothes = clothes_colour(np.random.default_rng([seed, index, 4]))

    def depth(self, frame: int) -> float:
        """True distance of the head from the camera along its axis (metres) on ``frame``."""
        return float(self.head_depth[frame - self.first])

    def occupancy_box(self, frame: int) -> tuple[float, float, float, float] | None:
        """The body box this person covers on the presence grid (pixels), if in view."""
        if self.occupying is None or self.occupying_box is None:
            return None
        i = frame - self.first
        if not self.occupying[i]:
            return None
        x0, y0, x1, y1 = (float(b) for b in self.occupying_box[i])
        return x0, y0, x1, y1

    def _bodies(self, scene: Scene, s: PersonSamples, model: BodyModel, noise: NoiseModel,
                rng: np.random.Generator) -> None:
        """Body boxes with their own noise (own generator: the faces' draws stay the same)."""
        boxes, visible = body_boxes(scene, s, model)
        n = len(boxes)
        if noise.noisy:
            visible = visible & (rng.random(n) >= model.dropout)
            width = np.nan_to_num(boxes[:, 2] - boxes[:, 0])
            boxes = boxes + rng.normal(0.0, model.jitter_frac, (n, 4)) * width[:, None]
            k = scene.layout.intrinsics
            boxes = np.stack([np.clip(boxes[:, 0], 0, k.width), np.clip(boxes[:, 1], 0, k.height),
                              np.clip(boxes[:, 2], 0, k.width), np.clip(boxes[:, 3], 0, k.height)],
                             axis=1)
            visible = visible & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        self.body_box = boxes
        self.body_keep = visible

    def body(self, frame: int, score: float) -> BodyBox | None:
        if self.body_box is None or self.body_keep is None:
            return None
        i = frame - self.first
        if not self.body_keep[i]:
            return None
        x0, y0, x1, y1 = (float(b) for b in self.body_box[i])
        return BodyBox(x0, y0, x1, y1, score)

    def face(self, frame: int) -> Face | None:
        i = frame - self.first
        if not self.keep[i]:
            return None
        yaw, pitch, roll = (float(a) for a in self.pose[i])
        return Face(
            bbox=tuple(float(b) for b in self.bbox[i]),  # type: ignore[arg-type]
            score=float(self.score[i]),
            yaw_deg=yaw,
            pitch_deg=pitch,
            roll_deg=roll,
            gaze=self.gaze[i],
            head_position_m=self.head[i],
            landmarks=None,
            rotation=rotation_from_euler(yaw, pitch, roll),
            has_mesh=True,
            range_uncertainty_rel=float(self.range_uncertainty[i]),
        )


def _dress(seen: list[tuple[_PersonFrames, Face]], active: list[_PersonFrames], frame: int,
           width: int, height: int, model: ClothesModel, rng: np.random.Generator | None
           ) -> None:
    """Give each face seen on ``frame`` the signature of its clothes (people in front
    of a chest spoil it with their own colours)."""
    bodies = []
    for pf in active:
        box = pf.occupancy_box(frame)
        if box is not None and pf.clothes is not None:
            bodies.append((box, pf.clothes, pf.depth(frame)))
    faces = [face.bbox for _, face in seen]
    chests = [ChestView(face.bbox, pf.clothes, pf.depth(frame),
                        tuple(nearer_bodies(face.bbox, faces)))
              for pf, face in seen if pf.clothes is not None]
    sigs = iter(model.signatures(chests, bodies, width, height, rng))
    for pf, face in seen:
        if pf.clothes is not None:
            face.appearance = next(sigs)


def render_frames(scene: Scene, noise: NoiseModel, seed: int = 0,
                  detector: DetectorModel | None = None,
                  bodies: BodyModel | None = None,
                  presence: PresenceModel | None = None) -> Iterator[FrameObservation]:
    """The scene as perception would report it, one frame at a time.

    ``bodies``: also report body boxes with this model (None: faces only).
    ``presence``: also report the occupancy grid with this model (None: no grid,
    as with ``perception.presence.enabled: false``).
    """
    detector = detector or DetectorModel()
    carried: list[BodyBox] = []
    fps = noise.fps
    n_frames = len(frame_times(scene.duration_s, fps))
    w, h = scene.layout.image_size
    pending: list[tuple[int, int, Person, int]] = []
    for index, person in enumerate(scene.people):
        first = max(0, math.ceil(person.path.start_t * fps - 1e-9))
        last = min(n_frames - 1, math.floor(person.path.end_t * fps + 1e-9))
        if last >= first:
            pending.append((first, index, person, last))
    heapq.heapify(pending)
    active: list[_PersonFrames] = []
    for frame in range(n_frames):
        while pending and pending[0][0] <= frame:
            first, index, person, last = heapq.heappop(pending)
            frames = np.arange(first, last + 1, dtype=np.float64)
            active.append(_PersonFrames(scene, index, person, frames, fps, noise, detector, seed,
                                        bodies, presence))
        seen = [(pf, face) for pf in active if (face := pf.face(frame)) is not None]
        if len(seen) > detector.max_faces:
            seen.sort(key=lambda pair: pair[1].size_px, reverse=True)
            seen = seen[: detector.max_faces]
        faces = [face for _, face in seen]
        if presence is not None and presence.clothes is not None and seen:
            _dress(seen, active, frame, w, h, presence.clothes,
                   np.random.default_rng([seed, frame, 5]) if noise.noisy else None)
        fresh = bodies is not None and frame % bodies.every_n_frames == 0
        if fresh:
            assert bodies is not None
            carried = [b for b in (pf.body(frame, bodies.score) for pf in active)
                       if b is not None]
        occupancy = None
        if presence is not None:
            boxes = [b for b in (pf.occupancy_box(frame) for pf in active) if b is not None]
            occupancy = occupancy_grid(boxes, w, h, presence, np.random.default_rng(
                [seed, frame, 3]) if noise.noisy else None)
        active = [pf for pf in active if pf.last > frame]
        t = frame / fps
        wall = None if scene.start_wall_time is None else scene.start_wall_time + t
        yield FrameObservation(index=frame, t=t, width=w, height=h, faces=faces, wall_time=wall,
                               bodies=list(carried), bodies_fresh=fresh, occupancy=occupancy)

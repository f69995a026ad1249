"""Frames of a rendered counter scene: the room, then people and occluders far to near.

Every person is sampled with the simulator's own :func:`frontdesk.sim.render.sample_person`
at the frame times (head position, gaze and the head's facing direction, in the
world and camera frames): the same numbers the simulator's observations and
ground truth are made from. Per frame the composer turns them into a head pose
(perception's convention, :func:`frontdesk.sim.world.euler_from_forward`, the
crown toward world up), eye angles (the gaze in the head frame) and a body
heading, and draws each person (:mod:`frontdesk.render.figure`) onto a copy of
the room (:mod:`frontdesk.render.backdrop`). The counter hides what stands
behind it. Then the lighting (gain, gamma, tint), a slight lens blur and
sensor noise.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from frontdesk.render.backdrop import Backdrop, draw_backdrop
from frontdesk.render.faces import PreparedLook, prepare_look
from frontdesk.render.figure import FigureBounds, FigureDrawer, PersonPose
from frontdesk.render.raster import Solid, fill_solid
from frontdesk.render.scene_file import Lighting, Occluder, RenderScene
from frontdesk.sim.render import DetectorModel, frame_times, sample_person
from frontdesk.sim.scene import Person
from frontdesk.sim.world import (
    WORLD_UP,
    euler_from_forward,
    head_forward_from_gaze,
    rotation_from_euler,
)

__all__ = ["SceneRenderer", "LIGHT_WORLD"]

log = logging.getLogger(__name__)

LIGHT_WORLD = np.array([-0.35, 0.25, -1.0])
"""Direction light travels (world frame): from the ceiling, a little from the camera's end."""

_WALKING_M_S = 0.15


@dataclass
class _Track:
    """One person's poses at every frame they are present in."""

    person_id: str
    look: PreparedLook
    present: np.ndarray
    poses: list[PersonPose | None]
    depth: np.ndarray


def _eye_angles(rotation: np.ndarray, gaze_cam: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) of the eyes in the head, so that with the head they look along the gaze."""
    g = rotation.T @ gaze_cam
    yaw = math.degrees(math.atan2(g[0], -g[2]))
    pitch = math.degrees(math.atan2(-g[1], math.hypot(g[0], g[2])))
    return yaw, pitch


def _box_solid() -> tuple[np.ndarray, np.ndarray]:
    """A unit cube (-1..1) as 6 quads, counter-clockwise from outside."""
    v = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
    quads = np.array([[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4],
                      [1, 5, 7, 3]], dtype=np.int64)
    return v, quads


class SceneRenderer:
    """Renders a :class:`~frontdesk.render.scene_file.RenderScene` frame by frame.

    Args:
        rs: the scene, looks and settings.
        detector: the simulator's detector model, used here only to sample the
            people (``sample_person``); default :class:`DetectorModel`.
    """

    def __init__(self, rs: RenderScene, detector: DetectorModel | None = None):
        self.rs = rs
        scene = rs.scene
        self.layout = scene.layout
        self.k = self.layout.intrinsics
        self.fps = rs.settings.fps
        self.times = frame_times(scene.duration_s, self.fps)
        self.size = self.layout.image_size
        self.backdrop: Backdrop = draw_backdrop(self.layout)
        self.drawer = FigureDrawer(self.layout.camera, self.k, LIGHT_WORLD)
        detector = detector or DetectorModel()
        self._tracks = [self._track(p, detector) for p in scene.people]
        self._lut = _lighting_lut(rs.settings.lighting)
        light = rs.settings.lighting
        self._shot = light.shot
        self._noise = (_noise_bank(self.size, light.noise, rs.settings.seed) if light.shot <= 0
                       else None)
        self._unit_noise = (_unit_noise_bank(self.size, rs.settings.seed) if light.shot > 0
                            else None)
        self._read_var = light.noise ** 2
        self._cube = _box_solid()
        # The last frame drawn before lighting and noise, and what it showed: a frame
        # showing the same is the same picture (people waiting stand still for
        # seconds, and about 60 % of the test scenes' frames repeat the one before).
        self._drawn: tuple[tuple[object, ...], np.ndarray] | None = None
        self.repeated = 0
        """Frames drawn by copying the one before (they showed the same)."""

    @property
    def n_frames(self) -> int:
        return len(self.times)

    def _track(self, person: Person, detector: DetectorModel) -> _Track:
        scene = self.rs.scene
        look = prepare_look(self.rs.looks[person.id])
        s = sample_person(scene, person, self.times, detector)
        forward_w = head_forward_from_gaze(s.gaze_world, detector.eye_pitch_range_deg)
        up_c = np.broadcast_to(self.layout.camera.directions_to_camera(WORLD_UP),
                               (len(self.times), 3))
        yaw, pitch, roll = euler_from_forward(s.forward_cam, up_c)
        speed = person.path.speed(self.times)
        walk = person.path.walk_heading_deg(self.times)
        facing = np.degrees(np.arctan2(forward_w[:, 1], forward_w[:, 0]))
        heading = np.where(speed > _WALKING_M_S, walk, facing)
        poses: list[PersonPose | None] = []
        for i in range(len(self.times)):
            if not s.present[i] or s.head_cam[i, 2] <= 0.3:
                poses.append(None)
                continue
            rot = rotation_from_euler(float(yaw[i]), float(pitch[i]), float(roll[i]))
            poses.append(PersonPose(head_cam=s.head_cam[i], rotation=rot,
                                    eye_deg=_eye_angles(rot, s.gaze_cam[i]),
                                    head_world=s.head_world[i],
                                    body_heading_deg=float(heading[i])))
        depth = np.linalg.norm(s.head_world - self.layout.camera.position_array, axis=1)
        return _Track(person.id, look, s.present, poses, depth)

    def _draw_occluder(self, canvas: np.ndarray, occ: Occluder, t: float) -> None:
        centre = occ.path.position(np.array([t]))[0]
        verts, quads = self._cube
        pts_w = centre + verts * (np.asarray(occ.size) / 2.0)
        pts_c = self.layout.camera.to_camera(pts_w)
        if np.any(pts_c[:, 2] <= 0.05):
            return
        solid = Solid(verts, quads)
        colours = np.broadcast_to(np.asarray(occ.colour, dtype=np.float64), (6, 3))
        fill_solid(canvas, pts_c, solid, colours, self.drawer.light_cam, self.k, ambient=0.6)

    def _hide_behind_counter(self, canvas: np.ndarray, box: FigureBounds, depth_m: float) -> None:
        if box.x1 <= box.x0 or box.y1 <= box.y0:
            return
        region = (slice(box.y0, box.y1), slice(box.x0, box.x1))
        hidden = self.backdrop.occluder_depth_m[region] < depth_m
        if hidden.any():
            canvas[region][hidden] = self.backdrop.image[region][hidden]

    def frame(self, i: int) -> np.ndarray:
        """Frame ``i`` (time ``i / fps``), BGR uint8 at the scene's size."""
        t = float(self.times[i])
        cam_pos = self.layout.camera.position_array
        # (distance, order, what, where): the last is everything the frame draws of it.
        items: list[tuple[float, int, _Track | Occluder, tuple[object, ...]]] = []
        for n, tr in enumerate(self._tracks):
            pose = tr.poses[i]
            if pose is not None:
                items.append((float(tr.depth[i]), n, tr, _pose_state(tr.person_id, pose)))
        for n, occ in enumerate(self.rs.settings.occluders):
            if occ.path.present(np.array([t]))[0]:
                # Order a box by its point nearest the camera: a box is bigger than a head.
                c = occ.path.position(np.array([t]))[0]
                half = np.asarray(occ.size) / 2.0
                nearest = np.clip(cam_pos, c - half, c + half)
                items.append((float(np.linalg.norm(nearest - cam_pos)), 1000 + n, occ,
                              (n, c.tobytes())))
        items.sort(key=lambda it: (-it[0], it[1]))
        shown = tuple(state for _, _, _, state in items)
        if self._drawn is not None and self._drawn[0] == shown:
            self.repeated += 1
            return self._finish(self._drawn[1], i)
        canvas = self.backdrop.image.copy()
        for _, _, item, _ in items:
            if isinstance(item, _Track):
                pose = item.poses[i]
                assert pose is not None
                _, box = self.drawer.draw(canvas, item.look, pose)
                self._hide_behind_counter(canvas, box, float(pose.head_cam[2]) - 0.15)
            else:
                self._draw_occluder(canvas, item, t)
        self._drawn = (shown, canvas)
        return self._finish(canvas, i)

    def _finish(self, canvas: np.ndarray, i: int) -> np.ndarray:
        """The camera on a drawing: a new array; ``canvas`` is not written (it may be
        the drawing the next frame reuses)."""
        if self._lut is not None:
            canvas = cv2.LUT(canvas, self._lut)
        canvas = cv2.GaussianBlur(canvas, (3, 3), 0.6)
        if self._noise is not None:
            pos, neg = self._noise[i % len(self._noise)]
            cv2.add(canvas, pos, dst=canvas)
            cv2.subtract(canvas, neg, dst=canvas)
        elif self._unit_noise is not None:  # read noise plus photon noise growing with signal
            signal = canvas.astype(np.float32)
            sigma = np.sqrt(self._read_var + self._shot * signal)
            signal += sigma * self._unit_noise[i % len(self._unit_noise)]
            canvas = np.clip(np.round(signal), 0, 255).astype(np.uint8)
        return canvas

    def frames(self) -> Iterator[np.ndarray]:
        for i in range(self.n_frames):
            yield self.frame(i)


def _pose_state(person_id: str, pose: PersonPose) -> tuple[object, ...]:
    """Everything a frame draws of one person: equal states draw equal pixels."""
    return (person_id, pose.head_cam.tobytes(), pose.rotation.tobytes(), pose.eye_deg,
            pose.head_world.tobytes(), pose.body_heading_deg)


def _lighting_lut(light: Lighting) -> np.ndarray | None:
    if light.gain == 1.0 and light.gamma == 1.0 and light.tint == (1.0, 1.0, 1.0):
        return None
    v = np.arange(256, dtype=np.float64) / 255.0
    lut = np.stack([255.0 * v**light.gamma * light.gain * c for c in light.tint], axis=1)
    return np.clip(np.round(lut), 0, 255).astype(np.uint8).reshape(256, 1, 3)


def _unit_noise_bank(size: tuple[int, int], seed: int, n: int = 3) -> list[np.ndarray]:
    """A few frames of unit Gaussian noise, scaled per pixel by the signal's noise."""
    w, h = size
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(size=(h, w, 3), dtype=np.float32) for _ in range(n)]


def _noise_bank(size: tuple[int, int], sigma: float, seed: int, n: int = 3
                ) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """A few frames of Gaussian sensor noise, split into its positive and negative parts."""
    if sigma <= 0:
        return None
    w, h = size
    rng = np.random.default_rng(seed)
    bank = []
    for _ in range(n):
        noise = rng.normal(0.0, sigma, size=(h, w, 3)).astype(np.float32)
        pos = np.clip(np.round(noise), 0, 255).astype(np.uint8)
        neg = np.clip(np.round(-noise), 0, 255).astype(np.uint8)
        bank.append((pos, neg))
    return bank

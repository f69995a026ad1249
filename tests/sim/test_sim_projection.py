"""Projection and head pose: a head placed by hand lands where the pinhole model says."""

from __future__ import annotations

import math

import numpy as np
import pytest

from frontdesk.sim.layout import DEFAULT_LAYOUT, CounterLayout
from frontdesk.sim.render import NOISE_PRESETS, DetectorModel, NoiseModel, render_frames
from frontdesk.sim.scene import GazeAction, HeadPath, Person, Scene, Waypoint
from frontdesk.sim.world import (
    CameraPose,
    euler_from_forward,
    rotation_from_euler,
    unit_rows,
)

# A level camera 1.6 m above the world origin looking along -x, 1280x720, 90 degrees:
# focal length 640 px, principal point (640, 360). Camera x = world +y, y = world -z,
# z = world -x.
LEVEL = CounterLayout(camera=CameraPose((0.0, 0.0, 1.6), 180.0, 0.0))


def _one_person_scene(layout: CounterLayout, at: tuple[float, float, float],
                      gaze: GazeAction) -> Scene:
    person = Person("p", "customer", HeadPath([Waypoint(0.0, at), Waypoint(1.0, at)]), [gaze])
    return Scene(layout=layout, people=[person], duration_s=1.0)


def _first_face(scene: Scene, noise: NoiseModel | None = None):  # type: ignore[no-untyped-def]
    obs = next(iter(render_frames(scene, noise or NOISE_PRESETS["none"], seed=0)))
    assert len(obs.faces) == 1
    return obs.faces[0]


def test_world_to_camera_axes() -> None:
    cam = LEVEL.camera
    p = cam.to_camera(np.array([[-2.0, 0.5, 1.3]]))[0]
    # 2 m in front, 0.5 m to the world's +y (image right), 0.3 m below the lens.
    assert p == pytest.approx([0.5, 0.3, 2.0])


def test_head_at_a_known_point_lands_on_the_right_pixel() -> None:
    scene = _one_person_scene(LEVEL, (-2.0, 0.5, 1.3), GazeAction(0.0, "camera", turn_s=0.0))
    face = _first_face(scene)
    u, v = face.center_px
    assert u == pytest.approx(640 + 640 * 0.5 / 2.0, abs=1e-9)  # 800
    assert v == pytest.approx(360 + 640 * 0.3 / 2.0, abs=1e-9)  # 456
    assert face.head_position_m == pytest.approx([0.5, 0.3, 2.0], abs=1e-9)
    # Bounding box width: a 15 cm face at 2 m.
    assert face.size_px == pytest.approx(640 * 0.15 / 2.0, rel=1e-6)


def test_tilted_camera_puts_the_optical_axis_at_the_image_centre() -> None:
    cam = DEFAULT_LAYOUT.camera
    d = 2.0
    tilt = math.radians(cam.tilt_down_deg)
    x, y, z = cam.position
    point = (x - d * math.cos(tilt), y, z - d * math.sin(tilt))
    px = DEFAULT_LAYOUT.project_world(np.array([point]))[0]
    assert px == pytest.approx([640.0, 360.0], abs=1e-6)


def test_gaze_into_the_lens_on_the_axis_gives_zero_yaw_and_pitch() -> None:
    scene = _one_person_scene(LEVEL, (-2.0, 0.0, 1.6), GazeAction(0.0, "camera", turn_s=0.0))
    face = _first_face(scene)
    assert face.gaze == pytest.approx([0.0, 0.0, -1.0], abs=1e-9)
    assert face.yaw_deg == pytest.approx(0.0, abs=1e-6)
    assert face.pitch_deg == pytest.approx(0.0, abs=1e-6)
    assert face.roll_deg == pytest.approx(0.0, abs=1e-6)


def test_turning_toward_the_images_right_is_positive_yaw() -> None:
    # Heading 0 faces the camera; +30 turns toward world +y, which is the image's right.
    scene = _one_person_scene(LEVEL, (-2.0, 0.0, 1.6),
                              GazeAction(0.0, "heading", heading_deg=30.0, turn_s=0.0))
    face = _first_face(scene)
    assert face.gaze[0] > 0  # looking toward the image's right
    assert face.yaw_deg == pytest.approx(30.0, abs=1e-6)


def test_looking_down_is_split_between_eyes_and_head() -> None:
    scene = _one_person_scene(LEVEL, (-2.0, 0.0, 1.6),
                              GazeAction(0.0, "heading", heading_deg=0.0, pitch_deg=-40.0,
                                         turn_s=0.0))
    face = _first_face(scene)
    assert face.gaze[1] == pytest.approx(math.sin(math.radians(40.0)), abs=1e-6)  # y down
    # Eyes take 15 degrees, the head tilts the other 25.
    assert face.pitch_deg == pytest.approx(-25.0, abs=1e-6)


def test_pose_angles_match_the_perception_convention() -> None:
    from frontdesk.perception.pose import euler_from_rotation

    rng = np.random.default_rng(3)
    forward = unit_rows(rng.normal(size=(20, 3)) + [0.0, 0.0, -2.0])
    up = np.broadcast_to(unit_rows(np.array([[0.1, -1.0, 0.05]])), forward.shape)
    yaw, pitch, roll = euler_from_forward(forward, up)
    for i in range(len(forward)):
        r = rotation_from_euler(yaw[i], pitch[i], roll[i])
        assert r @ np.array([0.0, 0.0, -1.0]) == pytest.approx(forward[i], abs=1e-9)
        assert euler_from_rotation(r) == pytest.approx((yaw[i], pitch[i], roll[i]), abs=1e-6)


@pytest.mark.parametrize("heading,seen", [(0.0, True), (55.0, True), (75.0, False), (180.0, False)])
def test_faces_turned_too_far_from_the_camera_are_not_detected(heading: float, seen: bool) -> None:
    scene = _one_person_scene(LEVEL, (-2.0, 0.0, 1.6),
                              GazeAction(0.0, "heading", heading_deg=heading, turn_s=0.0))
    obs = next(iter(render_frames(scene, NOISE_PRESETS["none"], seed=0)))
    assert (len(obs.faces) == 1) is seen


def test_far_faces_are_too_small_to_detect() -> None:
    near = _one_person_scene(LEVEL, (-4.0, 0.0, 1.6), GazeAction(0.0, "camera", turn_s=0.0))
    far = _one_person_scene(LEVEL, (-5.5, 0.0, 1.6), GazeAction(0.0, "camera", turn_s=0.0))
    # 640 * 0.15 / 4 = 24 px is detected; 640 * 0.15 / 5.5 = 17.5 px is below 20 px.
    assert len(next(iter(render_frames(near, NOISE_PRESETS["none"]))).faces) == 1
    assert len(next(iter(render_frames(far, NOISE_PRESETS["none"]))).faces) == 0
    assert DetectorModel().min_face_px == 20.0


def test_realistic_noise_has_the_stated_sizes() -> None:
    at = (-1.5, 0.0, 1.6)
    person = Person("p", "customer", HeadPath([Waypoint(0.0, at), Waypoint(400.0, at)]),
                    [GazeAction(0.0, "camera", turn_s=0.0)])
    scene = Scene(layout=LEVEL, people=[person], duration_s=400.0)
    noise = NOISE_PRESETS["realistic"]
    stated = (noise.gaze_sigma_deg, noise.dropout, noise.jitter_px, noise.fps)
    assert stated == (5.0, 0.10, 2.0, 15.0)
    frames = list(render_frames(scene, noise, seed=1))
    faces = [f for obs in frames for f in obs.faces]
    assert len(faces) / len(frames) == pytest.approx(0.90, abs=0.01)
    true_gaze = np.array([0.0, 0.0, -1.0])
    angles = np.degrees(np.arccos(np.clip([f.gaze @ true_gaze for f in faces], -1, 1)))
    # Two independent 5-degree axes: RMS angle 5 * sqrt(2).
    assert math.sqrt(np.mean(angles ** 2)) == pytest.approx(5.0 * math.sqrt(2), rel=0.05)
    centres = np.array([f.center_px for f in faces])
    # The centre is the mean of two eyes, each jittered by 2 px per axis.
    assert centres[:, 0].std() == pytest.approx(2.0 / math.sqrt(2), rel=0.08)
    # Depth comes from the eye spacing: 640 * 0.063 / 1.5 = 26.9 px, jittered by 2 * sqrt(2) px.
    z = np.array([f.head_position_m[2] for f in faces])
    iod_px = 640 * 0.063 / 1.5
    assert z.std() == pytest.approx(1.5 * (2.0 * math.sqrt(2)) / iod_px, rel=0.12)
    assert np.median(z) == pytest.approx(1.5, rel=0.01)

"""The camera's pose in the floor frame: construction, transforms, projection, config."""

from __future__ import annotations

import math

import numpy as np
import pytest

from frontdesk.camera_model import Intrinsics
from frontdesk.config import ConfigError, parse_config
from frontdesk.config.loading import default_config_dict
from frontdesk.sim.layout import DEFAULT_LAYOUT
from frontdesk.world import WorldPose, rotation_angle_deg

INTR = Intrinsics.from_fov(1280, 720, 90.0)


@pytest.mark.parametrize("heading, tilt, roll", [
    (180.0, 10.0, 0.0), (-35.0, 25.0, 4.0), (90.0, -5.0, -12.0), (270.0, 60.0, 170.0),
])
def test_angles_round_trip(heading: float, tilt: float, roll: float) -> None:
    pose = WorldPose.from_angles((0.8, 0.0, 1.9), heading, tilt, roll)
    again = WorldPose.from_angles(pose.position_m, *pose.angles_deg)
    assert rotation_angle_deg(pose.rotation, again.rotation) < 1e-6
    h, t, r = pose.angles_deg
    assert math.isclose(t, tilt, abs_tol=1e-9)
    assert math.isclose(r, roll, abs_tol=1e-9)
    assert math.isclose(math.remainder(h - heading, 360.0), 0.0, abs_tol=1e-9)


def test_straight_down_keeps_the_image_top_on_the_heading() -> None:
    pose = WorldPose.from_angles((0.0, 0.0, 3.0), 30.0, 90.0)
    again = WorldPose.from_angles(pose.position_m, *pose.angles_deg)
    assert rotation_angle_deg(pose.rotation, again.rotation) < 1e-6
    top = pose.project(np.array([[math.cos(math.radians(30)), math.sin(math.radians(30)), 0.0]]),
                       INTR)[0]
    assert top[1] < INTR.cy and abs(top[0] - INTR.cx) < 1e-6


def test_same_frame_as_the_simulator_camera() -> None:
    cam = DEFAULT_LAYOUT.camera
    pose = WorldPose.from_angles(cam.position, cam.heading_deg, cam.tilt_down_deg)
    assert np.allclose(pose.rotation, cam.rotation, atol=1e-12)
    heads = np.array([[0.0, 0.6, 1.65], [0.0, -0.6, 1.6], [-2.3, 0.85, 1.7]])
    assert np.allclose(pose.project(heads, INTR), DEFAULT_LAYOUT.project_world(heads), atol=1e-9)


def test_camera_and_world_round_trip_and_opencv_agree() -> None:
    import cv2

    pose = WorldPose.from_angles((0.3, 2.6, 2.1), -100.0, 20.0, 3.0)
    pts = np.random.default_rng(0).uniform([-2, -1, 0], [2, 2, 2], size=(20, 3))
    assert np.allclose(pose.to_world(pose.to_camera(pts)), pts)
    rvec, tvec = pose.opencv
    ref, _ = cv2.projectPoints(pts, rvec, tvec, INTR.matrix, None)
    px = pose.project(pts, INTR)
    ahead = pose.to_camera(pts)[:, 2] > 0
    assert np.allclose(px[ahead], ref.reshape(-1, 2)[ahead], atol=1e-6)
    assert np.isnan(px[~ahead]).all()
    back = WorldPose.from_opencv(rvec, tvec)
    assert np.allclose(back.position_m, pose.position_m)
    assert rotation_angle_deg(back.rotation, pose.rotation) < 1e-6


def test_look_at_centres_the_target() -> None:
    pose = WorldPose.look_at((-0.4, 2.6, 2.1), (-0.2, -0.6, 1.6))
    px = pose.project(np.array([[-0.2, -0.6, 1.6]]), INTR)[0]
    assert np.allclose(px, (INTR.cx, INTR.cy), atol=1e-9)
    assert abs(pose.angles_deg[2]) < 1e-9


def test_projection_with_distortion_uses_the_lens() -> None:
    bent = Intrinsics(640.0, 640.0, 640.0, 360.0, 1280, 720, (-0.2, 0.05, 0.0, 0.0, 0.0))
    pose = WorldPose.from_angles((0.8, 0.0, 1.9), 180.0, 10.0)
    corner = np.array([[-1.0, 1.0, 1.2]])
    assert np.linalg.norm(pose.project(corner, bent) - pose.project(corner, INTR)) > 5.0


def test_point_at_height_inverts_projection() -> None:
    pose = WorldPose.from_angles((0.8, 0.0, 1.9), 180.0, 10.0)
    head = np.array([-1.5, 0.85, 1.7])
    u, v = pose.project(head[None], INTR)[0]
    back = pose.point_at_height(u, v, INTR, 1.7)
    assert back is not None and np.allclose(back, head, atol=1e-9)
    assert pose.point_at_height(INTR.cx, 0.0, INTR, 1.0) is None  # that ray rises: never at 1 m


def test_rotation_must_be_proper() -> None:
    with pytest.raises(ValueError, match="rotation"):
        WorldPose(np.diag([1.0, 1.0, -1.0]), np.zeros(3))


def _with_pose(pose: object) -> str:
    import yaml

    d = default_config_dict()
    d["camera"] = {"pose": pose}
    return yaml.safe_dump(d, sort_keys=False)


def test_config_pose_is_optional_and_read() -> None:
    import yaml

    assert parse_config(yaml.safe_dump(default_config_dict())).camera.pose is None
    cfg = parse_config(_with_pose({"position_m": [0.8, 0.0, 1.9], "heading_deg": 180,
                                   "tilt_down_deg": 10}))
    assert cfg.camera.pose is not None
    pose = WorldPose.from_config(cfg.camera.pose)
    assert np.allclose(pose.rotation, DEFAULT_LAYOUT.camera.rotation, atol=1e-12)
    stored = parse_config(_with_pose(pose.config_values(0.4))).camera.pose
    assert stored is not None and stored.reprojection_error_px == 0.4


@pytest.mark.parametrize("pose, words", [
    ({"position_m": [0.8, 0.0, -0.5], "heading_deg": 180, "tilt_down_deg": 10}, "above the floor"),
    ({"position_m": [0.8, 0.0, 1.9], "heading_deg": 180, "tilt_down_deg": 100}, "less than or"),
    ({"position_m": [0.8, 0.0, 1.9], "heading_deg": 180}, "required key is missing"),
    ({"position_m": [0.8, 0.0, 1.9], "heading_deg": 180, "tilt_down_deg": 5, "yaw": 3},
     "unknown key"),
])
def test_config_pose_errors_name_the_key(pose: dict, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(_with_pose(pose))
    assert "camera.pose" in str(info.value) and words in str(info.value)


def test_config_pose_error_names_the_line(tmp_path) -> None:
    from frontdesk.config import load_config

    text = (tmp_path / "c.yaml")
    d = _with_pose({"position_m": [0.8, 0.0, -1.0], "heading_deg": 180, "tilt_down_deg": 10})
    text.write_text(d, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(text)
    lines = text.read_text().splitlines()
    n = next(i for i, line in enumerate(lines, 1) if "position_m" in line)
    assert f"c.yaml:{n}: camera.pose.position_m" in str(info.value)

"""Pure geometry of perception: rotations, PnP, the face model, gaze, depth, crops.

No MediaPipe here: inputs are made by projecting the face model through known
poses, so every expected value is exact.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mediapipe.framework.formats import landmark_pb2

from frontdesk.camera_model import Intrinsics
from frontdesk.perception.depth import depth_from_iris, fuse_depth
from frontdesk.perception.face_model import (
    ANTHROPOMETRIC,
    DEFAULT_FACE_MODEL,
    MESH_DERIVED,
    FaceModel,
    head_frame,
)
from frontdesk.perception.gaze import (
    MAX_EYE_ROTATION_DEG,
    combine_gaze,
    eye_gaze,
    eye_weight,
    far_eye_weight,
)
from frontdesk.perception.landmarks import MIRROR_PAIRS
from frontdesk.perception.mediapipe_faces import landmarks_array, mesh_crop
from frontdesk.perception.pose import (
    euler_from_rotation,
    forward_vector,
    rotation_from_euler,
    solve_head_pose,
)
from frontdesk.perception.timing import StageTimes

K = Intrinsics.from_fov(640, 480, 90.0)
angles = st.floats(min_value=-75.0, max_value=75.0, allow_nan=False)


# --------------------------------------------------------------------------- conventions


@settings(max_examples=200, deadline=None)
@given(angles, angles, angles)
def test_euler_round_trip(yaw: float, pitch: float, roll: float) -> None:
    r = rotation_from_euler(yaw, pitch, roll)
    assert np.allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.isclose(np.linalg.det(r), 1.0)
    got = euler_from_rotation(r)
    assert np.allclose(got, (yaw, pitch, roll), atol=1e-9)


@pytest.mark.parametrize(
    ("yaw", "pitch", "roll", "check"),
    [
        (0, 0, 0, lambda f, x: np.allclose(f, [0, 0, -1])),
        (20, 0, 0, lambda f, x: f[0] > 0.3),  # turned toward image right
        (-20, 0, 0, lambda f, x: f[0] < -0.3),
        (0, 20, 0, lambda f, x: f[1] < -0.3),  # tilted up: forward points up (y < 0)
        (0, -20, 0, lambda f, x: f[1] > 0.3),
        (0, 0, 20, lambda f, x: x[1] > 0.3),  # eye line clockwise: its right end goes down
        (0, 0, -20, lambda f, x: x[1] < -0.3),
    ],
)
def test_angle_signs(yaw: float, pitch: float, roll: float, check: object) -> None:
    r = rotation_from_euler(yaw, pitch, roll)
    assert check(forward_vector(r), r[:, 0])  # type: ignore[operator]


# --------------------------------------------------------------------------- PnP


@settings(max_examples=60, deadline=None)
@given(
    st.floats(-50, 50), st.floats(-35, 35), st.floats(-30, 30),
    st.floats(-0.8, 0.8), st.floats(-0.5, 0.5), st.floats(0.6, 4.0),
)
def test_pnp_recovers_a_projected_model(
    yaw: float, pitch: float, roll: float, x: float, y: float, z: float
) -> None:
    rot = rotation_from_euler(yaw, pitch, roll)
    t = np.array([x * z * 0.5, y * z * 0.5, z])
    pts = DEFAULT_FACE_MODEL.points_mm / 1000.0
    image = K.project(pts @ rot.T + t)
    pose = solve_head_pose(pts, image, K.matrix)
    assert pose is not None
    assert np.allclose(euler_from_rotation(pose.rotation), (yaw, pitch, roll), atol=0.05)
    assert np.allclose(pose.translation_m, t, rtol=1e-3, atol=1e-4)
    assert pose.reprojection_px < 0.01


def test_pnp_reports_its_reprojection_error() -> None:
    pts = DEFAULT_FACE_MODEL.points_mm / 1000.0
    rot, t = rotation_from_euler(10, 5, 0), np.array([0.1, 0.0, 1.0])
    exact = K.project(pts @ rot.T + t)
    noisy = exact + np.random.default_rng(1).normal(0, 1.0, exact.shape)
    clean_pose = solve_head_pose(pts, exact, K.matrix)
    noisy_pose = solve_head_pose(pts, noisy, K.matrix)
    assert clean_pose is not None and noisy_pose is not None
    assert clean_pose.reprojection_px < 1e-3
    # Six pose parameters absorb a little of the noise: RMS a bit under 1 px x sqrt(2).
    assert 0.8 < noisy_pose.reprojection_px < 1.5
    assert np.allclose(euler_from_rotation(noisy_pose.rotation), (10, 5, 0), atol=3.0)


# --------------------------------------------------------------------------- face model


@pytest.mark.parametrize("model", [MESH_DERIVED, ANTHROPOMETRIC], ids=lambda m: m.name)
def test_face_models_are_symmetric_and_scaled(model: FaceModel) -> None:
    ids = list(model.landmark_ids)
    for right, left in MIRROR_PAIRS:
        if right in ids and left in ids:
            a, b = model.points_mm[ids.index(right)], model.points_mm[ids.index(left)]
            assert np.allclose(a * [-1, 1, 1], b), (right, left)
    assert model.interpupillary_mm == pytest.approx(63.0)
    assert model.right_pupil_mm[0] < 0 < model.left_pupil_mm[0]
    nose = model.points_mm[ids.index(1)]
    assert nose[2] < -25  # the nose tip is in front of the eyes (the head looks along -z)
    assert 15 <= len(ids) <= 30
    half = model.scaled_to(31.5)
    assert np.allclose(half.points_mm, model.points_mm / 2)


def _model_cloud() -> np.ndarray:
    """478 points: the model's landmarks where it has them, symmetric fillers elsewhere."""
    cloud = np.zeros((478, 3))
    ids = list(MESH_DERIVED.landmark_ids)
    cloud[ids] = MESH_DERIVED.points_mm
    for k, (right, left) in enumerate(MIRROR_PAIRS):
        if right not in ids:
            cloud[right] = [-50.0 - k, 10.0 + k, 20.0 + k]
            cloud[left] = [50.0 + k, 10.0 + k, 20.0 + k]
    return cloud


def test_head_frame_of_the_model_is_its_own_frame() -> None:
    axes, origin = head_frame(_model_cloud())
    assert np.degrees(np.arccos(np.clip(np.diag(axes), -1, 1))).max() < 1.0
    assert np.linalg.norm(origin) < 0.5


@settings(max_examples=50, deadline=None)
@given(angles, angles, angles)
def test_head_frame_turns_with_the_head(yaw: float, pitch: float, roll: float) -> None:
    cloud = _model_cloud()
    rot, t = rotation_from_euler(yaw, pitch, roll), np.array([5.0, -3.0, 400.0])
    axes0, origin0 = head_frame(cloud)
    axes, origin = head_frame(cloud @ rot.T + t)
    assert np.allclose(axes, axes0 @ rot.T, atol=1e-9)
    assert np.allclose(origin, rot @ origin0 + t, atol=1e-9)


# --------------------------------------------------------------------------- gaze


def _eye_setup(rot: np.ndarray, t: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    pupil = MESH_DERIVED.left_pupil_mm / 1000.0
    center = rot @ (pupil + [0, 0, radius]) + t
    return pupil, center


@pytest.mark.parametrize("head_yaw", [-30.0, 0.0, 25.0])
def test_iris_at_rest_gives_the_head_direction(head_yaw: float) -> None:
    rot, t, r = rotation_from_euler(head_yaw, 5.0, 0.0), np.array([0.1, 0.0, 0.8]), 0.008
    pupil, center = _eye_setup(rot, t, r)
    ray = rot @ pupil + t
    g = eye_gaze(ray / np.linalg.norm(ray), center, r, forward_vector(rot))
    assert np.allclose(g, forward_vector(rot), atol=1e-9)


@pytest.mark.parametrize("eye_yaw", [-30.0, -10.0, 10.0, 30.0])
def test_a_turned_eye_is_read_back(eye_yaw: float) -> None:
    rot, t, r = rotation_from_euler(-15.0, 0.0, 0.0), np.array([0.0, 0.1, 1.2]), 0.008
    pupil, center = _eye_setup(rot, t, r)
    turned = rot @ rotation_from_euler(eye_yaw, 0.0, 0.0) @ np.array([0, 0, -r])
    iris = center + turned
    g = eye_gaze(iris / np.linalg.norm(iris), center, r, forward_vector(rot))
    assert np.allclose(g, turned / r, atol=1e-9)
    in_head = rot.T @ g
    assert math.degrees(math.atan2(in_head[0], -in_head[2])) == pytest.approx(eye_yaw, abs=1e-6)


def test_eye_rotation_is_clamped() -> None:
    r, center = 0.008, np.array([0.0, 0.0, 1.0])
    forward = np.array([0.0, 0.0, -1.0])
    far_off = np.array([0.03, 0.0, 1.0])  # a ray that misses the eyeball entirely
    g = eye_gaze(far_off / np.linalg.norm(far_off), center, r, forward)
    angle = math.degrees(math.acos(float(g @ forward)))
    assert angle == pytest.approx(MAX_EYE_ROTATION_DEG, abs=1e-6)
    assert g[0] > 0


def test_gaze_weights() -> None:
    assert eye_weight(1.0) == 0.0 and eye_weight(10.0) == 1.0 and 0 < eye_weight(3.0) < 1
    assert far_eye_weight(10.0) == 1.0 and far_eye_weight(-60.0) == 0.0
    rot = rotation_from_euler(0, 0, 0)
    right = np.array([0.3, 0.0, -1.0]) / np.linalg.norm([0.3, 0.0, -1.0])
    # tiny eyes: the head's forward direction wins
    assert np.allclose(combine_gaze(rot, 0.0, (right, right), 1.0), [0, 0, -1])
    assert np.allclose(combine_gaze(rot, 0.0, (right, right), 10.0), right)
    # head turned far right (yaw 60): the left (far) eye is ignored
    left_only = combine_gaze(rot, 60.0, (right, np.array([-1.0, 0.0, 0.0])), 10.0)
    assert np.allclose(left_only, right)


# --------------------------------------------------------------------------- depth


def test_depth_from_iris() -> None:
    # An 11.7 mm iris 10 px wide through a 500 px lens is 0.585 m away.
    assert depth_from_iris(10.0, 500.0, 11.7) == pytest.approx(0.585)
    assert depth_from_iris(10.0, 500.0, 11.7, foreshortening=0.5) == pytest.approx(
        0.585 * math.cos(math.radians(45))
    )
    with pytest.raises(ValueError):
        depth_from_iris(0.0, 500.0, 11.7)


def test_fuse_depth_leans_on_the_better_estimate() -> None:
    big_iris = fuse_depth(1.0, 1.2, iris_px=40.0, interpupillary_px=200.0)
    tiny_iris = fuse_depth(1.0, 1.2, iris_px=1.0, interpupillary_px=10.0)
    assert 1.0 < tiny_iris < big_iris < 1.2
    assert tiny_iris - 1.0 < 0.02
    assert fuse_depth(1.0, None, 5.0, 30.0) == 1.0


# --------------------------------------------------------------------------- crops


@pytest.mark.parametrize(
    "bbox", [(100.0, 80.0, 160.0, 140.0), (5.0, 300.0, 85.0, 380.0), (560.0, 10.0, 639.0, 89.0)]
)
def test_crop_maps_landmarks_back_to_the_frame(bbox: tuple[float, float, float, float]) -> None:
    frame = np.zeros((480, 640, 3), np.uint8)
    cx, cy = int((bbox[0] + bbox[2]) / 2) + 7, int((bbox[1] + bbox[3]) / 2) - 5
    frame[cy - 1:cy + 2, cx - 1:cx + 2] = 255  # a 3x3 white dot around (cx, cy)
    crop = mesh_crop(bbox)
    image = crop.cut(frame)
    assert image.shape == (crop.size_px, crop.size_px, 3) and image.flags["C_CONTIGUOUS"]
    ys, xs = np.nonzero(image[:, :, 0] > 60)
    w = image[ys, xs, 0].astype(float)
    normalized = np.array([[
        (np.average(xs, weights=w) + 0.5) / crop.size_px,
        (np.average(ys, weights=w) + 0.5) / crop.size_px,
        0.1,
    ]])
    back = crop.to_frame(normalized)[0]
    assert back[0] == pytest.approx(cx + 0.5, abs=0.6)
    assert back[1] == pytest.approx(cy + 0.5, abs=0.6)
    assert back[2] == pytest.approx(0.1 * crop.side)


def test_fast_landmark_parsing_matches_protobuf_fields() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(0, 1, (478, 3)).astype(np.float32)
    values[5] = 0.0  # zeros are still serialised (explicit presence)
    plain = landmark_pb2.NormalizedLandmarkList()
    for x, y, z in values:
        plain.landmark.add(x=float(x), y=float(y), z=float(z))
    assert np.array_equal(landmarks_array(plain), values.astype(np.float64))
    with_visibility = landmark_pb2.NormalizedLandmarkList()
    for x, y, z in values:
        with_visibility.landmark.add(x=float(x), y=float(y), z=float(z), visibility=0.5)
    assert np.array_equal(landmarks_array(with_visibility), values.astype(np.float64))


def test_stage_times() -> None:
    times = StageTimes()
    for ms in (2.0, 4.0):
        times.add("detect", ms)
        times.add("mesh", 1.0)
        times.add("mesh", 2.0)
        times.end_frame()
    times.add("decode", 6.0)
    assert times.mean_ms() == {"decode": 3.0, "detect": 3.0, "mesh": 3.0}
    assert list(times.mean_ms()) == ["decode", "detect", "mesh"]
    with pytest.raises(ValueError):
        times.add("pose", -1.0)
    times.reset()
    assert times.mean_ms() == {} and times.frames == 0


def test_pinning_to_one_core_in_a_child_process() -> None:
    from frontdesk.bench.cpu import allowed_cpus, least_busy_cpu

    cpu = least_busy_cpu(sample_s=0.05)
    assert cpu in allowed_cpus()
    code = (
        "import os, threading\n"
        "from frontdesk.bench.cpu import pin_to_cpu\n"
        f"assert pin_to_cpu({cpu})\n"
        "seen = []\n"
        "t = threading.Thread(target=lambda: seen.append(os.sched_getaffinity(0)))\n"
        "t.start(); t.join()\n"
        "print(sorted(os.sched_getaffinity(0)), sorted(seen[0]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"[{cpu}] [{cpu}]"

"""The head-height prior: hand-placed heads and cameras, faces whose size is misread."""

from __future__ import annotations

import math

import numpy as np
import pytest

from frontdesk.config import CameraConfig, CameraPoseConfig, PerceptionConfig
from frontdesk.perception.height_prior import (
    apply_height_prior,
    ray_band_m,
    truncated_log_normal,
)
from frontdesk.perception.perceiver import FacePerceiver
from frontdesk.types import Face, Frame
from frontdesk.world import WorldPose

# Cameras that look down at the customers: high over the counter's end (2.8 m up)
# and on the ceiling facing the staff (3 m up); and the default one beside the
# counter at 1.9 m, about 0.2 m above the heads.
HIGH = WorldPose.look_at((0.8, 0.0, 2.8), (-1.0, 0.6, 1.4))
CEILING = WorldPose.look_at((0.0, 1.5, 3.0), (0.0, 0.6, 1.5))
BESIDE = WorldPose.from_angles((0.8, 0.0, 1.9), 180.0, 10.0)
MISREAD_UNCERTAINTY = 0.5
"""What :func:`~frontdesk.perception.depth.depth_uncertainty` reports at most: a face
whose irises and eye spacing disagree."""


def _camera_frame(pose: WorldPose, head_world: list[float]) -> np.ndarray:
    return pose.to_camera(np.array([head_world]))[0]


def _covered(placed: np.ndarray, truth: np.ndarray, uncertainty: float) -> bool:
    return abs(math.log(np.linalg.norm(placed) / np.linalg.norm(truth))) <= uncertainty


@pytest.mark.parametrize("misread", [0.7, 1.3])
@pytest.mark.parametrize("head", [[-1.2, 0.6, 1.7], [0.0, 0.6, 1.7], [-0.3, 0.7, 1.7]])
@pytest.mark.parametrize("pose", [HIGH, CEILING], ids=["high", "ceiling"])
def test_a_face_misread_by_30_percent_is_placed_within_35_cm(
        pose: WorldPose, head: list[float], misread: float) -> None:
    """A head 1.7 m up (mid-band) whose size is read 30 % off is 0.45 to 0.75 m
    from the truth along its ray; with the prior, within 35 cm, and the reported
    uncertainty still covers the truth."""
    true_cam = _camera_frame(pose, head)
    seen = true_cam * misread
    before = float(np.linalg.norm(seen - true_cam))
    placed, uncertainty = apply_height_prior(seen, MISREAD_UNCERTAINTY, pose)
    after = float(np.linalg.norm(placed - true_cam))
    assert before > 0.44 and after < 0.35 and after < 0.7 * before, (before, after)
    # The head stays on its ray (its image position is right) and in the band.
    assert np.allclose(placed / np.linalg.norm(placed), true_cam / np.linalg.norm(true_cam))
    assert 1.4 <= pose.to_world(placed[None])[0, 2] <= 2.0
    assert uncertainty < MISREAD_UNCERTAINTY and _covered(placed, true_cam, uncertainty)


@pytest.mark.parametrize("misread", [0.7, 1.3])
@pytest.mark.parametrize("head", [[-1.5, 0.85, 1.55], [-0.8, 0.6, 1.85]])
@pytest.mark.parametrize("pose", [HIGH, CEILING], ids=["high", "ceiling"])
def test_short_and_tall_heads_come_nearer_and_stay_covered(
        pose: WorldPose, head: list[float], misread: float) -> None:
    """Near the band's edges the prior helps less (it knows heights only to 0.6 m),
    but it never makes things worse and the uncertainty still covers the truth."""
    true_cam = _camera_frame(pose, head)
    seen = true_cam * misread
    placed, uncertainty = apply_height_prior(seen, MISREAD_UNCERTAINTY, pose)
    assert np.linalg.norm(placed - true_cam) < 0.8 * np.linalg.norm(seen - true_cam)
    assert _covered(placed, true_cam, uncertainty)


def test_a_well_read_face_barely_moves() -> None:
    true_cam = _camera_frame(HIGH, [-1.2, 0.6, 1.7])
    after, uncertainty = apply_height_prior(true_cam * 1.02, 0.08, HIGH)
    assert np.linalg.norm(after - true_cam * 1.02) < 0.01
    assert uncertainty == pytest.approx(0.08, rel=0.05)


def test_a_camera_at_head_height_learns_nothing() -> None:
    """Beside the counter, 0.2 m above the customer: the band covers every distance
    a misread face is put at, so the head stays where its size put it."""
    true_cam = _camera_frame(BESIDE, [0.0, 0.6, 1.7])
    seen = true_cam * 1.3
    after, uncertainty = apply_height_prior(seen, 0.35, BESIDE)
    assert np.linalg.norm(after - seen) < 0.03
    assert uncertainty > 0.3


def test_a_head_read_under_the_band_comes_back_to_it() -> None:
    """Read twice as far: the ray would put it 0.6 m above the floor; with an
    uncertainty too small to cover the band it goes to the band's edge."""
    true_cam = _camera_frame(HIGH, [-1.2, 0.6, 1.7])
    after, _ = apply_height_prior(true_cam * 2.0, 0.1, HIGH)
    height = HIGH.to_world(after[None])[0, 2]
    assert height == pytest.approx(1.4, abs=0.01)


def test_no_crossing_leaves_the_face_alone() -> None:
    """A ray rising from a camera 3 m up never comes down to the band: unchanged."""
    up = WorldPose.from_angles((0.0, 0.0, 3.0), 0.0, -30.0)
    p = np.array([0.0, 0.0, 2.0])
    after, u = apply_height_prior(p, 0.2, up)
    assert np.array_equal(after, p) and u == 0.2


def test_ray_band() -> None:
    assert ray_band_m(2.8, -0.5, (1.4, 2.0)) == pytest.approx((1.6, 2.8))
    assert ray_band_m(1.7, 0.0, (1.4, 2.0))[1] == math.inf
    assert ray_band_m(3.0, 0.0, (1.4, 2.0)) is None
    assert ray_band_m(1.9, -0.2, (1.4, 2.0)) == pytest.approx((0.2, 2.5))


def test_truncated_log_normal_matches_sampling() -> None:
    rng = np.random.default_rng(0)
    mu, sigma, near, far = math.log(2.0), 0.2, 1.7, 2.9
    draws = rng.normal(mu, sigma, 400_000)
    kept = draws[(draws >= math.log(near)) & (draws <= math.log(far))]
    mean, sd = truncated_log_normal(mu, sigma, near, far)
    assert mean == pytest.approx(kept.mean(), abs=2e-3)
    assert sd == pytest.approx(kept.std(), abs=2e-3)


def test_the_perceiver_holds_a_real_face_to_head_height(
    astronaut_bgr: np.ndarray, astronaut_face: Face, camera_cfg: CameraConfig,
) -> None:
    """MediaPipe on the astronaut photograph, through a camera looking down, posed so
    that her size-read distance would put her head 2.3 m above the floor: with the
    pose the head moves along its ray, further off, into the band; without one (the
    session's perceiver) it stays where its size put it, as before poses existed."""
    tilt = 35.0
    pose0 = WorldPose.from_angles((0.0, 0.0, 0.0), 0.0, tilt)
    ray = pose0.directions_to_world(astronaut_face.head_position_m)[0]
    camera_height = 2.3 - float(ray[2])  # the read position's height, 2.3 m
    posed_cfg = camera_cfg.model_copy(update={"pose": CameraPoseConfig(
        position_m=(0.0, 0.0, camera_height), heading_deg=0.0, tilt_down_deg=tilt)})
    with FacePerceiver(PerceptionConfig.model_validate({}), posed_cfg) as perceiver:
        faces = perceiver.process(Frame(np.ascontiguousarray(astronaut_bgr), 0.0, 0)).faces
    assert len(faces) == 1
    posed = faces[0]
    world = WorldPose.from_config(posed_cfg.pose)
    height = float(world.to_world(posed.head_position_m[None])[0, 2])
    assert 1.95 <= height <= 2.0  # the band's top: her size said "higher still"
    ray_before = astronaut_face.head_position_m / np.linalg.norm(astronaut_face.head_position_m)
    ray_after = posed.head_position_m / np.linalg.norm(posed.head_position_m)
    assert np.allclose(ray_before, ray_after, atol=1e-9)
    assert posed.range_uncertainty <= astronaut_face.range_uncertainty
    assert np.linalg.norm(posed.head_position_m) > np.linalg.norm(astronaut_face.head_position_m)

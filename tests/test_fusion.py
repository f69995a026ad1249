"""Fusion's first steps: heads of several cameras in one world, associated into people
by where their rays meet and by capture time. Hand-placed cameras and heads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from frontdesk.camera_model import Intrinsics
from frontdesk.fusion import WorldHead, fuse_heads, heads_in_world, nearest_point_to_rays
from frontdesk.types import Face, FrameObservation
from frontdesk.world import WorldPose

INTR = Intrinsics.from_fov(1280, 720, 90.0)
CAMERAS = {
    "side": WorldPose.look_at((0.8, 0.0, 1.9), (-1.5, 0.3, 1.6)),
    "front": WorldPose.look_at((-0.4, 2.6, 2.1), (-0.2, -0.6, 1.6)),
}
STAFF = np.array([0.0, -0.6, 1.62])
CUSTOMER = np.array([0.0, 0.6, 1.7])
QUEUED = np.array([-1.6, 0.85, 1.65])


def _face(pose: WorldPose, head_world: np.ndarray, range_factor: float,
          uncertainty: float = 0.2) -> Face:
    """A face as perception reports it: on the true ray, its distance misread by
    ``range_factor``, facing the camera."""
    cam = pose.to_camera(head_world[None])[0] * range_factor
    u, v = INTR.project(cam[None])[0]
    return Face(bbox=(u - 20, v - 20, u + 20, v + 20), score=0.9, yaw_deg=0.0, pitch_deg=0.0,
                roll_deg=0.0, gaze=-cam / np.linalg.norm(cam), head_position_m=cam,
                range_uncertainty_rel=uncertainty)


def _obs(t: float, faces: list[Face]) -> FrameObservation:
    return FrameObservation(index=0, t=t, width=1280, height=720, faces=faces)


def _heads(camera: str, t: float, people: list[tuple[np.ndarray, float]],
           uncertainty: float = 0.2) -> list[WorldHead]:
    pose = CAMERAS[camera]
    faces = [_face(pose, p, k, uncertainty) for p, k in people]
    return heads_in_world(_obs(t, faces), camera, pose)


def test_heads_in_world_put_each_face_on_its_ray() -> None:
    (head,) = _heads("side", 1.0, [(CUSTOMER, 1.25)])
    origin = CAMERAS["side"].position_m
    assert np.allclose(head.origin_m, origin)
    assert np.allclose(head.ray, (CUSTOMER - origin) / np.linalg.norm(CUSTOMER - origin))
    assert head.range_m == pytest.approx(1.25 * np.linalg.norm(CUSTOMER - origin))
    assert head.range_sd_m == pytest.approx(head.range_m * 0.1)
    assert np.allclose(head.gaze, -head.ray)  # the face looked at the camera


def test_two_cameras_triangulate_a_head_whose_size_both_misread() -> None:
    """Each camera reads the customer's distance 20 to 25 % off (1.0 and 0.5 m
    wrong); where their rays meet is within a centimetre of her head."""
    heads = _heads("side", 1.00, [(CUSTOMER, 1.25)]) + _heads("front", 0.98, [(CUSTOMER, 0.8)])
    (person,) = fuse_heads(heads, t=1.0)
    assert person.camera_ids == ("side", "front")
    assert np.linalg.norm(person.position_m - CUSTOMER) < 0.01
    assert max(np.linalg.norm(h.position_m - CUSTOMER) for h in person.heads) > 0.2
    assert person.t == 1.0


def test_people_seen_by_one_camera_stay_themselves_and_nobody_is_merged_twice() -> None:
    side = _heads("side", 2.0, [(STAFF, 1.1), (CUSTOMER, 0.9), (QUEUED, 1.0)])
    front = _heads("front", 1.95, [(STAFF, 0.9), (CUSTOMER, 1.15)])
    people = fuse_heads(side + front, t=2.0)
    assert [p.camera_ids for p in people] == [("side", "front"), ("side", "front"), ("side",)]
    for person, truth in zip(people, (STAFF, CUSTOMER, QUEUED), strict=True):
        assert np.linalg.norm(person.position_m - truth) < 0.15
    assert people[2].spread_m == 0.0


def test_capture_time_decides_and_a_dropped_camera_leaves_the_other() -> None:
    side = _heads("side", 3.0, [(CUSTOMER, 1.0)])
    old_front = _heads("front", 2.5, [(CUSTOMER, 1.0)])  # the front camera stopped at 2.5 s
    (person,) = fuse_heads(side + old_front, t=3.0)
    assert person.camera_ids == ("side",)
    # A frame captured after the fusion time (arrived early, or a clock ahead) is not used.
    early = _heads("front", 3.1, [(CUSTOMER, 1.0)])
    assert [p.camera_ids for p in fuse_heads(side + early, t=3.0)] == [("side",)]
    # Only each camera's latest frame in the window counts.
    older_side = _heads("side", 2.9, [(STAFF, 1.0)])
    assert [p.camera_ids for p in fuse_heads(older_side + side, t=3.0)] == [("side",)]


def test_heads_whose_rays_miss_each_other_are_two_people() -> None:
    """Two customers side by side 0.5 m apart, each seen by one camera only."""
    other = CUSTOMER + np.array([-0.5, 0.0, 0.0])
    heads = _heads("side", 1.0, [(CUSTOMER, 1.0)]) + _heads("front", 1.0, [(other, 1.0)])
    people = fuse_heads(heads, t=1.0)
    assert len(people) == 2


def test_rays_that_meet_where_no_camera_put_the_head_are_not_joined() -> None:
    """The front camera sees someone further off on the very line to the side
    camera's customer: the rays meet at her, but the front camera's distance says
    its head is 2 m beyond, so they stay two people."""
    a = np.array([-1.0, 0.3, 1.7])
    pose_s, pose_f = CAMERAS["side"], CAMERAS["front"]
    crossing = nearest_point_to_rays(np.stack([pose_s.position_m, pose_f.position_m]),
                                     np.stack([a - pose_s.position_m, a - pose_f.position_m]))
    assert crossing is not None
    far_on_front_ray = pose_f.position_m + 1.8 * (a - pose_f.position_m)
    heads = (_heads("side", 1.0, [(a, 1.0)])
             + heads_in_world(_obs(1.0, [_face(pose_f, far_on_front_ray, 1.0, 0.1)]), "front",
                              pose_f))
    assert len(fuse_heads(heads, t=1.0)) == 2


@settings(max_examples=60, deadline=None)
@given(
    people=st.lists(
        st.tuples(st.floats(-3.5, 0.3), st.floats(-0.8, 1.2), st.floats(1.45, 1.95),
                  st.floats(0.75, 1.3), st.floats(0.75, 1.3), st.booleans()),
        min_size=1, max_size=4),
)
def test_people_apart_are_fused_one_each_whatever_their_sizes_read(
        people: list[tuple[float, float, float, float, float, bool]]) -> None:
    """Up to four people at least 0.6 m apart, each seen by the side camera and some by
    the front one, every distance misread by up to 30 % either way (and reported with
    the 0.35 uncertainty perception gives when a face's cues disagree that much): one
    person each, never two heads of one camera in a person, each placed within 15 cm
    when both cameras see them."""
    heads_at = [np.array(p[:3]) for p in people]
    for i, a in enumerate(heads_at):
        for b in heads_at[i + 1:]:
            assume(np.linalg.norm(a[:2] - b[:2]) > 0.6)
    side = _heads("side", 5.0, [(h, p[3]) for h, p in zip(heads_at, people, strict=True)], 0.35)
    both = [i for i, p in enumerate(people) if p[5]]
    front = _heads("front", 4.97, [(heads_at[i], people[i][4]) for i in both], 0.35)
    fused = fuse_heads(side + front, t=5.0)
    assert len(fused) == len(people)
    for person in fused:
        assert len(set(person.camera_ids)) == len(person.camera_ids)
    for i, at in enumerate(heads_at):
        nearest = min(fused, key=lambda p, at=at: float(np.linalg.norm(p.position_m - at)))
        if i in both:
            assert nearest.camera_ids == ("side", "front")
            assert np.linalg.norm(nearest.position_m - at) < 0.15

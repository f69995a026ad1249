"""The mounting arithmetic: yaw at which a camera beside the counter sees each face."""

from __future__ import annotations

import math

import pytest

from frontdesk.placement import mutual_gaze_view


def test_camera_midway_at_0_7_m_sees_both_at_about_49_degrees() -> None:
    v = mutual_gaze_view(1.2, 0.7)
    assert v.staff_yaw_deg == pytest.approx(math.degrees(math.atan2(0.7, 0.6)), abs=1e-9)
    assert v.staff_yaw_deg == pytest.approx(49.4, abs=0.1)
    assert v.customer_yaw_deg == pytest.approx(v.staff_yaw_deg)
    assert v.both_faces_seen
    assert v.fits(100.0) and not v.fits(90.0)
    assert mutual_gaze_view(1.2, 0.8).fits(90.0)


def test_far_camera_loses_faces_and_near_camera_needs_a_wide_lens() -> None:
    far = mutual_gaze_view(1.2, 2.0)
    assert not far.both_faces_seen
    near = mutual_gaze_view(1.2, 0.4)
    assert near.both_faces_seen and not near.fits(90.0)
    assert near.needed_fov_deg > far.needed_fov_deg


def test_camera_nearer_the_staff_sees_the_staff_face_at_a_larger_angle() -> None:
    v = mutual_gaze_view(1.2, 0.7, along_m=0.3)
    assert v.staff_yaw_deg > v.customer_yaw_deg


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        mutual_gaze_view(0.0, 0.7)

"""The placement check: a pure function over hand-made windows of face samples."""

from __future__ import annotations

import math

import pytest

from frontdesk.config import Config, default_config_dict
from frontdesk.placement import mutual_gaze_view
from frontdesk.web.placement_check import (
    MIN_FRAMES,
    TYPICAL_FACE_WIDTH_M,
    FaceSample,
    FrameSample,
    check_placement,
)

# default_config_dict's zones: staff x 0..0.39, service x 0.759..1, approach x 0.552..0.732
STAFF_XY = (0.2, 0.5)
SERVICE_XY = (0.85, 0.5)
APPROACH_XY = (0.64, 0.4)
W, H = 1280, 720
FX_90 = 640.0  # 90 degree lens at 1280 px


def config(**camera: object) -> Config:
    return Config.model_validate(default_config_dict(camera=camera) if camera
                                 else default_config_dict())


def window(n: int = 60, fps: float = 10.0, staff_yaw: float = 30.0, staff_px: float = 60.0,
           customer_yaw: float = 30.0, customer_px: float = 50.0, approach_px: float = 40.0,
           staff_every: int = 1) -> list[FrameSample]:
    frames = []
    for i in range(n):
        faces = [FaceSample(SERVICE_XY, customer_px, -customer_yaw, True, 1.5),
                 FaceSample(APPROACH_XY, approach_px, 5.0, True, 2.5)]
        if i % staff_every == 0:
            faces.append(FaceSample(STAFF_XY, staff_px, staff_yaw, True, 1.5))
        frames.append(FrameSample(i / fps, W, H, tuple(faces)))
    return frames


def zone(report: object, kind: str) -> object:
    return next(z for z in report.zones if z.zone == kind)  # type: ignore[attr-defined]


def test_a_good_placement_has_no_warnings() -> None:
    report = check_placement(window(), config())
    assert report.ok and report.warnings == []
    staff = zone(report, "staff")
    assert staff.face_share == 1.0 and staff.median_face_px == 60.0
    assert staff.median_view_deg == 30.0 and staff.meshed_share == 1.0
    assert zone(report, "service").median_view_deg == 30.0  # absolute yaw: -30 is 30


def test_staff_seen_at_70_degrees_asks_to_move_the_camera_toward_the_end_of_the_counter() -> None:
    report = check_placement(window(staff_yaw=70.0), config())
    assert not report.ok
    (warning,) = report.warnings
    assert warning.startswith("counter-1 staff: staff faces are seen at 70 degrees, beyond")
    assert "move the camera toward the end of the counter" in warning
    # the numbers come from placement.py: camera midway, 1.2 m across the counter
    offset = 0.6 * math.tan(math.radians(70.0))
    assert f"about {offset:.1f} m from the line" in warning
    advised = mutual_gaze_view(1.2, 0.7)
    assert f"within 0.7 m of it both faces are seen at about {advised.staff_yaw_deg:.0f}" in warning


def test_yaw_close_to_the_limit_is_also_reported() -> None:
    report = check_placement(window(customer_yaw=55.0), config())
    assert len(report.warnings) == 1
    assert "customers in the service zone are seen at 55 degrees, close to" in report.warnings[0]


def test_small_customers_are_too_small_to_track_beyond_the_mesh_range() -> None:
    report = check_placement(window(approach_px=18.0), config())
    (warning,) = report.warnings
    beyond_m = FX_90 * TYPICAL_FACE_WIDTH_M / 24.0  # 4.0 m
    assert warning.startswith(f"counter-1 approach: customers are too small to track beyond "
                              f"{beyond_m:.1f} m")
    assert report.mesh_range_m == pytest.approx(beyond_m)


def test_a_calibrated_long_lens_reaches_further() -> None:
    cfg = config(matrix=[[1280.0, 0, 640], [0, 1280.0, 360], [0, 0, 1]],
                 calibrated_size=[1280, 720])
    report = check_placement(window(approach_px=18.0), cfg)
    assert report.mesh_range_m == pytest.approx(1280 * TYPICAL_FACE_WIDTH_M / 24.0)


def test_an_empty_zone_and_a_rarely_seen_one() -> None:
    frames = [FrameSample(f.t, W, H, tuple(x for x in f.faces if x.center_norm != APPROACH_XY))
              for f in window(staff_every=4)]
    report = check_placement(frames, config())
    assert any(w.startswith("counter-1 approach: no face was seen there") for w in report.warnings)
    assert zone(report, "staff").face_share == 0.25
    assert any(n.startswith("counter-1 staff: a face was found in 25 % of frames")
               for n in report.notes)


def test_too_few_frames_is_not_ok_and_says_so() -> None:
    report = check_placement(window(n=MIN_FRAMES - 1), config())
    assert not report.ok and report.zones == []
    assert "needs at least" in report.notes[0]


def test_only_the_last_window_counts() -> None:
    old = window(n=100, staff_yaw=75.0)  # 0 .. 9.9 s: badly placed
    new = [FrameSample(f.t + 100.0, W, H, f.faces) for f in window(n=100)]  # 100 .. 109.9 s
    report = check_placement(old + new, config(), window_s=60.0)
    assert report.frames == 100 and report.ok


def test_samples_carry_no_image() -> None:
    import numpy as np

    from frontdesk.types import Face, FrameObservation

    f = Face(bbox=(100, 100, 160, 170), score=0.9, yaw_deg=-20, pitch_deg=0, roll_deg=0,
             gaze=np.array([0, 0, -1.0]), head_position_m=np.array([0.1, 0, 1.8]))
    sample = FrameSample.from_observation(FrameObservation(3, 1.5, 640, 480, [f]))
    assert sample.faces == (FaceSample((130 / 640, 135 / 480), 60.0, -20.0, True, 1.8, None,
                                       (0.1, 0.0, 1.8)),)


def test_a_face_near_the_edge_is_seen_at_its_angle_to_the_camera_not_its_yaw() -> None:
    """A head 45 degrees off the optical axis, facing straight down the axis (yaw 0),
    shows the camera its cheek at 45 degrees: that is the angle Face Mesh must hold."""
    import numpy as np

    from frontdesk.perception.pose import rotation_from_euler
    from frontdesk.types import Face, FrameObservation

    f = Face(bbox=(1180, 330, 1240, 390), score=0.9, yaw_deg=0.0, pitch_deg=0, roll_deg=0,
             gaze=np.array([0, 0, -1.0]), head_position_m=np.array([1.5, 0.0, 1.5]),
             rotation=rotation_from_euler(0.0, 0.0, 0.0), has_mesh=True)
    (sample,) = FrameSample.from_observation(FrameObservation(1, 0.1, W, H, [f])).faces
    assert sample.yaw_deg == 0.0
    assert sample.view_deg == pytest.approx(45.0, abs=0.01)
    assert sample.seen_at_deg == pytest.approx(45.0, abs=0.01)


def test_staff_and_customer_heads_give_the_geometry_simulate_gives() -> None:
    """Heads 1.2 m apart at 1.65 m, a camera at 1.9 m, 0.8 m from the line between them
    (the simulator's default counter): the same angles as ``simulate --geometry``."""
    from frontdesk.sim.layout import geometry_report

    staff = FaceSample(STAFF_XY, 60.0, 70.0, True, 0.8, 80.0, (-0.6, 0.25, 0.8))
    customer = FaceSample(SERVICE_XY, 60.0, -70.0, True, 0.8, 80.0, (0.6, 0.25, 0.8))
    frames = [FrameSample(i / 10, W, H, (staff, customer)) for i in range(30)]
    report = check_placement(frames, config())
    (view,) = report.mutual
    expected = math.degrees(math.atan2(math.hypot(0.8, 0.25), 0.6))
    assert view.staff_deg == pytest.approx(expected)
    assert view.customer_deg == pytest.approx(expected)
    assert abs(view.staff_deg - geometry_report()["staff_face_angle_deg"]) < 1.0
    assert view.offset_m == pytest.approx(math.hypot(0.8, 0.25))
    # 54 degrees: close to the limit, with the advice from the measured geometry
    (warning,) = [w for w in report.warnings if w.startswith("counter-1:")]
    assert warning.startswith("counter-1: staff and customer heads 1.2 m apart, the camera 0.8 m "
                              "from the line between them: while they look at each other the "
                              "camera sees the staff member at 54 degrees")
    assert "close to what Face Mesh holds" in warning
    assert not any("staff faces are seen at 80" in w for w in report.warnings)

"""The placement planner on issue 17's layout: one camera beside the counter, a pair,
and the search for the second camera."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from frontdesk.planner import (
    SIDE_CAMERA,
    CounterLayout,
    PlannedCamera,
    plan,
    recommend_camera,
)

ROOT = Path(__file__).resolve().parents[1]
LAYOUT = CounterLayout()  # staff (0, -0.6), service (0, 0.6), walkway y 0.85, from -x
FRONT = PlannedCamera.looking_at("front", (-0.4, 2.6, 2.1), (-0.2, -0.6, 1.6))


def test_the_side_camera_alone_cannot_see_a_greeting_on_the_walkway() -> None:
    r = plan(LAYOUT, [SIDE_CAMERA])
    far = r.moment("approach 2.5 m")
    assert not far.measured
    staff = next(v for v in far.views if v.who == "staff")
    # The staff member looking 2.5 m up the walkway turns her face 112 degrees from
    # the camera beside the counter, far beyond Face Mesh's 60.
    assert staff.yaw_deg == pytest.approx(112.0, abs=1.5)
    assert not staff.seen and "turned" in staff.why_not
    assert far.seen_by("customer") == ["side"]  # the customer walks toward it
    # At the counter it sees both, each at about 55 degrees.
    assert r.moment("counter").measured and r.moment("acknowledge").measured
    assert r.measured == ["counter", "acknowledge"]


def test_the_issue_pair_measures_every_moment_and_says_what_each_misses() -> None:
    r = plan(LAYOUT, [SIDE_CAMERA, FRONT])
    assert len(r.measured) == len(r.moments) == 5
    far = r.moment("approach 2.5 m")
    assert far.seen_by("staff") == ["front"] and far.seen_by("customer") == ["side"]
    assert r.missed_alone("side") == ["approach 0.8 m", "approach 1.5 m", "approach 2.5 m"]
    assert "counter" in r.missed_alone("front")  # the customer's back to it
    assert any(line.startswith("together (side + front): 5 of 5") for line in r.summary())


def test_the_recommended_second_camera_sees_the_greeting_2_5_m_out() -> None:
    rec = recommend_camera(LAYOUT, [SIDE_CAMERA], step_m=0.2)
    assert rec.candidates > 1000
    assert rec.result.measured == [m.moment.name for m in rec.result.moments]
    far = rec.result.moment("approach 2.5 m")
    assert far.measured and "front" in far.seen_by("staff")
    z = float(rec.camera.pose.position_m[2])
    assert 1.9 <= z <= 2.3
    # It stands on the customers' side, facing the staff.
    assert float(rec.camera.pose.position_m[1]) > 0.5
    staff_yaw = next(v for v in far.views if v.camera == "front" and v.who == "staff").yaw_deg
    assert staff_yaw < 60.0


def test_no_single_camera_measures_the_greeting_and_the_counter_moments() -> None:
    best = recommend_camera(LAYOUT, [], camera_id="single", step_m=0.2)
    # The best single position measures two of the five moments, never a greeting on
    # the walkway together with both moments at the counter (the issue's "Why").
    assert best.result.measured == ["counter", "acknowledge"]
    pair = recommend_camera(LAYOUT, [best.camera], step_m=0.2)
    assert len(pair.result.measured) == 5


def test_small_faces_are_not_seen() -> None:
    r = plan(LAYOUT, [SIDE_CAMERA, FRONT], min_face_px=40.0)
    far = r.moment("approach 2.5 m")
    customer = next(v for v in far.views if v.camera == "side" and v.who == "customer")
    assert customer.face_px == pytest.approx(640 * 0.15 / 3.41, abs=0.5)
    assert not customer.seen and "px wide" in customer.why_not
    assert not far.measured


def test_cli_pair_and_recommendation_in_json() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "frontdesk.placement", "--side", "--camera",
         "front=-0.4,2.6,2.1@-0.2,-0.6,1.6", "--json"],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    data = json.loads(out.stdout)
    assert data["plan"]["measured"] == ["approach 0.8 m", "approach 1.5 m", "approach 2.5 m",
                                        "counter", "acknowledge"]
    assert data["plan"]["alone"]["side"]["missed"][0] == "approach 0.8 m"
    rec = subprocess.run(
        [sys.executable, "-m", "frontdesk.placement", "--side", "--recommend", "--step", "0.25",
         "--distances", "2.5"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    assert "recommended second camera" in rec.stdout
    assert "together (side + front): 3 of 3 moments measured" in rec.stdout


def test_cli_refuses_bad_input_without_a_traceback() -> None:
    out = subprocess.run([sys.executable, "-m", "frontdesk.placement", "--camera", "1,2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "X,Y,Z@TX,TY,TZ" in out.stderr and "Traceback" not in out.stderr


def test_cli_takes_the_cameras_of_a_counter_from_a_config(tmp_path: Path) -> None:
    text = (ROOT / "config" / "frontdesk.yaml").read_text()
    out = subprocess.run([sys.executable, "-m", "frontdesk.placement", "--config",
                          str(ROOT / "config" / "frontdesk.yaml")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "has no camera.pose" in out.stderr
    posed = tmp_path / "posed.yaml"
    posed.write_text(text.replace(
        "  pose: null", "  pose: {position_m: [0.8, 0.0, 1.9], heading_deg: 180, "
        "tilt_down_deg: 10}"), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "frontdesk.placement", "--config", str(posed),
                          "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["plan"]["cameras"][0]["id"] == "camera"
    assert data["plan"]["measured"] == ["counter", "acknowledge"]


def test_a_wide_layouts_search_is_capped_not_minutes_long() -> None:
    """Spots 15 m out (zone_spot's limit) on both sides: at 0.2 m the grid is about
    29,000 positions (77 s here); with max_positions the step grows instead."""
    import time

    from frontdesk.floor_plan import layout_from_spots

    wide = layout_from_spots((-15.0, -15.0), (15.0, 15.0))
    t0 = time.perf_counter()
    rec = recommend_camera(wide, [SIDE_CAMERA], step_m=0.2, max_positions=500)
    elapsed = time.perf_counter() - t0
    per_position = len((1.9, 2.1, 2.3)) * 2  # heights x aims
    assert rec.candidates <= 500 * per_position
    assert rec.step_m > 1.0 and rec.to_json()["step_m"] == round(rec.step_m, 3)
    assert elapsed < 20.0
    small = recommend_camera(LAYOUT, [SIDE_CAMERA], step_m=0.5, max_positions=500)
    assert small.step_m == 0.5  # a grid within the cap keeps its step


def test_a_face_turned_to_the_camera_is_at_0_degrees_and_one_behind_is_not_seen() -> None:
    cam = PlannedCamera.looking_at("c", (0.0, 0.0, 1.7), (3.0, 0.0, 1.7))
    ahead = CounterLayout(staff_m=((3.0, 0.0),), service_m=(6.0, 0.0), walkway_y_m=0.0,
                          staff_head_m=1.7, customer_head_m=1.7, distances_m=(1.0,))
    # the staff member looks at the customer (+x), away from the camera: 180 degrees
    view = plan(ahead, [cam]).moment("acknowledge").views[0]
    assert view.who == "staff" and abs(view.yaw_deg - 180.0) < 1e-6 and not view.seen
    facing = CounterLayout(staff_m=((3.0, 0.0),), service_m=(-3.0, 0.0), walkway_y_m=0.0,
                           staff_head_m=1.7, customer_head_m=1.7, distances_m=(1.0,))
    r = plan(facing, [cam])
    staff = next(v for v in r.moment("acknowledge").views if v.who == "staff")
    assert abs(staff.yaw_deg) < 1e-6 and staff.in_frame and staff.seen
    # the customer 3 m behind the lens faces the camera's back: in no frame
    customer = next(v for v in r.moment("counter").views if v.who == "customer")
    assert abs(customer.yaw_deg) < 1e-6 and not customer.in_frame and not customer.seen

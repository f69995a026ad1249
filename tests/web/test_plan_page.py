"""The floor plan page: one counter seen by two cameras with their poses; zones drawn on
the plan projected into both views and saved; the planner's table for the pair.
Real server, real config file, real headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from web_scene import ENV, PASSWORD, StandInRunner

from frontdesk.config import Config, ConfigError, load_config, parse_config
from frontdesk.floor_plan import image_to_plan, plan_to_image
from frontdesk.geometry import point_in_polygon
from frontdesk.planner import PlannedCamera, cameras_of_counter
from frontdesk.web.server import WebServer, start_web

SIDE = PlannedCamera.looking_at("side", (0.8, 0.0, 1.9), (-1.5, 0.3, 1.6))
FRONT = PlannedCamera.looking_at("front", (-2.1, 2.2, 2.1), (0.3, -0.3, 1.6))
STAFF = [(-0.9, -0.8), (0.1, -0.8), (0.1, -0.4), (-0.9, -0.4)]
SERVICE = [(-0.2, 0.45), (0.2, 0.45), (0.2, 0.8), (-0.2, 0.8)]
BAND = (1.4, 2.0)  # perception.head_height_m's default


def _pose_yaml(cam: PlannedCamera) -> str:
    j = cam.to_json()
    return (f"{{position_m: {j['position_m']}, heading_deg: {j['heading_deg']}, "
            f"tilt_down_deg: {j['tilt_down_deg']}}}")


def _zones_yaml(cam: PlannedCamera) -> str:
    def poly(p: list[tuple[float, float]]) -> str:
        image = plan_to_image(p, cam.pose, cam.intrinsics, BAND)
        assert image is not None
        return str([list(q) for q in image])
    return f"{{service: {poly(SERVICE)}, staff: {poly(STAFF)}}}"


def two_camera_yaml() -> str:
    entries = []
    for cam in (SIDE, FRONT):
        entries.append(f"""\
  - id: {cam.id}
    camera:
      source: demo://counter
      horizontal_fov_deg: 90
      pose: {_pose_yaml(cam)}
    counters:
      - id: desk
        name: Front desk
        zones: {_zones_yaml(cam)}
""")
    return ("# One counter, two cameras.\nsite_id: plan-test\ncameras:\n" + "".join(entries)
            + "web:\n  enabled: true\n  bind: 127.0.0.1:0\n  password_env: FD_TEST_WEB_PASSWORD\n")


@dataclass
class Pair:
    path: Path
    whole: Config
    web: WebServer
    runner: StandInRunner


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    path = tmp_path / "frontdesk.yaml"
    path.write_text(two_camera_yaml(), encoding="utf-8")
    whole = load_config(path)
    cut = whole.for_camera("side")
    runner = StandInRunner(cut)
    web = start_web(runner, cut, config_path=str(path), env=ENV, whole_config=whole)
    try:
        yield Pair(path, whole, web, runner)
    finally:
        web.stop()


@pytest.fixture
def authed(pair: Pair) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=pair.web.url, timeout=30.0) as c:
        r = c.post("/login", data={"password": PASSWORD, "next": "/plan"})
        assert r.status_code == 303
        yield c


def test_the_other_camera_of_a_shared_counter_is_served_by_this_page(
        authed: httpx.Client, pair: Pair) -> None:
    """The second camera of one counter only perceives; its pages are the counter's, at
    the primary's address: the camera bar links it there, not to a port nobody serves."""
    from frontdesk.web.cameras import camera_peers

    peers = {p.id: p for p in camera_peers(pair.whole)}
    assert peers["side"].served_by is None and peers["front"].served_by == "side"
    assert peers["front"].bind == peers["side"].bind
    cams = authed.get("/api/session").json()["cameras"]
    assert [(c["id"], c["current"], c["served_by"]) for c in cams] == [
        ("side", True, None), ("front", False, "side")]
    assert cams[1]["url"] == cams[0]["url"] == pair.web.url + "/"


def test_a_counter_seen_by_two_cameras_needs_both_poses(tmp_path: Path) -> None:
    text = two_camera_yaml()
    assert parse_config(text, "f.yaml").shared_counters == {"desk": ["side", "front"]}
    without = text.replace("      pose: " + _pose_yaml(FRONT) + "\n", "")
    with pytest.raises(ConfigError) as info:
        parse_config(without, "f.yaml")
    assert "counter id 'desk' is also used by camera 'side'" in info.value.problems[0]
    assert "each needs camera.pose" in info.value.problems[0]


def test_check_config_says_a_shared_counter_runs_as_one_engine(tmp_path: Path) -> None:
    """`run` no longer refuses a counter seen by several cameras (issue 17 item 4 fuses
    them live: tests/render/test_live_fusion_run.py); check-config says so."""
    import subprocess
    import sys

    path = tmp_path / "f.yaml"
    path.write_text(two_camera_yaml(), encoding="utf-8")
    check = subprocess.run([sys.executable, "-m", "frontdesk", "check-config", str(path)],
                           capture_output=True, text=True, timeout=60, env={**os.environ, **ENV})
    assert check.returncode == 0, check.stderr
    assert "note: counter desk is seen by cameras side, front" in check.stdout
    assert "counter desk: one engine fed by cameras side, front" in check.stdout


def test_the_plan_api_gives_both_cameras_their_zones_on_the_floor_and_the_planner(
        authed: httpx.Client) -> None:
    r = authed.get("/api/plan")
    assert r.status_code == 200, r.text
    (desk,) = r.json()["counters"]
    assert [c["id"] for c in desk["cameras"]] == ["side", "front"]
    assert [c["current"] for c in desk["cameras"]] == [True, False]
    side_floor = desk["cameras"][0]["floor_zones"]["service"]
    # The band hull seen at 1.7 m covers the drawn service area (and reaches farther
    # along the side camera's line of sight).
    for x, y in [(0.0, 0.6), (-0.15, 0.5), (0.15, 0.75)]:
        assert point_in_polygon(x, y, side_floor)
    plan = desk["plan"]
    assert plan["layout"]["service_m"][1] > 0.3 and plan["layout"]["staff_m"][0][1] < -0.3
    assert plan["alone"]["side"]["missed"][:1] == ["approach 0.8 m"]
    assert "approach 2.5 m" in plan["measured"]  # the pair sees the far greeting
    assert any(line.startswith("together (side + front)") for line in plan["summary"])


def test_zones_drawn_on_the_plan_reach_both_cameras_entries(pair: Pair,
                                                             authed: httpx.Client) -> None:
    new_service = [[-0.3, 0.4], [0.3, 0.4], [0.3, 0.9], [-0.3, 0.9]]
    r = authed.put("/api/plan/zones", json={"counter": "desk", "service": new_service,
                                            "staff": [list(p) for p in STAFF]})
    assert r.status_code == 200, r.text
    assert "camera front at its next restart" in r.json()["message"]
    saved = load_config(pair.path)
    for cam in cameras_of_counter(saved, "desk"):  # their poses as the file holds them
        zones = saved.for_camera(cam.id).counters[0].zones
        expected = plan_to_image(new_service, cam.pose, cam.intrinsics, BAND)
        assert expected is not None
        assert [list(p) for p in zones.service] == [list(p) for p in expected]
        # heads 1.45 and 1.95 m tall standing near the new zone's corner are in the view's
        # zone; one a metre beyond it is not
        for z in (1.45, 1.95):
            u, v = cam.pose.project([[-0.25, 0.45, z]], cam.intrinsics)[0]
            assert 0 < u < 1280 and point_in_polygon(u / 1280, v / 720, zones.service)
        u, v = cam.pose.project([[-1.3, 0.45, 1.7]], cam.intrinsics)[0]
        assert not point_in_polygon(u / 1280, v / 720, zones.service)
    assert pair.web.hub.config.counters[0].zones.service == saved.for_camera(
        "side").counters[0].zones.service  # this camera's engine: from the next frame
    # One point off every camera's view is refused with the camera named.
    bad = authed.put("/api/plan/zones", json={"counter": "desk", "staff": STAFF,
                                              "service": [[5, 5], [6, 5], [6, 6]]})
    assert bad.status_code == 400 and "camera side: the service zone" in bad.json()["error"]


def _login(page: Any, web: WebServer, next_path: str) -> None:
    page.goto(f"{web.url}{next_path}")
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_url(f"{web.url}{next_path}")


def test_browser_draws_a_zone_on_the_plan_and_sees_it_in_the_views(
        pair: Pair, page: Any, screenshot_dir: Path) -> None:
    pair.web.hub.watch()
    pair.runner.step(0.0, [])
    _login(page, pair.web, "/plan")
    page.wait_for_selector("figure.camera-view[data-camera=front]")
    # Two views: this camera's (with its live frame) and the other camera's.
    expect_views = page.locator("figure.camera-view")
    assert expect_views.count() == 2
    assert page.locator("figure.camera-view[data-camera=front] polygon.zone-service").count() == 1
    assert page.locator("figure.camera-view[data-camera=side] img").count() == 1
    page.wait_for_selector("#plan-table tbody tr[data-moment='approach 2.5 m']")
    assert "together (side + front)" in page.inner_text("#plan-summary")
    # The camera bar: this page is the counter's, for both of its cameras.
    assert page.inner_text("#cameras").split() == ["camera", "side", "+", "front"]
    # Draw a new service zone on the plan with real clicks.
    page.select_option("#kind", "service")
    page.click("#clear")
    corners = [(-0.35, 0.35), (0.35, 0.35), (0.35, 0.95), (-0.35, 0.95)]
    for x, y in corners:
        sx, sy = page.evaluate("p => window.frontdeskPlan.toScreen(p)", [x, y])
        page.mouse.click(sx, sy)
    drawn = page.evaluate("() => window.frontdeskPlan.drawn.service")
    assert len(drawn) == 4
    for (x, y), (dx, dy) in zip(corners, drawn, strict=True):
        assert abs(x - dx) < 0.03 and abs(y - dy) < 0.03
    page.click("#save")
    page.wait_for_selector("#message.good")
    page.screenshot(path=str(screenshot_dir / "plan.png"), full_page=True)
    saved = load_config(pair.path)
    service = saved.for_camera("side").counters[0].zones.service
    side = cameras_of_counter(saved, "desk")[0]
    back = image_to_plan(service, side.pose, side.intrinsics, 1.7)
    assert back is not None
    for x, y in [(0.0, 0.6), (-0.3, 0.4), (-0.3, 0.9)]:  # (x > 0.2 is out of its frame)
        assert point_in_polygon(x, y, back)
    # The zone editor (the view) shows what was drawn on the plan.
    page.goto(f"{pair.web.url}/zones")
    page.wait_for_selector("#points li")
    in_view = page.evaluate("() => window.frontdeskZones.counters[0].zones.service")
    assert [tuple(p) for p in in_view] == [tuple(p) for p in service]
    # The live view's placement check says what the pair measures and where both views are.
    page.goto(f"{pair.web.url}/live")
    page.wait_for_selector("#plan-lines li")
    lines = page.inner_text("#plan-lines")
    assert "Front desk: together (side + front)" in lines
    assert "2 cameras; see both views on the Floor plan page" in lines


def test_a_zone_drawn_in_the_view_shows_on_the_plan(pair: Pair, authed: httpx.Client) -> None:
    side = cameras_of_counter(pair.whole, "desk")[0]
    # A service zone drawn in the side camera's view around where a head 1.7 m up at
    # (-0.6, 0.6) is seen.
    u, v = side.pose.project([[-0.6, 0.6, 1.7]], side.intrinsics)[0]
    u, v = u / 1280, v / 720
    zone = [[u - 0.04, v - 0.15], [u + 0.04, v - 0.15], [u + 0.04, v + 0.15], [u - 0.04, v + 0.15]]
    staff = [list(p) for p in pair.whole.for_camera("side").counters[0].zones.staff]
    r = authed.put("/api/zones", json={"counters": [{"id": "desk", "zones": {
        "service": zone, "staff": staff}}]})
    assert r.status_code == 200, r.text
    (desk,) = authed.get("/api/plan").json()["counters"]
    floor = desk["cameras"][0]["floor_zones"]["service"]
    assert point_in_polygon(-0.6, 0.6, floor)
    assert not point_in_polygon(0.0, 0.6, floor)  # the old service spot
    spot = desk["layout"]["service_m"]  # the planner's customer: between the two views'
    assert -0.6 < spot[0] < 0.0


def test_the_search_for_another_camera_answers_from_the_web(authed: httpx.Client) -> None:
    r = authed.get("/api/plan/recommend", params={"counter": "desk", "step": 0.5})
    assert r.status_code == 200, r.text
    body = r.json()
    assert 1.9 <= body["camera"]["position_m"][2] <= 2.3
    assert body["camera"]["id"] == "third"  # the counter has two cameras already
    assert len(body["plan"]["measured"]) > len(body["plan"]["alone"]["side"]["measured"])
    assert len(body["plan"]["measured"]) >= 4  # at least what side + front measure
    assert authed.get("/api/plan/recommend", params={"counter": "nope"}).status_code == 404


def test_plan_routes_need_a_login_and_the_same_origin(pair: Pair, authed: httpx.Client) -> None:
    with httpx.Client(base_url=pair.web.url, timeout=10.0) as anonymous:
        assert anonymous.get("/api/plan").status_code == 401
        r = anonymous.put("/api/plan/zones", json={"counter": "desk", "service": SERVICE,
                                                   "staff": STAFF})
        assert r.status_code == 401
        assert anonymous.get("/plan", follow_redirects=False).status_code == 303
    before = pair.path.read_text()
    r = authed.put("/api/plan/zones", json={"counter": "desk", "service": SERVICE,
                                            "staff": STAFF},
                   headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "cross-site" in r.json()["error"]
    assert pair.path.read_text() == before


def test_the_web_search_is_capped_and_runs_one_at_a_time(authed: httpx.Client) -> None:
    """At the finest step the route allows (0.1 m) the grid is capped (about 20,000
    cameras tried before, 8 s of a core); a second search while one runs is refused."""
    import threading

    from frontdesk.web.plan_routes import SEARCH_MAX_POSITIONS

    answers: list[httpx.Response] = []

    def search() -> None:
        answers.append(authed.get("/api/plan/recommend", params={"counter": "desk",
                                                                  "step": 0.1}))

    first = threading.Thread(target=search)
    first.start()
    import time

    time.sleep(0.5)
    busy = authed.get("/api/plan/recommend", params={"counter": "desk", "step": 0.1})
    first.join(timeout=60)
    assert busy.status_code == 429 and busy.headers["Retry-After"] == "5"
    assert "already running" in busy.json()["error"]
    assert len(answers) == 1 and answers[0].status_code == 200, answers[0].text
    body = answers[0].json()
    assert body["candidates"] <= SEARCH_MAX_POSITIONS * 6 and body["step_m"] > 0.1
    again = authed.get("/api/plan/recommend", params={"counter": "desk", "step": 0.5})
    assert again.status_code == 200  # the lock is released

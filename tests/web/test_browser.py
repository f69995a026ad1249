"""The web UI in a real browser (Debian's chromium through Playwright), against a real server.

The server observes a stand-in runner that feeds the real Engine hand-placed faces;
frames are fed from the test's thread, as the runner's loop would.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from playwright.sync_api import expect
from web_scene import (
    CONFIG_YAML,
    CUSTOMER_AT,
    INTO_LENS,
    LOOK_DOWN,
    PASSWORD,
    STAFF_AT,
    StandInRunner,
    face,
    feeding,
    toward,
)

from frontdesk.config import load_config
from frontdesk.web.config_file import backups_of
from frontdesk.web.server import WebServer


def login(page: Any, server: WebServer, next_path: str) -> None:
    page.goto(f"{server.url}{next_path}")
    assert "/login" in page.url  # sent to the login form first
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_url(f"{server.url}{next_path}")


def test_wrong_password_stays_on_the_login_page(page: Any, server: WebServer) -> None:
    page.goto(f"{server.url}/dashboard")
    page.fill("#password", "not-the-password")
    page.click("#login")
    assert page.inner_text("#message") == "Wrong password."
    assert page.context.cookies() == []


def test_draw_a_zone_save_reload_and_find_it_in_the_file(
        page: Any, server: WebServer, runner: StandInRunner, config_path: Path,
        screenshot_dir: Path) -> None:
    runner.run_scene(0.0, 1.0)
    wanted = [(0.05, 0.30), (0.35, 0.30), (0.35, 0.80), (0.05, 0.80)]
    with feeding(runner, 1.0):
        login(page, server, "/zones")
        page.wait_for_selector("#kind option[value=staff]", state="attached")
        expect(page.locator("#background")).to_be_visible()  # the live frame under the zones
        page.select_option("#kind", "staff")
        page.click("#clear")
        assert page.locator("#points li").count() == 0
        box = page.locator("#canvas").bounding_box()
        for x, y in wanted:
            page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])
        assert page.locator("#points li").count() == 4
        page.screenshot(path=str(screenshot_dir / "zone-editor.png"))
        page.click("#save")
        page.wait_for_selector("#message.good")
        assert "saved to frontdesk.yaml" in page.inner_text("#message")
        page.wait_for_timeout(300)  # a few frames: the loop applies the zones between two

    # The running engine took the zones between two frames.
    staff_zone = runner.engine.zones.counters["counter-1"].staff
    assert abs(staff_zone.points[1][0] - 0.35) < 0.01
    assert server.hub.applied_version == server.hub.saved_version == 1

    # The file: new staff polygon, everything else (comments included) byte for byte.
    saved = load_config(config_path).counters[0].zones.staff
    assert len(saved) == 4
    for (x, y), (sx, sy) in zip(wanted, saved, strict=True):
        assert abs(sx - x) < 0.01 and abs(sy - y) < 0.01
    old_lines = CONFIG_YAML.splitlines()
    new_lines = config_path.read_text(encoding="utf-8").splitlines()
    assert len(new_lines) == len(old_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1].lstrip().startswith("staff: [[0.05")
    assert "# Comments like this one must survive every save from the web UI." in new_lines
    backups = backups_of(config_path)
    assert len(backups) == 1 and backups[0].read_text(encoding="utf-8") == CONFIG_YAML

    # Reload: the editor shows what was saved.
    page.reload()
    page.wait_for_selector("#kind option[value=staff]", state="attached")
    page.select_option("#kind", "staff")
    first = page.locator("#points li").first.inner_text()
    x, y = (float(v) for v in first.split(","))
    assert abs(x - 0.05) < 0.01 and abs(y - 0.30) < 0.01


def test_a_bad_polygon_is_refused_with_the_reason(
        page: Any, server: WebServer, runner: StandInRunner, config_path: Path) -> None:
    runner.run_scene(0.0, 0.5)
    before = config_path.read_text(encoding="utf-8")
    login(page, server, "/zones")
    page.wait_for_selector("#kind option[value=staff]", state="attached")
    page.select_option("#kind", "service")
    page.click("#clear")
    box = page.locator("#canvas").bounding_box()
    for x, y in [(0.8, 0.3), (0.9, 0.3)]:  # two points only
        page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])
    page.click("#save")
    page.wait_for_selector("#message.error")
    text = page.inner_text("#message")
    assert "counter-1 service: a polygon needs at least 3 points, got 2" in text
    assert config_path.read_text(encoding="utf-8") == before
    assert backups_of(config_path) == []


def test_a_point_clicked_beside_a_zone_goes_into_its_nearest_edge(
        page: Any, server: WebServer, runner: StandInRunner) -> None:
    runner.run_scene(0.0, 0.5)
    login(page, server, "/zones")
    page.wait_for_selector("#kind option[value=staff]", state="attached")
    page.select_option("#kind", "service")
    page.click("#clear")
    box = page.locator("#canvas").bounding_box()
    square = [(0.6, 0.3), (0.9, 0.3), (0.9, 0.8), (0.6, 0.8)]
    for x, y in [*square, (0.75, 0.82), (0.58, 0.55)]:  # beside the bottom, then the left edge
        page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])
    points = [tuple(float(v) for v in li.split(","))
              for li in page.locator("#points li").all_inner_texts()]
    assert len(points) == 6
    order = [min(range(6), key=lambda i, p=p: abs(points[i][0] - p[0]) + abs(points[i][1] - p[1]))
             for p in [*square[:3], (0.75, 0.82), square[3], (0.58, 0.55)]]
    assert order == [0, 1, 2, 3, 4, 5]  # each new point between the corners of its edge


def _red_share(png: bytes, region: dict[str, float]) -> float:
    """Share of strongly red pixels of a page screenshot inside ``region`` (CSS px)."""
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    x0, y0 = int(region["x"]), int(region["y"])
    crop = img[y0:y0 + int(region["height"]), x0:x0 + int(region["width"])].astype(int)
    b, g, r = crop[..., 0], crop[..., 1], crop[..., 2]
    return float(np.mean((r > 180) & (g < 90) & (b < 90)))


def test_dashboard_turns_to_alert_when_a_customer_waits_past_the_threshold(
        page: Any, server: WebServer, runner: StandInRunner, screenshot_dir: Path) -> None:
    t = runner.run_scene(0.0, 2.0)  # arrived at 0.1 s; alert_after_s is 3
    login(page, server, "/dashboard")
    card = page.locator('article.counter[data-counter="counter-1"]')
    card.wait_for()
    expect(card).to_contain_text("1 waiting")
    assert card.get_attribute("data-alert") == "false"
    assert "present" in card.inner_text()  # staff seen

    runner.run_scene(t + 0.1, 4.5)
    page.wait_for_selector('article.counter[data-counter="counter-1"][data-alert="true"]')
    text = card.inner_text()
    assert "Customer waiting unacknowledged" in text
    assert re.search(r"Customer 1 waiting 4\.\d s", text), text
    expect(page.locator("#today tbody")).to_contain_text("Main counter")
    shot = page.screenshot(path=str(screenshot_dir / "dashboard-alert.png"), full_page=True)
    assert _red_share(shot, card.bounding_box()) > 0.005  # the alert's red is on screen


def _eye_contact(t: float) -> list[Any]:
    """Staff and customer look at each other from 1 s on."""
    staff_gaze = toward(STAFF_AT, CUSTOMER_AT) if t >= 1.0 else LOOK_DOWN
    customer_gaze = toward(CUSTOMER_AT, STAFF_AT) if t >= 1.0 else INTO_LENS
    return [face(STAFF_AT, staff_gaze), face(CUSTOMER_AT, customer_gaze)]


def test_live_view_shows_the_frame_with_overlays_and_the_placement_check(
        page: Any, server: WebServer, runner: StandInRunner, screenshot_dir: Path) -> None:
    t = runner.run_scene(0.0, 2.0, faces=_eye_contact)
    assert any(e.type.value == "customer_acknowledged" for e in runner.events)
    with feeding(runner, t, faces=_eye_contact):
        login(page, server, "/live")
        expect(page.locator("#frame")).to_have_js_property("naturalWidth", 1280)
        page.wait_for_timeout(500)  # a few frames more
    expect(page.locator("#placement-table tbody tr")).to_have_count(3)
    warnings = page.inner_text("#placement-warnings")
    assert "Main counter approach: no face was seen there" in warnings  # its name
    page.screenshot(path=str(screenshot_dir / "live-view.png"), full_page=True)
    frame = page.locator("#frame").screenshot()
    img = cv2.imdecode(np.frombuffer(frame, np.uint8), cv2.IMREAD_COLOR)
    # the staff zone's blue outline and fill are drawn over the grey frame
    b, g, r = img[..., 0], img[..., 1], img[..., 2]
    staff_blue = (b > 200) & (g > 110) & (g < 170) & (r < 80)
    assert staff_blue.sum() > 200
    # eye contact: the gaze rays are drawn green
    green = (g > 180) & (b < 110) & (r < 110)
    assert green.sum() > 100


def _one_way_look(t: float) -> list[Any]:
    """The customer looks at the staff member, who looks at the desk (not eye contact)."""
    return [face(STAFF_AT, LOOK_DOWN), face(CUSTOMER_AT, toward(CUSTOMER_AT, STAFF_AT))]


def test_the_live_legend_lists_every_colour_drawn(
        page: Any, server: WebServer, runner: StandInRunner) -> None:
    from frontdesk.web.overlay import LEGEND, draw_overlays

    t = runner.run_scene(0.0, 5.0, faces=_one_way_look)  # past alert_after_s: red timer
    with feeding(runner, t, faces=_one_way_look):
        login(page, server, "/live")
        expect(page.locator("#frame")).to_have_js_property("naturalWidth", 1280)
        snap = server.hub.frame_with_image()
    assert snap is not None and snap.image is not None
    drawn: set[str] = set()
    draw_overlays(snap.image, snap.observation, snap.tracks, snap.states, server.hub.config,
                  drawn)
    assert {"staff", "customer", "zone-service", "zone-approach", "looking", "neutral",
            "alert"} <= drawn
    items = page.locator("#legend li")
    expect(items).to_have_count(len(LEGEND))
    shown = {}
    for i in range(items.count()):
        item = items.nth(i)
        rgb = item.locator(".swatch").evaluate("e => getComputedStyle(e).backgroundColor")
        shown[item.get_attribute("data-key")] = (rgb, item.inner_text())
    for key in drawn:
        b, g, r = LEGEND[key][0]
        assert shown[key][0] == f"rgb({r}, {g}, {b})", key  # the colour drawn is the one shown
        assert shown[key][1] == LEGEND[key][1]
    assert "eye contact (both look at each other, held)" in shown["contact"][1]

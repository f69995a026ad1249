"""The camera page's pose over the floor: a ChArUco board rendered through a known camera
fed to the live view, found and saved through the API and from a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.sync_api import expect
from web_scene import PASSWORD, StandInRunner

from frontdesk.camera_model import Intrinsics
from frontdesk.config import load_config
from frontdesk.pose_calibration import BoardPlacement, CharucoSpec
from frontdesk.render.board import render_board_view
from frontdesk.web.server import WebServer
from frontdesk.world import WorldPose, rotation_angle_deg

INTR = Intrinsics.from_fov(1280, 720, 90.0)  # the test config's 90-degree lens
TRUTH = WorldPose.look_at((0.8, 0.0, 1.9), (-1.5, 0.3, 1.6))
PLACEMENT = BoardPlacement((-0.95, 0.5, 0.9), 0.0)


def _feed_board(server: WebServer, runner: StandInRunner) -> None:
    server.hub.watch()  # as a viewer would: frames are kept from now on
    frame = render_board_view(CharucoSpec(), PLACEMENT, TRUTH, INTR, seed=2)
    runner.step(0.0, [], image=frame)


def _pose_error(config_path: Path) -> tuple[float, float]:
    pose = load_config(config_path).camera.pose
    assert pose is not None
    found = WorldPose.from_config(pose)
    return (float(np.linalg.norm(found.position_m - TRUTH.position_m)),
            rotation_angle_deg(found.rotation, TRUTH.rotation))


@pytest.fixture
def authed(server: WebServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10.0) as c:
        r = c.post("/login", data={"password": PASSWORD, "next": "/camera"})
        assert r.status_code == 303
        yield c


def _login(page: Any, server: WebServer, next_path: str) -> None:
    page.goto(f"{server.url}{next_path}")
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_url(f"{server.url}{next_path}")


def test_pose_from_the_board_in_the_frame_is_saved(
        authed: httpx.Client, server: WebServer, runner: StandInRunner,
        config_path: Path) -> None:
    _feed_board(server, runner)
    r = authed.post("/api/camera/pose", json={"board_at_m": [-0.95, 0.5, 0.9], "save": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["saved"] and body["good"] and body["points"] >= 6
    position_m, angle_deg = _pose_error(config_path)
    assert position_m < 0.02 and angle_deg < 1.0
    assert "# A 90 degree lens." in config_path.read_text()
    camera = authed.get("/api/camera").json()  # the running camera keeps its model till restart
    assert camera["pose"] is None and "restart" in camera["restart_needed"]


def test_pose_from_points_and_refusals(authed: httpx.Client, server: WebServer,
                                       runner: StandInRunner, config_path: Path) -> None:
    r = authed.post("/api/camera/pose", json={})
    assert r.status_code == 503 and "no frame" in r.json()["error"]
    _feed_board(server, runner)
    marks = np.array([[x, y, 0.0] for x in (-3.0, -2.0, -1.0) for y in (-0.5, 0.5, 1.5)])
    px = TRUTH.project(marks, INTR)
    seen = [(p, m) for p, m in zip(px, marks, strict=True)
            if 0 <= p[0] < 1280 and 0 <= p[1] < 720]
    assert len(seen) >= 5
    points = [{"pixel": [float(p[0]), float(p[1])], "world_m": [float(v) for v in m]}
              for p, m in seen]
    r = authed.post("/api/camera/pose", json={"points": points, "save": True})
    assert r.status_code == 200, r.text
    assert _pose_error(config_path)[0] < 0.02
    r = authed.post("/api/camera/pose", json={"points": points[:3]})
    assert r.status_code == 422 and "a pose needs at least 4" in r.json()["error"]
    r = authed.post("/api/camera/pose", json={"board_at_m": [0, 0, 0.9], "squares": "9x9"})
    assert r.status_code == 422 and "no ChArUco board (9x9 squares" in r.json()["error"]


def test_the_camera_page_finds_the_board_and_saves_the_pose(
        page: Any, server: WebServer, runner: StandInRunner, config_path: Path) -> None:
    _feed_board(server, runner)
    _login(page, server, "/camera")
    expect(page.locator("#current")).to_contain_text("pose over the floor")
    expect(page.locator("#current")).to_contain_text("not set")
    page.fill("#board-x", "-0.95")
    page.fill("#board-y", "0.5")
    page.fill("#board-z", "0.9")
    page.click("#pose-board")
    expect(page.locator("#pose-message")).to_contain_text("ChArUco board")
    expect(page.locator("#pose-message")).to_contain_text("restart frontdesk")
    expect(page.locator("#restart")).to_contain_text("restart frontdesk")
    position_m, angle_deg = _pose_error(config_path)
    assert position_m < 0.02 and angle_deg < 1.0
    page.fill("#pose-points", "1,2=3")
    page.click("#pose-points-save")
    expect(page.locator("#pose-message")).to_contain_text("not U,V=X,Y[,Z]: 1,2=3")


def test_floor_points_clicked_on_the_frame_give_the_pose(
        page: Any, server: WebServer, runner: StandInRunner, config_path: Path) -> None:
    """The installer shows the frame, clicks each measured mark (the page adds its
    pixel, in the frame's own pixels whatever size it is shown at), types where the
    mark is, and saves: the pose is the camera's within a few centimetres."""
    _feed_board(server, runner)
    _login(page, server, "/camera")
    page.click("#pose-frame-load")
    frame = page.locator("#pose-frame")
    expect(frame).to_be_visible()
    box = frame.bounding_box()
    assert box is not None and box["width"] > 100
    scale = 1280.0 / box["width"]
    marks = np.array([[x, y, 0.0] for x in (-3.0, -2.0, -1.0) for y in (-0.5, 0.5, 1.5)])
    seen = [(p, m) for p, m in zip(TRUTH.project(marks, INTR), marks, strict=True)
            if 5 <= p[0] < 1275 and 5 <= p[1] < 715]
    assert len(seen) >= 5
    for p, _ in seen:
        frame.click(position={"x": float(p[0]) / scale, "y": float(p[1]) / scale})
    lines = page.locator("#pose-points").input_value().splitlines()
    assert len(lines) == len(seen) and all(line.endswith("=") for line in lines)
    clicked = [tuple(map(int, line[:-1].split(","))) for line in lines]
    for (u, v), (p, _) in zip(clicked, seen, strict=True):
        assert abs(u - p[0]) <= scale + 0.5 and abs(v - p[1]) <= scale + 0.5
    page.fill("#pose-points", "\n".join(
        f"{u},{v}={m[0]:g},{m[1]:g}" for (u, v), (_, m) in zip(clicked, seen, strict=True)))
    page.click("#pose-points-save")
    expect(page.locator("#pose-message")).to_contain_text("restart frontdesk")
    position_m, angle_deg = _pose_error(config_path)
    assert position_m < 0.05 and angle_deg < 1.5

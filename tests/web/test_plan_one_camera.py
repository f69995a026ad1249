"""The floor plan page on a one-camera config: without a pose it says what to do; with one,
zones drawn on the plan go to the top-level counters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web_scene import CONFIG_YAML, ENV, PASSWORD, StandInRunner

from frontdesk.config import load_config
from frontdesk.floor_plan import plan_to_image
from frontdesk.planner import cameras_of_counter
from frontdesk.web.server import start_web

POSE = "  pose: {position_m: [0.8, 0.0, 1.9], heading_deg: 180, tilt_down_deg: 10}\n"


def _client(path: Path) -> Iterator[httpx.Client]:
    config = load_config(path)
    web = start_web(StandInRunner(config), config, config_path=str(path), env=ENV)
    try:
        with httpx.Client(base_url=web.url, timeout=30.0) as c:
            assert c.post("/login", data={"password": PASSWORD, "next": "/plan"}).status_code == 303
            yield c
    finally:
        web.stop()


@pytest.fixture
def no_pose(tmp_path: Path) -> Iterator[httpx.Client]:
    path = tmp_path / "frontdesk.yaml"
    path.write_text(CONFIG_YAML, encoding="utf-8")
    yield from _client(path)


@pytest.fixture
def posed(tmp_path: Path) -> Iterator[tuple[httpx.Client, Path]]:
    path = tmp_path / "frontdesk.yaml"
    text = CONFIG_YAML.replace("  calibrated_size: null\n", "  calibrated_size: null\n" + POSE)
    assert POSE in text
    path.write_text(text, encoding="utf-8")
    for c in _client(path):
        yield c, path


def test_without_a_pose_the_plan_says_to_measure_it(no_pose: httpx.Client) -> None:
    (counter,) = no_pose.get("/api/plan").json()["counters"]
    assert counter["plan"] is None and "no pose over the floor" in counter["plan_error"]
    r = no_pose.put("/api/plan/zones", json={"counter": "counter-1",
                                             "service": [[0, 0.4], [0.3, 0.4], [0.3, 0.8]],
                                             "staff": [[0, -0.4], [0.3, -0.4], [0.3, -0.8]]})
    assert r.status_code == 409 and "no pose" in r.json()["error"]
    bad = no_pose.put("/api/plan/zones", json={"counter": "counter-1", "service": [[0, 0]],
                                               "staff": [[0, 1], [1, 1], [1, 0]]})
    assert bad.status_code == 422  # fewer than 3 points: malformed


def test_with_a_pose_plan_zones_go_to_the_top_level_counters(
        posed: tuple[httpx.Client, Path]) -> None:
    client, path = posed
    (counter,) = client.get("/api/plan").json()["counters"]
    # The default zones (drawn for this camera) place the people where the simulator's
    # counter has them: staff behind the counter, the customer in front of it.
    layout = counter["layout"]
    assert layout["staff_m"][0][1] < -0.2 < 0.2 < layout["service_m"][1]
    assert counter["plan"]["measured"] == ["counter", "acknowledge"]
    service = [[-0.15, 0.5], [0.15, 0.5], [0.15, 0.75], [-0.15, 0.75]]
    staff = [[-1.2, -0.75], [0.1, -0.75], [0.1, -0.45], [-1.2, -0.45]]
    r = client.put("/api/plan/zones", json={"counter": "counter-1", "service": service,
                                            "staff": staff, "approach": None})
    assert r.status_code == 200, r.text
    saved = load_config(path)
    (cam,) = cameras_of_counter(saved, "counter-1")
    expected = plan_to_image(service, cam.pose, cam.intrinsics, (1.4, 2.0))
    assert expected is not None
    assert [list(p) for p in saved.counters[0].zones.service] == [list(p) for p in expected]
    assert saved.counters[0].zones.approach is None
    assert "# Comments like this one must survive every save" in path.read_text()

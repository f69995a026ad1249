"""The web API's input validation and access control, through a real server and httpx."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web_scene import CONFIG_YAML, ENV, PASSWORD, StandInRunner, render_board

from frontdesk.config import Config, apply_web_override, load_config
from frontdesk.errors import FrontdeskError
from frontdesk.web.app import MAX_BODY_BYTES
from frontdesk.web.config_file import backups_of
from frontdesk.web.server import WebServer, start_web

GOOD_ZONES = {
    "approach": [[0.55, 0.3], [0.74, 0.3], [0.74, 0.5], [0.55, 0.5]],
    "service": [[0.76, 0.27], [1.0, 0.27], [1.0, 0.85], [0.76, 0.85]],
    "staff": [[0.0, 0.2], [0.4, 0.2], [0.4, 0.8], [0.0, 0.8]],
    "ignore": [],
}


@pytest.fixture
def client(server: WebServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10.0) as c:
        yield c


@pytest.fixture
def authed(server: WebServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10.0) as c:
        r = c.post("/login", data={"password": PASSWORD, "next": "/dashboard"})
        assert r.status_code == 303 and r.headers["location"] == "/dashboard"
        yield c


def zones_body(**changes: Any) -> dict[str, Any]:
    zones = copy.deepcopy(GOOD_ZONES)
    zones.update(changes)
    return {"counters": [{"id": "counter-1", "zones": zones}]}


# --------------------------------------------------------------------------- access


def test_healthz_answers_without_login(client: httpx.Client, runner: StandInRunner) -> None:
    runner.run_scene(0.0, 1.0)
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["camera"] == "online"
    assert body["fps"] > 0 and 0 <= body["last_frame_age_s"] < 30
    assert set(body) <= {"status", "camera", "fps", "last_frame_age_s", "frames"}


@pytest.mark.parametrize("path", ["/api/frame.jpg", "/api/state", "/api/zones", "/api/events",
                                  "/api/placement", "/api/reports", "/api/camera"])
def test_api_needs_login_even_on_loopback(client: httpx.Client, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401
    assert "log in first" in r.json()["error"]


def test_pages_redirect_to_the_login_form(client: httpx.Client) -> None:
    r = client.get("/zones")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/zones"


def test_wrong_bearer_token_and_wrong_password_are_refused(client: httpx.Client) -> None:
    r = client.get("/api/state", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and "error" in r.json()
    r = client.post("/login", data={"password": "nope"})
    assert r.status_code == 401 and "Wrong password" in r.text
    assert "frontdesk_session" not in r.headers.get("set-cookie", "")


def test_login_sets_a_signed_httponly_strict_cookie(server: WebServer) -> None:
    with httpx.Client(base_url=server.url) as c:
        r = c.post("/login", data={"password": PASSWORD})
        cookie = r.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert c.get("/api/state").status_code == 200
        value = c.cookies["frontdesk_session"]
        forged = value[:-1] + ("0" if value[-1] != "0" else "1")
    with httpx.Client(base_url=server.url, cookies={"frontdesk_session": forged}) as c:
        assert c.get("/api/state").status_code == 401


def test_logout_ends_the_session(authed: httpx.Client) -> None:
    value = authed.cookies["frontdesk_session"]
    assert authed.post("/logout").status_code == 303
    with httpx.Client(base_url=str(authed.base_url), cookies={"frontdesk_session": value}) as c:
        assert c.get("/api/state").status_code == 401  # the old cookie no longer works


def test_failed_logins_are_rate_limited(client: httpx.Client) -> None:
    codes = [client.post("/login", data={"password": f"guess-{i}"}).status_code
             for i in range(6)]
    assert codes == [401] * 5 + [429]
    r = client.post("/login", data={"password": PASSWORD})  # even the right one must wait
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) > 0 and "Too many failed logins" in r.text


def test_bearer_token_opens_the_api(server: WebServer, runner: StandInRunner) -> None:
    runner.run_scene(0.0, 0.5)
    with httpx.Client(base_url=server.url,
                      headers={"Authorization": f"Bearer {PASSWORD}"}) as c:
        state = c.get("/api/state").json()
    assert state["counters"][0]["counter_id"] == "counter-1"


def test_login_never_redirects_off_site(client: httpx.Client) -> None:
    r = client.post("/login", data={"password": PASSWORD, "next": "//evil.example/x"})
    assert r.status_code == 303 and r.headers["location"] == "/live"


def test_cross_site_writes_are_refused(authed: httpx.Client, config_path: Path) -> None:
    before = config_path.read_text()
    r = authed.put("/api/zones", json=zones_body(),
                   headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "cross-site" in r.json()["error"]
    r = authed.put("/api/zones", json=zones_body(), headers={"Origin": "null"})  # sandboxed
    assert r.status_code == 403
    # what a cross-site <form enctype="text/plain"> could send without a preflight
    r = authed.post("/api/camera/calibrate", content=b'{"board": "9x6", "save": true}',
                    headers={"content-type": "text/plain"})
    assert r.status_code == 422
    assert config_path.read_text() == before


def test_an_open_ui_refuses_foreign_host_names(config: Config, runner: StandInRunner) -> None:
    web = start_web(runner, _cfg(config, password_env=None), "127.0.0.1:0", env={})
    try:
        with httpx.Client(base_url=web.url) as c:  # DNS rebinding: evil.example -> 127.0.0.1
            r = c.get("/api/state", headers={"Host": f"evil.example:{web.port}"})
            assert r.status_code == 421 and "loopback host names" in r.json()["error"]
            assert c.get("/api/state", headers={"Host": f"localhost:{web.port}"}
                         ).status_code == 200
    finally:
        web.stop()


def test_pages_carry_a_strict_content_security_policy(authed: httpx.Client) -> None:
    r = authed.get("/live")
    assert r.status_code == 200
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"


# --------------------------------------------------------------------------- binding


def _cfg(config: Config, **web: Any) -> Config:
    return config.model_copy(update={"web": config.web.model_copy(update=web)})


def test_refuses_to_bind_all_addresses_without_a_password(config: Config,
                                                          runner: StandInRunner) -> None:
    open_cfg = _cfg(config, password_env=None, token_env=None)
    with pytest.raises(FrontdeskError, match="refusing to serve the web UI on 0.0.0.0"):
        start_web(runner, open_cfg, "0.0.0.0:0", env={})


def test_refuses_when_the_password_variable_is_unset(config: Config,
                                                     runner: StandInRunner) -> None:
    with pytest.raises(FrontdeskError, match="FD_TEST_WEB_PASSWORD, but it is not set"):
        start_web(runner, config, "127.0.0.1:0", env={})


def test_binds_all_addresses_with_a_password(config: Config, runner: StandInRunner) -> None:
    web = start_web(runner, apply_web_override(config, "0.0.0.0:0"), env=ENV)
    try:
        assert web.host == "0.0.0.0" and web.port > 0
        with httpx.Client(base_url=web.url) as c:
            assert c.get("/api/state").status_code == 401
            assert c.get("/healthz").status_code == 200
    finally:
        web.stop()
    assert not web.running


def test_a_busy_port_is_a_clear_error(server: WebServer, config: Config,
                                      runner: StandInRunner) -> None:
    with pytest.raises(FrontdeskError, match=f"cannot listen on 127.0.0.1:{server.port}"):
        start_web(runner, config, f"127.0.0.1:{server.port}", env=ENV)


def test_open_on_loopback_without_a_password(config: Config, runner: StandInRunner,
                                             tmp_path: Path) -> None:
    web = start_web(runner, _cfg(config, password_env=None), "127.0.0.1:0", env={})
    try:
        runner.run_scene(0.0, 0.3)
        with httpx.Client(base_url=web.url, timeout=10.0) as c:
            assert c.get("/api/session").json()["auth"] == "open"
            runner.run_scene(0.4, 0.6)  # frames kept now someone asked: the next request has one
            import threading

            feeder = threading.Timer(0.3, lambda: runner.run_scene(0.7, 1.0))
            feeder.start()
            r = c.get("/api/frame.jpg")
            feeder.join()
            assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
            assert r.content[:2] == b"\xff\xd8"
            assert r.headers["cache-control"].startswith("no-store")
    finally:
        web.stop()


# --------------------------------------------------------------------------- zones


@pytest.mark.parametrize(("zones", "message"), [
    ({"staff": [[0.1, 0.1], [0.4, 0.1]]},
     "counter-1 staff: a polygon needs at least 3 points, got 2"),
    ({"service": [[0.8, 0.3], [1.0, 0.8], [1.0, 0.3], [0.8, 0.8]]},
     "counter-1 service: the polygon crosses itself"),
    ({"approach": [[0.5, 0.3], [1.5, 0.3], [0.7, 0.6]]},
     "counter-1 approach: point 1 (1.5, 0.3) is outside the frame"),
    ({"ignore": [[[0.1, 0.1], [0.2, 0.2], [0.3, 0.3]]]},
     "counter-1 ignore[0]: the polygon has no area"),
])
def test_bad_polygons_are_refused_with_the_reason(authed: httpx.Client, config_path: Path,
                                                  zones: dict, message: str) -> None:
    before = config_path.read_text()
    r = authed.put("/api/zones", json=zones_body(**zones))
    assert r.status_code == 400
    assert message in r.json()["error"]
    assert config_path.read_text() == before and backups_of(config_path) == []


def test_malformed_zone_bodies_are_refused(authed: httpx.Client) -> None:
    r = authed.put("/api/zones", json={"counters": [{"id": "nope", "zones": GOOD_ZONES}]})
    assert r.status_code == 400 and "unknown counter 'nope'" in r.json()["error"]
    r = authed.put("/api/zones", json={"counters": [{"id": "counter-1", "zones": GOOD_ZONES,
                                                     "extra": 1}]})
    assert r.status_code == 422 and "extra" in r.json()["error"].lower()
    r = authed.put("/api/zones", json=zones_body(staff=[[0.1, "a"], [0.2, 0.2], [0.3, 0.1]]))
    assert r.status_code == 422 and "staff" in r.json()["error"]
    r = authed.put("/api/zones", content=b"{not json", headers={"content-type":
                                                                 "application/json"})
    assert r.status_code == 422
    r = authed.put("/api/zones", json=zones_body(staff=[[0.5, 0.5]] * 65))
    assert r.status_code == 422  # more points than anyone draws


def test_good_zones_are_saved_with_a_backup_and_handed_to_the_loop(
        authed: httpx.Client, config_path: Path, server: WebServer,
        runner: StandInRunner) -> None:
    r = authed.put("/api/zones", json=zones_body())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["saved"] and body["backup"].startswith("frontdesk.yaml.")
    assert load_config(config_path).counters[0].zones.staff[1] == (0.4, 0.2)
    assert "# Where a customer stands at the counter." in config_path.read_text()
    assert backups_of(config_path)[0].read_text() == CONFIG_YAML
    assert server.hub.applied_version == 0  # not yet: only between frames
    runner.step(0.1, [])
    assert server.hub.applied_version == 1
    assert runner.engine.zones.counters["counter-1"].staff.points[1] == (0.4, 0.2)
    assert runner.config.counters[0].zones.staff[1] == (0.4, 0.2)


def test_oversized_bodies_get_413(authed: httpx.Client, config_path: Path) -> None:
    before = config_path.read_text()
    big = json.dumps({"counters": [{"id": "counter-1", "zones": GOOD_ZONES}],
                      "pad": "x" * MAX_BODY_BYTES}).encode()
    r = authed.put("/api/zones", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "64 KiB" in r.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(20):
            yield b" " * 8192

    r = authed.put("/api/zones", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert config_path.read_text() == before


# --------------------------------------------------------------------------- reports


@pytest.mark.parametrize("path", [
    "/reports/..%2Ffrontdesk.yaml",
    "/reports/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/reports/%2e%2e",
    "/reports/.hidden.html",
    "/reports/frontdesk.yaml",
    "/reports/missing-report.html",
    "/reports/a%00.html",
])
def test_report_names_with_traversal_are_not_served(authed: httpx.Client, path: str) -> None:
    r = authed.get(path)
    assert r.status_code in (400, 404)
    assert "frontdesk" not in r.text.lower() or r.json().get("error")


def test_reports_are_listed_and_served_sandboxed(authed: httpx.Client, server: WebServer
                                                  ) -> None:
    folder = Path(server.hub.config.web.reports_dir or "")
    (folder / "frontdesk-report-2025-01-02.html").write_text("<h1>report</h1>")
    (folder / "notes.txt").write_text("not a report")
    listed = authed.get("/api/reports").json()["reports"]
    assert [x["name"] for x in listed] == ["frontdesk-report-2025-01-02.html"]
    r = authed.get("/reports/frontdesk-report-2025-01-02.html")
    assert r.status_code == 200 and r.text == "<h1>report</h1>"
    assert "sandbox" in r.headers["content-security-policy"]
    assert authed.get("/reports/notes.txt").status_code == 404


# --------------------------------------------------------------------------- camera


def test_field_of_view_is_saved_and_needs_a_restart(authed: httpx.Client,
                                                    config_path: Path) -> None:
    r = authed.put("/api/camera", json={"horizontal_fov_deg": 100})
    assert r.status_code == 200 and "restart" in r.json()["message"]
    assert load_config(config_path).camera.horizontal_fov_deg == 100
    assert "# A 90 degree lens." in config_path.read_text()
    assert authed.get("/api/camera").json()["restart_needed"]
    r = authed.put("/api/camera", json={"horizontal_fov_deg": 500})
    assert r.status_code == 422


def test_board_capture_refuses_a_frame_without_a_board(authed: httpx.Client,
                                                       runner: StandInRunner) -> None:
    import threading

    feeder = threading.Timer(0.3, lambda: runner.run_scene(0.0, 1.0))
    feeder.start()
    r = authed.post("/api/camera/board?board=9x6")
    feeder.join()
    assert r.status_code == 422 and "no 9x6 board found" in r.json()["error"]
    r = authed.post("/api/camera/calibrate", json={"board": "9x6", "square_mm": 25})
    assert r.status_code == 400 and "no board captured yet" in r.json()["error"]
    r = authed.post("/api/camera/board?board=nine")
    assert r.status_code == 400 and "COLUMNSxROWS" in r.json()["error"]


# --------------------------------------------------------------------------- today


def test_today_comes_from_the_store_when_there_is_one(authed: httpx.Client,
                                                      server: WebServer) -> None:
    import time
    from dataclasses import replace

    from frontdesk.store import VisitStore

    config = server.hub.config
    assert authed.get("/api/today").json()["source"] == "live"  # no store yet
    runner = StandInRunner(config)
    runner.run_scene(0.0, 1.5)  # a real arrival from the engine, re-timed to today
    arrived = [e for e in runner.events if e.type.value == "customer_arrived"]
    assert len(arrived) == 1
    with VisitStore.open(config.store.path) as store:
        store.record_events([replace(arrived[0], wall_time=time.time() - 60)])
    server.ctx.today._cached = None  # skip the 30 s cache
    today = authed.get("/api/today").json()
    assert today["source"] == "store"
    assert today["counters"]["counter-1"]["visits"] == 1
    assert today["counters"]["counter-1"]["acknowledged"] == 0


def test_calibration_from_boards_held_in_front_of_the_camera(
        authed: httpx.Client, server: WebServer, runner: StandInRunner,
        config_path: Path) -> None:
    import cv2
    import numpy as np

    from frontdesk.calibration import BoardSpec

    fx = 900.0
    k = np.array([[fx, 0, 640.0], [0, fx, 360.0], [0, 0, 1]])
    rng = np.random.default_rng(3)
    server.hub.watch()  # as a viewer would: frames are kept from now on
    for i in range(6):
        rvec = np.array([rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(-0.3, 0.3)])
        tvec = np.array([rng.uniform(-150, 20), rng.uniform(-90, 0), rng.uniform(450, 700)])
        board = render_board(k, rvec, tvec, BoardSpec(9, 6, 25.0), (1280, 720))
        runner.step(i * 0.1, [], image=cv2.cvtColor(board, cv2.COLOR_GRAY2BGR))
        r = authed.post("/api/camera/board?board=9x6")
        assert r.status_code == 200, r.text
        assert r.json()["boards"] == i + 1 and len(r.json()["corners"]) == 54
    r = authed.post("/api/camera/calibrate", json={"board": "9x6", "square_mm": 25,
                                                   "save": True})
    assert r.status_code == 200, r.text
    assert r.json()["saved"] and r.json()["rms_px"] < 0.5
    camera = load_config(config_path).camera
    assert camera.matrix is not None and abs(camera.matrix[0][0] - fx) / fx < 0.02
    assert camera.calibrated_size == (1280, 720)

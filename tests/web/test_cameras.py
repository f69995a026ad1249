"""Several cameras: every camera's worker serves the web UI, each saving into its own entry.

Each camera's UI is the real server (``start_web``) on the config
``Config.for_camera`` cuts for it, observing a stand-in runner that feeds the real
Engine; both save into the same multi-camera YAML file, as two worker processes do.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from port_helpers import free_port_pair
from web_scene import ENV, MULTI_CAMERA_YAML, PASSWORD, StandInRunner, feeding

from frontdesk.config import Config, load_config, parse_config
from frontdesk.errors import FrontdeskError
from frontdesk.web.config_file import KEEP_BACKUPS, backups_of, lock_path
from frontdesk.web.server import WebServer, start_web

AUTH = {"Authorization": f"Bearer {PASSWORD}"}
NEW_STAFF = [[0.05, 0.3], [0.35, 0.3], [0.35, 0.8], [0.05, 0.8]]
SERVICE = [[0.76, 0.27], [1.0, 0.27], [1.0, 0.85], [0.76, 0.85]]


@dataclass
class Box:
    path: Path
    text: str
    port: int
    whole: Config
    webs: dict[str, WebServer]
    runners: dict[str, StandInRunner]


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Box]:
    port = free_port_pair()
    text = MULTI_CAMERA_YAML.replace("PORT", str(port), 1)
    path = tmp_path / "frontdesk.yaml"
    path.write_text(text, encoding="utf-8")
    whole = load_config(path)
    webs: dict[str, WebServer] = {}
    runners: dict[str, StandInRunner] = {}
    try:
        for cid in whole.camera_ids:
            cut = whole.for_camera(cid)
            runners[cid] = StandInRunner(cut)
            webs[cid] = start_web(runners[cid], cut, config_path=str(path), env=ENV,
                                  whole_config=whole)
        yield Box(path, text, port, whole, webs, runners)
    finally:
        for web in webs.values():
            web.stop()


def zones_body(counter_id: str, staff: list[list[float]]) -> dict[str, Any]:
    return {"counters": [{"id": counter_id, "zones": {"service": SERVICE, "staff": staff}}]}


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new), after
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_each_camera_serves_its_own_ui_on_port_plus_index_and_links_the_other(box: Box) -> None:
    front, pharmacy = box.webs["front"], box.webs["pharmacy"]
    assert (front.port, pharmacy.port) == (box.port, box.port + 1)
    for cid, web in box.webs.items():
        # Reached by the name "localhost": links use the host the browser used.
        with httpx.Client(base_url=f"http://localhost:{web.port}", headers=AUTH) as c:
            s = c.get("/api/session").json()
            assert s["camera"] == cid
            assert s["cameras"] == [
                {"id": "front", "counters": ["front-desk"], "current": cid == "front",
                 "url": f"http://localhost:{box.port}/", "served_by": None},
                {"id": "pharmacy", "counters": ["pharmacy-desk"], "current": cid == "pharmacy",
                 "url": f"http://localhost:{box.port + 1}/", "served_by": None},
            ]
            ids = [c["id"] for c in c.get("/api/zones").json()["counters"]]
            assert ids == [f"{cid}-desk"]  # only this camera's counters
            assert c.get("/api/state").json()["counters"][0]["counter_id"] == f"{cid}-desk"
        with httpx.Client(base_url=web.url) as c:
            login = c.get("/login")
            assert f"frontdesk (camera {cid})" in login.text


def test_each_camera_has_its_own_session_cookie(box: Box) -> None:
    """Browsers share cookies across ports: each camera's login has its own cookie name,
    so logging in to one camera does not log the browser out of the other."""
    front, pharmacy = box.webs["front"], box.webs["pharmacy"]
    with httpx.Client(base_url=front.url) as c:
        r = c.post("/login", data={"password": PASSWORD, "next": "/live"})
        assert r.status_code == 303
        cookie = c.cookies["frontdesk_session_front"]
        assert c.get("/api/session").status_code == 200
    with httpx.Client(base_url=pharmacy.url,
                      cookies={"frontdesk_session_front": cookie}) as c:
        assert c.get("/api/session").status_code == 401  # a login per camera
        r = c.post("/login", data={"password": PASSWORD, "next": "/zones"})
        assert r.status_code == 303 and "frontdesk_session_pharmacy" in c.cookies
        assert c.get("/api/session").json()["camera"] == "pharmacy"


def test_zones_saved_on_one_camera_change_only_its_entry_and_its_engine(box: Box) -> None:
    with httpx.Client(base_url=box.webs["pharmacy"].url, headers=AUTH) as c:
        r = c.put("/api/zones", json=zones_body("front-desk", NEW_STAFF))
        assert r.status_code == 400 and "unknown counter 'front-desk'" in r.json()["error"]
        assert box.path.read_text() == box.text and backups_of(box.path) == []
        r = c.put("/api/zones", json=zones_body("pharmacy-desk", NEW_STAFF))
        assert r.status_code == 200, r.text
        assert r.json()["counters"][0]["id"] == "pharmacy-desk"

    text = box.path.read_text(encoding="utf-8")
    (old, new), = changed_lines(box.text, text)
    assert new == "          staff: [[0.05, 0.3], [0.35, 0.3], [0.35, 0.8], [0.05, 0.8]]"
    assert text.index(new) > text.index("- id: pharmacy")  # in the pharmacy camera's entry
    assert "# Comments like this one must survive every save" in text
    assert "  # The pharmacy camera." in text and "# Pharmacy staff." in text
    saved = load_config(box.path)
    assert saved.for_camera("pharmacy").counters[0].zones.staff[1] == (0.35, 0.3)
    assert saved.for_camera("front").counters[0].zones.staff[1] == (0.39, 0.28)
    (backup,) = backups_of(box.path)
    assert backup.read_text(encoding="utf-8") == box.text

    # Applied live in the pharmacy camera's loop only, between two frames.
    for runner in box.runners.values():
        runner.step(0.1, [])
    assert box.webs["pharmacy"].hub.applied_version == 1
    assert box.webs["front"].hub.applied_version == 0
    pharmacy = box.runners["pharmacy"]
    assert pharmacy.engine.zones.counters["pharmacy-desk"].staff.points[1] == (0.35, 0.3)
    assert pharmacy.config.camera_id == "pharmacy"
    front = box.runners["front"]
    assert front.engine.zones.counters["front-desk"].staff.points[1] == (0.39, 0.28)


def test_camera_settings_go_into_that_cameras_entry(box: Box) -> None:
    with httpx.Client(base_url=box.webs["pharmacy"].url, headers=AUTH) as c:
        assert c.get("/api/camera").json()["horizontal_fov_deg"] == 100
        r = c.put("/api/camera", json={"horizontal_fov_deg": 110})
        assert r.status_code == 200, r.text
        assert "restart" in c.get("/api/camera").json()["restart_needed"]
    text = box.path.read_text(encoding="utf-8")
    (old, new), = changed_lines(box.text, text)
    assert new.startswith("      horizontal_fov_deg: 110") and new.endswith("# pharmacy lens")
    assert old == "      horizontal_fov_deg: 100   # pharmacy lens"
    saved = load_config(box.path)
    assert saved.for_camera("pharmacy").camera.horizontal_fov_deg == 110
    assert saved.for_camera("front").camera.horizontal_fov_deg == 90
    assert saved.cameras is not None and "camera" not in saved.model_fields_set


def test_saves_from_both_cameras_at_once_keep_both_edits(box: Box) -> None:
    """Each server has its own ConfigFile (as each worker process has): only the lock
    file beside the config serialises them. Eight rounds of simultaneous saves."""
    clients = {cid: httpx.Client(base_url=web.url, headers=AUTH, timeout=30.0)
               for cid, web in box.webs.items()}
    try:
        for i in range(8):
            x = round(0.30 + 0.01 * i, 2)
            staff = [[0.0, 0.3], [x, 0.3], [x, 0.8], [0.0, 0.8]]
            start = threading.Barrier(2)
            answers: dict[str, int] = {}

            def save(cid: str, staff: list[list[float]] = staff,
                     start: threading.Barrier = start, answers: dict[str, int] = answers
                     ) -> None:
                start.wait()
                answers[cid] = clients[cid].put(
                    "/api/zones", json=zones_body(f"{cid}-desk", staff)).status_code

            threads = [threading.Thread(target=save, args=(cid,)) for cid in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert answers == {"front": 200, "pharmacy": 200}
            saved = load_config(box.path)
            for cid in clients:
                assert saved.for_camera(cid).counters[0].zones.staff[1] == (x, 0.3), (i, cid)
    finally:
        for c in clients.values():
            c.close()
    assert len(backups_of(box.path)) == KEEP_BACKUPS  # 16 saves; the newest 10 kept
    assert "# Pharmacy staff." in box.path.read_text(encoding="utf-8")


def test_a_save_waits_for_the_lock_and_rereads_the_file_under_it(box: Box) -> None:
    """Another process holds the lock and changes the file meanwhile: the save waits,
    then edits the file as it is after the other's change, keeping it."""
    fd = os.open(lock_path(box.path), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    answer: dict[str, httpx.Response] = {}
    with httpx.Client(base_url=box.webs["pharmacy"].url, headers=AUTH, timeout=30.0) as c:
        t = threading.Thread(target=lambda: answer.update(
            r=c.put("/api/zones", json=zones_body("pharmacy-desk", NEW_STAFF))))
        t.start()
        time.sleep(0.5)
        assert "r" not in answer  # waiting for the lock
        # "The other worker" saves front's camera while holding the lock.
        other = box.text.replace("horizontal_fov_deg: 90   # front lens",
                                 "horizontal_fov_deg: 95   # front lens")
        box.path.write_text(other, encoding="utf-8")
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        t.join(30)
    assert answer["r"].status_code == 200, answer["r"].text
    saved = load_config(box.path)
    assert saved.for_camera("front").camera.horizontal_fov_deg == 95  # the other's edit
    assert saved.for_camera("pharmacy").counters[0].zones.staff[1] == (0.35, 0.3)


def test_every_camera_refuses_an_open_ui_off_loopback(tmp_path: Path) -> None:
    text = MULTI_CAMERA_YAML.replace("127.0.0.1:PORT", "0.0.0.0:0").replace(
        "  password_env: FD_TEST_WEB_PASSWORD\n", "")
    whole = parse_config(text)
    for cid in whole.camera_ids:
        cut = whole.for_camera(cid)
        assert cut.web.enabled
        with pytest.raises(FrontdeskError, match="password"):
            start_web(None, cut, config_path=None, env={}, whole_config=whole)


def test_a_cut_config_without_the_whole_is_refused(box: Box) -> None:
    cut = box.whole.for_camera("front")
    with pytest.raises(FrontdeskError, match="the whole config"):
        start_web(None, cut.model_copy(update={"web": cut.web.model_copy(
            update={"bind": "127.0.0.1:0"})}), env=ENV)


def test_draw_zones_in_the_second_cameras_page_in_a_browser(page: Any, box: Box) -> None:
    web, runner = box.webs["pharmacy"], box.runners["pharmacy"]
    runner.run_scene(0.0, 1.0)
    wanted = [(0.05, 0.30), (0.35, 0.30), (0.35, 0.80), (0.05, 0.80)]
    with feeding(runner, 1.0):
        page.goto(f"{web.url}/zones")
        assert "/login" in page.url
        expect(page.locator("h1")).to_have_text("frontdesk (camera pharmacy)")
        page.fill("#password", PASSWORD)
        page.click("#login")
        page.wait_for_url(f"{web.url}/zones")
        # The page says which camera it is and links to the same page on the other one.
        expect(page.locator("#cameras .camera.current")).to_have_text("camera pharmacy")
        link = page.locator("#cameras a.camera")
        expect(link).to_have_text("front")
        assert link.get_attribute("href") == f"http://127.0.0.1:{box.port}/zones"
        assert page.title().endswith("(camera pharmacy)")
        page.wait_for_selector("#kind option[value=staff]", state="attached")
        expect(page.locator("#counter option")).to_have_text(["pharmacy-desk"])  # its own only
        page.select_option("#kind", "staff")
        page.click("#clear")
        box_ = page.locator("#canvas").bounding_box()
        for x, y in wanted:
            page.mouse.click(box_["x"] + x * box_["width"], box_["y"] + y * box_["height"])
        assert page.locator("#points li").count() == 4
        page.click("#save")
        page.wait_for_selector("#message.good")
        assert "saved to frontdesk.yaml" in page.inner_text("#message")
        page.wait_for_timeout(300)  # a few frames: the loop applies the zones between two

    assert web.hub.applied_version == 1 and box.webs["front"].hub.applied_version == 0
    text = box.path.read_text(encoding="utf-8")
    (old, new), = changed_lines(box.text, text)
    assert new.lstrip().startswith("staff: [[0.05") and text.index(new) > text.index("pharmacy")
    assert "# Pharmacy staff." in text
    saved = load_config(box.path)
    for (x, y), (sx, sy) in zip(wanted, saved.for_camera("pharmacy").counters[0].zones.staff,
                                strict=True):
        assert abs(sx - x) < 0.01 and abs(sy - y) < 0.01
    assert saved.for_camera("front").counters[0].zones.staff[1] == (0.39, 0.28)

    # The link goes to the front camera's zone editor (its own login).
    page.click("#cameras a.camera")
    page.wait_for_url(f"{box.webs['front'].url}/login?next=/zones")
    expect(page.locator("h1")).to_have_text("frontdesk (camera front)")

"""The live path of two cameras on one counter (issue 17, item 4), end to end with
real parts: the rendered two-camera greeting scene (``render-scene`` writes
``side.mp4`` and ``front.mp4``), ``frontdesk run`` processes (the supervisor, or the
workers started by hand), real MediaPipe in each camera's worker, one engine in the
counter's worker, a real mosquitto broker and a real SQLite store.

* one engine for the counter: each visit's events are published once (not once per
  camera), and the greeting the front camera sees before the customer arrives is a
  negative latency flagged ``ack_before_arrival``;
* a camera that ends, or whose worker is killed, mid-visit: the visit goes on with
  the other camera and the counter's retained state says ``degraded``.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from fusion_run_helpers import EVENTS, STATE
from fusion_run_helpers import events_of as _events
from fusion_run_helpers import frontdesk_run as _frontdesk
from fusion_run_helpers import one_visit as _one_visit
from fusion_run_helpers import run_env as _env

from frontdesk.bench.live_fusion import scene_cameras_config, write_config
from frontdesk.mqtt.contract import validate_payload


def _two_camera_config(clips: Path, folder: Path, broker: Any,
                       camera_timeout_s: float = 10.0) -> Path:
    """One config, cameras side and front naming counter-1 with their poses (from the
    configs render-scene wrote), each reading its clip. A camera is offline after
    ``camera_timeout_s`` of silence (long by default: on a loaded test machine a
    worker may stall for seconds)."""
    return write_config(scene_cameras_config(
        clips,
        mqtt={"url": broker.url, "outbox_path": str(folder / "outbox.db"),
              "reconnect_min_s": 1, "reconnect_max_s": 1},
        store={"path": str(folder / "frontdesk.db")},
        fusion={"socket_dir": str(folder / "sockets"), "camera_timeout_s": camera_timeout_s}),
        folder / "two.yaml")


def _states(rec: Any) -> list[dict[str, Any]]:
    return [validate_payload("state", m.payload) for m in rec.on(STATE)]


def test_two_cameras_of_one_counter_run_live_as_one_engine(
        greeting_clips: tuple[Path, dict[str, Any]], tmp_path: Path, mqtt_broker: Any,
        mqtt_recorder: Any) -> None:
    clips, _ = greeting_clips
    config = _two_camera_config(clips, tmp_path, mqtt_broker)
    rec = mqtt_recorder(mqtt_broker, ["frontdesk/#"])
    summary = tmp_path / "summary.json"
    done = subprocess.run(_frontdesk("-c", str(config), "--summary-json", str(summary)),
                          env=_env(), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert rec.wait_for(lambda msgs: any(json.loads(m.payload)["type"] == "customer_left"
                                         for m in msgs if m.topic == EVENTS), 10)
    events = _events(rec)
    visit = _one_visit(events)
    assert set(visit) == {"customer_arrived", "customer_acknowledged", "customer_left"}
    ack = visit["customer_acknowledged"]
    # The front camera sees her look up the walkway 0.8 s before he arrives.
    assert ack["ack_by"] == "eye_contact" and -1.1 <= ack["latency_s"] <= -0.5
    assert ack["ack_before_arrival"] is True and ack["schema_version"] == 3
    assert visit["customer_left"]["ack_before_arrival"] is True
    assert not [e for e in events if e["type"].startswith("camera_")]
    # One engine: one counter worker's summary, fed by both cameras.
    counter = json.loads(Path(f"{summary}.counter-counter-1").read_text())
    assert counter["cameras"] == ["side", "front"]
    assert counter["fusion"]["cameras"]["front"]["frames"] >= 100
    assert counter["fusion"]["cameras"]["side"]["frames"] >= 100
    assert counter["frames"] >= 100 and counter["fusion"]["released_late"] == 0
    for cid in ("side", "front"):
        worker = json.loads(Path(f"{summary}.{cid}").read_text())
        # Sent to the counter's worker (a message sent before its socket was there,
        # on a slow start, is dropped and counted, never blocks the camera).
        assert worker["counter"] == "counter-1" and worker["frames"] == 106
        assert worker["sent"] + worker["dropped"] == 108  # 106 frames, online, ended
    # It publishes as the primary camera; the front camera's worker publishes nothing.
    assert rec.on("frontdesk/sim/side/availability")
    assert rec.on("frontdesk/sim/front/availability") == []
    states = _states(rec)
    assert states and all(s["camera_id"] == "side" for s in states)
    assert any(s["camera"] == "online" and s["cameras"] == {"side": "online", "front": "online"}
               for s in states)
    with sqlite3.connect(tmp_path / "frontdesk.db") as db:
        rows = db.execute("SELECT latency_s FROM visits").fetchall()
        payloads = [json.loads(p) for (p,) in db.execute(
            "SELECT payload FROM events WHERE type = 'customer_acknowledged'")]
    assert len(rows) == 1 and rows[0][0] < 0
    assert [p["ack_before_arrival"] for p in payloads] == [True]


def _start_by_hand(config: Path, tmp_path: Path, front_args: list[str],
                   side_args: list[str], files: contextlib.ExitStack
                   ) -> tuple[subprocess.Popen[bytes], ...]:
    """The counter's worker, then each camera's, as the supervisor would start them."""
    logs = {name: files.enter_context((tmp_path / f"{name}.log").open("wb"))
            for name in ("counter", "side", "front")}
    counter = subprocess.Popen(_frontdesk("-c", str(config), "--counter", "counter-1",
                                          "--summary-json", str(tmp_path / "counter.json")),
                               env=_env(), stderr=logs["counter"])
    sock = tmp_path / "sockets" / "counter-counter-1.sock"
    deadline = time.monotonic() + 60
    while not sock.exists() and time.monotonic() < deadline:
        assert counter.poll() is None, (tmp_path / "counter.log").read_text()
        time.sleep(0.05)
    side = subprocess.Popen(_frontdesk("-c", str(config), "--camera", "side", *side_args),
                            env=_env(), stderr=logs["side"])
    front = subprocess.Popen(_frontdesk("-c", str(config), "--camera", "front", *front_args),
                             env=_env(), stderr=logs["front"])
    return counter, side, front


def _wait_all(procs: tuple[subprocess.Popen[bytes], ...], tmp_path: Path) -> None:
    try:
        for p in procs:
            assert p.wait(timeout=240) == 0, (tmp_path / "counter.log").read_text()[-3000:]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def _kill_front_mid_visit(config: Path, tmp_path: Path, rec: Any,
                          files: contextlib.ExitStack) -> None:
    counter, side, front = _start_by_hand(config, tmp_path, ["--realtime"], ["--realtime"],
                                          files)
    try:
        assert rec.wait_for(lambda msgs: any(
            json.loads(m.payload)["type"] == "customer_arrived" for m in msgs
            if m.topic == EVENTS), 120), (tmp_path / "counter.log").read_text()[-3000:]
        assert front.poll() is None, "the front clip ended before the customer arrived"
        front.send_signal(signal.SIGKILL)
        assert front.wait(timeout=10) == -signal.SIGKILL
        assert rec.wait_for(lambda msgs: bool(_degraded_states(rec, "offline")), 30)
        assert side.wait(timeout=120) == 0
        assert counter.wait(timeout=60) == 0
    finally:
        for p in (counter, side, front):
            if p.poll() is None:
                p.kill()


def _degraded_states(rec: Any, front: str) -> list[dict[str, Any]]:
    return [s for s in _states(rec) if s["camera"] == "degraded"
            and s["cameras"] == {"side": "online", "front": front}]


def test_a_camera_that_ends_mid_visit_leaves_the_visit_and_a_degraded_counter(
        greeting_clips: tuple[Path, dict[str, Any]], tmp_path: Path, mqtt_broker: Any,
        mqtt_recorder: Any) -> None:
    """The front camera stops after 45 frames (3.0 s: after the greeting, the customer
    just arrived); the side camera, at its clip's frame rate as a live camera, carries
    the visit to the end of the clip."""
    clips, _ = greeting_clips
    config = _two_camera_config(clips, tmp_path, mqtt_broker)
    rec = mqtt_recorder(mqtt_broker, ["frontdesk/#"])
    with contextlib.ExitStack() as files:
        procs = _start_by_hand(config, tmp_path, ["--max-frames", "45"], ["--realtime"], files)
        _wait_all(procs, tmp_path)
    assert rec.wait_for(lambda msgs: any(json.loads(m.payload)["type"] == "customer_left"
                                         for m in msgs if m.topic == EVENTS), 10)
    events = _events(rec)
    visit = _one_visit(events)
    assert visit["customer_arrived"]["arrival_t"] == pytest.approx(3.0, abs=0.5)
    assert visit["customer_left"]["left_t"] > 6.0  # seen by the side camera to the end
    assert not [e for e in events if e["type"].startswith("camera_")]
    assert _degraded_states(rec, "ended")
    counter = json.loads((tmp_path / "counter.json").read_text())
    assert 40 <= counter["fusion"]["cameras"]["front"]["frames"] <= 45
    assert counter["fusion"]["cameras"]["side"]["frames"] >= 100


def test_a_camera_worker_killed_mid_visit_leaves_the_visit_and_a_degraded_counter(
        greeting_clips: tuple[Path, dict[str, Any]], tmp_path: Path, mqtt_broker: Any,
        mqtt_recorder: Any) -> None:
    """Both clips at their own frame rate, as live cameras deliver; the front camera's
    worker is killed (SIGKILL: no goodbye) once the customer has arrived. The counter
    hears nothing from it for ``fusion.camera_timeout_s`` (3 s here), marks it offline
    and runs on the side camera: the visit is neither closed nor split."""
    clips, _ = greeting_clips
    config = _two_camera_config(clips, tmp_path, mqtt_broker, camera_timeout_s=3.0)
    rec = mqtt_recorder(mqtt_broker, ["frontdesk/#"])
    with contextlib.ExitStack() as files:
        _kill_front_mid_visit(config, tmp_path, rec, files)
    assert rec.wait_for(lambda msgs: any(json.loads(m.payload)["type"] == "customer_left"
                                         for m in msgs if m.topic == EVENTS), 10)
    events = _events(rec)
    visit = _one_visit(events)
    assert visit["customer_left"]["left_t"] > 6.0
    assert not [e for e in events if e["type"].startswith("camera_")]
    state = _degraded_states(rec, "offline")[0]
    assert state["camera_id"] == "side"
    counter_log = (tmp_path / "counter.log").read_text()
    assert "camera front online -> offline (nothing from its worker for 3 s)" in counter_log
    assert "Traceback" not in counter_log


def test_the_shared_counters_live_view_shows_its_primary_cameras_picture(
        greeting_clips: tuple[Path, dict[str, Any]], tmp_path: Path, mqtt_broker: Any) -> None:
    """The counter's worker sees only observations; while its live view is watched, the
    camera workers send it pictures over the box's socket, and ``/api/frame.jpg`` shows
    the primary camera's (before: 503, no frame). Nobody watching: no picture sent."""
    import cv2
    import httpx
    import numpy as np
    from port_helpers import free_port_pair

    clips, _ = greeting_clips
    port = free_port_pair()
    config = write_config(scene_cameras_config(
        clips,
        mqtt={"url": mqtt_broker.url, "outbox_path": str(tmp_path / "outbox.db")},
        store={"path": str(tmp_path / "frontdesk.db")},
        fusion={"socket_dir": str(tmp_path / "sockets"), "camera_timeout_s": 10.0},
        web={"enabled": True, "bind": f"127.0.0.1:{port}",
             "password_env": "FD_TEST_WEB_PASSWORD"}), tmp_path / "two.yaml")
    side = cv2.VideoCapture(str(clips / "side.mp4"))
    size = (int(side.get(cv2.CAP_PROP_FRAME_WIDTH)), int(side.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    side.release()
    summary = tmp_path / "summary.json"
    proc = subprocess.Popen(
        _frontdesk("-c", str(config), "--realtime", "--loop", "--max-frames", "600",
                   "--summary-json", str(summary)),
        env=dict(_env(), FD_TEST_WEB_PASSWORD="correct-horse-battery"),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    auth = {"Authorization": "Bearer correct-horse-battery"}
    try:
        picture = None
        deadline = time.monotonic() + 90
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=auth,
                          timeout=10) as web:
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    r = web.get("/api/frame.jpg")
                except httpx.TransportError:  # not listening yet
                    time.sleep(0.5)
                    continue
                if r.status_code == 200:
                    picture = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
                    break
                assert r.status_code == 503, r.text
                time.sleep(0.5)
            assert picture is not None, "no picture from the shared counter's live view"
            assert (picture.shape[1], picture.shape[0]) == size
            cams = web.get("/api/session").json()["cameras"]
            assert [(c["id"], c["served_by"]) for c in cams] == [("side", None),
                                                                 ("front", "side")]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err[-3000:]
    for cid in ("side", "front"):
        worker = json.loads(Path(f"{summary}.{cid}").read_text())
        assert worker["frames"] > 0
    assert json.loads(Path(f"{summary}.side").read_text())["pictures"] > 0
    assert json.loads(Path(f"{summary}.front").read_text())["pictures"] == 0  # not shown

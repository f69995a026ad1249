"""A counter whose cameras sit on two boxes (issue 17, item 4), end to end with real
parts: the rendered two-camera greeting (``side.mp4``, ``front.mp4``), one config
whose cameras name their box (``side`` on ``desk-box``, ``front`` on
``door-box``), a ``frontdesk run --box`` process per box, real MediaPipe in each
camera's worker, a real mosquitto broker between the boxes and a real SQLite store.

* the front camera's worker (door-box) publishes its observations to
  ``frontdesk/sim/fusion/counter-1/front/observations``; the counter's worker on
  desk-box takes them with the side camera's local ones into one engine: each event
  once, the greeting before arrival a negative latency;
* the front camera's worker killed mid-visit: its last will tells the counter at
  once, which goes on degraded on the side camera; the visit is kept.
"""

from __future__ import annotations

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

FRONT_TOPIC = "frontdesk/sim/fusion/counter-1/front/observations"


@pytest.fixture
def two_box_clips(greeting_clips: tuple[Path, dict[str, Any]]) -> Path:
    return greeting_clips[0]


def _two_box_config(clips: Path, folder: Path, broker: Any,
                    camera_timeout_s: float = 10.0) -> Path:
    """Cameras side (box desk-box, the primary: the counter's engine runs there) and
    front (box door-box), both naming counter-1 with their poses."""
    return write_config(scene_cameras_config(
        clips, boxes=("desk-box", "door-box"),
        mqtt={"url": broker.url, "outbox_path": str(folder / "outbox.db"),
              "reconnect_min_s": 1, "reconnect_max_s": 1},
        store={"path": str(folder / "frontdesk.db")},
        fusion={"socket_dir": str(folder / "sockets"), "camera_timeout_s": camera_timeout_s}),
        folder / "two-boxes.yaml")


def _start_desk_box(config: Path, tmp_path: Path, log: Any, *extra: str
                    ) -> subprocess.Popen[bytes]:
    """desk-box's supervisor (the counter's worker and the side camera's); returns once
    the counter listens (it subscribes to the broker before it binds its socket)."""
    proc = subprocess.Popen(_frontdesk("-c", str(config), "--box", "desk-box", *extra),
                            env=_env(), stderr=log)
    sock = tmp_path / "sockets" / "counter-counter-1.sock"
    deadline = time.monotonic() + 60
    while not sock.exists() and time.monotonic() < deadline:
        assert proc.poll() is None, (tmp_path / "desk.log").read_text()[-3000:]
        time.sleep(0.05)
    assert sock.exists(), (tmp_path / "desk.log").read_text()[-3000:]
    return proc


def test_a_counter_on_two_boxes_runs_one_engine_through_the_broker(
        two_box_clips: Path, tmp_path: Path, mqtt_broker: Any, mqtt_recorder: Any) -> None:
    config = _two_box_config(two_box_clips, tmp_path, mqtt_broker)
    rec = mqtt_recorder(mqtt_broker, ["frontdesk/#"])
    summary = tmp_path / "summary.json"
    with (tmp_path / "desk.log").open("wb") as desk_log, \
            (tmp_path / "door.log").open("wb") as door_log:
        desk = _start_desk_box(config, tmp_path, desk_log, "--summary-json", str(summary))
        door = subprocess.Popen(_frontdesk("-c", str(config), "--box", "door-box",
                                           "--summary-json", str(summary)),
                                env=_env(), stderr=door_log)
        try:
            assert door.wait(timeout=180) == 0, (tmp_path / "door.log").read_text()[-3000:]
            assert desk.wait(timeout=120) == 0, (tmp_path / "desk.log").read_text()[-3000:]
        finally:
            for p in (desk, door):
                if p.poll() is None:
                    p.kill()
    for name in ("desk", "door"):
        assert "Traceback" not in (tmp_path / f"{name}.log").read_text()
    assert rec.wait_for(lambda msgs: any(json.loads(m.payload)["type"] == "customer_left"
                                         for m in msgs if m.topic == EVENTS), 10)
    visit = _one_visit(_events(rec))
    assert set(visit) == {"customer_arrived", "customer_acknowledged", "customer_left"}
    ack = visit["customer_acknowledged"]
    # The front camera, on the other box, sees her look up the walkway before he arrives.
    assert ack["ack_by"] == "eye_contact" and -1.1 <= ack["latency_s"] <= -0.5
    assert ack["ack_before_arrival"] is True
    # Through the broker: every front message once, observations QoS 0, statuses QoS 1;
    # the side camera's go through desk-box's local socket.
    through = rec.on(FRONT_TOPIC)
    kinds = [json.loads(m.payload)["kind"] for m in through]
    assert kinds.count("obs") == 106 and kinds.count("status") == 2
    assert {m.qos for m in through if b'"kind":"obs"' in m.payload} == {0}
    assert {m.qos for m in through if b'"kind":"status"' in m.payload} == {1}
    assert not any(m.retain for m in through)
    assert rec.on("frontdesk/sim/fusion/counter-1/side/observations") == []
    front = json.loads(Path(f"{summary}.front").read_text())
    assert front["frames"] == 106 and front["sent"] == 108 and front["dropped"] == 0
    counter = json.loads(Path(f"{summary}.counter-counter-1").read_text())
    assert counter["cameras"] == ["side", "front"]
    assert counter["fusion"]["cameras"]["front"]["frames"] == 106
    assert counter["fusion"]["cameras"]["side"]["frames"] >= 100
    assert counter["fusion"]["released_late"] == 0 and counter["fusion"]["malformed"] == 0
    # door-box runs no engine and publishes no state; desk-box does not run front.
    assert rec.on("frontdesk/sim/front/availability") == []
    assert not Path(f"{summary}.side").exists() or "front" not in \
        Path(f"{summary}.side").read_text()
    states = [validate_payload("state", m.payload) for m in rec.on(STATE)]
    assert states and all(s["camera_id"] == "side" for s in states)
    with sqlite3.connect(tmp_path / "frontdesk.db") as db:
        rows = db.execute("SELECT latency_s FROM visits").fetchall()
    assert len(rows) == 1 and rows[0][0] < 0


def test_the_remote_camera_killed_mid_visit_leaves_the_visit_and_a_degraded_counter(
        two_box_clips: Path, tmp_path: Path, mqtt_broker: Any, mqtt_recorder: Any) -> None:
    """Both clips at their frame rate, as live cameras; door-box's front camera worker
    is killed (SIGKILL) once the customer has arrived. The broker publishes its last
    will (an ``offline`` status on its fusion topic) and the counter goes degraded at
    once, well inside ``fusion.camera_timeout_s`` (10 s here); the side camera carries
    the visit to its end."""
    config = _two_box_config(two_box_clips, tmp_path, mqtt_broker)
    rec = mqtt_recorder(mqtt_broker, ["frontdesk/#"])
    with (tmp_path / "desk.log").open("wb") as desk_log, \
            (tmp_path / "door.log").open("wb") as door_log:
        desk = _start_desk_box(config, tmp_path, desk_log, "--realtime")
        front = subprocess.Popen(_frontdesk("-c", str(config), "--box", "door-box",
                                            "--camera", "front", "--realtime"),
                                 env=_env(), stderr=door_log)
        try:
            assert rec.wait_for(lambda msgs: any(
                json.loads(m.payload)["type"] == "customer_arrived" for m in msgs
                if m.topic == EVENTS), 120), (tmp_path / "desk.log").read_text()[-3000:]
            assert front.poll() is None, "the front clip ended before the customer arrived"
            front.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            assert front.wait(timeout=10) == -signal.SIGKILL

            def degraded(msgs: list[Any]) -> bool:
                return any(m.topic == STATE and json.loads(m.payload)["camera"] == "degraded"
                           for m in msgs)

            assert rec.wait_for(degraded, 30)
            assert time.monotonic() - killed_at < 8.0  # the will, not the 10 s silence
            assert desk.wait(timeout=120) == 0, (tmp_path / "desk.log").read_text()[-3000:]
        finally:
            for p in (desk, front):
                if p.poll() is None:
                    p.kill()
    assert rec.wait_for(lambda msgs: any(json.loads(m.payload)["type"] == "customer_left"
                                         for m in msgs if m.topic == EVENTS), 10)
    events = _events(rec)
    visit = _one_visit(events)
    assert visit["customer_left"]["left_t"] > 6.0  # seen by the side camera to the end
    assert not [e for e in events if e["type"].startswith("camera_")]
    states = [validate_payload("state", m.payload) for m in rec.on(STATE)]
    assert any(s["camera"] == "degraded" and s["cameras"] == {"side": "online",
                                                              "front": "offline"}
               for s in states)
    desk_text = (tmp_path / "desk.log").read_text()
    assert "camera front online -> offline (its box lost the broker connection)" in desk_text
    assert "Traceback" not in desk_text

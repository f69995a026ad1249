"""The main loop end to end on real parts: a folder of real photographs, MediaPipe,
the engine, the SQLite store and a real mosquitto broker."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml
from skimage import data

from frontdesk.config import parse_config
from frontdesk.runner import Runner

FOLDER_FPS = 10.0  # the capture's default pace for a folder of images


def _write_frames(folder: Path, count: int) -> None:
    """The astronaut portrait, standing still: a customer at the counter, no staff."""
    folder.mkdir()
    frame = np.full((360, 640, 3), 90, np.uint8)
    face = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[0:300, 120:380]
    face = cv2.resize(face, (208, 240))
    frame[60:300, 380:588] = face
    for i in range(count):
        cv2.imwrite(str(folder / f"{i:04d}.jpg"), frame)


def _config(tmp_path: Path, mqtt_url: str | None) -> Any:
    cfg = {
        "site_id": "test-shop",
        "camera": {"source": str(tmp_path / "frames"), "horizontal_fov_deg": 90},
        "counters": [{
            "id": "till",
            "zones": {
                "service": [[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]],
                "staff": [[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]],
            },
        }],
        "engine": {"alert_after_s": 3.0, "escalate_after_s": 6.0, "unattended_after_s": 1.0},
        "mqtt": {"url": mqtt_url, "outbox_path": str(tmp_path / "outbox.db")},
        "store": {"path": str(tmp_path / "visits.db")},
    }
    return parse_config(yaml.safe_dump(cfg))


def test_a_customer_waiting_alone_is_alerted_stored_and_published(
    tmp_path: Path, mqtt_broker: Any, mqtt_recorder: Any
) -> None:
    frames = int(8.0 * FOLDER_FPS)
    _write_frames(tmp_path / "frames", frames)
    recorder = mqtt_recorder(mqtt_broker, ["frontdesk/#"])
    config = _config(tmp_path, mqtt_broker.url)
    seen: list[str] = []
    runner = Runner(config, on_event=lambda e: seen.append(e.type.value))
    summary = runner.run()

    assert summary.frames == frames
    assert summary.frames_failed == 0
    # A customer at the counter, nobody behind it: arrival, unattended, alert, escalation,
    # then the run ends and the open visit is closed as interrupted.
    for expected in ("customer_arrived", "counter_unattended", "customer_waiting",
                     "customer_escalated", "customer_left"):
        assert expected in seen, f"{expected} missing from {seen}"
    assert seen.index("customer_arrived") < seen.index("customer_waiting") < seen.index(
        "customer_escalated")

    # The store holds the visit with its alert and escalation, closed as interrupted.
    with sqlite3.connect(tmp_path / "visits.db") as db:
        rows = db.execute("SELECT outcome, alerts, escalations FROM visits").fetchall()
    assert rows == [("interrupted", 1, 1)]

    # Every event reached the broker, in order, and the alert topic went ON.
    assert recorder.wait_for(
        lambda msgs: sum(m.topic.endswith("/till/events") for m in msgs) >= len(seen), 10.0)
    published = [json.loads(m.payload)["type"] for m in recorder.messages
                 if m.topic == "frontdesk/test-shop/till/events"]
    assert published == seen
    alert = [m.payload for m in recorder.messages if m.topic == "frontdesk/test-shop/till/alert"]
    assert b"ON" in alert
    availability = [m.payload for m in recorder.messages
                    if m.topic == "frontdesk/test-shop/availability"]
    assert availability[0] == b"online" and availability[-1] == b"offline"


def test_without_a_broker_the_loop_runs_and_keeps_events_in_the_outbox(tmp_path: Path) -> None:
    _write_frames(tmp_path / "frames", int(5.0 * FOLDER_FPS))
    runner = Runner(_config(tmp_path, None))
    summary = runner.run()
    assert summary.events.get("customer_waiting") == 1
    with sqlite3.connect(tmp_path / "outbox.db") as db:
        (kept,) = db.execute("SELECT COUNT(*) FROM outbox").fetchone()
    assert kept == sum(summary.events.values())


def test_run_command_with_a_missing_source_fails_with_a_message(tmp_path: Path) -> None:
    cfg_file = tmp_path / "f.yaml"
    raw = yaml.safe_load(Path("config/frontdesk.yaml").read_text())
    raw["camera"]["source"] = str(tmp_path / "no-such-video.mp4")
    raw["store"]["path"] = str(tmp_path / "v.db")
    raw["mqtt"]["outbox_path"] = str(tmp_path / "o.db")
    cfg_file.write_text(yaml.safe_dump(raw))
    proc = subprocess.run([sys.executable, "-m", "frontdesk", "run", "--config", str(cfg_file)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "no-such-video.mp4" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("bad", ["--max-frames=abc"])
def test_run_command_rejects_bad_arguments(bad: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "frontdesk", "run", "-c", "x.yaml", bad],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "invalid int value" in proc.stderr


def test_realtime_run_takes_the_clips_time_and_gating_keeps_the_customer_measured(
        tmp_path: Path) -> None:
    frames = 20
    _write_frames(tmp_path / "frames", frames)
    config = _config(tmp_path, None)
    gated = config.model_copy(update={"perception": config.perception.model_copy(update={
        "gating": config.perception.gating.model_copy(update={"enabled": True})})})
    runner = Runner(gated, realtime=True, use_mqtt=False)
    summary = runner.run()
    assert summary.frames == frames
    assert summary.wall_seconds >= (frames - 1) / FOLDER_FPS - 0.02  # paced, not as fast as it can
    assert summary.events.get("customer_arrived") == 1
    assert runner.pipeline is not None and runner.pipeline.gate is not None
    stats = runner.pipeline.gate.stats
    assert (stats.detected, stats.skipped) == (frames, 0)  # someone in view: every frame

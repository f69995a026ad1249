"""Faults through the main loop, on replayed observations (no camera, no models):
SIGTERM, a full disk, wall-clock jumps, camera drops, corrupt records, systemd
notifications and visits left open by a killed run."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import frontdesk
from frontdesk.config import parse_config
from frontdesk.errors import FrontdeskError
from frontdesk.replay import ObservationReplay
from frontdesk.runner import LEFT_OPEN_DETAIL, Runner
from frontdesk.sdnotify import SdNotifier
from frontdesk.store import VisitStore

SITE, COUNTER = "faults", "counter-1"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated counter: observations.jsonl, truth.json and config.yaml."""
    out = tmp_path_factory.mktemp("sim") / "run"
    subprocess.run([sys.executable, "-m", "frontdesk", "simulate", "--seed", "4", "--visits",
                    "6", "--fps", "8", "--out", str(out)], check=True, capture_output=True,
                   timeout=120)
    return out


def _records(sim: Path, wall0: float | None = None) -> list[dict[str, Any]]:
    recs = [json.loads(x) for x in (sim / "observations.jsonl").read_text().splitlines() if x]
    if wall0 is not None:
        for r in recs:
            r["wall_time"] = wall0 + r["t"]
    return recs


def _write(path: Path, records: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                            for r in records))
    return path


def _config_dict(sim: Path, tmp: Path, mqtt_url: str | None = None) -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load((sim / "config.yaml").read_text())
    raw["site_id"] = SITE
    raw["mqtt"] = {"url": mqtt_url, "outbox_path": str(tmp / "outbox.db")}
    raw["store"] = {"path": str(tmp / "visits.db")}
    return raw


def _config(sim: Path, tmp: Path, mqtt_url: str | None = None) -> Any:
    return parse_config(yaml.safe_dump(_config_dict(sim, tmp, mqtt_url)))


def _visits(db: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT visit_id, outcome, latency_s, waited_s, alerts FROM visits "
                           "ORDER BY first_seen_wall").fetchall()


def _open_visit(db: Path) -> str | None:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0) as con:
            row = con.execute("SELECT visit_id FROM visits WHERE outcome IS NULL AND "
                              "arrival_wall IS NOT NULL").fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])


def test_sigterm_closes_the_open_visit_as_interrupted_and_flushes_store_and_broker(
    sim: Path, tmp_path: Path, mqtt_broker: Any, mqtt_recorder: Any
) -> None:
    recorder = mqtt_recorder(mqtt_broker, [f"frontdesk/{SITE}/#"])
    cfg = tmp_path / "f.yaml"
    cfg.write_text(yaml.safe_dump(_config_dict(sim, tmp_path, mqtt_broker.url)))
    proc = subprocess.Popen([sys.executable, "-m", "frontdesk", "run", "-c", str(cfg),
                             "--observations", str(sim / "observations.jsonl"), "--speed", "10"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    open_id = None
    while open_id is None:
        assert time.monotonic() < deadline and proc.poll() is None, "no visit opened"
        time.sleep(0.02)
        open_id = _open_visit(tmp_path / "visits.db")
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "SIGTERM" in stderr

    outcome = {v[0]: v[1] for v in _visits(tmp_path / "visits.db")}
    assert outcome[open_id] == "interrupted"
    assert all(o is not None for o in outcome.values())

    def left(msgs: list[Any]) -> bool:
        return any(json.loads(m.payload).get("visit_id") == open_id
                   and json.loads(m.payload)["type"] == "customer_left"
                   for m in msgs if m.topic.endswith("/events"))

    assert recorder.wait_for(left, 10.0)
    with sqlite3.connect(tmp_path / "outbox.db") as con:
        assert con.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


def test_a_full_disk_keeps_events_in_memory_and_writes_them_when_space_returns(
    sim: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    records = _records(sim)
    reference = Runner(_config(sim, tmp_path / "ref"), use_mqtt=False,
                       observations=_write(tmp_path / "obs.jsonl", records))
    (tmp_path / "ref").mkdir()
    reference.run()
    expected = _visits(tmp_path / "ref" / "visits.db")

    stores: list[VisitStore] = []

    class FullDiskRunner(Runner):
        def _open_store(self) -> Any:
            store = super()._open_store()
            stores.append(store)
            return store

    runner = FullDiskRunner(_config(sim, tmp_path), use_mqtt=False,
                            observations=tmp_path / "obs.jsonl")
    n = len(records)
    full_from, full_to = n // 5, 4 * n // 5

    def disk(frame: Any, obs: Any, engine: Any, events: Any) -> None:
        conn = stores[0]._backend.conn  # type: ignore[attr-defined]
        if obs.index == full_from:  # no page may be added: SQLite reports the disk full
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")
        elif obs.index == full_to:
            conn.execute("PRAGMA max_page_count = 1073741823")

    runner.add_observer(disk)
    with caplog.at_level("INFO", logger="frontdesk"):
        summary = runner.run()
    assert runner.store_sink is not None
    assert runner.store_sink.failing is False and not runner.store_sink.backlog
    assert summary.store_dropped == 0
    assert any("disk full" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    assert any("writable again" in r.getMessage() for r in caplog.records)
    got = _visits(tmp_path / "visits.db")
    assert [v[1:] for v in got] == [v[1:] for v in expected]  # nothing lost, nothing doubled
    with sqlite3.connect(tmp_path / "visits.db") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_wall_clock_jumps_do_not_change_waits_or_latencies(sim: Path, tmp_path: Path) -> None:
    wall0 = time.time() - 3600
    steady = _records(sim, wall0)
    jumping = _records(sim, wall0)
    mid = len(jumping) // 3
    for i, r in enumerate(jumping):  # back one hour, then forward two, mid-visit or not
        if i >= mid:
            r["wall_time"] -= 3600.0
        if i >= 2 * mid:
            r["wall_time"] += 7200.0
    results = []
    for name, recs in (("steady", steady), ("jumping", jumping)):
        (tmp_path / name).mkdir()
        Runner(_config(sim, tmp_path / name), use_mqtt=False,
               observations=_write(tmp_path / f"{name}.jsonl", recs)).run()
        visits = _visits(tmp_path / name / "visits.db")  # ordered by wall time: sort
        results.append(sorted((o, lat, w) for _, o, lat, w, _ in visits))
    assert results[0] and results[0] == results[1]


def test_a_file_without_wall_time_is_anchored_once_against_a_jumping_clock(
    sim: Path, tmp_path: Path
) -> None:
    ticks = iter([1_700_000_000.0] + [1_600_000_000.0] * 10**6)  # jumps back after the first read
    runner = Runner(_config(sim, tmp_path), use_mqtt=False, wall_clock=lambda: next(ticks),
                    observations=sim / "observations.jsonl")
    runner.run()
    with sqlite3.connect(tmp_path / "visits.db") as con:
        lo, hi = con.execute("SELECT MIN(wall_time), MAX(wall_time) FROM events").fetchone()
    assert 1_700_000_000.0 <= lo <= hi < 1_700_000_000.0 + 3600


def test_camera_drop_in_the_replay_closes_visits_and_raises_offline_online(
    sim: Path, tmp_path: Path
) -> None:
    records = _records(sim)
    (tmp_path / "obs").mkdir()
    # Drop the camera while the first visit is open, for ten seconds.
    Runner(_config(sim, tmp_path / "obs"), use_mqtt=False,
           observations=_write(tmp_path / "plain.jsonl", records)).run()
    with sqlite3.connect(tmp_path / "obs" / "visits.db") as con:
        (arrival_t,) = con.execute("SELECT MIN(t) FROM events WHERE type='customer_arrived'"
                                   ).fetchone()
    lo, hi = arrival_t + 1.0, arrival_t + 11.0
    faulty = [r for r in records if not lo <= r["t"] < hi]
    at = next(i for i, r in enumerate(faulty) if r["t"] >= hi)
    faulty[at:at] = [{"status": "offline", "t": lo, "detail": "unplugged"},
                     {"status": "online", "t": hi}]
    seen: list[str] = []
    summary = Runner(_config(sim, tmp_path), use_mqtt=False, on_event=lambda e: seen.append(
        e.type.value), observations=_write(tmp_path / "drop.jsonl", faulty)).run()
    assert seen.count("camera_offline") == 1 and seen.count("camera_online") == 1
    off = seen.index("camera_offline")
    assert seen[off + 1] == "customer_left"
    assert summary.frames == len(faulty) - 2
    outcomes = [v[1] for v in _visits(tmp_path / "visits.db")]
    assert "interrupted" in outcomes and None not in outcomes


def test_corrupt_records_are_skipped_and_counted(sim: Path, tmp_path: Path) -> None:
    records: list[Any] = _records(sim)[:400]
    records[10:10] = ["{not json", "[1, 2]", json.dumps({"frame": 3, "t": "x"}),
                      json.dumps({"status": "exploded", "t": 1.0})]
    replay = ObservationReplay(_write(tmp_path / "bad.jsonl", records))
    items = list(replay.events())
    assert replay.stats["corrupt_skipped"] == 4
    assert replay.stats["frames_read"] == 400
    assert [getattr(i, "status", None) for i in (items[0], items[-1])] == ["online", "ended"]


def test_replay_rejects_a_missing_file_and_a_bad_speed(tmp_path: Path) -> None:
    with pytest.raises(FrontdeskError, match="no observations file"):
        ObservationReplay(tmp_path / "nope.jsonl")
    (tmp_path / "x.jsonl").write_text("")
    with pytest.raises(FrontdeskError, match="speed"):
        ObservationReplay(tmp_path / "x.jsonl", speed=-1.0)


def test_replay_speed_paces_by_video_time(sim: Path, tmp_path: Path) -> None:
    records = [r for r in _records(sim) if r["t"] <= 4.0]
    replay = ObservationReplay(_write(tmp_path / "o.jsonl", records), speed=4.0)
    start = time.monotonic()
    n = sum(1 for _ in replay.events())
    elapsed = time.monotonic() - start
    assert n == len(records) + 2
    assert 0.9 <= elapsed <= 3.0  # 4 s of video at 4x: about one second


def test_systemd_gets_ready_watchdog_and_stopping(sim: Path, tmp_path: Path) -> None:
    path = str(tmp_path / "notify.sock")
    got: list[str] = []
    done = threading.Event()
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(0.5)

        def receive() -> None:
            # until the run is over and nothing more comes (a loaded machine may take
            # longer than the timeout to start the runner)
            while True:
                try:
                    got.append(sock.recv(4096).decode())
                except TimeoutError:
                    if done.is_set():
                        return
                except OSError:
                    return

        reader = threading.Thread(target=receive)
        reader.start()
        notifier = SdNotifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000",
                               "WATCHDOG_PID": str(os.getpid())})
        records = [r for r in _records(sim) if r["t"] <= 12.0]
        try:
            Runner(_config(sim, tmp_path), use_mqtt=False, use_store=False, notifier=notifier,
                   speed=8.0, observations=_write(tmp_path / "o.jsonl", records)).run()
        finally:
            done.set()
        reader.join(5.0)
    assert got[0].startswith("READY=1")
    assert got.count("WATCHDOG=1") >= 5  # every 0.1 s for about 1.5 s
    assert got[-1] == "STOPPING=1"


def test_sd_notifier_is_silent_outside_systemd_and_for_another_pid() -> None:
    assert not SdNotifier({}).ready()
    other = SdNotifier({"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "1000000",
                        "WATCHDOG_PID": "1"})
    assert other.watchdog_s is None and not other.watchdog()


def test_visits_left_open_by_a_killed_run_are_closed_once_at_start_up(
    sim: Path, tmp_path: Path
) -> None:
    records = _records(sim, time.time() - 600)
    # A "killed" run: events stored frame by frame until a visit is open, then no
    # shutdown at all (no engine.finish(), as after SIGKILL or a power cut).
    from frontdesk.engine import Engine

    engine = Engine(_config(sim, tmp_path))
    store = VisitStore.open(tmp_path / "visits.db")
    _write(tmp_path / "all.jsonl", records)
    cut = 0  # frames the killed run processed
    for obs in ObservationReplay(tmp_path / "all.jsonl").events():
        if hasattr(obs, "faces"):
            cut += 1
            events = engine.update(obs)
            store.record_events(events)
            if any(e.type.value == "customer_arrived" for e in events):
                break
    store.close()
    left_open = {v[0] for v in _visits(tmp_path / "visits.db") if v[1] is None}
    assert left_open

    seen: list[Any] = []
    Runner(_config(sim, tmp_path), use_mqtt=False, on_event=seen.append,
           observations=_write(tmp_path / "b.jsonl", records[cut + 80:])).run()
    closed = [e for e in seen if e.detail == LEFT_OPEN_DETAIL]
    assert {e.visit_id for e in closed} == left_open
    assert all(e.outcome.value == "interrupted" for e in closed)
    # Made by the engine's event factory like every other event: it passes the
    # project's own event schema, with the visit's timings from its last stored event.
    schema = json.loads((Path(frontdesk.__file__).parent / "schemas" /
                         "event.schema.json").read_text())
    for e in closed:
        jsonschema.validate(e.to_json(), schema)
        assert e.first_seen_t is not None and e.track_id is not None
        assert e.left_t == e.t > 0.0 and e.first_seen_t <= e.t
    with sqlite3.connect(tmp_path / "visits.db") as con:
        counts = con.execute("SELECT visit_id, COUNT(*) FROM events WHERE type='customer_left' "
                             "GROUP BY visit_id").fetchall()
    assert all(n == 1 for _, n in counts)
    assert all(v[1] is not None for v in _visits(tmp_path / "visits.db"))


def test_no_watchdog_ping_follows_the_watchdogs_stop() -> None:
    """``set()`` on the watchdog's stop returns once its thread has stopped: the runner
    sends STOPPING=1 right after, and a ping after it would tell systemd the service
    still runs (seen once on a loaded machine: WATCHDOG=1 after STOPPING=1)."""
    from frontdesk.sdnotify import start_watchdog

    class SlowNotifier:
        watchdog_s = 0.02
        pings: list[float] = []

        def watchdog(self) -> None:
            time.sleep(0.03)  # the thread spends most of its time inside a ping
            self.pings.append(time.monotonic())

    notifier = SlowNotifier()
    seen = iter(range(10**6))
    for _ in range(5):
        stop = start_watchdog(notifier, lambda: next(seen), None)  # type: ignore[arg-type]
        assert stop is not None
        time.sleep(0.1)
        stop.set()
        stopped = time.monotonic()
        time.sleep(0.08)
        assert all(p <= stopped for p in notifier.pings)

"""Soak: over half an hour of a simulated counter, accelerated, through the real
``frontdesk run`` process, a real mosquitto and the SQLite store, with faults:

* the camera drops for 15 s every 5 minutes (status records in the replay);
* the broker stops and comes back (events wait in the outbox);
* frontdesk is killed with SIGKILL while a visit is open, and started again.

Checked: every visit in the store is closed exactly once (one ``customer_left``
each, an outcome on every row), the visit open at the kill is closed as
interrupted by the restarted process, every stored event reached the broker and
the outbox is empty at the end, the visits match the simulation's ground truth,
and the memory (RSS) of each frontdesk process stays under ``RSS_BOUND_MB``.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import yaml
from waiting import wait_for

from frontdesk.runner import LEFT_OPEN_DETAIL

BASE_WALL = float(int(time.time()) - 7200)  # the camera's wall clock at t = 0 (recent: retention)
SPEED = 40.0  # replay speed of the first process (the second replays flat out)
FPS = 8.0
DROP_EVERY_S, DROP_FIRST_S, DROP_LEN_S = 300.0, 150.0, 15.0
BROKER_DOWN_AT_S = 360.0  # simulated time at which the broker is stopped
KILL_AFTER_S = 900.0  # simulated time after which frontdesk is killed (with a visit open)
RSS_BOUND_MB = 250.0
RSS_GROWTH_BOUND_MB = 25.0
MIN_SIM_MINUTES = 30.0
REAL_TIME_BOUND_S = 150.0  # target under 90 s; slack for a loaded machine
SITE, COUNTER = "soak", "counter-1"


def _simulate(out: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "frontdesk", "simulate", "--seed", "11", "--visits", "48",
         "--fps", str(FPS), "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=True)
    summary: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return summary


def _with_faults(observations: Path) -> tuple[list[dict[str, Any]], list[tuple[float, float]]]:
    """The records with a wall clock, and camera drops as status records and gaps."""
    records = [json.loads(line) for line in observations.read_text().splitlines() if line]
    end_t = records[-1]["t"]
    drops = []
    start = DROP_FIRST_S
    while start + DROP_LEN_S < end_t:
        drops.append((start, start + DROP_LEN_S))
        start += DROP_EVERY_S
    timed: list[tuple[float, int, dict[str, Any]]] = []
    for lo, hi in drops:
        timed.append((lo, 0, {"status": "offline", "t": lo, "wall_time": BASE_WALL + lo,
                              "detail": "cable pulled (soak)"}))
        timed.append((hi, 0, {"status": "online", "t": hi, "wall_time": BASE_WALL + hi,
                              "detail": "reconnected"}))
    for rec in records:
        t = rec["t"]
        if any(lo <= t < hi for lo, hi in drops):
            continue  # the camera is blind: no frames
        rec["wall_time"] = round(BASE_WALL + t, 4)
        timed.append((t, 1, rec))
    out = [rec for _, _, rec in sorted(timed, key=lambda x: (x[0], x[1]))]
    return out, drops


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records))


def _config(tmp: Path, broker_url: str, sim_config: Path) -> Path:
    raw = yaml.safe_load(sim_config.read_text())
    raw["site_id"] = SITE
    raw["mqtt"] = {"url": broker_url, "outbox_path": str(tmp / "outbox.db"),
                   "client_id": "frontdesk-soak"}
    raw["store"] = {"path": str(tmp / "visits.db")}
    raw.pop("web", None)
    path = tmp / "frontdesk.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


class _RssSampler:
    """Samples a process's resident set size (VmRSS) from /proc every 0.2 s."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float]] = []  # (monotonic, MB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        while not self._stop.wait(0.2):
            try:
                text = Path(f"/proc/{self.pid}/status").read_text()
            except OSError:
                return
            for line in text.splitlines():
                if line.startswith("VmRSS:"):
                    self.samples.append((time.monotonic(), int(line.split()[1]) / 1024.0))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2.0)

    @property
    def peak_mb(self) -> float:
        return max((mb for _, mb in self.samples), default=0.0)

    def growth_mb(self) -> float:
        """RSS at the end minus RSS once warmed up (after the first quarter of samples)."""
        if len(self.samples) < 8:
            return 0.0
        warm = self.samples[len(self.samples) // 4][1]
        return self.samples[-1][1] - warm


def _spawn(config: Path, observations: Path, speed: float, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "frontdesk", "run", "-c", str(config), "--observations",
         str(observations), "--speed", str(speed)],
        stdout=subprocess.DEVNULL, stderr=open(log, "wb"))  # noqa: SIM115 (closed with the process)


def _latest_frame_s(recorder: Any) -> float:
    times = [json.loads(m.payload).get("last_frame_time") for m in recorder.snapshot()
             if m.topic == f"frontdesk/{SITE}/{COUNTER}/state"]
    times = [x for x in times if x is not None]
    return (max(times) - BASE_WALL) if times else -1.0


def _open_visit_in_store(db: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1.0) as con:
            row = con.execute("SELECT COUNT(*) FROM visits WHERE outcome IS NULL AND "
                              "arrival_wall IS NOT NULL").fetchone()
    except sqlite3.Error:
        return False
    return bool(row[0])


def test_soak_with_camera_drops_broker_restart_and_kill(
    tmp_path: Path, mqtt_broker_factory: Any, mqtt_recorder: Any
) -> None:
    began = time.monotonic()
    summary = _simulate(tmp_path / "sim")
    records, drops = _with_faults(tmp_path / "sim" / "observations.jsonl")
    sim_minutes = records[-1]["t"] / 60.0
    assert sim_minutes >= MIN_SIM_MINUTES
    _write(tmp_path / "all.jsonl", records)

    broker = mqtt_broker_factory(persistence=True)
    recorder = mqtt_recorder(broker, [f"frontdesk/{SITE}/#"], client_id="soak-recorder",
                             clean=False)
    config = _config(tmp_path, broker.url, tmp_path / "sim" / "config.yaml")
    db = tmp_path / "visits.db"

    # --- first process: paced, broker restart, then SIGKILL with a visit open
    started = time.monotonic()
    first = _spawn(config, tmp_path / "all.jsonl", SPEED, tmp_path / "first.log")
    rss_first = _RssSampler(first.pid)
    wait_for(lambda: _latest_frame_s(recorder) >= BROKER_DOWN_AT_S, 60, "the first process")
    broker.stop()
    time.sleep(3.0)  # two simulated minutes without a broker
    broker.restart()
    wait_for(lambda: _latest_frame_s(recorder) >= KILL_AFTER_S, 60, "the broker to come back")
    wait_for(lambda: _open_visit_in_store(db), 30, "an open visit")
    os.kill(first.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    assert first.wait(10) == -signal.SIGKILL
    rss_first.stop()
    # The replay never runs ahead of SPEED x real time: everything after this bound is
    # new to the restarted process (frames in between are lost, as when a box is down).
    restart_t = (killed_at - started) * SPEED + 5.0
    rest = [r for r in records if r["t"] >= restart_t]
    assert rest, "the kill came too late in the stream"
    _write(tmp_path / "rest.jsonl", rest)

    # --- second process: the rest of the stream, as fast as it goes
    second = _spawn(config, tmp_path / "rest.jsonl", 0.0, tmp_path / "second.log")
    rss_second = _RssSampler(second.pid)
    assert second.wait(120) == 0, (tmp_path / "second.log").read_text()[-3000:]
    rss_second.stop()
    real_s = time.monotonic() - began

    # --- the store: every visit closed exactly once
    with sqlite3.connect(db) as con:
        visits = con.execute("SELECT visit_id, outcome, arrival_wall FROM visits").fetchall()
        lefts = con.execute("SELECT visit_id, COUNT(*) FROM events WHERE type = 'customer_left' "
                            "GROUP BY visit_id").fetchall()
        stored_ids = {r[0] for r in con.execute("SELECT event_id FROM events")}
        payloads = [json.loads(r[0]) for r in con.execute(
            "SELECT payload FROM events WHERE type = 'customer_left'")]
        offline = con.execute("SELECT COUNT(*) FROM events WHERE type = 'camera_offline'"
                              ).fetchone()[0]
    assert visits and all(outcome is not None for _, outcome, _ in visits)
    assert {v for v, _ in lefts} == {v for v, _, _ in visits}
    assert all(n == 1 for _, n in lefts), [x for x in lefts if x[1] != 1]
    closed_at_start = [p for p in payloads if p.get("detail") == LEFT_OPEN_DETAIL]
    assert len(closed_at_start) >= 1 and all(p["outcome"] == "interrupted"
                                             for p in closed_at_start)
    replayed_drops = [d for d in drops if d[0] < KILL_AFTER_S or d[0] >= restart_t]
    assert offline >= len(replayed_drops) - 1 and offline <= len(drops)

    # --- the broker: every stored event arrived (QoS 1: duplicates allowed, deduped by id)
    def received_ids() -> set[str]:
        return {json.loads(m.payload)["event_id"] for m in recorder.snapshot()
                if m.topic.endswith("/events")}

    wait_for(lambda: stored_ids <= received_ids(), 30, "every event at the broker")
    assert received_ids() == stored_ids
    with sqlite3.connect(tmp_path / "outbox.db") as con:
        assert con.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0

    # --- the ground truth: visits away from every fault are all found, none counted twice
    truth = json.loads((tmp_path / "sim" / "truth.json").read_text())["visits"]
    faults = [*drops, (KILL_AFTER_S - 60.0, restart_t + 5.0)]

    def faulted(v: dict[str, Any]) -> bool:
        lo, hi = v["first_seen_t"] - 2.0, v["left_t"] + 2.0
        return any(lo < f_hi and f_lo < hi for f_lo, f_hi in faults)

    arrived_truth = [v for v in truth if v["arrival_t"] is not None]
    clean = [v for v in arrived_truth if not faulted(v)]
    stored_arrivals = sorted(a - BASE_WALL for _, _, a in visits if a is not None)
    found = [v for v in clean if any(v["first_seen_t"] - 2.0 <= a <= v["left_t"] + 2.0
                                     for a in stored_arrivals)]
    assert len(clean) >= 20
    assert len(found) >= 0.95 * len(clean), (len(found), len(clean))
    assert len(stored_arrivals) <= len(arrived_truth) + len(faults)

    # --- memory and time
    assert rss_first.peak_mb < RSS_BOUND_MB and rss_second.peak_mb < RSS_BOUND_MB
    assert rss_first.growth_mb() < RSS_GROWTH_BOUND_MB
    assert real_s < REAL_TIME_BOUND_S
    print(f"\nsoak: {sim_minutes:.1f} simulated minutes in {real_s:.1f} s real; "
          f"{summary['visits']} simulated visits ({len(arrived_truth)} arrived), "
          f"{len(visits)} stored visits, {len(closed_at_start)} closed at start-up; "
          f"faults: {len(drops)} camera drops, 1 broker restart, 1 SIGKILL at "
          f"{(killed_at - started) * SPEED / 60:.1f} min (restart at {restart_t / 60:.1f} min); "
          f"{len(stored_ids)} events; peak RSS {rss_first.peak_mb:.0f} MB / "
          f"{rss_second.peak_mb:.0f} MB (bound {RSS_BOUND_MB:.0f}), growth "
          f"{rss_first.growth_mb():+.1f} MB")

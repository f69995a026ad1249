"""The event-sink contract: a sink added to the runner gets what the store gets.

A simulated counter (real engine, real SQLite store) is replayed through the
runner with one test-only sink beside the store.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from frontdesk.config import parse_config
from frontdesk.engine.events import Event
from frontdesk.runner import Runner
from frontdesk.sinks import EventSink, StateUpdate


class RecordingSink:
    """Keeps every event and every state update it is given."""

    name = "recorder"

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.updates: list[StateUpdate] = []
        self.closed = False

    def emit(self, events: Sequence[Event]) -> None:
        assert events, "sinks are never handed an empty batch"
        self.events += events

    def state(self, update: StateUpdate) -> None:
        self.updates.append(update)

    def close(self) -> None:
        self.closed = True


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "run"
    subprocess.run([sys.executable, "-m", "frontdesk", "simulate", "--seed", "5", "--visits",
                    "6", "--fps", "8", "--out", str(out)], check=True, capture_output=True,
                   timeout=120)
    return out


def _config(sim: Path, tmp: Path) -> Any:
    raw: dict[str, Any] = yaml.safe_load((sim / "config.yaml").read_text())
    raw["store"] = {"path": str(tmp / "visits.db")}
    return parse_config(yaml.safe_dump(raw))


def test_a_sink_added_to_the_runner_receives_every_event_the_store_receives(
        sim: Path, tmp_path: Path) -> None:
    sink = RecordingSink()
    assert isinstance(sink, EventSink)
    runner = Runner(_config(sim, tmp_path), use_mqtt=False,
                    observations=sim / "observations.jsonl")
    runner.add_sink(sink)
    summary = runner.run()

    with sqlite3.connect(tmp_path / "visits.db") as con:
        stored = [r[0] for r in con.execute("SELECT event_id FROM events ORDER BY rowid")]
    assert len(stored) >= 12  # six visits: arrivals and departures at least
    assert [e.event_id for e in sink.events] == stored  # every event, in the same order
    assert sum(summary.events.values()) == len(stored)
    # a state after every frame, each carrying its frame's observation, then one at shutdown
    frames = [u for u in sink.updates if u.step is not None]
    assert len(frames) == summary.frames
    assert [u.step.observation.t for u in frames] == sorted(u.t for u in frames)
    assert sink.updates[-1].step is None and "counter-1" in sink.updates[-1].states
    # a sink added from outside belongs to whoever added it: the runner does not close it
    assert not sink.closed

"""What the end-to-end tests of one counter's two cameras share (live on one box,
tests/render/test_live_fusion_run.py; over the broker between two,
tests/render/test_fusion_broker_run.py): the scene, the topics, how ``frontdesk run``
is started and how the events are read."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from frontdesk.mqtt.contract import validate_payload

GREETING = Path(__file__).resolve().parents[1] / "scenes" / "two_cameras" / \
    "greeting_before_arrival.yaml"
REPO = Path(__file__).resolve().parents[2]
EVENTS = "frontdesk/sim/counter-1/events"
STATE = "frontdesk/sim/counter-1/state"


def run_env() -> dict[str, str]:
    """The environment of a ``frontdesk run`` process: this checkout, no box named."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("FRONTDESK_BOX", None)
    return env


def frontdesk_run(*args: str) -> list[str]:
    return [sys.executable, "-m", "frontdesk", "-q", "run", *args]


def events_of(rec: Any) -> list[dict[str, Any]]:
    """The counter's events the recorder heard, each checked against its schema."""
    return [validate_payload("event", m.payload) for m in rec.on(EVENTS)]


def one_visit(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The visit's events by type; fails unless there is exactly one visit and each of
    its events came once."""
    visit_events = [e for e in events if "visit_id" in e]
    assert len({e["visit_id"] for e in visit_events}) == 1, visit_events
    types = [e["type"] for e in visit_events]
    assert sorted(types) == sorted(set(types)), types  # each once: one engine
    assert len({e["event_id"] for e in events}) == len(events)
    return {e["type"]: e for e in visit_events}

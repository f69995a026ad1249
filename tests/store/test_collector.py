"""The collector's delivery guarantees: nothing acknowledged before it is committed."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from visit_events import local, visit

from frontdesk.config import MqttConfig
from frontdesk.store import StoreError, VisitStore
from frontdesk.store.collector import Collector, event_filters, parse_event


def _events() -> list:
    return visit("c1", site="shop-3", counter="till-2", first_seen=local("2026-03-10 10:00:00"),
                 arrival=local("2026-03-10 10:00:02"), ack=local("2026-03-10 10:00:09"),
                 left=local("2026-03-10 10:02:00"))


def _run(collector: Collector) -> threading.Thread:
    collector.start()
    assert collector.wait_subscribed(10), "the collector did not subscribe"
    thread = threading.Thread(target=collector.run, daemon=True)
    thread.start()
    return thread


def _wait(predicate: Any, timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())


def test_failed_writes_are_retried(tmp_path: Path, mqtt_broker: Any, mqtt_recorder: Any,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = VisitStore.record_events
    failures = {"left": 2}

    def flaky(self: VisitStore, events: Any) -> int:
        if failures["left"]:
            failures["left"] -= 1
            raise StoreError("simulated outage")
        return real(self, events)

    monkeypatch.setattr(VisitStore, "record_events", flaky)
    db = tmp_path / "c.db"
    collector = Collector(MqttConfig(url=mqtt_broker.url), str(db), client_id="retry-test",
                          flush_s=0.1, retry_s=0.05)
    thread = _run(collector)
    try:
        pub = mqtt_recorder(mqtt_broker, ["nothing/here"])
        for ev in _events():
            pub.publish("frontdesk/shop-3/till-2/events", json.dumps(ev.to_json()))
        assert _wait(lambda: collector.stats.stored == len(_events()))
    finally:
        collector.stop()
        thread.join(10)
    assert collector.stats.store_errors == 2
    with VisitStore.open(db, create=False) as store:
        row = store.visit("shop-3", "till-2", "c1")
    assert row is not None and row["latency_s"] == pytest.approx(7.0)


def test_unacknowledged_events_are_redelivered_after_a_crash(
        tmp_path: Path, mqtt_broker: Any, mqtt_recorder: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A collector that cannot write never acknowledges; its successor (same client id,
    persistent session) gets every event from the broker again."""
    db = tmp_path / "c.db"
    broken = Collector(MqttConfig(url=mqtt_broker.url), str(db), client_id="durable",
                       flush_s=0.1, retry_s=0.05)

    def always_fails(events: Any) -> bool:
        raise StoreError("database down")

    monkeypatch.setattr(broken, "_write", always_fails)
    thread = _run(broken)
    pub = mqtt_recorder(mqtt_broker, ["nothing/here"])
    for ev in _events():
        pub.publish("frontdesk/shop-3/till-2/events", json.dumps(ev.to_json()))
    assert _wait(lambda: broken.stats.store_errors >= 2)
    broken.stop()
    thread.join(10)
    with VisitStore.open(db) as store:
        assert store.count("events") == 0

    healthy = Collector(MqttConfig(url=mqtt_broker.url), str(db), client_id="durable",
                        flush_s=0.1)
    thread = _run(healthy)
    try:
        assert _wait(lambda: healthy.stats.stored == len(_events()))
    finally:
        healthy.stop()
        thread.join(10)
    with VisitStore.open(db) as store:
        assert store.count("events") == len(_events())


def test_parse_event_tolerates_new_fields_and_rejects_junk() -> None:
    ev = _events()[0]
    data = ev.to_json() | {"added_in_a_later_version": 1}
    assert parse_event(json.dumps(data).encode()) == ev
    for junk in (b"\xff\xfe", b"[1, 2]", b'{"type": "customer_arrived"}', b"{"):
        with pytest.raises(ValueError):
            parse_event(junk)
    assert event_filters("chain/frontdesk") == ["chain/frontdesk/+/+/events",
                                                "chain/frontdesk/+/events"]

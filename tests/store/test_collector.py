"""The collector's delivery guarantees: nothing acknowledged before it is committed."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from visit_events import local, visit
from waiting import wait_until

from frontdesk.config import MqttConfig
from frontdesk.store import StoreError, VisitStore
from frontdesk.store.collector import Collector, event_filters, parse_event, topic_source

REPO = Path(__file__).resolve().parents[2]


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
        assert wait_until(lambda: collector.stats.stored == len(_events()))
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
    assert wait_until(lambda: broken.stats.store_errors >= 2)
    broken.stop()
    thread.join(10)
    with VisitStore.open(db) as store:
        assert store.count("events") == 0

    healthy = Collector(MqttConfig(url=mqtt_broker.url), str(db), client_id="durable",
                        flush_s=0.1)
    thread = _run(healthy)
    try:
        assert wait_until(lambda: healthy.stats.stored == len(_events()))
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


# ------------------------------------------------------- issue 15: no shop writes as another


def test_topic_source_reads_site_and_counter() -> None:
    assert topic_source("frontdesk/shop-a/till-1/events", "frontdesk") == ("shop-a", "till-1")
    assert topic_source("frontdesk/shop-a/events", "frontdesk") == ("shop-a", None)
    assert topic_source("x/y/frontdesk/shop-a/events", "x/y/frontdesk") == ("shop-a", None)
    for bad in ("frontdesk/events", "frontdesk/a/b/c/events", "other/shop-a/events",
                "frontdesk//events", "frontdesk/shop-a/till-1/state"):
        assert topic_source(bad, "frontdesk") is None


def _claiming(events: list, site: str, counter: str) -> list:
    return [dataclasses.replace(ev, site_id=site, counter_id=counter) for ev in events]


def test_an_event_on_shop_a_topic_claiming_shop_b_is_refused_and_ids_are_per_shop(
        pg_url: str, mqtt_broker: Any, mqtt_recorder: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    """Against PostgreSQL: A's topic cannot carry B's events, and an id A sent first does
    not block B's real event with the same id."""
    collector = Collector(MqttConfig(url=mqtt_broker.url), pg_url, client_id="bind-test",
                          flush_s=0.1)
    thread = _run(collector)
    real_b = _claiming(_events(), "shop-b", "till-1")
    try:
        pub = mqtt_recorder(mqtt_broker, ["nothing/here"])
        for ev in real_b:  # shop A replays B's events, ids and all, on its own topics
            pub.publish("frontdesk/shop-a/till-1/events", json.dumps(ev.to_json()))
            pub.publish("frontdesk/shop-a/events", json.dumps(ev.to_json()))
        forged_counter = _claiming(_events(), "shop-a", "till-9")
        pub.publish("frontdesk/shop-a/till-1/events", json.dumps(forged_counter[0].to_json()))
        own_a = _claiming(_events(), "shop-a", "till-1")  # A's own events: same ids as B's
        for ev in own_a:
            pub.publish("frontdesk/shop-a/till-1/events", json.dumps(ev.to_json()))
        for ev in real_b:  # then B's real events, on B's topic
            pub.publish("frontdesk/shop-b/till-1/events", json.dumps(ev.to_json()))
        n = len(real_b)
        assert wait_until(lambda: collector.stats.received == 4 * n + 1)
    finally:
        collector.stop()
        thread.join(10)
    assert collector.stats.rejected == 2 * n + 1
    assert collector.stats.stored == 2 * n
    assert "it claims site 'shop-b' on site 'shop-a''s topic" in caplog.text
    assert "it claims counter 'till-9' on counter 'till-1''s topic" in caplog.text
    with VisitStore.open(pg_url, create=False) as store:
        assert store.count("events") == 2 * n
        b = store.visit("shop-b", "till-1", "c1")
        a = store.visit("shop-a", "till-1", "c1")
        assert store.visit("shop-a", "till-9", "c1") is None
    assert b is not None and b["latency_s"] == pytest.approx(7.0)
    assert a is not None and a["latency_s"] == pytest.approx(7.0)


def test_a_version_1_store_is_migrated_to_ids_per_counter(tmp_path: Path) -> None:
    from frontdesk.store import schema as schema_mod
    from frontdesk.store.backend import connect

    db = tmp_path / "v1.db"
    backend = connect(str(db), create=True)
    schema_mod.migrate(backend, create=True, migrations=schema_mod.MIGRATIONS[:1])
    with backend.transaction("an event stored by version 1") as cur:
        cur.execute("INSERT INTO counters (site_id, counter_id) VALUES ('shop-a', 'till-1')")
        cur.execute("INSERT INTO events (event_id, type, counter_key, t, received_wall, "
                    "payload) VALUES ('old-1', 'counter_attended', 1, 0, 0, '{}')")
    backend.close()
    with VisitStore.open(db) as store:  # at version 1: migrated on opening
        assert store.count("events") == 1  # the old event kept
        a = _claiming(_events(), "shop-a", "till-1")
        assert store.record_events(a) == len(a)
        b = _claiming(_events(), "shop-b", "till-1")
        assert store.record_events(b) == len(b)  # same ids, another shop: stored
        assert store.record_events(b) == 0  # the same shop again: a duplicate
        assert store.count("events") == 2 * len(a) + 1


# ------------------------------------------- issue 15: collectors sharing the load ($share)


def _visits(n: int, site: str = "shop-3") -> list:
    events = []
    for i in range(n):
        start = local("2026-03-10 10:00:00") + 60 * i
        events += visit(f"s{i}", site=site, counter="till-2", first_seen=start,
                        arrival=start + 2, ack=start + 9, left=start + 50)
    return events


def test_a_dead_collectors_share_is_taken_over_not_stranded(
        pg_url: str, mqtt_broker: Any, mqtt_recorder: Any) -> None:
    """Three collectors share the load; one is killed (kill -9); the events the broker
    queued for it are stored by a live one, and its share goes to the others."""
    def member(name: str) -> Collector:
        return Collector(MqttConfig(url=mqtt_broker.url), pg_url, client_id=name, flush_s=0.1,
                         share_group="chain", takeover_after_s=1.0)

    a, b = member("collector-a"), member("collector-b")
    threads = [_run(a), _run(b)]
    mark = mqtt_broker.log_count()
    doomed = subprocess.Popen(
        [sys.executable, "-m", "frontdesk", "collect", "--mqtt", mqtt_broker.url, "--db", pg_url,
         "--client-id", "collector-c", "--share", "chain", "--takeover-after", "1"],
        env={**os.environ, "PYTHONPATH": str(REPO)}, stderr=subprocess.PIPE, text=True)
    try:
        assert mqtt_broker.wait_for_log("as collector-c", 30, since=mark)
        assert wait_until(lambda: "collector-c" in a._peers, 10)  # subscribed and announced
        time.sleep(0.3)
        doomed.kill()
        doomed.wait(10)
        first = _visits(15)
        pub = mqtt_recorder(mqtt_broker, ["nothing/here"])
        for ev in first:
            pub.publish("frontdesk/shop-3/till-2/events", json.dumps(ev.to_json()))
        assert wait_until(lambda: a.stats.stored + b.stats.stored == len(first)
                     and a.stats.taken_over, 20), (a.stats, b.stats)
        assert a.stats.taken_over == ["collector-c"] and b.stats.taken_over == []
        assert 0 < a.stats.drained < len(first)  # c's share, about a third
        later = _visits(6, site="shop-4")
        for ev in later:
            pub.publish("frontdesk/shop-4/till-2/events", json.dumps(ev.to_json()))
        assert wait_until(lambda: a.stats.stored + b.stats.stored == len(first) + len(later), 10)
    finally:
        doomed.kill()
        for c in (a, b):
            c.stop()
        for t in threads:
            t.join(10)
    with VisitStore.open(pg_url, create=False) as store:
        assert store.count("events") == len(first) + len(later)

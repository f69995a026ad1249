"""The PostgreSQL store and the chain collector, against a real server and broker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from visit_events import fixture_day_events, local, visit
from waiting import wait_until

from frontdesk.config import MqttConfig
from frontdesk.report import build_report
from frontdesk.store import SCHEMA_VERSION, StoreError, VisitStore
from frontdesk.store.collector import Collector

LONDON = ZoneInfo("Europe/London")
TUE = date(2026, 3, 10)
REPO = Path(__file__).resolve().parents[2]


def test_postgres_store_gives_the_same_report_as_sqlite(pg_url: str, tmp_path: Path) -> None:
    events = fixture_day_events()
    with VisitStore.open(pg_url) as pg, VisitStore.open(tmp_path / "s.db") as lite:
        assert pg.dialect == "postgresql" and lite.dialect == "sqlite"
        assert pg.record_events(events) == lite.record_events(events) == len(events)
        assert pg.record_events(events) == 0  # duplicates ignored here too
        for first, last in ((TUE, TUE), (date(2026, 3, 9), date(2026, 3, 11))):
            a = build_report(pg, first, last, LONDON, now=1.8e9).to_dict()
            b = build_report(lite, first, last, LONDON, now=1.8e9).to_dict()
            assert a == b
        assert a["summary"]["visits"] == 10
        row_pg, row_lite = pg.visit("site-1", "counter-1", "v9"), lite.visit("site-1", "counter-1",
                                                                              "v9")
        assert row_pg is not None and row_lite is not None
        del row_pg["updated_wall"], row_lite["updated_wall"]
        assert row_pg == row_lite
        # The command line over PostgreSQL prints the same JSON.
        proc = subprocess.run([sys.executable, "-m", "frontdesk", "report", "--db", pg_url,
                               "--from", "2026-03-09", "--to", "2026-03-11", "--tz",
                               "Europe/London", "--format", "json"], capture_output=True,
                              text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert proc.returncode == 0, proc.stderr
        cli = json.loads(proc.stdout)
        assert {k: v for k, v in cli.items() if k != "generated_at"} == {
            k: v for k, v in a.items() if k != "generated_at"}
        # Older than 2026-03-10 12:00: v11, v1, v2, v3 and their 3 + 3 + 4 + 3 events.
        cutoff_now = local("2026-03-11 12:00:00")
        assert pg.purge_older_than(1, cutoff_now) == lite.purge_older_than(1, cutoff_now) == (
            4, 13)


def test_postgres_schema_and_reopen(pg_url: str) -> None:
    import psycopg

    with VisitStore.open(pg_url) as store:
        store.record_events(visit("a", first_seen=local("2026-03-10 10:00:00"),
                                  arrival=local("2026-03-10 10:00:02"),
                                  left=local("2026-03-10 10:01:00")))
    with VisitStore.open(pg_url, create=False) as store:  # second open: no migration to apply
        assert store.count() == 1
    with psycopg.connect(pg_url) as con:
        versions = [r[0] for r in con.execute("SELECT version FROM schema_version")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_postgres_keeps_the_staff_context(pg_url: str) -> None:
    with VisitStore.open(pg_url) as store:
        store.record_events(visit("c", first_seen=local("2026-03-10 10:00:00"),
                                  arrival=local("2026-03-10 10:00:02"),
                                  left=local("2026-03-10 10:01:00"), context="looking_down"))
        row = store.visit("site-1", "counter-1", "c")
    assert row is not None and row["context"] == "looking_down"
    assert json.loads(row["context_shares"])["looking_down"] == 0.75


def test_unreachable_postgres_is_a_clear_error(postgres_server: Any) -> None:
    bad = f"postgresql://postgres:secret@127.0.0.1:{postgres_server.port}/no_such_database"
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL") as info:
        VisitStore.open(bad)
    assert "secret" not in str(info.value)
    proc = subprocess.run([sys.executable, "-m", "frontdesk", "report", "--db", bad],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "secret" not in proc.stderr


def _publish_fixture(recorder: Any) -> int:
    """Publish the fixture day as two sites' counters would, with repeats and junk."""
    events = fixture_day_events()
    for ev in events:
        recorder.publish(f"frontdesk/{ev.site_id}/{ev.counter_id}/events", json.dumps(ev.to_json()))
    other = visit("s2v1", site="site-2", counter="till", first_seen=local("2026-03-10 11:00:00"),
                  arrival=local("2026-03-10 11:00:02"), ack=local("2026-03-10 11:00:22"),
                  left=local("2026-03-10 11:02:00"))
    for ev in other + other[:2]:  # two of them twice, as after a reconnect
        recorder.publish("frontdesk/site-2/till/events", json.dumps(ev.to_json()))
    recorder.publish("frontdesk/site-2/till/events", b"{not json")
    recorder.publish("frontdesk/site-2/events", json.dumps({"type": "nonsense"}))
    return len(events) + len(other)


def test_collector_writes_a_chain_into_postgres(pg_url: str, mqtt_broker: Any,
                                                mqtt_recorder: Any) -> None:
    collector = Collector(MqttConfig(url=mqtt_broker.url), pg_url, client_id="collector-test",
                          flush_s=0.2)
    collector.start()
    assert collector.wait_subscribed(10), "the collector did not subscribe"
    thread = threading.Thread(target=collector.run)
    thread.start()
    try:
        publisher = mqtt_recorder(mqtt_broker, ["nothing/here"])
        expected = _publish_fixture(publisher)
        with VisitStore.open(pg_url, create=False) as store:
            assert wait_until(lambda: store.count("events") == expected), store.count("events")
            assert wait_until(lambda: collector.stats.rejected == 2)
            time.sleep(0.5)  # anything still in flight would show up now
            assert store.count("events") == expected
            report = build_report(store, TUE, TUE, LONDON, now=1.8e9)
    finally:
        collector.stop()
        thread.join(20)
    assert not thread.is_alive()
    stats = collector.stats
    assert (stats.stored, stats.duplicates, stats.rejected) == (expected, 2, 2)
    assert stats.sites == {"site-1", "site-2"}
    assert report.sites == ["site-1", "site-2"]
    by_counter = {(c.site_id, c.counter_id): c.figures for c in report.counters}
    assert by_counter[("site-2", "till")].latency_p50_s == 20.0
    assert by_counter[("site-1", "counter-1")].visits == 8
    assert report.summary.visits == 9


def test_collect_command_runs_until_sigterm(pg_url: str, mqtt_broker: Any,
                                            mqtt_recorder: Any) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "frontdesk", "collect", "--mqtt", mqtt_broker.url, "--db", pg_url,
         "--client-id", "collect-cli-test"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env)
    probe = visit("probe", site="site-9", counter="c", first_seen=local("2026-03-10 08:00:00"),
                  arrival=local("2026-03-10 08:00:01"), ack=local("2026-03-10 08:00:03"),
                  left=local("2026-03-10 08:01:00"))
    topic = "frontdesk/site-9/c/events"
    try:
        publisher = mqtt_recorder(mqtt_broker, ["nothing/here"])
        with VisitStore.open(pg_url) as store:
            # Until the command has started and subscribed, the first event goes nowhere:
            # repeat it (the store ignores repeats) until it lands, then send the rest.
            def first_landed() -> bool:
                assert proc.poll() is None, proc.communicate()[1]
                publisher.publish(topic, json.dumps(probe[0].to_json()))
                return store.count("events") >= 1

            assert wait_until(first_landed, 60)
            for ev in probe[1:]:
                publisher.publish(topic, json.dumps(ev.to_json()))
            assert wait_until(lambda: store.count("events") == len(probe))
            row = store.visit("site-9", "c", "probe")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert row is not None and row["latency_s"] == pytest.approx(2.0)
    assert "new events" in err  # the summary line logged at the end

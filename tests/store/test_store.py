"""The SQLite visit store: upserts, idempotency, retention, schema versions, failures."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from visit_events import CLOCK_ORIGIN, counter_event, visit

from frontdesk.engine.events import EventType
from frontdesk.store import SCHEMA_VERSION, StoreError, VisitStore
from frontdesk.store import schema as schema_mod
from frontdesk.store import visits as visits_mod

T0 = 1_773_138_600.0  # 2026-03-10 10:30 UTC


def sample_visit(name: str = "v1", at: float = T0, **kw: object) -> list:
    return visit(name, first_seen=at - 3, arrival=at, ack=at + 12, left=at + 95, **kw)


def test_visit_row_is_upserted_from_its_events(tmp_path: Path) -> None:
    events = sample_visit("v1", track_id=7)
    with VisitStore.open(tmp_path / "s.db") as store:
        assert store.record_events(events[:1]) == 1  # arrived only
        row = store.visit("site-1", "counter-1", "v1")
        assert row is not None
        assert (row["arrival_wall"], row["latency_s"], row["outcome"]) == (T0, None, None)
        assert store.record_events(events[1:]) == len(events) - 1
        row = store.visit("site-1", "counter-1", "v1")
    assert row is not None
    assert row["track_id"] == 7
    assert row["first_seen_wall"] == pytest.approx(T0 - 3)
    assert row["arrival_wall"] == pytest.approx(T0)
    assert row["ack_wall"] == pytest.approx(T0 + 12)
    assert row["left_wall"] == pytest.approx(T0 + 95)
    assert row["day_wall"] == pytest.approx(T0)
    assert row["latency_s"] == pytest.approx(12.0)
    assert row["waited_s"] == pytest.approx(95.0)
    assert (row["ack_by"], row["outcome"]) == ("eye_contact", "acknowledged")
    assert (row["alerts"], row["escalations"]) == (1, 0)  # 12 s > alert_after 10 s


def test_visit_row_keeps_the_staff_context_in_the_engines_vocabulary(tmp_path: Path) -> None:
    import json

    import jsonschema

    from frontdesk.engine.context import CONTEXTS

    schema = json.loads((Path(schema_mod.__file__).parents[1] / "schemas" /
                         "event.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    events = visit("vc", first_seen=T0 - 2, arrival=T0, ack=T0 + 14, left=T0 + 60,
                   context="talking")
    with VisitStore.open(tmp_path / "s.db") as store:
        store.record_events(events)
        row = store.visit("site-1", "counter-1", "vc")
        plain = visit("vp", first_seen=T0 - 2, arrival=T0, ack=T0 + 3, left=T0 + 60)
        store.record_events(plain)
        no_context = store.visit("site-1", "counter-1", "vp")
    assert row is not None and no_context is not None
    assert row["context"] == "talking"
    shares = json.loads(row["context_shares"])
    assert set(shares) == {c.value for c in CONTEXTS}
    assert shares["talking"] == 0.75
    assert (no_context["context"], no_context["context_shares"]) == (None, None)
    # What the store keeps is what the contract allows: stored payloads validate.
    con = sqlite3.connect(tmp_path / "s.db")
    payloads = [json.loads(p) for (p,) in con.execute("SELECT payload FROM events")]
    con.close()
    with_context = [p for p in payloads if "context" in p]
    assert len(with_context) == 3  # alert, acknowledgement, left
    waiting = {"type": "customer_waiting", "event_id": "e", "site_id": "s", "counter_id": "c",
               "t": 1.0, "visit_id": "v", "track_id": 1, "first_seen_t": 0.0,
               "arrival_t": 0.0, "waited_s": 1.0, "schema_version": 2}
    for p in with_context + [{"context": row["context"], "context_shares": shares}]:
        validator.validate({**waiting, "context": p["context"],
                            "context_shares": p["context_shares"]})


def test_a_version_2_store_gains_the_context_columns(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    backend = visits_mod.connect(str(db), create=True)
    schema_mod.migrate(backend, create=True, migrations=schema_mod.MIGRATIONS[:2])
    backend.close()
    con = sqlite3.connect(db)
    assert "context" not in [r[1] for r in con.execute("PRAGMA table_xinfo(visits)")]
    con.close()
    with VisitStore.open(db) as store:  # upgrades to the context step, then stores it
        store.record_events(visit("v", first_seen=T0 - 2, arrival=T0, left=T0 + 30,
                                  context="absent"))
        row = store.visit("site-1", "counter-1", "v")
    assert row is not None and row["context"] == "absent"


def test_same_event_twice_counts_once(tmp_path: Path) -> None:
    events = visit("v2", first_seen=T0 - 2, arrival=T0, left=T0 + 40)  # alert + escalation
    with VisitStore.open(tmp_path / "s.db") as store:
        assert store.record_events(events + events) == len(events)  # repeated within a batch
        assert store.record_events(events) == 0  # and again later
        assert store.record_events(list(reversed(events))[:2]) == 0
        row = store.visit("site-1", "counter-1", "v2")
        assert store.count("events") == len(events)
        assert store.count("visits") == 1
    assert row is not None and (row["alerts"], row["escalations"]) == (1, 1)


def test_events_in_any_order_give_the_same_visit(tmp_path: Path) -> None:
    events = sample_visit("v3")
    with VisitStore.open(tmp_path / "a.db") as a, VisitStore.open(tmp_path / "b.db") as b:
        a.record_events(events)
        for ev in reversed(events):
            b.record_events([ev])
        ra, rb = a.visit("site-1", "counter-1", "v3"), b.visit("site-1", "counter-1", "v3")
    assert ra is not None and rb is not None
    keep = [k for k in ra if k != "updated_wall"]
    assert {k: ra[k] for k in keep} == pytest.approx({k: rb[k] for k in keep})


def test_wall_times_come_from_the_event_nearest_each_instant(tmp_path: Path) -> None:
    """An acknowledgement reported 0.7 s after the look began (the dwell) still gets the
    look's own wall time."""
    from frontdesk.engine.events import AckSource, Event

    ev = Event(type=EventType.CUSTOMER_ACKNOWLEDGED, event_id="late", site_id="s",
               counter_id="c", t=100.7, wall_time=T0 + 0.7, visit_id="v", first_seen_t=95.0,
               arrival_t=96.0, ack_t=100.0, latency_s=4.0, ack_by=AckSource.BUTTON)
    with VisitStore.open(tmp_path / "s.db") as store:
        store.record_events([ev])
        row = store.visit("s", "c", "v")
    assert row is not None
    assert row["ack_wall"] == pytest.approx(T0)
    assert row["arrival_wall"] == pytest.approx(T0 - 4.0)
    assert row["first_seen_wall"] == pytest.approx(T0 - 5.0)
    assert row["ack_by"] == "button"


def test_no_images_or_biometrics_in_the_schema(tmp_path: Path) -> None:
    with VisitStore.open(tmp_path / "s.db"):
        pass
    con = sqlite3.connect(tmp_path / "s.db")
    columns = {t: [r[1] for r in con.execute(f"PRAGMA table_xinfo({t})")]
               for t in ("visits", "events", "counters")}
    types = {r[2] for t in columns for r in con.execute(f"PRAGMA table_xinfo({t})")}
    con.close()
    assert "BLOB" not in types
    assert columns["visits"] == [
        "counter_key", "visit_id", "track_id", "first_seen_wall", "arrival_wall", "ack_wall",
        "left_wall", "latency_s", "waited_s", "ack_by", "outcome", "alerts", "escalations",
        "updated_wall", "day_wall", "report_key", "context", "context_shares"]
    assert columns["counters"] == ["counter_key", "site_id", "counter_id"]


def test_wal_mode_and_schema_version(tmp_path: Path) -> None:
    with VisitStore.open(tmp_path / "s.db"):
        pass
    con = sqlite3.connect(tmp_path / "s.db")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = con.execute("SELECT version, description FROM schema_version").fetchall()
    con.close()
    assert [v for v, _ in versions] == list(range(1, SCHEMA_VERSION + 1))


def test_migrations_apply_in_order_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.db"
    with VisitStore.open(db) as store:
        store.record_events(sample_visit("old"))
    step = schema_mod.Migration(SCHEMA_VERSION + 1, "a later step",
                                ("CREATE INDEX visits_outcome ON visits (outcome)",))
    monkeypatch.setattr(schema_mod, "MIGRATIONS", (*schema_mod.MIGRATIONS, step))
    monkeypatch.setattr(visits_mod, "migrate",
                        lambda backend, create: schema_mod.migrate(
                            backend, create=create, migrations=schema_mod.MIGRATIONS))
    with VisitStore.open(db) as store:  # upgrades, keeping the data
        assert store.count() == 1
    with VisitStore.open(db) as store:  # and does not apply it twice
        assert store.count() == 1
    con = sqlite3.connect(db)
    assert [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY version")] == [
        *range(1, SCHEMA_VERSION + 2)]
    con.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with VisitStore.open(db):
        pass
    con = sqlite3.connect(db)
    con.execute("INSERT INTO schema_version VALUES (?, 'from the future', 0)",
                (SCHEMA_VERSION + 5,))
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer than this frontdesk understands"):
        VisitStore.open(db)


def test_purge_and_retention(tmp_path: Path) -> None:
    day = 86400.0
    with VisitStore.open(tmp_path / "s.db") as store:
        store.record_events(sample_visit("old", at=T0 - 100 * day) + sample_visit("new", at=T0)
                            + [counter_event(EventType.COUNTER_UNATTENDED, T0 - 100 * day)])
        assert (store.count("visits"), store.count("events")) == (2, 9)
        deleted = store.purge_older_than(90, now=T0)
        assert deleted == (1, 5)  # the old visit, its 4 events and the counter event
        assert store.visit("site-1", "counter-1", "old") is None
        assert store.visit("site-1", "counter-1", "new") is not None
    # Retention configured at open deletes on opening (and daily while recording).
    with VisitStore.open(tmp_path / "s.db", retention_days=1) as store:
        assert store.count("visits") == 0


def test_event_type_names_match_the_engine() -> None:
    assert EventType.CUSTOMER_WAITING.value == visits_mod._WAITING
    assert EventType.CUSTOMER_ESCALATED.value == visits_mod._ESCALATED
    assert (EventType.COUNTER_UNATTENDED.value,
                                        EventType.COUNTER_ATTENDED.value,
                                        EventType.CAMERA_OFFLINE.value,
                                        EventType.CAMERA_ONLINE.value) == visits_mod._CHANGE_TYPES


def test_disk_full_is_a_clear_error_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with VisitStore.open(db) as store:
        store.record_events(sample_visit("kept"))
        con = store._backend.conn  # type: ignore[attr-defined]
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        con.execute(f"PRAGMA max_page_count = {pages + 2}")  # the "disk" is nearly full
        big = []
        for i in range(400):
            big += sample_visit(f"big{i:03d}", at=T0 + i * 200)
        with pytest.raises(StoreError, match="disk full") as info:
            store.record_events(big)
        assert "nothing of this batch was saved" in str(info.value)
        assert store.count("visits") == 1 and store.count("events") == len(sample_visit())
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.execute("PRAGMA max_page_count = 1073741823")  # space again: the batch goes in
        assert store.record_events(big) == len(big)
        assert store.count("visits") == 401


def test_reading_while_the_writer_holds_a_transaction(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    writer = VisitStore.open(db)
    writer.record_events(sample_visit("first"))
    reader = VisitStore.open(db, create=False)
    entered, release = threading.Event(), threading.Event()

    def slow_write() -> None:
        with writer._backend.transaction("hold the write lock") as cur:  # type: ignore[attr-defined]
            cur.execute("UPDATE visits SET track_id = 99")
            entered.set()
            release.wait(10)

    thread = threading.Thread(target=slow_write)
    thread.start()
    try:
        assert entered.wait(10)
        assert reader.count() == 1  # WAL: the report reads while the main loop writes
        row = reader.visit("site-1", "counter-1", "first")
        assert row is not None and row["track_id"] != 99  # not the uncommitted change
    finally:
        release.set()
        thread.join()
        reader.close()
        writer.close()


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no visit database"):
        VisitStore.open(tmp_path / "absent.db", create=False)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(StoreError, match="not a readable visit database"):
        VisitStore.open(bad)
    with pytest.raises(StoreError, match="is a directory"):
        VisitStore.open(tmp_path)


def test_unattended_periods(tmp_path: Path) -> None:
    u, a = EventType.COUNTER_UNATTENDED, EventType.COUNTER_ATTENDED
    with VisitStore.open(tmp_path / "s.db") as store:
        store.record_events([
            counter_event(u, T0), counter_event(a, T0 + 60),                 # closed: 60 s
            counter_event(u, T0 + 500), counter_event(u, T0 + 900),          # restart: cut
            counter_event(EventType.CAMERA_OFFLINE, T0 + 930, name="off"),   # ends the 2nd
        ] + visit("w", first_seen=T0 + 505, arrival=T0 + 510, left=T0 + 540))
        periods = store.unattended_periods(T0 - 10, T0 + 2000)
        inside = store.unattended_periods(T0 + 20, T0 + 30)
    spans = [(p.start_wall - T0, p.end_wall - T0, p.closed) for p in periods]
    # The one at +500 is followed by another counter_unattended: cut at the last event
    # before it (the customer leaving at +540).
    assert spans == [(0, 60, True), (500, 540, False), (900, 930, True)]
    assert [(p.start_wall - T0, p.end_wall - T0) for p in inside] == [(0, 60)]


def test_store_has_its_clock_origin_right() -> None:
    assert sample_visit()[0].t == pytest.approx(T0 - CLOCK_ORIGIN)

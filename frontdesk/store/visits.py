"""The visit store: events in, one upserted row per visit, queries for reports.

Written by the main loop (or the chain collector) through :meth:`VisitStore.record_events`,
read by :mod:`frontdesk.report`. SQLite and PostgreSQL run the same SQL; the
differences live in :mod:`frontdesk.store.backend`.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from frontdesk.store.backend import Backend, Cursor, StoreError, connect
from frontdesk.store.schema import migrate

if TYPE_CHECKING:
    from frontdesk.engine.events import Event

__all__ = ["VisitStore", "VisitColumns", "LongWait", "UnattendedPeriod", "DAY_S"]

log = logging.getLogger(__name__)

DAY_S = 86400.0

_INSERT_EVENT = """INSERT INTO events (event_id, type, counter_key, visit_id, t, wall_time,
    received_wall, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (counter_key, event_id) DO NOTHING"""

# Times keep the first value recorded; latency, acknowledgement, outcome and the staff
# context the latest non-empty one; waited_s the largest; alert and escalation counts add
# up (each event is applied once, so the sums are exact).
_UPSERT_VISIT = """INSERT INTO visits (counter_key, visit_id, track_id, first_seen_wall,
    arrival_wall, ack_wall, left_wall, latency_s, waited_s, ack_by, outcome, alerts, escalations,
    updated_wall, context, context_shares) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (counter_key, visit_id) DO UPDATE SET
    track_id = COALESCE(visits.track_id, excluded.track_id),
    first_seen_wall = COALESCE(visits.first_seen_wall, excluded.first_seen_wall),
    arrival_wall = COALESCE(visits.arrival_wall, excluded.arrival_wall),
    ack_wall = COALESCE(visits.ack_wall, excluded.ack_wall),
    left_wall = COALESCE(visits.left_wall, excluded.left_wall),
    latency_s = COALESCE(excluded.latency_s, visits.latency_s),
    waited_s = CASE WHEN excluded.waited_s IS NULL THEN visits.waited_s
                    WHEN visits.waited_s IS NULL OR excluded.waited_s > visits.waited_s
                    THEN excluded.waited_s ELSE visits.waited_s END,
    ack_by = COALESCE(excluded.ack_by, visits.ack_by),
    outcome = COALESCE(excluded.outcome, visits.outcome),
    alerts = visits.alerts + excluded.alerts,
    escalations = visits.escalations + excluded.escalations,
    updated_wall = excluded.updated_wall,
    context = COALESCE(excluded.context, visits.context),
    context_shares = COALESCE(excluded.context_shares, visits.context_shares)"""

# One row per visit for the report: three numbers, so a million rows cross from the
# database to numpy in about a second (each value becomes a Python object on the way,
# which is what costs). ``report_key`` (a stored generated column, see schema.py) is an
# integer below 2**53, exact in a float64: bit 0 acknowledged, bit 1 arrived, bit 2 left
# unacknowledged, then the alert count (14 bits), the escalation count (14 bits; both
# capped at 16383 per visit, far above the one of each the engine raises) and the
# counter key from bit 31.
_ALERT_SHIFT = 3
_ESCALATION_SHIFT = 17
_COUNTER_SHIFT = 31
_MAX_COUNTER_KEY = 2 ** (53 - _COUNTER_SHIFT) - 1
_NO_VALUE = -1.0e300
"""Stands for NULL in the latency/wait column, so rows convert to floats in one pass."""
_VISIT_COLUMNS_SQL = (
    "SELECT day_wall, COALESCE(latency_s, waited_s, -1.0e300), report_key "
    "FROM {visits} WHERE day_wall >= ? AND day_wall < ?"
)

# Event type names as stored (``EventType`` values; the tests keep them equal). Spelled
# out so that reading the store does not import the engine package and its tracker.
_WAITING = "customer_waiting"
_ESCALATED = "customer_escalated"
_UNATTENDED = "counter_unattended"
_ATTENDED = "counter_attended"
_CAMERA_OFF = "camera_offline"
_CAMERA_ON = "camera_online"
_CHANGE_TYPES = (_UNATTENDED, _ATTENDED, _CAMERA_OFF, _CAMERA_ON)


@dataclass
class _VisitDelta:
    """What one batch of new events says about one visit."""

    counter_key: int
    visit_id: str
    track_id: int | None = None
    walls: dict[str, tuple[float, float]] = field(default_factory=dict)
    """name -> (distance in seconds to the event that gave it, wall time)."""
    latency_s: float | None = None
    waited_s: float | None = None
    ack_by: str | None = None
    outcome: str | None = None
    alerts: int = 0
    escalations: int = 0
    context: str | None = None
    context_shares: str | None = None

    def add(self, ev: Event) -> None:
        if ev.track_id is not None:
            self.track_id = ev.track_id
        if ev.wall_time is not None:
            for name, at in (("first_seen", ev.first_seen_t), ("arrival", ev.arrival_t),
                             ("ack", ev.ack_t), ("left", ev.left_t)):
                if at is None:
                    continue
                # The wall time of a source-clock instant, from the event nearest to it.
                distance = abs(ev.t - at)
                if name not in self.walls or distance < self.walls[name][0]:
                    self.walls[name] = (distance, ev.wall_time + (at - ev.t))
        if ev.latency_s is not None:
            self.latency_s = ev.latency_s
        if ev.waited_s is not None:
            w = ev.waited_s
            self.waited_s = w if self.waited_s is None else max(self.waited_s, w)
        if ev.ack_by is not None:
            self.ack_by = ev.ack_by.value
        if ev.outcome is not None:
            self.outcome = ev.outcome.value
        if ev.context is not None:
            self.context = ev.context
            self.context_shares = (json.dumps(ev.context_shares, sort_keys=True)
                                   if ev.context_shares is not None else None)
        if ev.type.value == _WAITING:
            self.alerts += 1
        elif ev.type.value == _ESCALATED:
            self.escalations += 1

    def row(self, now: float) -> tuple[Any, ...]:
        def wall(name: str) -> float | None:
            got = self.walls.get(name)
            return None if got is None else got[1]

        return (self.counter_key, self.visit_id, self.track_id, wall("first_seen"),
                wall("arrival"), wall("ack"), wall("left"), self.latency_s, self.waited_s,
                self.ack_by, self.outcome, self.alerts, self.escalations, now, self.context,
                self.context_shares)


@dataclass(frozen=True)
class VisitColumns:
    """The visits of a query as numpy columns, for vectorised figures.

    ``counter`` indexes ``counters`` ((site_id, counter_id) pairs, sorted).
    ``latency_s`` is NaN for a visit never acknowledged; ``waited_s`` is the
    unacknowledged wait (seconds from arrival to the last event) of a visit never
    acknowledged, NaN otherwise or when unknown.
    """

    counters: list[tuple[str, str]]
    counter_keys: list[int]
    counter: np.ndarray
    day_wall: np.ndarray
    latency_s: np.ndarray
    waited_s: np.ndarray
    arrived: np.ndarray
    abandoned: np.ndarray
    alerts: np.ndarray
    escalations: np.ndarray

    def __len__(self) -> int:
        return int(self.day_wall.shape[0])


@dataclass(frozen=True)
class LongWait:
    """One of the longest waits: ``wait_s`` is the latency when acknowledged (0 when
    acknowledged before arrival), else the time waited unacknowledged."""

    site_id: str
    counter_id: str
    visit_id: str
    arrival_wall: float
    wait_s: float
    latency_s: float | None
    outcome: str | None


@dataclass(frozen=True)
class UnattendedPeriod:
    site_id: str
    counter_id: str
    start_wall: float
    end_wall: float
    closed: bool
    """True when counter_attended or camera_offline ended it; False when it was cut at
    the last event known (see :meth:`VisitStore.unattended_periods`)."""


class VisitStore:
    """Visits and events in SQLite (a path) or PostgreSQL (a ``postgresql://`` URL).

    Use :meth:`open`; writers call :meth:`record_events` with each batch of engine
    events. With ``retention_days`` (None keeps everything) the store deletes what
    is older at open and then about once a day while recording.
    """

    def __init__(self, backend: Backend, *, retention_days: int | None) -> None:
        self._backend = backend
        self.retention_days = retention_days
        self._last_purge_wall: float | None = None
        self._keys: dict[tuple[str, str], int] = {}

    # ------------------------------------------------------------------ life cycle

    @classmethod
    def open(cls, path_or_url: str | os.PathLike[str], *, create: bool = True,
             retention_days: int | None = None) -> VisitStore:
        """Open (with ``create``, create if needed) a store and bring its schema up to date.

        Raises :class:`~frontdesk.store.StoreError` (a ``FrontdeskError``) with a
        readable message for a missing, corrupt, foreign or too new database.
        """
        backend = connect(path_or_url, create=create)
        try:
            migrate(backend, create=create)
        except BaseException:
            backend.close()
            raise
        store = cls(backend, retention_days=retention_days)
        if retention_days is not None:
            store.purge_older_than(retention_days, time.time())
        return store

    @property
    def where(self) -> str:
        """The database, printable: a path, or a URL without its password."""
        return self._backend.where

    @property
    def dialect(self) -> str:
        return self._backend.name

    def close(self) -> None:
        self._backend.close()

    def __enter__(self) -> VisitStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing

    def record_events(self, events: Iterable[Event]) -> int:
        """Store a batch of events and upsert their visits; return how many were new.

        Idempotent: an event whose ``event_id`` is already stored for its counter
        (or repeated in the batch) is ignored; another counter's, or another
        site's, event with the same id is a different event. The batch is one
        transaction: on any error (a full disk included) nothing of it is saved and
        :class:`StoreError` says why.
        """
        unique: dict[tuple[str, str, str], Event] = {}
        for ev in events:
            unique.setdefault((ev.site_id, ev.counter_id, ev.event_id), ev)
        if not unique:
            return 0
        now = time.time()
        b = self._backend
        insert_event, upsert_visit = b.sql(_INSERT_EVENT), b.sql(_UPSERT_VISIT)
        with b.transaction(f"record {len(unique)} events") as cur:
            keys = self._counter_keys(cur, {(e.site_id, e.counter_id) for e in unique.values()})
            deltas: dict[tuple[int, str], _VisitDelta] = {}
            new = 0
            for ev in unique.values():
                key = keys[(ev.site_id, ev.counter_id)]
                payload = json.dumps(ev.to_json(), separators=(",", ":"), sort_keys=True)
                cur.execute(insert_event, (ev.event_id, ev.type.value, key, ev.visit_id, ev.t,
                                           ev.wall_time, now, payload))
                if cur.rowcount != 1:
                    continue  # stored before
                new += 1
                if ev.visit_id is not None:
                    delta = deltas.get((key, ev.visit_id))
                    if delta is None:
                        delta = deltas[(key, ev.visit_id)] = _VisitDelta(key, ev.visit_id)
                    delta.add(ev)
            if deltas:
                cur.executemany(upsert_visit, [d.row(now) for d in deltas.values()])
        self._keys.update(keys)  # only after the commit: a rolled-back key is never cached
        if len(unique) != new:
            log.debug("%d of %d events were already stored", len(unique) - new, len(unique))
        self._maybe_purge(now)
        return new

    def _counter_keys(self, cur: Cursor, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Keys of the counters, creating rows for new ones (cached once committed)."""
        b = self._backend
        keys = {p: self._keys[p] for p in pairs if p in self._keys}
        for site_id, counter_id in sorted(pairs - set(keys)):
            cur.execute(b.sql("INSERT INTO counters (site_id, counter_id) VALUES (?, ?) "
                              "ON CONFLICT (site_id, counter_id) DO NOTHING"),
                        (site_id, counter_id))
            cur.execute(b.sql("SELECT counter_key FROM counters WHERE site_id = ? AND "
                              "counter_id = ?"), (site_id, counter_id))
            keys[(site_id, counter_id)] = int(cur.fetchone()[0])
        return keys

    def _maybe_purge(self, now: float) -> None:
        if self.retention_days is None:
            return
        if self._last_purge_wall is not None and now - self._last_purge_wall < DAY_S:
            return
        self.purge_older_than(self.retention_days, now)

    def purge_older_than(self, days: float, now: float) -> tuple[int, int]:
        """Delete visits and events older than ``days`` before ``now`` (Unix seconds).

        A visit's age is its day time (arrival, else first seen); an event's, its
        wall time (else when it was received). Returns (visits, events) deleted.
        """
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        cutoff = now - days * DAY_S
        b = self._backend
        with b.transaction("delete old visits") as cur:
            cur.execute(b.sql("DELETE FROM visits WHERE day_wall < ? OR "
                              "(day_wall IS NULL AND updated_wall < ?)"), (cutoff, cutoff))
            visits = max(cur.rowcount, 0)
            cur.execute(b.sql("DELETE FROM events WHERE wall_time < ? OR "
                              "(wall_time IS NULL AND received_wall < ?)"), (cutoff, cutoff))
            events = max(cur.rowcount, 0)
        self._last_purge_wall = now
        if visits or events:
            log.info("%s: deleted %d visits and %d events older than %g days", self.where,
                     visits, events, days)
        return visits, events

    # ------------------------------------------------------------------ reading

    def count(self, table: str = "visits") -> int:
        """Rows in ``visits``, ``events`` or ``counters``."""
        if table not in ("visits", "events", "counters"):
            raise ValueError(f"unknown table {table!r}")
        with self._backend.reading(f"count {table}") as cur:
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            return int(cur.fetchone()[0])

    def counters(self, site: str | None = None,
                 counter: str | None = None) -> dict[int, tuple[str, str]]:
        """Known counters as {counter_key: (site_id, counter_id)}, optionally filtered."""
        clauses, params = [], []
        if site is not None:
            clauses.append("site_id = ?")
            params.append(site)
        if counter is not None:
            clauses.append("counter_id = ?")
            params.append(counter)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        b = self._backend
        with b.reading("list counters") as cur:
            cur.execute(b.sql(f"SELECT counter_key, site_id, counter_id FROM counters{where}"),
                        params)
            return {int(k): (str(s), str(c)) for k, s, c in cur.fetchall()}

    def visit(self, site_id: str, counter_id: str, visit_id: str) -> dict[str, Any] | None:
        """One visit as a dict of its columns (None when absent)."""
        b = self._backend
        with b.reading("read a visit") as cur:
            cur.execute(b.sql("SELECT * FROM visits_named WHERE site_id = ? AND counter_id = ? "
                              "AND visit_id = ?"), (site_id, counter_id, visit_id))
            row = cur.fetchone()
            if row is None:
                return None
            names = [d[0] for d in cur.description]  # type: ignore[attr-defined]
        return dict(zip(names, row, strict=True))

    def open_visits(self, site_id: str, counter_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Visits of these counters with no outcome yet (left open by a run that was killed).

        Each dict has ``counter_id``, ``visit_id``, ``track_id``, ``arrival_wall``,
        ``last_event_wall`` (the wall time of the visit's last stored event, or None)
        and ``last_event`` (that event's JSON payload as a dict, or None).
        """
        if not counter_ids:
            return []
        b = self._backend
        marks = ", ".join("?" for _ in counter_ids)
        sql = b.sql(
            "SELECT c.counter_id, v.visit_id, v.track_id, v.arrival_wall, "
            "(SELECT MAX(e.wall_time) FROM events e WHERE e.counter_key = v.counter_key "
            "AND e.visit_id = v.visit_id), "
            "(SELECT e.payload FROM events e WHERE e.counter_key = v.counter_key "
            "AND e.visit_id = v.visit_id ORDER BY e.t DESC LIMIT 1) "
            "FROM visits v JOIN counters c ON "
            f"c.counter_key = v.counter_key WHERE c.site_id = ? AND c.counter_id IN ({marks}) "
            "AND v.outcome IS NULL ORDER BY v.first_seen_wall")
        with b.reading("find visits left open") as cur:
            cur.execute(sql, [site_id, *counter_ids])
            rows = cur.fetchall()
        return [{"counter_id": str(r[0]), "visit_id": str(r[1]),
                 "track_id": None if r[2] is None else int(r[2]), "arrival_wall": r[3],
                 "last_event_wall": r[4], "last_event": _payload_dict(r[5])} for r in rows]

    def day_wall_range(self, keys: Sequence[int] | None = None) -> tuple[float, float] | None:
        """The earliest and latest visit day time (of the given counters), or None."""
        b = self._backend
        cond, params = _key_filter(keys)
        with b.reading("find the first and last visit") as cur:
            cur.execute(b.sql(f"SELECT MIN(day_wall), MAX(day_wall) FROM visits "
                              f"WHERE day_wall IS NOT NULL{cond}"), params)
            lo, hi = cur.fetchone()
        return None if lo is None else (float(lo), float(hi))

    def visit_columns(self, lo: float, hi: float,
                      counters: dict[int, tuple[str, str]] | None = None) -> VisitColumns:
        """Visits whose day time is in [lo, hi) as numpy columns (of the given counters:
        {key: (site, counter)} as from :meth:`counters`; all when None)."""
        known = self.counters() if counters is None else counters
        if known and max(known) > _MAX_COUNTER_KEY:
            raise StoreError(f"{self.where}: more than {_MAX_COUNTER_KEY} counters")
        cond, params = _key_filter(None if counters is None else list(counters))
        table = "visits"
        span = self.day_wall_range()
        if span is not None and (hi - lo) >= 0.5 * (span[1] - span[0]):
            table = self._backend.full_scan("visits")  # most rows: read straight through
        sql = _VISIT_COLUMNS_SQL.replace("{visits}", table) + cond
        data = self._backend.fetch_floats(sql, [lo, hi, *params], "read visits").reshape(-1, 3)
        packed = data[:, 2].astype(np.int64)
        keys = packed >> _COUNTER_SHIFT
        present = sorted((int(k) for k in np.unique(keys)), key=lambda k: known[k])
        order = np.array(present, dtype=np.int64)
        index_of = np.zeros(int(order.max()) + 1 if len(order) else 1, dtype=np.int32)
        index_of[order] = np.arange(len(order), dtype=np.int32)
        acked = (packed & 1).astype(bool)
        value = np.where(data[:, 1] == _NO_VALUE, np.nan, data[:, 1])
        field = (1 << (_ESCALATION_SHIFT - _ALERT_SHIFT)) - 1
        return VisitColumns(
            counters=[known[k] for k in present],
            counter_keys=present,
            counter=index_of[keys],
            day_wall=data[:, 0].copy(),
            latency_s=np.where(acked, value, np.nan),
            waited_s=np.where(acked, np.nan, value),
            arrived=(packed & 2).astype(bool),
            abandoned=(packed & 4).astype(bool),
            alerts=(packed >> _ALERT_SHIFT) & field,
            escalations=(packed >> _ESCALATION_SHIFT) & field,
        )

    def late_contexts(self, lo: float, hi: float, target_s: float,
                      counters: dict[int, tuple[str, str]] | None = None
                      ) -> list[tuple[str, str, float, str | None]]:
        """The waits beyond ``target_s`` of visits whose day time is in [lo, hi), with
        what the staff were doing: (site_id, counter_id, day_wall, context) for every
        arrived visit whose latency (or, never acknowledged, whose wait) is over the
        target; context None when none was recorded (a visit stored before staff
        context). Only those rows cross: a small share of all visits."""
        b = self._backend
        cond, params = _key_filter(None if counters is None else list(counters))
        known = self.counters() if counters is None else counters
        sql = ("SELECT counter_key, day_wall, context FROM visits WHERE day_wall >= ? AND "
               "day_wall < ? AND arrival_wall IS NOT NULL AND "
               "COALESCE(latency_s, waited_s) > ?" + cond)
        with b.reading("read the staff context of late waits") as cur:
            cur.execute(b.sql(sql), [lo, hi, target_s, *params])
            rows = cur.fetchall()
        out = []
        for key, day_wall, context in rows:
            site_id, counter_id = known.get(int(key), ("?", "?"))
            out.append((site_id, counter_id, float(day_wall),
                        None if context is None else str(context)))
        return out

    def longest_waits(self, cols: VisitColumns, mask: np.ndarray | None = None,
                      limit: int = 10) -> list[LongWait]:
        """The arrived visits among ``cols`` (where ``mask``) with the longest waits.

        Ranked by wait, longest first; equal waits by arrival time, then visit id.
        """
        wait = np.where(np.isnan(cols.latency_s), cols.waited_s, np.maximum(cols.latency_s, 0.0))
        ok = cols.arrived & ~np.isnan(wait)
        if mask is not None:
            ok &= mask
        idx = np.flatnonzero(ok)
        if idx.size == 0:
            return []
        if idx.size > limit:
            # Everything tied with the limit-th longest wait, so ties rank fairly below.
            kth = np.partition(wait[idx], idx.size - limit)[idx.size - limit]
            idx = idx[wait[idx] >= kth]
        b = self._backend
        found: list[LongWait] = []
        seen: set[tuple[int, str]] = set()
        with b.reading("read the longest waits") as cur:
            for i in idx:
                key = cols.counter_keys[int(cols.counter[i])]
                cur.execute(b.sql("SELECT visit_id, arrival_wall, latency_s, waited_s, outcome "
                                  "FROM visits WHERE counter_key = ? AND day_wall = ?"),
                            (key, float(cols.day_wall[i])))
                for visit_id, arrival, latency, waited, outcome in cur.fetchall():
                    if arrival is None or (key, visit_id) in seen:
                        continue
                    w = max(float(latency), 0.0) if latency is not None else waited
                    if w is None:
                        continue
                    seen.add((key, visit_id))
                    site_id, counter_id = cols.counters[int(cols.counter[i])]
                    found.append(LongWait(site_id, counter_id, str(visit_id), float(arrival),
                                          float(w), None if latency is None else float(latency),
                                          outcome))
        found.sort(key=lambda w: (-w.wait_s, w.arrival_wall, w.visit_id))
        return found[:limit]

    def unattended_periods(self, lo: float, hi: float,
                           counters: dict[int, tuple[str, str]] | None = None
                           ) -> list[UnattendedPeriod]:
        """Periods a counter was unattended (a customer waiting, no staff visible)
        that overlap [lo, hi), not clipped to it.

        A period runs from ``counter_unattended`` to the next ``counter_attended``
        (or ``camera_offline``) on that counter. When the next change is instead
        another ``counter_unattended`` or a ``camera_online`` (frontdesk or the
        camera restarted), or there is none, the period ends at the last event
        recorded on that counter before that point: the last moment anything was known.
        """
        known = self.counters() if counters is None else counters
        b = self._backend
        marks = ", ".join("?" for _ in _CHANGE_TYPES)
        cond, params = _key_filter(None if counters is None else list(counters))
        periods: list[UnattendedPeriod] = []
        with b.reading("read unattended periods") as cur:
            cur.execute(b.sql(f"SELECT counter_key, type, wall_time FROM events "
                              f"WHERE type IN ({marks}) AND wall_time >= ? AND wall_time < ?"
                              f"{cond} ORDER BY counter_key, wall_time"),
                        [*_CHANGE_TYPES, lo, hi, *params])
            changes: dict[int, list[tuple[str, float]]] = {}
            for key, typ, wall in cur.fetchall():
                changes.setdefault(int(key), []).append((str(typ), float(wall)))
            cur.execute(b.sql(f"SELECT DISTINCT counter_key FROM events WHERE type = ? "
                              f"AND wall_time < ?{cond}"), [_UNATTENDED, lo, *params])
            candidates = set(changes) | {int(r[0]) for r in cur.fetchall()}
            for key in sorted(candidates):
                seq = list(changes.get(key, []))
                before = self._nearest_change(cur, key, before=lo)
                if before is not None and before[0] == _UNATTENDED:
                    seq.insert(0, before)
                if seq and seq[-1][0] == _UNATTENDED:
                    after = self._nearest_change(cur, key, after=hi)
                    if after is not None:
                        seq.append(after)
                site_id, counter_id = known[key]
                for start, end, closed in self._pair(cur, key, seq):
                    if end > lo and start < hi:
                        periods.append(UnattendedPeriod(site_id, counter_id, start, end, closed))
        return periods

    def _nearest_change(self, cur: Cursor, key: int, *, before: float | None = None,
                        after: float | None = None) -> tuple[str, float] | None:
        """The last state change on a counter before ``before``, or the first at or
        after ``after``."""
        b = self._backend
        op, bound, order = ("<", before, "DESC") if before is not None else (">=", after, "ASC")
        best: tuple[str, float] | None = None
        for typ in _CHANGE_TYPES:
            cur.execute(b.sql(f"SELECT wall_time FROM events WHERE counter_key = ? AND type = ? "
                              f"AND wall_time {op} ? ORDER BY wall_time {order} LIMIT 1"),
                        (key, typ, bound))
            row = cur.fetchone()
            if row is None:
                continue
            wall = float(row[0])
            if best is None or (wall > best[1] if before is not None else wall < best[1]):
                best = (typ, wall)
        return best

    def _last_event(self, cur: Cursor, key: int, start: float, bound: float | None) -> float:
        b = self._backend
        sql = "SELECT MAX(wall_time) FROM events WHERE counter_key = ? AND wall_time >= ?"
        params: list[Any] = [key, start]
        if bound is not None:
            sql += " AND wall_time < ?"
            params.append(bound)
        cur.execute(b.sql(sql), params)
        row = cur.fetchone()
        return start if row is None or row[0] is None else float(row[0])

    def _pair(self, cur: Cursor, key: int,
              seq: Sequence[tuple[str, float]]) -> list[tuple[float, float, bool]]:
        out: list[tuple[float, float, bool]] = []
        start: float | None = None
        for typ, wall in seq:
            if start is not None:
                if typ in (_ATTENDED, _CAMERA_OFF):
                    out.append((start, wall, True))
                else:
                    out.append((start, self._last_event(cur, key, start, wall), False))
                start = None
            if typ == _UNATTENDED:
                start = wall
        if start is not None:
            out.append((start, self._last_event(cur, key, start, None), False))
        return out


def _key_filter(keys: Sequence[int] | None) -> tuple[str, list[Any]]:
    if keys is None:
        return "", []
    if not keys:
        return " AND 1 = 0", []
    return f" AND counter_key IN ({', '.join('?' for _ in keys)})", [int(k) for k in keys]


def _payload_dict(payload: Any) -> dict[str, Any] | None:
    """A stored event payload as a dict (None when missing or unreadable)."""
    if payload is None:
        return None
    try:
        value = json.loads(payload) if isinstance(payload, str | bytes) else payload
    except ValueError:
        return None
    return value if isinstance(value, dict) else None

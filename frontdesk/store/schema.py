"""The store's schema, built by ordered migration steps.

``schema_version`` holds one row per applied step. Opening a store applies the
steps it lacks, in order, each in its own transaction (so a failed step leaves the
previous version intact). A database newer than this code is refused rather than
guessed at. Add a step by appending a :class:`Migration`; never edit a released one.

Only timings, zones (counter ids), anonymous track ids and what the staff present
were doing as a team (the context of each wait) are stored: no images, no face data,
nothing per staff member.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from frontdesk.store.backend import Backend, Cursor, StoreError

__all__ = ["Migration", "MIGRATIONS", "SCHEMA_VERSION", "migrate", "current_version"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "counters, events and visits",
        (
            # Each (site, counter) pair once, with a small integer key the other tables use.
            """CREATE TABLE counters (
                counter_key {serial},
                site_id {text} NOT NULL,
                counter_id {text} NOT NULL,
                UNIQUE (site_id, counter_id)
            )""",
            # Every event as received, once: event_id is the idempotency key.
            """CREATE TABLE events (
                event_id {text} PRIMARY KEY,
                type {text} NOT NULL,
                counter_key {int} NOT NULL REFERENCES counters (counter_key),
                visit_id {text},
                t {real} NOT NULL,
                wall_time {real},
                received_wall {real} NOT NULL,
                payload {text} NOT NULL
            )""",
            "CREATE INDEX events_counter_type_wall ON events (counter_key, type, wall_time)",
            "CREATE INDEX events_type_wall ON events (type, wall_time)",
            "CREATE INDEX events_counter_wall ON events (counter_key, wall_time)",
            # One row per visit, upserted from its events. Wall times are Unix seconds.
            """CREATE TABLE visits (
                counter_key {int} NOT NULL REFERENCES counters (counter_key),
                visit_id {text} NOT NULL,
                track_id {int},
                first_seen_wall {real},
                arrival_wall {real},
                ack_wall {real},
                left_wall {real},
                latency_s {real},
                waited_s {real},
                ack_by {text},
                outcome {text},
                alerts {int} NOT NULL DEFAULT 0,
                escalations {int} NOT NULL DEFAULT 0,
                updated_wall {real} NOT NULL,
                day_wall {real} GENERATED ALWAYS AS
                    (COALESCE(arrival_wall, first_seen_wall, ack_wall, left_wall)) STORED,
                report_key {int} GENERATED ALWAYS AS (
                    (CASE WHEN latency_s IS NULL THEN 0 ELSE 1 END)
                    + (CASE WHEN arrival_wall IS NULL THEN 0 ELSE 2 END)
                    + (CASE WHEN outcome = 'abandoned' THEN 4 ELSE 0 END)
                    + 8 * (CASE WHEN alerts > 16383 THEN 16383 ELSE alerts END)
                    + 131072 * (CASE WHEN escalations > 16383 THEN 16383 ELSE escalations END)
                    + 2147483648 * counter_key) STORED,
                PRIMARY KEY (counter_key, visit_id)
            )""",
            "CREATE INDEX visits_day ON visits (day_wall)",
            "CREATE INDEX visits_counter_day ON visits (counter_key, day_wall)",
            # For people reading the database by hand: visits with their site and counter.
            """CREATE VIEW visits_named AS
                SELECT c.site_id, c.counter_id, v.* FROM visits v
                JOIN counters c ON c.counter_key = v.counter_key""",
        ),
    ),
    Migration(
        2,
        "event ids unique per counter, not across the chain",
        (
            # A shop that sent another shop's event id first blocked that shop's event.
            """CREATE TABLE events_by_counter (
                counter_key {int} NOT NULL REFERENCES counters (counter_key),
                event_id {text} NOT NULL,
                type {text} NOT NULL,
                visit_id {text},
                t {real} NOT NULL,
                wall_time {real},
                received_wall {real} NOT NULL,
                payload {text} NOT NULL,
                PRIMARY KEY (counter_key, event_id)
            )""",
            """INSERT INTO events_by_counter (counter_key, event_id, type, visit_id, t,
                wall_time, received_wall, payload)
                SELECT counter_key, event_id, type, visit_id, t, wall_time, received_wall,
                payload FROM events""",
            "DROP TABLE events",
            "ALTER TABLE events_by_counter RENAME TO events",
            "CREATE INDEX events_counter_type_wall ON events (counter_key, type, wall_time)",
            "CREATE INDEX events_type_wall ON events (type, wall_time)",
            "CREATE INDEX events_counter_wall ON events (counter_key, wall_time)",
        ),
    ),
    Migration(
        3,
        "staff context of each wait",
        (
            # What the staff present were doing while the customer waited: the dominant
            # word of the engine's vocabulary (engine/context.py) and every word's share
            # as a JSON object. Team level: no staff track is stored with them.
            "ALTER TABLE visits ADD COLUMN context {text}",
            "ALTER TABLE visits ADD COLUMN context_shares {text}",
            # PostgreSQL expands a view's * when it is made: make it again with them.
            "DROP VIEW visits_named",
            """CREATE VIEW visits_named AS
                SELECT c.site_id, c.counter_id, v.* FROM visits v
                JOIN counters c ON c.counter_key = v.counter_key""",
        ),
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version

_CREATE_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_version (
    version {int} PRIMARY KEY,
    description {text} NOT NULL,
    applied_wall {real} NOT NULL
)"""


def current_version(backend: Backend, cur: Cursor) -> int:
    cur.execute(backend.sql("SELECT COALESCE(MAX(version), 0) FROM schema_version"))
    return int(cur.fetchone()[0])


def migrate(backend: Backend, *, create: bool,
            migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Bring the schema up to the last migration; return the version now in place.

    With ``create=False`` a database without frontdesk's tables is refused instead
    of being initialised (reports never create an empty store by accident).
    """
    latest = migrations[-1].version
    with backend.reading("read the schema version") as cur:
        tables = backend.table_names(cur)
        fresh = "schema_version" not in tables
        if fresh:
            if not create:
                raise StoreError(f"{backend.where} is not a frontdesk visit database "
                                 "(it has no schema_version table)")
            if tables - {"sqlite_sequence"}:
                raise StoreError(f"{backend.where} holds other tables but no frontdesk schema; "
                                 "refusing to write into it")
        else:
            have = current_version(backend, cur)
            if have > latest:
                raise StoreError(
                    f"{backend.where} has schema version {have}, newer than this frontdesk "
                    f"understands ({latest}); upgrade frontdesk")
            if have == latest:
                return have  # nothing to do: no write transaction at all
    with backend.transaction("create the schema_version table") as cur:
        backend.migration_lock(cur)
        cur.execute(backend.sql(_CREATE_VERSION_TABLE))
    for step in migrations:
        with backend.transaction(f"apply schema migration {step.version}") as cur:
            backend.migration_lock(cur)
            have = current_version(backend, cur)
            if have > latest:
                raise StoreError(
                    f"{backend.where} has schema version {have}, newer than this frontdesk "
                    f"understands ({latest}); upgrade frontdesk")
            if have >= step.version:
                continue
            if have != step.version - 1:
                raise StoreError(f"{backend.where}: schema version {have} cannot be upgraded "
                                 f"by step {step.version}")
            for statement in step.statements:
                cur.execute(backend.sql(statement))
            cur.execute(backend.sql("INSERT INTO schema_version (version, description, "
                                    "applied_wall) VALUES (?, ?, ?)"),
                        (step.version, step.description, time.time()))
            log.info("%s: schema migrated to version %d (%s)", backend.where, step.version,
                     step.description)
    if fresh:  # later steps rebuilt tables the first made: leave no free pages behind
        try:
            backend.compact()
        except StoreError as exc:  # another process may be using it: harmless
            log.debug("%s", exc)
    with backend.reading("read the schema version") as cur:
        version = current_version(backend, cur)
    if version > latest:
        raise StoreError(f"{backend.where} has schema version {version}, newer than this "
                         f"frontdesk understands ({latest}); upgrade frontdesk")
    return version

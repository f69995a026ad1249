"""The outbox: events written to SQLite before they are sent, removed once the broker has them.

Why: staff must learn of every waiting customer, and dashboards count every
visit, so an event must survive a broker outage and a restart of frontdesk.

* Each event is stored (one transaction per ``append`` call) before anything
  is sent, and deleted only when the broker's PUBACK for it arrives.
* Rows are numbered by an AUTOINCREMENT ``seq``, never reused, so the backlog
  is sent in the order events happened, even across restarts.
* The file is opened in WAL mode with an exclusive lock: a second frontdesk
  process pointed at the same file fails at start-up instead of sending the
  same events twice.
* Bounded: past ``max_events`` the **oldest** rows are dropped (counted; the
  caller logs it once). Reasoning in ``docs/mqtt.md``: during a long outage
  the newest events are the ones staff can still act on, and the visit store
  keeps the complete history anyway.
* ``synchronous=NORMAL`` by default: a commit survives a crash of frontdesk
  but the last moments may be lost on a power cut; ``fsync=True`` gives
  ``synchronous=FULL`` (survives power loss, costs an fsync per batch).

Thread safety: one connection guarded by a lock; every method may be called
from any thread. Each call is short (microseconds to a millisecond).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from frontdesk.errors import FrontdeskError

__all__ = ["Outbox", "OutboxRow", "OutboxError"]

_SCHEMA_VERSION = 1


class OutboxError(FrontdeskError):
    """The outbox file cannot be used (permissions, corruption, in use)."""


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    counter_id: str
    payload: bytes


class Outbox:
    """A bounded, persistent FIFO of event payloads.

    Args:
        path: SQLite file; its folder is created. ``":memory:"`` for tests.
        max_events: bound; past it the oldest rows are dropped.
        fsync: ``synchronous=FULL`` instead of ``NORMAL``.
    """

    def __init__(self, path: str | Path, max_events: int, fsync: bool = False):
        self.path = str(path)
        self.max_events = max_events
        self._lock = threading.Lock()
        self.dropped_total = 0
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=0.5, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA locking_mode=EXCLUSIVE")
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() not in ("wal", "memory"):
                raise OutboxError(f"outbox {self.path}: cannot use WAL mode (got {mode})")
            self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
            self._db.execute("BEGIN IMMEDIATE")  # takes the exclusive lock now, or fails
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS outbox ("
                " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                " counter_id TEXT NOT NULL,"
                " payload BLOB NOT NULL,"
                " created_at REAL NOT NULL)"
            )
            self._db.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
            self._db.execute("COMMIT")
            self._depth = int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
            row = self._db.execute("SELECT MAX(seq) FROM outbox").fetchone()
            self._max_seq = int(row[0] or 0)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise OutboxError(
                    f"outbox {self.path} is in use by another process (another frontdesk "
                    "with the same mqtt.outbox_path?)"
                ) from None
            raise OutboxError(f"outbox {self.path}: cannot open: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise OutboxError(
                f"outbox {self.path}: not a usable SQLite file ({exc}); move it aside to start "
                "with an empty outbox"
            ) from None

    # ------------------------------------------------------------------ writing
    def append(self, rows: list[tuple[str, bytes]]) -> int:
        """Store ``(counter_id, payload)`` rows in one transaction.

        Returns:
            How many of the oldest rows were dropped to stay within the bound.
        """
        if not rows:
            return 0
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN")
            try:
                cur = self._db.executemany(
                    "INSERT INTO outbox (counter_id, payload, created_at) VALUES (?, ?, ?)",
                    [(c, p, now) for c, p in rows],
                )
                self._max_seq = int(
                    self._db.execute("SELECT last_insert_rowid()").fetchone()[0]
                )
                self._depth += cur.rowcount if cur.rowcount > 0 else len(rows)
                dropped = 0
                excess = self._depth - self.max_events
                if excess > 0:
                    cur = self._db.execute(
                        "DELETE FROM outbox WHERE seq IN "
                        "(SELECT seq FROM outbox ORDER BY seq LIMIT ?)",
                        (excess,),
                    )
                    dropped = max(cur.rowcount, 0)
                    self._depth -= dropped
                    self.dropped_total += dropped
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            return dropped

    def delete(self, seqs: list[int]) -> int:
        """Remove rows the broker has acknowledged; returns how many were still there."""
        if not seqs:
            return 0
        with self._lock:
            removed = 0
            self._db.execute("BEGIN")
            try:
                for i in range(0, len(seqs), 500):
                    chunk = seqs[i:i + 500]
                    cur = self._db.execute(
                        f"DELETE FROM outbox WHERE seq IN ({','.join('?' * len(chunk))})", chunk
                    )
                    removed += max(cur.rowcount, 0)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._depth -= removed
            return removed

    # ------------------------------------------------------------------ reading
    def read_after(self, seq: int, limit: int) -> list[OutboxRow]:
        """Up to ``limit`` rows with a sequence number above ``seq``, oldest first."""
        with self._lock:
            cur = self._db.execute(
                "SELECT seq, counter_id, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            )
            return [OutboxRow(int(s), str(c), bytes(p)) for s, c, p in cur.fetchall()]

    @property
    def depth(self) -> int:
        """Rows waiting (stored and not yet acknowledged)."""
        with self._lock:
            return self._depth

    @property
    def max_seq(self) -> int:
        """The highest sequence number ever stored (0 when none)."""
        with self._lock:
            return self._max_seq

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._db.close()

"""The two database backends behind one small interface (the dialect shims).

SQL in :mod:`frontdesk.store` is written once, with ``?`` placeholders and the
type names ``{real}``, ``{int}`` and ``{text}`` in DDL; each backend translates
those and maps driver errors to :class:`StoreError`, whose message a person can act
on. SQLite (the embedded default) runs in WAL mode so a report can read while the
main loop writes; PostgreSQL (``postgresql://`` URLs) serves a chain's collector.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from frontdesk.errors import FrontdeskError

__all__ = ["StoreError", "Backend", "SQLiteBackend", "PostgresBackend", "connect",
           "is_postgres_url", "redact_url"]

log = logging.getLogger(__name__)

SQLITE_FULL = 13
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26


class StoreError(FrontdeskError):
    """The visit store cannot be opened, read or written; the message says why."""


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchmany(self, size: int = ...) -> list[Any]: ...


def is_postgres_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def redact_url(url: str) -> str:
    """The URL with any password replaced, fit for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


class Backend:
    """What the store needs from a database: translated SQL, transactions, errors."""

    name = "backend"
    #: a printable description of the database (path or redacted URL)
    where: str = ""

    def sql(self, text: str) -> str:
        """Translate portable SQL (``?`` placeholders, ``{real}`` types) to this dialect."""
        raise NotImplementedError

    @contextmanager
    def transaction(self, action: str) -> Iterator[Cursor]:
        """A cursor inside one transaction: committed on success, rolled back on error."""
        raise NotImplementedError
        yield  # pragma: no cover

    @contextmanager
    def reading(self, action: str) -> Iterator[Cursor]:
        """A cursor for reads; errors become :class:`StoreError`."""
        raise NotImplementedError
        yield  # pragma: no cover

    def fetch_floats(self, sql: str, params: Sequence[Any], action: str) -> np.ndarray:
        """Every value of every row of a numeric query, row after row, as one float64
        array (no NULLs: the caller substitutes them in SQL). The rows go straight from
        the cursor into numpy, never held as a list."""
        raise NotImplementedError

    def migration_lock(self, cur: Cursor) -> None:
        """Serialise concurrent schema migrations (a no-op where the transaction does it)."""

    def full_scan(self, table: str) -> str:
        """``table`` in a FROM clause, telling the planner to read it straight through
        (for a query that keeps most rows, where an index only adds lookups)."""
        return table

    def table_names(self, cur: Cursor) -> set[str]:
        raise NotImplementedError

    def compact(self) -> None:
        """Return pages freed by dropped tables to the file system (SQLite only)."""

    def close(self) -> None:
        raise NotImplementedError


# --------------------------------------------------------------------------- SQLite


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self, path: str, *, create: bool) -> None:
        self.where = path
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(f"no visit database at {path} "
                             "(check --db, or store.path in the config)")
        if self.path.exists() and self.path.is_dir():
            raise StoreError(f"{path} is a directory, not a visit database")
        if create:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for {path}: {exc.strerror}") from None
        self._lock = threading.RLock()
        mode = "rwc" if create else "rw"
        uri = f"file:{_quote_path(self.path)}?mode={mode}"
        try:
            self.conn = sqlite3.connect(uri, uri=True, timeout=10.0, isolation_level=None,
                                        check_same_thread=False)
        except sqlite3.Error as exc:
            raise self._error(exc, "open") from None
        try:
            mode_row = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()
            if mode_row and str(mode_row[0]).lower() != "wal":
                log.warning("%s: journal mode is %s, not WAL", path, mode_row[0])
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=10000")
        except sqlite3.Error as exc:
            self.conn.close()
            raise self._error(exc, "open") from None

    def sql(self, text: str) -> str:
        return (text.replace("{real}", "REAL").replace("{int}", "INTEGER")
                .replace("{text}", "TEXT").replace("{serial}", "INTEGER PRIMARY KEY"))

    def _error(self, exc: BaseException, action: str) -> StoreError:
        code = getattr(exc, "sqlite_errorcode", None)
        text = str(exc)
        if code == SQLITE_FULL or "disk is full" in text:
            return StoreError(f"{self.where}: disk full while trying to {action}; nothing of this "
                              "batch was saved and the database is unchanged. Free some space.")
        corrupt = "not a database" in text or "malformed" in text
        if code in (SQLITE_CORRUPT, SQLITE_NOTADB) or corrupt:
            return StoreError(f"{self.where} is not a readable visit database (corrupt or not "
                              f"SQLite: {text}); move it aside and let frontdesk create a new one")
        if "unable to open" in text:
            return StoreError(f"cannot open the visit database {self.where}: {text}")
        if "readonly" in text or "read-only" in text:
            return StoreError(f"{self.where} is read-only: cannot {action}")
        return StoreError(f"{self.where}: cannot {action}: {text}")

    @contextmanager
    def transaction(self, action: str) -> Iterator[Cursor]:
        with self._lock:
            cur = self.conn.cursor()
            try:
                cur.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._error(exc, action) from None
            try:
                yield cur
                cur.execute("COMMIT")
            except BaseException as exc:
                try:
                    if self.conn.in_transaction:
                        self.conn.execute("ROLLBACK")
                except sqlite3.Error:
                    log.exception("rollback failed on %s", self.where)
                if isinstance(exc, sqlite3.Error):
                    raise self._error(exc, action) from None
                raise
            finally:
                cur.close()

    @contextmanager
    def reading(self, action: str) -> Iterator[Cursor]:
        with self._lock:
            cur = self.conn.cursor()
            try:
                yield cur
            except sqlite3.Error as exc:
                raise self._error(exc, action) from None
            finally:
                cur.close()

    def full_scan(self, table: str) -> str:
        return f"{table} NOT INDEXED"

    def fetch_floats(self, sql: str, params: Sequence[Any], action: str) -> np.ndarray:
        with self.reading(action) as cur:
            cur.execute(self.sql(sql), tuple(params))
            rows: Iterable[tuple[float, ...]] = cur  # type: ignore[assignment]
            return np.fromiter(itertools.chain.from_iterable(rows), dtype=np.float64)

    def table_names(self, cur: Cursor) -> set[str]:
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r[0] for r in cur.fetchall()}

    def compact(self) -> None:
        with self._lock:
            try:
                self.conn.execute("VACUUM")
            except sqlite3.Error as exc:
                raise self._error(exc, "compact the database") from None

    def close(self) -> None:
        with self._lock:
            try:
                self.conn.close()
            except sqlite3.Error as exc:  # pragma: no cover - closing rarely fails
                log.warning("closing %s: %s", self.where, exc)


def _quote_path(path: Path) -> str:
    return str(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")


# --------------------------------------------------------------------------- PostgreSQL


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, url: str, *, connect_timeout_s: int = 10) -> None:
        try:
            import psycopg
        except ImportError:
            raise StoreError("a postgresql:// store needs psycopg 3: pip install 'psycopg[binary]'"
                             ) from None
        self._psycopg = psycopg
        self.where = redact_url(url)
        self._lock = threading.RLock()
        try:
            # UTF-8 on the wire even from an SQL_ASCII database, so text comes back as str.
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout_s,
                                        client_encoding="utf8")
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(f"cannot connect to PostgreSQL at {self.where}: {first}") from None

    def sql(self, text: str) -> str:
        if "%" in text:
            raise ValueError("portable SQL must not contain '%'")
        return (text.replace("?", "%s").replace("{real}", "DOUBLE PRECISION")
                .replace("{int}", "BIGINT").replace("{text}", "TEXT")
                .replace("{serial}", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"))

    def _error(self, exc: BaseException, action: str) -> StoreError:
        sqlstate = getattr(exc, "sqlstate", None) or ""
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if sqlstate == "53100":
            return StoreError(f"{self.where}: the database server's disk is full while trying to "
                              f"{action}; nothing of this batch was saved.")
        if sqlstate.startswith("08") or isinstance(exc, self._psycopg.OperationalError):
            return StoreError(f"lost the connection to PostgreSQL at {self.where} while trying to "
                              f"{action}: {first}")
        return StoreError(f"{self.where}: cannot {action}: {first}")

    @contextmanager
    def transaction(self, action: str) -> Iterator[Cursor]:
        with self._lock:
            try:
                with self.conn.transaction(), self.conn.cursor() as cur:
                    yield cur
            except self._psycopg.Error as exc:
                raise self._error(exc, action) from None

    @contextmanager
    def reading(self, action: str) -> Iterator[Cursor]:
        with self._lock:
            try:
                with self.conn.cursor() as cur:
                    yield cur
            except self._psycopg.Error as exc:
                raise self._error(exc, action) from None

    def fetch_floats(self, sql: str, params: Sequence[Any], action: str) -> np.ndarray:
        with self._lock:
            try:
                with self.conn.transaction(), self.conn.cursor(name="frontdesk_floats") as cur:
                    cur.itersize = 65536
                    cur.execute(self.sql(sql), tuple(params))
                    return np.fromiter(itertools.chain.from_iterable(cur), dtype=np.float64)
            except self._psycopg.Error as exc:
                raise self._error(exc, action) from None

    def migration_lock(self, cur: Cursor) -> None:
        # One migrator at a time across collectors and report runs; released at commit.
        cur.execute("SELECT pg_advisory_xact_lock(7310551)")

    def table_names(self, cur: Cursor) -> set[str]:
        cur.execute("SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = current_schema()")
        return {r[0] for r in cur.fetchall()}

    def close(self) -> None:
        with self._lock:
            try:
                self.conn.close()
            except self._psycopg.Error as exc:  # pragma: no cover
                log.warning("closing %s: %s", self.where, exc)


def connect(target: str | os.PathLike[str], *, create: bool) -> Backend:
    """A backend for a SQLite path (or ``sqlite:///path``) or a ``postgresql://`` URL."""
    text = os.fspath(target)
    if is_postgres_url(text):
        return PostgresBackend(text)
    if text.startswith("sqlite://"):
        text = text[len("sqlite://"):]
    if not text:
        raise StoreError("no database given (pass --db PATH or set store.path in the config)")
    return SQLiteBackend(text, create=create)

"""Slow or idle connections cannot crowd out the web UI: uvicorn's h11 protocol, guarded.

uvicorn has no timeout for reading a request, and its ``limit_concurrency`` counts
every open connection, so a few dozen clients that send their headers a byte at a
time make every request answer 503, ``/healthz`` included. Here a connection that
is *waiting* (its request not yet fully received, or idle between keep-alive
requests) is

* closed when its request is not complete ``request_timeout_s`` after it began
  (slowloris);
* closed, oldest first, when its client address holds more than
  ``per_client_waiting`` waiting connections, or all clients more than
  ``max_waiting``: a new connection is always read, so ``/healthz`` answers while
  an attacker holds hundreds.

A request being answered (an event stream, a frame) is not waiting and is never
closed for this; uvicorn's ``limit_concurrency`` then bounds those alone
(:func:`concurrency_limit`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["ConnectionGuard", "guarded_protocol", "concurrency_limit"]

log = logging.getLogger(__name__)

ACTIVE_REQUESTS = 64
"""Requests answered at once (event streams and frames included) before 503."""


@dataclass
class ConnectionGuard:
    """Limits shared by every connection of one server.

    Args:
        request_timeout_s: a request must arrive whole within this long of its
            first byte being awaited.
        per_client_waiting: waiting connections one address may hold.
        max_waiting: waiting connections all addresses together may hold.
    """

    request_timeout_s: float = 10.0
    per_client_waiting: int = 16
    max_waiting: int = 256
    closed_slow: int = 0
    closed_crowded: int = 0
    _waiting: OrderedDict[GuardedH11Protocol, str] = field(default_factory=OrderedDict)
    _by_client: dict[str, int] = field(default_factory=dict)
    _last_log: float = 0.0

    def wait(self, conn: GuardedH11Protocol, client: str) -> None:
        """``conn`` now awaits a request; close the oldest waiting ones over the limits."""
        self.done(conn)
        self._waiting[conn] = client
        self._by_client[client] = self._by_client.get(client, 0) + 1
        if self._by_client[client] > self.per_client_waiting:
            oldest = next(c for c, who in self._waiting.items() if who == client)
            self._evict(oldest)
        if len(self._waiting) > self.max_waiting:
            self._evict(next(iter(self._waiting)))

    def done(self, conn: GuardedH11Protocol) -> None:
        client = self._waiting.pop(conn, None)
        if client is not None:
            left = self._by_client[client] - 1
            if left:
                self._by_client[client] = left
            else:
                del self._by_client[client]

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def _evict(self, conn: GuardedH11Protocol) -> None:
        self.done(conn)
        self.closed_crowded += 1
        self._note("closing the oldest of too many waiting connections from %s",
                   conn.client_host)
        conn.close_now()

    def _note(self, message: str, *args: Any) -> None:
        now = time.monotonic()
        if now - self._last_log >= 60.0:  # one line a minute under an attack
            self._last_log = now
            log.warning(message + " (%d slow and %d crowded out so far)", *args,
                        self.closed_slow, self.closed_crowded)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request-read timeout and waiting-connection limits."""

    guard: ConnectionGuard

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    @property
    def client_host(self) -> str:
        return self.client[0] if self.client else "?"

    def _start_waiting(self) -> None:
        self._stop_waiting()
        self.guard.wait(self, self.client_host)
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(self.guard.request_timeout_s, self._too_slow)

    def _stop_waiting(self) -> None:
        self.guard.done(self)
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        self.guard.done(self)
        self.guard.closed_slow += 1
        self.guard._note("closing a connection from %s: no whole request within %.0f s",
                         self.client_host, self.guard.request_timeout_s)
        self.close_now()

    def close_now(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_waiting()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # once the headers are in, a body must still arrive within the deadline
        if self._deadline is not None and self.conn.their_state not in (h11.IDLE, h11.SEND_BODY):
            self._stop_waiting()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._start_waiting()  # idle between keep-alive requests: waiting again

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)


def guarded_protocol(guard: ConnectionGuard) -> type[GuardedH11Protocol]:
    """A protocol class for ``uvicorn.Config(http=...)`` whose connections share ``guard``."""
    return type("FrontdeskH11Protocol", (GuardedH11Protocol,), {"guard": guard})


def concurrency_limit(guard: ConnectionGuard) -> int:
    """uvicorn's ``limit_concurrency`` (it counts waiting connections too) for ``guard``."""
    return guard.max_waiting + ACTIVE_REQUESTS

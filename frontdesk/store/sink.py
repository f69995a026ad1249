"""The visit store as an event sink: writes every event, keeps them while it cannot.

A store that cannot be written (disk full, locked, a lost PostgreSQL server)
never ends the frame loop: the events are kept in memory, bounded by
:data:`STORE_BACKLOG_MAX`, and written with the next batch once writing works
again; one error line per failure streak and one line when it recovers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from frontdesk.engine.events import Event
from frontdesk.sinks import StateUpdate
from frontdesk.store.backend import StoreError
from frontdesk.store.visits import VisitStore

__all__ = ["StoreSink", "STORE_BACKLOG_MAX"]

log = logging.getLogger(__name__)

STORE_BACKLOG_MAX = 100_000
"""Events kept in memory while the store cannot be written; the oldest go first."""


class StoreSink:
    """Events into a :class:`VisitStore`, with a bounded backlog and retries.

    Attributes:
        backlog: events not written yet (empty while writing works).
        failing: the last write failed.
        dropped: events dropped from a full backlog (never written).
    """

    name = "store"

    def __init__(self, store: VisitStore) -> None:
        self.store = store
        self.backlog: list[Event] = []
        self.failing = False
        self.dropped = 0

    def emit(self, events: Sequence[Event]) -> None:
        self.backlog.extend(events)
        try:
            self.store.record_events(self.backlog)
        except StoreError as exc:
            if not self.failing:
                log.error("cannot write the visit history (%s); keeping events in memory and "
                          "retrying", exc)
            self.failing = True
            overflow = len(self.backlog) - STORE_BACKLOG_MAX
            if overflow > 0:
                del self.backlog[:overflow]
                self.dropped += overflow
            return
        if self.failing:
            log.info("visit history writable again: %d events written", len(self.backlog))
        self.failing = False
        self.backlog.clear()

    def state(self, update: StateUpdate) -> None:
        """The store keeps events only."""

    def close(self) -> None:
        """A last try at the backlog, then close the store."""
        try:
            if self.backlog:
                self.emit([])
                if self.backlog:
                    log.error("%d events could not be written to the visit history before "
                              "shutdown; they were published to MQTT (see the outbox) but are "
                              "missing from the store", len(self.backlog))
        finally:
            self.store.close()

"""The acknowledgement engine: pure, no clock reads, no I/O.

``Engine`` and ``TrackView`` are imported on first use, so modules that only need
the event records (MQTT, the store, reports) do not pay for the tracker's imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from frontdesk.engine.events import AckSource, Event, EventType, Outcome
from frontdesk.engine.state import CounterState, WaitingCustomer

if TYPE_CHECKING:
    from frontdesk.engine.engine import Engine, TrackView

__all__ = [
    "Engine",
    "TrackView",
    "Event",
    "EventType",
    "AckSource",
    "Outcome",
    "CounterState",
    "WaitingCustomer",
]


def __getattr__(name: str) -> Any:
    if name in ("Engine", "TrackView"):
        from frontdesk.engine import engine

        return getattr(engine, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

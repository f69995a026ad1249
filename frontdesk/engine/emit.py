"""Building :class:`Event` records with ids, site and the visit's timings filled in."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from frontdesk.engine.events import AckSource, Event, EventType, Outcome

if TYPE_CHECKING:
    from frontdesk.engine.visits import Visit

__all__ = ["EventFactory", "uuid_hex", "before_arrival"]


def before_arrival(latency_s: float | None) -> bool | None:
    """``ack_before_arrival`` of an event: the acknowledgement came before the arrival
    (a negative latency, the report's "greeted before arriving"); None without a latency."""
    return None if latency_s is None else bool(round(float(latency_s), 4) < 0)


def uuid_hex() -> str:
    """The default id factory: a random UUID4 as 32 hex digits."""
    return uuid.uuid4().hex


class EventFactory:
    """Makes events for one site; ids come from the injected ``id_factory``."""

    def __init__(self, site_id: str, id_factory: Callable[[], str] | None = None):
        self.site_id = site_id
        self.new_id: Callable[[], str] = id_factory or uuid_hex

    def counter_event(self, type_: EventType, counter_id: str, t: float,
                      wall_time: float | None, **fields: Any) -> Event:
        return Event(type=type_, event_id=self.new_id(), site_id=self.site_id,
                     counter_id=counter_id, t=t, wall_time=wall_time, **fields)

    def visit_event(self, type_: EventType, visit: Visit, t: float, wall_time: float | None,
                    **fields: Any) -> Event:
        """An event about ``visit`` carrying every timing known so far."""
        timings: dict[str, Any] = {
            "visit_id": visit.visit_id,
            "track_id": visit.track_id,
            "first_seen_t": visit.first_seen_t,
            "arrival_t": visit.arrival_t,
            "ack_t": visit.ack_t,
            "left_t": visit.left_t,
            "latency_s": visit.latency_s,
            "ack_before_arrival": before_arrival(visit.latency_s),
            "customer_looked_t": visit.customer_looked_t(),
        }
        dominant = visit.context.dominant()
        if dominant is not None:
            timings["context"] = dominant.value
            timings["context_shares"] = visit.context.shares()
        if visit.ack_t is not None:
            timings["ack_by"] = visit.ack_by
            timings["staff_track_id"] = visit.staff_track_id
            timings["mutual_gaze"] = visit.mutual_gaze(t)
        timings.update(fields)
        return self.counter_event(type_, visit.counter_id, t, wall_time, **timings)

    def left_open(self, counter_id: str, visit_id: str, last_event: Mapping[str, Any] | None,
                  wall_time: float, detail: str) -> Event:
        """``customer_left`` (interrupted) for a visit a previous run left open.

        The visit's timings (track, first seen, arrival, acknowledgement) and the
        event's time come from the visit's last stored event: they are on the
        clock of the run that saw the visit, like every other event of that
        visit. ``left_t`` is that last event's time: the last moment the visit
        is known to have been open.
        """
        last: dict[str, Any] = {}
        if last_event is not None:
            try:
                last = Event.from_json(dict(last_event)).to_json()
            except ValueError:
                last = {}
        t = float(last.get("t", 0.0))
        timings = {k: last[k] for k in _VISIT_TIMINGS if k in last}
        timings.setdefault("first_seen_t", last.get("arrival_t", t))
        if "latency_s" in timings:  # an event stored before schema version 3 lacks it
            timings["ack_before_arrival"] = before_arrival(float(timings["latency_s"]))
        if "ack_by" in timings:
            timings["ack_by"] = AckSource(timings["ack_by"])
        return self.counter_event(EventType.CUSTOMER_LEFT, counter_id, t, wall_time,
                                  visit_id=visit_id, left_t=t, outcome=Outcome.INTERRUPTED,
                                  detail=detail, **timings)


_VISIT_TIMINGS = ("track_id", "first_seen_t", "arrival_t", "ack_t", "latency_s",
                  "ack_before_arrival", "ack_by",
                  "staff_track_id", "mutual_gaze", "customer_looked_t", "context",
                  "context_shares")
"""The fields a left-open visit's closing event takes from its last stored event."""

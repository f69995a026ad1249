"""Events: typed, versioned, JSON-serialisable records the engine emits.

Every event has a unique ``event_id`` (consumers dedupe by it), the ``visit_id``
it belongs to (None for counter- and camera-level events), the counter, the
event time ``t`` on the source clock and ``wall_time`` (Unix seconds) for
reports. Timings are in seconds on the source clock, so a file processed at
4x speed reports the same waits.

The JSON Schema for the serialised form is ``frontdesk/schemas/event.schema.json``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["SCHEMA_VERSION", "EventType", "AckSource", "Outcome", "Event"]

SCHEMA_VERSION = 3
"""3 added ``ack_before_arrival``; 2 added ``context`` and ``context_shares``. Readers
accept 1 to 3 (older events stay in stores and outboxes)."""


class EventType(str, Enum):
    CUSTOMER_ARRIVED = "customer_arrived"
    """Entered the service zone, or stood still in the approach zone long enough."""
    CUSTOMER_WAITING = "customer_waiting"
    """Alert: waited ``alert_after_s`` since arrival without acknowledgement."""
    CUSTOMER_ESCALATED = "customer_escalated"
    """Still unacknowledged at ``escalate_after_s``."""
    CUSTOMER_ACKNOWLEDGED = "customer_acknowledged"
    """First eye contact held for the dwell (or a staff button press)."""
    CUSTOMER_LEFT = "customer_left"
    """The visit ended; ``outcome`` says acknowledged, abandoned or interrupted."""
    COUNTER_UNATTENDED = "counter_unattended"
    """A customer waits and no staff member has been visible for a while."""
    COUNTER_ATTENDED = "counter_attended"
    """Staff are visible again after ``counter_unattended``."""
    CAMERA_OFFLINE = "camera_offline"
    CAMERA_ONLINE = "camera_online"


class AckSource(str, Enum):
    EYE_CONTACT = "eye_contact"
    BUTTON = "button"


class Outcome(str, Enum):
    ACKNOWLEDGED = "acknowledged"
    """Left after being acknowledged."""
    ABANDONED = "abandoned"
    """Arrived and left without ever being acknowledged."""
    PASSED_BY = "passed_by"
    """Seen but never arrived (walked past)."""
    INTERRUPTED = "interrupted"
    """Still open when frontdesk stopped."""


@dataclass(frozen=True)
class Event:
    """One engine event. Optional fields are None where they do not apply.

    Attributes:
        type: what happened.
        event_id: unique id (hex string).
        site_id, counter_id: where.
        t: event time, seconds on the source clock.
        wall_time: Unix seconds at the event, for reports (None if unknown).
        visit_id: the visit, for customer events.
        track_id: the customer's anonymous track id.
        first_seen_t, arrival_t, ack_t, left_t: the visit's timings so far.
        latency_s: ack_t - arrival_t; negative when acknowledged during the approach.
        ack_before_arrival: whether the acknowledgement came before the arrival
            (``latency_s < 0``, as rounded in :meth:`to_json`); from schema version 3,
            set from ``latency_s`` whenever it is (None without a latency).
        waited_s: seconds since arrival at event time (waiting, escalated, left).
        ack_by: eye contact or button.
        staff_track_id: the staff member who made eye contact.
        mutual_gaze: whether the customer looked back during the contact.
        customer_looked_t: when the customer first looked at staff.
        outcome: for customer_left.
        detail: short free text (e.g. camera offline reason).
        context: what the staff present were doing while the customer waited, the
            dominant word of :class:`frontdesk.engine.context.Context` (from arrival to
            the event, or to the acknowledgement); absent before any waiting time.
        context_shares: share of that wait per context word (every word, summing to 1).
    """

    type: EventType
    event_id: str
    site_id: str
    counter_id: str
    t: float
    wall_time: float | None = None
    visit_id: str | None = None
    track_id: int | None = None
    first_seen_t: float | None = None
    arrival_t: float | None = None
    ack_t: float | None = None
    left_t: float | None = None
    latency_s: float | None = None
    ack_before_arrival: bool | None = None
    waited_s: float | None = None
    ack_by: AckSource | None = None
    staff_track_id: int | None = None
    mutual_gaze: bool | None = None
    customer_looked_t: float | None = None
    outcome: Outcome | None = None
    detail: str | None = None
    context: str | None = None
    context_shares: dict[str, float] | None = None
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        # From version 3 the flag goes with every latency; events of older versions
        # (read back from stores and outboxes) stay as they were written.
        if self.schema_version >= 3 and self.latency_s is not None:
            object.__setattr__(self, "ack_before_arrival", round(float(self.latency_s), 4) < 0)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; None fields are left out."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, Enum):
                value = value.value
            elif isinstance(value, float):
                value = round(value, 4)
            out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        """Inverse of :meth:`to_json`; raises ValueError on a malformed record."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown event fields: {sorted(unknown)}")
        kw = dict(data)
        try:
            kw["type"] = EventType(kw["type"])
            if kw.get("ack_by") is not None:
                kw["ack_by"] = AckSource(kw["ack_by"])
            if kw.get("outcome") is not None:
                kw["outcome"] = Outcome(kw["outcome"])
            return cls(**kw)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed event: {exc}") from None

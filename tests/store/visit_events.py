"""Engine-shaped events built by hand, for store and report tests.

Times are given as wall-clock Unix seconds; the source clock ``t`` runs from
``CLOCK_ORIGIN`` (frontdesk started then), so ``t = wall - CLOCK_ORIGIN``. Events
follow the engine's rules (frontdesk/engine/visits.py): an acknowledgement during
the approach is reported right after arrival with a negative latency; alerts at
``arrival + alert_after_s`` and escalations at ``arrival + escalate_after_s`` when
still unacknowledged; ``customer_left`` carries the outcome and
``waited_s = left - arrival``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from frontdesk.engine.events import AckSource, Event, EventType, Outcome

CLOCK_ORIGIN = 1_700_000_000.0
SITE = "site-1"
COUNTER = "counter-1"


def local(text: str, tz: str = "Europe/London") -> float:
    """Unix seconds of a local ``YYYY-MM-DD HH:MM:SS`` (first occurrence when repeated)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp()


def _t(wall: float) -> float:
    return wall - CLOCK_ORIGIN


def visit(visit_id: str, *, first_seen: float, arrival: float | None = None,
          ack: float | None = None, left: float | None = None, site: str = SITE,
          counter: str = COUNTER, track_id: int = 1, alert_after_s: float = 10.0,
          escalate_after_s: float = 30.0, outcome: Outcome | None = None,
          context: str | None = None) -> list[Event]:
    """The events the engine would emit for one visit (with ``context``: what the staff
    did while she waited, on every event after her arrival, as :func:`context_shares`)."""
    timings = {"first_seen_t": _t(first_seen)}

    def ev(kind: EventType, at: float, **extra: object) -> Event:
        return Event(type=kind, event_id=f"{visit_id}-{kind.value}", site_id=site,
                     counter_id=counter, t=_t(at), wall_time=at, visit_id=visit_id,
                     track_id=track_id, **{**timings, **extra})  # type: ignore[arg-type]

    out: list[Event] = []
    if arrival is not None:
        timings["arrival_t"] = _t(arrival)
        out.append(ev(EventType.CUSTOMER_ARRIVED, arrival))
        if context is not None:
            timings.update(context=context, context_shares=context_shares(context))
        ack_info = {}
        if ack is not None:
            ack_info = {"ack_t": _t(ack), "latency_s": ack - arrival,
                        "ack_by": AckSource.EYE_CONTACT}
        if ack is not None and ack <= arrival:
            timings.update(ack_info)  # type: ignore[arg-type]
            out.append(ev(EventType.CUSTOMER_ACKNOWLEDGED, arrival))
        for after, kind in ((alert_after_s, EventType.CUSTOMER_WAITING),
                            (escalate_after_s, EventType.CUSTOMER_ESCALATED)):
            due = arrival + after
            if (ack is None or ack > due) and (left is None or left > due):
                out.append(ev(kind, due, waited_s=after))
        if ack is not None and ack > arrival:
            timings.update(ack_info)  # type: ignore[arg-type]
            out.append(ev(EventType.CUSTOMER_ACKNOWLEDGED, ack))
    if left is not None:
        if outcome is None:
            outcome = (Outcome.ACKNOWLEDGED if ack is not None else
                       Outcome.ABANDONED if arrival is not None else Outcome.PASSED_BY)
        timings["left_t"] = _t(left)
        waited = None if arrival is None else left - arrival
        out.append(ev(EventType.CUSTOMER_LEFT, left, outcome=outcome, waited_s=waited))
    out.sort(key=lambda e: e.t)
    return out


def context_shares(dominant: str, share: float = 0.75) -> dict[str, float]:
    """Shares of a wait mostly (``share``) spent on ``dominant``, the rest attentive (or,
    when attentive dominates, turned away)."""
    from frontdesk.engine.context import CONTEXTS

    rest = "turned_away" if dominant == "attentive" else "attentive"
    out = {c.value: 0.0 for c in CONTEXTS}
    out[dominant], out[rest] = share, round(1.0 - share, 3)
    return out


def counter_event(kind: EventType, at: float, *, site: str = SITE, counter: str = COUNTER,
                  name: str | None = None) -> Event:
    return Event(type=kind, event_id=name or f"{counter}-{kind.value}-{at:.0f}", site_id=site,
                 counter_id=counter, t=_t(at), wall_time=at)


def fixture_day_events() -> list[Event]:
    """Tuesday 2026-03-10, Europe/London (GMT, so local = UTC), plus its neighbours.

    ======  ==========  ==========  ==========  ========  ==========================
    visit   first seen  arrival     ack         latency   notes
    ======  ==========  ==========  ==========  ========  ==========================
    v1      08:59:55    09:00:00    09:00:04     4
    v2      09:29:57    09:30:00    09:30:12    12        alert
    v3      09:44:50    09:45:00    09:44:58    -2        acknowledged before arrival
    v4      12:09:58    12:10:00    never       -         alert, escalation, left 12:10:45
    v5      12:19:57    12:20:00    12:20:10    10        exactly the target
    v6      12:39:57    12:40:00    12:40:35    35        alert, escalation
    v7      13:00:00    never       never       -         passed by
    v8      14:59:57    15:00:00    15:00:07     7
    v9      23:59:45    23:59:50    00:00:05    15        spans midnight: counts on the 10th
    v10     23:59:58    00:00:03    00:00:05     2        arrives on the 11th
    v11     (9th) 10:00 10:00:00    10:00:03     3        the day before, for the trend
    ======  ==========  ==========  ==========  ========  ==========================

    Unattended: 12:10:20 to 12:13:20 (3 min) and 23:59:00 to 00:01:00 (1 min each day).
    """
    d = "2026-03-10"
    e: list[Event] = []
    e += visit("v1", first_seen=local(f"{d} 08:59:55"), arrival=local(f"{d} 09:00:00"),
               ack=local(f"{d} 09:00:04"), left=local(f"{d} 09:02:00"))
    e += visit("v2", first_seen=local(f"{d} 09:29:57"), arrival=local(f"{d} 09:30:00"),
               ack=local(f"{d} 09:30:12"), left=local(f"{d} 09:33:00"), track_id=2)
    e += visit("v3", first_seen=local(f"{d} 09:44:50"), arrival=local(f"{d} 09:45:00"),
               ack=local(f"{d} 09:44:58"), left=local(f"{d} 09:47:00"), track_id=3)
    e += visit("v4", first_seen=local(f"{d} 12:09:58"), arrival=local(f"{d} 12:10:00"),
               left=local(f"{d} 12:10:45"), track_id=4)
    e += visit("v5", first_seen=local(f"{d} 12:19:57"), arrival=local(f"{d} 12:20:00"),
               ack=local(f"{d} 12:20:10"), left=local(f"{d} 12:22:00"), track_id=5)
    e += visit("v6", first_seen=local(f"{d} 12:39:57"), arrival=local(f"{d} 12:40:00"),
               ack=local(f"{d} 12:40:35"), left=local(f"{d} 12:43:00"), track_id=6)
    e += visit("v7", first_seen=local(f"{d} 13:00:00"), left=local(f"{d} 13:00:06"), track_id=7)
    e += visit("v8", first_seen=local(f"{d} 14:59:57"), arrival=local(f"{d} 15:00:00"),
               ack=local(f"{d} 15:00:07"), left=local(f"{d} 15:03:00"), track_id=8)
    e += visit("v9", first_seen=local(f"{d} 23:59:45"), arrival=local(f"{d} 23:59:50"),
               ack=local("2026-03-11 00:00:05"), left=local("2026-03-11 00:02:00"), track_id=9)
    e += visit("v10", first_seen=local(f"{d} 23:59:58"), arrival=local("2026-03-11 00:00:03"),
               ack=local("2026-03-11 00:00:05"), left=local("2026-03-11 00:03:00"), track_id=10)
    e += visit("v11", first_seen=local("2026-03-09 09:59:58"), arrival=local("2026-03-09 10:00:00"),
               ack=local("2026-03-09 10:00:03"), left=local("2026-03-09 10:02:00"), track_id=11)
    e += [counter_event(EventType.COUNTER_UNATTENDED, local(f"{d} 12:10:20")),
          counter_event(EventType.COUNTER_ATTENDED, local(f"{d} 12:13:20")),
          counter_event(EventType.COUNTER_UNATTENDED, local(f"{d} 23:59:00")),
          counter_event(EventType.COUNTER_ATTENDED, local("2026-03-11 00:01:00"))]
    return e

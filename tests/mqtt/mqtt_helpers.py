"""Helpers for the MQTT tests: configs pointing at a test broker, and valid events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from frontdesk.config import Config, default_config_dict
from frontdesk.engine.context import CONTEXTS
from frontdesk.engine.events import AckSource, Event, EventType, Outcome
from frontdesk.engine.state import CounterState, WaitingCustomer
from frontdesk.mqtt.local_broker import MosquittoBroker

SITE = "shop-7"
COUNTERS = ("counter-1", "counter-2")


def make_config(tmp_path: Path, broker: MosquittoBroker | None = None, **mqtt: Any) -> Config:
    """Two counters at site ``shop-7``, publishing to ``broker`` (or nowhere)."""
    base = default_config_dict()
    zones = base["counters"][0]["zones"]
    data = default_config_dict(
        site_id=SITE,
        counters=[{"id": "counter-1", "name": "Front counter", "zones": zones},
                  {"id": "counter-2", "zones": zones}],
    )
    settings: dict[str, Any] = {
        "url": broker.url if broker is not None else None,
        "outbox_path": str(tmp_path / "outbox.db"),
        "reconnect_min_s": 1,
        "reconnect_max_s": 1,
    }
    settings.update(mqtt)
    data["mqtt"] = settings
    return Config.model_validate(data)


def make_event(i: int, counter_id: str = "counter-1", kind: EventType | None = None) -> Event:
    """The ``i``-th of a cycle of valid events of every type; ``event_id`` is ``e{i:06d}``."""
    kinds = list(EventType)
    kind = kind or kinds[i % len(kinds)]
    t = 100.0 + i
    common: dict[str, Any] = dict(event_id=f"e{i:06d}", site_id=SITE, counter_id=counter_id,
                                  t=t, wall_time=1_750_000_000.0 + i)
    visit = dict(visit_id=f"v{i // 10}", track_id=i % 50, first_seen_t=t - 20)
    if kind is EventType.CUSTOMER_ARRIVED:
        extra: dict[str, Any] = dict(**visit, arrival_t=t)
    elif kind in (EventType.CUSTOMER_WAITING, EventType.CUSTOMER_ESCALATED):
        extra = dict(**visit, arrival_t=t - 12, waited_s=12.0)
    elif kind is EventType.CUSTOMER_ACKNOWLEDGED:
        if i % 2:
            extra = dict(**visit, arrival_t=t - 4, ack_t=t, latency_s=4.0,
                         ack_by=AckSource.EYE_CONTACT, staff_track_id=99, mutual_gaze=True)
        else:
            extra = dict(**visit, arrival_t=t - 4, ack_t=t, latency_s=4.0, ack_by=AckSource.BUTTON)
    elif kind is EventType.CUSTOMER_LEFT:
        extra = dict(**visit, arrival_t=t - 30, waited_s=30.0, left_t=t, outcome=Outcome.ABANDONED)
    elif kind is EventType.COUNTER_UNATTENDED:
        extra = dict(waited_s=3.0)
    elif kind is EventType.COUNTER_ATTENDED:
        extra = dict(detail="staff back")
    else:
        extra = dict(detail="test")
    if ("waited_s" in extra and "visit_id" in extra) or "ack_t" in extra:
        # What the staff were doing while she waited: each word of the vocabulary in turn.
        word = CONTEXTS[i % len(CONTEXTS)].value
        extra.update(context=word, context_shares={
            c.value: (1.0 if c.value == word else 0.0) for c in CONTEXTS})
    return Event(type=kind, **common, **extra)


def make_state(counter_id: str = "counter-1", *, t: float = 10.0, waiting: int = 0,
               alert: bool = False, enabled: bool = True, latency: float | None = None,
               longest: float | None = None) -> CounterState:
    customers = tuple(
        WaitingCustomer(visit_id=f"v{k}", track_id=k, arrived=True, waited_s=12.0 + k,
                        acknowledged=False, alert=alert)
        for k in range(waiting)
    )
    return CounterState(
        counter_id=counter_id, t=t, customers_waiting=waiting,
        longest_wait_s=longest if longest is not None else (12.0 + waiting - 1 if waiting else 0.0),
        alert=alert, escalated=False, staff_present=not alert, unattended=False,
        enabled=enabled, last_ack_latency_s=latency, customers=customers,
    )


def event_ids(messages: list[Any]) -> list[str]:
    return [json.loads(m.payload)["event_id"] for m in messages]

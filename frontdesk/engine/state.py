"""Live per-counter state: what MQTT retains, the dashboard shows and /healthz summarises."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["WaitingCustomer", "CounterState"]


@dataclass(frozen=True)
class WaitingCustomer:
    """A customer currently at or approaching a counter."""

    visit_id: str
    track_id: int
    arrived: bool
    waited_s: float
    """Seconds since arrival (0 while still approaching)."""
    acknowledged: bool
    alert: bool


@dataclass(frozen=True)
class CounterState:
    """One counter's state at time ``t`` (source clock)."""

    counter_id: str
    t: float
    customers_waiting: int
    """Arrived and not yet acknowledged."""
    longest_wait_s: float
    """Longest current unacknowledged wait, 0 when nobody waits."""
    alert: bool
    """True while any customer has waited past alert_after_s unacknowledged (and not snoozed)."""
    escalated: bool
    staff_present: bool
    unattended: bool
    enabled: bool = True
    snoozed_until_t: float | None = None
    last_ack_latency_s: float | None = None
    customers: tuple[WaitingCustomer, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["customers"] = [asdict(c) for c in self.customers]
        for k, v in list(d.items()):
            if isinstance(v, float):
                d[k] = round(v, 3)
        return d

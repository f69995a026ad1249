"""Per-counter runtime: enabled, snooze, staff presence, unattended."""

from __future__ import annotations

__all__ = ["CounterRuntime"]


class CounterRuntime:
    """What the engine tracks for one counter besides its visits.

    Attributes:
        enabled: a disabled counter raises no alerts (waiting, escalated, unattended).
        snoozed_until_t: no waiting or escalated alerts before this time (None: not snoozed).
        staff_last_seen_t: the latest frame that measured a staff member of this counter.
        unattended: True between counter_unattended and counter_attended.
        last_ack_latency_s: latency of the latest acknowledgement, for the dashboard.
    """

    __slots__ = ("counter_id", "enabled", "snoozed_until_t", "staff_last_seen_t", "unattended",
                 "last_ack_latency_s")

    def __init__(self, counter_id: str, enabled: bool = True):
        self.counter_id = counter_id
        self.enabled = enabled
        self.snoozed_until_t: float | None = None
        self.staff_last_seen_t: float | None = None
        self.unattended = False
        self.last_ack_latency_s: float | None = None

    def snoozed(self, t: float) -> bool:
        return self.snoozed_until_t is not None and t < self.snoozed_until_t

    def alerts_allowed(self, t: float) -> bool:
        """Whether customer_waiting and customer_escalated may be raised at ``t``."""
        return self.enabled and not self.snoozed(t)

    def staff_seen_within(self, t: float, window_s: float) -> bool:
        return self.staff_last_seen_t is not None and t - self.staff_last_seen_t <= window_s

    def unattended_since(self, waiting_since_t: float) -> float:
        """Start of the stretch with a customer waiting and no staff visible."""
        if self.staff_last_seen_t is None:
            return waiting_since_t
        return max(self.staff_last_seen_t, waiting_since_t)

"""Zones and roles: where a face is, and who it is (staff or customer).

Every counter has a ``service`` zone (customers at the counter), an optional
``approach`` zone (customers walking up) and a ``staff`` zone (behind the
counter), all polygons in normalised image coordinates. ``ignore`` masks from
every counter apply to the whole camera: a face whose centre is in any of them
is dropped before anything else (posters, screens, a mirror).

A track's role comes from the zones it stands in: staff zone only means staff,
service or approach zone only means customer. Standing in both kinds at once
(overlapping polygons) changes nothing: whatever evidence was building up keeps
building. The role is fixed once the same evidence has lasted
``role_hysteresis_s`` and then stays with the track.
"""

from __future__ import annotations

from enum import Enum

from frontdesk.config import CounterConfig
from frontdesk.geometry import ZonePolygon

__all__ = ["Role", "Placement", "CounterZones", "ZoneMap", "RoleState"]


class Role(str, Enum):
    STAFF = "staff"
    CUSTOMER = "customer"


class Placement:
    """Which zones one point is in: the first matching counter for each zone kind."""

    __slots__ = ("staff_counter", "service_counter", "approach_counter")

    def __init__(self, staff_counter: str | None, service_counter: str | None,
                 approach_counter: str | None):
        self.staff_counter = staff_counter
        self.service_counter = service_counter
        self.approach_counter = approach_counter

    @property
    def customer_counter(self) -> str | None:
        """The counter a customer here belongs to: service zone first, then approach."""
        return self.service_counter or self.approach_counter

    @property
    def evidence(self) -> Role | None:
        """The role this position suggests, None when no zone or both kinds."""
        customer = self.customer_counter is not None
        staff = self.staff_counter is not None
        if staff == customer:
            return None
        return Role.STAFF if staff else Role.CUSTOMER


class CounterZones:
    """One counter's compiled polygons."""

    __slots__ = ("counter_id", "service", "approach", "staff", "focus")

    def __init__(self, counter: CounterConfig):
        z = counter.zones
        self.counter_id = counter.id
        self.service = ZonePolygon(z.service)
        self.approach = ZonePolygon(z.approach) if z.approach else None
        self.staff = ZonePolygon(z.staff)
        self.focus = [ZonePolygon(p) for p in z.focus]

    def in_focus(self, x: float, y: float) -> bool:
        return any(p.contains(x, y) for p in self.focus)

    def in_service(self, x: float, y: float) -> bool:
        return self.service.contains(x, y)

    def in_approach(self, x: float, y: float) -> bool:
        return self.approach is not None and self.approach.contains(x, y)

    def in_customer_zone(self, x: float, y: float) -> bool:
        return self.in_service(x, y) or self.in_approach(x, y)


class ZoneMap:
    """Every counter's zones plus the camera-wide ignore masks."""

    def __init__(self, counters: list[CounterConfig]):
        self.counters: dict[str, CounterZones] = {c.id: CounterZones(c) for c in counters}
        self.ignore = [ZonePolygon(p) for c in counters for p in c.zones.ignore]

    def is_ignored(self, x: float, y: float) -> bool:
        return any(p.contains(x, y) for p in self.ignore)

    def focus_counter(self, x: float, y: float) -> str | None:
        """The first counter with a focus-work zone containing the point, if any."""
        for cid, zones in self.counters.items():
            if zones.focus and zones.in_focus(x, y):
                return cid
        return None

    def locate(self, x: float, y: float) -> Placement:
        staff = service = approach = None
        for cid, zones in self.counters.items():
            if staff is None and zones.staff.contains(x, y):
                staff = cid
            if service is None and zones.service.contains(x, y):
                service = cid
            if approach is None and zones.in_approach(x, y):
                approach = cid
        return Placement(staff, service, approach)


class RoleState:
    """Role with hysteresis: evidence must hold ``hysteresis_s`` before the role is fixed."""

    __slots__ = ("role", "candidate", "candidate_since_t")

    def __init__(self) -> None:
        self.role: Role | None = None
        self.candidate: Role | None = None
        self.candidate_since_t = 0.0

    @property
    def likely(self) -> Role | None:
        """The fixed role, or the candidate while none is fixed."""
        return self.role if self.role is not None else self.candidate

    def update(self, t: float, placement: Placement | None, hysteresis_s: float) -> bool:
        """Feed one frame's placement (None: not measured). True when the role was fixed now."""
        if self.role is not None or placement is None:
            return False
        both = placement.staff_counter is not None and placement.customer_counter is not None
        # overlapping zones: keep whatever was building up
        evidence = self.candidate if both else placement.evidence
        if evidence != self.candidate:
            self.candidate = evidence
            self.candidate_since_t = t
        if self.candidate is not None and t - self.candidate_since_t + 1e-9 >= hysteresis_s:
            self.role = self.candidate
            return True
        return False

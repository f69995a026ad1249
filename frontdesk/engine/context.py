"""Staff context: what the staff present were doing while a customer waited.

Pure and per frame. For one waiting customer at one counter, every staff member
present (role staff, measured or held in that counter's staff zone or one of its
focus zones) gets one *activity* this frame, the first that applies:

============== =====================================================================
focus_work     standing in a zone marked as focus work (``zones.focus``): a
               dispensing bench, a safe, a cash count; not expected to look up
talking        looking at a colleague's head while the colleague looks back (both
               within :data:`CONTEXT_CONE_DEG`)
serving_other  looking at another customer of the counter (within the cone)
looking_down   gaze pitched down more than ``engine.looking_down_deg`` below the
               camera's horizontal (a till, paperwork, a screen)
attentive      gaze within :data:`ATTENTIVE_MAX_DEG` of the direction to the
               waiting customer (looking toward her side of the counter)
turned_away    anything else: the gaze points elsewhere, or the face is hidden
               while the body is seen (back to the counter)
============== =====================================================================

With nobody present the frame is ``absent``. The frame's *shares* split it evenly
among the staff present (two staff talking: all of it ``talking``; one talking
one attentive: half each). A :class:`ContextTally` adds the frames' shares up,
weighted by their duration, from arrival to acknowledgement (or departure); the
*dominant* context is the one with the largest share, ties broken by
:data:`CONTEXTS` order.

The cone test is the eye-contact one (:class:`~frontdesk.engine.contact.GazeCone`),
wider, without a dwell: a context is a share of time, not an event, and a frame
that misreads the gaze moves a share by one frame only.

The vocabulary (:class:`Context` values) is part of the MQTT contract and the
store: add words, never rename one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from frontdesk.engine.contact import GazeCone
from frontdesk.engine.zones import Role, ZoneMap
from frontdesk.geometry import cos_angle_to_point

if TYPE_CHECKING:
    from frontdesk.engine.tracks import TrackState
    from frontdesk.engine.visits import Visit

__all__ = [
    "Context",
    "CONTEXTS",
    "CONTEXT_CONE_DEG",
    "ATTENTIVE_MAX_DEG",
    "Head",
    "ContextRule",
    "activity",
    "frame_shares",
    "ContextTally",
    "ContextWatch",
]

Vec3 = tuple[float, float, float]


class Context(str, Enum):
    """What the staff present were doing (a stable vocabulary: MQTT and the store)."""

    ATTENTIVE = "attentive"
    TALKING = "talking"
    SERVING_OTHER = "serving_other"
    LOOKING_DOWN = "looking_down"
    TURNED_AWAY = "turned_away"
    ABSENT = "absent"
    FOCUS_WORK = "focus_work"


CONTEXTS: tuple[Context, ...] = tuple(Context)
"""Every context, in the order ties are broken and reports list them."""

CONTEXT_CONE_DEG = 20.0
"""Half-angle of the cone for "looking at a colleague" and "looking at another
customer". Wider than the eye-contact cone (12 degrees): with 5 degrees of gaze
noise per axis a 12-degree cone misses one frame in six, and a mutual look (two
gazes) one in three; no dwell is needed, so a wider cone costs little."""

ATTENTIVE_MAX_DEG = 45.0
"""A staff member whose gaze is within this of the direction to the waiting
customer's head is attentive (looking toward her side of the counter). A colleague
beside them (0.75 m along the counter) is about 58 degrees off that direction, the
back shelf 180."""


@dataclass(frozen=True)
class Head:
    """One person's head this frame, camera frame (metres).

    ``gaze`` is None when the face was not measured this frame (body only).
    """

    track_id: int
    position: Vec3
    gaze: Vec3 | None = None


class ContextRule:
    """The settings the activities are judged with.

    Args:
        looking_down_deg: a gaze pitched more than this below the camera's horizontal
            is looking down (``engine.looking_down_deg``).
        cone_deg: half-angle of the cone for looking at a colleague or another customer.
        attentive_max_deg: a gaze within this of the waiting customer is attentive.
    """

    __slots__ = ("looking_down_deg", "cone", "_sin_down", "_cos_attentive")

    def __init__(self, looking_down_deg: float = 25.0, cone_deg: float = CONTEXT_CONE_DEG,
                 attentive_max_deg: float = ATTENTIVE_MAX_DEG):
        self.looking_down_deg = looking_down_deg
        self.cone = GazeCone(cone_deg)
        self._sin_down = math.sin(math.radians(looking_down_deg))
        self._cos_attentive = math.cos(math.radians(attentive_max_deg))

    def pitched_down(self, gaze: Vec3) -> bool:
        """Whether ``gaze`` points more than ``looking_down_deg`` below the horizontal
        (camera frame: y is down)."""
        gx, gy, gz = gaze
        norm = math.sqrt(gx * gx + gy * gy + gz * gz)
        return norm > 0.0 and gy / norm > self._sin_down

    def toward(self, me: Head, gaze: Vec3, target: Vec3) -> bool:
        """Whether ``gaze`` from ``me`` is within ``attentive_max_deg`` of ``target``."""
        return cos_angle_to_point(me.position, gaze, target) >= self._cos_attentive


def _looks_at(rule: ContextRule, me: Head, other: Head) -> bool:
    return me.gaze is not None and rule.cone.contains(me.position, me.gaze, other.position)


def activity(me: Head, customer: Head, colleagues: Sequence[Head], others: Sequence[Head],
             rule: ContextRule, in_focus: bool = False) -> Context:
    """What one staff member is doing with respect to the waiting ``customer``.

    ``colleagues``: the other staff present (``me`` may be among them);
    ``others``: the counter's other customers (the waiting one may be among them).
    """
    if in_focus:
        return Context.FOCUS_WORK
    gaze = me.gaze
    if gaze is None:
        return Context.TURNED_AWAY
    for mate in colleagues:
        if mate.track_id != me.track_id and _looks_at(rule, me, mate) and _looks_at(rule, mate, me):
            return Context.TALKING
    for other in others:
        if other.track_id != customer.track_id and _looks_at(rule, me, other):
            return Context.SERVING_OTHER
    if rule.pitched_down(gaze):
        return Context.LOOKING_DOWN
    if rule.toward(me, gaze, customer.position):
        return Context.ATTENTIVE
    return Context.TURNED_AWAY


def frame_shares(activities: Iterable[Context]) -> dict[Context, float]:
    """One frame's shares: the staff present's activities split evenly; none: absent."""
    acts = list(activities)
    if not acts:
        return {Context.ABSENT: 1.0}
    out: dict[Context, float] = {}
    for a in acts:
        out[a] = out.get(a, 0.0) + 1.0 / len(acts)
    return out


class ContextTally:
    """Context shares of one wait, added up frame by frame.

    :meth:`add` takes a frame's shares and how long the frame stands for;
    :attr:`focus_only` says whether, on the latest frame, staff were present and
    every one of them was in focus work (the alert hold, ``engine.focus_alert_after_s``).
    """

    __slots__ = ("seconds", "total_s", "focus_only", "last_t")

    def __init__(self) -> None:
        self.seconds: dict[Context, float] = {}
        self.total_s = 0.0
        self.focus_only = False
        self.last_t: float | None = None

    def add(self, t: float, shares: Mapping[Context, float], frame_s: float) -> None:
        """Add the frame at ``t``; it stands for the time since the previous one (at
        most ``frame_s`` on the first frame or after a stall of over 0.5 s)."""
        dt = frame_s if self.last_t is None else t - self.last_t
        if dt > 0.5 or dt <= 0.0:
            dt = frame_s
        self.last_t = t
        self.focus_only = shares.get(Context.FOCUS_WORK, 0.0) >= 1.0 - 1e-9
        if dt <= 0.0:
            return
        for ctx, share in shares.items():
            self.seconds[ctx] = self.seconds.get(ctx, 0.0) + share * dt
        self.total_s += dt

    def shares(self) -> dict[str, float]:
        """Share of the wait per context (every word, rounded to 0.001; empty: no time)."""
        if self.total_s <= 0.0:
            return {}
        return {c.value: round(self.seconds.get(c, 0.0) / self.total_s, 3) for c in CONTEXTS}

    def dominant(self) -> Context | None:
        """The context with the largest share (None before any time was added)."""
        if self.total_s <= 0.0:
            return None
        return max(CONTEXTS, key=lambda c: (self.seconds.get(c, 0.0), -CONTEXTS.index(c)))


class ContextWatch:
    """The engine's glue: each frame, the staff context of every waiting customer.

    Staff present at a counter: tracks whose role is (likely) staff, measured or
    held, last measured in the counter's staff zone or one of its focus zones. A
    staff member held this frame (no face and no body) keeps the activity of their
    last measured frame for that customer.
    """

    def __init__(self, rule: ContextRule, zones: ZoneMap):
        self.rule = rule
        self.zones = zones
        self._last: dict[tuple[int, str], Context] = {}

    def step(self, tracks: Sequence[TrackState], visits: Iterable[Visit], t: float,
             frame_s: float) -> None:
        waiting = [v for v in visits if v.confirmed and v.waiting()]
        if not waiting:
            if self._last:
                self._last.clear()
            return
        staff: dict[str, list[tuple[TrackState, bool]]] = {}
        customers: dict[str, list[Head]] = {}
        for ts in tracks:
            likely = ts.role.likely
            if likely is Role.STAFF:
                self._place_staff(ts, staff)
            elif likely is Role.CUSTOMER and ts.visit is not None and ts.face_fresh:
                customers.setdefault(ts.visit.counter_id, []).append(_head(ts))
        keep: set[tuple[int, str]] = set()
        for visit in waiting:
            present = staff.get(visit.counter_id, [])
            heads = [_head(ts) for ts, _ in present if ts.fresh]
            me_customer = _head(visit.track)
            others = customers.get(visit.counter_id, [])
            acts: list[Context] = []
            for ts, in_focus in present:
                key = (ts.track_id, visit.visit_id)
                if ts.fresh:
                    act = activity(_head(ts), me_customer, heads, others, self.rule, in_focus)
                    self._last[key] = act
                else:
                    held = self._last.get(key)
                    if held is None:
                        continue
                    act = held
                keep.add(key)
                acts.append(act)
            visit.context.add(t, frame_shares(acts), frame_s)
        for key in [k for k in self._last if k not in keep]:
            del self._last[key]

    def _place_staff(self, ts: TrackState,
                     staff: dict[str, list[tuple[TrackState, bool]]]) -> None:
        placement = ts.placement
        if placement is None:
            return
        focus = self.zones.focus_counter(ts.x, ts.y)
        if focus is not None:
            staff.setdefault(focus, []).append((ts, True))
        elif placement.staff_counter is not None:
            staff.setdefault(placement.staff_counter, []).append((ts, False))


def _head(ts: TrackState) -> Head:
    return Head(ts.track_id, ts.position, ts.gaze if ts.face_fresh else None)

"""Random counter scenes from a seed: customers walk up, queue, wait, are greeted or give up.

The story, per customer (in the order they reach the line):

* walk in along the walkway (customers' faces toward the camera);
* a *passer-by* stops short, pauses for less than ``arrival_still_s``, turns away;
* everyone else joins the line: the service spot if free, else the next queue
  spot (standing still there is an arrival); they step up when the one ahead
  moves on; with the line full they walk on (passers-by too);
* at the service spot, a staff member acknowledges them after a reaction time
  drawn from a mixture (quick, slow, past the alert, past the escalation), a
  few of them already during the last steps of the approach; before that, staff
  may *glance* at them for less than the dwell; the greeting is a held look,
  followed by service (looks at the customer and at the till, in turn);
* a customer whose patience runs out before any greeting leaves (abandoned);
* after service the customer turns round and walks out.

Staff stand behind the counter looking at their till, now and then turn to the
back shelf (face away from the camera), and sometimes leave the counter for a
while (nobody to greet the customers then: alerts). Two staff members share the
counter in some scenes.

Everything random comes from one ``numpy.random.Generator`` seeded with ``seed``:
the same seed and parameters give the same scene.

With :class:`Behaviours` (the ``realistic`` preset's default,
:data:`BEHAVIOUR_PRESETS`), people also do what hides a face from the camera:
waiting customers look down at a phone or the counter, look round the shop and
turn to a second member of staff; staff look down at paperwork or a screen.
These draws come from a generator of their own (seeded with ``(seed, 1)``), laid
over the story above, so the story itself (who comes when, waits how long, is
greeted when) is the same with or without them.

:func:`random_scene` takes the customers' entry times from
:func:`poisson_entries`, or from the caller (``entry_times``): a generator for a
whole working day passes times drawn from a time-of-day rate and a
``start_wall_time``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from frontdesk.sim.layout import DEFAULT_COUNTER_ID, DEFAULT_LAYOUT, CounterLayout
from frontdesk.sim.scene import GazeAction, HeadPath, Person, Scene, Waypoint
from frontdesk.sim.world import unit_rows, view_angle_deg

__all__ = ["RandomSceneParams", "Behaviours", "BEHAVIOUR_PRESETS", "behaviours_for",
           "random_scene", "poisson_entries"]

log = logging.getLogger(__name__)

Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class RandomSceneParams:
    """Knobs of the random story (times in seconds, speeds in m/s).

    Attributes:
        mean_entry_gap_s: mean time between customers walking in (Poisson).
        first_entry_s: when the first customer walks in (staff settle first).
        p_two_staff: chance a scene has two staff members.
        p_passer_by: chance a customer only passes by.
        p_early_greeting: chance the greeting starts during the last second of the approach.
        reaction_mix: (weight, low, high) uniform components of the time from
            reaching the counter to the greeting.
        patience_s: a customer not greeted this long after joining the line leaves.
        service_s: time at the counter after the greeting.
        glance_chance: chance of one or two glances (shorter than the dwell) before the greeting.
        glance_hold_s: how long a glance rests on the customer (plus the turns).
        greet_hold_s: how long the greeting look rests on the customer.
        staff_away_every_s: mean time between a staff member leaving the counter.
        staff_away_s: how long they stay away.
        shelf_every_s: mean time between turns to the back shelf.
        shelf_s: how long a turn to the shelf lasts.
        walk_speed: customers' walking speed range.
        head_z: head heights.
        step_up_delay_s: pause before stepping up in the queue.
        turn_s: duration of a gaze turn.
        aim_error_deg: largest offset of a look from the eyes of the person looked at.
    """

    mean_entry_gap_s: float = 40.0
    first_entry_s: float = 4.0
    p_two_staff: float = 0.35
    p_passer_by: float = 0.12
    p_early_greeting: float = 0.15
    reaction_mix: tuple[tuple[float, float, float], ...] = (
        (0.55, 0.3, 4.0), (0.25, 4.0, 10.0), (0.15, 10.0, 30.0), (0.05, 30.0, 45.0),
    )
    patience_s: tuple[float, float] = (15.0, 80.0)
    service_s: tuple[float, float] = (3.0, 15.0)
    glance_chance: float = 0.5
    glance_hold_s: tuple[float, float] = (0.0, 0.15)
    greet_hold_s: tuple[float, float] = (0.9, 2.5)
    staff_away_every_s: float = 300.0
    staff_away_s: tuple[float, float] = (8.0, 45.0)
    shelf_every_s: float = 60.0
    shelf_s: tuple[float, float] = (2.0, 6.0)
    walk_speed: tuple[float, float] = (0.9, 1.4)
    head_z: tuple[float, float] = (1.5, 1.9)
    step_up_delay_s: tuple[float, float] = (0.2, 0.6)
    turn_s: float = 0.15
    aim_error_deg: float = 3.0


@dataclass(frozen=True)
class Behaviours:
    """What people do that hides their face, with rates (events per minute of the state).

    A waiting customer (from joining the line to ``before_greeting_s`` before the
    greeting, or to leaving when nobody greets) does one thing at a time, with
    at least ``between_s`` of looking up in between; the next starts after an
    exponential gap at the summed rate of the kinds that apply.

    Attributes:
        phone_per_min: looks down at a phone or the counter top while waiting.
        phone_s: how long (log-uniform: most are short, some last a minute).
        phone_pitch_deg: the head's pitch below the horizontal.
        around_per_min: looks round the shop (face away from the camera) while waiting.
        around_s: how long.
        second_staff_per_min: turns to the other staff member (two staff, at the counter).
        second_staff_s: how long.
        paperwork_per_min: a staff member looks down at paperwork or a screen on the
            counter instead of the till (a greeting or service look takes precedence).
        paperwork_s: how long.
        paperwork_pitch_deg: the head's pitch below the horizontal.
        before_greeting_s: the customer looks up at least this long before the greeting
            (so an acknowledgement is always a look both faces take part in).
        between_s: shortest look up between two such looks.
    """

    phone_per_min: float = 1.0
    phone_s: tuple[float, float] = (3.0, 60.0)
    phone_pitch_deg: tuple[float, float] = (30.0, 60.0)
    around_per_min: float = 0.8
    around_s: tuple[float, float] = (1.0, 4.0)
    second_staff_per_min: float = 0.8
    second_staff_s: tuple[float, float] = (2.0, 6.0)
    paperwork_per_min: float = 0.5
    paperwork_s: tuple[float, float] = (3.0, 20.0)
    paperwork_pitch_deg: tuple[float, float] = (35.0, 55.0)
    before_greeting_s: float = 0.8
    between_s: float = 1.0


BEHAVIOUR_PRESETS: dict[str, Behaviours | None] = {"none": None, "realistic": Behaviours()}
"""Behaviours a noise preset's random scenes have by default: on with ``realistic``."""


def behaviours_for(noise: str) -> Behaviours | None:
    """The behaviours random scenes get with noise preset ``noise`` (None: the bare story)."""
    return BEHAVIOUR_PRESETS.get(noise)


def poisson_entries(rng: np.random.Generator, n: int, mean_gap_s: float,
                    first_s: float = 0.0) -> list[float]:
    """``n`` entry times with exponential gaps of mean ``mean_gap_s``, the first at ``first_s``."""
    gaps = rng.exponential(mean_gap_s, size=max(n - 1, 0))
    return [first_s + float(x) for x in np.concatenate([[0.0], np.cumsum(gaps)])][:n]


# ---------------------------------------------------------------------------- staff


@dataclass
class _Look:
    """A planned gaze interval of a staff member: look at ``action`` from start to end."""

    start: float
    end: float
    priority: int
    actions: list[GazeAction]


@dataclass
class _StaffPlan:
    id: str
    spot: tuple[float, float]
    head_z: float
    away: list[tuple[float, float]] = field(default_factory=list)
    looks: list[_Look] = field(default_factory=list)

    @property
    def head(self) -> Vec3:
        return (self.spot[0], self.spot[1], self.head_z)

    def present(self, start: float, end: float) -> bool:
        """At the counter (not away, with a margin) for the whole of [start, end]."""
        return all(end <= a - 0.5 or start >= b + 0.5 for a, b in self.away)

    def free(self, start: float, end: float) -> bool:
        """Present and not already looking at someone then."""
        if not self.present(start, end):
            return False
        return all(end + 0.8 <= lk.start or start >= lk.end + 0.8
                   for lk in self.looks if lk.priority >= _P_CONTACT)

    def back_after(self, t: float) -> float:
        """Earliest time >= t at which the staff member is at the counter."""
        for a, b in sorted(self.away):
            if a - 0.5 < t < b + 0.5:
                t = b + 0.5
        return t


_P_SHELF, _P_GLANCE, _P_CONTACT = 1, 2, 3
_FOLLOW_GAP_S = 1.0
"""Customers reach the line at least this far apart (in the order they walked in)."""
_STEP_CHAIN_S = 0.9
"""Delay between neighbours in the queue starting to step up."""
_SPOT_CLEAR_S = 0.8
"""A customer reaches a line spot no sooner than this after its occupant moves off."""
_P_AWAY = 9


class _Story:
    """Builds one scene; every random draw goes through ``self.rng`` in a fixed order."""

    def __init__(self, rng: np.random.Generator, layout: CounterLayout, params: RandomSceneParams):
        self.rng = rng
        self.layout = layout
        self.p = params

    def u(self, lo_hi: tuple[float, float]) -> float:
        return float(self.rng.uniform(lo_hi[0], lo_hi[1]))

    # ------------------------------------------------------------------ staff

    def make_staff(self, horizon_s: float) -> list[_StaffPlan]:
        n = 2 if self.rng.random() < self.p.p_two_staff else 1
        staff = []
        for i in range(n):
            spot = self.layout.staff_spots[i % len(self.layout.staff_spots)]
            plan = _StaffPlan(f"staff-{i + 1}", spot, self.u((1.55, 1.85)))
            t = float(self.rng.exponential(self.p.staff_away_every_s))
            while t < horizon_s:
                dur = self.u(self.p.staff_away_s)
                plan.away.append((t, t + dur))
                t += dur + float(self.rng.exponential(self.p.staff_away_every_s)) + 10.0
            staff.append(plan)
        return staff

    def aim(self) -> tuple[float, float]:
        e = self.p.aim_error_deg
        return (self.u((-e, e)), self.u((-e, e)))

    def staff_person(self, plan: _StaffPlan, end_t: float) -> Person:
        layout = self.layout
        spot = np.array([plan.spot[0], plan.spot[1], plan.head_z])
        exit_p = np.array([layout.staff_exit[0], layout.staff_exit[1], plan.head_z])
        walk_s = float(np.linalg.norm(exit_p - spot)) / 1.2
        wps = [Waypoint(0.0, tuple(spot))]
        looks = list(plan.looks)
        for a, b in sorted(plan.away):
            leave_t, back_t = a + 0.4, b
            if back_t - walk_s <= leave_t + walk_s + 0.5 or back_t >= end_t:
                continue
            wps += [Waypoint(leave_t, tuple(spot)), Waypoint(leave_t + walk_s, tuple(exit_p)),
                    Waypoint(back_t - walk_s, tuple(exit_p)), Waypoint(back_t, tuple(spot))]
            looks.append(_Look(a, back_t, _P_AWAY, [
                GazeAction(a, "heading", heading_deg=180.0, turn_s=0.4),
                GazeAction(leave_t, "walk", turn_s=0.3),
            ]))
        wps.append(Waypoint(max(end_t, wps[-1].t + 1.0), tuple(spot)))
        return Person(plan.id, "staff", HeadPath(wps), self._staff_gaze(plan, looks, end_t))

    def _work_action(self, plan: _StaffPlan, t: float) -> GazeAction:
        wx, wy, wz = self.layout.work_point
        x0, y0 = self.layout.staff_spots[0]
        point = (plan.spot[0] + (wx - x0) + self.u((-0.1, 0.1)),
                 plan.spot[1] + (wy - y0) + self.u((-0.08, 0.08)), wz)
        return GazeAction(t, "point", point=point, turn_s=0.3)

    def _staff_gaze(self, plan: _StaffPlan, looks: list[_Look], end_t: float) -> list[GazeAction]:
        kept: list[_Look] = []
        for lk in sorted(looks, key=lambda x: (-x.priority, x.start)):
            if all(lk.end + 0.3 <= k.start or lk.start >= k.end + 0.3 for k in kept):
                kept.append(lk)
        kept.sort(key=lambda x: x.start)
        actions: list[GazeAction] = []
        t = 0.0
        for lk in [*kept, _Look(end_t, end_t, 0, [])]:
            while t < lk.start - 0.3:  # work at the till, shifting now and then
                actions.append(self._work_action(plan, t))
                t += self.u((2.0, 6.0))
            if lk.start >= end_t:
                break
            actions.extend(lk.actions)
            t = lk.end
        return actions

    def add_shelf_turns(self, plan: _StaffPlan, horizon_s: float) -> None:
        t = float(self.rng.exponential(self.p.shelf_every_s))
        while t < horizon_s:
            dur = self.u(self.p.shelf_s)
            plan.looks.append(_Look(t, t + dur, _P_SHELF, [GazeAction(
                t, "heading", heading_deg=self.u((-120.0, -60.0)), pitch_deg=5.0, turn_s=0.4)]))
            t += dur + float(self.rng.exponential(self.p.shelf_every_s))

    # ------------------------------------------------------------------ customers

    def reaction(self) -> float:
        weights = np.array([m[0] for m in self.p.reaction_mix])
        k = int(self.rng.choice(len(weights), p=weights / weights.sum()))
        return self.u(self.p.reaction_mix[k][1:])

    def visible_from(self, head: Vec3, target: Vec3, margin_deg: float = 8.0) -> bool:
        """Would the camera still see a face at ``head`` looking at ``target``?"""
        h = np.array([head])
        d = unit_rows(np.array([target]) - h)
        angle = float(view_angle_deg(d, h, self.layout.camera.position_array)[0])
        return angle <= 65.0 - margin_deg


@dataclass
class _Customer:
    id: str
    entry_t: float
    speed: float
    head_z: float
    lane_y: float
    passer_by: bool
    patience_s: float
    waypoints: list[Waypoint] = field(default_factory=list)
    gaze: list[GazeAction] = field(default_factory=list)
    line_join_t: float | None = None
    line_leave_t: float = math.inf
    at_counter_t: float | None = None
    queued: bool = False
    greet_t: float | None = None
    server_id: str | None = None

    def walk_to(self, point: Vec3, speed: float | None = None) -> float:
        last = self.waypoints[-1]
        dist = float(np.linalg.norm(np.subtract(point, last.position)))
        t = last.t + max(dist / (speed or self.speed), 0.05)
        self.waypoints.append(Waypoint(t, point))
        return t

    def wait_until(self, t: float) -> None:
        last = self.waypoints[-1]
        if t > last.t + 1e-6:
            self.waypoints.append(Waypoint(t, last.position))

    def position_at(self, t: float) -> Vec3:
        for a, b in zip(self.waypoints, self.waypoints[1:], strict=False):
            if a.t <= t <= b.t:
                w = (t - a.t) / (b.t - a.t)
                x, y, z = (p + w * (q - p) for p, q in zip(a.position, b.position, strict=True))
                return (float(x), float(y), float(z))
        return self.waypoints[-1].position


class _Line:
    """Who is in the line (service spot first, then queue spots) at any time."""

    def __init__(self) -> None:
        self.members: list[_Customer] = []
        self.last_join_t = -math.inf
        self.spot_free_t: dict[float, float] = {}
        """By spot x: when its latest occupant starts to move off."""

    def occupy(self, c: _Customer, spot_xs: list[float]) -> None:
        """Record when ``c`` leaves each line spot it stood on."""
        for w in c.waypoints:
            x = w.position[0]
            if x in spot_xs and w.t > self.spot_free_t.get(x, -math.inf):
                self.spot_free_t[x] = w.t

    def ahead(self, t: float) -> int:
        return sum(1 for c in self.members
                   if c.line_join_t is not None and c.line_join_t <= t < c.line_leave_t)

    def leave_times_after(self, t: float) -> list[float]:
        return sorted(c.line_leave_t for c in self.members
                      if c.line_join_t is not None and c.line_join_t <= t < c.line_leave_t)


def random_scene(seed: int, visits: int, layout: CounterLayout = DEFAULT_LAYOUT,
                 params: RandomSceneParams | None = None, counter_id: str = DEFAULT_COUNTER_ID,
                 entry_times: Sequence[float] | None = None,
                 start_wall_time: float | None = None,
                 behaviours: Behaviours | None = None) -> Scene:
    """A random scene with ``visits`` customers, reproducible from ``seed``.

    ``behaviours``: also looks that hide faces (:class:`Behaviours`); None: the bare story.
    """
    p = params or RandomSceneParams()
    rng = np.random.default_rng(seed)
    story = _Story(rng, layout, p)
    if entry_times is None:
        entry_times = poisson_entries(rng, visits, p.mean_entry_gap_s, p.first_entry_s)
    entries = sorted(float(x) for x in entry_times)[:visits]
    horizon = (entries[-1] if entries else 0.0) + 300.0
    staff = story.make_staff(horizon)
    for plan in staff:
        story.add_shelf_turns(plan, horizon)
    line = _Line()
    customers: list[_Customer] = []
    for i, entry in enumerate(entries):
        c = _Customer(
            id=f"customer-{i + 1}", entry_t=entry, speed=story.u(p.walk_speed),
            head_z=story.u(p.head_z), lane_y=layout.walkway_y + story.u((-0.05, 0.1)),
            passer_by=bool(rng.random() < p.p_passer_by), patience_s=story.u(p.patience_s),
        )
        _plan_customer(story, c, line, staff)
        line.occupy(c, [x for x, _ in (*layout.service_spots[:1], *layout.queue_spots)])
        customers.append(c)
    end_t = max(c.waypoints[-1].t for c in customers) + 5.0 if customers else 10.0
    if behaviours is not None:
        _Behave(np.random.default_rng([seed, 1]), layout, behaviours).apply(customers, staff,
                                                                            end_t)
    people = [story.staff_person(plan, end_t) for plan in staff]
    people += [Person(c.id, "customer", HeadPath(c.waypoints), c.gaze) for c in customers]
    meta: dict[str, object] = {"generator": "random", "seed": seed, "visits": visits,
                               "staff": len(staff)}
    if behaviours is not None:
        meta["behaviours"] = True
    return Scene(layout=layout, people=people, duration_s=end_t, counter_id=counter_id,
                 start_wall_time=start_wall_time, meta=meta)


def _leave(story: _Story, c: _Customer, t: float) -> None:
    """Turn round (face away from the camera) and walk back out."""
    c.wait_until(t)
    c.gaze.append(GazeAction(t, "heading", heading_deg=180.0 + story.u((-20.0, 20.0)),
                             pitch_deg=-5.0, turn_s=0.5))
    pos = c.waypoints[-1].position
    c.waypoints.append(Waypoint(t + 0.6, pos))
    out_y = story.layout.walkway_y + 0.35
    c.walk_to((pos[0] - 0.4, out_y, c.head_z))
    c.walk_to((story.layout.entry_x, out_y, c.head_z))
    c.gaze.append(GazeAction(t + 0.6, "walk", turn_s=0.3))


def _walk_on(story: _Story, c: _Customer, stop_x: float) -> None:
    """A passer-by: walk up, pause briefly, turn away into the shop."""
    t = c.walk_to((stop_x, c.lane_y, c.head_z))
    pause = story.u((0.0, 1.5))
    c.wait_until(t + pause)
    t = c.waypoints[-1].t
    c.gaze.append(GazeAction(t, "heading", heading_deg=story.u((95.0, 130.0)), turn_s=0.5))
    pos = c.waypoints[-1].position
    c.waypoints.append(Waypoint(t + 0.6, pos))
    c.walk_to((pos[0] - 1.0, 4.5, c.head_z))
    c.gaze.append(GazeAction(t + 0.6, "walk", turn_s=0.3))


def _plan_customer(story: _Story, c: _Customer, line: _Line, staff: list[_StaffPlan]) -> None:
    layout = story.layout
    p = story.p
    c.waypoints.append(Waypoint(c.entry_t, (layout.entry_x, c.lane_y, c.head_z)))
    c.gaze.append(GazeAction(c.entry_t, "walk", turn_s=0.0))
    if c.passer_by:
        _walk_on(story, c, story.u((-3.2, -2.0)))
        return
    # The decision point: just behind the last queue spot.
    last_q = layout.queue_spots[-1]
    decide_x = last_q[0] - 0.5
    t_decide = c.walk_to((decide_x, c.lane_y, c.head_z))
    if t_decide < line.last_join_t + _FOLLOW_GAP_S:
        # A faster walker does not overtake the customer in front: they follow.
        t_decide = line.last_join_t + _FOLLOW_GAP_S
        c.waypoints[-1] = Waypoint(t_decide, c.waypoints[-1].position)
    spots: list[tuple[float, float]] = [*layout.service_spots[:1], *layout.queue_spots]
    k = line.ahead(t_decide)
    if k >= len(spots):  # the line is full: walk on
        c.waypoints.pop()
        _walk_on(story, c, decide_x + story.u((-0.3, 0.3)))
        return
    pending = line.leave_times_after(t_decide)
    c.line_join_t = t_decide
    line.members.append(c)
    line.last_join_t = t_decide
    give_up_t = t_decide + c.patience_s
    # Walk to the line position, stepping up as people ahead leave. The one at
    # position k steps up (k - 1) chain steps after the one leaving the counter,
    # so nobody walks onto a spot before its occupant has moved on.
    k = len(pending)
    while True:
        target = spots[k]
        goal = (target[0], target[1] if k == 0 else c.lane_y, c.head_z)
        start_t = c.waypoints[-1].t
        arrive_t = c.walk_to(goal)
        free_t = line.spot_free_t.get(target[0], -math.inf) + _SPOT_CLEAR_S
        if arrive_t < free_t:  # its last occupant is still moving off: slow down
            arrive_t = free_t
            c.waypoints[-1] = Waypoint(arrive_t, goal)
        if k == 0:
            c.at_counter_t = arrive_t
            break
        nxt = pending.pop(0)
        move_t = nxt + (k - 1) * _STEP_CHAIN_S + story.u(p.step_up_delay_s)
        if move_t <= start_t + 0.05:  # the line moved on before we set off
            c.waypoints.pop()
            k -= 1
            continue
        if move_t < arrive_t:
            # The line moved on while we walked: head for the next spot from here.
            c.waypoints[-1] = Waypoint(move_t, c.position_at(move_t))
            k -= 1
            continue
        if move_t >= give_up_t:
            c.line_leave_t = max(arrive_t, give_up_t)
            _leave(story, c, c.line_leave_t)
            return
        c.wait_until(move_t)
        c.queued = True
        k -= 1
    _serve(story, c, staff, give_up_t)


def _serve(story: _Story, c: _Customer, staff: list[_StaffPlan], give_up_t: float) -> None:
    """Greeting (or not), glances, service and departure of a customer at the counter."""
    p = story.p
    assert c.at_counter_t is not None
    at = c.at_counter_t
    reaction = story.reaction()
    if not c.queued and story.rng.random() < p.p_early_greeting:
        reaction = -story.u((0.0, 1.0))
    greet_t = at + reaction
    hold = story.u(p.greet_hold_s)
    server = _pick_server(story, staff, greet_t, hold)
    head = (c.waypoints[-1].position[0], c.waypoints[-1].position[1], c.head_z)
    if server is not None:
        greet_t = server[1]
    if server is None or greet_t >= give_up_t - 0.5:
        _glances(story, c, staff, at, give_up_t)
        _customer_counter_gaze(story, c, None, at, give_up_t, head)
        c.line_leave_t = max(give_up_t, at + 0.5)
        _leave(story, c, c.line_leave_t)
        return
    plan, greet_t = server
    c.greet_t, c.server_id = greet_t, plan.id
    _glances(story, c, [plan], at, greet_t)
    plan.looks.append(_Look(greet_t, greet_t + hold, _P_CONTACT, [
        GazeAction(greet_t, "person", person=c.id, offset_deg=story.aim(), turn_s=p.turn_s)]))
    depart_t = max(greet_t + hold, at) + story.u(p.service_s)
    t = greet_t + hold + story.u((1.0, 4.0))
    while t < depart_t - 2.0:  # service: looks at the customer and at the till, in turn
        look = story.u((0.8, 2.5))
        if plan.free(t, t + look):
            plan.looks.append(_Look(t, t + look, _P_CONTACT, [GazeAction(
                t, "person", person=c.id, offset_deg=story.aim(), turn_s=p.turn_s)]))
        t += look + story.u((1.5, 4.0))
    _customer_counter_gaze(story, c, plan, at, depart_t, head)
    _leave(story, c, depart_t)
    c.line_leave_t = depart_t


def _pick_server(story: _Story, staff: list[_StaffPlan], greet_t: float,
                 hold: float) -> tuple[_StaffPlan, float] | None:
    """Who greets, and when: the first staff member free at ``greet_t`` (or soonest back)."""
    order = list(staff)
    story.rng.shuffle(order)  # type: ignore[arg-type]
    best: tuple[_StaffPlan, float] | None = None
    for plan in order:
        t = greet_t
        for _ in range(20):
            t = plan.back_after(t)
            if plan.free(t, t + hold):
                break
            t += 1.0
        else:
            continue
        if t > greet_t + 1e-9:
            t += story.u((0.5, 2.0))  # back at the counter: a moment to notice
            if not plan.free(t, t + hold):
                continue
        if best is None or t < best[1]:
            best = (plan, t)
    return best


def _glances(story: _Story, c: _Customer, staff: list[_StaffPlan], start: float,
             end: float) -> None:
    """Zero to two glances shorter than the dwell between ``start`` and ``end`` (exclusive)."""
    p = story.p
    if not staff or story.rng.random() >= p.glance_chance:
        return
    n = 1 + int(story.rng.random() < 0.4)
    for _ in range(n):
        lo, hi = start + 0.5, end - 1.5
        if hi <= lo:
            return
        t = story.u((lo, hi))
        plan = staff[int(story.rng.integers(len(staff)))]
        hold = story.u(p.glance_hold_s)
        if plan.free(t - 1.0, t + hold + 1.0):
            plan.looks.append(_Look(t, t + hold + p.turn_s, _P_GLANCE, [GazeAction(
                t, "person", person=c.id, offset_deg=story.aim(), turn_s=p.turn_s)]))


def _customer_counter_gaze(story: _Story, c: _Customer, server: _StaffPlan | None, start: float,
                           end: float, head: Vec3) -> None:
    """At the counter: look at the counter top, and at the server when the camera sees it."""
    counter_point = (head[0] + 0.25, 0.1, 1.05)
    t = start + story.u((0.2, 1.0))
    look_at_server = server is not None and story.visible_from(head, server.head)
    use_server = False
    while t < end - 1.0:
        dur = story.u((1.0, 4.0))
        if use_server and server is not None and server.present(t, t + dur):
            c.gaze.append(GazeAction(t, "person", person=server.id, turn_s=0.25))
        else:
            pt = (counter_point[0] + story.u((-0.1, 0.1)), counter_point[1], counter_point[2])
            c.gaze.append(GazeAction(t, "point", point=pt, turn_s=0.3))
        t += dur
        use_server = look_at_server and not use_server


# ---------------------------------------------------------------------------- behaviours


class _Behave:
    """Lays :class:`Behaviours` over a planned story (own generator: the story is unchanged)."""

    def __init__(self, rng: np.random.Generator, layout: CounterLayout, b: Behaviours):
        self.rng = rng
        self.layout = layout
        self.b = b

    def u(self, lo_hi: tuple[float, float]) -> float:
        return float(self.rng.uniform(lo_hi[0], lo_hi[1]))

    def apply(self, customers: list[_Customer], staff: list[_StaffPlan], end_t: float) -> None:
        for c in customers:
            if c.line_join_t is not None:
                self._customer(c, staff)
        for plan in staff:
            self._paperwork(plan, end_t)

    def _customer(self, c: _Customer, staff: list[_StaffPlan]) -> None:
        b = self.b
        assert c.line_join_t is not None
        start = c.line_join_t + 0.5
        end = (c.greet_t - b.before_greeting_s if c.greet_t is not None
               else c.line_leave_t - 0.3)
        others = [p for p in staff if p.id != c.server_id]
        t = start + float(self.rng.exponential(60.0 / max(self._rate(c, start, others), 1e-9)))
        while t < end - 1.0:
            kinds = [("phone", b.phone_per_min), ("around", b.around_per_min)]
            at_counter = c.at_counter_t is not None and t >= c.at_counter_t
            if at_counter and others:
                kinds.append(("second_staff", b.second_staff_per_min))
            weights = np.array([w for _, w in kinds])
            kind = kinds[int(self.rng.choice(len(kinds), p=weights / weights.sum()))][0]
            if kind == "phone":
                lo, hi = b.phone_s
                dur = float(math.exp(self.rng.uniform(math.log(lo), math.log(hi))))
            else:
                dur = self.u(b.around_s if kind == "around" else b.second_staff_s)
            stop = min(t + dur, end)
            action = self._action(kind, c, t, at_counter, others, stop)
            if action is not None and stop - t >= 0.8:
                _overlay(c, action, stop)
            t = stop + b.between_s + float(
                self.rng.exponential(60.0 / max(self._rate(c, stop, others), 1e-9)))

    def _rate(self, c: _Customer, t: float, others: list[_StaffPlan]) -> float:
        b = self.b
        rate = b.phone_per_min + b.around_per_min
        if others and c.at_counter_t is not None and t >= c.at_counter_t:
            rate += b.second_staff_per_min
        return rate

    def _action(self, kind: str, c: _Customer, t: float, at_counter: bool,
                others: list[_StaffPlan], stop: float) -> GazeAction | None:
        from frontdesk.sim.script import look_down_action

        if kind == "phone":
            # at the counter: facing it (across, toward the staff side); in the line:
            # along the line, toward the counter
            facing = self.u((-110.0, -70.0)) if at_counter else self.u((-25.0, 25.0))
            return look_down_action(self.u(self.b.phone_pitch_deg), facing, t=t, turn_s=0.4)
        if kind == "around":  # the shop behind them: the face turned from the camera
            return GazeAction(t, "heading", heading_deg=self.u((100.0, 250.0)),
                              pitch_deg=self.u((-10.0, 10.0)), turn_s=0.5)
        present = [p for p in others if p.present(t, stop)]
        if not present:
            return None
        who = present[int(self.rng.integers(len(present)))]
        return GazeAction(t, "person", person=who.id, turn_s=0.4)

    def _paperwork(self, plan: _StaffPlan, end_t: float) -> None:
        from frontdesk.sim.script import look_down_action

        b = self.b
        if b.paperwork_per_min <= 0:
            return
        wx, wy, _ = self.layout.work_point
        facing = math.degrees(math.atan2(wy - plan.spot[1], wx - plan.spot[0]))
        t = float(self.rng.exponential(60.0 / b.paperwork_per_min))
        while t < end_t:
            dur = self.u(b.paperwork_s)
            action = look_down_action(self.u(b.paperwork_pitch_deg), facing + self.u((-20.0, 20.0)),
                                      t=t, turn_s=0.4)
            plan.looks.append(_Look(t, t + dur, _P_PAPERWORK, [action]))
            t += dur + float(self.rng.exponential(60.0 / b.paperwork_per_min))


_P_PAPERWORK = 0
"""Below a turn to the shelf: paperwork gives way to every other planned look."""


def _overlay(c: _Customer, action: GazeAction, stop: float) -> None:
    """Look as ``action`` says from its time to ``stop``, then back to what the plan had."""
    before = [a for a in c.gaze if a.t <= stop]
    resume = before[-1] if before else GazeAction(stop, "walk")
    kept = [a for a in c.gaze if not action.t <= a.t <= stop]
    back = GazeAction(stop, resume.kind, point=resume.point, person=resume.person,
                      heading_deg=resume.heading_deg, pitch_deg=resume.pitch_deg,
                      offset_deg=resume.offset_deg, turn_s=0.4)
    c.gaze = sorted([*kept, action, back], key=lambda a: a.t)

"""A visit outlives the face: the occupancy grid keeps an unseen customer present.

Whole observations through the real tracker: a customer waits at the counter,
looks down at her phone (no face) for 30 s, looks up and is acknowledged. The
occupancy grid (perception's presence stage) says her place stays occupied.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from engine_scenes import (
    AWAY,
    HEIGHT,
    INTO_LENS,
    NAVY_BGR,
    OUTSIDE_AT,
    RED_BGR,
    SERVICE_AT,
    STAFF_AT,
    WIDTH,
    Actor,
    Run,
    at_actor,
    clothes_signature,
    frame_times,
    looks,
    make_engine,
    observation,
    project,
    still,
    walk,
)

from frontdesk.engine import Engine
from frontdesk.engine.visits import PASSING_HOLD_S
from frontdesk.geometry import person_box_norm
from frontdesk.types import OccupancyGrid

ROWS, COLS = 27, 48
PHONE = (5.0, 35.0)
"""She looks down at her phone from 5 s to 35 s: no face."""
STAFF_LOOKS_AT = 36.0


def grid(*boxes: tuple[float, float, float, float]) -> OccupancyGrid:
    xs = (np.arange(COLS) + 0.5) / COLS
    ys = (np.arange(ROWS) + 0.5) / ROWS
    cells = np.zeros((ROWS, COLS), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        cells |= ((ys >= y0) & (ys <= y1))[:, None] & ((xs >= x0) & (xs <= x1))[None, :]
    return OccupancyGrid(cells)


def body_of(p: tuple[float, float, float]) -> tuple[float, float, float, float]:
    u, v = project(p)
    return person_box_norm(u / WIDTH, v / HEIGHT, 0.16 * 640.0 / p[2] / WIDTH, HEIGHT / WIDTH)


def actors() -> list[Actor]:
    customer = Actor(1, still(SERVICE_AT), looks(INTO_LENS, (*PHONE, None)), end_t=45.0)
    staff = Actor(2, still(STAFF_AT), looks(AWAY, (STAFF_LOOKS_AT, 39.0,
                                                   at_actor(still(STAFF_AT), still(SERVICE_AT)))))
    return [customer, staff]


def run(engine: Engine, occupied: Callable[[float], bool] | None, t1: float = 48.0) -> Run:
    out = Run()
    people = actors()
    for i, t in enumerate(frame_times(0.0, t1, 15.0)):
        obs = observation(people, t, i)
        if occupied is not None:
            boxes = [body_of(STAFF_AT)] + ([body_of(SERVICE_AT)] if occupied(t) else [])
            obs.occupancy = grid(*boxes)
        out.events += engine.update(obs)
    return out


def play(engine: Engine, people: list[Actor], t1: float) -> Run:
    """``people`` at 15 fps from 0 to ``t1`` s, the occupancy grid showing the body of
    everyone present (faces seen or not)."""
    out = Run()
    for i, t in enumerate(frame_times(0.0, t1, 15.0)):
        obs = observation(people, t, i)
        obs.occupancy = grid(*(body_of(p.at(t)) for p in people if p.present(t)))
        out.events += engine.update(obs)
    return out


def test_a_customer_on_her_phone_keeps_her_visit_her_arrival_and_her_alert() -> None:
    r = run(make_engine(alert_after_s=10.0, escalate_after_s=120.0),
            occupied=lambda t: t <= 45.0)
    arrived = r.one("customer_arrived")
    assert arrived.arrival_t == pytest.approx(0.0, abs=0.2)
    waiting = r.one("customer_waiting")  # due at 10 s, while her face is gone
    assert waiting.t == pytest.approx(10.0, abs=0.2)
    ack = r.one("customer_acknowledged")
    assert ack.visit_id == arrived.visit_id == waiting.visit_id
    assert ack.latency_s == pytest.approx(STAFF_LOOKS_AT, abs=0.2)
    left = r.one("customer_left")  # the place empties at 45 s: left within 2 s
    assert left.visit_id == arrived.visit_id and left.outcome.value == "acknowledged"
    assert 45.0 <= left.t <= 47.0


def test_without_the_grid_the_same_wait_splits_as_before() -> None:
    """The weakness the grid removes: the old rule holds the visit visit_hold_s only."""
    r = run(make_engine(alert_after_s=10.0, escalate_after_s=120.0, visit_hold_s=10.0),
            occupied=None)
    assert len(r.of("customer_arrived")) == 2  # split: her wait is re-dated at 35 s
    assert r.of("customer_waiting") == []  # and her alert never fires


def test_an_unseen_customer_whose_place_empties_has_left_within_two_seconds() -> None:
    r = run(make_engine(alert_after_s=10.0, escalate_after_s=120.0, visit_hold_s=10.0),
            occupied=lambda t: t <= 12.0, t1=20.0)
    left = r.one("customer_left")
    assert left.outcome.value == "abandoned"
    assert left.left_t == pytest.approx(12.0, abs=0.1)
    assert 12.0 < left.t <= 14.0  # not visit_hold_s (10 s) after her face was lost
    assert len(r.of("customer_arrived")) == 1


def test_what_holds_an_unseen_visit_open_is_told_frame_by_frame() -> None:
    """``VisitBook.hold_state`` (for ``frontdesk eval``'s late departures): her face is
    followed until 5 s; held by her occupied place until 12 s; then her place is
    empty, for ``presence_leave_s``, until the visit closes."""
    engine = make_engine(alert_after_s=10.0, escalate_after_s=120.0, visit_hold_s=10.0)
    people = actors()
    states: dict[float, str | None] = {}
    for i, t in enumerate(frame_times(0.0, 14.0, 15.0)):
        obs = observation(people, t, i)
        obs.occupancy = grid(body_of(STAFF_AT), *([body_of(SERVICE_AT)] if t <= 12.0 else []))
        engine.update(obs)
        mine = [v for v in engine.visits.open.values() if v.track.track_id == 1]
        states[round(t, 2)] = engine.visits.hold_state(mine[0]) if mine else "closed"
    assert states[3.0] is None  # seen
    assert states[8.0] == "occupied" and states[11.93] == "occupied"
    assert states[12.53] == "emptying"
    assert states[13.93] == "closed"


def test_a_newcomer_walking_into_an_emptied_place_does_not_take_the_visit() -> None:
    """Her place empties for 3 s before someone else's face appears there: a new visit."""
    people = actors()
    people[0] = Actor(1, still(SERVICE_AT), looks(INTO_LENS, (5.0, 60.0, None)), end_t=60.0)
    other = Actor(3, still(SERVICE_AT), lambda t: INTO_LENS, start_t=15.0, end_t=30.0)
    engine = make_engine(alert_after_s=20.0, escalate_after_s=120.0)
    out = Run()
    for i, t in enumerate(frame_times(0.0, 30.0, 15.0)):
        obs = observation(people + [other], t, i)
        there = t <= 11.0 or t >= 14.9
        obs.occupancy = grid(body_of(STAFF_AT), *([body_of(SERVICE_AT)] if there else []))
        out.events += engine.update(obs)
    arrivals = out.of("customer_arrived")
    assert len(arrivals) == 2 and arrivals[1].arrival_t == pytest.approx(15.0, abs=0.3)
    assert out.one("customer_left").visit_id == arrivals[0].visit_id


FAR_QUEUE_AT = (1.3, 0.0, 3.0)
"""A queue place farther aside, a fifth of the frame from the service spot."""
RED, NAVY = clothes_signature(RED_BGR), clothes_signature(NAVY_BGR)
BLACK = clothes_signature((35, 35, 38))
"""A dark coat: alike signatures prove little (not "colourful")."""
QUEUE_AT = (0.9, 0.0, 3.0)
"""Where the second customer queues (approach zone): 0.7 m aside and 1 m behind the
service spot, outside the staff member's gaze cone toward it."""


def queue_advance(first: np.ndarray | None, second: np.ndarray | None,
                  hidden_s: float = 2.0, down_t: float = 9.0,
                  walk_s: tuple[float, float] = (10.5, 12.0), first_end_t: float = 11.0,
                  second_own: np.ndarray | None = None) -> Run:
    """The first customer is served and leaves with her back to the camera at
    ``first_end_t``;
    the second, queueing with her eyes on her phone from ``down_t``, walks up into the
    first one's place over ``walk_s`` and looks up ``hidden_s`` after she
    stands there; staff look at her 2 s later. Her place and the first one's
    stay occupied all along. ``second_own``: the second's signature once she walks
    up (``second`` is then what perception measured of her in the queue)."""
    from engine_scenes import walk

    staff_at = still(STAFF_AT)
    one = Actor(1, still(SERVICE_AT), looks(INTO_LENS, (10.0, 99.0, None)), end_t=first_end_t,
                clothes=first)
    up_t = walk_s[1] + hidden_s
    two_at = walk(QUEUE_AT, SERVICE_AT, *walk_s)
    two = Actor(3, two_at, looks(INTO_LENS, (down_t, up_t, None)), end_t=up_t + 16.0,
                clothes=second,
                clothes_from=None if second_own is None else (walk_s[0], second_own))
    staff = Actor(2, staff_at, looks(AWAY, (1.0, 2.5, at_actor(staff_at, still(SERVICE_AT))),
                                     (up_t + 2.0, up_t + 4.0, at_actor(staff_at, two_at))),
                  clothes=NAVY)
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0)
    return play(engine, [one, two, staff], up_t + 16.0)


def the_second_kept_her_wait(out: Run, latency_s: float) -> str:
    """Two visits, no third: the second customer's face continued her own visit, her
    arrival from her stand in the queue (at 0 s) and her acknowledgement ``latency_s``
    after it. Her visit id."""
    arrivals = out.of("customer_arrived")
    assert len(arrivals) == 2  # no third visit: her face continued her own
    second = arrivals[1]  # the first customer arrives at once, the second by standing still
    assert second.arrival_t == pytest.approx(0.0, abs=0.2)  # stood still in the queue
    ack = [a for a in out.of("customer_acknowledged") if a.visit_id == second.visit_id]
    assert len(ack) == 1 and ack[0].latency_s == pytest.approx(latency_s, abs=0.3)
    return second.visit_id


def test_a_queueing_customer_who_walks_up_unseen_keeps_her_own_visit_by_her_clothes() -> None:
    """Her face comes back in the first customer's place, about her size: place and
    size say it is the first customer; her clothes say it is her."""
    out = queue_advance(RED, NAVY)
    second_id = the_second_kept_her_wait(out, 16.0)
    left = [e for e in out.of("customer_left") if e.visit_id != second_id]
    assert len(left) == 1 and left[0].outcome.value == "acknowledged"


def test_her_clothes_half_hidden_by_a_coat_in_the_queue_do_not_rule_her_out() -> None:
    """Seed 104's customer-39: in the queue the first customer's navy coat filled half
    of her chest box on every frame (wider than perception's estimate of the body in
    front), so each signature of hers was half navy, half her red; at the counter her
    chest is all red, "clearly different" (Hellinger 0.54) from every one of them.
    Her queue signatures can hold her red at a quarter (``could_hold``): not unlike.
    Her face continues her visit."""
    from frontdesk.engine.places import LOOK_DIFFERENT
    from frontdesk.types import signature_distance

    half = clothes_signature(NAVY_BGR, RED_BGR)
    assert signature_distance(half, RED) >= LOOK_DIFFERENT  # the veto she met before
    out = queue_advance(NAVY, half, second_own=RED)
    the_second_kept_her_wait(out, 16.0)


def test_clothes_her_queue_signatures_cannot_hold_still_rule_a_face_out() -> None:
    """The guard: half navy, half red in the queue, and the face at the counter in
    green, a colour none of her signatures holds: someone else, a visit of her own
    (the first customer, in navy, is ruled out by her clothes too)."""
    green = clothes_signature((40, 160, 40))
    half = clothes_signature(NAVY_BGR, RED_BGR)
    out = queue_advance(NAVY, half, second_own=green)
    assert len(out.of("customer_arrived")) == 3


def test_without_clothes_her_walk_toward_the_counter_keeps_her_visit() -> None:
    """The same scene with no signature: her place emptied while someone walked in the
    zones, and the face appeared in the service zone she was walking up to: hers."""
    out = queue_advance(None, None)
    arrivals = out.of("customer_arrived")
    assert len(arrivals) == 2
    ack = [a for a in out.of("customer_acknowledged") if a.visit_id == arrivals[1].visit_id]
    assert len(ack) == 1 and ack[0].latency_s == pytest.approx(16.0, abs=0.3)


@pytest.mark.parametrize("first, second", [(RED, NAVY), (None, None)])
def test_a_customer_who_looks_down_as_she_steps_up_keeps_her_visit(
        first: np.ndarray | None, second: np.ndarray | None) -> None:
    """The queue step-up the other way round (seed 102 at 14082 s): the first
    customer turns to leave at 10 s, and the second looks down at her phone only as
    she steps up, from 10.9 s, walking from 10.8 to 12.3 s. When her track is dropped
    the first is still held, and her body walks through the first one's held place:
    nothing in the zones is unexplained, but the cells her body fills anew say
    someone walks. She must not be closed as gone when her queue place empties, nor
    her face, back at the counter 3 s later, start a second visit."""
    out = queue_advance(first, second, hidden_s=3.0, down_t=10.9, walk_s=(10.8, 12.3))
    arrivals = out.of("customer_arrived")
    assert len(arrivals) == 2
    second_visit = arrivals[1]
    assert second_visit.arrival_t == pytest.approx(0.0, abs=0.2)  # stood still in the queue
    ack = [a for a in out.of("customer_acknowledged") if a.visit_id == second_visit.visit_id]
    assert len(ack) == 1 and ack[0].latency_s == pytest.approx(12.3 + 3.0 + 2.0, abs=0.3)


@pytest.mark.parametrize("clothes", [NAVY, RED])
def test_the_next_customer_stepping_up_as_the_first_turns_to_leave_keeps_her_own_visit(
        clothes: np.ndarray) -> None:
    """Seed 101 at 5134 s and seed 102 at 8428 s: the first customer turns away at 10 s
    and stays until the second, who looks down at her phone as she steps up (from
    10.9 s, walking from 10.8 to 12.3 s), stands in her place; the two dress alike.
    The first one's place stayed occupied until a face of her size appeared in it,
    which alone says it is hers; but the second, lost on her way, can have walked
    in, and did. Her face (back 1.5 s after she stands there) continues her own
    visit, with her wait from the queue, and the first is seen to leave once it
    does, not when the second leaves."""
    up_t = 12.3 + 1.5
    out = queue_advance(clothes, clothes, hidden_s=1.5, down_t=10.9, walk_s=(10.8, 12.3),
                        first_end_t=12.3)
    arrivals = out.of("customer_arrived")
    assert len(arrivals) == 2
    first, second = arrivals
    ack = [a for a in out.of("customer_acknowledged") if a.visit_id == second.visit_id]
    assert len(ack) == 1 and ack[0].latency_s == pytest.approx(up_t + 2.0, abs=0.3)
    left = {e.visit_id: e for e in out.of("customer_left")}
    assert left[first.visit_id].outcome.value == "acknowledged"
    assert left[first.visit_id].t - up_t < 2.0


def test_she_keeps_her_visit_while_someone_unexplained_stands_where_she_walked() -> None:
    """The same walk up, her face hidden 8 s at the counter instead of 2: her place
    in the queue emptied long before, but someone nobody explains has stood in the
    zones all along, where she was walking to; the visit waits for her."""
    out = queue_advance(None, None, hidden_s=8.0)
    arrivals = out.of("customer_arrived")
    assert len(arrivals) == 2  # no third visit: her face continued her own
    ack = [a for a in out.of("customer_acknowledged") if a.visit_id == arrivals[1].visit_id]
    assert len(ack) == 1 and ack[0].latency_s == pytest.approx(22.0, abs=0.3)


def test_a_customer_looking_up_in_her_place_keeps_her_visit_when_the_queue_walks_off() -> None:
    """The first customer looks down at her phone from 10 s to 14 s and stays; the
    second leaves the queue with her eyes on her phone (walking away from the counter)
    at 10.5 s. The face at the counter at 14 s is the first customer's."""
    from engine_scenes import OUTSIDE_AT, walk

    staff_at = still(STAFF_AT)
    one = Actor(1, still(SERVICE_AT), looks(INTO_LENS, (10.0, 14.0, None)), end_t=30.0)
    two_at = walk(QUEUE_AT, OUTSIDE_AT, 10.5, 13.0)
    two = Actor(3, two_at, looks(INTO_LENS, (9.0, 99.0, None)), end_t=13.0)
    staff = Actor(2, staff_at, looks(AWAY, (1.0, 2.5, at_actor(staff_at, still(SERVICE_AT)))))
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0)
    out = play(engine, [one, two, staff], 30.0)
    arrivals = out.of("customer_arrived")
    assert len(arrivals) == 2  # the first customer's face did not open a third visit
    assert [e.visit_id for e in out.of("customer_left")] == [arrivals[1].visit_id]


def test_a_customer_who_stepped_up_in_the_queue_then_looked_down_was_not_lost_walking(
        ) -> None:
    """Seed 105's customer-443 stepped up in the queue and looked down 0.4 s after
    she stopped. Her face had moved over the tracker's last 1.5 s of it, so she
    seemed lost walking, "on her way", and the face of the customer at the counter,
    looking up in her own place 4 s later, was given to her (someone on her way can
    have walked into a place at the counter). She was standing when lost: here she
    looks down half a second after she stops. The face at the counter is the
    counter's customer's. (Alike clothes, so that only the places can tell.)"""
    staff_at = still(STAFF_AT)
    one = Actor(1, still(SERVICE_AT), looks(INTO_LENS, (10.0, 12.0, None)), end_t=25.0,
                clothes=RED)
    two_at = walk(FAR_QUEUE_AT, QUEUE_AT, 8.0, 9.0)
    two = Actor(3, two_at, looks(INTO_LENS, (9.5, 30.0, None)), end_t=30.0, clothes=RED)
    staff = Actor(2, staff_at, looks(AWAY, (15.0, 17.0, at_actor(staff_at, still(SERVICE_AT)))),
                  clothes=NAVY)
    out = play(make_engine(alert_after_s=60.0, escalate_after_s=120.0), [one, two, staff], 20.0)
    arrivals = out.of("customer_arrived")
    assert len(arrivals) == 2  # the returning face opened no third visit
    first = min(arrivals, key=lambda a: a.arrival_t)
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == first.visit_id
    assert ack.latency_s == pytest.approx(15.0 - first.arrival_t, abs=0.3)
    assert not out.of("customer_left")  # the one in the queue is still held, unseen


def test_a_customer_held_standing_at_the_counter_is_on_her_way_no_longer() -> None:
    """A walks up to the counter with her eyes on her phone (lost walking) and is held
    standing there, faceless. B stands beside her at the counter, looks down for 4 s
    and looks up in her own place; staff then look at B. A was lost walking, but she
    stands now: the face in B's place is B's, not A's walked into it. (Alike
    clothes, so that only the places can tell.)"""
    beside_at = (-0.2, 0.0, 2.0)  # in the service zone, beside SERVICE_AT
    a = Actor(1, walk(FAR_APPROACH_AT, SERVICE_AT, 0.5, 5.0),
              looks(INTO_LENS, (2.5, 40.0, None)), end_t=40.0, clothes=RED)
    b = Actor(3, still(beside_at), looks(INTO_LENS, (10.0, 14.0, None)), end_t=40.0, clothes=RED)
    staff_at = still(STAFF_AT)
    staff = Actor(2, staff_at, looks(AWAY, (16.0, 18.0, at_actor(staff_at, still(beside_at)))),
                  clothes=NAVY)
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0, visit_hold_s=10.0)
    out = play(engine, [a, b, staff], 22.0)
    b_visit = min(out.of("customer_arrived"), key=lambda e: e.t).visit_id  # seen from 0 s
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == b_visit
    assert ack.latency_s == pytest.approx(16.0, abs=0.3)


def test_alike_clothes_leave_it_to_who_walked_in() -> None:
    """Two customers in the same colour: the clothes cannot tell. The first one's
    place stayed occupied (the second walked into it), so it cannot tell either; the
    second was lost on her way there, so the face is hers (the place alone gave
    it to the first customer, who had left)."""
    out = queue_advance(RED, RED)
    arrivals = out.of("customer_arrived")
    assert len(arrivals) == 2
    ack = [a for a in out.of("customer_acknowledged") if a.visit_id == arrivals[1].visit_id]
    assert len(ack) == 1 and ack[0].latency_s == pytest.approx(16.0, abs=0.3)


def test_the_next_customer_walking_into_the_served_ones_place_as_she_leaves_keeps_her_visit(
        ) -> None:
    """Seed 106's customer-318: the served customer (in red) has her back to the camera
    and leaves as the next (in navy), eyes on her phone, walks up from the queue and
    stands where she stood. The walker's body ends in cells the served customer's
    held place explains, so nobody is seen walking; her own place, followed as it
    walked, then empties. It walked: she walked on, and is held for her face, which
    comes back at the counter 2 s later and continues her visit, with her wait from
    the queue (before, she was closed as gone and her face began a visit of its
    own)."""
    out = queue_advance(RED, NAVY, hidden_s=2.0, first_end_t=12.0)
    second_id = the_second_kept_her_wait(out, 16.0)
    left = [e for e in out.of("customer_left") if e.visit_id != second_id]
    assert len(left) == 1 and left[0].outcome.value == "acknowledged"


def test_a_waiting_customer_walking_away_from_the_counter_is_not_held_as_walking_up() -> None:
    """The guard: she waits at the counter, looks down at 5 s and walks away from 7 s
    (toward the door, 2 m aside and 3 m farther from the camera); the grid loses her
    at 8.3 s, behind a shelf, with her place still in the service zone and walking.
    Lost at the counter, her place walks away from it, not up to it: she is seen to
    leave within 2 s, not kept ``WALK_HOLD_S`` more for a face."""
    at = walk(SERVICE_AT, (2.0, 0.0, 5.0), 7.0, 12.0)
    her = Actor(1, at, looks(INTO_LENS, (5.0, 99.0, None)), end_t=8.3)
    staff = Actor(2, still(STAFF_AT), looks(AWAY))
    out = play(make_engine(alert_after_s=60.0, escalate_after_s=120.0), [her, staff], 16.0)
    left = out.one("customer_left")
    assert left.left_t == pytest.approx(8.3, abs=0.1)
    assert left.t - 8.3 <= 2.0


def test_a_face_looking_up_as_her_hold_runs_out_is_hers_from_its_first_frame() -> None:
    """Seed 106's customer-318 again, as it happened there: the grid misses her while
    she walks (clothes the colour of the wall), so her queue place empties at 10.5 s
    with nothing to say she walked, and she is kept ``presence_leave_s`` only. She
    looks up at the counter at 11.45 s; the tracker reports her face from its second
    frame, the frame her hold runs out, and her visit, older, is stepped before the
    face's. The face may be hers: she is held until it is decided (before, she was
    closed on that frame and her face began a visit of its own, a wait counted from
    the counter)."""
    staff_at = still(STAFF_AT)
    one = Actor(1, still(SERVICE_AT), looks(INTO_LENS, (10.0, 99.0, None)), end_t=11.2,
                clothes=RED)
    two_at = walk(QUEUE_AT, SERVICE_AT, 10.5, 11.2)
    up_t = 11.45
    two = Actor(3, two_at, looks(INTO_LENS, (9.0, up_t, None)), end_t=30.0, clothes=NAVY)
    staff = Actor(2, staff_at, looks(AWAY, (1.0, 2.5, at_actor(staff_at, still(SERVICE_AT))),
                                     (up_t + 2.0, up_t + 4.0, at_actor(staff_at, two_at))),
                  clothes=NAVY)
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0)
    out = Run()
    for i, t in enumerate(frame_times(0.0, 20.0, 15.0)):
        obs = observation([one, two, staff], t, i)
        walking = 10.5 <= t < 11.2
        obs.occupancy = grid(*(body_of(p.at(t)) for p in (one, two, staff)
                               if p.present(t) and not (p is two and walking)))
        out.events += engine.update(obs)
    the_second_kept_her_wait(out, up_t + 2.0)


def test_a_customer_near_the_camera_who_walks_up_unseen_is_within_her_reach() -> None:
    """She stands in the approach zone 2 m from the camera, looks at her phone at
    10 s, walks 1 m to the counter in 1 s and looks up at 11.5 s: her face is a
    quarter of the frame away from where it was lost, 1.5 s later. At 0.06 frame
    widths a second (a slow walk far off) she could not be there; in her own face
    widths a second (3.3, about 0.5 m/s at any distance) she can. No grid: the
    reach alone decides."""
    from engine_scenes import APPROACH_AT, walk

    staff_at = still(STAFF_AT)
    her_at = walk(APPROACH_AT, SERVICE_AT, 10.2, 11.2)
    her = Actor(1, her_at, looks(INTO_LENS, (10.0, 11.5, None)), end_t=25.0)
    staff = Actor(2, staff_at, looks(AWAY, (14.0, 16.0, at_actor(staff_at, her_at))))
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0, visit_hold_s=10.0)
    out = Run()
    for i, t in enumerate(frame_times(0.0, 20.0, 15.0)):
        out.events += engine.update(observation([her, staff], t, i))
    arrived = out.one("customer_arrived")
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == arrived.visit_id  # her face at the counter continued her visit
    assert ack.latency_s == pytest.approx(14.0 - arrived.arrival_t, abs=0.3)


FAR_APPROACH_AT = (1.6, 0.0, 2.0)
"""Where a customer walking up first comes into view, in the approach zone."""


def walk_up_looking_down(faceless: bool = True, other_from: float | None = None,
                         up_t: float = 20.0, alert_after_s: float = 60.0) -> Run:
    """She walks from the far approach (0.5 s) to the counter (5 s), her eyes on her
    phone from 2.5 s: she walks the last steps and waits at the counter unseen for
    15 s, longer than ``visit_hold_s``, looks up at ``up_t`` (20 s), and staff look
    at her 2 s later. ``faceless`` False: the grid does not see her at the counter either
    (as if she walked out of view). ``other_from``: she leaves the view at 3 s, before
    the service zone, and someone else walks up from the far approach with a hidden
    face from ``other_from``, stands at the counter 3 s later and looks up at 30 s."""
    from engine_scenes import walk

    staff_at = still(STAFF_AT)
    her_at = walk(FAR_APPROACH_AT, SERVICE_AT, 0.5, 5.0)
    end_t = 3.0 if other_from is not None else up_t + 20.0
    her = Actor(1, her_at, looks(INTO_LENS, (2.5, up_t, None)), end_t=end_t)
    actors = [her]
    others_at = None
    if other_from is not None:
        others_at = walk(FAR_APPROACH_AT, SERVICE_AT, other_from, other_from + 3.0)
        actors.append(Actor(3, others_at, looks(INTO_LENS, (other_from, 30.0, None)),
                            start_t=other_from, end_t=40.0))
    looked_at = others_at or her_at
    staff = Actor(2, staff_at, looks(AWAY, (32.0 if other_from is not None else up_t + 2.0,
                                            up_t + 20.0, at_actor(staff_at, looked_at))))
    actors.append(staff)
    engine = make_engine(alert_after_s=alert_after_s, escalate_after_s=120.0,
                         visit_hold_s=10.0)
    out = Run()
    for i, t in enumerate(frame_times(0.0, max(38.0, up_t + 18.0), 15.0)):
        obs = observation(actors, t, i)
        boxes = [body_of(STAFF_AT)]
        if her.present(t) and (faceless or t < 3.0 or t >= up_t):
            boxes.append(body_of(her_at(t)))
        if others_at is not None and t >= other_from:
            boxes.append(body_of(others_at(t)))
        obs.occupancy = grid(*boxes)
        out.events += engine.update(obs)
    return out


def test_a_customer_who_looks_down_on_her_way_and_waits_unseen_keeps_one_visit() -> None:
    """Her face is lost on the walkway, before she arrives; she stands at the counter
    unseen longer than visit_hold_s. Someone faceless stands where she was heading,
    within her reach, soon after her place emptied: her visit waits for her face,
    which then continues it (seed 101's three walkway splits)."""
    out = walk_up_looking_down()
    arrived = out.one("customer_arrived")  # one visit, not a passed-by and a second
    assert 3.5 <= arrived.arrival_t <= 5.2  # she arrived when she stood there, unseen
    assert out.of("customer_left") == []
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == arrived.visit_id
    assert ack.latency_s == pytest.approx(22.0 - arrived.arrival_t, abs=0.3)


def test_her_alert_fires_on_time_while_she_waits_unseen_at_the_counter() -> None:
    """The same walk up with alerts due 10 s after arriving: she has stood still at the
    counter, faceless, for arrival_still_s (3 s) by 8 s, so she arrives then (dated
    from when her place there became occupied) and her alert fires when due, while
    her face is still hidden (it comes back at 20 s)."""
    out = walk_up_looking_down(alert_after_s=10.0)
    arrived = out.one("customer_arrived")
    assert arrived.t < 9.0  # known while her face is hidden
    waiting = out.one("customer_waiting")
    assert waiting.visit_id == arrived.visit_id
    assert waiting.t == pytest.approx(arrived.arrival_t + 10.0, abs=0.2) and waiting.t < 20.0
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == arrived.visit_id


def test_a_minute_unseen_at_the_counter_still_dates_her_arrival_from_her_walk_in() -> None:
    """The same walk up, her face hidden at the counter for 45 s: her arrival is dated
    from when her place there became occupied (the grids of the last 60 s are kept;
    with 20 s, as before, it was dated 20 s before she looked up, 25 s late)."""
    out = walk_up_looking_down(up_t=50.0)
    arrived = out.one("customer_arrived")
    assert 3.5 <= arrived.arrival_t <= 5.2
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == arrived.visit_id
    assert ack.latency_s == pytest.approx(52.0 - arrived.arrival_t, abs=0.3)


def test_without_anyone_standing_at_the_counter_her_visit_closes_as_before() -> None:
    """The same walk, but nothing stands at the counter: the visit closes as passed
    by visit_hold_s after her place emptied, and her face opens a second one."""
    out = walk_up_looking_down(faceless=False)
    left = out.one("customer_left")
    assert left.outcome.value == "passed_by"
    assert len({e.visit_id for e in out.events if e.visit_id}) == 2


@pytest.mark.parametrize("others_clothes", [False, True])
def test_a_face_back_as_her_place_empties_continues_a_visit_closed_before_she_arrived(
        others_clothes: bool) -> None:
    """She walks from the back of the shop (3.5 m out) up to the counter (1 m), her
    eyes on her phone from 1.5 s, and looks up at 4 s as she reaches it: her face is
    back twice as wide as it was lost, in the service zone, as her place, followed
    up the approach, empties (her new face's body explains it). The face's role is
    fixed before her place's visit walks off, so nothing took it; that visit then
    closed as passed by (before: a passed-by visit and a second one, first seen at
    4 s; seed 110's customer-17). Closed unseen before she arrived, nothing
    reported, it is folded into her face's visit: one visit, first seen at 0 s. In
    other clothes than hers, the face is someone else's (someone walking through
    her place empties it too): two visits, as before."""
    from engine_scenes import walk

    staff_at = still(STAFF_AT)
    her_at = walk((1.6, 0.0, 3.5), (0.2, 0.0, 1.0), 0.5, 5.0)
    her = Actor(1, her_at, looks(INTO_LENS, (1.5, 4.0, None)), end_t=30.0, clothes=NAVY,
                clothes_from=(4.0, RED) if others_clothes else None)
    staff = Actor(2, staff_at, looks(AWAY, (12.0, 14.0, at_actor(staff_at, her_at))))
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0, visit_hold_s=10.0)
    out = play(engine, [her, staff], 30.0)
    out.events += engine.finish(30.0)
    if others_clothes:
        passed = [e for e in out.of("customer_left") if e.outcome.value == "passed_by"]
        assert len(passed) == 1 and passed[0].first_seen_t == pytest.approx(0.0)
        assert out.one("customer_arrived").first_seen_t == pytest.approx(4.0)
        return
    assert len({e.visit_id for e in out.events if e.visit_id}) == 1
    left = out.one("customer_left")
    assert left.outcome.value == "interrupted" and left.first_seen_t == pytest.approx(0.0)
    assert left.arrival_t == pytest.approx(4.33, abs=0.2)  # as she stepped into the service zone
    assert out.one("customer_acknowledged").latency_s == pytest.approx(12.0 - 4.33, abs=0.3)


def test_someone_who_stands_at_the_counter_later_does_not_keep_a_passers_visit() -> None:
    """She walks out of view at 3 s; someone else, face hidden, walks up from 9 s and
    stands at the counter from 12 s, too late to be her (more than WALK_HOLD_S +
    REACH_S after her place emptied): two visits."""
    out = walk_up_looking_down(other_from=9.0)
    left = out.one("customer_left")
    assert left.outcome.value == "passed_by"
    arrived = out.one("customer_arrived")
    assert arrived.visit_id != left.visit_id
    assert 10.0 <= arrived.arrival_t <= 12.2  # the newcomer's own arrival, unseen



def passer_by_beside_a_waiting_customer(missed_every: int, phone: tuple[float, float]) -> Run:
    """A customer waits at the counter from 0 s, seen (her face missed one frame in
    ``missed_every``, 0: never; the tracker holds her track), and looks down at her
    phone during ``phone``; staff look at her from 22 s. A passer-by walks up the
    approach from 0.5 s, her face lost at 2.5 s, and walks out of view at 3.5 s,
    short of the service zone."""
    from engine_scenes import walk

    staff_at = still(STAFF_AT)

    def waiting_gaze(t: float) -> tuple[float, float, float] | None:
        if phone[0] <= t < phone[1]:
            return None
        if missed_every and round(t * 15.0) % missed_every == 0:
            return None
        return INTO_LENS

    waiting = Actor(1, still(SERVICE_AT), waiting_gaze, end_t=30.0)
    passer_at = walk(FAR_APPROACH_AT, (0.9, 0.0, 2.0), 0.5, 3.0)
    passer = Actor(3, passer_at, looks(INTO_LENS, (2.5, 99.0, None)), start_t=0.5, end_t=3.5)
    staff = Actor(2, staff_at, looks(AWAY, (22.0, 24.0, at_actor(staff_at, still(SERVICE_AT)))))
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0, visit_hold_s=10.0)
    return play(engine, [waiting, passer, staff], 30.0)


@pytest.mark.parametrize("missed_every", [0, 20])
def test_a_waiting_customer_whose_face_is_missed_now_and_then_keeps_no_passers_visit(
        missed_every: int) -> None:
    """The passer-by's visit is not kept by the body of the customer waiting at the
    counter on the frames her face is missed (the tracker holds her track: she is
    known, not faceless); so when the waiting customer looks up from her phone at
    14.5 s, her face continues her own visit, not the passer-by's (where the
    passer-by was heading, a stronger tier than her own occupied place). Before,
    with a face missed one frame in 20, her 22 s wait was reported as 7.4 s."""
    out = passer_by_beside_a_waiting_customer(missed_every, phone=(12.0, 14.5))
    arrived = out.one("customer_arrived")
    assert arrived.arrival_t == pytest.approx(0.0, abs=0.2)
    left = out.one("customer_left")
    assert left.visit_id != arrived.visit_id and left.outcome.value == "passed_by"
    # Closed visit_hold_s after her place emptied, as before; reported once no new
    # face can be hers come back.
    assert left.t <= 14.0 + PASSING_HOLD_S
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == arrived.visit_id
    assert ack.latency_s == pytest.approx(22.0, abs=0.3)


def test_no_arrival_after_the_camera_was_blind_is_dated_from_before() -> None:
    """Someone stands faceless at the counter from 1 s; the camera is offline from
    10 s to 25 s (whoever stood there may have left, and someone else come); a face
    is first seen there at 26 s. Its arrival is dated from the occupancy seen since
    the camera came back, not from the grids before it went blind (before, 1 s: a
    wait of 27 s, 15 of them unseen, reported at once)."""
    staff_at = still(STAFF_AT)
    customer = Actor(1, still(SERVICE_AT), looks(INTO_LENS, (0.0, 26.0, None)), end_t=40.0)
    staff = Actor(2, staff_at, looks(AWAY, (28.0, 30.0, at_actor(staff_at, still(SERVICE_AT)))))
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0, visit_hold_s=10.0)
    out = Run()
    online = True
    for i, t in enumerate(frame_times(0.0, 35.0, 15.0)):
        if online != (not 10.0 < t < 25.0):
            online = not online
            out.events += engine.camera_status(online, t)
        if not online:
            continue
        obs = observation([customer, staff], t, i)
        obs.occupancy = grid(body_of(STAFF_AT), *([body_of(SERVICE_AT)] if t >= 1.0 else []))
        out.events += engine.update(obs)
    assert [e.type.value for e in out.events[:2]] == ["camera_offline", "camera_online"]
    arrived = out.one("customer_arrived")
    assert arrived.arrival_t == pytest.approx(25.0, abs=0.1)
    assert out.one("customer_acknowledged").latency_s == pytest.approx(3.0, abs=0.3)


def test_one_faceless_person_at_the_counter_is_one_customer_however_many_walked_off() -> None:
    """Two people walk up the walkway with their eyes on their phones: the first walks
    out of view at 2.2 s, the second, a little behind, stands at the counter unseen
    from 6.5 s and looks up at 20 s. Both walked-off visits could be the one
    faceless person standing there; one person is one customer: one arrival, one
    alert, one visit continued by her face, the other closes as passed by."""
    from engine_scenes import walk

    staff_at = still(STAFF_AT)
    first_at = walk(FAR_APPROACH_AT, SERVICE_AT, 0.5, 5.0)
    second_at = walk((2.0, 0.0, 2.2), SERVICE_AT, 2.5, 6.5)
    first = Actor(1, first_at, looks(INTO_LENS, (1.8, 99.0, None)), end_t=2.2)
    second = Actor(3, second_at, looks(INTO_LENS, (4.0, 20.0, None)), start_t=2.5,
                   end_t=40.0)
    staff = Actor(2, staff_at, looks(AWAY, (22.0, 40.0, at_actor(staff_at, second_at))))
    engine = make_engine(alert_after_s=10.0, escalate_after_s=120.0, visit_hold_s=10.0)
    out = play(engine, [first, second, staff], 32.0)  # the passer-by reported by 31.1 s
    arrived = out.one("customer_arrived")
    assert out.one("customer_waiting").visit_id == arrived.visit_id
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == arrived.visit_id
    left = out.one("customer_left")
    assert left.visit_id != arrived.visit_id and left.outcome.value == "passed_by"


def _missed_every(n: int, gaze: tuple[float, float, float]
                  ) -> Callable[[float], tuple[float, float, float] | None]:
    """``gaze``, but the face missed one frame in ``n`` (0: never): the tracker holds it."""
    return lambda t: None if n and round(t * 15.0) % n == 0 else gaze


@pytest.mark.parametrize("missed_every, aside_m", [(0, 0.0), (5, 0.0), (0, 0.2), (0, -0.2)])
def test_the_next_customer_in_her_place_does_not_keep_the_visit_of_one_who_left(
        missed_every: int, aside_m: float) -> None:
    """The first customer turns away at 10 s and leaves at 11 s; the second, queueing
    face on, walks up into her place (or ``aside_m`` beside it: 0.2 m is 1.25 face
    widths, nearer than two people can stand side by side) from 11.5 to 12.5 s and
    stands there to 35 s, her face missed one frame in ``missed_every``. Someone else
    standing where she stood, at her distance, means she has gone: the first visit
    closes ``presence_leave_s`` after the second took her place, not
    ``visit_hold_s`` later, and not when the second leaves. Before, every frame on
    which the second's face was missed counted her body as the first one's place
    occupied (only tracks measured on the frame explained cells), and the first
    visit lived until 45 s; and a place taken a little aside (more than one face
    width) told nothing, and the visit waited ``visit_hold_s``."""
    from engine_scenes import walk

    one = Actor(1, still(SERVICE_AT), looks(INTO_LENS, (10.0, 99.0, None)), end_t=11.0)
    two_at = walk(QUEUE_AT, (SERVICE_AT[0] + aside_m, SERVICE_AT[1], SERVICE_AT[2]), 11.5, 12.5)
    two = Actor(3, two_at, _missed_every(missed_every, INTO_LENS), end_t=35.0)
    staff = Actor(2, still(STAFF_AT), lambda t: AWAY)
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0, visit_hold_s=10.0)
    out = play(engine, [one, two, staff], 40.0)
    first = out.of("customer_arrived")[0].visit_id
    left = next(e for e in out.of("customer_left") if e.visit_id == first)
    assert left.left_t is not None and left.left_t < 12.5
    assert left.t < 12.5 + 1.0 + 0.5  # presence_leave_s after the second took her place


@pytest.mark.parametrize("taller_m", [0.4, -0.4])
def test_a_taller_or_shorter_customer_in_her_place_ends_her_visit(taller_m: float) -> None:
    """The first customer turns away at 10 s and stays until 12 s; the second, face
    on, walks up into her place from 11 to 12 s, 0.4 m taller or shorter: her face
    is 2.5 face widths above or below where the first one's was, at the same
    distance. Two people cannot stand there (across the picture their shoulders
    keep them apart; up it only their heights differ, by at most 0.6 m): the first
    is seen to leave ``presence_leave_s`` after the second took her place. With two
    face widths in every direction, the taller one only hid the place, and the
    first visit waited ``visit_hold_s``."""
    from engine_scenes import walk

    one = Actor(1, still(SERVICE_AT), looks(INTO_LENS, (10.0, 99.0, None)), end_t=12.0)
    two_at = walk(QUEUE_AT, (SERVICE_AT[0], SERVICE_AT[1] - taller_m, SERVICE_AT[2]), 11.0, 12.0)
    two = Actor(3, two_at, lambda t: INTO_LENS, end_t=35.0)
    staff = Actor(2, still(STAFF_AT), lambda t: AWAY)
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0, visit_hold_s=10.0)
    out = play(engine, [one, two, staff], 40.0)
    first = out.of("customer_arrived")[0].visit_id
    left = next(e for e in out.of("customer_left") if e.visit_id == first)
    assert left.t < 12.0 + 1.0 + 0.5


@pytest.mark.parametrize("other_at, other_end_t", [
    ((0.12, 0.0, 1.5), 12.0),  # nearer, in front of her place, walks off at 12 s
    ((0.12, 0.0, 1.5), 28.0),  # the same until 28 s: hidden longer than visit_hold_s
    ((0.24, 0.0, 2.4), 45.0),  # farther, right behind her, all along
])
def test_someone_in_front_of_or_behind_her_place_does_not_end_her_visit(
        other_at: tuple[float, float, float], other_end_t: float) -> None:
    """She looks down at her phone from 5 to 35 s; another customer, face on and seen
    before she looked down, stands at about her image place nearer the camera (hiding
    it, then walking off; for longer than ``visit_hold_s`` too: out of sight behind
    someone is not gone) or farther (hidden by her).
    Neither stands *in* her place, so neither says she has gone: one visit, her
    arrival kept, acknowledged at 36 s. (A rule that ends a visit when someone else
    stands in her place, tried for the test above, must tell these apart by size.)"""
    customer, staff = actors()
    from engine_scenes import OUTSIDE_AT, walk

    away = (OUTSIDE_AT[0], OUTSIDE_AT[1], other_at[2])
    other_path = walk(other_at, away, other_end_t, other_end_t + 1.0)
    other = Actor(3, other_path, lambda t: INTO_LENS, end_t=other_end_t + 1.5)
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0, visit_hold_s=10.0)
    out = play(engine, [customer, staff, other], 48.0)
    arrived = [e for e in out.of("customer_arrived") if e.track_id == 1]
    assert len(arrived) == 1
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == arrived[0].visit_id
    assert ack.arrival_t == pytest.approx(arrived[0].arrival_t)
    assert ack.t == pytest.approx(STAFF_LOOKS_AT, abs=1.0)


def test_a_waiting_customer_who_walks_up_unseen_while_someone_else_walks_off_keeps_her_visit(
        ) -> None:
    """Seed 103 at 18182 s: she has arrived in the queue (stood still), looks at her
    phone and walks up to the counter; at the same time someone nearer the camera,
    whose face it never sees, leaves the other way. Her heading, guessed from where
    someone unexplained walks, points away from the counter. Her face at the counter
    is in her clothes, within her reach: hers, with her wait from the queue."""
    staff_at = still(STAFF_AT)
    her_at = walk(FAR_QUEUE_AT, SERVICE_AT, 10.5, 12.0)
    up_t = 14.0
    her = Actor(1, her_at, looks(INTO_LENS, (9.0, up_t, None)), end_t=30.0, clothes=BLACK)
    other = Actor(3, walk((0.9, 0.0, 1.2), (1.5, 0.0, 1.2), 11.0, 15.0), lambda t: None,
                  end_t=15.0, clothes=RED)
    staff = Actor(2, staff_at, looks(AWAY, (up_t + 2.0, up_t + 4.0, at_actor(staff_at, her_at))),
                  clothes=RED)
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0)
    out = play(engine, [her, other, staff], 30.0)
    arrived = out.one("customer_arrived")
    assert arrived.arrival_t == pytest.approx(0.0, abs=0.2)  # stood still in the queue
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == arrived.visit_id
    assert ack.latency_s == pytest.approx(up_t + 2.0 - arrived.arrival_t, abs=0.3)


@pytest.mark.parametrize("up_t", [13.0, 15.0, 18.0])
def test_a_served_customer_walking_out_does_not_take_the_next_ones_face(up_t: float) -> None:
    """The first customer, served, turns at 10 s and walks out from 10.5 s; the next,
    in the same dark coat, walks up from the queue with her eyes on her phone (never
    seen by her face until she looks up at the counter at ``up_t``). The first walked
    off unseen while someone walked in the zones, and the face at the counter is in
    her clothes, within her reach: but she was served and is leaving, not waiting, so
    the face opens the next customer's own visit (review of the eleventh session's
    rule)."""
    from engine_scenes import OUTSIDE_AT

    staff_at = still(STAFF_AT)
    one = Actor(1, walk(SERVICE_AT, OUTSIDE_AT, 10.5, 13.0), looks(INTO_LENS, (10.0, 99.0, None)),
                end_t=13.0, clothes=BLACK)
    two_at = walk(FAR_QUEUE_AT, SERVICE_AT, 11.0, 12.5)
    two = Actor(3, two_at, looks(INTO_LENS, (0.0, up_t, None)), start_t=9.0, end_t=up_t + 16.0,
                clothes=BLACK)
    staff = Actor(2, staff_at, looks(AWAY, (1.0, 2.5, at_actor(staff_at, still(SERVICE_AT))),
                                     (up_t + 2.0, up_t + 4.0, at_actor(staff_at, two_at))),
                  clothes=NAVY)
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0)
    out = play(engine, [one, two, staff], up_t + 16.0)
    arrivals = out.of("customer_arrived")
    assert len(arrivals) == 2
    first, second = arrivals
    ack = [a for a in out.of("customer_acknowledged") if a.visit_id == second.visit_id]
    assert len(ack) == 1
    left = {e.visit_id: e for e in out.of("customer_left")}
    assert left[first.visit_id].outcome.value == "acknowledged"


QUEUE_STOP_AT = (1.1, 0.0, 3.0)
"""A queue place in the approach zone, farther than the service spot."""


def test_a_customer_who_stops_in_the_queue_on_her_phone_keeps_her_visit() -> None:
    """Seed 104 at 5498 s: she walks into the approach zone, looks down at her phone
    while still walking and stops in the queue 0.4 m on, where she stands faceless for
    20 s. She never arrived while her face was seen, and her place emptied as she walked
    on: only someone standing faceless where she was heading can be her. In the
    approach zone that is a wait too (arrival by standing still, dated from when she
    stopped): her alert fires while her face is hidden, and her face, when she looks
    up, continues the visit."""
    staff_at = still(STAFF_AT)
    her_at = walk((2.3, 0.0, 3.0), QUEUE_STOP_AT, 0.0, 2.8)  # 0.43 m/s, stops at 2.8 s
    up_t = 2.3 + 21.0
    her = Actor(1, her_at, looks(INTO_LENS, (2.3, up_t, None)), end_t=40.0, clothes=NAVY)
    staff = Actor(2, staff_at, looks(AWAY, (up_t + 2.0, up_t + 4.0, at_actor(staff_at, her_at))),
                  clothes=BLACK)
    engine = make_engine(alert_after_s=10.0, escalate_after_s=120.0, visit_hold_s=10.0)
    out = play(engine, [her, staff], 40.0)
    arrived = out.one("customer_arrived")
    # When she stopped, found standing once her track was dropped (the tracker's grace
    # after her face was lost): up to a second late when she stops just after.
    assert 2.8 <= arrived.arrival_t <= 2.8 + 0.7
    waiting = out.one("customer_waiting")  # due 10 s after, while her face is hidden
    assert waiting.visit_id == arrived.visit_id
    assert waiting.t == pytest.approx(arrived.arrival_t + 10.0, abs=0.3)
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == arrived.visit_id
    assert ack.latency_s == pytest.approx(up_t + 2.0 - arrived.arrival_t, abs=0.3)


def test_a_passer_by_dawdling_across_the_queue_on_her_phone_does_not_arrive() -> None:
    """A passer-by looks down at her phone as she crosses the approach zone and dawdles
    on across it (0.25 m/s, 3 m from the camera: 0.04 of the frame a second) and out of
    view: never as still as a face must stand to arrive there. No arrival."""
    staff_at = still(STAFF_AT)
    passer = Actor(1, walk((1.2, 0.0, 3.0), (3.2, 0.0, 3.0), 0.0, 8.0),
                   looks(INTO_LENS, (1.0, 99.0, None)), end_t=8.0, clothes=NAVY)
    staff = Actor(2, staff_at, lambda t: AWAY, clothes=BLACK)
    engine = make_engine(alert_after_s=10.0, escalate_after_s=120.0, visit_hold_s=10.0)
    out = play(engine, [passer, staff], 30.0)
    assert out.of("customer_arrived") == []


@pytest.mark.parametrize("start_x, depth, lost_t", [
    (0.8, 1.3, 1.5), (0.6, 1.3, 1.2), (0.8, 2.0, 1.5)])
def test_her_face_back_beside_her_place_is_hers_while_its_role_is_decided(
        start_x: float, depth: float, lost_t: float) -> None:
    """Seed 104 at 14293 s: she walks briskly up to the counter looking aside, so her
    face is lost a step or two before she stops, and her place is held where it was
    lost. When she looks at the counter 5 s later, her face appears beyond that place:
    only where she was heading says it is hers, and that is taken once the face's
    role is fixed. Meanwhile its body explains her place's cells and her place
    empties: she is not closed while the face is decided. One visit, acknowledged."""
    staff_at = still(STAFF_AT)
    her_at = walk((start_x, 0.0, depth), (0.1, 0.0, depth), 0.0, 2.0)
    up_t = 7.0
    her = Actor(1, her_at, looks(INTO_LENS, (lost_t, up_t, None)), end_t=30.0, clothes=NAVY)
    staff = Actor(2, staff_at, looks(AWAY, (up_t + 3.0, up_t + 5.0, at_actor(staff_at, her_at))),
                  clothes=BLACK)
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0, visit_hold_s=10.0)
    out = play(engine, [her, staff], 20.0)
    arrived = out.one("customer_arrived")
    assert out.one("customer_acknowledged").visit_id == arrived.visit_id
    assert out.of("customer_left") == []


def leaving_faceless(walk_away: bool, alert_after_s: float = 10.0) -> Run:
    """A customer arrives at the counter, looks down at 5 s and, from 7 s, either walks
    away with her back to the camera (from 2 m to 5 m from it and across the approach
    zone over 5 s, her body shrinking as it goes) or stands there; her body is on the
    grid until 12 s. Her alert is due at ``alert_after_s``."""
    at = walk(SERVICE_AT, (2.0, 0.0, 5.0), 7.0, 12.0) if walk_away else still(SERVICE_AT)
    customer = Actor(1, at, looks(INTO_LENS, (5.0, 99.0, None)), end_t=12.0)
    staff = Actor(2, still(STAFF_AT), looks(AWAY))
    return play(make_engine(alert_after_s=alert_after_s, escalate_after_s=120.0),
                [customer, staff], 16.0)


def test_a_customer_walking_out_faceless_is_not_called_for() -> None:
    """Her place, followed over the grid, walks: she is not waiting but leaving, and a
    buzz for her would send staff to nobody. One who stands there faceless is."""
    gone = leaving_faceless(walk_away=True)
    assert gone.of("customer_waiting") == []
    left = gone.one("customer_left")
    assert left.outcome.value == "abandoned"
    stays = leaving_faceless(walk_away=False)
    assert stays.one("customer_waiting").t == pytest.approx(10.0, abs=0.2)


def test_a_wait_due_before_she_walked_out_faceless_is_still_called_for() -> None:
    """Only a walking place silences alerts: one due while she stood, face hidden, fires."""
    gone = leaving_faceless(walk_away=True, alert_after_s=6.0)
    assert gone.one("customer_waiting").t == pytest.approx(6.0, abs=0.2)


def test_a_customer_hidden_as_she_stands_in_the_queue_arrived_when_she_stopped() -> None:
    """She walks into the queue and stops at 2 s; at 3.5 s, before standing still has
    lasted ``arrival_still_s`` (3 s), her face is lost, and her place tells nothing:
    the man queueing beside her, a little nearer the camera, covers most of it on the
    grid. At 8 s her face is back where she stood. She stood there all along: she
    arrived at 2 s, not 3 s after her face came back."""
    her_at = FAR_QUEUE_AT
    his_at = (1.32, 0.0, 2.6)  # 1.4 of her face widths to her right, 15 % nearer
    her = Actor(1, walk(OUTSIDE_AT, her_at, 0.0, 2.0), looks(INTO_LENS, (3.5, 8.0, None)),
                end_t=20.0, clothes=RED)
    him = Actor(3, still(his_at), looks(INTO_LENS), end_t=20.0, clothes=NAVY)
    staff = Actor(2, still(STAFF_AT), looks(AWAY))
    out = play(make_engine(alert_after_s=60.0, escalate_after_s=120.0, visit_hold_s=10.0),
               [her, him, staff], 20.0)
    arrivals = out.of("customer_arrived")
    assert len(arrivals) == 2  # his and hers: her face continued her visit
    mine = max(arrivals, key=lambda e: e.t)  # he stood still from the start
    assert mine.arrival_t == pytest.approx(2.0, abs=0.3)
    assert mine.t < 9.5  # known once her face is taken for hers, not 3 s later


def test_the_next_customer_hidden_in_the_queue_who_walks_into_the_served_ones_place_keeps_her_visit(
        ) -> None:
    """Fresh seed 107's customer-456: she queues behind a shorter man nearer the camera
    (his body covers her place: hidden, not gone), looks down at her phone, and walks
    up unseen into the place of the customer at the counter as he leaves with his
    back to the camera. Her face comes back there, in his place, which her body kept
    occupied; his clothes (a bluer red than hers) are too near hers to rule him out,
    so his place's evidence outranked hers (within her reach, where a customer
    standing in the queue heads) and her acknowledgement went to his visit. She is in
    the face's clothes and her own place is hidden: she can have walked in, so his
    place's occupancy proves nothing (``TIER_PLACE_WALKED_INTO``), and her face
    continues her visit, with her wait from the queue."""
    staff_at = still(STAFF_AT)
    one = Actor(1, walk(SERVICE_AT, (-0.2, 0.0, 4.5), 10.5, 13.5),
                looks(INTO_LENS, (10.0, 99.0, None)), end_t=12.5,
                clothes=clothes_signature((90, 60, 200)))
    up_t = 12.6
    two_at = walk(QUEUE_AT, SERVICE_AT, 10.5, 12.0)
    two = Actor(3, two_at, looks(INTO_LENS, (9.0, up_t, None)), end_t=up_t + 16.0,
                clothes=RED)
    # in front of her, his head 0.2 m lower: his body covers her place, not her face
    nearer = (QUEUE_AT[0] * 2.2 / QUEUE_AT[2], 0.2, 2.2)
    three = Actor(4, still(nearer), looks(AWAY), end_t=up_t + 16.0, clothes=BLACK)
    staff = Actor(2, staff_at, looks(AWAY, (up_t + 2.0, up_t + 4.0, at_actor(staff_at, two_at))),
                  clothes=BLACK)
    out = play(make_engine(alert_after_s=60.0, escalate_after_s=120.0),
               [one, two, three, staff], up_t + 16.0)
    first = out.of("customer_arrived")[0]  # the served customer, at the counter from 0 s
    acks = out.of("customer_acknowledged")
    assert all(a.visit_id != first.visit_id for a in acks)  # her face is not his
    face = max(acks, key=lambda a: a.track_id)  # the staff's look at her face at the counter
    assert face.t == pytest.approx(up_t + 2.0, abs=0.6)
    assert face.latency_s == pytest.approx(up_t + 2.0, abs=0.3)  # her wait, from the queue
    assert len(out.of("customer_arrived")) == 3  # her face opened no visit of its own


@pytest.mark.parametrize("up_t", [14.5, 15.5])
def test_a_customer_looking_up_in_her_place_keeps_her_visit_when_one_who_left_walked_off_toward_it(
        up_t: float) -> None:
    """Fresh seed 108's customer-216: she waits at the counter with her eyes on her
    phone, her place occupied all along; a customer from the queue, in navy with a
    band of red, gives up and walks out unseen while someone nobody sees by the face
    walks behind the counter, so the leaver's place empties with a heading toward the
    counter. The face coming back in the first one's place, in her red, was given to
    the leaver (her place "proves nothing" once someone lost on her way can have
    walked into it), and her acknowledgement with it. The leaver's clothes cannot
    tell; the waiting customer's are the face's: her place keeps its evidence."""
    staff_at = still(STAFF_AT)
    one = Actor(1, still(SERVICE_AT), looks(INTO_LENS, (5.0, up_t, None)), end_t=35.0,
                clothes=RED)
    two = Actor(3, walk(QUEUE_AT, (1.5, 0.0, 3.0), 10.0, 12.0),
                looks(INTO_LENS, (9.0, 99.0, None)),
                end_t=12.0, clothes=clothes_signature(NAVY_BGR, NAVY_BGR, RED_BGR))
    behind = Actor(5, walk((0.8, 0.0, 3.5), (-0.2, 0.0, 3.5), 11.0, 16.0), lambda t: None,
                   start_t=11.0, end_t=16.0, clothes=BLACK)
    look = at_actor(staff_at, still(SERVICE_AT))
    staff = Actor(2, staff_at, looks(AWAY, (up_t + 2.0, up_t + 4.0, look)), clothes=BLACK)
    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0)
    out = play(engine, [one, two, behind, staff], 35.0)
    first, second = out.of("customer_arrived")
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == first.visit_id
    assert ack.latency_s == pytest.approx(up_t + 2.0, abs=0.3)  # her wait, from 0 s
    left = out.one("customer_left")
    assert left.visit_id == second.visit_id and left.outcome.value == "abandoned"


@pytest.mark.parametrize("first_end_t", [11.0, 11.5])
def test_the_next_customer_whose_queue_place_empties_as_she_looks_up_at_the_counter_keeps_her_visit(
        first_end_t: float) -> None:
    """Fresh seed 107's customer-319: she waits in the queue with her eyes on her
    phone, then walks up briskly (in a second) as the served customer, his back to
    the camera, leaves; she looks up in her last step, in his place, which her body
    kept occupied. She was lost standing, her place never followed her, and it is
    emptying as her face appears: nothing said she walked, so his place outranked
    her reach and her face went to his visit (hers closed as abandoned, his held on
    past his departure). Her place no longer shows her and the face wears her
    clothes (his, a bluer red, cannot tell): his place proves nothing, and her face
    continues her visit, with her wait from the queue; he is seen to leave."""
    out = queue_advance(clothes_signature((90, 60, 200)), RED, walk_s=(10.5, 11.5),
                        hidden_s=-0.3, first_end_t=first_end_t)
    second_id = the_second_kept_her_wait(out, 13.2)
    left = [e for e in out.of("customer_left") if e.visit_id != second_id]
    assert len(left) == 1 and left[0].outcome.value == "acknowledged"
    assert left[0].t - first_end_t < 2.0 + 1.0  # seen to leave: the place's emptying, then 1 s


@pytest.mark.parametrize("a_walk", [(8.0, 9.5), (8.0, 10.0), (8.5, 10.5)])
def test_a_customer_walking_up_faceless_keeps_her_visit_when_one_behind_her_walked_off(
        a_walk: tuple[float, float]) -> None:
    """Fresh seed 112's customer-165 (and 111's 81 and 293): she walks up from the
    queue to the counter in red, her face lost on the way, her place following her
    walking body; behind her, a customer in a bluer red (the clothes cannot tell)
    with her eyes on her phone steps up into the queue place she left, while a third
    customer walks into the place behind. The face at the counter was given to the
    one behind (her place "emptied as someone walked", where she was heading) before
    the one lost on her way (her place "still held"): both rest on where each was
    heading, and the face wears the red of the one who walked up. Her clothes decide:
    her visit keeps its acknowledgement, and the other's face, back in the queue,
    continues her own."""
    far = (1.3, 0.0, 3.6)
    staff_at = still(STAFF_AT)
    a_at = walk(QUEUE_AT, SERVICE_AT, *a_walk)
    one = Actor(1, a_at, looks(INTO_LENS, (9.0, 11.5, None)), end_t=30.0, clothes=RED)
    two = Actor(3, walk(far, QUEUE_AT, 8.0, 9.5), looks(INTO_LENS, (4.0, 13.0, None)),
                end_t=30.0, clothes=clothes_signature((90, 60, 200)))
    three = Actor(4, walk((2.2, 0.0, 3.6), far, 7.0, 9.8), lambda t: INTO_LENS, start_t=7.0,
                  end_t=30.0, clothes=NAVY)
    staff = Actor(2, staff_at, looks(AWAY, (13.5, 15.5, at_actor(staff_at, a_at))),
                  clothes=BLACK)
    out = play(make_engine(alert_after_s=60.0, escalate_after_s=120.0),
               [one, two, three, staff], 30.0)
    first, second, third = out.of("customer_arrived")  # no fourth: nobody split
    assert third.arrival_t == pytest.approx(9.8, abs=0.3)  # the one who walked in behind
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == first.visit_id
    assert ack.latency_s == pytest.approx(13.5, abs=0.3)  # her wait, from 0 s


def queue_then_counter(alert_after_s: float, up_t: float) -> Run:
    """She walks into the queue (3 m from the camera) by 1 s and stands there, face
    seen: she arrives. She looks down at 5 s, walks up to the counter from 8 s to
    10.5 s and waits there, face hidden, until ``up_t``; staff look at her 1 s after."""
    queue_at = walk(OUTSIDE_AT, QUEUE_AT, 0.0, 1.0)
    to_counter = walk(QUEUE_AT, SERVICE_AT, 8.0, 10.5)

    def her_at(t: float) -> tuple[float, ...]:
        return tuple(queue_at(t) if t < 8.0 else to_counter(t))

    her = Actor(1, her_at, looks(INTO_LENS, (5.0, up_t, None)), end_t=up_t + 8.0)
    staff_at = still(STAFF_AT)
    staff = Actor(2, staff_at, looks(AWAY, (up_t + 1.0, up_t + 5.0, at_actor(staff_at, her_at))))
    return play(make_engine(alert_after_s=alert_after_s, escalate_after_s=120.0,
                            visit_hold_s=10.0), [her, staff], up_t + 10.0)


def test_a_waiting_customer_walking_up_faceless_is_called_for_when_her_wait_comes_due() -> None:
    """Seed 113's customer-320: she waited in the queue, face hidden, and her wait came
    due as she walked up to the counter, where she was acknowledged as she looked up
    1.8 s later. A place walking away silences alerts (a buzz would call staff to
    nobody), but hers walks up to her counter: she is still waiting, and her alert
    fires when due (before, it waited until her place had stood still, so a look as
    she arrived meant none at all)."""
    out = queue_then_counter(alert_after_s=9.5, up_t=11.5)
    arrived = out.one("customer_arrived")
    assert arrived.arrival_t == pytest.approx(1.0, abs=0.3)
    waiting = out.one("customer_waiting")
    assert waiting.visit_id == arrived.visit_id
    assert waiting.t == pytest.approx(arrived.arrival_t + 9.5, abs=0.2)  # on her way up
    ack = out.one("customer_acknowledged")
    assert ack.visit_id == arrived.visit_id


def _face_at(p: tuple[float, ...]) -> tuple[float, float, float]:
    """The normalised (x, y, width) of a 16 cm face at ``p``."""
    u, v = project(p)
    return u / WIDTH, v / HEIGHT, 0.16 * 640.0 / p[2] / WIDTH


@pytest.mark.parametrize("toward_counter, lost_t", [(True, 7.5), (False, 7.5), (True, 3.0)])
def test_a_face_walking_up_to_her_counter_in_her_clothes_may_continue_a_waiting_customer(
        toward_counter: bool, lost_t: float) -> None:
    """Fresh seed 116's customer-356: she waited in the queue (arrived, unacknowledged),
    eyes down, and walked up to the counter as the served customer left; her face came
    back on her way, in the approach zone, three of its widths from her place, which
    the leaving customer's body hid. Her place did not empty (not walked off), she
    was standing when lost (no heading), and her dark clothes are not colourful: no
    rule took the face, which opened a second visit. A face in her clothes, within
    her reach, walking toward her counter's service zone soon after she looked down
    (7.5 s), may be her. One walking away from the counter (into the shop) may not,
    nor one first seen more than REACH_S after she was lost (3 s: she would have
    reached the counter; seed 101's 373 took 372's visit so). The rule, not a scene: on the
    engine's hand-placed scenes her place follows her body, and the place rules
    take her face first."""
    from frontdesk.engine.places import TIER_REACHED
    from frontdesk.engine.tracks import TrackState
    from frontdesk.engine.visits import Visit
    from frontdesk.engine.zones import Placement

    engine = make_engine(alert_after_s=60.0, escalate_after_s=120.0)
    book, aspect = engine.visits, HEIGHT / WIDTH
    book.aspect = aspect
    dark = clothes_signature((45, 45, 45))
    lost = TrackState(1, 0.0)
    lost.last_seen_t = lost.last_face_t = lost_t
    visit = Visit("v1", lost, "counter-1", 0.0, 0.0)
    visit.confirmed, visit.arrival_t = True, 1.0
    visit.unseen_since_t = lost_t
    queue_at = (1.6, 0.0, 3.0)  # in the approach zone, 3 m out
    visit.hold_place(lost_t, _face_at(queue_at))
    visit.held_looks = [dark]
    book.open[1] = visit
    visit.present_t = 9.15  # hidden by the leaving customer, not emptied
    # A face from 9.15 s, 0.4 s of it, on her way from her place to the counter (2.5 s
    # from 8 s), or as far from her place the other way, into the shop.
    way = walk(queue_at, SERVICE_AT if toward_counter else (2.9, 0.0, 3.0), 8.0, 10.5)
    new = TrackState(4, 9.15)
    for t in (9.15, 9.28, 9.42, 9.55):
        x, y, w = _face_at(way(t))
        if new.born_x is None:
            new.born_x, new.born_y, new.born_width_norm = x, y, w
        new.recent_faces.append((t, x, y, w))
        new.x, new.y, new.last_seen_t = x, y, t
    new.look, new.look_n = dark, 6
    counters = book.zones.counters["counter-1"]
    assert counters.in_customer_zone(new.x, new.y) and not counters.in_service(new.x, new.y)
    new.placement = Placement(None, None, "counter-1")
    found = book._continues(visit, new, True, aspect)
    if toward_counter and lost_t == 7.5:
        assert found is not None and found[0] == TIER_REACHED
    else:
        assert found is None

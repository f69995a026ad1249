"""Lifecycle invariants over random scenes: hypothesis draws people, looks, dropouts, buttons."""

from __future__ import annotations

import random
from collections import defaultdict

from engine_scenes import (
    APPROACH_AT,
    AWAY,
    INTO_LENS,
    OUTSIDE_AT,
    SERVICE_AT,
    Actor,
    Run,
    make_engine,
    run_tracks,
    still,
    toward,
    walk,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.engine import Engine, Event, EventType, Outcome

ALERT_AFTER_S, ESCALATE_AFTER_S = 6.0, 12.0
TERMINAL = EventType.CUSTOMER_LEFT


@st.composite
def scenes(draw: st.DrawFn) -> dict:
    n_staff = draw(st.integers(0, 2))
    n_customers = draw(st.integers(1, 3))
    staff = [
        {"x": draw(st.floats(-1.4, -0.8)), "start": draw(st.floats(0, 10)),
         "end": draw(st.floats(10, 40)),
         "looks": draw(st.lists(st.tuples(st.floats(0, 35), st.floats(0.05, 3.0),
                                          st.integers(0, n_customers - 1)), max_size=4))}
        for _ in range(n_staff)
    ]
    customers = [
        {"start": draw(st.floats(0, 15)), "stay": draw(st.floats(0.5, 25)),
         "kind": draw(st.sampled_from(["service", "approach_still", "pass"])),
         "depth": draw(st.floats(1.6, 3.0)),
         "looks": draw(st.lists(st.tuples(st.floats(0, 35), st.floats(0.05, 3.0)), max_size=2))}
        for _ in range(n_customers)
    ]
    return {
        "staff": staff, "customers": customers, "fps": draw(st.sampled_from([5.0, 10.0, 15.0])),
        "dropout": draw(st.sampled_from([0.0, 0.1, 0.3])), "seed": draw(st.integers(0, 2**16)),
        "buttons": draw(st.lists(st.floats(0, 40), max_size=2)),
        "snooze": draw(st.one_of(st.none(), st.tuples(st.floats(0, 30), st.floats(0, 15)))),
        "visit_hold_s": draw(st.sampled_from([0.0, 10.0])),
    }


def customer_path(c: dict):
    depth = c["depth"]
    spot = (SERVICE_AT[0], 0.0, depth) if c["kind"] == "service" else (APPROACH_AT[0], 0.0, depth)
    enter, settle = c["start"], c["start"] + 1.5
    leave_t = settle + c["stay"]
    if c["kind"] == "pass":
        return walk((OUTSIDE_AT[0], 0.0, depth), (-0.2, 0.0, depth + 3), enter, leave_t), leave_t
    come = walk((OUTSIDE_AT[0], 0.0, depth), spot, enter, settle)
    go = walk(spot, (OUTSIDE_AT[0], 0.0, depth), leave_t, leave_t + 1.5)
    return (lambda t: come(t) if t < leave_t else go(t)), leave_t + 1.5


def build(scene: dict) -> list[Actor]:
    rng = random.Random(scene["seed"])
    drop = scene["dropout"]
    actors: list[Actor] = []
    paths = [customer_path(c) for c in scene["customers"]]
    for i, s in enumerate(scene["staff"]):
        at = still((s["x"], 0.0, 2.0))

        def gaze(t: float, at=at, looks=s["looks"]):
            if rng.random() < drop:
                return None
            for t0, dur, k in looks:
                if t0 <= t < t0 + dur:
                    return toward(at(t), paths[k][0](t))
            return AWAY

        actors.append(Actor(i + 1, at, gaze, start_t=s["start"], end_t=s["end"]))
    for j, (c, (at, end_t)) in enumerate(zip(scene["customers"], paths, strict=True)):
        staff_at = [still((s["x"], 0.0, 2.0)) for s in scene["staff"]] or [still((-1, 0, 2))]

        def cgaze(t: float, at=at, looks=c["looks"], target=staff_at[0]):
            if rng.random() < drop:
                return None
            for t0, dur in looks:
                if t0 <= t < t0 + dur:
                    return toward(at(t), target(t))
            return INTO_LENS

        actors.append(Actor(10 + j, at, cgaze, start_t=c["start"], end_t=end_t))
    return actors


def commands(scene: dict):
    def between(engine: Engine, t: float) -> list[Event]:
        events: list[Event] = []
        step = 1.0 / scene["fps"] / 2
        for press_t in scene["buttons"]:
            if abs(t - press_t) <= step:
                events += engine.acknowledge("counter-1", t)
        if scene["snooze"] is not None and abs(t - scene["snooze"][0]) <= step:
            events += engine.snooze("counter-1", scene["snooze"][1], t)
        return events
    return between


def simulate(scene: dict) -> Run:
    engine = make_engine(alert_after_s=ALERT_AFTER_S, escalate_after_s=ESCALATE_AFTER_S,
                         visit_hold_s=scene.get("visit_hold_s", 0.0))
    return run_tracks(engine, build(scene), 45.0, fps=scene["fps"], between=commands(scene),
                      finish=True)


def by_visit(events: list[Event]) -> dict[str, list[Event]]:
    out: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        if e.visit_id is not None:
            out[e.visit_id].append(e)
    return out


def check_every_visit_ends_exactly_once_and_nothing_follows(events: list[Event]) -> None:
    for visit_events in by_visit(events).values():
        kinds = [e.type for e in visit_events]
        assert kinds.count(TERMINAL) == 1
        assert kinds[-1] is TERMINAL


def check_timings_are_ordered_and_latency_is_ack_minus_arrival(events: list[Event]) -> None:
    assert [e.t for e in events] == sorted(e.t for e in events)
    for e in events:
        if e.ack_t is not None:
            assert e.first_seen_t is not None and e.ack_t >= e.first_seen_t - 1e-9
            assert e.ack_t <= e.t + 1e-9
        if e.arrival_t is not None:
            assert e.first_seen_t is not None and e.arrival_t >= e.first_seen_t - 1e-9
        if e.latency_s is not None:
            assert e.ack_t is not None and e.arrival_t is not None
            assert abs(e.latency_s - (e.ack_t - e.arrival_t)) < 1e-9
        if e.left_t is not None:
            assert e.left_t <= e.t + 1e-9


def check_no_alert_after_acknowledgement_and_alerts_only_when_due(events: list[Event]) -> None:
    for visit_events in by_visit(events).values():
        kinds = [e.type for e in visit_events]
        if EventType.CUSTOMER_ACKNOWLEDGED in kinds:
            after = kinds[kinds.index(EventType.CUSTOMER_ACKNOWLEDGED):]
            assert EventType.CUSTOMER_WAITING not in after
            assert EventType.CUSTOMER_ESCALATED not in after
        if EventType.CUSTOMER_ESCALATED in kinds:
            assert kinds.index(EventType.CUSTOMER_WAITING) < kinds.index(
                EventType.CUSTOMER_ESCALATED)
        for e in visit_events:
            if e.type is EventType.CUSTOMER_WAITING:
                assert e.arrival_t is not None and e.t >= e.arrival_t + ALERT_AFTER_S - 1e-9
            if e.type is EventType.CUSTOMER_ESCALATED:
                assert e.arrival_t is not None and e.t >= e.arrival_t + ESCALATE_AFTER_S - 1e-9
        if EventType.CUSTOMER_WAITING in kinds and EventType.CUSTOMER_ACKNOWLEDGED in kinds:
            ack = visit_events[kinds.index(EventType.CUSTOMER_ACKNOWLEDGED)]
            assert ack.latency_s is not None and ack.latency_s > ALERT_AFTER_S - 1e-9


def check_arrival_comes_first_and_outcome_matches_the_story(events: list[Event]) -> None:
    for visit_events in by_visit(events).values():
        kinds = [e.type for e in visit_events]
        left = visit_events[-1]
        if EventType.CUSTOMER_ARRIVED in kinds:
            assert kinds[0] is EventType.CUSTOMER_ARRIVED
            assert kinds.count(EventType.CUSTOMER_ARRIVED) == 1
            assert left.outcome in (Outcome.ACKNOWLEDGED, Outcome.ABANDONED, Outcome.INTERRUPTED)
        else:
            assert kinds == [TERMINAL]
            assert left.outcome in (Outcome.PASSED_BY, Outcome.INTERRUPTED)
        assert kinds.count(EventType.CUSTOMER_ACKNOWLEDGED) <= 1
        if left.outcome is Outcome.ACKNOWLEDGED:
            assert EventType.CUSTOMER_ACKNOWLEDGED in kinds


def check_unattended_and_attended_alternate(events: list[Event]) -> None:
    flags = [e.type for e in events
             if e.type in (EventType.COUNTER_UNATTENDED, EventType.COUNTER_ATTENDED)]
    for earlier, later in zip(flags, flags[1:], strict=False):
        assert earlier is not later
    if flags:
        assert flags[0] is EventType.COUNTER_UNATTENDED


CHECKS = [
    check_every_visit_ends_exactly_once_and_nothing_follows,
    check_timings_are_ordered_and_latency_is_ack_minus_arrival,
    check_no_alert_after_acknowledgement_and_alerts_only_when_due,
    check_arrival_comes_first_and_outcome_matches_the_story,
    check_unattended_and_attended_alternate,
]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_lifecycle_invariants_hold_for_random_scenes(scene: dict) -> None:
    events = simulate(scene).events
    for check in CHECKS:
        check(events)


def test_the_checks_catch_a_broken_lifecycle() -> None:
    """The invariants are not vacuous: a doctored event stream fails them."""
    scene = {"staff": [], "customers": [{"start": 0.0, "stay": 20.0, "kind": "service",
                                         "depth": 2.0, "looks": []}],
             "fps": 10.0, "dropout": 0.0, "seed": 1, "buttons": [12.0], "snooze": None}
    events = simulate(scene).events
    kinds = [e.type for e in events]
    assert EventType.CUSTOMER_WAITING in kinds and EventType.CUSTOMER_ACKNOWLEDGED in kinds
    for check in CHECKS:
        check(events)
    doubled = events + [events[-1]]
    reordered = [events[1], events[0], *events[2:]]
    alert_after_ack = events + [e for e in events if e.type is EventType.CUSTOMER_WAITING]
    for broken, check in [(doubled, CHECKS[0]), (reordered, CHECKS[1]),
                          (alert_after_ack, CHECKS[2])]:
        try:
            check(broken)
        except AssertionError:
            continue
        raise AssertionError(f"{check.__name__} accepted a broken stream")

"""One scripted scene per case, people placed by hand, 15 fps, no tracker unless said."""

from __future__ import annotations

import pytest
from engine_scenes import (
    APPROACH_AT,
    AWAY,
    INTO_LENS,
    OUTSIDE_AT,
    SERVICE_AT,
    STAFF_AT,
    Actor,
    at_actor,
    looks,
    make_config,
    make_engine,
    run_observations,
    run_tracks,
    still,
    walk,
    zones,
)

from frontdesk.engine import AckSource, Engine, Event, EventType, Outcome

FPS = 15.0
FRAME_S = 1.0 / FPS
STAFF_SPOT = still(STAFF_AT)
WALK_IN = walk(APPROACH_AT, SERVICE_AT, 2.0, 3.0)
"""Enters the service zone (u = 0.65, x = 0.6 m) at t = 2.6 s; first frame inside 2.667 s."""
ARRIVAL_T = 2.0 + 10 / 15


def staff_looking(*spans: tuple[float, float], at=WALK_IN, track_id: int = 1, **kw) -> Actor:
    gaze = looks(AWAY, *[(a, b, at_actor(STAFF_SPOT, at)) for a, b in spans])
    return Actor(track_id, STAFF_SPOT, gaze, **kw)


def customer(track_id: int = 2, at=WALK_IN, gaze=None, start_t: float = 0.5,
             end_t: float = 40.0) -> Actor:
    return Actor(track_id, at, gaze or looks(INTO_LENS), start_t=start_t, end_t=end_t)


def only_visit_events(events: list[Event]) -> list[str]:
    return [e.type.value for e in events if e.visit_id is not None]


# ---------------------------------------------------------------------- acknowledgement


def test_prompt_acknowledgement() -> None:
    run = run_tracks(make_engine(), [staff_looking((5.0, 7.0)), customer(end_t=12.0)], 14.0)
    assert only_visit_events(run.events) == [
        "customer_arrived", "customer_acknowledged", "customer_left"]
    ack = run.one("customer_acknowledged")
    assert ack.arrival_t == pytest.approx(ARRIVAL_T)
    assert ack.ack_t == pytest.approx(5.0)  # the start of the look, not the end of the dwell
    assert ack.t == pytest.approx(5.5, abs=FRAME_S)  # reported when the dwell is satisfied
    assert ack.latency_s == pytest.approx(5.0 - ARRIVAL_T)
    assert ack.ack_by is AckSource.EYE_CONTACT and ack.staff_track_id == 1
    left = run.one("customer_left")
    assert left.outcome is Outcome.ACKNOWLEDGED
    assert left.left_t == pytest.approx(12.0)
    assert left.first_seen_t == pytest.approx(0.5)


def test_acknowledged_during_the_approach_has_negative_latency() -> None:
    run = run_tracks(make_engine(), [staff_looking((0.8, 1.8)), customer(end_t=10.0)], 11.0)
    arrived, ack = run.one("customer_arrived"), run.one("customer_acknowledged")
    assert run.events.index(arrived) < run.events.index(ack)  # reported at arrival
    assert ack.t == arrived.t
    assert ack.ack_t == pytest.approx(0.8)
    assert ack.latency_s == pytest.approx(0.8 - ARRIVAL_T)
    assert ack.latency_s < 0
    assert run.of("customer_waiting") == []


def test_late_acknowledgement_after_the_alert() -> None:
    run = run_tracks(make_engine(), [staff_looking((15.0, 16.0)), customer(end_t=20.0)], 21.0)
    assert only_visit_events(run.events) == [
        "customer_arrived", "customer_waiting", "customer_acknowledged", "customer_left"]
    waiting = run.one("customer_waiting")
    assert waiting.t == pytest.approx(ARRIVAL_T + 10.0, abs=FRAME_S)
    assert waiting.waited_s == pytest.approx(10.0, abs=FRAME_S)
    assert run.one("customer_acknowledged").latency_s == pytest.approx(15.0 - ARRIVAL_T)
    assert run.one("customer_left").outcome is Outcome.ACKNOWLEDGED


def test_never_acknowledged_and_walked_away_is_abandoned_after_escalation() -> None:
    leave = walk(SERVICE_AT, OUTSIDE_AT, 35.0, 36.5)

    def at(t: float):
        return WALK_IN(t) if t < 35.0 else leave(t)

    run = run_tracks(make_engine(), [staff_looking(), customer(at=at)], 38.0)
    assert only_visit_events(run.events) == [
        "customer_arrived", "customer_waiting", "customer_escalated", "customer_left"]
    assert run.one("customer_escalated").waited_s == pytest.approx(30.0, abs=FRAME_S)
    left = run.one("customer_left")
    assert left.outcome is Outcome.ABANDONED
    assert left.ack_t is None and left.latency_s is None
    assert left.left_t == pytest.approx(35.0 + 1.5 * 1.8 / 2.3, abs=FRAME_S)  # u = 1 at x = 2


def test_a_glance_shorter_than_the_dwell_does_not_count() -> None:
    run = run_tracks(make_engine(), [staff_looking((5.0, 5.3)), customer(end_t=14.0)], 15.0)
    assert run.of("customer_acknowledged") == []
    assert run.one("customer_waiting").t == pytest.approx(ARRIVAL_T + 10, abs=FRAME_S)
    assert run.one("customer_left").outcome is Outcome.ABANDONED


def test_dropped_frames_inside_a_dwell_do_not_reset_it() -> None:
    aim = at_actor(STAFF_SPOT, WALK_IN)
    missed = {round(5.0 + k / FPS, 6) for k in (2, 5, 6)}  # 3 of the first 8 frames lost

    def gaze(t: float):
        if 5.0 <= t < 6.0:
            return None if round(t, 6) in missed else aim(t)
        return AWAY

    staff = Actor(1, STAFF_SPOT, gaze)
    run = run_tracks(make_engine(), [staff, customer(end_t=12.0)], 13.0)
    ack = run.one("customer_acknowledged")
    assert ack.ack_t == pytest.approx(5.0)
    assert ack.t == pytest.approx(5.0 + 0.5, abs=FRAME_S)


def test_dropped_frames_of_the_customers_face_inside_a_dwell_do_not_reset_it() -> None:
    every_third_missed = looks(INTO_LENS, (5.0, 7.0, lambda t: None
                                           if round(t * FPS) % 3 == 0 else INTO_LENS))
    run = run_tracks(make_engine(), [staff_looking((5.0, 7.0)),
                                     customer(gaze=every_third_missed, end_t=12.0)], 13.0)
    assert run.one("customer_acknowledged").ack_t == pytest.approx(5.0)


@pytest.mark.parametrize(("look_s", "counted"), [(0.5, True), (0.4, False)])
def test_a_look_of_exactly_the_dwell_counts_and_a_shorter_one_does_not(look_s: float,
                                                                       counted: bool) -> None:
    # 0.5 s at 15 fps is 8 frames, 7 periods from first to last: each frame stands for one.
    run = run_tracks(make_engine(), [staff_looking((5.0, 5.0 + look_s)),
                                     customer(end_t=12.0)], 13.0)
    assert bool(run.of("customer_acknowledged")) is counted


def test_one_noisy_out_of_cone_frame_inside_a_dwell_does_not_reset_it() -> None:
    aim = at_actor(STAFF_SPOT, WALK_IN)
    off = at_actor(STAFF_SPOT, WALK_IN, off_deg=30.0)
    staff = Actor(1, STAFF_SPOT, looks(AWAY, (5.0, 5.2, aim), (5.2, 5.27, off), (5.27, 6.5, aim)))
    run = run_tracks(make_engine(), [staff, customer(end_t=12.0)], 13.0)
    assert run.one("customer_acknowledged").ack_t == pytest.approx(5.0)


def test_looking_just_outside_the_cone_is_no_contact() -> None:
    near_miss = at_actor(STAFF_SPOT, WALK_IN, off_deg=13.0)
    staff = Actor(1, STAFF_SPOT, looks(AWAY, (5.0, 8.0, near_miss)))
    run = run_tracks(make_engine(), [staff, customer(end_t=12.0)], 13.0)
    assert run.of("customer_acknowledged") == []


def test_a_look_that_starts_before_the_alert_time_holds_the_alert_back() -> None:
    # The look starts 0.2 s before the alert is due and is confirmed 0.3 s after it.
    start_t = round(ARRIVAL_T + 10.0 - 0.2, 6)
    run = run_tracks(make_engine(), [staff_looking((start_t, start_t + 1.0)),
                                     customer(end_t=16.0)], 17.0)
    assert run.of("customer_waiting") == []
    assert run.one("customer_acknowledged").latency_s == pytest.approx(9.8, abs=FRAME_S)


def test_mutual_gaze_and_the_customers_first_look_are_recorded() -> None:
    cust_gaze = looks(INTO_LENS, (5.2, 6.5, at_actor(WALK_IN, STAFF_SPOT)))
    run = run_tracks(make_engine(), [staff_looking((5.0, 7.0)),
                                     customer(gaze=cust_gaze, end_t=12.0)], 13.0)
    left = run.one("customer_left")
    assert left.mutual_gaze is True
    assert left.customer_looked_t == pytest.approx(5.2, abs=1e-6)


def test_customer_looking_at_staff_alone_is_not_an_acknowledgement() -> None:
    cust_gaze = looks(INTO_LENS, (5.0, 7.0, at_actor(WALK_IN, STAFF_SPOT)))
    run = run_tracks(make_engine(), [staff_looking(), customer(gaze=cust_gaze, end_t=12.0)],
                     13.0)
    assert run.of("customer_acknowledged") == []
    assert run.one("customer_left").customer_looked_t == pytest.approx(5.0)


# ---------------------------------------------------------------------- arrival and leaving


def test_walking_past_through_the_approach_zone_is_passed_by() -> None:
    past = walk((1.2, 0.0, 1.0), (1.2, 0.0, 4.0), 0.0, 6.0)  # along the approach zone, no stop
    run = run_tracks(make_engine(), [staff_looking(), customer(at=past, start_t=0.0,
                                                               end_t=6.0)], 8.0)
    assert only_visit_events(run.events) == ["customer_left"]
    assert run.one("customer_left").outcome is Outcome.PASSED_BY


def test_standing_still_in_the_approach_zone_counts_as_arrival_from_when_they_stopped() -> None:
    stop = walk(OUTSIDE_AT, APPROACH_AT, 0.0, 2.0)  # stops at t = 2 in the approach zone
    run = run_tracks(make_engine(), [staff_looking(), customer(at=stop, start_t=0.0,
                                                               end_t=9.0)], 10.0)
    arrived = run.one("customer_arrived")
    assert arrived.arrival_t == pytest.approx(2.0, abs=1e-6)  # between frames, from the walk
    assert arrived.t == pytest.approx(arrived.arrival_t + 3.0, abs=FRAME_S)


def test_a_brief_visit_shorter_than_the_role_hysteresis_is_not_a_visit() -> None:
    run = run_tracks(make_engine(), [staff_looking(), customer(at=still(SERVICE_AT),
                                                               start_t=1.0, end_t=1.6)], 3.0)
    assert only_visit_events(run.events) == []


def test_leaving_the_zones_but_staying_in_view_ends_the_visit() -> None:
    # v = 0.056 at the end: still in the frame, above the zones' band (0.1 to 0.9)
    away = walk(SERVICE_AT, (0.2, -1.0, 2.0), 6.0, 7.0)

    def at(t: float):
        return WALK_IN(t) if t < 6.0 else away(t)

    run = run_tracks(make_engine(visit_hold_s=3.0),
                     [staff_looking((4.0, 5.0)), customer(at=at, end_t=20.0)], 12.0)
    left = run.one("customer_left")
    assert left.left_t == pytest.approx(6.0 + (0.5 - 0.1) / (0.5 - 40 / 720), abs=FRAME_S)
    assert left.t == pytest.approx(left.left_t + 3.0, abs=FRAME_S)  # after the visit hold
    assert left.outcome is Outcome.ACKNOWLEDGED


def test_a_customer_turned_away_for_seconds_keeps_one_visit() -> None:
    turned = looks(INTO_LENS, (5.0, 8.0, None))  # face not detected for 3 s (grace is 1 s)
    cust = customer(gaze=turned, end_t=16.0)
    engine = make_engine(visit_hold_s=10.0)
    run = run_observations(engine, [staff_looking((10.0, 11.0)), cust], 17.0)
    assert only_visit_events(run.events) == ["customer_arrived", "customer_acknowledged"]
    ack = run.one("customer_acknowledged")
    assert ack.arrival_t == pytest.approx(ARRIVAL_T) and ack.ack_t == pytest.approx(10.0)
    assert ack.track_id != run.one("customer_arrived").track_id  # a new track, the same visit
    left = engine.finish(17.0)
    assert [e.visit_id for e in left] == [ack.visit_id]


def test_the_next_customer_stepping_up_where_one_gave_up_has_a_visit_of_their_own() -> None:
    # The first customer arrives standing in the approach zone, turns away for good at 8 s
    # (their visit waits out the hold); the next face comes into view right where they
    # stood, 2 s later, and walks up to the counter: a new person, not the first one back.
    gave_up = customer(2, at=still(APPROACH_AT), start_t=0.0, end_t=8.0)
    step_up = walk(APPROACH_AT, SERVICE_AT, 10.0, 12.0)
    nxt = customer(3, at=step_up, start_t=10.0, end_t=30.0)
    run = run_tracks(make_engine(visit_hold_s=10.0), [staff_looking((14.0, 15.0), at=step_up),
                                                     gave_up, nxt], 31.0, finish=True)
    arrived = run.of("customer_arrived")
    assert [e.track_id for e in arrived] == [2, 3]
    assert arrived[1].arrival_t > 10.0
    assert len({e.visit_id for e in arrived}) == 2
    ack = run.one("customer_acknowledged")
    assert ack.track_id == 3 and ack.visit_id == arrived[1].visit_id
    assert ack.latency_s == pytest.approx(14.0 - arrived[1].arrival_t)
    outcomes = {e.track_id: e.outcome for e in run.of("customer_left")}
    assert outcomes[2] is Outcome.ABANDONED


def test_no_alert_while_the_customer_is_out_of_sight_and_the_visit_ends_after_the_hold() -> None:
    cust = customer(end_t=11.0)  # vanishes 1.7 s before the alert is due
    run = run_tracks(make_engine(visit_hold_s=5.0), [staff_looking(), cust], 20.0)
    assert run.of("customer_waiting") == []
    left = run.one("customer_left")
    assert left.left_t == pytest.approx(11.0)
    assert left.t == pytest.approx(11.0 + 1 / FPS + 5.0, abs=FRAME_S)
    assert left.outcome is Outcome.ABANDONED


def test_a_new_face_where_a_passer_by_vanished_starts_its_own_visit() -> None:
    passer = customer(2, at=still(APPROACH_AT), start_t=0.0, end_t=2.0)  # never arrives
    newcomer = customer(3, at=still(APPROACH_AT), start_t=4.0, end_t=9.0)
    run = run_tracks(make_engine(visit_hold_s=10.0), [staff_looking(), passer, newcomer], 10.0)
    left = run.of("customer_left")
    assert [(e.track_id, e.outcome) for e in left] == [(2, Outcome.PASSED_BY)]
    assert run.one("customer_arrived").track_id == 3  # stood still 3 s: arrived, new visit


def test_crossing_a_gap_between_the_zones_keeps_one_visit() -> None:
    gap_zones = zones()
    gap_zones["approach"] = [[0.75, 0.1], [1.0, 0.1], [1.0, 0.9], [0.75, 0.9]]  # 0.65-0.75: none
    config = make_config(counters=[{"id": "counter-1", "zones": gap_zones}], visit_hold_s=5.0)
    slow_walk_in = walk((1.6, 0.0, 2.0), SERVICE_AT, 1.0, 6.0)  # 1.8 s in the gap
    run = run_tracks(make_engine(config), [staff_looking((8.0, 9.0)),
                                           customer(at=slow_walk_in, start_t=0.0, end_t=12.0)],
                     18.0)
    assert only_visit_events(run.events) == [
        "customer_arrived", "customer_acknowledged", "customer_left"]
    assert run.one("customer_left").first_seen_t == pytest.approx(0.0)


# ---------------------------------------------------------------------- several people


def test_two_customers_at_once_are_timed_separately() -> None:
    other_at = still((0.0, 0.0, 2.5))  # also in the service zone, a little further back
    staff = Actor(1, STAFF_SPOT, looks(AWAY, (5.0, 6.0, at_actor(STAFF_SPOT, WALK_IN))))
    first, second = customer(2, end_t=14.0), customer(3, at=other_at, start_t=1.0, end_t=14.0)
    run = run_tracks(make_engine(), [staff, first, second], 15.0)
    acks = run.of("customer_acknowledged")
    assert [e.track_id for e in acks] == [2]
    waiting = run.of("customer_waiting")
    assert [e.track_id for e in waiting] == [3]
    outcomes = {e.track_id: e.outcome for e in run.of("customer_left")}
    assert outcomes == {2: Outcome.ACKNOWLEDGED, 3: Outcome.ABANDONED}
    assert len({e.visit_id for e in run.of("customer_left")}) == 2


def test_no_staff_visible_makes_the_counter_unattended_until_staff_return() -> None:
    staff = staff_looking(start_t=8.0)
    run = run_tracks(make_engine(), [staff, customer(end_t=14.0)], 15.0)
    unattended = run.one("counter_unattended")
    assert unattended.t == pytest.approx(ARRIVAL_T + 2.0, abs=FRAME_S)
    assert unattended.visit_id is None
    attended = run.one("counter_attended")
    assert attended.t == pytest.approx(8.0 + 1.0, abs=FRAME_S)  # staff after the role hysteresis
    assert attended.detail == "staff returned"


def test_staff_leaving_makes_a_waiting_counter_unattended_after_the_delay() -> None:
    staff = staff_looking(end_t=4.0)
    run = run_tracks(make_engine(), [staff, customer(end_t=9.0)], 10.0)
    assert run.one("counter_unattended").t == pytest.approx(4.0 + 2.0, abs=FRAME_S)
    assert run.one("counter_attended").detail == "no customer waiting"


def test_two_counters_each_time_their_own_customers() -> None:
    config = make_config(counters=[
        {"id": "left", "zones": zones(0.0, 0.5)},
        {"id": "right", "zones": zones(0.5, 1.0)},
    ])
    # Counter "left": staff at u 0.1, customer u 0.25; "right": staff u 0.6, customer u 0.7.
    left_staff_at, left_cust_at = (-1.6, 0.0, 2.0), (-1.0, 0.0, 2.0)
    right_staff_at, right_cust_at = (0.4, 0.0, 2.0), (1.2, 0.0, 3.0)  # off the left staff's ray
    left_staff = Actor(1, still(left_staff_at), looks(AWAY, (4.0, 5.0, at_actor(
        still(left_staff_at), still(left_cust_at)))))
    right_staff = Actor(2, still(right_staff_at), looks(AWAY))
    left_cust = customer(3, at=still(left_cust_at), end_t=14.0)
    right_cust = customer(4, at=still(right_cust_at), end_t=14.0)
    run = run_tracks(make_engine(config), [left_staff, right_staff, left_cust, right_cust], 15.0)
    assert {(e.counter_id, e.track_id) for e in run.of("customer_acknowledged")} == {("left", 3)}
    assert {(e.counter_id, e.track_id) for e in run.of("customer_waiting")} == {("right", 4)}
    states = make_engine(config).counter_states(0.0)
    assert sorted(states) == ["left", "right"]


# ---------------------------------------------------------------------- masks and tracker


def test_faces_in_an_ignore_mask_are_dropped_before_tracking() -> None:
    poster = [[0.5, 0.1], [0.6, 0.1], [0.6, 0.4], [0.5, 0.4]]
    config = make_config(counters=[{"id": "counter-1", "zones": zones(ignore=[poster])}])
    poster_at = (0.0, -0.5, 2.0)  # u 0.5, v 0.28: in the service zone, inside the mask
    staring_poster = Actor(7, still(poster_at), looks(INTO_LENS))
    engine = make_engine(config)
    run = run_observations(engine, [staff_looking(), staring_poster], 15.0)
    assert run.events == []
    assert [v.role for v in engine.tracks_view()] == ["staff"]


def test_the_full_pipeline_through_the_tracker() -> None:
    engine = make_engine()
    run = run_observations(engine, [staff_looking((5.0, 7.0)), customer(end_t=12.0)], 14.0)
    assert only_visit_events(run.events) == [
        "customer_arrived", "customer_acknowledged", "customer_left"]
    ack = run.one("customer_acknowledged")
    assert ack.ack_t == pytest.approx(5.0)
    assert ack.arrival_t == pytest.approx(ARRIVAL_T)
    assert run.one("customer_left").left_t == pytest.approx(12.0)


# ---------------------------------------------------------------------- live zone changes


def test_zones_set_mid_run_apply_from_the_next_frame() -> None:
    """A customer outside every zone becomes one from the first frame after the change."""
    engine = make_engine(make_config(counters=[{"id": "counter-1", "zones": zones(0.6, 1.0)}]))
    whole_image = make_config().counters
    seen: dict[str, object] = {}

    def between(e: Engine, t: float) -> list[Event]:
        if t == 3.0:
            assert [v.role for v in e.tracks_view()] == [None]  # outside the zones so far
            e.set_zones(whole_image)
            assert [v.role for v in e.tracks_view()] == [None]  # nothing moves between frames
        if abs(t - (3.0 + FRAME_S)) < 1e-6:
            seen["role"] = [v.role for v in e.tracks_view()]
        return []

    standing = customer(at=still(SERVICE_AT), end_t=10.0)
    run = run_tracks(engine, [standing], 12.0, between=between)
    assert seen["role"] == ["customer"]  # a candidate from the next frame on
    arrived = run.one("customer_arrived")
    assert arrived.arrival_t == pytest.approx(3.0 + FRAME_S)
    assert arrived.first_seen_t == pytest.approx(0.5)  # the track carried on
    assert run.one("customer_left").left_t == pytest.approx(10.0)
    assert engine.visits.zones is engine.zones
    assert engine.config.counters == whole_image
    assert engine.zones.counters["counter-1"].service.points[0] == (0.35, 0.1)


def test_an_ignore_mask_set_mid_run_drops_the_person_under_it_from_the_next_frame() -> None:
    poster = [[0.5, 0.3], [0.6, 0.3], [0.6, 0.7], [0.5, 0.7]]  # over the customer (u 0.55)
    masked = make_config(counters=[{"id": "counter-1", "zones": zones(ignore=[poster])}])

    def between(e: Engine, t: float) -> list[Event]:
        if t == 6.0:
            e.set_zones(masked.counters)
        return []

    engine = make_engine()
    run = run_tracks(engine, [customer(at=still(SERVICE_AT), end_t=12.0)], 12.0,
                     between=between)
    left = run.one("customer_left")
    assert left.left_t == pytest.approx(6.0) and left.t == pytest.approx(6.0 + FRAME_S)
    assert engine.tracks_view() == []
    assert engine.zones.is_ignored(0.55, 0.5) and engine.visits.zones is engine.zones


def test_setting_zones_keeps_the_counters_runtime_state() -> None:
    engine = make_engine()
    engine.set_enabled("counter-1", False, 1.0)
    engine.snooze("counter-1", 60.0, 1.0)
    engine.set_zones(make_config(counters=[{"id": "counter-1", "zones": zones(0.2, 0.8),
                                            "enabled": True}]).counters)
    state = engine.counter_states(2.0)["counter-1"]
    assert state.enabled is False and state.snoozed_until_t == pytest.approx(61.0)


@pytest.mark.parametrize("ids", [["counter-2"], ["counter-1", "counter-2"]])
def test_zones_of_other_counters_are_refused_and_nothing_changes(ids: list[str]) -> None:
    engine = make_engine()
    zone_map, config = engine.zones, engine.config
    other = make_config(counters=[{"id": i, "zones": zones()} for i in ids]).counters
    with pytest.raises(ValueError, match="other counters"):
        engine.set_zones(other)
    assert engine.zones is zone_map and engine.visits.zones is zone_map
    assert engine.config is config


# ---------------------------------------------------------------------- commands


def press_at(counter_id: str, press_t: float):
    def between(engine: Engine, t: float) -> list[Event]:
        return engine.acknowledge(counter_id, t) if abs(t - press_t) < 1e-6 else []
    return between


def test_button_acknowledges_the_longest_waiting_customer() -> None:
    early = customer(2, at=still(SERVICE_AT), start_t=0.0, end_t=14.0)
    later = customer(3, at=still((0.0, 0.0, 2.5)), start_t=3.0, end_t=14.0)
    run = run_tracks(make_engine(), [staff_looking(), early, later], 15.0,
                     between=press_at("counter-1", 6.0))
    ack = run.one("customer_acknowledged")
    assert ack.track_id == 2 and ack.ack_by is AckSource.BUTTON
    assert ack.ack_t == pytest.approx(6.0) and ack.t == pytest.approx(6.0)
    assert ack.latency_s == pytest.approx(6.0)
    assert ack.wall_time == pytest.approx(1_700_000_006.0)
    assert [e.track_id for e in run.of("customer_waiting")] == [3]


def test_button_with_nobody_waiting_does_nothing() -> None:
    engine = make_engine()
    assert engine.acknowledge("counter-1", 1.0) == []
    with pytest.raises(ValueError, match="unknown counter"):
        engine.acknowledge("nope", 1.0)


def test_snooze_holds_alerts_back_until_it_ends() -> None:
    def between(engine: Engine, t: float) -> list[Event]:
        if abs(t - 5.0) < 1e-6:
            return engine.snooze("counter-1", 15.0, t)
        if abs(t - 13.0) < 1e-6:
            state = engine.counter_states(t)["counter-1"]
            assert state.alert is False and state.customers_waiting == 1
            assert state.snoozed_until_t == pytest.approx(20.0)
        return []

    run = run_tracks(make_engine(), [staff_looking(), customer(end_t=25.0)], 26.0,
                     between=between)
    waiting = run.one("customer_waiting")
    assert waiting.t == pytest.approx(20.0, abs=FRAME_S)  # when the snooze ended
    assert waiting.waited_s == pytest.approx(20.0 - ARRIVAL_T, abs=FRAME_S)


def test_snooze_rejects_negative_seconds() -> None:
    with pytest.raises(ValueError, match="snooze"):
        make_engine().snooze("counter-1", -1.0, 0.0)


def test_a_disabled_counter_raises_no_alerts_but_still_records_visits() -> None:
    def between(engine: Engine, t: float) -> list[Event]:
        return engine.set_enabled("counter-1", False, t) if t == 0.0 else []

    run = run_tracks(make_engine(), [customer(end_t=35.0)], 36.0, between=between)
    assert only_visit_events(run.events) == ["customer_arrived", "customer_left"]
    assert run.of("counter_unattended") == []
    assert run.one("customer_left").outcome is Outcome.ABANDONED


def test_disabling_an_unattended_counter_clears_it() -> None:
    engine = make_engine()

    def between(e: Engine, t: float) -> list[Event]:
        return e.set_enabled("counter-1", False, t) if abs(t - 8.0) < 1e-6 else []

    run = run_tracks(engine, [customer(end_t=12.0)], 12.0, between=between)
    assert run.kinds().count("counter_unattended") == 1
    assert run.one("counter_attended").detail == "counter disabled"
    assert engine.counter_states(12.0)["counter-1"].enabled is False


def test_finish_closes_open_visits_as_interrupted() -> None:
    engine = make_engine()
    run = run_tracks(engine, [staff_looking(), customer()], 5.0, finish=True)
    left = run.one("customer_left")
    assert left.outcome is Outcome.INTERRUPTED
    assert left.wall_time == pytest.approx(1_700_000_005.0 + FRAME_S)  # extrapolated
    assert engine.counter_states(6.0)["counter-1"].customers == ()


def test_camera_offline_interrupts_visits_once_and_online_is_reported() -> None:
    engine = make_engine()
    run = run_tracks(engine, [staff_looking(), customer()], 5.0)
    off = engine.camera_status(False, 5.5, detail="read failed")
    assert [e.type for e in off] == [EventType.CAMERA_OFFLINE, EventType.CUSTOMER_LEFT]
    assert off[0].detail == "read failed"
    assert off[1].outcome is Outcome.INTERRUPTED
    assert engine.camera_status(False, 6.0) == []
    assert [e.type for e in engine.camera_status(True, 7.0)] == [EventType.CAMERA_ONLINE]
    assert run.one("customer_arrived").visit_id == off[1].visit_id


# ---------------------------------------------------------------------- state and views


def test_counter_state_while_a_customer_waits_past_the_alert() -> None:
    engine = make_engine()
    run_tracks(engine, [staff_looking(), customer()], 14.0)
    state = engine.counter_states(14.0)["counter-1"]
    assert state.customers_waiting == 1
    assert state.longest_wait_s == pytest.approx(14.0 - ARRIVAL_T)
    assert state.alert is True and state.escalated is False
    assert state.staff_present is True and state.unattended is False
    (waiting,) = state.customers
    assert waiting.arrived and waiting.alert and not waiting.acknowledged
    assert state.to_json()["customers"][0]["track_id"] == 2


def test_tracks_view_shows_roles_and_who_looks_at_whom() -> None:
    engine = make_engine()
    run_tracks(engine, [staff_looking((5.0, 9.0)), customer()], 6.0)
    view = {v.track_id: v for v in engine.tracks_view()}
    assert view[1].role == "staff" and view[1].role_fixed
    assert view[1].looking_at == (2,) and view[1].contact_with == (2,)
    assert view[2].role == "customer" and view[2].visit_state == "acknowledged"
    assert view[2].counter_id == "counter-1"


def test_frames_not_after_the_last_are_skipped() -> None:
    engine = make_engine()
    engine.update_tracks(1.0, None, [], 1280, 720)
    assert engine.update_tracks(1.0, None, [], 1280, 720) == []
    assert engine.update_tracks(0.5, None, [], 1280, 720) == []
    assert engine.skipped_frames == 2


def test_events_carry_no_wall_time_when_the_source_has_none() -> None:
    run = run_tracks(make_engine(), [staff_looking((5.0, 7.0)), customer(end_t=8.0)], 9.0,
                     wall0=None)
    assert run.events and all(e.wall_time is None for e in run.events)
    assert all(e.site_id == "site-1" for e in run.events)
    assert len({e.event_id for e in run.events}) == len(run.events)


MISREAD = 1.2
"""The customer's face size misread (dim light, a darker skin): her head is placed
20 % further from the camera than it is, along the same line of sight."""


def _misread_customer(uncertainty: float) -> Actor:
    def measured(t: float) -> tuple[float, ...]:
        return tuple(MISREAD * c for c in SERVICE_AT)

    return Actor(2, measured, looks(INTO_LENS), start_t=0.5, end_t=12.0,
                 range_uncertainty=uncertainty)


def test_a_look_at_a_head_whose_distance_was_misread_counts_when_perception_says_so() -> None:
    """Staff look straight at her real head; the engine places it 20 % too far, which
    puts the look outside the 12-degree cone. Perception reports the distance good to
    only 25 %: the look is tested along that stretch of her line of sight."""
    staff = Actor(1, STAFF_SPOT, looks(AWAY, (5.0, 7.0, at_actor(STAFF_SPOT, still(SERVICE_AT)))))
    sure = run_tracks(make_engine(), [staff, _misread_customer(0.0)], 13.0)
    assert sure.of("customer_acknowledged") == []  # the 20 % error alone hides the look
    unsure = run_tracks(make_engine(), [staff, _misread_customer(0.25)], 13.0)
    assert unsure.one("customer_acknowledged").ack_t == pytest.approx(5.0, abs=0.1)


def test_a_coarse_gaze_is_not_given_the_benefit_of_the_doubt() -> None:
    """The same look, measured from a face turned so far that only the detector's
    keypoints saw it: its gaze is too coarse to be tested along her line of sight."""
    look = at_actor(STAFF_SPOT, still(SERVICE_AT))
    staff = Actor(1, STAFF_SPOT, looks(AWAY, (5.0, 7.0, look)), meshed=False)
    run = run_tracks(make_engine(), [staff, _misread_customer(0.25)], 13.0)
    assert run.of("customer_acknowledged") == []


@pytest.mark.parametrize("look", ["down at the counter", "60 degrees aside"])
def test_the_distance_uncertainty_does_not_turn_a_look_elsewhere_into_contact(
        look: str) -> None:
    """The stretch of her line of sight is wide sideways (25 % of 2.4 m is 0.6 m, which
    seen from the till 1.2 m away is up to 27 degrees), but not up or down, nor that far."""
    away = AWAY if look.startswith("down") else at_actor(STAFF_SPOT, still(SERVICE_AT),
                                                         off_deg=60.0)
    staff = Actor(1, STAFF_SPOT, looks(AWAY, (5.0, 7.0, away)))
    run = run_tracks(make_engine(), [staff, _misread_customer(0.25)], 13.0)
    assert run.of("customer_acknowledged") == []


def test_events_say_whether_the_acknowledgement_came_before_arrival(
        event_validator: object) -> None:
    """Schema version 3: every event with a latency carries ``ack_before_arrival``,
    true for a look during the approach, false for one after the arrival."""
    early = run_tracks(make_engine(), [staff_looking((0.8, 1.8)), customer(end_t=10.0)], 11.0)
    late = run_tracks(make_engine(), [staff_looking((5.0, 6.0)), customer(end_t=10.0)], 11.0)
    for run, flag in ((early, True), (late, False)):
        for name in ("customer_acknowledged", "customer_left"):
            event = run.one(name)
            assert event.ack_before_arrival is flag
            assert event.to_json()["ack_before_arrival"] is flag
            assert event_validator.is_valid(event.to_json())  # type: ignore[attr-defined]
    # The arrival after a look in the approach already carries the latency and the flag.
    assert early.one("customer_arrived").ack_before_arrival is True
    assert late.one("customer_arrived").ack_before_arrival is None

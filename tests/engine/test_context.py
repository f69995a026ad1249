"""Staff context rules on hand-placed heads and gazes (camera frame, metres)."""

from __future__ import annotations

import json
import math
from importlib import resources

import numpy as np
import pytest
from engine_scenes import (
    SERVICE_AT,
    STAFF_AT,
    Actor,
    at_actor,
    looks,
    make_config,
    make_engine,
    run_tracks,
    still,
    zones,
)

from frontdesk.engine.context import (
    CONTEXTS,
    Context,
    ContextRule,
    ContextTally,
    Head,
    activity,
    frame_shares,
)

S = (-0.6, 0.0, 2.0)
"""A staff member, 1.2 m across the counter from the customer."""
S2 = (-0.6, 0.0, 2.8)
"""A colleague beside them, 0.8 m along the counter."""
C = (0.6, 0.0, 2.0)
"""The waiting customer."""
OTHER = (0.6, 0.0, 2.8)
"""Another customer at the counter, beside her."""
RULE = ContextRule(looking_down_deg=25.0)


def toward(a, b, down_deg: float = 0.0, side_deg: float = 0.0):
    """Unit gaze from ``a`` toward ``b``, then pitched ``down_deg`` down and turned
    ``side_deg`` in the horizontal plane."""
    d = np.subtract(b, a).astype(float)
    yaw = math.atan2(d[0], d[2]) + math.radians(side_deg)
    pitch = math.radians(down_deg)
    return (math.cos(pitch) * math.sin(yaw), math.sin(pitch), math.cos(pitch) * math.cos(yaw))


def down(deg: float):
    """Facing the customer side, head pitched ``deg`` below the horizontal."""
    return toward(S, C, down_deg=deg)


CASES = [
    # (name, my gaze, colleague gaze (None: no colleague), other customer?, in focus, expected)
    ("looks at the waiting customer", toward(S, C), None, False, False, Context.ATTENTIVE),
    ("looks toward her side, 30 deg off", toward(S, C, side_deg=30), None, False, False,
     Context.ATTENTIVE),
    ("two staff facing each other", toward(S, S2), toward(S2, S), False, False, Context.TALKING),
    ("looks at a colleague who looks elsewhere", toward(S, S2), toward(S2, C), False, False,
     Context.TURNED_AWAY),
    ("looks at a colleague whose face is hidden (turned to me)", toward(S, S2), "hidden",
     False, False, Context.TALKING),
    ("head pitched 40 deg down", down(40), None, False, False, Context.LOOKING_DOWN),
    ("head pitched 20 deg down: still attentive", down(20), None, False, False,
     Context.ATTENTIVE),
    ("looks at another customer", toward(S, OTHER), None, True, False, Context.SERVING_OTHER),
    ("looks where another would stand, nobody there", toward(S, OTHER), None, False, False,
     Context.ATTENTIVE),
    ("back to the counter", toward(S, C, side_deg=180), None, False, False, Context.TURNED_AWAY),
    ("face hidden, body seen", None, None, False, False, Context.TURNED_AWAY),
    ("in a focus zone, looking down", down(50), None, False, True, Context.FOCUS_WORK),
    ("in a focus zone, looking at her", toward(S, C), None, False, True, Context.FOCUS_WORK),
]


@pytest.mark.parametrize("name, gaze, mate_gaze, other, in_focus, expected", CASES,
                         ids=[c[0] for c in CASES])
def test_activity(name, gaze, mate_gaze, other, in_focus, expected) -> None:
    me = Head(1, S, gaze)
    if mate_gaze is None:
        colleagues = [me]
    else:
        colleagues = [me, Head(2, S2, None if mate_gaze == "hidden" else mate_gaze)]
    customer = Head(10, C, toward(C, S))
    others = [customer] + ([Head(11, OTHER, toward(OTHER, S))] if other else [])
    assert activity(me, customer, colleagues, others, RULE, in_focus) is expected


def test_face_hidden_while_a_colleague_looks_at_me_is_talking() -> None:
    me, customer = Head(1, S, None), Head(10, C, None)
    assert activity(me, customer, [me, Head(2, S2, toward(S2, S))], [], RULE) is Context.TALKING
    assert activity(me, customer, [me, Head(2, S2, toward(S2, C))], [], RULE) is \
        Context.TURNED_AWAY


def test_a_face_only_the_detector_reads_turned_to_the_camera_is_looking_down() -> None:
    # Face Mesh loses a head pitched far down; the keypoints' pose reads it near level.
    to_camera = toward(S, (0.0, 0.0, 0.0), down_deg=5)
    customer = Head(10, C, None)
    assert activity(Head(1, S, to_camera, coarse=True), customer, [], [], RULE) is \
        Context.LOOKING_DOWN
    assert activity(Head(1, S, to_camera), customer, [], [], RULE) is not Context.LOOKING_DOWN
    profile = toward(S, (0.0, 0.0, 0.0), side_deg=80)  # mesh lost in profile: not down
    assert activity(Head(1, S, profile, coarse=True), customer, [], [], RULE) is not \
        Context.LOOKING_DOWN


def test_looking_down_threshold_is_the_setting() -> None:
    me, customer = Head(1, S, down(30)), Head(10, C, None)
    assert activity(me, customer, [me], [], ContextRule(25.0)) is Context.LOOKING_DOWN
    assert activity(me, customer, [me], [], ContextRule(35.0)) is Context.ATTENTIVE


def test_frame_shares_split_among_staff_present() -> None:
    assert frame_shares([]) == {Context.ABSENT: 1.0}
    assert frame_shares([Context.TALKING, Context.TALKING]) == {Context.TALKING: 1.0}
    assert frame_shares([Context.TALKING, Context.ATTENTIVE]) == {
        Context.TALKING: 0.5, Context.ATTENTIVE: 0.5}


def test_tally_weights_frames_by_time_and_names_the_dominant() -> None:
    tally = ContextTally()
    assert tally.dominant() is None and tally.shares() == {}
    for i in range(30):  # 2 s talking, then 1 s looking down, at 15 fps
        tally.add(i / 15, {Context.TALKING: 1.0}, 1 / 15)
    for i in range(30, 45):
        tally.add(i / 15, {Context.LOOKING_DOWN: 1.0}, 1 / 15)
    shares = tally.shares()
    assert list(shares) == [c.value for c in CONTEXTS]
    assert shares["talking"] == pytest.approx(2 / 3, abs=0.01)
    assert shares["looking_down"] == pytest.approx(1 / 3, abs=0.01)
    assert sum(shares.values()) == pytest.approx(1.0, abs=0.01)
    assert tally.dominant() is Context.TALKING
    assert not tally.focus_only
    tally.add(3.1, {Context.FOCUS_WORK: 1.0}, 1 / 15)
    assert tally.focus_only


def test_the_schema_vocabulary_is_the_engines() -> None:
    schema = json.loads(resources.files("frontdesk.schemas").joinpath(
        "event.schema.json").read_text())
    assert schema["$defs"]["context_word"]["enum"] == [c.value for c in CONTEXTS]
    assert schema["properties"]["context_shares"]["required"] == [c.value for c in CONTEXTS]


# ---------------------------------------------------------------------- through the engine

STAFF2_AT = (-1.0, 0.0, 2.8)
"""A second staff member in the scenes' staff zone (u < 0.35), beside the first."""


def _customer(end_t: float = 20.0) -> Actor:
    return Actor(3, still(SERVICE_AT), looks((0.0, 0.0, -1.0)), start_t=0.5, end_t=end_t)


def _run(staff: list[Actor], t1: float = 21.0, **engine):
    return run_tracks(make_engine(**engine), staff + [_customer()], t1)


def test_two_staff_chatting_alert_carries_talking() -> None:
    a = Actor(1, still(STAFF_AT), at_actor(still(STAFF_AT), still(STAFF2_AT)))
    b = Actor(2, still(STAFF2_AT), at_actor(still(STAFF2_AT), still(STAFF_AT)))
    run = _run([a, b])
    alert = run.one("customer_waiting")
    assert alert.context == "talking"
    assert alert.context_shares is not None and alert.context_shares["talking"] > 0.9
    left = run.one("customer_left")
    assert left.context == "talking"


def test_staff_looking_down_at_the_till_alert_carries_looking_down() -> None:
    till = (0.0, 0.8, 0.6)  # 53 degrees below the horizontal
    run = _run([Actor(1, still(STAFF_AT), looks(till))])
    assert run.one("customer_waiting").context == "looking_down"


def test_nobody_at_the_counter_is_absent() -> None:
    run = _run([])
    alert = run.one("customer_waiting")
    assert alert.context == "absent" and alert.context_shares["absent"] == 1.0


def test_acknowledgement_carries_the_context_of_the_wait() -> None:
    # Looks down for 6 s after her arrival, then at her: acknowledged, mostly looking down.
    gaze = looks((0.0, 0.8, 0.6), (6.0, 8.0, at_actor(still(STAFF_AT), still(SERVICE_AT))))
    run = _run([Actor(1, still(STAFF_AT), gaze)])
    ack = run.one("customer_acknowledged")
    assert ack.context == "looking_down"
    assert ack.context_shares["attentive"] > 0.0  # the look itself, until its dwell held
    assert run.of("customer_waiting") == []


def _focus_config(**engine):
    z = zones()
    z["focus"] = [[[0.0, 0.1], [0.35, 0.1], [0.35, 0.9], [0.0, 0.9]]]  # the whole staff zone
    return make_config([{"id": "counter-1", "zones": z}], **engine)


def test_focus_work_holds_the_alert_to_the_longer_target() -> None:
    from frontdesk.engine import Engine

    pharmacist = Actor(1, still(STAFF_AT), looks((0.0, 0.8, 0.6)))
    cfg = _focus_config(focus_alert_after_s=15.0, escalate_after_s=30.0)
    run = run_tracks(Engine(cfg), [pharmacist, _customer(end_t=40.0)], 41.0)
    alert = run.one("customer_waiting")
    assert alert.context == "focus_work"
    assert alert.waited_s == pytest.approx(15.0, abs=0.1)  # not at alert_after_s (10 s)
    escalated = run.one("customer_escalated")
    assert escalated.waited_s == pytest.approx(35.0, abs=0.1)  # 30 s + the same 5 s hold
    # Without the focus zone the same scene alerts at 10 s, looking down.
    plain = run_tracks(make_engine(escalate_after_s=30.0),
                       [pharmacist, _customer(end_t=40.0)], 41.0)
    assert plain.one("customer_waiting").waited_s == pytest.approx(10.0, abs=0.1)
    assert plain.one("customer_waiting").context == "looking_down"


def test_focus_work_snooze_still_silences() -> None:
    from frontdesk.engine import Engine

    pharmacist = Actor(1, still(STAFF_AT), looks((0.0, 0.8, 0.6)))
    engine = Engine(_focus_config(focus_alert_after_s=15.0))
    engine.snooze("counter-1", 60.0, 0.0)
    run = run_tracks(engine, [pharmacist, _customer()], 21.0)
    assert run.of("customer_waiting") == []
    assert run.one("customer_left").context == "focus_work"


@pytest.mark.parametrize("occupied, want", [(True, "turned_away"), (False, "absent")])
def test_an_occupied_staff_zone_without_a_staff_track_is_turned_away(occupied: bool,
                                                                      want: str) -> None:
    from engine_scenes import HEIGHT, WIDTH, tracked

    from frontdesk.types import OccupancyGrid

    engine = make_engine()
    cara = _customer()
    cells = np.zeros((27, 48), dtype=bool)
    if occupied:  # someone with their back to the camera in the staff zone (x < 0.35)
        cells[8:22, 4:12] = True
    grid = OccupancyGrid(cells)
    alert = None
    for i in range(int(15 * 15)):
        t = i / 15
        events = engine.update_tracks(t, None, [tracked(cara, t)] if cara.present(t) else [],
                                      WIDTH, HEIGHT, grid)
        alert = next((e for e in events if e.type.value == "customer_waiting"), alert)
    assert alert is not None and alert.context == want


def test_staff_under_a_new_track_at_the_same_place_is_one_person() -> None:
    """The member of staff at the till, head down, is re-tracked at 3 s (a new track
    id, the same place; the zone stays occupied). The lost track's place is hers: it
    is not a second member of staff, face hidden, turned away."""
    from engine_scenes import HEIGHT, WIDTH, tracked

    from frontdesk.types import OccupancyGrid

    till = looks((0.0, 0.8, 0.6))
    first = Actor(1, still(STAFF_AT), till, end_t=3.0)
    again = Actor(5, still(STAFF_AT), till, start_t=3.2)
    cara = _customer()
    cells = np.zeros((27, 48), dtype=bool)
    cells[4:27, 0:17] = True  # the staff zone (x < 0.35) occupied all along
    engine = make_engine()
    alert = None
    for i in range(int(15 * 15)):
        t = i / 15
        people = [a for a in (first, again, cara) if a.present(t)]
        events = engine.update_tracks(t, None, [tracked(a, t) for a in people], WIDTH, HEIGHT,
                                      OccupancyGrid(cells))
        alert = next((e for e in events if e.type.value == "customer_waiting"), alert)
    assert alert is not None and alert.context == "looking_down"
    assert alert.context_shares is not None and alert.context_shares["looking_down"] > 0.95

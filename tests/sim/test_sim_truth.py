"""Ground truth against timings worked out by hand for a tiny scripted scene."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from frontdesk.sim.render import DetectorModel, sample_person
from frontdesk.sim.runs import sim_config
from frontdesk.sim.script import ScriptError, load_scene, scene_from_dict
from frontdesk.sim.truth import Truth, compute_truth, judge_alerts, runs

TINY = Path(__file__).parent / "scenes" / "counter_tiny.yaml"


@pytest.fixture(scope="module")
def truth() -> Truth:
    return compute_truth(load_scene(TINY), sim_config(), fps=15)


def _visit(truth: Truth, person: str):  # type: ignore[no-untyped-def]
    return next(v for v in truth.visits if v.person == person)


def test_customer_at_the_counter_is_acknowledged_by_the_held_look_not_the_glance(
        truth: Truth) -> None:
    bob = _visit(truth, "bob")
    # Appears at the service spot at 2.0; anna glances 5.0-5.3 (< 0.5 s dwell), then
    # looks at him 8.0-9.0: the acknowledgement is the start of that look.
    assert bob.first_seen_t == pytest.approx(2.0)
    assert bob.arrival_t == pytest.approx(2.0)
    assert bob.arrival_by == "service"
    assert bob.ack_t == pytest.approx(8.0)
    assert bob.ack_staff == "anna"
    assert bob.latency_s == pytest.approx(6.0)
    assert bob.left_t == pytest.approx(14.0, abs=0.006)  # turns round at 14.0
    assert bob.outcome == "acknowledged"
    assert bob.alert is False and bob.escalation is False


def test_queueing_customer_arrives_when_she_stops_and_an_unseen_look_does_not_count(
        truth: Truth) -> None:
    carol = _visit(truth, "carol")
    # Walks in from t = 1 and stands still at the first queue spot from t = 3 to 20.
    assert carol.first_seen_t == pytest.approx(1.0)
    assert carol.arrival_t == pytest.approx(3.0)
    assert carol.arrival_by == "still"
    # anna looks at her from 11 to 13, but turned away from the camera: not measurable.
    scene = load_scene(TINY)
    t = np.arange(11.0, 13.0, 0.1)
    anna = sample_person(scene, scene.person("anna"), t, DetectorModel())
    assert not anna.visible.any()
    assert carol.ack_t is None
    assert carol.outcome == "abandoned"
    # Waited from 3.0 past 13.0 (alert) but gave up at 20.0, before 33.0 (escalation).
    assert carol.alert is True
    assert carol.escalation is False
    assert carol.left_t == pytest.approx(20.0, abs=0.006)


def test_a_glimpse_shorter_than_the_role_hysteresis_is_no_visit() -> None:
    scene = load_scene(TINY)
    dave = scene.person("dave")
    dave.path = type(dave.path)([w if w.t != 17.5 else type(w)(15.9, w.position)
                                 for w in dave.path.waypoints])
    truth = compute_truth(scene, sim_config(), fps=15)
    assert [v.person for v in truth.visits] == ["carol", "bob"]
    # ... but a glimpse: seen in the zones from 15.0 until he turns away at 15.9, where.
    (glimpse,) = truth.glimpses
    assert glimpse.person == "dave" and glimpse.counter_id == truth.counters[0]
    assert (glimpse.first_seen_t, glimpse.left_t) == pytest.approx((15.0, 15.9), abs=0.006)
    assert [s[0] for s in glimpse.samples] == pytest.approx([15.0, 15.5], abs=0.006)
    s = sample_person(scene, dave, np.array([15.0]), DetectorModel())
    w, h = scene.layout.image_size
    assert glimpse.samples[0][1:] == pytest.approx((s.u[0] / w, s.v[0] / h), abs=1e-4)


def test_passer_by_never_arrives(truth: Truth) -> None:
    dave = _visit(truth, "dave")
    assert dave.first_seen_t == pytest.approx(15.0)
    assert dave.arrival_t is None
    assert dave.outcome == "passed_by"
    assert dave.left_t == pytest.approx(17.5, abs=0.006)  # turns away at 17.5
    assert dave.alert is False


def test_truth_file_round_trip(truth: Truth, tmp_path: Path) -> None:
    path = tmp_path / "truth.json"
    truth.save(path)
    back = Truth.load(path)
    assert [v.to_json() for v in back.visits] == [v.to_json() for v in truth.visits]
    assert back.engine == truth.engine
    assert back.duration_s == pytest.approx(34.0)
    assert all(len(v.samples) > 0 for v in back.visits)
    assert back.glimpses == truth.glimpses == []  # everyone here stays long enough


def test_truth_file_rejects_other_formats(tmp_path: Path) -> None:
    p = tmp_path / "x.json"
    p.write_text('{"format": "something-else", "visits": []}')
    with pytest.raises(ValueError, match="not a truth file"):
        Truth.load(p)


@pytest.mark.parametrize("arrival,ack,left,expected", [
    (None, None, 50.0, False),        # never arrived
    (0.0, None, 50.0, True),          # waited past the deadline, never greeted
    (0.0, 5.0, 50.0, False),          # greeted in time
    (0.0, 12.0, 50.0, True),          # greeted late
    (0.0, 10.05, 50.0, None),         # greeted within two frames of the deadline
    (0.0, None, 9.5, None),           # left within grace of the deadline: cannot know yet
    (0.0, None, 5.0, False),          # left well before the deadline
])
def test_judge_alerts(arrival: float | None, ack: float | None, left: float,
                      expected: bool | None) -> None:
    assert judge_alerts(arrival, ack, left, 10.0, grace_s=1.0, margin_s=2 / 15) is expected


def test_runs_finds_stretches() -> None:
    assert runs(np.array([0, 1, 1, 0, 1, 0, 0, 1], dtype=bool)) == [(1, 2), (4, 4), (7, 7)]
    assert runs(np.zeros(4, dtype=bool)) == []


def test_script_errors_name_the_entry() -> None:
    bad = {"people": [{"id": "a", "role": "customer",
                       "path": [{"t": 0, "at": "nowhere"}, {"t": 1, "at": "service"}]}]}
    with pytest.raises(ScriptError, match=r"people\[0\]\.path\[0\]: unknown spot 'nowhere'"):
        scene_from_dict(bad)
    two_targets = {"people": [{"id": "a", "role": "staff",
                               "path": [{"t": 0, "at": "staff"}, {"t": 1, "at": "staff"}],
                               "gaze": [{"t": 0, "walk": True, "camera": True}]}]}
    with pytest.raises(ScriptError, match=r"gaze\[0\]: give exactly one"):
        scene_from_dict(two_targets)
    unknown_person = {"people": [{"id": "a", "role": "staff",
                                  "path": [{"t": 0, "at": "staff"}, {"t": 1, "at": "staff"}],
                                  "gaze": [{"t": 0, "person": "zed"}]}]}
    with pytest.raises(ScriptError, match="unknown person 'zed'"):
        scene_from_dict(unknown_person)


@pytest.mark.parametrize("stand_s,primary_is_still", [(2.95, False), (3.05, True), (2.5, False)])
def test_a_stand_at_the_threshold_gives_an_alternative_arrival(stand_s: float,
                                                               primary_is_still: bool) -> None:
    data = {"people": [
        {"id": "s", "role": "staff", "path": [{"t": 0, "at": "staff"}, {"t": 20, "at": "staff"}],
         "gaze": [{"t": 0, "till": True}]},
        {"id": "c", "role": "customer",
         "path": [{"t": 1, "at": [-3.5, 0.85, 1.65]}, {"t": 3, "at": "queue1"},
                  {"t": 3 + stand_s, "at": "queue1"}, {"t": 8, "at": "service"},
                  {"t": 15, "at": "service"}],
         "gaze": [{"t": 1, "walk": True, "turn_s": 0}]},
    ]}
    visit = compute_truth(scene_from_dict(data), sim_config(), fps=15).visits[0]
    service_entry = visit.arrival_alt_t if primary_is_still else visit.arrival_t
    if stand_s == 2.5:  # clearly short of 3 s: no doubt, the arrival is at the counter
        assert visit.arrival_by == "service" and visit.arrival_alt_t is None
        return
    assert service_entry is not None and 3 + stand_s < service_entry < 8.0
    if primary_is_still:
        assert (visit.arrival_t, visit.arrival_by) == (pytest.approx(3.0), "still")
    else:
        assert visit.arrival_by == "service"
        assert visit.arrival_alt_t == pytest.approx(3.0)


def _look_scene(look_s: float, later_look: bool) -> dict:
    gaze = [{"t": 0, "till": True, "turn_s": 0}, {"t": 5, "person": "c", "turn_s": 0},
            {"t": 5 + look_s, "till": True, "turn_s": 0}]
    if later_look:
        gaze += [{"t": 8, "person": "c", "turn_s": 0}, {"t": 9, "till": True, "turn_s": 0}]
    return {"people": [
        {"id": "s", "role": "staff", "path": [{"t": 0, "at": "staff"}, {"t": 20, "at": "staff"}],
         "gaze": gaze},
        {"id": "c", "role": "customer",
         "path": [{"t": 2, "at": "service"}, {"t": 14, "at": "service"}],
         "gaze": [{"t": 2, "person": "s", "turn_s": 0}]},
    ]}


@pytest.mark.parametrize("look_s,later_look,ack,alt", [
    (1.0, True, 5.0, "none"),     # clearly held: no doubt
    (0.3, True, 8.0, "none"),     # clearly a glance: no doubt
    (0.5, True, 8.0, 5.0),        # 0.495 s on the 5 ms grid: a glance, but frames may see it held
    (0.55, True, 5.0, 8.0),       # held, but frames may see it as a glance
    (0.55, False, 5.0, None),     # ... and then there is no other look
])
def test_a_look_lasting_about_the_dwell_gives_an_alternative(
        look_s: float, later_look: bool, ack: float, alt: float | str | None) -> None:
    visit = compute_truth(scene_from_dict(_look_scene(look_s, later_look)), sim_config(),
                          fps=15).visits[0]
    assert visit.ack_t == pytest.approx(ack)
    if alt == "none":
        assert visit.ack_alt is False
    else:
        assert visit.ack_alt is True
        assert visit.ack_alt_t == (None if alt is None else pytest.approx(alt))


def test_gone_is_when_the_body_leaves_the_zones_not_when_the_face_is_last_seen(
        truth: Truth) -> None:
    # bob turns round at 14.0 (his face is last seen then), stands at the counter till
    # 14.5 with his back to the camera, then walks off unseen, through the approach
    # area, along the camera's line of sight: from (-0.8, 1.3) at 16 to (-7, 1.3) at
    # 22, 1.03 m/s. He is gone when he passes the approach area's far end (x = -5.0),
    # at 16 + 4.2 / 1.033 = 20.07 s, not when he vanishes at the entrance (22 s),
    # though his head stays inside the approach zone's image box till then.
    bob = _visit(truth, "bob")
    assert bob.left_t == pytest.approx(14.0, abs=0.006)
    assert bob.gone_t == pytest.approx(20.07, abs=0.05)
    # carol gives up at 20.0 (turns round: last seen), walks out from (-1.6, 0.85) at
    # 20.5 to (-7, 1.3) at 26: past x = -5.0 at 20.5 + 5.5 * 3.4 / 5.4 = 23.96 s.
    carol = _visit(truth, "carol")
    assert carol.left_t == pytest.approx(20.0, abs=0.006)
    assert carol.gone_t == pytest.approx(23.96, abs=0.05)
    for v in truth.visits:
        assert v.gone_t is not None and v.gone_t >= v.left_t


def test_gone_of_a_customer_still_there_at_the_end_is_the_end() -> None:
    scene = scene_from_dict({
        "duration_s": 12,
        "people": [{"id": "eve", "role": "customer",
                    "path": [{"t": 1, "at": "service"}, {"t": 20, "at": "service"}],
                    "gaze": [{"t": 1, "camera": True, "turn_s": 0},
                             {"t": 6, "heading": 180, "turn_s": 0}]}]})
    eve = compute_truth(scene, sim_config(), fps=15).visits[0]
    assert eve.left_t == pytest.approx(6.0, abs=0.006)  # faces away from 6 s, stays
    assert eve.gone_t == pytest.approx(12.0, abs=0.006)


def test_a_truth_file_without_gone_t_still_loads(truth: Truth, tmp_path: Path) -> None:
    data = truth.to_json()
    data["version"] = 2
    for v in data["visits"]:
        del v["gone_t"]
    back = Truth.from_json(data)
    assert all(v.gone_t is None for v in back.visits)
    assert [v.left_t for v in back.visits] == pytest.approx([v.left_t for v in truth.visits])

"""Evaluation: matching and scoring rules, and the engine on noise-free scenes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from frontdesk.cli import main
from frontdesk.sim.evaluate import EngineRun, EngineVisit, match_visits, run_engine, score
from frontdesk.sim.render import NOISE_PRESETS, render_frames
from frontdesk.sim.runs import sim_config
from frontdesk.sim.script import load_scene
from frontdesk.sim.truth import Glimpse, Truth, TruthVisit, compute_truth

TINY = Path(__file__).parent / "scenes" / "counter_tiny.yaml"
FRAME_S = 1.0 / 15.0


def _tv(name: str, first: float, left: float, arrival: float | None = None,
        ack: float | None = None, alert: bool | None = False, x: float = 0.8) -> TruthVisit:
    samples = [(t, x, 0.5) for t in (first, (first + left) / 2, left)]
    return TruthVisit(visit=name, counter_id="c", first_seen_t=first, left_t=left,
                      arrival_t=arrival, ack_t=ack, alert=alert, samples=samples)


def _ev(name: str, first: float, left: float, arrival: float | None = None,
        ack: float | None = None, alert: bool = False, x: float = 0.8) -> EngineVisit:
    samples = [(t, x, 0.5) for t in (first, (first + left) / 2, left)]
    return EngineVisit(visit_id=name, counter_id="c", first_seen_t=first, left_t=left,
                       arrival_t=arrival, ack_t=ack, alert=alert, samples=samples)


def _score(tvs: list[TruthVisit], evs: list[EngineVisit]) -> dict:
    truth = Truth(visits=tvs, duration_s=100.0, engine={"grace_s": 1.0})
    return score(truth, EngineRun(visits=evs, events=[], frames=0, end_t=100.0))


def test_a_perfect_engine_scores_one_everywhere() -> None:
    tvs = [_tv("a", 0, 20, 2, 5), _tv("b", 10, 40, 12, 30, alert=True, x=0.6),
           _tv("c", 50, 55)]
    evs = [_ev("1", 0, 20, 2, 5), _ev("2", 10, 40, 12, 30, alert=True, x=0.6), _ev("3", 50, 55)]
    s = _score(tvs, evs)
    assert s["visits"] == 3 and s["visits_matched"] == 3
    assert s["within_0_25_s"] == 1.0
    assert s["latency_error_s"] == {"p50": 0.0, "p95": 0.0, "max": 0.0}
    assert (s["alert_precision"], s["alert_recall"]) == (1.0, 1.0)
    assert (s["ack_precision"], s["ack_recall"]) == (1.0, 1.0)


def test_misses_and_false_alarms_count() -> None:
    tvs = [_tv("a", 0, 20, 2, 5), _tv("b", 10, 40, 12, 30, alert=True, x=0.6)]
    # a: acknowledged 0.4 s late; b: alert missed; plus a phantom visit with an alert and ack.
    evs = [_ev("1", 0, 20, 2, 5.4), _ev("2", 10, 40, 12, 30, alert=False, x=0.6),
           _ev("3", 60, 70, 61, 62, alert=True, x=0.2)]
    s = _score(tvs, evs)
    assert s["visits_matched"] == 2 and s["engine_visits"] == 3
    assert s["within_0_25_s"] == 0.5
    assert s["latency_error_s"]["max"] == pytest.approx(0.4)
    assert s["alert_recall"] == 0.0 and s["alert_precision"] == 0.0
    assert s["ack_precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["ack_recall"] == 1.0


def test_undecided_alerts_are_left_out() -> None:
    tvs = [_tv("a", 0, 20, 2, None, alert=None)]
    evs = [_ev("1", 0, 20, 2, None, alert=True)]
    s = _score(tvs, evs)
    assert s["alert_precision"] is None and s["alert_recall"] is None


def test_matching_uses_place_as_well_as_time() -> None:
    # Two customers at the same time, far apart in the image: each matches its own.
    tvs = [_tv("left", 0, 30, x=0.3), _tv("right", 0, 30, x=0.9)]
    evs = [_ev("R", 0, 29, x=0.9), _ev("L", 1, 30, x=0.3)]
    assert match_visits(tvs, evs) == [(0, 1), (1, 0)]
    # Same time but nowhere near: no match.
    assert match_visits([_tv("a", 0, 30, x=0.3)], [_ev("b", 0, 30, x=0.7)]) == []
    # No overlap in time: no match.
    assert match_visits([_tv("a", 0, 10)], [_ev("b", 20, 30)]) == []


def test_three_queueing_customers_are_not_swapped_by_a_visit_without_positions() -> None:
    # Three customers queue side by side in the image (0.04 apart, inside the 0.08
    # gate of each other). The engine has each of them right, a little off in place
    # as under noise, but found the middle one late (far in the queue) and has no
    # position samples for her. A pair without a position comparison used to cost
    # nothing for place, so the middle visit went to the third customer (a better
    # overlap in time) and the third's visit to the middle customer.
    tvs = [_tv("first", 0, 60, x=0.60), _tv("middle", 5, 62, x=0.64),
           _tv("third", 12, 64, x=0.68)]
    evs = [_ev("A", 0.2, 60, x=0.61), _ev("B", 14, 62), _ev("C", 12.2, 64, x=0.69)]
    evs[1].samples = []
    assert match_visits(tvs, evs) == [(0, 0), (1, 1), (2, 2)]
    # The same with the positions missing on the true side instead.
    tvs[1].samples = []
    evs[1] = _ev("B", 14, 62, x=0.645)
    assert match_visits(tvs, evs) == [(0, 0), (1, 1), (2, 2)]


def test_matching_chooses_the_pairs_together() -> None:
    # Engine visit 1 is nearest "a" but is also within the gate of "b"; engine
    # visit 2 can only be "a". Cheapest first would give 1 to "a" and leave "b"
    # and 2 unmatched; the least total cost matches both.
    tvs = [_tv("a", 0, 30, x=0.50), _tv("b", 0, 30, x=0.56)]
    evs = [_ev("1", 0, 30, x=0.51), _ev("2", 0, 30, x=0.45)]
    assert match_visits(tvs, evs) == [(0, 1), (1, 0)]


def test_engine_on_the_tiny_scene_is_exact_to_a_frame() -> None:
    scene = load_scene(TINY)
    cfg = sim_config()
    truth = compute_truth(scene, cfg, fps=15)
    run = run_engine(cfg, render_frames(scene, NOISE_PRESETS["none"]))
    s = score(truth, run)
    assert s["visits_matched"] == 3
    assert s["latency_error_s"]["max"] <= FRAME_S + 1e-3  # figures are rounded to 0.1 ms
    assert s["within_0_25_s"] == 1.0
    assert (s["alert_precision"], s["alert_recall"]) == (1.0, 1.0)
    assert (s["ack_precision"], s["ack_recall"]) == (1.0, 1.0)
    assert s["outcome_agreement"] == 1.0


def test_a_visit_has_the_samples_of_every_track_it_had_within_its_span() -> None:
    """Seed 105 at 1618 s: a face glimpsed for a second in the approach zone, its visit
    confirmed only as its face was lost, had no sample (they were taken only while a
    visit showed in the track view), so no place; a visit with no place is a
    candidate of every true visit at its time, and it was counted a "split" of the
    customer at the counter 0.25 of the frame away. Now a visit has the samples of
    its tracks, confirmed or not; the glimpse is unmatched and no split."""
    from frontdesk.sim.evaluate import visit_samples

    positions = {4: [(1618.3, 0.60, 0.43), (1618.9, 0.62, 0.44), (1625.0, 0.1, 0.1)],
                 9: [(1617.0, 0.87, 0.43)]}
    samples = visit_samples((1618.27, 1619.33), {4}, positions)
    assert samples == [(1618.3, 0.60, 0.43), (1618.9, 0.62, 0.44)]  # not after its span
    # a face that continued the visit brings its own track's samples, in time order
    assert [t for t, _, _ in visit_samples((1616.0, 1619.33), {4, 9}, positions)] == [
        1617.0, 1618.3, 1618.9]
    assert visit_samples((0.0, 1.0), {4}, positions) == []
    glimpse = EngineVisit("glimpse", "c", first_seen_t=18.27, left_t=19.33, samples=[
        (18.3, 0.60, 0.43), (18.9, 0.62, 0.44)])
    at_counter = _tv("a", 10, 40, 12, 30, x=0.87)
    at_counter.samples = [(10.0 + 0.5 * i, 0.87, 0.5) for i in range(61)]  # every 0.5 s
    s = _score([at_counter], [_ev("1", 10, 40, 12, 30, x=0.87), glimpse])
    assert (s["visits_split"], s["engine_visits_unmatched"]) == (0, 1)
    glimpse.samples = []  # as before: no place
    s = _score([at_counter], [_ev("1", 10, 40, 12, 30, x=0.87), glimpse])
    assert s["visits_split"] == 1


def test_simulate_and_eval_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["-q", "simulate", "--seed", "7", "--visits", "8", "--noise", "none",
                 "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["visits"] == 8 and summary["frames"] > 1000
    for name in ("observations.jsonl", "truth.json", "config.yaml"):
        assert (out / name).is_file()
    assert main(["-q", "eval", str(out), "--json", "--details", str(tmp_path / "d.jsonl")]) == 0
    figures = json.loads(capsys.readouterr().out)
    for key in ("visits", "visits_matched", "latency_error_s", "within_0_25_s",
                "alert_precision", "alert_recall", "ack_precision", "ack_recall"):
        assert key in figures
    assert figures["visits"] == 8
    # Noise-free: every latency to a frame, every alert and acknowledgement right.
    assert figures["latency_error_s"]["max"] <= FRAME_S + 1e-3
    assert figures["within_0_25_s"] == 1.0
    assert figures["alert_recall"] == 1.0 and figures["alert_precision"] == 1.0
    assert figures["ack_recall"] == 1.0 and figures["ack_precision"] == 1.0
    assert len((tmp_path / "d.jsonl").read_text().splitlines()) >= 8
    departures = figures["departure_delay_s"]
    assert departures["count"] >= 1 and departures["p50"] is not None
    assert departures["count"] + figures["departure_delay_passed_by_s"]["count"] <= 8


def test_eval_reports_a_missing_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["eval", str(tmp_path / "nope"), "--json"]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_an_alternative_arrival_is_accepted_for_the_latency() -> None:
    tv = _tv("a", 0, 30, arrival=5.0, ack=20.0)
    tv.arrival_alt_t = 2.0  # a stand at the threshold: the arrival could be 2.0
    s = _score([tv], [_ev("1", 0, 30, arrival=2.05, ack=20.0)])
    assert s["within_0_25_s"] == 1.0
    assert s["latency_error_s"]["max"] == pytest.approx(0.05)
    assert s["arrival_error_s"]["max"] == pytest.approx(0.05)


def test_an_alternative_acknowledgement_is_accepted() -> None:
    held = _tv("a", 0, 30, arrival=2.0, ack=5.0)
    held.ack_alt, held.ack_alt_t = True, 8.0  # the look at 5.0 lasted about the dwell
    only = _tv("b", 40, 70, arrival=42.0, ack=45.0, x=0.6)
    only.ack_alt, only.ack_alt_t = True, None  # ... and no other look followed
    s = _score([held, only], [_ev("1", 0, 30, arrival=2.0, ack=8.0),
                              _ev("2", 40, 70, arrival=42.0, ack=None, x=0.6)])
    assert s["latency_error_s"]["max"] == pytest.approx(0.0)
    assert s["within_0_25_s"] == 1.0  # the unacknowledged one is left out, not a miss
    assert s["ack_precision"] == 1.0 and s["ack_recall"] == 1.0


def test_outcomes_are_compared_as_both_sides_close_them_at_the_end() -> None:
    # The recording ends at 100 s. "stays": still at the counter, face seen to the
    # end, acknowledged (the truth says interrupted). "looks_down": acknowledged,
    # still at the counter but her face last seen at 97 s (the truth says
    # acknowledged). The engine holds both visits open and closes them as
    # interrupted at the end. "ignored": arrived, never acknowledged, still there;
    # the engine saw a look that was not there.
    tvs = [_tv("stays", 60, 100, 62, 65), _tv("looks_down", 60, 97, 62, 64, x=0.5),
           _tv("ignored", 70, 100, 72, None, alert=None, x=0.2)]
    tvs[0].outcome, tvs[1].outcome, tvs[2].outcome = "interrupted", "acknowledged", "interrupted"
    evs = [_ev("1", 60, 100, 62, 65), _ev("2", 60, 100, 62, 64, x=0.5),
           _ev("3", 70, 100, 72, 80, x=0.2)]
    for ev in evs:
        ev.outcome = "interrupted"
    s = _score(tvs, evs)
    assert s["visits_matched"] == 3
    assert s["outcome_agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert [row["outcome_agrees"] for row in s["details"]] == [True, True, False]
    # A look at the dwell that may count either way: the outcome is left out.
    tv = _tv("brief_look", 0, 20, 2, 5)
    tv.ack_alt, tv.ack_alt_t, tv.outcome = True, None, "acknowledged"
    ev = _ev("4", 0, 20, 2, None)
    ev.outcome = "abandoned"
    s = _score([tv], [ev])
    assert s["outcome_agreement"] is None and s["details"][0]["outcome_agrees"] is None


def test_a_split_visit_is_counted_and_a_stranger_is_not() -> None:
    """A customer's visit cut in two by the engine (the same place, the second half
    re-dated) is one split; a phantom elsewhere is unmatched but no split; a
    perfect run has neither."""
    tvs = [_tv("a", 0, 40, 2, 30, x=0.6), _tv("b", 0, 40, 3, 20, x=0.3)]
    perfect = _score(tvs, [_ev("1", 0, 40, 2, 30, x=0.6), _ev("2", 0, 40, 3, 20, x=0.3)])
    assert (perfect["visits_split"], perfect["engine_visits_unmatched"]) == (0, 0)
    split = _score(tvs, [_ev("1", 0, 12, 2, x=0.6), _ev("1b", 14, 40, 15, 30, x=0.6),
                         _ev("2", 0, 40, 3, 20, x=0.3), _ev("ghost", 50, 55, x=0.9)])
    assert split["visits_matched"] == 2
    assert split["visits_split"] == 1 and split["engine_visits_unmatched"] == 2
    left_over = [r for r in split["details"] if r["truth"] is None]
    assert [(r["engine"]["visit_id"], r.get("split_of")) for r in left_over] == [
        ("1", "a"), ("ghost", None)]  # the longer half is matched


def test_a_glimpsed_passer_by_beside_a_customer_is_no_split_of_hers() -> None:
    """A passer-by seen in the zones for about a second, just in front of a waiting
    customer in the picture: the truth counts no visit of hers (too brief), the engine
    may. Her engine visit is a candidate of the customer's true visit (same time,
    0.03 away) but the glimpse's (0.002 away, the same second): it is hers, unmatched,
    and no split. The customer's own visit cut in two beside the same glimpse is
    still one."""
    tvs = [_tv("a", 10, 40, 13, 16, x=0.59)]
    tvs[0].samples = [(10 + 0.5 * k, 0.59, 0.5) for k in range(61)]  # every 0.5 s
    ghost_samples = [(t, 0.592, 0.5) for t in (11.0, 11.5, 12.0)]
    glimpses = [Glimpse("passer", "c", 10.9, 12.0, ghost_samples)]
    passer = _ev("p", 10.9, 12.0, x=0.592)
    truth = Truth(visits=tvs, duration_s=100.0, engine={"grace_s": 1.0}, glimpses=glimpses)
    s = score(truth, EngineRun(visits=[_ev("1", 10, 40, 13, 16, x=0.59), passer], events=[],
                               frames=0, end_t=100.0))
    assert (s["visits_matched"], s["engine_visits_unmatched"]) == (1, 1)
    assert (s["visits_split"], s["engine_visits_glimpsed"]) == (0, 1)
    (left_over,) = [r for r in s["details"] if r["truth"] is None]
    assert left_over.get("split_of") is None and left_over["glimpse_of"] == "passer"
    # Without the glimpse (a truth of before), the same visit is scored a split.
    s = _score(tvs, [_ev("1", 10, 40, 13, 16, x=0.59), passer])
    assert (s["visits_split"], s["engine_visits_glimpsed"]) == (1, 0)
    # One glimpse explains one engine visit: with a second track beside the passer-by's
    # visit at the same time (both nearer the glimpse), the other is still a split.
    s = score(truth, EngineRun(visits=[_ev("1", 10, 40, 13, 16, x=0.59), passer,
                                       _ev("1c", 11, 12, x=0.5915)],
                               events=[], frames=0, end_t=100.0))
    assert (s["visits_split"], s["engine_visits_glimpsed"]) == (1, 1)
    # Her own visit re-dated by a second track at her place: nearer her than the
    # glimpse, a split though the glimpse is there at the same time.
    s = score(truth, EngineRun(visits=[_ev("1", 10, 40, 13, 16, x=0.59),
                                       _ev("1b", 11, 12, x=0.5899)],
                               events=[], frames=0, end_t=100.0))
    assert (s["visits_split"], s["engine_visits_glimpsed"]) == (1, 0)


def test_glimpses_are_kept_in_the_truth_file(tmp_path: Path) -> None:
    truth = Truth(visits=[], duration_s=5.0, engine={}, glimpses=[
        Glimpse("customer-3", "c", 1.25, 2.4, [(1.25, 0.5, 0.41), (1.75, 0.52, 0.41)])])
    truth.save(tmp_path / "t.json")
    back = Truth.load(tmp_path / "t.json")
    assert back.glimpses == truth.glimpses
    data = json.loads((tmp_path / "t.json").read_text())
    data["glimpses"][0].pop("left_t")
    with pytest.raises(ValueError, match="glimpse"):
        Truth.from_json(data)


def test_departure_delay_is_the_left_event_after_the_body_left() -> None:
    """The engine's customer_left event time minus the truth's gone_t, over arrived
    customers (and passers-by apart); later than 2 s is counted; a visit held open to
    the end though she left is unnoticed (its delay a lower bound); customers still
    there at the end, or gone just before it, are left out."""
    tvs = [_tv("a", 0, 20, 2, 5), _tv("b", 10, 40, 12, 30, x=0.6), _tv("c", 50, 55, x=0.3),
           _tv("d", 60, 90, 62, 70, x=0.9), _tv("e", 80, 100, 82, 85, x=0.1),
           _tv("f", 70, 90, 72, 75, x=0.45), _tv("g", 80, 98, 82, 84, x=0.7)]
    # a left facing away: face last seen at 20, body out of the zones at 23.
    for tv, gone in zip(tvs, (23.0, 40.0, 55.5, 95.0, 100.0, 92.0, 98.5), strict=True):
        tv.gone_t = gone
    evs = [_ev("1", 0, 20, 2, 5), _ev("2", 10, 40, 12, 30, x=0.6), _ev("3", 50, 55, x=0.3),
           _ev("4", 60, 95, 62, 70, x=0.9), _ev("5", 80, 100, 82, 85, x=0.1),
           _ev("6", 70, 100, 72, 75, x=0.45), _ev("7", 80, 100, 82, 84, x=0.7)]
    for ev, left_event, outcome in zip(evs, (24.5, 43.0, 56.5, 94.0, 100.0, 100.0, 100.0), (
            "acknowledged", "acknowledged", "passed_by", "acknowledged", "interrupted",
            "interrupted", "interrupted"), strict=True):
        ev.left_event_t, ev.outcome = left_event, outcome
    # What held b's and f's visits open unseen (EngineVisit.holds, from run_engine).
    evs[1].holds = [(10.0, "seen"), (39.0, "occupied"), (41.8, "emptying")]
    evs[5].holds = [(70.0, "seen"), (91.0, "walked off")]
    s = _score(tvs, evs)
    assert s["visits_matched"] == 7
    # a 1.5 s, b 3.0 s, d -1.0 s (closed while she was still there), f held open to the
    # end, 8 s after she left (unnoticed); e is still there at the end, g left 1.5 s
    # before it (too soon to tell); c passed by.
    assert s["departure_delay_s"] == {"p50": 2.25, "p95": pytest.approx(7.25), "min": -1.0,
                                      "max": 8.0, "count": 4, "over_2_s": 2, "unnoticed": 1,
                                      "over_2_s_held_by": {"occupied": 1, "walked off": 1}}
    assert s["departure_delay_passed_by_s"]["count"] == 1
    assert s["departure_delay_passed_by_s"]["max"] == 1.0
    delays = {r["truth"]["visit"]: r.get("departure_delay_s") for r in s["details"]}
    assert delays == {"a": 1.5, "b": 3.0, "c": 1.0, "d": -1.0, "e": None, "f": 8.0, "g": None}
    engine_rows = {r["engine"]["visit_id"]: r["engine"]["left_event_t"] for r in s["details"]}
    assert engine_rows["2"] == 43.0
    # Why the two were late, from her gone_t to the event (f: to the end): the states
    # that held each visit open, and for how long.
    held = {r["truth"]["visit"]: r.get("late_departure_held_by") for r in s["details"]}
    assert held == {"a": None, "b": {"occupied": 1.8, "emptying": 1.2}, "c": None, "d": None,
                    "e": None, "f": {"walked off": 8.0}, "g": None}
    # A truth without gone_t (before version 3, labelled footage) gives no figure.
    for tv in tvs:
        tv.gone_t = None
    assert _score(tvs, evs)["departure_delay_s"]["count"] == 0


def test_departure_delay_on_the_tiny_scene_is_the_customer_left_event() -> None:
    """bob turns his back at 14.0 and walks off unseen from 14.5: without an occupancy
    grid, the engine holds his visit visit_hold_s (10 s) after his face was lost,
    so it knows he has gone 10 s after it lost him, minus the time his body took to
    leave. The figure is that event's time minus his gone_t."""
    scene = load_scene(TINY)
    cfg = sim_config()
    truth = compute_truth(scene, cfg, fps=15)
    run = run_engine(cfg, render_frames(scene, NOISE_PRESETS["none"]))
    s = score(truth, run)
    bob = next(v for v in truth.visits if v.person == "bob")
    row = next(r for r in s["details"] if r["truth"]["person"] == "bob")
    left = [ev for ev in run.events if ev.type.value == "customer_left"
            and ev.visit_id == row["engine"]["visit_id"]]
    assert len(left) == 1 and left[0].t == pytest.approx(row["engine"]["left_event_t"], abs=1e-4)
    assert bob.gone_t is not None
    assert row["departure_delay_s"] == pytest.approx(left[0].t - bob.gone_t, abs=2e-4)
    assert left[0].t == pytest.approx(bob.left_t + cfg.engine.visit_hold_s, abs=2 * FRAME_S)
    # 14.0 + 10 s - 20.07 (gone when he passed the approach area's far end, x = -5)
    assert row["departure_delay_s"] == pytest.approx(3.93, abs=0.1)
    # No grid here: his visit was held open, unseen, by visit_hold_s alone.
    assert list(row["late_departure_held_by"]) == ["no grid"]
    assert row["late_departure_held_by"]["no grid"] == pytest.approx(
        row["departure_delay_s"], abs=2 * FRAME_S)
    late = s["departure_delay_s"]
    assert late["over_2_s"] >= 1 and late["over_2_s_held_by"] == {"no grid": late["over_2_s"]}
    assert s["departure_delay_s"]["count"] == 2  # bob and carol (dave passed by)
    assert s["departure_delay_passed_by_s"]["count"] == 1

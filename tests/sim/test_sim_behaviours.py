"""The realistic preset's behaviours (issue 14): looks that hide faces, laid over the story."""

from __future__ import annotations

import numpy as np
import pytest

from frontdesk.sim.generate import BEHAVIOUR_PRESETS, Behaviours, behaviours_for, random_scene
from frontdesk.sim.render import NOISE_PRESETS, DetectorModel, NoiseModel, render_frames
from frontdesk.sim.runs import sim_config
from frontdesk.sim.script import look_down_action, scene_from_dict
from frontdesk.sim.truth import compute_truth


def test_the_realistic_preset_has_behaviours_and_the_bare_one_none() -> None:
    assert behaviours_for("realistic") == Behaviours()
    assert behaviours_for("none") is None
    assert set(BEHAVIOUR_PRESETS) == set(NOISE_PRESETS)


def test_behaviours_leave_the_story_and_only_change_what_people_look_at() -> None:
    bare = random_scene(8, 25)
    busy = random_scene(8, 25, behaviours=Behaviours())
    assert [p.id for p in bare.people] == [p.id for p in busy.people]
    for a, b in zip(bare.people, busy.people, strict=True):
        assert a.path.waypoints == b.path.waypoints  # who comes when and stands where
    assert busy.meta["behaviours"] is True and "behaviours" not in bare.meta
    downs = [a for p in busy.customers for a in p.gaze if a.kind == "heading" and a.pitch_deg < -40]
    turns = [a for p in busy.customers for a in p.gaze if a.kind == "person"
             and busy.person(str(a.person)).role == "staff"]
    paperwork = [a for p in busy.staff for a in p.gaze if a.kind == "heading" and a.pitch_deg < -40]
    assert len(downs) >= 5 and paperwork and turns


def test_the_truth_keeps_its_visits_and_greetings_with_behaviours() -> None:
    """Same visits and arrivals with or without the behaviours (they never hide a greeting)."""
    cfg = sim_config()
    bare = compute_truth(random_scene(8, 25), cfg, 15.0)
    busy = compute_truth(random_scene(8, 25, behaviours=Behaviours()), cfg, 15.0)
    assert [v.person for v in bare.visits] == [v.person for v in busy.visits]
    for a, b in zip(bare.visits, busy.visits, strict=True):
        assert b.arrival_t == pytest.approx(a.arrival_t, abs=0.01) if a.arrival_t else True
    greeted = sum(1 for v in busy.visits if v.ack_t is not None)
    assert greeted >= sum(1 for v in bare.visits if v.ack_t is not None) - 1


def _one_customer(gaze: list[dict]) -> dict:
    return {"duration_s": 30, "people": [
        {"id": "anna", "role": "staff", "path": [{"t": 0, "at": "staff"}, {"t": 30, "at": "staff"}],
         "gaze": [{"t": 0, "till": True}]},
        {"id": "bea", "role": "customer", "z": 1.7,
         "path": [{"t": 0.2, "at": [-4.6, 0.8, 1.7]}, {"t": 3.0, "at": "queue1"},
                  {"t": 30, "at": "queue1"}],
         "gaze": gaze}]}


def test_a_look_down_in_the_line_neither_splits_the_truth_nor_moves_its_arrival() -> None:
    """Standing in the line, she looks at her phone from 4 s to 20 s: the stand that dates
    her arrival goes on while her face is hidden."""
    cfg = sim_config()
    plain = compute_truth(scene_from_dict(_one_customer([{"t": 0.2, "walk": True}])), cfg, 15.0)
    phone = scene_from_dict(_one_customer([{"t": 0.2, "walk": True},
                                           {"t": 3.5, "look_down": 70, "facing": 0},
                                           {"t": 20, "walk": True}]))
    truth = compute_truth(phone, cfg, 15.0)
    (v,) = truth.visits
    (p,) = plain.visits
    assert v.arrival_by == "still" and v.arrival_t == pytest.approx(p.arrival_t, abs=1e-6)
    assert v.left_t == pytest.approx(p.left_t, abs=1e-6)
    frames = list(render_frames(phone, NOISE_PRESETS["none"]))
    hidden = [f for f in frames if 5.0 <= f.t <= 19.0]
    assert all(len(f.faces) == 1 for f in hidden)  # only the staff member's face


def test_look_down_is_the_heads_pitch_and_the_eyes_add_theirs() -> None:
    a = look_down_action(40.0, 10.0, t=1.0)
    assert (a.kind, a.heading_deg, a.pitch_deg, a.t) == ("heading", 10.0, -55.0, 1.0)
    with pytest.raises(ValueError, match="0 to 80"):
        look_down_action(85.0)


def test_realistic_noise_misses_faces_looking_steeply_down_and_small_faces() -> None:
    noise = NOISE_PRESETS["realistic"]
    p = noise.loss_probability(np.array([0.0, -44.0, -50.0, -56.0]), np.full(4, 60.0), 20.0)
    assert p.tolist() == pytest.approx([0.0, 0.0, 0.5, 1.0])
    q = noise.loss_probability(np.zeros(3), np.array([40.0, 26.0, 20.0]), 20.0)
    assert q.tolist() == pytest.approx([0.0, 0.15, 0.3])
    assert NOISE_PRESETS["none"].loss_probability(np.array([-80.0]), np.array([20.0]),
                                                  20.0).tolist() == [0.0]
    assert NOISE_PRESETS["realistic"].with_fps(10).pitch_loss_deg == (45.0, 55.0)
    with pytest.raises(ValueError, match="pitch_loss_deg"):
        NoiseModel("x", pitch_loss_deg=(50.0, 40.0))
    assert DetectorModel().min_face_px == 20.0

"""Fusion on busy random scenes: with bodies, no worse than faces only.

A random realistic scene draws every person's body, so people leaving with their
backs to the camera, walking along the queue and crossing one another are seen
by their bodies. Before the tracker's body rules (size gate, no body-only births
beside tracked people or at the frame's side) and the engine's (a faceless track
is a visit only once arrived; a visit lost while seen by the body alone is not
taken over), the seed-8 scene below with bodies matched 11 of 12 visits with
0.44 within 0.25 s and 18 engine visits; faces only, everything is exact. Seed 11
was still short after those (14 engine visits, 0.909 within 0.25 s, alerts 0.889 /
0.889) until a face was matched to a body by the box's top edge, and a face
continuing a face track was preferred to a body alone (``KIND_PENALTY``).
"""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.sim.evaluate import run_engine, score
from frontdesk.sim.generate import random_scene
from frontdesk.sim.render import NOISE_PRESETS, BodyModel, render_frames
from frontdesk.sim.runs import sim_config
from frontdesk.sim.truth import compute_truth

HIGHER_IS_BETTER = ("visits_matched", "within_0_25_s", "alert_precision", "alert_recall",
                    "ack_precision", "ack_recall")


def _scores(seed: int, visits: int, bodies: BodyModel | None) -> dict[str, Any]:
    """The scene scored against its own truth (with bodies: body sightings count)."""
    config = sim_config()
    scene = random_scene(seed, visits, counter_id=config.counters[0].id)
    noise = NOISE_PRESETS["realistic"]
    truth = compute_truth(scene, config, noise.fps, bodies=bodies)
    return score(truth, run_engine(config, render_frames(scene, noise, seed, bodies=bodies)))


@pytest.mark.parametrize("seed", [8, 3, 11])
def test_a_busy_scene_with_bodies_is_no_worse_than_faces_only(seed: int) -> None:
    faces = _scores(seed, 12, None)
    fused = _scores(seed, 12, BodyModel())
    assert fused["visits"] == faces["visits"] == 12
    for key in HIGHER_IS_BETTER:
        assert fused[key] is not None and fused[key] >= faces[key], (key, fused, faces)
    # no ghost visits from bodies leaving or walking along the queue (first version: 18,
    # 21 and 21 engine visits for 12; seed 3 then kept one short "passed by" body-only
    # visit and seed 11 two)
    assert fused["engine_visits"] == faces["engine_visits"], (fused, faces)

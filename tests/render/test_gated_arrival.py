"""Gated detection on rendered footage: a customer who walks in after a long empty
stretch is found on time, with the detector idle most of the wait.

Each clip is rendered once (a 640x360 counter, 20 s empty, then a customer walks
up to the service spot; about 3 s to render) and perceived twice by the real
pipeline with the engine, gating off and on; the engine's visits are scored
against the truth. Two clips: a plain one, and the hard case for a change test, a
darker-skinned customer in dark clothes in a dim shop (lighting level dim: 45 %
brightness, sensor noise).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from frontdesk.types import FrameObservation

EMPTY_S = 20.0
FPS = 15


VARIANTS = {
    "plain": ({}, {}),
    "dim_dark": ({"lighting": {"level": "dim"}},
                 {"look": {"tone": "dark", "clothes_bgr": [35, 32, 30]}}),
}


def late_customer_scene(variant: str) -> dict[str, Any]:
    render, look = VARIANTS[variant]
    e = EMPTY_S
    return {
        "render": {"size": [640, 360], "fps": FPS, "seed": 3, **render},
        "expect": {"visits": 1, "latency_s": [], "alerts": 0},
        "duration_s": e + 7,
        "people": [
            {"id": "ivy", "role": "customer", "z": 1.64, **look,
             "path": [{"t": e, "at": [-4.0, 0.64, 1.64]}, {"t": e + 3.3, "at": [-0.6, 0.62, 1.64]},
                      {"t": e + 3.9, "at": "service"}, {"t": e + 7, "at": "service"}],
             "gaze": [{"t": e, "walk": True}, {"t": e + 3.7, "camera": True, "turn_s": 0.4}]},
        ],
    }


@dataclass
class GatedRun:
    observations: list[FrameObservation]
    figures: dict[str, Any]
    details: list[dict[str, Any]]
    gate: dict[str, int] | None
    skipped_while_tracked: int


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def late_runs(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> dict[bool, GatedRun]:
    from frontdesk.capture import open_source
    from frontdesk.config import load_config
    from frontdesk.pipeline import FramePipeline
    from frontdesk.render.clip import render_clip
    from frontdesk.render.evaluate import evaluate_observations
    from frontdesk.render.scene_file import render_scene_from_dict

    out: Path = tmp_path_factory.mktemp("gated")
    variant = request.param
    rendered = render_clip(render_scene_from_dict(late_customer_scene(variant), variant),
                           out / f"{variant}.mp4")
    config = load_config(rendered.files.config)
    runs = {}
    for on in (False, True):
        gating = config.perception.gating.model_copy(update={"enabled": on})
        cfg = config.model_copy(update={
            "perception": config.perception.model_copy(update={"gating": gating})})
        observations, skipped_while_tracked = [], 0
        with (open_source(str(rendered.files.video), cfg.camera) as source,
              FramePipeline(cfg) as pipeline):  # with the engine: its tracks hold the gate
            engine = pipeline.require_engine()
            for frame in source:
                tracked = bool(engine.tracks_view())
                skipped = 0 if pipeline.gate is None else pipeline.gate.stats.skipped
                observations.append(pipeline.step(frame).observation)
                if tracked and pipeline.gate is not None and pipeline.gate.stats.skipped > skipped:
                    skipped_while_tracked += 1
            stats = None if pipeline.gate is None else pipeline.gate.stats.to_json()
        figures = evaluate_observations(observations, rendered.truth, cfg)
        details = figures.pop("details")
        runs[on] = GatedRun(observations, figures, details, stats, skipped_while_tracked)
    return runs


def test_customer_after_a_long_empty_stretch_arrives_on_time_with_gating(
        late_runs: dict[bool, GatedRun]) -> None:
    off, on = late_runs[False], late_runs[True]
    for run in (off, on):
        assert (run.figures["visits"], run.figures["visits_matched"],
                run.figures["engine_visits"]) == (1, 1, 1)
    arrival_off = off.details[0]["engine"]["arrival_t"]
    arrival_on = on.details[0]["engine"]["arrival_t"]
    assert arrival_on == pytest.approx(arrival_off, abs=1e-6)
    assert on.figures["arrival_error_s"] == off.figures["arrival_error_s"]
    assert abs(on.figures["arrival_error_s"]["max"]) <= 0.5


def test_gated_faces_are_the_ungated_faces_and_the_empty_wait_is_mostly_skipped(
        late_runs: dict[bool, GatedRun]) -> None:
    off, on = late_runs[False], late_runs[True]
    assert len(on.observations) == len(off.observations)
    with_faces_off = [o.index for o in off.observations if o.faces]
    with_faces_on = [o.index for o in on.observations if o.faces]
    assert with_faces_off and with_faces_on == with_faces_off
    assert all(o.t > EMPTY_S for o in on.observations if o.faces)
    stats = on.gate
    assert stats is not None and off.gate is None
    empty_frames = sum(1 for o in on.observations if o.t < EMPTY_S)
    assert stats["skipped"] >= 0.85 * empty_frames
    assert stats["detected"] + stats["skipped"] == stats["frames"] == len(on.observations)
    assert stats["keep_alive"] >= EMPTY_S - 2  # about one a second while empty
    assert on.skipped_while_tracked == 0  # nobody tracked goes unmeasured

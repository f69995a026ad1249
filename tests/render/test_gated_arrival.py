"""Gated detection on rendered footage: a customer who walks in after a long quiet
stretch is found on time, with the detector idle most of the wait.

Each clip is rendered once (a 640x360 counter, then a customer walks up to the
service spot) and perceived twice by the real pipeline with the engine, gating
off and on; the engine's visits are scored against the truth. Three clips:

* **plain**: 60 s of an empty counter;
* **dim_dark**: 20 s of an empty counter, and the hard case for a change test: a
  darker-skinned customer in dark clothes in a dim shop (lighting level dim: 45 %
  brightness, sensor noise);
* **staff_ack**: 20 s of a member of staff alone at the till (the detector runs
  once in ``staff_every_s``, without Face Mesh), then the customer, whom she
  greets: the arrival and the acknowledgement are the same with the gate on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from render_helpers import RenderAhead

from frontdesk.render.clip import RenderResult
from frontdesk.types import FrameObservation

EMPTY_S = 60.0
STAFF_ALONE_S = 20.0
FPS = 15


DIM_EMPTY_S = 20.0
"""The dim clip's empty stretch: what it tests is whether the change test sees a
dark customer in a dim shop, which does not depend on the wait; its noisy frames
are the slowest to render."""

VARIANTS: dict[str, tuple[dict[str, Any], dict[str, Any], bool]] = {
    "plain": ({}, {}, False),
    "dim_dark": ({"lighting": {"level": "dim"}},
                 {"look": {"tone": "dark", "clothes_bgr": [35, 32, 30]}}, False),
    "staff_ack": ({}, {}, True),
}


def quiet_s(variant: str) -> float:
    """How long the counter is quiet before the customer comes."""
    if VARIANTS[variant][2]:
        return STAFF_ALONE_S
    return DIM_EMPTY_S if variant == "dim_dark" else EMPTY_S


def late_customer_scene(variant: str) -> dict[str, Any]:
    render, look, staff = VARIANTS[variant]
    e = quiet_s(variant)
    people: list[dict[str, Any]] = [
        {"id": "ivy", "role": "customer", "z": 1.64, **look,
         "path": [{"t": e, "at": [-4.0, 0.64, 1.64]}, {"t": e + 3.3, "at": [-0.6, 0.62, 1.64]},
                  {"t": e + 3.9, "at": "service"}, {"t": e + 7, "at": "service"}],
         "gaze": [{"t": e, "walk": True},
                  {"t": e + 3.7, "person" if staff else "camera": "anna" if staff else True,
                   "turn_s": 0.4}]},
    ]
    if staff:  # at the till, glancing up once, then greeting ivy 1 s after she arrived
        people.insert(0, {"id": "anna", "role": "staff",
                          "path": [{"t": 0, "at": "staff"}, {"t": e + 7, "at": "staff"}],
                          "gaze": [{"t": 0, "till": True},
                                   {"t": e / 2, "camera": True, "turn_s": 0.5},
                                   {"t": e / 2 + 1.0, "till": True, "turn_s": 0.5},
                                   {"t": e + 4.9, "person": "ivy", "turn_s": 0.3}]})
    return {
        "render": {"size": [640, 360], "fps": FPS, "seed": 3, **render},
        "expect": {"visits": 1, "latency_s": [[0.5, 2.0]] if staff else [], "alerts": 0},
        "duration_s": e + 7,
        "people": people,
    }


@dataclass
class GatedRun:
    observations: list[FrameObservation]
    figures: dict[str, Any]
    details: list[dict[str, Any]]
    gate: dict[str, int] | None
    skipped_while_tracked: int
    quiet_s: float


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def late_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
              render_ahead: RenderAhead) -> dict[bool, GatedRun]:
    return _gated_runs(request.param, tmp_path_factory, render_ahead)


@pytest.fixture(scope="module", params=["dim_dark", "plain"])
def empty_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               render_ahead: RenderAhead) -> dict[bool, GatedRun]:
    """The clips whose quiet stretch is an empty counter."""
    return _gated_runs(request.param, tmp_path_factory, render_ahead)


@pytest.fixture(scope="module")
def staff_runs(tmp_path_factory: pytest.TempPathFactory,
               render_ahead: RenderAhead) -> dict[bool, GatedRun]:
    return _gated_runs("staff_ack", tmp_path_factory, render_ahead)


_RUNS: dict[str, dict[bool, GatedRun]] = {}


def _gated_runs(variant: str, tmp_path_factory: pytest.TempPathFactory,
                ahead: RenderAhead) -> dict[bool, GatedRun]:
    """The clip of ``variant`` perceived gating off and on (once per test session); the
    first call has the other clips rendered meanwhile."""
    from frontdesk.render.clip import render_scene_data

    if variant not in _RUNS:
        out = tmp_path_factory.mktemp("gated")
        for other in sorted(VARIANTS):
            if other != variant and other not in _RUNS:
                ahead.submit(f"gated:{other}", render_scene_data, late_customer_scene(other),
                             other, out / f"{other}.mp4")
        rendered = ahead.take(f"gated:{variant}")
        if rendered is None:
            rendered = render_scene_data(late_customer_scene(variant), variant,
                                         out / f"{variant}.mp4")
        _RUNS[variant] = _perceive_both(variant, rendered)
    return _RUNS[variant]


def _perceive_both(variant: str, rendered: RenderResult) -> dict[bool, GatedRun]:
    from frontdesk.capture import open_source
    from frontdesk.config import load_config
    from frontdesk.pipeline import FramePipeline
    from frontdesk.render.evaluate import evaluate_observations

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
        runs[on] = GatedRun(observations, figures, details, stats, skipped_while_tracked,
                           quiet_s(variant))
    return runs


def test_customer_after_a_long_quiet_stretch_arrives_on_time_with_gating(
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
    # The greeting (staff_ack) is timed as with the gate off, to the frame.
    assert on.figures["latency_error_s"] == off.figures["latency_error_s"]
    assert [d["engine"].get("latency_s") for d in on.details] == \
        [d["engine"].get("latency_s") for d in off.details]


def test_gated_faces_are_the_ungated_faces_and_the_empty_wait_is_mostly_skipped(
        empty_runs: dict[bool, GatedRun]) -> None:
    off, on = empty_runs[False], empty_runs[True]
    empty_s = on.quiet_s
    assert len(on.observations) == len(off.observations)
    with_faces_off = [o.index for o in off.observations if o.faces]
    with_faces_on = [o.index for o in on.observations if o.faces]
    assert with_faces_off and with_faces_on == with_faces_off
    # ivy is in view from t = empty_s on (4 m up the walkway, a 14 px face the
    # approach zoom window finds on her first frame): none before it
    assert all(o.t >= empty_s for o in on.observations if o.faces)
    assert min(o.t for o in on.observations if o.faces) < empty_s + 1.0
    stats = on.gate
    assert stats is not None and off.gate is None
    empty_frames = sum(1 for o in on.observations if o.t < empty_s)
    assert stats["skipped"] >= 0.85 * empty_frames
    assert stats["detected"] + stats["skipped"] == stats["frames"] == len(on.observations)
    assert stats["keep_alive"] >= empty_s - 2  # about one a second while empty
    assert stats["staff_alone"] == 0 and stats["unmeshed"] == 0  # nobody was there
    assert on.skipped_while_tracked == 0  # nobody tracked goes unmeasured


def test_staff_alone_is_looked_at_less_and_the_customer_fully(
        staff_runs: dict[bool, GatedRun]) -> None:
    off, on = staff_runs[False], staff_runs[True]
    stats = on.gate
    assert stats is not None
    alone = [o for o in on.observations if o.t < STAFF_ALONE_S]
    assert stats["staff_alone"] >= 0.4 * len(alone)  # at most one run in two
    assert stats["unmeshed"] >= 0.2 * len(alone)
    assert not any(f.has_mesh for o in alone[len(alone) // 2:] for f in o.faces)
    assert any(f.has_mesh for o in off.observations if o.t < STAFF_ALONE_S for f in o.faces)
    # From the customer's first face on, every frame is perceived and meshed as before.
    first = min(o.index for o in off.observations
                if o.t >= STAFF_ALONE_S and len(o.faces) == 2)
    for a, b in zip(off.observations[first:], on.observations[first:], strict=True):
        assert [f.bbox for f in a.faces] == [f.bbox for f in b.faces]
        assert [f.has_mesh for f in a.faces] == [f.has_mesh for f in b.faces]

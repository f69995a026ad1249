"""Staff context on simulated scenes with known truth: one scripted scene per context
word, and the focus-work zone (docs/engine.md, "Staff context")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from frontdesk.config import Config
from frontdesk.engine.events import EventType
from frontdesk.sim.evaluate import run_engine, score
from frontdesk.sim.layout import DEFAULT_LAYOUT
from frontdesk.sim.render import NOISE_PRESETS, PresenceModel, render_frames
from frontdesk.sim.runs import sim_config
from frontdesk.sim.script import load_scene
from frontdesk.sim.truth import compute_truth

SCENES = Path(__file__).parent / "scenes"
WORDS = ["talking", "looking_down", "serving_other", "turned_away", "absent", "attentive"]


def _waiting_visit(truth, person: str):
    return next(v for v in truth.visits if v.person == person)


def _run(scene_name: str, config: Config, noise: str = "none", seed: int = 0):
    scene = load_scene(SCENES / f"context_{scene_name}.yaml")
    truth = compute_truth(scene, config, fps=15)
    frames = render_frames(scene, NOISE_PRESETS[noise], seed=seed, presence=PresenceModel())
    run = run_engine(config, frames)
    return truth, run


@pytest.mark.parametrize("word", WORDS)
@pytest.mark.parametrize("noise", ["none", "realistic"])
def test_each_context_scene_is_told_right(word: str, noise: str) -> None:
    truth, run = _run(word, sim_config(), noise, seed=3)
    cara = _waiting_visit(truth, "cara")
    assert cara.alert is True  # she waited past the target
    assert cara.context == word
    assert cara.context_shares is not None and cara.context_shares[word] >= 0.6
    figures = score(truth, run)
    assert figures["context_waits_beyond_target"] >= 1
    assert figures["context_right"] == 1.0
    assert figures["context_per_word"][word]["recall"] == 1.0
    alert = next(e for e in run.events if e.type is EventType.CUSTOMER_WAITING)
    assert alert.context == word  # the alert says what the staff were doing


def _focus_config(**engine) -> Config:
    """The default scene with a focus-work zone around the first staff spot."""
    base = sim_config()
    x, y = DEFAULT_LAYOUT.staff_spots[0]
    u, v = DEFAULT_LAYOUT.project_world(np.array([[x, y, 1.65]]))[0]
    w, h = DEFAULT_LAYOUT.image_size
    cx, cy = u / w, v / h
    box = [[cx - 0.06, cy - 0.08], [cx + 0.06, cy - 0.08], [cx + 0.06, cy + 0.08],
           [cx - 0.06, cy + 0.08]]
    data = base.model_dump(mode="json", exclude_none=True)
    data["counters"][0]["zones"]["focus"] = [box]
    data["engine"] = {**data.get("engine", {}), **engine}
    return Config.model_validate(data)


def test_focus_work_scene_holds_the_alert_and_says_focus_work() -> None:
    cfg = _focus_config(focus_alert_after_s=20.0)
    truth, run = _run("focus_work", cfg, "realistic", seed=5)
    cara = _waiting_visit(truth, "cara")
    assert cara.context == "focus_work"
    waiting = [e for e in run.events if e.type is EventType.CUSTOMER_WAITING]
    assert len(waiting) == 1
    assert waiting[0].context == "focus_work"
    assert waiting[0].waited_s == pytest.approx(20.0, abs=0.2)  # held from 10 s to 20 s
    assert score(truth, run)["context_right_all"] == 1.0
    # The same scene without the focus zone: looking down, alerted at 10 s.
    truth2, run2 = _run("focus_work", sim_config(), "realistic", seed=5)
    plain = [e for e in run2.events if e.type is EventType.CUSTOMER_WAITING]
    assert plain[0].context == "looking_down"
    assert plain[0].waited_s == pytest.approx(10.0, abs=0.2)
    assert _waiting_visit(truth2, "cara").context == "looking_down"

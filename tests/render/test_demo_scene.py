"""The demo's scene tells its story in its ground truth, and fits the demo clip's constants."""

from __future__ import annotations

import pytest
import yaml

from frontdesk import demo_footage
from frontdesk.render.clip import rendered_detector, scene_config
from frontdesk.render.demo_scene import DEMO_SCENE_YAML, demo_scene_dict
from frontdesk.render.scene_file import render_scene_from_dict
from frontdesk.sim.layout import DEFAULT_ZONES
from frontdesk.sim.truth import compute_truth


@pytest.fixture(scope="module")
def demo():  # type: ignore[no-untyped-def]
    rs = render_scene_from_dict(demo_scene_dict(), "demo")
    truth = compute_truth(rs.scene, scene_config(rs), rs.settings.fps,
                          detector=rendered_detector(rs.settings.size))
    return rs, {v.person: v for v in truth.visits}


def test_the_demo_shows_four_customers_and_how_each_was_treated(demo) -> None:  # type: ignore[no-untyped-def]
    rs, visits = demo
    assert list(visits) == ["ben", "cleo", "dev", "eve"]
    ben, cleo, dev, eve = (visits[k] for k in ("ben", "cleo", "dev", "eve"))
    # Acknowledged promptly.
    assert ben.outcome == "acknowledged" and 1.0 <= ben.latency_s <= 3.0 and ben.alert is False
    # Greeted as she steps up: the camera can see the look only once she is at the counter.
    assert cleo.outcome == "acknowledged" and -0.5 <= cleo.latency_s <= 0.5
    # Waits, nobody looks, walks away before the alert.
    assert dev.outcome == "abandoned" and dev.ack_t is None and dev.alert is False
    assert 6.0 <= dev.left_t - dev.arrival_t < 10.0
    # Waits past the alert, then acknowledged.
    assert eve.outcome == "acknowledged" and eve.alert is True and eve.latency_s > 10.5
    assert eve.escalation is False
    # One customer at a time: each has left before the next arrives.
    order = [ben, cleo, dev, eve]
    assert all(a.left_t < b.arrival_t for a, b in zip(order, order[1:], strict=False))
    # The last one leaves with time for the engine's hold (visit_hold_s) before the end.
    assert rs.scene.duration_s - eve.left_t >= 10.0


def test_the_demo_clip_constants_and_zones_fit_the_scene(demo) -> None:  # type: ignore[no-untyped-def]
    rs, _ = demo
    assert rs.settings.size == demo_footage.CLIP_SIZE
    assert rs.settings.fps == demo_footage.CLIP_FPS
    assert rs.scene.duration_s == demo_footage.CLIP_DURATION_S
    assert demo_footage.expected_frames(rs) == 901
    counter = scene_config(rs).counters[0]
    assert {k: [list(p) for p in getattr(counter.zones, k)] for k in DEFAULT_ZONES} == {
        k: [list(p) for p in v] for k, v in DEFAULT_ZONES.items()}
    assert yaml.safe_load(DEMO_SCENE_YAML) == demo_scene_dict()


def test_the_example_config_has_the_demo_footages_zones() -> None:
    from pathlib import Path

    from frontdesk.config import load_config

    config = load_config(Path(__file__).resolve().parents[2] / "config" / "frontdesk.yaml")
    zones = config.counters[0].zones
    for name, polygon in DEFAULT_ZONES.items():
        assert [list(p) for p in getattr(zones, name)] == [list(p) for p in polygon], name

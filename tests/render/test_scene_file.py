"""Scene files: the simulator's scripted scene plus looks, render settings and expectations."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from frontdesk.errors import FrontdeskError
from frontdesk.render.faces import default_look
from frontdesk.render.scene_file import render_scene_from_dict
from frontdesk.sim.layout import DEFAULT_LAYOUT


def _scene(**extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "duration_s": 6,
        "people": [
            {"id": "anna", "role": "staff", "look": {"face": "hopper", "brightness": 0.9},
             "path": [{"t": 0, "at": "staff"}, {"t": 6, "at": "staff"}],
             "gaze": [{"t": 0, "till": True}, {"t": 3, "person": "bob"}]},
            {"id": "bob", "role": "customer",
             "path": [{"t": 0, "at": "service"}, {"t": 6, "at": "service"}]},
            {"id": "cy", "role": "customer",
             "path": [{"t": 1, "at": "queue1"}, {"t": 6, "at": "queue1"}]},
        ],
    }
    data.update(extra)
    return data


def test_a_scene_file_is_the_simulators_scene_plus_looks_and_settings() -> None:
    rs = render_scene_from_dict(_scene(render={"size": [640, 360], "fps": 10, "seed": 3,
                                               "lighting": {"gain": 0.5, "noise": 4}},
                                       expect={"visits": 1}), "s.yaml")
    assert rs.settings.size == (640, 360) and rs.settings.fps == 10 and rs.settings.seed == 3
    assert rs.settings.lighting.gain == 0.5 and rs.settings.lighting.noise == 4
    assert rs.expect == {"visits": 1}
    # The simulator's layout at the chosen size: same camera, spots and field of view.
    assert rs.scene.layout.image_size == (640, 360)
    assert rs.scene.layout.camera == DEFAULT_LAYOUT.camera
    assert rs.scene.layout.horizontal_fov_deg == DEFAULT_LAYOUT.horizontal_fov_deg
    assert rs.scene.person("bob").path.points[0][:2].tolist() == list(
        DEFAULT_LAYOUT.service_spots[0])
    assert rs.looks["anna"] == replace(default_look(0, "staff"), face="hopper", brightness=0.9)
    assert rs.looks["bob"] == default_look(0, "customer")
    assert rs.looks["cy"] == default_look(1, "customer")
    assert rs.looks["bob"] != rs.looks["cy"]


def test_defaults_are_the_simulators_frame_and_rate() -> None:
    rs = render_scene_from_dict(_scene())
    assert rs.settings.size == (1280, 720) and rs.settings.fps == 15.0
    assert rs.scene.layout.image_size == DEFAULT_LAYOUT.image_size
    assert rs.expect == {}


@pytest.mark.parametrize(("patch", "message"), [
    ({"render": {"colour": 1}}, "render takes"),
    ({"render": {"size": [10, 10]}}, "160x90 to 3840x2160"),
    ({"render": {"fps": 0}}, "fps: 1 to 60"),
    ({"render": {"lighting": {"gain": 9}}}, "gain 0.1-3"),
    ({"render": {"occluders": [{"size": [1, 1, 1]}]}}, "an occluder is"),
    ({"expect": [1]}, "expect must be a mapping"),
])
def test_bad_render_settings_are_named(patch: dict[str, Any], message: str) -> None:
    with pytest.raises(FrontdeskError, match=message):
        render_scene_from_dict(_scene(**patch), "bad.yaml")


def test_bad_looks_and_bad_scripts_are_named() -> None:
    data = _scene()
    data["people"][1]["look"] = {"face": "mona"}
    with pytest.raises(FrontdeskError, match=r"people\[1\].look: face must be one of"):
        render_scene_from_dict(data, "bad.yaml")
    data["people"][1]["look"] = {"nose": 1}
    with pytest.raises(FrontdeskError, match="unknown look keys"):
        render_scene_from_dict(data, "bad.yaml")
    data = _scene()
    data["people"][1]["path"][0]["at"] = "moon"
    with pytest.raises(FrontdeskError, match="unknown spot 'moon'"):
        render_scene_from_dict(data, "bad.yaml")


def test_occluders_move_along_their_path() -> None:
    occ = {"size": [0.4, 0.4, 1.8], "colour": [1, 2, 3],
           "path": [{"t": 1, "at": [0.3, 1.5, 0.9]}, {"t": 3, "at": [0.3, 0.5, 0.9]}]}
    rs = render_scene_from_dict(_scene(render={"occluders": [occ]}))
    (o,) = rs.settings.occluders
    assert o.size == (0.4, 0.4, 1.8) and o.colour == (1, 2, 3)
    assert o.path.position([2.0])[0].tolist() == pytest.approx([0.3, 1.0, 0.9])


def test_issue_14_keys_look_down_tone_and_light_level() -> None:
    """A customer looking down for an interval, a skin tone, and dim light with photon noise."""
    data = _scene(render={"lighting": {"level": "dim", "noise": 6}})
    data["people"][1]["look"] = {"tone": "dark"}
    data["people"][1]["gaze"] = [{"t": 0, "person": "anna"},
                                 {"t": 2, "look_down": 45, "turn_s": 0.3},
                                 {"t": 4, "person": "anna"}]
    rs = render_scene_from_dict(data, "s.yaml")
    light = rs.settings.lighting
    assert (light.gain, light.gamma, light.shot) == (0.45, 1.15, 1.2)
    assert light.noise == 6  # a key beside the level overrides it
    assert rs.looks["bob"].tone == "dark"
    down = rs.scene.person("bob").gaze[1]
    assert down.kind == "heading" and down.heading_deg == -90.0 and down.pitch_deg == -60.0
    assert render_scene_from_dict(_scene(render={"lighting": "dim"})).settings.lighting.shot == 1.2


@pytest.mark.parametrize(("patch", "message"), [
    ({"render": {"lighting": {"level": "dark"}}}, "level: one of normal, dim"),
    ({"render": {"lighting": {"shot": 50}}}, "shot 0-10"),
    ({"render": {"lighting": {"gain": "bright"}}}, "lighting.gain: a number"),
    ({"render": {"lighting": {"colour": 1}}}, "lighting takes level, gain"),
])
def test_bad_light_levels_are_named(patch: dict[str, Any], message: str) -> None:
    with pytest.raises(FrontdeskError, match=message):
        render_scene_from_dict(_scene(**patch), "s.yaml")


@pytest.mark.parametrize(("person", "message"), [
    ({"look": {"tone": "olive"}}, "tone must be one of light, medium, dark"),
    ({"look": {"brightness": "dim"}}, "brightness is a number"),
    ({"gaze": [{"t": 1, "look_down": 95}]}, "0 to 80 degrees"),
    ({"gaze": [{"t": 1, "look_down": 40, "pitch": 10}]}, "pitch goes with heading"),
    ({"gaze": [{"t": 1, "person": "anna", "facing": 10}]}, "facing goes with look_down"),
])
def test_bad_tones_and_looks_down_are_named(person: dict[str, Any], message: str) -> None:
    data = _scene()
    data["people"][1].update(person)
    with pytest.raises(FrontdeskError, match=message):
        render_scene_from_dict(data, "s.yaml")


def test_skin_tones_reach_their_colour_and_keep_their_order() -> None:
    """The tone transform puts the photo's skin at the tone's CIELAB lightness."""
    import cv2
    import numpy as np

    from frontdesk.render.faces import SKIN_TONES, Look, _skin_colour, base_texture, prepare_look

    lightness = {}
    for tone in SKIN_TONES:
        prepared = prepare_look(Look(face="astronaut", tone=tone))
        skin = _skin_colour(prepared.image, base_texture("astronaut"))
        lab = cv2.cvtColor(np.clip(skin, 0, 255).astype(np.uint8).reshape(1, 1, 3),
                           cv2.COLOR_BGR2LAB)[0, 0]
        lightness[tone] = float(lab[0]) * 100.0 / 255.0
        assert lightness[tone] == pytest.approx(SKIN_TONES[tone][0], abs=4.0)
    assert lightness["light"] > lightness["medium"] > lightness["dark"]

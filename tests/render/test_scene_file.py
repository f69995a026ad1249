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

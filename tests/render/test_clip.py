"""A rendered clip on disk: video, truth and config, and what the frames show."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from render_helpers import tiny_scene

from frontdesk.config import load_config
from frontdesk.render.clip import clip_files, render_clip, rendered_detector
from frontdesk.render.compose import SceneRenderer
from frontdesk.render.scene_file import render_scene_from_dict
from frontdesk.sim.render import sample_person
from frontdesk.sim.runs import sim_config
from frontdesk.sim.truth import Truth, compute_truth


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    rs = render_scene_from_dict(tiny_scene(), "tiny.yaml")
    seen: list[tuple[int, int]] = []
    result = render_clip(rs, tmp_path_factory.mktemp("clip") / "tiny.mp4",
                         progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (result.frames, result.frames) and len(seen) == result.frames
    return result.files.video, result


def test_the_clip_its_truth_and_config_are_written_beside_each_other(rendered) -> None:  # type: ignore[no-untyped-def]
    video, result = rendered
    files = clip_files(video)
    assert files.truth == video.with_name("tiny.truth.json")
    assert files.config == video.with_name("tiny.config.yaml")
    cap = cv2.VideoCapture(str(video))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == result.frames == 91  # 0 .. 6 s at 15 fps
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(15.0)
    ok, frame = cap.read()
    cap.release()
    assert ok and frame.shape == (360, 640, 3)
    assert not list(video.parent.glob(".*.mp4"))  # no temporary file left behind
    data = json.loads(files.truth.read_text())
    assert data["format"] == "frontdesk-truth" and data["source"]["renderer"] == "frontdesk.render"
    assert data["source"]["size"] == [640, 360]
    config = load_config(files.config)
    assert config.counters[0].zones == sim_config().counters[0].zones


def test_the_truth_is_the_simulators_truth_of_the_same_scene(rendered) -> None:  # type: ignore[no-untyped-def]
    video, result = rendered
    rs = render_scene_from_dict(tiny_scene(), "tiny.yaml")
    expected = compute_truth(rs.scene, sim_config(), 15.0, detector=rendered_detector((640, 360)))
    on_disk = Truth.load(clip_files(video).truth)
    assert [v.to_json() for v in on_disk.visits] == [v.to_json() for v in expected.visits]
    (visit,) = on_disk.visits
    assert visit.person == "bob" and visit.ack_t == pytest.approx(3.3, abs=0.1)


def test_people_are_drawn_where_the_simulator_projects_them() -> None:
    rs = render_scene_from_dict(tiny_scene(), "tiny.yaml")
    renderer = SceneRenderer(rs)
    frame = renderer.frame(45)  # t = 3 s
    room = renderer.backdrop.image
    for person in rs.scene.people:
        s = sample_person(rs.scene, person, np.array([3.0]), rendered_detector((640, 360)))
        u, v = int(s.u[0]), int(s.v[0])
        patch = np.abs(frame[v - 3:v + 4, u - 3:u + 4].astype(int)
                       - room[v - 3:v + 4, u - 3:u + 4].astype(int))
        assert patch.mean() > 25, f"{person.id} is not drawn at ({u}, {v})"
    # A corner of the room far from everyone only carries sensor noise.
    assert np.abs(frame[5:20, 300:340].astype(int) - room[5:20, 300:340].astype(int)).mean() < 4


def test_rendering_is_repeatable_and_the_seed_changes_the_noise() -> None:
    a = SceneRenderer(render_scene_from_dict(tiny_scene())).frame(10)
    b = SceneRenderer(render_scene_from_dict(tiny_scene())).frame(10)
    other = tiny_scene()
    other["render"]["seed"] = 2
    c = SceneRenderer(render_scene_from_dict(other)).frame(10)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.abs(a.astype(int) - c.astype(int)).mean() < 3


def test_a_frame_that_shows_what_the_one_before_showed_is_the_frame_drawn_alone() -> None:
    # Both people stand still from 0.9 s to 3 s (the staff member looks at the till),
    # while a green box crosses the picture between 1.5 s and 2.5 s.
    data = tiny_scene()
    data["render"]["occluders"] = [{
        "size": [0.25, 0.25, 0.5], "colour": [20, 200, 20],
        "path": [{"t": 1.5, "at": [0.0, -0.9, 1.3]}, {"t": 2.5, "at": [0.0, 1.2, 1.3]}]}]
    rs = render_scene_from_dict(data)
    in_turn = SceneRenderer(rs)
    frames = [in_turn.frame(i) for i in range(50)]
    assert in_turn.repeated >= 10  # the still stretches before and after the box
    for i in (14, 20, 22, 23, 26, 30, 38, 40, 44, 45, 46, 49):
        assert np.array_equal(frames[i], SceneRenderer(rs).frame(i)), f"frame {i}"

    def green_left_edge(frame: np.ndarray) -> int:
        f = frame.astype(int)
        return int(np.nonzero((f[..., 1] > f[..., 0] + 60) & (f[..., 1] > f[..., 2] + 60))[1].min())

    assert green_left_edge(frames[26]) < green_left_edge(frames[30])  # the box moved on


def test_an_occluder_hides_the_face_behind_it() -> None:
    data = tiny_scene()
    data["render"]["occluders"] = [{
        "size": [0.4, 0.4, 1.8], "colour": [20, 200, 20],
        "path": [{"t": 0, "at": [0.3, 0.36, 0.9]}, {"t": 6, "at": [0.3, 0.36, 0.9]}]}]
    rs = render_scene_from_dict(data)
    frame = SceneRenderer(rs).frame(45)
    s = sample_person(rs.scene, rs.scene.person("bob"), np.array([3.0]),
                      rendered_detector((640, 360)))
    b, g, r = frame[int(s.v[0]), int(s.u[0])].astype(int)
    assert g > b + 60 and g > r + 60  # the green box, not the face


def test_a_dim_scene_is_darker_and_noisier() -> None:
    bright = SceneRenderer(render_scene_from_dict(tiny_scene())).frame(10)
    data = tiny_scene()
    data["render"]["lighting"] = {"gain": 0.5, "gamma": 1.2, "noise": 8.0}
    dim = SceneRenderer(render_scene_from_dict(data)).frame(10)
    assert dim.mean() < 0.6 * bright.mean()
    flat = (slice(5, 40), slice(280, 360))  # ceiling: flat colour plus noise
    assert dim[flat].astype(float).std() > 2 * bright[flat].astype(float).std()

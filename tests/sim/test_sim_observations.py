"""observations.jsonl round trip, and scenes reproducible from a seed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from frontdesk.errors import FrontdeskError
from frontdesk.sim.generate import random_scene
from frontdesk.sim.observations import (
    observation_from_json,
    observation_to_json,
    read_observations,
    write_observations,
)
from frontdesk.sim.render import NOISE_PRESETS, render_frames
from frontdesk.sim.runs import sim_config
from frontdesk.sim.truth import compute_truth
from frontdesk.types import Face, FrameObservation


def _frames(seed: int, visits: int = 3, noise: str = "realistic") -> list[FrameObservation]:
    return list(render_frames(random_scene(seed, visits), NOISE_PRESETS[noise], seed=seed))


def test_observations_round_trip(tmp_path: Path) -> None:
    frames = _frames(5)
    frames[0].wall_time = 1_700_000_000.25
    path = tmp_path / "observations.jsonl"
    assert write_observations(path, frames) == len(frames)
    back = list(read_observations(path))
    assert len(back) == len(frames)
    assert sum(len(f.faces) for f in back) > 100
    for a, b in zip(frames, back, strict=True):
        assert (b.index, b.width, b.height) == (a.index, a.width, a.height)
        assert b.t == pytest.approx(a.t, abs=5e-5)
        assert b.wall_time == (None if a.wall_time is None else pytest.approx(a.wall_time))
        assert len(b.faces) == len(a.faces)
        for fa, fb in zip(a.faces, b.faces, strict=True):
            assert fb.bbox == pytest.approx(fa.bbox, abs=0.05)
            assert fb.gaze == pytest.approx(fa.gaze, abs=5e-5)
            assert fb.head_position_m == pytest.approx(fa.head_position_m, abs=5e-4)
            assert (fb.yaw_deg, fb.pitch_deg, fb.roll_deg) == pytest.approx(
                (fa.yaw_deg, fa.pitch_deg, fa.roll_deg), abs=5e-3)
            assert fb.score == pytest.approx(fa.score, abs=5e-4)
            assert fb.has_mesh and fb.landmarks is None
            assert fb.rotation == pytest.approx(fa.rotation, abs=3e-4)  # angles kept to 0.01 deg
    # Each line is the record's own to_json() plus the frame size (and wall time).
    first = json.loads(path.read_text().splitlines()[0])
    assert {k: first[k] for k in ("frame", "t", "faces")} == frames[0].to_json()
    assert first["width"] == 1280 and first["height"] == 720


def test_lines_without_a_frame_size_need_one_given(tmp_path: Path) -> None:
    face = Face(bbox=(10, 20, 50, 68), score=0.9, yaw_deg=1, pitch_deg=2, roll_deg=3,
                gaze=np.array([0.0, 0.0, -1.0]), head_position_m=np.array([0.1, 0.2, 1.5]),
                has_mesh=False)
    line = FrameObservation(7, 0.5, 640, 480, [face]).to_json()  # as inspect --json prints
    with pytest.raises(ValueError, match="width/height"):
        observation_from_json(line)
    obs = observation_from_json(line, 640, 480)
    assert (obs.index, obs.t, obs.width, obs.height) == (7, 0.5, 640, 480)
    assert obs.faces[0].center_px == (30.0, 44.0)
    rec = observation_to_json(FrameObservation(7, 0.5, 640, 480, [face]))
    assert rec["faces"][0]["has_mesh"] is False
    assert observation_from_json(rec).faces[0].has_mesh is False


def test_a_malformed_line_names_its_number(tmp_path: Path) -> None:
    p = tmp_path / "o.jsonl"
    p.write_text('{"frame": 0, "t": 0, "faces": [], "width": 8, "height": 8}\n\n{"frame": 1}\n')
    with pytest.raises(FrontdeskError, match=r"o\.jsonl:3: not an observation record"):
        list(read_observations(p))


def test_same_seed_same_scene_observations_and_truth() -> None:
    a, b = _frames(11), _frames(11)
    assert [observation_to_json(x) for x in a] == [observation_to_json(x) for x in b]
    cfg = sim_config()
    ta = compute_truth(random_scene(11, 3), cfg, fps=15).to_json()
    tb = compute_truth(random_scene(11, 3), cfg, fps=15).to_json()
    assert ta == tb
    c = _frames(12)
    assert [observation_to_json(x) for x in a] != [observation_to_json(x) for x in c]


def test_noise_depends_on_the_render_seed_not_the_scene() -> None:
    scene = random_scene(11, 2)
    clean = list(render_frames(scene, NOISE_PRESETS["none"], seed=1))
    clean2 = list(render_frames(scene, NOISE_PRESETS["none"], seed=2))
    noisy = list(render_frames(scene, NOISE_PRESETS["realistic"], seed=1))
    assert [observation_to_json(x) for x in clean] == [observation_to_json(x) for x in clean2]
    assert sum(len(f.faces) for f in noisy) < sum(len(f.faces) for f in clean)


def test_fps_sets_the_frame_times() -> None:
    scene = random_scene(3, 1)
    frames = list(render_frames(scene, NOISE_PRESETS["none"].with_fps(10.0)))
    assert frames[1].t == pytest.approx(0.1)
    assert frames[-1].t == pytest.approx(int(scene.duration_s * 10) / 10)

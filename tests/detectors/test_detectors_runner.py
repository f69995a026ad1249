"""The runner with a person detector: a tiny ONNX model built here, real MediaPipe, real frames.

The model returns one constant person box, so which frames it ran on and what
reached the observation can be checked exactly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml
from detector_models import constant_model, yolov8_rows
from skimage import data

from frontdesk.cli import main
from frontdesk.config import parse_config
from frontdesk.errors import ModelError
from frontdesk.runner import Runner

W, H = 640, 360
# A person on the right half (the service zone): frame box (360, 40, 610, 360). The
# 640x360 frame goes into the 640x640 input unscaled with 140 rows of padding on top.
BODY_FRAME = (360.0, 40.0, 610.0, 360.0)
BODY_INPUT = (485.0, 200.0 + 140.0, 250.0, 320.0)  # cx, cy, w, h in input pixels


def _frames(folder: Path, count: int, with_face: bool) -> None:
    folder.mkdir()
    frame = np.full((H, W, 3), 90, np.uint8)
    if with_face:
        face = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[0:300, 120:380]
        frame[60:300, 380:588] = cv2.resize(face, (208, 240))
    for i in range(count):
        cv2.imwrite(str(folder / f"{i:04d}.jpg"), frame)


def _models(tmp_path: Path) -> Path:
    src = constant_model(tmp_path / "person.onnx",
                         yolov8_rows(8400, {0: (BODY_INPUT, {0: 0.9})}))
    models = tmp_path / "models"
    assert main(["models", "add", str(src), "--models-dir", str(models), "--name", "tiny",
                 "--layout", "yolov8"]) == 0
    return models


def _config(tmp_path: Path, models: Path | None, every_n: int = 3) -> Any:
    cfg: dict[str, Any] = {
        "site_id": "test-shop",
        "camera": {"source": str(tmp_path / "frames"), "horizontal_fov_deg": 90},
        "counters": [{"id": "till", "zones": {
            "service": [[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]],
            "staff": [[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]],
        }}],
        "engine": {"alert_after_s": 2.0, "escalate_after_s": 60.0},
    }
    if models is not None:
        cfg["detectors"] = {"models_dir": str(models),
                            "person": {"model": "tiny", "every_n_frames": every_n}}
    return parse_config(yaml.safe_dump(cfg))


def _run(tmp_path: Path, config: Any) -> tuple[Runner, list[Any], list[str]]:
    frames: list[Any] = []
    events: list[str] = []
    runner = Runner(config, use_store=False, use_mqtt=False,
                    on_event=lambda e: events.append(e.type.value))
    runner.add_observer(lambda frame, obs, engine, evs: frames.append(
        (obs.index, obs.bodies_fresh, [b.xyxy for b in obs.bodies], len(obs.faces),
         [v.seen_by for v in engine.tracks_view()])))
    runner.run()
    return runner, frames, events


def test_the_detector_runs_every_n_frames_and_its_bodies_reach_the_observation(
        tmp_path: Path) -> None:
    _frames(tmp_path / "frames", 12, with_face=True)
    runner, frames, _ = _run(tmp_path, _config(tmp_path, _models(tmp_path), every_n=3))
    assert [f[0] for f in frames] == list(range(12))
    assert [i for i, fresh, *_ in frames if fresh] == [0, 3, 6, 9]
    # every frame carries the latest run's box; only the run's own frames call it fresh
    assert all(boxes == [BODY_FRAME] for _, _, boxes, *_ in frames)
    assert runner.person_detector._totals.frames == 4  # one inference per run, no more
    assert all(n_faces == 1 for *_, n_faces, _ in frames)
    # face and body are one person: one track, seen by its face
    assert all(seen == ["face"] for *_, seen in frames[2:])


def test_a_body_alone_arrives_and_waits(tmp_path: Path) -> None:
    """No face in any frame: the person detector's body is the only customer."""
    _frames(tmp_path / "frames", 40, with_face=False)
    _, frames, events = _run(tmp_path, _config(tmp_path, _models(tmp_path), every_n=2))
    assert all(n_faces == 0 for *_, n_faces, _ in frames)
    assert "body" in {s for *_, seen in frames for s in seen}
    assert events[:2] == ["customer_arrived", "customer_waiting"]


def test_without_a_detector_the_same_frames_give_nothing(tmp_path: Path) -> None:
    _frames(tmp_path / "frames", 40, with_face=False)
    runner, frames, events = _run(tmp_path, _config(tmp_path, None))
    assert runner.person_detector is None
    assert events == []
    assert all(not fresh and boxes == [] for _, fresh, boxes, *_ in frames)


def test_a_missing_model_file_stops_the_run_before_the_first_frame(tmp_path: Path) -> None:
    _frames(tmp_path / "frames", 3, with_face=False)
    models = _models(tmp_path)
    (models / "person.onnx").unlink()
    runner = Runner(_config(tmp_path, models), use_store=False, use_mqtt=False)
    seen: list[Any] = []
    runner.add_observer(lambda *args: seen.append(args))
    with pytest.raises(ModelError, match="person.onnx"):
        runner.run()
    assert seen == [] and runner.summary.frames == 0


def test_an_altered_model_file_stops_the_run(tmp_path: Path) -> None:
    _frames(tmp_path / "frames", 3, with_face=False)
    models = _models(tmp_path)
    with open(models / "person.onnx", "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="(?i)sha-?256|checksum"):
        Runner(_config(tmp_path, models), use_store=False, use_mqtt=False).run()


def test_detector_runs_further_apart_than_the_grace_are_warned_about_at_start_up(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A folder is timed at 10 fps: one run in 12 frames is 1.2 s, over the 1 s grace."""
    _frames(tmp_path / "frames", 14, with_face=False)
    with caplog.at_level("WARNING", logger="frontdesk.runner"):
        _run(tmp_path, _config(tmp_path, _models(tmp_path), every_n=12))
    warned = [r.getMessage() for r in caplog.records if "every_n_frames" in r.getMessage()]
    assert len(warned) == 1
    assert "every 1.20 s" in warned[0] and "grace_s 1.00" in warned[0]
    assert "at most 10" in warned[0]


def test_detector_runs_within_the_grace_are_not_warned_about(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _frames(tmp_path / "frames", 14, with_face=False)
    with caplog.at_level("WARNING", logger="frontdesk.runner"):
        _run(tmp_path, _config(tmp_path, _models(tmp_path), every_n=10))  # 1.0 s: allowed
    assert not [r for r in caplog.records if "every_n_frames" in r.getMessage()]

"""One frame pipeline: every command that perceives sees the same thing.

A short clip with a real face (scikit-image's astronaut) goes through the
runner, ``eval --video``'s perception and ``calibrate snapshot``; real
MediaPipe each time. Their observations must agree frame for frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from skimage import data

from frontdesk.config import Config, default_config_dict
from frontdesk.pipeline import FramePipeline
from frontdesk.render.evaluate import perceive_clip
from frontdesk.runner import Runner
from frontdesk.types import Frame
from frontdesk.web.snapshot import take_snapshot

W, H, FPS, FRAMES = 640, 360, 15.0, 12


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A face sliding across a grey room, written as an MJPG AVI (lossy, as footage is)."""
    path = tmp_path_factory.mktemp("pipeline") / "clip.avi"
    face = cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[0:300, 120:380],
                      (130, 150))
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (W, H))
    assert out.isOpened()
    for i in range(FRAMES):
        frame = np.full((H, W, 3), 90, np.uint8)
        x = 380 + 6 * i
        frame[100:250, x:x + 130] = face
        out.write(frame)
    out.release()
    return path


def _config(clip: Path) -> Config:
    return Config.model_validate(default_config_dict(camera={"source": str(clip)}))


def _comparable(obs: Any) -> dict[str, Any]:
    record = obs.to_json()
    return {k: v for k, v in record.items() if k != "wall_time"}


def test_runner_eval_and_snapshot_see_the_same_observations(clip: Path) -> None:
    config = _config(clip)
    seen: list[Any] = []
    runner = Runner(config, use_store=False, use_mqtt=False)
    runner.add_observer(lambda frame, obs, engine, events: seen.append(obs))
    runner.run()
    evaluated = perceive_clip(clip, config).observations
    snapshot = take_snapshot(config, frames=FRAMES).observations

    assert len(seen) == len(evaluated) == len(snapshot) == FRAMES
    assert sum(len(o.faces) for o in seen) >= FRAMES - 1  # the face is really seen
    for a, b, c in zip(seen, evaluated, snapshot, strict=True):
        assert _comparable(a) == _comparable(b) == _comparable(c)


def test_the_pipeline_runs_perception_then_the_engine(clip: Path) -> None:
    config = _config(clip)
    image = np.full((H, W, 3), 90, np.uint8)
    with FramePipeline(config) as pipeline:
        step = pipeline.step(Frame(image, 0.0, 0))
        assert step.observation.faces == [] and step.events == []
        assert pipeline.require_engine().frames == 1
    with FramePipeline(config, engine=False) as perception_only:
        assert perception_only.step(Frame(image, 0.0, 0)).events == []
        with pytest.raises(RuntimeError, match="without the engine"):
            perception_only.update(step.observation)
    replay = FramePipeline(config, perceive=False)
    with pytest.raises(RuntimeError, match="without perception"):
        replay.perceive(Frame(image, 0.0, 0))
    assert replay.update(step.observation) == []

"""The person detector is a stage of the frame pipeline, so every command gets it.

Before the pipeline, only ``frontdesk run`` ran the person detector:
``eval --video`` and ``calibrate snapshot`` silently skipped it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from detector_models import constant_model, yolov8_rows

from frontdesk.cli import main
from frontdesk.config import Config, default_config_dict
from frontdesk.render.evaluate import perceive_clip
from frontdesk.web.snapshot import take_snapshot

W, H = 640, 360
BODY_FRAME = (360.0, 40.0, 610.0, 360.0)
BODY_INPUT = (485.0, 200.0 + 140.0, 250.0, 320.0)  # cx, cy, w, h in the 640x640 input


def _clip(path: Path, frames: int) -> Path:
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15.0, (W, H))
    for _ in range(frames):
        out.write(np.full((H, W, 3), 90, np.uint8))
    out.release()
    return path


def _config(tmp_path: Path, clip: Path) -> Config:
    src = constant_model(tmp_path / "person.onnx",
                         yolov8_rows(8400, {0: (BODY_INPUT, {0: 0.9})}))
    models = tmp_path / "models"
    assert main(["models", "add", str(src), "--models-dir", str(models), "--name", "tiny",
                 "--layout", "yolov8"]) == 0
    return Config.model_validate(default_config_dict(
        camera={"source": str(clip)},
        detectors={"models_dir": str(models), "person": {"model": "tiny", "every_n_frames": 2}}))


def test_eval_video_and_snapshot_see_bodies(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "empty.avi", 6)
    config = _config(tmp_path, clip)
    for observations in (perceive_clip(clip, config).observations,
                         take_snapshot(config, frames=6).observations):
        assert [o.bodies_fresh for o in observations] == [True, False] * 3
        for o in observations:
            assert [b.xyxy for b in o.bodies] == [BODY_FRAME]

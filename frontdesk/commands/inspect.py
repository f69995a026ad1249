"""`frontdesk inspect IMAGE_OR_VIDEO`: print what perception sees, frame by frame.

Perception is the frame pipeline's (:mod:`frontdesk.pipeline`): with a config
that has a person detector, its bodies are in each observation too.

With ``--json`` each frame is one line holding
:func:`frontdesk.sim.observations.observation_to_json` (the observation with its
frame size), the format ``frontdesk eval`` and ``frontdesk run --observations``
read; otherwise a short readable summary per frame and face.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import TYPE_CHECKING

from frontdesk.commands import add_camera_option
from frontdesk.config import CameraConfig, Config, PerceptionConfig

if TYPE_CHECKING:
    from frontdesk.types import FrameObservation


def _fov(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of degrees: {text!r}") from None
    if not (math.isfinite(value) and 10.0 < value < 180.0):
        raise argparse.ArgumentTypeError(
            f"the field of view must be between 10 and 180 degrees, got {text}"
        )
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "inspect",
        help="print the faces perception sees in an image or video (pose, gaze, position)",
    )
    p.add_argument(
        "input", metavar="IMAGE_OR_VIDEO", help="an image, a video file or a folder of images"
    )
    p.add_argument("--json", action="store_true", help="one JSON object per frame and line")
    p.add_argument(
        "--config", metavar="FILE", help="take camera and perception settings from this config"
    )
    p.add_argument(
        "--fov", type=_fov, metavar="DEG",
        help="horizontal field of view in degrees (replaces the config's camera model; default 90)",
    )
    add_camera_option(p)
    p.set_defaults(func=run)


def inspect_config(config_path: str | None, fov_deg: float | None,
                   camera_id: str | None = None) -> Config:
    """The config ``inspect`` runs with: the file's (its camera ``camera_id`` when it
    lists several), or the defaults; ``fov_deg`` replaces the camera model."""
    from frontdesk.config import Config, default_config_dict, load_camera_config

    cfg = (load_camera_config(config_path, camera_id) if config_path
           else Config.model_validate(default_config_dict()))
    if fov_deg is not None:
        data = cfg.camera.model_dump()
        data.update(horizontal_fov_deg=fov_deg, matrix=None, distortion=None, calibrated_size=None)
        cfg = cfg.model_copy(update={"camera": CameraConfig.model_validate(data)})
    return cfg


def camera_and_perception(
    config_path: str | None, fov_deg: float | None, camera_id: str | None = None
) -> tuple[CameraConfig, PerceptionConfig]:
    """The camera and perception settings of :func:`inspect_config`."""
    cfg = inspect_config(config_path, fov_deg, camera_id)
    return cfg.camera, cfg.perception


def format_observation(obs: FrameObservation) -> str:
    """A readable summary of one frame's faces."""
    n = len(obs.faces)
    lines = [f"frame {obs.index}  t={obs.t:.3f}s  {n} face{'s' if n != 1 else ''}"]
    for i, f in enumerate(obs.faces):
        x0, y0, x1, y1 = f.bbox
        gx, gy, gz = f.gaze
        px, py, pz = f.head_position_m
        lines.append(
            f"  #{i} box ({x0:.0f},{y0:.0f})-({x1:.0f},{y1:.0f}) score {f.score:.2f}  "
            f"yaw {f.yaw_deg:+.1f} pitch {f.pitch_deg:+.1f} roll {f.roll_deg:+.1f} deg  "
            f"gaze ({gx:+.2f},{gy:+.2f},{gz:+.2f})  head ({px:+.2f},{py:+.2f},{pz:.2f}) m  "
            f"{'mesh' if f.has_mesh else 'keypoints only'}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from frontdesk.capture import open_source
    from frontdesk.demo_footage import resolve_source
    from frontdesk.errors import SourceError
    from frontdesk.pipeline import FramePipeline
    from frontdesk.sim.observations import observation_to_json

    config = inspect_config(args.config, args.fov, args.camera)
    frames = 0
    with (open_source(resolve_source(args.input), config.camera) as source,
          FramePipeline(config, engine=False) as pipeline):
        for frame in source:
            frames += 1
            obs = pipeline.perceive(frame)
            text = json.dumps(observation_to_json(obs)) if args.json else format_observation(obs)
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
    if frames == 0:
        raise SourceError(f"{args.input}: no image or video frame could be read from it")
    return 0

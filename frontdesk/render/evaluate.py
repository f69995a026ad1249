"""Perception and the engine over a video, scored against its truth file.

The whole chain on footage: frames decoded from the file (video time), the real
perception of the frame pipeline (:class:`~frontdesk.pipeline.FramePipeline`:
faces, and bodies when a person detector is configured), then the simulator's evaluation
(:func:`frontdesk.sim.evaluate.evaluate`: a fresh engine, visits matched to the
truth, latency errors, alert precision and recall; docs/simulator.md,
"Evaluation"). The observations can be kept as ``observations.jsonl``, the
format ``frontdesk eval`` reads, so a run can be re-scored without perception.

From the command line::

    frontdesk eval --video CLIP.mp4 [--truth T] [--config C] [--json]
        [--save-observations OUT.jsonl] [--details OUT.jsonl]
    frontdesk render-scene SCENE.yaml --out CLIP.mp4 --eval

Truth and config default to the files :func:`frontdesk.render.clip.render_clip`
writes beside the clip.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frontdesk.config import Config, load_camera_config
from frontdesk.errors import FrontdeskError
from frontdesk.render.clip import clip_files
from frontdesk.sim.truth import Truth
from frontdesk.types import FrameObservation

__all__ = [
    "PerceptionRun",
    "perceive_clip",
    "evaluate_clip",
    "evaluate_observations",
    "format_figures",
]

log = logging.getLogger(__name__)

Progress = Callable[[int], None]


@dataclass
class PerceptionRun:
    """Perception's output over a clip, and what it cost."""

    observations: list[FrameObservation]
    seconds: float
    stage_ms: dict[str, float] = field(default_factory=dict)
    faces_seen: int = 0
    mesh_misses: int = 0


def perceive_clip(clip: str | os.PathLike[str], config: Config,
                  out: str | os.PathLike[str] | None = None,
                  progress: Progress | None = None) -> PerceptionRun:
    """The pipeline's perception (faces, and bodies when a person detector is
    configured) over every frame of ``clip``; optionally write observations.jsonl."""
    from frontdesk.capture import open_source
    from frontdesk.pipeline import FramePipeline

    path = Path(clip)
    if not path.is_file():
        raise FrontdeskError(f"{path}: no such video")
    started = time.monotonic()
    observations: list[FrameObservation] = []
    with (open_source(str(path), config.camera) as source,
          FramePipeline(config, engine=False) as pipeline):
        for frame in source:
            observations.append(pipeline.perceive(frame))
            if progress is not None:
                progress(len(observations))
        perceiver = pipeline.perceiver
        assert perceiver is not None
        stage = perceiver.stage_ms
        seen, misses = perceiver.faces_seen, perceiver.mesh_misses
    if out is not None:
        from frontdesk.sim.observations import write_observations

        write_observations(out, observations)
    return PerceptionRun(observations, time.monotonic() - started, stage, seen, misses)


def evaluate_observations(observations: list[FrameObservation], truth: Truth, config: Config,
                          max_distance_norm: float = 0.08) -> dict[str, Any]:
    """The simulator's evaluation of the engine over these observations (with ``details``)."""
    from frontdesk.sim.evaluate import evaluate

    return evaluate(truth, config, observations, max_distance_norm)


def evaluate_clip(clip: str | os.PathLike[str], truth_path: str | os.PathLike[str] | None = None,
                  config_path: str | os.PathLike[str] | None = None,
                  observations_out: str | os.PathLike[str] | None = None,
                  max_distance_norm: float = 0.08,
                  camera_id: str | None = None) -> dict[str, Any]:
    """Perception, engine and scoring on one clip: the figures of ``sim.evaluate.score``.
    ``camera_id`` picks the camera of a config that lists several."""
    files = clip_files(clip)
    truth_file = Path(truth_path) if truth_path else files.truth
    config_file = Path(config_path) if config_path else files.config
    if not truth_file.is_file():
        raise FrontdeskError(f"{truth_file}: no truth file (render the clip with "
                             f"`frontdesk render-scene`, or pass --truth)")
    try:
        truth = Truth.load(truth_file)
    except ValueError as exc:
        raise FrontdeskError(f"{truth_file}: {exc}") from None
    config = load_camera_config(config_file, camera_id)
    run = perceive_clip(clip, config, observations_out)
    figures = evaluate_observations(run.observations, truth, config, max_distance_norm)
    figures["perception_s"] = round(run.seconds, 2)
    return figures


def format_figures(figures: dict[str, Any]) -> str:
    """The figures as a few readable lines."""
    lat = figures["latency_error_s"]

    def f(x: object) -> str:
        return "-" if x is None else f"{x}"

    return "\n".join([
        f"visits            {figures['visits']} (matched {figures['visits_matched']}, "
        f"engine {figures['engine_visits']})",
        f"latency error s   p50 {f(lat['p50'])}  p95 {f(lat['p95'])}  max {f(lat['max'])}",
        f"within 0.25 s     {f(figures['within_0_25_s'])} of "
        f"{figures['visits_with_latency']} visits with a latency",
        f"alerts            precision {f(figures['alert_precision'])}  "
        f"recall {f(figures['alert_recall'])}",
        f"acknowledgements  precision {f(figures['ack_precision'])}  "
        f"recall {f(figures['ack_recall'])}",
    ])


def evaluate_camera_clips(clips: dict[str, str | os.PathLike[str]],
                          truth_path: str | os.PathLike[str],
                          max_distance_norm: float = 0.08) -> dict[str, Any]:
    """Perception on each camera's clip (with its ``<id>.config.yaml``: zones through
    it, its pose), the observations fused into one engine in the first camera's
    frame, scored against the cameras' fused truth (``render-scene`` with
    ``cameras:``): the figures of ``sim.evaluate.score`` plus ``cameras`` and
    ``perception_s``."""
    from frontdesk.sim.evaluate import evaluate_cameras

    try:
        truth = Truth.load(truth_path)
    except ValueError as exc:
        raise FrontdeskError(f"{truth_path}: {exc}") from None
    configs: dict[str, Config] = {}
    observations: dict[str, list[FrameObservation]] = {}
    started = time.monotonic()
    for cid, clip in clips.items():
        configs[cid] = load_camera_config(clip_files(clip).config)
        observations[cid] = perceive_clip(clip, configs[cid]).observations
    seconds = time.monotonic() - started
    figures = evaluate_cameras(truth, configs, observations, max_distance_norm)
    figures["perception_s"] = round(seconds, 2)
    return figures

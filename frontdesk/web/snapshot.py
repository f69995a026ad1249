"""``frontdesk calibrate snapshot``: one frame with the live view's overlays, written to a file.

For installers working remotely: grab a few frames from the camera (so tracks
settle and roles are given), run them through the frame pipeline exactly as
``frontdesk run`` does (:mod:`frontdesk.pipeline`), and draw the last frame
with :func:`draw_overlays`. The placement check runs over the same frames.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from frontdesk.config import Config
from frontdesk.errors import FrontdeskError
from frontdesk.types import FrameObservation
from frontdesk.web.overlay import draw_overlays
from frontdesk.web.placement_check import FrameSample, PlacementReport, check_placement

__all__ = ["Snapshot", "take_snapshot", "check_image_path", "write_image"]

log = logging.getLogger(__name__)


@dataclass
class Snapshot:
    image: np.ndarray
    """The last frame with overlays."""
    frames: int
    faces: int
    tracks: list[Any]
    states: dict[str, Any]
    placement: PlacementReport
    observations: list[FrameObservation] = field(default_factory=list)
    """What perception saw in each frame, in order."""


def take_snapshot(config: Config, source: str | None = None, frames: int = 30,
                  timeout_s: float = 30.0) -> Snapshot:
    """Run ``frames`` frames of ``source`` (default ``camera.source``) and draw the last.

    Raises:
        FrontdeskError: the source gives no frame within ``timeout_s``.
    """
    from frontdesk.capture import StatusChange, open_source, scrub_credentials
    from frontdesk.demo_footage import resolve_source
    from frontdesk.pipeline import FramePipeline, PipelineStep

    if frames < 1:
        raise FrontdeskError("--frames must be at least 1")
    spec = source or config.camera.source
    samples: list[FrameSample] = []
    observations: list[FrameObservation] = []
    last: PipelineStep | None = None
    count = 0
    with FramePipeline(config) as pipeline:
        src = open_source(resolve_source(spec), config.camera, loop=True)
        timer = threading.Timer(timeout_s, src.close)  # closing wakes a wait on a dead camera
        timer.daemon = True
        timer.start()
        try:
            for item in src.events():
                if isinstance(item, StatusChange):
                    if item.status != "online":
                        log.warning("camera %s: %s", item.status, item.detail)
                    continue
                timer.cancel()  # a frame came: the timeout is for the first one only
                last = pipeline.step(item)
                observations.append(last.observation)
                samples.append(FrameSample.from_observation(last.observation))
                count += 1
                if count >= frames:
                    break
        finally:
            timer.cancel()
            src.close()
    engine = pipeline.require_engine()
    if last is None:
        raise FrontdeskError(f"no frame from {scrub_credentials(spec)} within {timeout_s:.0f} s")
    frame, obs = last.frame, last.observation
    assert frame is not None
    tracks = list(engine.tracks_view())
    states = dict(engine.counter_states(obs.t))
    image = draw_overlays(frame.image, obs, tracks, states, config)
    span_s = samples[-1].t - samples[0].t if samples else 0.0
    placement = check_placement(samples, config, window_s=max(60.0, span_s + 1.0))
    return Snapshot(image, count, len(obs.faces), tracks, states, placement, observations)


def check_image_path(path: str | Path) -> Path:
    """``path`` if a PNG or JPEG can be written there (checked before any work is done)."""
    p = Path(path)
    if p.suffix.lower() not in (".png", ".jpg", ".jpeg"):
        raise FrontdeskError(f"--out must end in .png or .jpg, got {p.name}")
    if not p.parent.is_dir():
        raise FrontdeskError(f"cannot write {p}: the folder {p.parent} does not exist")
    return p


def write_image(path: str | Path, image: np.ndarray) -> Path:
    """Write a PNG or JPEG; raise FrontdeskError with the reason when it fails."""
    p = check_image_path(path)
    try:
        ok = cv2.imwrite(str(p), image)
    except cv2.error as exc:
        raise FrontdeskError(f"cannot write {p}: {exc}") from None
    if not ok:
        raise FrontdeskError(f"cannot write {p}")
    return p

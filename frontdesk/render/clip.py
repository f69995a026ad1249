"""A rendered clip on disk: the video, its ground truth and the config the truth was judged with.

``render_clip(scene, "out/clip.mp4")`` writes:

* ``clip.mp4``: the frames, mp4v, at the scene's size and frame rate;
* ``clip.truth.json``: the ground truth (docs/simulator.md, "truth.json"), from
  :func:`frontdesk.sim.truth.compute_truth`;
* ``clip.config.yaml``: the config (zones, engine settings) the truth was judged with.

The truth is the simulator's, computed from the same scene the frames are drawn
from, with a detector model that matches what MediaPipe finds on rendered
footage (:func:`rendered_detector`). The video is written to a temporary file
and renamed, so a reader never sees half a clip.
"""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2

from frontdesk.config import Config
from frontdesk.errors import FrontdeskError
from frontdesk.render.scene_file import RenderScene
from frontdesk.sim.render import DetectorModel
from frontdesk.sim.runs import config_yaml, sim_config
from frontdesk.sim.truth import Truth, compute_truth

__all__ = [
    "ClipFiles",
    "RenderResult",
    "clip_files",
    "rendered_detector",
    "scene_config",
    "render_clip",
    "MIN_FACE_FRACTION",
]

log = logging.getLogger(__name__)

MIN_FACE_FRACTION = 0.0175
"""Narrowest face (its 0.15 m box) the truth counts as seen, as a fraction of the frame width.

MediaPipe's full-range detector shrinks its input to 192 pixels, so what it finds
depends on a face's size relative to the frame (or to the square tile it runs on,
``perception.detection_tiles``). Measured with ``python -m
frontdesk.render.face_floor`` (customers walking up the walkway toward the
camera, a staff member in view, 960, 1280 and 1920 px wide, 16:9, default
perception settings): from 1.75 % of the width on, the face is found on at least
80 % of the frames on which a tile containing it runs, at every width; the tiles
run in turn, so such a face is found on every other frame, which the tracker and
the eye-contact rule bridge. The whole-frame pass alone finds them on at most half
the frames up to 8 % of the width (the largest measured). See docs/rendering.md,
"The smallest face the truth counts"."""

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ClipFiles:
    video: Path
    truth: Path
    config: Path


@dataclass
class RenderResult:
    """What :func:`render_clip` wrote."""

    files: ClipFiles
    frames: int
    size: tuple[int, int]
    fps: float
    truth: Truth
    seconds: float


def clip_files(video: str | os.PathLike[str]) -> ClipFiles:
    """The truth and config paths that go with a clip: ``NAME.truth.json``, ``NAME.config.yaml``."""
    v = Path(video)
    return ClipFiles(v, v.with_name(f"{v.stem}.truth.json"), v.with_name(f"{v.stem}.config.yaml"))


def rendered_detector(size: tuple[int, int]) -> DetectorModel:
    """The simulator's detector model with the face-size floor perception shows on renders."""
    return DetectorModel(min_face_px=MIN_FACE_FRACTION * size[0])


def scene_config(rs: RenderScene, config: Config | None = None) -> Config:
    """The config a scene's truth is judged with: ``config``, or the simulator's default counter."""
    if config is not None:
        return config
    return sim_config(rs.scene.counter_id)


def render_clip(rs: RenderScene, out: str | os.PathLike[str], config: Config | None = None,
                progress: Progress | None = None) -> RenderResult:
    """Render ``rs`` to ``out`` (mp4v) and write its truth and config beside it."""
    from frontdesk.render.compose import SceneRenderer

    started = time.monotonic()
    files = clip_files(out)
    cfg = scene_config(rs, config)
    size = rs.settings.size
    fps = rs.settings.fps
    detector = rendered_detector(size)
    truth = compute_truth(rs.scene, cfg, fps, detector=detector)
    truth.source = {**truth.source, "renderer": "frontdesk.render", "size": list(size),
                    "fps": fps, "min_face_px": round(detector.min_face_px, 1),
                    "looks": {pid: _look_json(look) for pid, look in rs.looks.items()}}
    renderer = SceneRenderer(rs)
    files.video.parent.mkdir(parents=True, exist_ok=True)
    tmp = files.video.with_name(f".{files.video.stem}.{os.getpid()}-{secrets.token_hex(4)}.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
    try:
        if not writer.isOpened():
            raise FrontdeskError(f"OpenCV cannot write mp4v video to {tmp}")
        n = renderer.n_frames
        for i in range(n):
            writer.write(renderer.frame(i))
            if progress is not None:
                progress(i + 1, n)
        writer.release()
        os.replace(tmp, files.video)
    except OSError as exc:
        raise FrontdeskError(f"cannot write {files.video}: {exc.strerror or exc}") from None
    finally:
        writer.release()
        tmp.unlink(missing_ok=True)
    truth.save(files.truth)
    files.config.write_text(config_yaml(cfg), encoding="utf-8")
    seconds = time.monotonic() - started
    log.info("rendered %s: %d frames %dx%d at %g fps in %.1f s, %d true visits", files.video,
             renderer.n_frames, size[0], size[1], fps, seconds, len(truth.visits))
    return RenderResult(files, renderer.n_frames, size, fps, truth, seconds)


def _look_json(look: object) -> dict:
    from dataclasses import asdict

    d = asdict(look)  # type: ignore[call-overload]
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}

"""A rendered clip on disk: the video, its ground truth and the config the truth was judged with.

``render_clip(scene, "out/clip.mp4")`` writes:

* ``clip.mp4``: the frames, mp4v, at the scene's size and frame rate;
* ``clip.truth.json``: the ground truth (docs/simulator.md, "truth.json"), from
  :func:`frontdesk.sim.truth.compute_truth`;
* ``clip.config.yaml``: the config (zones, engine settings) the truth was judged with.

A scene that lists ``cameras:`` (:mod:`frontdesk.sim.cameras`) is rendered by
``render_cameras(scene, "out/")`` instead: ``out/<id>.mp4`` and ``out/<id>.config.yaml``
per camera (the counter's zones as that camera sees them, its pose), and one
``out/truth.json``: what the cameras see together (a face seen by any of them is
seen), judged through the first camera.

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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2

from frontdesk.config import Config
from frontdesk.errors import FrontdeskError
from frontdesk.render.scene_file import RenderScene, load_render_scene, render_scene_from_dict
from frontdesk.sim.render import DetectorModel
from frontdesk.sim.runs import camera_config, config_yaml, sim_config
from frontdesk.sim.truth import Truth, compute_truth

__all__ = [
    "render_scene_file",
    "render_scene_data",
    "ClipFiles",
    "RenderResult",
    "clip_files",
    "rendered_detector",
    "scene_config",
    "render_clip",
    "render_cameras",
    "CamerasResult",
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
    """The config a scene's truth is judged with: ``config``, or the simulator's default
    counter seen through the scene's camera, whose pose the renderer knows
    (``camera.pose``, ``camera.horizontal_fov_deg``; with a ``cameras:`` list, the
    first camera's, with the zones drawn through it)."""
    if config is not None:
        return config
    if rs.scene.cameras:
        try:
            return camera_config(rs.scene, rs.scene.cameras[0].id)
        except ValueError as exc:
            raise FrontdeskError(str(exc)) from None
    layout = rs.scene.layout
    return sim_config(rs.scene.counter_id,
                      camera={"horizontal_fov_deg": layout.horizontal_fov_deg,
                              "pose": layout.camera.config_dict()})


def _write_video(rs: RenderScene, video: Path, progress: Progress | None) -> int:
    """Render ``rs``'s frames to ``video`` (mp4v, through a temporary file); the frame count."""
    from frontdesk.render.compose import SceneRenderer

    renderer = SceneRenderer(rs)
    size, fps = rs.settings.size, rs.settings.fps
    video.parent.mkdir(parents=True, exist_ok=True)
    tmp = video.with_name(f".{video.stem}.{os.getpid()}-{secrets.token_hex(4)}.mp4")
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
        os.replace(tmp, video)
    except OSError as exc:
        raise FrontdeskError(f"cannot write {video}: {exc.strerror or exc}") from None
    finally:
        writer.release()
        tmp.unlink(missing_ok=True)
    return renderer.n_frames


def _truth(rs: RenderScene, cfg: Config, fused: bool = False) -> Truth:
    """The clip's truth; ``fused``: of all the scene's cameras together (a face seen
    by any of them is seen), judged through the first."""
    size, fps = rs.settings.size, rs.settings.fps
    detector = rendered_detector(size)
    views = []
    if fused:
        for cam in rs.scene.cameras[1:]:
            seen = rs.scene.for_camera(cam.id, size)
            views.append((seen, rendered_detector(seen.layout.image_size)))
    truth = compute_truth(rs.scene, cfg, fps, detector=detector, views=views)
    truth.source = {**truth.source, "renderer": "frontdesk.render", "size": list(size),
                    "fps": fps, "min_face_px": round(detector.min_face_px, 1),
                    "looks": {pid: _look_json(look) for pid, look in rs.looks.items()}}
    return truth


def render_scene_file(scene: str | os.PathLike[str], out: str | os.PathLike[str]
                      ) -> RenderResult:
    """:func:`render_clip` of the scene file ``scene`` (a plain function of paths: it
    can run in another process, as the tests' prefetching does)."""
    return render_clip(load_render_scene(scene), out)


def render_scene_data(data: dict[str, Any], name: str, out: str | os.PathLike[str]
                      ) -> RenderResult:
    """:func:`render_clip` of a parsed scene file ``data`` (``name`` for its messages):
    like :func:`render_scene_file`, a plain function of picklable arguments."""
    return render_clip(render_scene_from_dict(data, name), out)


def render_clip(rs: RenderScene, out: str | os.PathLike[str], config: Config | None = None,
                progress: Progress | None = None) -> RenderResult:
    """Render ``rs`` to ``out`` (mp4v) and write its truth and config beside it."""
    started = time.monotonic()
    files = clip_files(out)
    cfg = scene_config(rs, config)
    truth = _truth(rs, cfg)
    frames = _write_video(rs, files.video, progress)
    truth.save(files.truth)
    files.config.write_text(config_yaml(cfg), encoding="utf-8")
    seconds = time.monotonic() - started
    size, fps = rs.settings.size, rs.settings.fps
    log.info("rendered %s: %d frames %dx%d at %g fps in %.1f s, %d true visits", files.video,
             frames, size[0], size[1], fps, seconds, len(truth.visits))
    return RenderResult(files, frames, size, fps, truth, seconds)


@dataclass
class CamerasResult:
    """What :func:`render_cameras` wrote: one clip and config per camera, one truth."""

    clips: dict[str, ClipFiles]
    truth_path: Path
    truth: Truth
    frames: int
    seconds: float


def render_cameras(rs: RenderScene, out_dir: str | os.PathLike[str],
                   progress: Progress | None = None) -> CamerasResult:
    """Render a scene that lists ``cameras:`` into ``out_dir``: ``<id>.mp4`` and
    ``<id>.config.yaml`` (zones through that camera, its pose) per camera, and one
    ``truth.json``: what the cameras together see (a face seen by any of them is
    seen), judged through the first camera (its zones, its image positions).

    Raises:
        FrontdeskError: the scene lists no cameras; a camera cannot see the counter.
    """
    cameras = rs.scene.cameras
    if not cameras:
        raise FrontdeskError(f"{rs.name}: lists no cameras: render it with render_clip")
    started = time.monotonic()
    folder = Path(out_dir)
    try:  # refused before anything is drawn
        configs = {c.id: camera_config(rs.scene, c.id) for c in cameras}
    except ValueError as exc:
        raise FrontdeskError(str(exc)) from None
    truth = _truth(rs, configs[cameras[0].id], fused=True)
    truth.source = {**truth.source, "cameras": [c.id for c in cameras]}
    clips: dict[str, ClipFiles] = {}
    frames = 0
    for cam in cameras:
        scene = rs.scene.for_camera(cam.id, rs.settings.size)
        seen = replace(rs, scene=scene, settings=replace(rs.settings, size=scene.layout.image_size))
        files = clip_files(folder / f"{cam.id}.mp4")
        frames = _write_video(seen, files.video, progress)
        files.config.write_text(config_yaml(configs[cam.id]), encoding="utf-8")
        clips[cam.id] = ClipFiles(files.video, folder / "truth.json", files.config)
    truth_path = folder / "truth.json"
    truth.save(truth_path)
    seconds = time.monotonic() - started
    log.info("rendered %d cameras into %s in %.1f s, %d true visits", len(cameras), folder,
             seconds, len(truth.visits))
    return CamerasResult(clips, truth_path, truth, frames, seconds)


def _look_json(look: object) -> dict:
    from dataclasses import asdict

    d = asdict(look)  # type: ignore[call-overload]
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}

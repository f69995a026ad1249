"""Demo footage the project makes on first use, so `demo://counter` works anywhere.

The clip is rendered from the demo counter scene (:mod:`frontdesk.render.demo_scene`):
one staff member and four customers in a minute, drawn by :mod:`frontdesk.render`
from public-domain portraits that ship with installed packages (scikit-image's
astronaut, matplotlib's Grace Hopper), with the simulator's ground truth written
beside it. It is rendered once into ``<data dir>/demo/`` (about a minute on two
cores, with progress in the log) and reused; a missing, unreadable or
incomplete clip is rendered again. The data directory is ``$FRONTDESK_DATA_DIR``,
default ``./data``.

Clips made here are never committed. :data:`CLIP_VERSION` is part of the file
name: bump it when the scene or the renderer changes, so old caches are not reused.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2

from frontdesk.errors import FrontdeskError, SourceError

__all__ = [
    "DEMO_CLIPS",
    "CLIP_VERSION",
    "CLIP_FPS",
    "CLIP_SIZE",
    "CLIP_DURATION_S",
    "data_dir",
    "demo_clip_path",
    "demo_truth_path",
    "demo_render_scene",
    "expected_frames",
    "ensure_demo_clip",
]

log = logging.getLogger(__name__)

DEMO_CLIPS = ("counter",)
CLIP_VERSION = 2
CLIP_FPS = 15.0
CLIP_SIZE = (1280, 720)  # width, height
CLIP_DURATION_S = 60.0

Progress = Callable[[int, int], None]


def data_dir() -> Path:
    """``$FRONTDESK_DATA_DIR`` or ``./data``."""
    return Path(os.environ.get("FRONTDESK_DATA_DIR") or "data")


def demo_clip_path(name: str = "counter") -> Path:
    return data_dir() / "demo" / f"{name}.v{CLIP_VERSION}.mp4"


def demo_truth_path(name: str = "counter") -> Path:
    """The ground truth written beside the demo clip (docs/simulator.md, truth.json)."""
    from frontdesk.render.clip import clip_files

    return clip_files(demo_clip_path(name)).truth


def demo_render_scene(name: str = "counter") -> Any:
    """The :class:`~frontdesk.render.scene_file.RenderScene` demo clip ``name`` is rendered from."""
    from frontdesk.render.demo_scene import DEMO_SCENE_NAME, demo_scene_dict
    from frontdesk.render.scene_file import render_scene_from_dict

    if name not in DEMO_CLIPS:
        raise SourceError(f"unknown demo footage demo://{name}")
    return render_scene_from_dict(demo_scene_dict(), DEMO_SCENE_NAME)


def expected_frames(scene: Any) -> int:
    """Frames a render of ``scene`` holds: 0, 1/fps, ... up to its duration."""
    return int(math.floor(scene.scene.duration_s * scene.settings.fps + 1e-9)) + 1


def _log_progress(done: int, total: int) -> None:
    step = max(total // 10, 1)
    if done == total or done % step == 0:
        log.info("rendering demo footage: %d %% (%d of %d frames)", 100 * done // total, done,
                 total)


def resolve_source(spec: str, progress: Progress | None = None) -> str:
    """``spec`` as capture can open it: ``demo://NAME`` becomes its clip's file
    (rendered on first use, see :func:`ensure_demo_clip`); any other spec is
    returned as it is. Commands call this before :func:`frontdesk.capture.open_source`,
    which opens sources and never renders.

    Raises:
        SourceError: an unknown demo clip, or one that cannot be made.
    """
    from frontdesk.capture.spec import parse_spec

    parsed = parse_spec(spec)
    if parsed.kind != "demo":
        return spec
    return str(ensure_demo_clip(str(parsed.target), progress=progress))


def ensure_demo_clip(name: str = "counter", progress: Progress | None = None) -> Path:
    """The path of demo clip ``name``, rendering it first when missing or unreadable.

    Args:
        name: the clip (``demo://NAME``).
        progress: called with (frames done, frames in all) while rendering; by
            default progress goes to the log every 10 %.

    Raises:
        SourceError: an unknown clip name, or the clip cannot be made.
    """
    if name not in DEMO_CLIPS:
        known = ", ".join(f"demo://{n}" for n in DEMO_CLIPS)
        raise SourceError(f"unknown demo footage demo://{name} (known: {known})")
    path = demo_clip_path(name)
    scene = demo_render_scene(name)
    if _clip_is_complete(path, scene):
        return path
    log.info("rendering demo footage %s (first use; about a minute)", path)
    from frontdesk.render.clip import render_clip

    try:
        render_clip(scene, path, progress=progress or _log_progress)
    except FrontdeskError as exc:
        raise SourceError(f"cannot make demo footage {path}: {exc} "
                          f"(set FRONTDESK_DATA_DIR to a writable folder)") from None
    except OSError as exc:
        raise SourceError(
            f"cannot write demo footage to {path}: {exc.strerror or exc} "
            f"(set FRONTDESK_DATA_DIR to a writable folder)"
        ) from None
    if not _clip_is_complete(path, scene):
        raise SourceError(f"demo footage {path} was written but cannot be read back")
    return path


def _clip_is_complete(path: Path, scene: Any) -> bool:
    """True when the clip and its truth file exist, and the clip has the scene's frames and size."""
    from frontdesk.render.clip import clip_files

    files = clip_files(path)
    if not path.is_file() or path.stat().st_size == 0 or not files.truth.is_file():
        return False
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            return False
        if int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) != expected_frames(scene):
            return False
        ok, image = cap.read()
        return bool(ok) and image is not None and image.shape[1::-1] == scene.settings.size
    finally:
        cap.release()

"""Demo footage the project makes on first use, so `demo://counter` works anywhere.

The clip is rendered from the demo counter scene (:mod:`frontdesk.render.demo_scene`):
one staff member and four customers in a minute, drawn by :mod:`frontdesk.render`
from public-domain portraits that ship with installed packages (scikit-image's
astronaut, matplotlib's Grace Hopper), with the simulator's ground truth written
beside it. It is rendered once (about a minute on two cores, with progress on the
terminal and in the web UI) and reused by every folder: into
``$FRONTDESK_DATA_DIR/demo/`` when that variable is set (the service, tests),
else into the user's cache, ``$XDG_CACHE_HOME/frontdesk/demo/`` (default
``~/.cache/frontdesk/demo/``). A clip already in ``./data/demo/`` (where earlier
versions put it) is used as it is. A missing, unreadable or incomplete clip is
rendered again. SIGTERM or SIGINT during rendering stops it at the next frame.

Clips made here are never committed. :data:`CLIP_VERSION` is part of the file
name: bump it when the scene or the renderer changes, so old caches are not reused.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
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
    "cache_dir",
    "rendering_progress",
    "RenderStopped",
]

log = logging.getLogger(__name__)

DEMO_CLIPS = ("counter",)
CLIP_VERSION = 2
CLIP_FPS = 15.0
CLIP_SIZE = (1280, 720)  # width, height
CLIP_DURATION_S = 60.0

Progress = Callable[[int, int], None]


class RenderStopped(SourceError):
    """SIGTERM or SIGINT arrived while the demo footage was being rendered."""

    exit_code = 0


_progress_lock = threading.Lock()
_progress: tuple[int, int] | None = None


def rendering_progress() -> tuple[int, int] | None:
    """(frames done, frames in all) while demo footage is being rendered, else None
    (the web UI shows it while the camera is "starting")."""
    with _progress_lock:
        return _progress


def _set_progress(value: tuple[int, int] | None) -> None:
    global _progress
    with _progress_lock:
        _progress = value


def data_dir() -> Path:
    """``$FRONTDESK_DATA_DIR`` or ``./data``."""
    return Path(os.environ.get("FRONTDESK_DATA_DIR") or "data")


def cache_dir() -> Path:
    """Where demo footage is kept for every folder: ``$FRONTDESK_DATA_DIR`` when set,
    else ``$XDG_CACHE_HOME/frontdesk`` (default ``~/.cache/frontdesk``)."""
    if os.environ.get("FRONTDESK_DATA_DIR"):
        return data_dir()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "frontdesk"


def _clip_name(name: str) -> str:
    return f"{name}.v{CLIP_VERSION}.mp4"


def demo_clip_path(name: str = "counter") -> Path:
    """The demo clip's path: in the cache, unless an earlier version left one in ./data."""
    cached = cache_dir() / "demo" / _clip_name(name)
    legacy = Path("data") / "demo" / _clip_name(name)
    if not cached.is_file() and legacy.is_file() and not os.environ.get("FRONTDESK_DATA_DIR"):
        return legacy
    return cached


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
    path = cache_dir() / "demo" / _clip_name(name)  # an old ./data clip is not rewritten
    log.info("rendering demo footage %s (first use; about a minute)", path)
    from frontdesk.render.clip import render_clip

    shown = progress or _log_progress
    stop = _StopOnSignal()

    def each_frame(done: int, total: int) -> None:
        stop.check()
        _set_progress((done, total))
        shown(done, total)

    try:
        with stop:
            render_clip(scene, path, progress=each_frame)
    except FrontdeskError as exc:
        if isinstance(exc, RenderStopped):
            raise
        raise SourceError(f"cannot make demo footage {path}: {exc} "
                          f"(set FRONTDESK_DATA_DIR to a writable folder)") from None
    except OSError as exc:
        raise SourceError(
            f"cannot write demo footage to {path}: {exc.strerror or exc} "
            f"(set FRONTDESK_DATA_DIR to a writable folder)"
        ) from None
    finally:
        _set_progress(None)
    if not _clip_is_complete(path, scene):
        raise SourceError(f"demo footage {path} was written but cannot be read back")
    return path


class _StopOnSignal:
    """While rendering (in the main thread): SIGTERM and SIGINT stop at the next frame.

    The handlers in place before (the runner's, which asks its loop to stop) are put
    back and told of the signal, then :class:`RenderStopped` ends the command.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopOnSignal:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def _handler(self, signum: int, _frame: FrameType | None) -> None:
        self.signum = signum

    def check(self) -> None:
        if self.signum is not None:
            name = signal.Signals(self.signum).name
            raise RenderStopped(f"stopped by {name} while rendering the demo footage; "
                                f"nothing was processed")

    def __exit__(self, *exc: object) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        if self.signum is not None:
            previous = self._previous.get(self.signum)
            if callable(previous) and previous is not signal.default_int_handler:
                previous(self.signum, None)  # e.g. the runner: stop, do not start the loop


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

"""Capture: frames with their capture time, from files, folders, cameras and streams.

One entry point, :func:`open_source`, returns a :class:`FrameSource`::

    with open_source(cfg.camera.source, cfg.camera) as source:
        for item in source.events():
            if isinstance(item, StatusChange):
                publish_camera_status(item.status, item.t, item.wall_time)
            else:
                process(item)          # a Frame

Iterating the source itself (``for frame in source``) gives frames only. See
``docs/capture.md`` for sources, timing, reconnects and statistics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from frontdesk.capture.base import CaptureStats, Clock, FrameSource, StatusChange, to_bgr
from frontdesk.capture.image_folder import (
    DEFAULT_FOLDER_FPS,
    IMAGE_EXTENSIONS,
    ImageFolderSource,
    list_images,
    read_image,
)
from frontdesk.capture.live import (
    LiveSource,
    StreamOpener,
    VideoDevice,
    backoff_delays,
    open_cv_device,
)
from frontdesk.capture.spec import SourceSpec, parse_spec, scrub_credentials
from frontdesk.capture.video_file import VideoFileSource, frame_time_s
from frontdesk.config import CameraConfig
from frontdesk.errors import SourceError

__all__ = [
    "open_source",
    "FrameSource",
    "StatusChange",
    "CaptureStats",
    "Clock",
    "VideoFileSource",
    "ImageFolderSource",
    "LiveSource",
    "VideoDevice",
    "SourceSpec",
    "parse_spec",
    "scrub_credentials",
    "frame_time_s",
    "backoff_delays",
    "open_cv_device",
    "StreamOpener",
    "list_images",
    "read_image",
    "to_bgr",
    "IMAGE_EXTENSIONS",
    "DEFAULT_FOLDER_FPS",
]


def open_source(
    spec: str,
    camera_cfg: CameraConfig | None = None,
    *,
    loop: bool = False,
    clock: Clock = time.monotonic,
    wall_clock: Clock = time.time,
    sleep: Callable[[float], object] | None = None,
    folder_fps: float = DEFAULT_FOLDER_FPS,
    realtime: bool = False,
) -> FrameSource:
    """Open a video source described by a string.

    Args:
        spec: a video file; a folder of images (or one image); a camera index
            (``"0"``) or device path (``/dev/video0``); an ``rtsp://``, ``rtsps://``,
            ``http://`` or ``https://`` URL. ``demo://NAME`` is resolved to its
            file by the commands (:func:`frontdesk.demo_footage.resolve_source`):
            capture opens sources and never renders.
        camera_cfg: requested size, ``max_fps`` and reconnect back-off for live
            sources; ``decoder`` for video files (default ``auto``: PyAV, frames
            kept in YUV; OpenCV when PyAV cannot open the file).
        loop: replay a file or folder endlessly, times increasing by the
            clip's duration each lap. Ignored by live sources.
        clock: the source clock for live frames (``Frame.t``) and for
            ``stats.last_frame_age_s``. Files use video time whatever the clock.
        wall_clock: Unix time for ``Frame.wall_time`` and status records.
        sleep: replaces the wait between live reopen attempts (tests).
        folder_fps: frame rate at which a folder of images is timed.
        realtime: deliver a file's or folder's frames at their own rate (each no
            sooner than its time after the first), as a live camera would; for
            measuring CPU as a camera loads it (``run --realtime``). Live sources
            are real time anyway and ignore it.

    Raises:
        SourceError: a missing, unreadable or undecodable file or folder, an empty
            folder, an unresolved demo clip, or an unsupported URL scheme. Live sources
            never raise here: a camera that is missing now is offline and retried.
    """
    parsed = parse_spec(spec)
    if parsed.kind == "demo":
        raise SourceError(f"{parsed.name} is demo footage, made on first use: resolve it to "
                          "its file first (frontdesk.demo_footage.resolve_source)")
    if parsed.kind in ("camera", "url"):
        return LiveSource(
            StreamOpener(parsed, camera_cfg),
            parsed.name,
            camera_cfg,
            kind=parsed.kind,
            clock=clock,
            wall_clock=wall_clock,
            sleep=sleep,
        )
    decoder = camera_cfg.decoder if camera_cfg is not None else "auto"
    source = _open_file_source(parsed, loop=loop, clock=clock, wall_clock=wall_clock,
                               folder_fps=folder_fps, decoder=decoder)
    source.realtime = realtime
    return source


def _open_file_source(parsed: SourceSpec, *, loop: bool, clock: Clock, wall_clock: Clock,
                      folder_fps: float, decoder: str = "auto") -> FrameSource:
    """A video file, an image or a folder of images."""
    path = Path(str(parsed.target)).expanduser()
    if path.is_dir():
        images = list_images(path, parsed.name)
        return ImageFolderSource(images, name=parsed.name, fps=folder_fps, loop=loop,
                                 clock=clock, wall_clock=wall_clock)
    if not path.exists():
        raise SourceError(f"video source not found: {parsed.name} (no such file or folder)")
    if path.suffix.lower() in IMAGE_EXTENSIONS:
        return ImageFolderSource([path], name=parsed.name, fps=folder_fps, loop=loop,
                                 clock=clock, wall_clock=wall_clock)
    return VideoFileSource(path, name=parsed.name, loop=loop, clock=clock, wall_clock=wall_clock,
                           decoder=decoder)

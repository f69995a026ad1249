"""Video files, timed by their own timestamps.

``Frame.t`` is the container's presentation time of each frame (OpenCV's
``CAP_PROP_POS_MSEC``), so a 10-minute file processed in 2 minutes reports the same
waits as watching it live. When the container gives nonsense (negative, missing or
not increasing, as raw MJPEG files do) the time is ``index / fps``; times always
increase. With ``loop=True`` each lap adds the clip's duration, so times keep
increasing across laps.

Decoding is PyAV's by default, frames kept in YUV until something needs their
colours (:mod:`frontdesk.capture.decoders`); OpenCV's reader when PyAV cannot
open the file, or when ``camera.decoder`` says so.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from frontdesk.capture.base import Clock, FrameSource, StatusChange
from frontdesk.capture.decoders import CannotOpen, FileDecoder, open_file_decoder
from frontdesk.errors import SourceError
from frontdesk.types import CameraStatus, Frame, Picture

__all__ = ["VideoFileSource", "frame_time_s", "sane_fps", "DEFAULT_FPS"]

log = logging.getLogger(__name__)

DEFAULT_FPS = 25.0
"""Frame rate assumed when a file does not state a usable one."""

MAX_CONSECUTIVE_FAILURES = 32
"""Failed reads in a row before a file counts as ended. FFmpeg reports a damaged
stretch as a few failed reads followed by good frames again; at the real end every
read fails at once, so trying a few more times costs nothing."""

_MAX_SANE_FPS = 1000.0


def sane_fps(value: float) -> float | None:
    """``value`` when it is a believable frame rate, else None."""
    if math.isfinite(value) and 0.0 < value <= _MAX_SANE_FPS:
        return float(value)
    return None


def frame_time_s(pos_msec: float, index: int, fps: float, previous_t: float | None) -> float:
    """Video time of frame ``index`` in seconds.

    Args:
        pos_msec: the container's timestamp for the frame, in milliseconds.
        index: the frame's number in the file, counting frames that failed to decode.
        fps: the file's frame rate (used when the timestamp is not usable).
        previous_t: the time returned for the previous frame, or None for the first.

    Returns the container time when it is finite, not negative and later than
    ``previous_t``; otherwise ``index / fps`` if that is later; otherwise
    ``previous_t + 1 / fps``. The result always increases.
    """
    for t in (pos_msec / 1000.0, index / fps):
        if math.isfinite(t) and t >= 0.0 and (previous_t is None or t > previous_t):
            return t
    return (previous_t or 0.0) + 1.0 / fps


class VideoFileSource(FrameSource):
    """Frames of a video file (or the demo clip), decoded in the caller's thread.

    Opening reads the first frame, so a missing, empty, garbage or truncated-beyond-
    repair file raises :class:`SourceError` here rather than in the frame loop.
    Frames that fail to decode mid-file are skipped and counted
    (``stats.corrupt_skipped``); their numbers are kept, so ``index`` and ``t`` of
    the following frames stay right. ``wall_time`` is None (a file's capture time is
    unknown).

    ``decoder``: ``auto`` (PyAV, frames in YUV until their BGR is asked for; OpenCV
    when PyAV cannot open the file or decode its first frame), ``pyav`` or
    ``opencv``. :attr:`decoder_name` says which one reads the file.
    """

    kind = "file"
    is_live = False

    def __init__(
        self,
        path: Path,
        *,
        name: str | None = None,
        kind: str = "file",
        loop: bool = False,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        decoder: str = "auto",
    ) -> None:
        super().__init__(name or str(path), clock=clock, wall_clock=wall_clock)
        self.kind = kind
        self.path = Path(path)
        self.loop = loop
        self._cap_lock = threading.RLock()  # re-entrant: close() may run in a signal handler
        self._check_readable()
        choices = ["pyav", "opencv"] if decoder == "auto" else [decoder]
        why, undecodable = "", False
        for choice in choices:
            try:
                self._cap: FileDecoder | None = open_file_decoder(self.path, choice)
            except CannotOpen as exc:
                why, undecodable = str(exc), False
                continue
            self._first = self._read_next(0)
            if self._first is not None:
                break
            self._release()
            why, undecodable = "no frame of this video could be decoded", True
        else:
            if undecodable:
                raise SourceError(f"{self.name}: {why}")
            raise SourceError(
                f"{self.name}: cannot open as a video (not a video file, an unsupported "
                f"format, or truncated)"
            )
        assert self._cap is not None
        self.decoder_name = self._cap.name
        if decoder == "auto" and self.decoder_name != "pyav":
            log.info("%s: decoded by OpenCV (%s)", self.name,
                     why or "PyAV could not read it")
        else:
            log.info("%s: decoded by %s", self.name,
                     "PyAV (frames kept in YUV)" if self.decoder_name == "pyav" else "OpenCV")
        fps = sane_fps(self._cap.fps)
        if fps is None:
            log.warning("%s: the file states no usable frame rate; assuming %g fps",
                        self.name, DEFAULT_FPS)
        self.fps: float = fps or DEFAULT_FPS
        count = self._cap.frame_count
        known = math.isfinite(count) and count > 0
        self.announced_frames: int | None = int(count) if known else None
        self._index_base = 0

    # ------------------------------------------------------------------ opening and reading

    def _check_readable(self) -> None:
        if not self.path.exists():
            raise SourceError(f"video file not found: {self.name}")
        if not self.path.is_file():
            raise SourceError(f"{self.name}: not a regular file")
        try:
            with self.path.open("rb") as fh:
                fh.read(1)
        except OSError as exc:
            raise SourceError(f"{self.name}: cannot read the file ({exc.strerror})") from None

    def _read_next(self, file_index: int) -> tuple[np.ndarray | Picture, float, int] | None:
        """The next decodable frame as (image or picture, container ms, its index), or
        None at the end."""
        failures = 0
        while failures <= MAX_CONSECUTIVE_FAILURES and not self._closed.is_set():
            with self._cap_lock:
                cap = self._cap
                if cap is None:
                    return None
                got = cap.read()
            if got is None:  # the decoder knows the file ended
                return None
            image, pos_msec = got
            if image is not None:
                if failures:
                    log.debug("%s: skipped %d undecodable frame(s) before frame %d",
                              self.name, failures, file_index + failures)
                    self._count("corrupt_skipped", failures)
                return image, pos_msec, file_index + failures
            failures += 1
        return None

    def _reopen(self) -> bool:
        with self._cap_lock:
            if self._cap is not None:
                self._cap.release()
            self._cap = None
            if self._closed.is_set():
                return False
            try:
                self._cap = open_file_decoder(self.path, self.decoder_name)
            except CannotOpen:
                log.error("%s: cannot reopen the file for the next lap", self.name)
                return False
            return True

    def _release(self) -> None:
        with self._cap_lock:
            if self._cap is not None:
                self._cap.release()
            self._cap = None

    # ------------------------------------------------------------------ iteration

    def _items(self) -> Iterator[Frame | StatusChange]:
        change = self._change_status(CameraStatus.ONLINE, "file opened", 0.0)
        if change:
            yield change
        lap_offset, t = 0.0, 0.0
        detail = "end of file"
        while True:
            last_t, file_index = None, 0
            while (got := self._first or self._read_next(file_index)) is not None:
                self._first = None
                image, pos_msec, idx = got
                file_index = idx + 1
                last_t = frame_time_s(pos_msec, idx, self.fps, last_t)
                t = lap_offset + last_t
                self._count_frame(t)
                index = self._index_base + idx
                if isinstance(image, np.ndarray):
                    yield Frame(image, t, index, None, self.name)
                else:
                    yield Frame.from_picture(image, t, index, None, self.name)
            if self._closed.is_set():
                return
            self._warn_if_short(file_index)
            if not self.loop or last_t is None:
                break
            self._count("laps")
            lap_offset += last_t + 1.0 / self.fps
            self._index_base += file_index
            if not self._reopen():
                detail = "cannot reopen the file"
                break
        self._release()
        change = self._change_status(CameraStatus.ENDED, detail, t)
        if change:
            yield change

    def _warn_if_short(self, frames_seen: int) -> None:
        announced = self.announced_frames
        if announced and frames_seen < 0.95 * announced - 1 and self.stats.laps == 0:
            log.warning("%s: ended after %d of the %d frames the file announces (truncated?)",
                        self.name, frames_seen, announced)

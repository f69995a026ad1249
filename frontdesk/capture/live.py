"""Live cameras and network streams: newest frame only, reconnect with back-off.

A reader thread reads the device as fast as it delivers and keeps only the newest
frame: when the caller is slower than the camera, older frames are dropped
(``stats.stale_dropped``) instead of queued, so latency stays under one frame plus
the caller's own processing time. ``Frame.t`` is the source clock
(``time.monotonic``) when the frame was read, ``Frame.wall_time`` is ``time.time``.

When the device cannot be opened, or stops delivering frames (``max_read_failures``
failed reads in a row, or none good for ``stall_timeout_s``), the source goes
offline, releases the device and reopens it after ``reconnect.initial_s``, doubling
the wait after each failed attempt up to ``reconnect.max_s``; the wait starts over
once frames flow again. A missing camera is not an error: it is offline and retried.

Status changes reach the caller as :class:`StatusChange` records from
:meth:`FrameSource.events`, in order with the frames.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Protocol

import cv2
import numpy as np

from frontdesk.capture.base import Clock, FrameSource, StatusChange, to_bgr
from frontdesk.capture.decoders import CannotOpen, PyAvStream, StreamUnavailable, pyav_available
from frontdesk.capture.spec import SourceSpec
from frontdesk.config import CameraConfig
from frontdesk.types import CameraStatus, Frame, Picture

__all__ = [
    "VideoDevice",
    "LiveSource",
    "backoff_delays",
    "open_cv_device",
    "StreamOpener",
    "URL_OPEN_TIMEOUT_S",
    "URL_READ_TIMEOUT_S",
]

log = logging.getLogger(__name__)

URL_OPEN_TIMEOUT_S = 10.0
"""Longest wait for a network stream to open (FFmpeg's open timeout)."""
URL_READ_TIMEOUT_S = 5.0
"""Longest wait for one frame from a network stream before the read fails."""


class VideoDevice(Protocol):
    """The part of ``cv2.VideoCapture`` a live source uses (tests pass fakes)."""

    def isOpened(self) -> bool: ...  # noqa: N802 (OpenCV's name)

    def read(self) -> tuple[bool, np.ndarray | Picture | None]:
        """(True, a BGR image or a decoder's picture), or (False, anything)."""
        ...

    def release(self) -> None: ...


def backoff_delays(initial_s: float, max_s: float) -> Iterator[float]:
    """Waits between reopen attempts: ``initial_s``, doubling, capped at ``max_s``."""
    delay = min(initial_s, max_s)
    while True:
        yield delay
        delay = min(delay * 2.0, max_s)


def open_cv_device(spec: SourceSpec, camera_cfg: CameraConfig | None = None) -> VideoDevice:
    """Open a camera or stream with OpenCV, applying the requested size and rate.

    RTSP is read over TCP (``OPENCV_FFMPEG_CAPTURE_OPTIONS=rtsp_transport;tcp``)
    unless that environment variable is already set: UDP loses packets on busy
    networks and the frames come out smeared.
    """
    target = spec.target
    if spec.kind == "url":
        if str(target).lower().startswith("rtsp"):
            os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(URL_OPEN_TIMEOUT_S * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(URL_READ_TIMEOUT_S * 1000),
        ]
        cap = cv2.VideoCapture(str(target), cv2.CAP_FFMPEG, params)
    elif isinstance(target, int):
        cap = cv2.VideoCapture(target)
    else:
        cap = cv2.VideoCapture(str(target), cv2.CAP_V4L2)
    if cap.isOpened() and spec.kind == "camera":
        _request_camera_settings(cap, camera_cfg)
    return cap


class StreamOpener:
    """Opens a camera or stream for :class:`LiveSource`, once per (re)connection.

    Network streams are read by PyAV (frames kept in YUV, :class:`PyAvStream`)
    unless ``camera.decoder`` is ``opencv``; with ``auto``, OpenCV reads a stream
    PyAV's FFmpeg has no protocol, demuxer or decoder for. Cameras are OpenCV's.
    Which one reads is logged once."""

    def __init__(self, spec: SourceSpec, camera_cfg: CameraConfig | None = None) -> None:
        self.spec = spec
        self.camera_cfg = camera_cfg
        self.decoder = camera_cfg.decoder if camera_cfg is not None else "auto"
        self.decoder_name: str | None = None
        """Which decoder opened the stream last ("pyav" or "opencv"; None before)."""

    def __call__(self) -> VideoDevice:
        spec, why = self.spec, ""
        if spec.kind == "url" and str(spec.target).lower().startswith("rtsp"):
            # over TCP whichever reads it (PyAV's own option, or OpenCV's)
            os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
        if spec.kind == "url" and self.decoder != "opencv":
            if pyav_available():
                try:
                    device: VideoDevice = PyAvStream(str(spec.target), URL_OPEN_TIMEOUT_S,
                                                     URL_READ_TIMEOUT_S)
                except CannotOpen as exc:
                    if self.decoder == "pyav":
                        raise StreamUnavailable(str(exc)) from None
                    why = str(exc)
                else:
                    self._say("pyav", "")
                    return device
            elif self.decoder == "pyav":
                raise StreamUnavailable("PyAV is not installed")
            else:
                why = "PyAV is not installed"
        device = open_cv_device(spec, self.camera_cfg)
        self._say("opencv", why)
        return device

    def _say(self, name: str, why: str) -> None:
        if self.decoder_name != name:
            self.decoder_name = name
            if name == "pyav":
                log.info("%s: decoded by PyAV (frames kept in YUV)", self.spec.name)
            else:
                log.info("%s: decoded by OpenCV%s", self.spec.name, f" ({why})" if why else "")


def _request_camera_settings(cap: cv2.VideoCapture, cfg: CameraConfig | None) -> None:
    cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the driver's own queue adds latency too
    if cfg is None:
        return
    if cfg.width:
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, cfg.width)
    if cfg.height:
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, cfg.height)
    if cfg.max_fps:
        cap.set(cv2.CAP_PROP_FPS, cfg.max_fps)


class LiveSource(FrameSource):
    """A camera or stream read by a background thread (started on construction).

    Args:
        open_device: opens the device; called again for every reconnect. Returns
            something shaped like ``cv2.VideoCapture`` (see :class:`VideoDevice`).
        name: printable name, without credentials.
        camera_cfg: reconnect back-off and ``max_fps`` come from here (defaults
            when None).
        kind: "camera" or "url".
        clock: the source clock for ``Frame.t``; monotonic by default.
        wall_clock: Unix time for ``Frame.wall_time``.
        sleep: waits between reopen attempts; by default a wait that :meth:`close`
            cuts short. Tests pass a function that records the delays.
        max_read_failures: failed reads in a row that mean the camera dropped.
            Fewer are counted as corrupt frames and skipped.
        stall_timeout_s: a camera that gives no good frame for this long (clock
            seconds) is treated as dropped, however few reads failed.
    """

    is_live = True
    join_timeout_s = 2.0

    def __init__(
        self,
        open_device: Callable[[], VideoDevice],
        name: str,
        camera_cfg: CameraConfig | None = None,
        *,
        kind: str = "camera",
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        sleep: Callable[[float], object] | None = None,
        max_read_failures: int = 5,
        stall_timeout_s: float = 5.0,
    ) -> None:
        super().__init__(name, clock=clock, wall_clock=wall_clock)
        cfg = camera_cfg or CameraConfig.model_validate({})
        self.kind = kind
        self.reconnect_initial_s = cfg.reconnect.initial_s
        self.reconnect_max_s = cfg.reconnect.max_s
        self.min_interval_s = 1.0 / cfg.max_fps if cfg.max_fps else None
        self.max_read_failures = max(1, max_read_failures)
        self.stall_timeout_s = stall_timeout_s
        self._open_device = open_device
        self._sleep = sleep or self._closed.wait
        self._cond = threading.Condition(self._lock)
        self._queue: deque[Frame | StatusChange] = deque()
        self._reader_done = False
        self._next_index = 0
        self._next_due_t: float | None = None
        self._thread = threading.Thread(target=self._run, name="frontdesk-capture", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ reader thread

    def _run(self) -> None:
        try:
            delays = backoff_delays(self.reconnect_initial_s, self.reconnect_max_s)
            while not self._closed.is_set():
                device = self._try_open()
                if device is not None:
                    if self._read_until_drop(device):
                        delays = backoff_delays(self.reconnect_initial_s, self.reconnect_max_s)
                    _release_quietly(device)
                if self._closed.is_set():
                    break
                delay = next(delays)
                log.debug("%s: reopening in %.2f s", self.name, delay)
                self._sleep(delay)
        finally:
            with self._cond:
                self._reader_done = True
                self._cond.notify_all()

    def _try_open(self) -> VideoDevice | None:
        what = "stream" if self.kind == "url" else "camera"
        try:
            device = self._open_device()
            if device.isOpened():
                return device
            _release_quietly(device)
            reason = f"cannot open the {what}"
        except StreamUnavailable as exc:  # its message is an error type, no URL
            reason = f"cannot open the {what} ({exc})"
        except Exception as exc:  # a driver or backend failure must not end the loop
            reason = f"cannot open the {what} ({type(exc).__name__})"
        self._count("open_failures")
        log.debug("%s: %s", self.name, reason)
        self._publish_status(CameraStatus.OFFLINE, reason, self._clock())
        return None

    def _read_until_drop(self, device: VideoDevice) -> bool:
        """Read until the device drops or the source closes; True if any frame came."""
        failures, got_frames = 0, False
        last_good = self._clock()
        while not self._closed.is_set():
            try:
                ok, raw = device.read()
            except Exception:  # a backend exception is one failed read
                ok, raw = False, None
            now = self._clock()
            image: np.ndarray | Picture | None = None
            if ok:
                image = raw if raw is not None and not isinstance(raw, np.ndarray) else to_bgr(raw)
            if self._closed.is_set():
                break
            if image is None:
                failures += 1
                if failures >= self.max_read_failures or now - last_good >= self.stall_timeout_s:
                    self._publish_status(CameraStatus.OFFLINE, "stopped delivering frames", now)
                    return got_frames
                continue
            if failures:
                self._count("corrupt_skipped", failures)
                self._next_index += failures
                failures = 0
            last_good, got_frames = now, True
            self._publish_frame(image, now)
        return got_frames

    def _publish_frame(self, image: np.ndarray | Picture, now: float) -> None:
        if isinstance(image, np.ndarray):
            frame = Frame(image, now, self._next_index, self._wall_clock(), self.name)
        else:
            frame = Frame.from_picture(image, now, self._next_index, self._wall_clock(), self.name)
        self._next_index += 1
        with self._cond:
            self._count_frame(now, now)
            detail = "reconnected" if self._counters.frames_read > 1 else "frames arriving"
            change = self._change_status(CameraStatus.ONLINE, detail, now)
            if change:
                self._queue.append(change)
            if self._queue and isinstance(self._queue[-1], Frame):
                self._queue[-1] = frame  # the caller never saw the older one
                self._counters.stale_dropped += 1
            else:
                self._queue.append(frame)
            self._cond.notify_all()

    def _publish_status(self, status: str, detail: str, t: float) -> None:
        with self._cond:
            change = self._change_status(status, detail, t)
            if change:
                self._queue.append(change)
                self._cond.notify_all()

    # ------------------------------------------------------------------ caller side

    def _items(self) -> Iterator[Frame | StatusChange]:
        while True:
            with self._cond:
                while not self._queue and not self._closed.is_set() and not self._reader_done:
                    self._cond.wait(timeout=1.0)
                if self._closed.is_set() or not self._queue:
                    return
                item = self._queue.popleft()
            if isinstance(item, Frame) and self._throttled(item):
                continue
            yield item

    def _throttled(self, frame: Frame) -> bool:
        """True when ``frame`` comes before the next one is due under ``max_fps``.

        Frames are due every ``1 / max_fps`` seconds from the first one, not that
        long after the last one delivered: a camera whose rate is not a multiple of
        ``max_fps`` (25 or 20 fps under 15) still gives ``max_fps`` frames a second,
        never more, with gaps of one or two camera frames, instead of half its
        rate (12.5 or 10 fps). After a stall longer than an interval the schedule
        starts again from the late frame. 5 % of an interval is allowed for jitter.
        """
        interval = self.min_interval_s
        if interval is None:
            return False
        due = self._next_due_t
        if due is not None and frame.t < due - 0.05 * interval:
            self._count("throttled")
            return True
        if due is None or frame.t - due >= interval:  # the first frame, or after a stall
            self._next_due_t = frame.t + interval
        else:
            self._next_due_t = due + interval
        return False

    def _release(self) -> None:
        with self._cond:
            self._cond.notify_all()
        if self._thread is threading.current_thread():
            return
        self._thread.join(timeout=self.join_timeout_s)
        if self._thread.is_alive():
            log.warning("%s: the device is still blocked in a read; it is released when the "
                        "read returns", self.name)


def _release_quietly(device: VideoDevice) -> None:
    try:
        device.release()
    except Exception as exc:  # releasing a dead device may fail; nothing to do about it
        log.debug("release failed: %s", type(exc).__name__)

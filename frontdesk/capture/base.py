"""What every source shares: status records, statistics and the iteration protocol."""

from __future__ import annotations

import abc
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from frontdesk.types import CameraStatus, Frame

__all__ = ["Clock", "StatusChange", "CaptureStats", "FrameSource", "to_bgr"]

log = logging.getLogger(__name__)

Clock = Callable[[], float]
"""A function returning seconds: ``time.monotonic`` for the source clock, ``time.time``
for wall time. Tests pass their own."""


@dataclass(frozen=True)
class StatusChange:
    """A source went online, offline, or ended.

    Yielded by :meth:`FrameSource.events` in order with the frames, in the thread
    that iterates (never from a reader thread).

    Attributes:
        status: the new status, one of :class:`frontdesk.types.CameraStatus`.
        previous: the status before, or None for the first record of a source.
        t: when it happened, on the source clock (video time for files).
        wall_time: Unix time when it happened, for payloads and reports.
        detail: a short human explanation ("end of file", "stopped delivering
            frames", ...), free of credentials.
    """

    status: str
    previous: str | None
    t: float
    wall_time: float
    detail: str = ""


@dataclass(frozen=True)
class CaptureStats:
    """A snapshot of a source's counters (see :attr:`FrameSource.stats`).

    Attributes:
        source: printable source name (no credentials).
        status: current status, one of :class:`frontdesk.types.CameraStatus`.
        frames_read: frames decoded successfully.
        frames_delivered: frames handed to the caller.
        corrupt_skipped: frames or images that could not be decoded and were skipped.
        stale_dropped: live frames replaced by a newer one before the caller took them.
        throttled: live frames skipped to respect ``camera.max_fps``.
        reconnects: times a live source came back online after going offline.
        open_failures: failed attempts to open a live source.
        laps: completed passes over a looping file or folder.
        last_frame_t: ``t`` of the newest frame read, or None.
        last_frame_age_s: seconds on the source clock since the newest frame was
            read, or None before the first frame. A growing age on a live source
            that still says online means the camera stalled.
    """

    source: str
    status: str
    frames_read: int = 0
    frames_delivered: int = 0
    corrupt_skipped: int = 0
    stale_dropped: int = 0
    throttled: int = 0
    reconnects: int = 0
    open_failures: int = 0
    laps: int = 0
    last_frame_t: float | None = None
    last_frame_age_s: float | None = None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class _Counters:
    frames_read: int = 0
    frames_delivered: int = 0
    corrupt_skipped: int = 0
    stale_dropped: int = 0
    throttled: int = 0
    reconnects: int = 0
    open_failures: int = 0
    laps: int = 0
    last_frame_t: float | None = None
    last_read_clock: float | None = None


def to_bgr(image: object) -> np.ndarray | None:
    """``image`` as an (H, W, 3) uint8 BGR array, or None when it is not a usable image.

    Grey and BGRA images are converted; 16-bit images are scaled to 8 bits.
    """
    if not isinstance(image, np.ndarray) or image.size == 0:
        return None
    if image.dtype == np.uint16:
        image = (image >> 8).astype(np.uint8)
    if image.dtype != np.uint8:
        return None
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    return None


class FrameSource(abc.ABC):
    """Frames from one source, in order, each with its capture time.

    Use as a context manager, then either iterate frames only::

        with open_source(cfg.camera.source, cfg.camera) as source:
            for frame in source:
                ...

    or iterate :meth:`events` to also receive :class:`StatusChange` records (the
    main loop does this to publish camera online/offline events). Both share one
    position: breaking out of a loop and iterating again continues where it left
    off. Iterate from one thread only. :meth:`close` may be called from any thread
    (a signal handler, a web request) and ends the iteration.

    Attributes:
        name: printable name, without credentials; also ``Frame.source``.
        kind: "file", "folder", "demo", "camera" or "url".
        is_live: True for cameras and streams (monotonic timestamps, reconnects).
        realtime: for files and folders, deliver each frame no sooner than its own
            time after the first (``run --realtime``), so the frames come at the
            clip's rate as a live camera's would; a caller slower than that is not
            waited for (frames are never dropped). Live sources ignore it.
    """

    kind: str = ""
    is_live: bool = False

    def __init__(self, name: str, *, clock: Clock, wall_clock: Clock) -> None:
        self.name = name
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.RLock()
        self._counters = _Counters()
        self._status: str = CameraStatus.OFFLINE
        self._announced = False
        self._closed = threading.Event()
        self._stream: Iterator[Frame | StatusChange] | None = None
        self._undrained: deque[StatusChange] = deque(maxlen=256)
        self.realtime = False
        self._pace_wait: Callable[[float], object] = self._closed.wait
        """Waits the given seconds or until :meth:`close` (tests replace it)."""
        self._pace_start: tuple[float, float] | None = None

    # ------------------------------------------------------------------ public

    @property
    def status(self) -> str:
        """The current status; safe to read from any thread."""
        with self._lock:
            return self._status

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @property
    def stats(self) -> CaptureStats:
        """A consistent snapshot of the counters; safe to read from any thread."""
        now = self._clock()
        with self._lock:
            c = self._counters
            age = None if c.last_read_clock is None else max(0.0, now - c.last_read_clock)
            return CaptureStats(
                source=self.name,
                status=self._status,
                frames_read=c.frames_read,
                frames_delivered=c.frames_delivered,
                corrupt_skipped=c.corrupt_skipped,
                stale_dropped=c.stale_dropped,
                throttled=c.throttled,
                reconnects=c.reconnects,
                open_failures=c.open_failures,
                laps=c.laps,
                last_frame_t=c.last_frame_t,
                last_frame_age_s=age,
            )

    def events(self) -> Iterator[Frame | StatusChange]:
        """Frames and status changes, in the order they happened.

        The first item is always a :class:`StatusChange` with ``previous=None``
        (online, or offline for a live source that cannot be opened yet); a file or
        folder ends with an ``ended`` record. After :meth:`close` nothing more is
        yielded.
        """
        if self._stream is None:
            self._stream = self._items()
        stream = self._stream
        while not self._closed.is_set():
            try:
                item = next(stream)
            except StopIteration:
                return
            if isinstance(item, Frame):
                if self.realtime and not self.is_live:
                    self._pace(item.t)
                    if self._closed.is_set():
                        return
                with self._lock:
                    self._counters.frames_delivered += 1
            yield item

    def _pace(self, t: float) -> None:
        """Wait until source time ``t`` is due on the source clock, counted from the
        first frame delivered; a frame already late is delivered at once."""
        now = self._clock()
        if self._pace_start is None:
            self._pace_start = (t, now)
            return
        t0, start = self._pace_start
        delay = start + (t - t0) - now
        if delay > 0:
            self._pace_wait(delay)

    def drain_status_changes(self) -> list[StatusChange]:
        """Status changes since the last call, oldest first; safe from any thread.

        A polling alternative to :meth:`events`, independent of it. Note that a loop
        that only iterates frames cannot poll while a live camera is offline (no
        frame arrives to wake it); such a loop should iterate :meth:`events`.
        """
        with self._lock:
            changes = list(self._undrained)
            self._undrained.clear()
        return changes

    def __iter__(self) -> Iterator[Frame]:
        """Frames only; status changes are still logged and visible in :attr:`status`."""
        for item in self.events():
            if isinstance(item, Frame):
                yield item

    def close(self) -> None:
        """Stop reading and release the device or file. Safe to call twice."""
        with self._lock:  # one step, so no reader thread can report in between
            self._status = CameraStatus.ENDED
            self._closed.set()
        self._release()

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.status}>"

    # ------------------------------------------------------------------ for subclasses

    @abc.abstractmethod
    def _items(self) -> Iterator[Frame | StatusChange]:
        """Yield frames and status changes until the source ends or is closed."""

    @abc.abstractmethod
    def _release(self) -> None:
        """Release the underlying file or device (called by :meth:`close`)."""

    def _change_status(self, status: str, detail: str, t: float) -> StatusChange | None:
        """Set the status; return a record when it changed (or is the first one)."""
        with self._lock:
            if self._closed.is_set() or (self._announced and status == self._status):
                return None
            previous = self._status if self._announced else None
            self._status = status
            self._announced = True
            if previous == CameraStatus.OFFLINE and status == CameraStatus.ONLINE:
                self._counters.reconnects += 1
            change = StatusChange(status, previous, t, self._wall_clock(), detail)
            self._undrained.append(change)
        level = logging.WARNING if status == CameraStatus.OFFLINE else logging.INFO
        log.log(level, "%s: %s%s", self.name, status, f" ({detail})" if detail else "")
        return change

    def _count_frame(self, t: float, now: float | None = None) -> None:
        """Count a decoded frame; ``now`` is the source clock at reading (read if None)."""
        now = self._clock() if now is None else now
        with self._lock:
            c = self._counters
            c.frames_read += 1
            c.last_frame_t = t
            c.last_read_clock = now

    def _count(self, field: str, n: int = 1) -> None:
        with self._lock:
            setattr(self._counters, field, getattr(self._counters, field) + n)

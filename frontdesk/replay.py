"""Recorded observations in place of camera and perception: ``run --observations``.

``frontdesk simulate`` (and ``inspect --json``) write ``observations.jsonl``;
:class:`ObservationReplay` plays such a file back like a frame source whose items
are already perceived, so the engine, store and MQTT path is the one a camera
takes.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from frontdesk.capture import StatusChange
from frontdesk.errors import FrontdeskError
from frontdesk.types import CameraStatus, FrameObservation

__all__ = ["ObservationReplay"]

log = logging.getLogger(__name__)


class ObservationReplay:
    """Replays an observations.jsonl file (``frontdesk simulate``) in place of camera + perception.

    Each line is a :class:`FrameObservation` record (see :mod:`frontdesk.sim.observations`)
    or a camera status record ``{"status": "offline"|"online", "t": ..., "detail": ...}``
    (optional ``wall_time``): a camera that drops is replayed as a status record, a gap
    with no frames and a status record when it comes back. The first item is an
    ``online`` record (``previous`` None), the last an ``ended`` record, as file sources do.

    A line that cannot be read is a corrupt frame: skipped, counted in
    ``stats["corrupt_skipped"]`` and logged (the first and then every 100th).

    Args:
        path: the file; a missing file fails here, at start-up.
        speed: 0 replays as fast as possible; otherwise the factor over real time
            (1.0 as recorded, 60.0 one minute of video per second).
        clock: monotonic seconds (tests pass their own).
    """

    kind = "observations"
    is_live = False

    def __init__(self, path: str | os.PathLike[str], speed: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FrontdeskError(f"{self.path}: no observations file")
        if not (speed == 0.0 or 0.01 <= speed <= 10_000.0):
            raise FrontdeskError(f"replay speed must be 0 (as fast as possible) or between "
                                 f"0.01 and 10000, got {speed}")
        self.speed = float(speed)
        self.name = str(self.path)
        self._clock = clock
        self._closed = threading.Event()
        self._status: str = CameraStatus.OFFLINE
        self.stats: dict[str, Any] = {"source": self.name, "frames_read": 0, "corrupt_skipped": 0,
                                      "status_records": 0}

    @property
    def status(self) -> str:
        return self._status

    def close(self) -> None:
        self._closed.set()

    def events(self) -> Iterator[FrameObservation | StatusChange]:
        from frontdesk.sim.observations import observation_from_json

        start: tuple[float, float] | None = None  # (record t, clock) of the first record
        last_t, last_wall = 0.0, None
        with open(self.path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if self._closed.is_set():
                    return
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    if not isinstance(record, dict):
                        raise ValueError("not a JSON object")
                    item: FrameObservation | StatusChange = (
                        self._status_change(record) if "status" in record
                        else observation_from_json(record))
                except (ValueError, KeyError, TypeError) as exc:
                    self._corrupt(lineno, exc)
                    continue
                if start is None:
                    start = (item.t, self._clock())
                    yield self._change(CameraStatus.ONLINE, None, item.t, item.wall_time,
                                       "replay started")
                if not self._pace(item.t, start):
                    return
                last_t, last_wall = item.t, item.wall_time
                if isinstance(item, StatusChange):
                    self.stats["status_records"] += 1
                    if item.status == self._status:
                        continue
                    item = self._change(item.status, self._status, item.t, item.wall_time,
                                        item.detail)
                else:
                    self.stats["frames_read"] += 1
                yield item
        if not self._closed.is_set():
            yield self._change(CameraStatus.ENDED, self._status, last_t, last_wall,
                               "end of the observations")

    def _status_change(self, record: dict[str, Any]) -> StatusChange:
        status = record["status"]
        if status not in (CameraStatus.ONLINE, CameraStatus.OFFLINE):
            raise ValueError(f"status must be online or offline, got {status!r}")
        wall = record.get("wall_time")
        return StatusChange(status, None, float(record["t"]),
                            None if wall is None else float(wall),  # type: ignore[arg-type]
                            str(record.get("detail", "")))

    def _change(self, status: str, previous: str | None, t: float, wall: float | None,
                detail: str) -> StatusChange:
        self._status = status
        return StatusChange(status, previous, t, wall, detail)  # type: ignore[arg-type]

    def _pace(self, t: float, start: tuple[float, float]) -> bool:
        """Wait until record time ``t`` is due at ``speed``; False when closed meanwhile."""
        if self.speed == 0.0:
            return not self._closed.is_set()
        due = start[1] + (t - start[0]) / self.speed
        delay = due - self._clock()
        if delay > 0:
            return not self._closed.wait(delay)
        return not self._closed.is_set()

    def _corrupt(self, lineno: int, exc: Exception) -> None:
        self.stats["corrupt_skipped"] += 1
        n = self.stats["corrupt_skipped"]
        if n == 1 or n % 100 == 0:
            log.warning("%s:%d: not an observation record (%s); skipped (%d so far)",
                        self.path, lineno, exc, n)

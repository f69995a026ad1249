"""Local days and hours in a site's time zone, vectorised.

Reports count days as local calendar days: a daylight-saving change day has 23
or 25 hours, and on the autumn change the repeated hour (01:00 to 02:00 in
Europe/London) counts twice in that hour of day. Local time is UTC plus the zone's
offset at that instant; :class:`LocalClock` finds the offset changes once for a
range (sampling every 3 hours, then bisecting to the second) so a million
timestamps convert with two numpy calls.
"""

from __future__ import annotations

import contextlib
import logging
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from frontdesk.errors import FrontdeskError

__all__ = ["LocalClock", "day_start", "day_hours", "resolve_time_zone", "EPOCH_ORDINAL"]

log = logging.getLogger(__name__)

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SAMPLE_S = 3 * 3600


def resolve_time_zone(name: str | None) -> ZoneInfo:
    """The named IANA zone, else the system's (TZ, /etc/localtime, /etc/timezone), else UTC."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise FrontdeskError(f"unknown time zone {name!r} (use an IANA name such as "
                                 "Europe/London)") from None
    candidates: list[str] = []
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        candidates.append(env)
    localtime = Path("/etc/localtime")
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for cand in candidates:
        try:
            return ZoneInfo(cand)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    log.warning("no system time zone found; reporting in UTC (set timezone: in the config)")
    return ZoneInfo("UTC")


def day_start(day: date, tz: ZoneInfo) -> float:
    """Unix time of the start of local day ``day`` (its first existing instant)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()


def day_hours(day: date, tz: ZoneInfo) -> float:
    """Length of a local day in hours: 24, or 23 / 25 on a daylight-saving change."""
    return (day_start(day + timedelta(days=1), tz) - day_start(day, tz)) / 3600.0


def _offset(t: float, tz: ZoneInfo) -> float:
    off = datetime.fromtimestamp(t, timezone.utc).astimezone(tz).utcoffset()
    return 0.0 if off is None else off.total_seconds()


class LocalClock:
    """UTC offsets of one zone over [lo, hi) (with two days' margin), as a step table."""

    def __init__(self, tz: ZoneInfo, lo: float, hi: float) -> None:
        self.tz = tz
        start = np.floor((lo - 2 * 86400) / _SAMPLE_S) * _SAMPLE_S
        end = hi + 2 * 86400
        self.lo, self.hi = float(start), float(end)
        times: list[float] = [-np.inf]
        offsets: list[float] = [_offset(start, tz)]
        t = float(start)
        while t < end:
            nxt = t + _SAMPLE_S
            off = _offset(nxt, tz)
            if off != offsets[-1]:
                a, b = int(t), int(nxt)  # offset(a) is the old one, offset(b) the new one
                while b - a > 1:
                    mid = (a + b) // 2
                    if _offset(mid, tz) == off:
                        b = mid
                    else:
                        a = mid
                times.append(float(b))
                offsets.append(off)
            t = nxt
        self.transitions = np.array(times, dtype=np.float64)
        self.offsets = np.array(offsets, dtype=np.float64)

    def offset_at(self, wall: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.transitions, wall, side="right") - 1
        return self.offsets[idx]

    def local_seconds(self, wall: np.ndarray) -> np.ndarray:
        """Seconds since 1970-01-01 00:00 local wall-clock time."""
        wall = np.asarray(wall, dtype=np.float64)
        return wall + self.offset_at(wall)

    def day_ordinal(self, wall: np.ndarray) -> np.ndarray:
        """Proleptic Gregorian ordinal (``date.toordinal()``) of each instant's local day."""
        return (np.floor(self.local_seconds(wall) / 86400.0)).astype(np.int64) + EPOCH_ORDINAL

    def day_and_hour(self, wall: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        local = self.local_seconds(wall)
        days = np.floor(local / 86400.0)
        hours = np.floor((local - days * 86400.0) / 3600.0).astype(np.int64)
        return days.astype(np.int64) + EPOCH_ORDINAL, np.clip(hours, 0, 23)

    def split(self, start: float, end: float) -> list[tuple[int, int, float]]:
        """Cut [start, end) at local hour boundaries: (day ordinal, hour, seconds) pieces."""
        out: list[tuple[int, int, float]] = []
        t = float(start)
        while t < end:
            i = int(np.searchsorted(self.transitions, t, side="right") - 1)
            off = float(self.offsets[i])
            nxt_transition = (float(self.transitions[i + 1]) if i + 1 < len(self.transitions)
                              else np.inf)
            local = t + off
            day = int(np.floor(local / 86400.0))
            hour = int(np.floor((local - day * 86400.0) / 3600.0))
            next_hour = (np.floor(local / 3600.0) + 1.0) * 3600.0 - off
            seg_end = min(end, next_hour, nxt_transition)
            if seg_end <= t:  # guard against float rounding at a boundary
                seg_end = min(end, t + 1e-6)
            out.append((day + EPOCH_ORDINAL, min(max(hour, 0), 23), seg_end - t))
            t = seg_end
        return out

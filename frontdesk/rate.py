"""A rate meter: events per second over the last few ticks."""

from __future__ import annotations

from collections import deque

__all__ = ["RateMeter"]


class RateMeter:
    """Ticks per second over the last ``window`` ticks (0 until two ticks)."""

    def __init__(self, window: int = 30) -> None:
        if window < 2:
            raise ValueError(f"window must be at least 2 ticks, got {window}")
        self._times: deque[float] = deque(maxlen=window)

    def tick(self, now: float) -> None:
        self._times.append(now)

    @property
    def fps(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

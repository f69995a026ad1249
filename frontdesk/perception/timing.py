"""Running per-stage timing for the perception loop.

The clock is injected by the caller (``time.perf_counter`` differences in
milliseconds); this module only adds numbers up, so it stays pure.
"""

from __future__ import annotations

__all__ = ["StageTimes", "STAGES"]

STAGES: tuple[str, ...] = ("decode", "detect", "mesh", "pose")


class StageTimes:
    """Mean milliseconds per frame for each stage, over the frames seen so far.

    ``add`` accumulates time spent in a stage during the current frame (several
    faces add to the same stage); ``end_frame`` closes the frame. A stage that
    was never timed (``decode`` when the caller does not report it) is absent
    from :meth:`mean_ms`.
    """

    def __init__(self) -> None:
        self._total_ms: dict[str, float] = {}
        self.frames = 0

    def add(self, stage: str, ms: float) -> None:
        if ms < 0:
            raise ValueError(f"stage time must be >= 0 ms, got {ms}")
        self._total_ms[stage] = self._total_ms.get(stage, 0.0) + ms

    def end_frame(self) -> None:
        self.frames += 1

    def mean_ms(self) -> dict[str, float]:
        """Mean milliseconds per frame for every timed stage, in pipeline order."""
        n = max(self.frames, 1)
        order = [s for s in STAGES if s in self._total_ms]
        order += sorted(s for s in self._total_ms if s not in STAGES)
        return {s: self._total_ms[s] / n for s in order}

    def reset(self) -> None:
        self._total_ms.clear()
        self.frames = 0

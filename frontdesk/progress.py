"""Progress for long commands: one line every tenth of the way, with the time left.

Used by ``frontdesk demo`` (rendering the footage) and ``frontdesk simulate
--store`` (a simulated day). A line, not a redrawn bar: it reads the same in a
terminal, a log file and systemd's journal.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["ProgressLines"]


class ProgressLines:
    """``progress(done, total)`` printing ``PREFIX: WHAT 40 % (64/160 UNIT, 25 s, about
    38 s left)`` at each tenth, the first step and the last.

    Args:
        prefix: who speaks ("frontdesk demo").
        what: what is under way ("rendering the demo footage").
        unit: what is counted ("frames").
        stream: where the lines go (default standard error).
        clock: monotonic seconds (tests).
    """

    def __init__(self, prefix: str, what: str, unit: str, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.prefix, self.what, self.unit = prefix, what, unit
        self.stream = stream
        self._clock = clock
        self._started = clock()
        self._first: tuple[int, float] | None = None
        self._tenth = -1

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if self._first is None:
            self._first = (done, now)
        tenth = 10 * done // max(total, 1)
        if tenth == self._tenth and done != total:
            return
        self._tenth = tenth
        elapsed = now - self._started
        first_done, first_t = self._first
        text = f"{self.prefix}: {self.what} {100 * done // max(total, 1):3d} % " \
               f"({done}/{total} {self.unit}, {elapsed:.0f} s"
        if done > first_done and done < total:
            left = (now - first_t) / (done - first_done) * (total - done)
            text += f", about {left:.0f} s left"
        print(text + ")", file=self.stream or sys.stderr, flush=True)

"""Progress lines for long commands: each tenth once, the time left from the pace so far."""

from __future__ import annotations

import io

from frontdesk.progress import ProgressLines


def test_a_line_per_tenth_with_the_time_left() -> None:
    now = [100.0]
    out = io.StringIO()
    progress = ProgressLines("frontdesk simulate", "simulating 2026-03-10", "customers",
                             stream=out, clock=lambda: now[0])
    now[0] = 105.0  # setup before the first step is not counted in the pace
    for done in range(1, 101):
        progress(done, 100)
        now[0] += 0.5
    lines = out.getvalue().splitlines()
    assert len(lines) == 11  # the first step, then 10 %, 20 %, ... 100 %
    assert lines[0] == "frontdesk simulate: simulating 2026-03-10   1 % (1/100 customers, 5 s)"
    assert lines[5] == ("frontdesk simulate: simulating 2026-03-10  50 % (50/100 customers, "
                        "30 s, about 25 s left)")
    assert lines[-1].endswith("100 % (100/100 customers, 54 s)")

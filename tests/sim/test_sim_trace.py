"""``python -m frontdesk.sim.trace``: a stretch of a run through the engine, printed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from frontdesk.sim.trace import main


def test_a_trace_prints_the_visit_the_truth_has_and_its_events(
        run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    truth = json.loads((run / "truth.json").read_text())
    first = next(v for v in truth["visits"] if v["arrival_t"] is not None)
    start, end = first["first_seen_t"], first["left_t"] + 2.0
    assert main([str(run), "--start", str(start), "--end", str(end), "--every", "0.5"]) == 0
    out = capsys.readouterr().out
    steps = [line for line in out.splitlines() if line.startswith("t=")]
    assert len(steps) >= int((end - start) / 0.5) - 1  # one line every half second
    assert any(first["person"] in line for line in steps)  # the truth's people, placed
    arrived = [line for line in out.splitlines()
               if "event" in line and "customer_arrived" in line]
    assert arrived  # her arrival, as it happened
    visit = arrived[0].split("visit ")[1].split()[0]
    rows = [line for line in out.splitlines() if line.strip().startswith(visit)]
    times = {float(line.split("arrived ")[1].split()[0]) for line in rows
             if "arrived -" not in line}
    assert times and all(abs(t - first["arrival_t"]) <= 0.5 for t in times)


def test_a_trace_with_candidates_prints_the_engines_choices(
        run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    truth = json.loads((run / "truth.json").read_text())
    assert main([str(run), "--start", "0", "--end", str(truth["duration_s"]), "--every",
                 "30", "--candidates"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("  candidates:")]
    # Realistic behaviours hide faces: some face comes back and is weighed.
    assert any("may continue" in line and "tier" in line for line in lines)


def test_a_trace_refuses_a_window_that_ends_before_it_starts(
        run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main([str(run), "--start", "20", "--end", "10"])
    assert "--end must not be before --start" in capsys.readouterr().err


def test_a_trace_of_a_missing_folder_says_so(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nowhere"), "--start", "0", "--end", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("trace: ") and "Traceback" not in err

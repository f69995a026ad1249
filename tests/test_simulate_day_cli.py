"""`frontdesk simulate --store --day` fills a store that `frontdesk report` reads back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def _frontdesk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "frontdesk", *args],
                          capture_output=True, text=True, timeout=300)


def test_a_simulated_day_is_reported_with_the_same_visits(tmp_path: Path) -> None:
    db = tmp_path / "day.db"
    sim = _frontdesk("simulate", "--store", str(db), "--day", "2026-11-20",
                     "--customers", "10", "--seed", "5")
    assert sim.returncode == 0, sim.stderr
    done = json.loads(sim.stdout.strip().splitlines()[-1])
    assert done["day"] == "2026-11-20"
    assert done["stored"] == done["events"] > 0
    rep = _frontdesk("report", "--db", str(db), "--date", "2026-11-20", "--format", "json")
    assert rep.returncode == 0, rep.stderr
    summary = json.loads(rep.stdout)["summary"]
    assert summary["visits"] + summary["passed_by"] == sum(done["outcomes"].values())
    assert summary["passed_by"] == done["outcomes"].get("passed_by", 0)
    assert summary["acknowledged"] == done["outcomes"].get("acknowledged", 0)
    assert summary["left_unacknowledged"] == done["outcomes"].get("abandoned", 0)
    # Running the same seed again adds nothing: event ids repeat and count once.
    again = _frontdesk("simulate", "--store", str(db), "--day", "2026-11-20",
                       "--customers", "10", "--seed", "5")
    assert again.returncode == 0, again.stderr
    rep2 = _frontdesk("report", "--db", str(db), "--date", "2026-11-20", "--format", "json")
    assert json.loads(rep2.stdout)["summary"] == summary


def test_day_without_store_is_refused_with_a_message(tmp_path: Path) -> None:
    proc = _frontdesk("simulate", "--day", "2026-11-20", "--out", str(tmp_path / "x"))
    assert proc.returncode == 2
    assert "--day and --customers go with --store PATH" in proc.stderr
    bad = _frontdesk("simulate", "--store", str(tmp_path / "d.db"), "--day", "20-11-2026")
    assert bad.returncode == 2
    assert "YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.stderr

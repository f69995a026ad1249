"""Recompute the small entries of the accuracy table and compare with tolerances.

The table (tests/sim/regression.json) is written by
``python -m frontdesk.sim.benchmark --write tests/sim/regression.json``. The
simulator must reproduce the same visits exactly; the engine's figures may
improve freely but not get worse by more than the tolerances below.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from frontdesk.sim.benchmark import ENTRIES, Entry, run_entry

TABLE = Path(__file__).parent / "regression.json"
RATIO_TOLERANCE = 0.05
"""A ratio (share within 0.25 s, precision, recall) may fall this much below the table."""
SECONDS_TOLERANCE = 0.1
"""A latency error percentile may grow this much above the table."""


def _recorded(name: str) -> dict[str, Any]:
    table = json.loads(TABLE.read_text())
    return next(r for r in table["entries"] if r["name"] == name)


def test_the_table_covers_every_entry_and_the_targets_scale() -> None:
    table = json.loads(TABLE.read_text())
    names = {r["name"] for r in table["entries"]}
    assert names == {e.name for e in ENTRIES}
    full = [r for r in table["entries"] if r["group"] == "full"]
    assert {r["noise"] for r in full} == {"none", "realistic"}
    assert all(r["figures"]["visits"] >= 500 for r in full)


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e.group == "subset"],
                         ids=lambda e: e.name)
def test_subset_entry_is_no_worse_than_the_table(entry: Entry) -> None:
    recorded = _recorded(entry.name)
    assert (recorded["seed"], recorded["visits"], recorded["noise"]) == (
        entry.seed, entry.visits, entry.noise)
    want = recorded["figures"]
    got = run_entry(entry)
    # The simulator and its truth are deterministic.
    for key in ("visits", "visits_with_latency", "alerts_true", "alerts_undecided", "frames"):
        assert got[key] == want[key], key
    for key in ("within_0_25_s", "alert_precision", "alert_recall", "ack_precision",
                "ack_recall"):
        if want[key] is not None:
            assert got[key] is not None and got[key] >= want[key] - RATIO_TOLERANCE, key
    assert got["visits_matched"] >= want["visits_matched"] - max(1, 0.05 * want["visits"])
    for key in ("p50", "p95", "max"):
        w = want["latency_error_s"][key]
        if w is not None:
            assert got["latency_error_s"][key] <= w + SECONDS_TOLERANCE, key

"""Fixtures shared by the simulator's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.cli import main as cli


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small realistic run (seed 8, six visits), made once per test module."""
    out = tmp_path_factory.mktemp("run") / "run"
    assert cli(["-q", "simulate", "--seed", "8", "--visits", "6", "--noise", "realistic",
                "--out", str(out)]) == 0
    return out

"""Report fixtures: the hand-built fixture day in a fresh store (figures in test_figures)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The event builder lives beside the store tests; both suites use it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))

from visit_events import fixture_day_events  # noqa: E402

from frontdesk.store import VisitStore  # noqa: E402


@pytest.fixture
def fixture_store(tmp_path: Path) -> Iterator[VisitStore]:
    """A store holding the fixture day, each event recorded twice (in two batches)."""
    store = VisitStore.open(tmp_path / "visits.db")
    events = fixture_day_events()
    store.record_events(events)
    store.record_events(list(reversed(events)))  # the same ids again: no effect
    yield store
    store.close()


@pytest.fixture
def fixture_db(fixture_store: VisitStore) -> str:
    return fixture_store.where

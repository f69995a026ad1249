"""Report figures against values worked out by hand (see conftest.fixture_day_events)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from visit_events import counter_event, local, visit

from frontdesk.engine.events import EventType
from frontdesk.report import build_report, nearest_rank, render
from frontdesk.report.figures import Figures
from frontdesk.store import VisitStore

LONDON = ZoneInfo("Europe/London")
TUE = date(2026, 3, 10)


def test_fixture_day_summary(fixture_store: VisitStore) -> None:
    r = build_report(fixture_store, TUE, TUE, LONDON, ack_target_s=10.0)
    f = r.summary
    # v1 v2 v3 v4 v5 v6 v8 v9 arrived on the 10th; v7 passed by; v10 arrived on the 11th.
    assert f.visits == 8
    assert f.passed_by == 1
    # Latencies sorted: -2 4 7 10 12 15 35 (v4 never acknowledged).
    assert f.acknowledged == 7
    assert f.latency_p50_s == pytest.approx(10.0)  # k = ceil(0.5 * 7) = 4th
    assert f.latency_p90_s == pytest.approx(35.0)  # k = ceil(0.9 * 7) = 7th
    assert f.latency_max_s == pytest.approx(35.0)
    assert f.within_target == 4  # -2, 4, 7 and exactly 10
    assert f.within_target_share == pytest.approx(4 / 8)
    assert f.before_arrival == 1
    assert f.before_arrival_share == pytest.approx(1 / 8)
    assert f.alerts == 4  # v2, v4, v6, v9
    assert f.escalations == 2  # v4, v6
    assert f.left_unacknowledged == 1  # v4
    assert f.unattended_min == pytest.approx(3.0 + 1.0)  # 12:10:20-12:13:20, 23:59-24:00


def test_fixture_day_hours(fixture_store: VisitStore) -> None:
    r = build_report(fixture_store, TUE, TUE, LONDON)
    by = {h.hour: h.figures for h in r.hours}
    assert [h.hour for h in r.hours] == list(range(24))
    assert (by[9].visits, by[9].latency_p50_s, by[9].latency_p90_s) == (3, 4.0, 12.0)
    assert by[9].within_target == 2 and by[9].before_arrival == 1
    assert (by[12].visits, by[12].acknowledged, by[12].latency_p50_s, by[12].latency_p90_s) == (
        3, 2, 10.0, 35.0)
    assert by[12].left_unacknowledged == 1 and by[12].alerts == 2 and by[12].escalations == 2
    assert by[12].unattended_min == pytest.approx(3.0)
    assert by[13].visits == 0 and by[13].passed_by == 1
    assert (by[15].visits, by[15].latency_p50_s) == (1, 7.0)
    assert (by[23].visits, by[23].latency_max_s) == (1, 15.0)
    assert by[23].unattended_min == pytest.approx(1.0)
    assert sum(h.figures.visits for h in r.hours) == r.summary.visits
    assert by[0].visits == 0  # v10 arrived after midnight: the 11th, not this report


def test_fixture_day_histogram_and_longest_waits(fixture_store: VisitStore) -> None:
    r = build_report(fixture_store, TUE, TUE, LONDON)
    counts = {b.label: b.visits for b in r.histogram}
    assert counts == {"before arrival": 1, "0\u20135 s": 1, "5\u201310 s": 2, "10\u201315 s": 2,
                      "15\u201320 s": 0, "20\u201330 s": 0, "30\u201345 s": 1, "45\u201360 s": 0,
                      "1\u20132 min": 0, "> 2 min": 0, "never": 1}
    # 7 s and exactly 10 s share the 5-10 s band: bands include their upper edge, as the
    # target does, so the bands up to the target add up to "within target".
    upto_target = sum(b.visits for b in r.histogram if b.high_s is not None and b.high_s <= 10)
    assert upto_target == r.summary.within_target
    waits = [(w.visit_id, w.wait_s, w.acknowledged) for w in r.longest_waits]
    assert waits == [("v4", 45.0, False), ("v6", 35.0, True), ("v9", 15.0, True),
                     ("v2", 12.0, True), ("v5", 10.0, True), ("v8", 7.0, True),
                     ("v1", 4.0, True), ("v3", 0.0, True)]
    assert r.longest_waits[0].outcome == "abandoned"
    assert r.longest_waits[0].arrival_local.isoformat() == "2026-03-10T12:10:00+00:00"
    assert r.longest_waits[2].arrival_local.isoformat() == "2026-03-10T23:59:50+00:00"


def test_fixture_day_trend_and_next_day(fixture_store: VisitStore) -> None:
    r = build_report(fixture_store, TUE, TUE, LONDON)
    assert [d.day for d in r.trend] == [date(2026, 3, d) for d in range(4, 11)]
    assert [d.figures.visits for d in r.trend] == [0, 0, 0, 0, 0, 1, 8]
    assert r.trend[5].figures.latency_p50_s == 3.0
    assert len(r.days) == 1 and r.days[0].figures == r.summary
    nxt = build_report(fixture_store, date(2026, 3, 11), date(2026, 3, 11), LONDON).summary
    assert (nxt.visits, nxt.latency_p50_s, nxt.unattended_min) == (1, 2.0, pytest.approx(1.0))


def test_visit_spanning_midnight_counts_on_its_arrival_day(fixture_store: VisitStore) -> None:
    row = fixture_store.visit("site-1", "counter-1", "v9")
    assert row is not None
    assert row["arrival_wall"] == pytest.approx(local("2026-03-10 23:59:50"))
    assert row["ack_wall"] == pytest.approx(local("2026-03-11 00:00:05"))
    assert row["latency_s"] == pytest.approx(15.0)
    tue = build_report(fixture_store, TUE, TUE, LONDON)
    wed = build_report(fixture_store, date(2026, 3, 11), date(2026, 3, 11), LONDON)
    assert "v9" in {w.visit_id for w in tue.longest_waits}
    assert "v9" not in {w.visit_id for w in wed.longest_waits}
    assert "v10" in {w.visit_id for w in wed.longest_waits}


def test_range_report_adds_up_days(fixture_store: VisitStore) -> None:
    r = build_report(fixture_store, date(2026, 3, 9), date(2026, 3, 11), LONDON)
    assert [d.figures.visits for d in r.days] == [1, 8, 1]
    assert r.summary.visits == 10
    assert r.summary.acknowledged == 9
    # all latencies: -2 2 3 4 7 10 12 15 35 -> p50 = 5th = 7, p90 = ceil(8.1) = 9th = 35
    assert (r.summary.latency_p50_s, r.summary.latency_p90_s) == (7.0, 35.0)
    assert r.summary.unattended_min == pytest.approx(5.0)
    assert r.trend[-1].day == date(2026, 3, 11)


def test_no_visits(tmp_path: Path) -> None:
    with VisitStore.open(tmp_path / "empty.db") as store:
        r = build_report(store, TUE, TUE, LONDON)
    assert r.summary == Figures.empty()
    assert r.longest_waits == [] and r.counters == []
    assert all(b.visits == 0 for b in r.histogram)
    assert len(r.trend) == 7 and all(d.figures.visits == 0 for d in r.trend)


def test_ack_target_from_config_changes_within_target(fixture_store: VisitStore) -> None:
    r = build_report(fixture_store, TUE, TUE, LONDON, ack_target_s=12.0)
    assert r.summary.within_target == 5  # 12 s now counts
    assert any(b.high_s == 12.0 for b in r.histogram)  # the target becomes a band edge
    r5 = build_report(fixture_store, TUE, TUE, LONDON, ack_target_s=5.0)
    assert r5.summary.within_target == 2


def test_counter_and_site_filters(tmp_path: Path) -> None:
    day = "2026-03-10"
    with VisitStore.open(tmp_path / "two.db") as store:
        store.record_events(
            visit("a1", first_seen=local(f"{day} 10:00:00"), arrival=local(f"{day} 10:00:01"),
                  ack=local(f"{day} 10:00:03"), left=local(f"{day} 10:01:00"))
            + visit("b1", counter="counter-2", first_seen=local(f"{day} 11:00:00"),
                    arrival=local(f"{day} 11:00:01"), ack=local(f"{day} 11:00:21"),
                    left=local(f"{day} 11:01:00"))
            + visit("c1", site="site-2", counter="counter-1",
                    first_seen=local(f"{day} 11:00:00"), arrival=local(f"{day} 11:00:01"),
                    left=local(f"{day} 11:01:00")))
        both = build_report(store, TUE, TUE, LONDON)
        only2 = build_report(store, TUE, TUE, LONDON, counter="counter-2")
        site2 = build_report(store, TUE, TUE, LONDON, site="site-2")
    assert [(c.site_id, c.counter_id, c.figures.visits) for c in both.counters] == [
        ("site-1", "counter-1", 1), ("site-1", "counter-2", 1), ("site-2", "counter-1", 1)]
    assert both.sites == ["site-1", "site-2"]
    assert [c.figures.latency_p50_s for c in both.counters] == [2.0, 20.0, None]
    assert only2.summary.visits == 1 and only2.summary.latency_p50_s == 20.0
    assert site2.summary.visits == 1 and site2.summary.left_unacknowledged == 1


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 23.0), (date(2026, 10, 25), 25.0)])
def test_daylight_saving_days(tmp_path: Path, day: date, hours: float) -> None:
    """Local days of 23 and 25 hours: visits near both midnights and the changed hour."""
    utc = ZoneInfo("UTC")

    def at(text: str) -> float:  # UTC wall clock
        from datetime import datetime
        return datetime.fromisoformat(text).replace(tzinfo=utc).timestamp()

    d = day.isoformat()
    prev = date.fromordinal(day.toordinal() - 1).isoformat()
    if day.month == 3:  # 01:00 GMT becomes 02:00 BST
        inside = {"a": at(f"{d} 00:00:00"),          # 00:00 GMT = local midnight
                  "b": at(f"{d} 00:59:00"),          # 00:59 GMT, hour 0
                  "c": at(f"{d} 01:00:00"),          # 02:00 BST, hour 2
                  "d": at(f"{d} 22:59:00")}          # 23:59 BST, hour 23
        outside = {"x": at(f"{d} 23:00:00"),         # 00:00 BST on the 30th
                   "y": at(f"{prev} 23:59:00")}      # 23:59 GMT on the 28th
        expect_hours = {0: 2, 2: 1, 23: 1}
    else:  # 02:00 BST becomes 01:00 GMT: 01:00-02:00 happens twice
        inside = {"a": at(f"{prev} 23:00:00"),       # 00:00 BST = local midnight
                  "b": at(f"{d} 00:30:00"),          # 01:30 BST, hour 1
                  "c": at(f"{d} 01:30:00"),          # 01:30 GMT, hour 1 again
                  "d": at(f"{d} 23:59:00")}          # 23:59 GMT, hour 23
        outside = {"x": at(f"{prev} 22:59:00"),      # 23:59 BST on the 24th
                   "y": at(f"{d} 23:59:59") + 1}     # 00:00 GMT on the 26th
        expect_hours = {0: 1, 1: 2, 23: 1}
    events = []
    for i, (name, w) in enumerate({**inside, **outside}.items()):
        events += visit(name, first_seen=w - 2, arrival=w, ack=w + 1 + i, left=w + 60)
    with VisitStore.open(tmp_path / "dst.db") as store:
        store.record_events(events)
        # An unattended spell across the change: 00:45 to 01:15 UTC is 30 minutes.
        store.record_events([counter_event(EventType.COUNTER_UNATTENDED, at(f"{d} 00:45:00")),
                             counter_event(EventType.COUNTER_ATTENDED, at(f"{d} 01:15:00"))])
        r = build_report(store, day, day, LONDON)
    assert r.days[0].hours == hours
    assert f"({hours:g} h)" in render(r, "html")  # the day table says so
    assert r.summary.visits == len(inside)
    assert {h.hour: h.figures.visits for h in r.hours if h.figures.visits} == expect_hours
    assert r.summary.unattended_min == pytest.approx(30.0)
    waits = sorted(w.visit_id for w in r.longest_waits)
    assert waits == sorted(inside)


def test_nearest_rank_definition() -> None:
    s = np.array([2.0, 4.0, 6.0, 8.0])
    assert nearest_rank(s, 50) == 4.0  # k = 2
    assert nearest_rank(s, 90) == 8.0  # k = ceil(3.6) = 4
    assert nearest_rank(s, 100) == 8.0
    assert nearest_rank(np.array([5.0]), 50) == 5.0
    assert nearest_rank(np.array([]), 50) is None
    ten = np.arange(1.0, 11.0)
    assert nearest_rank(ten, 90) == 9.0
    # 7 / 100 * 100 is 7.000000000000001 in floating point; the rank must still be 7.
    assert nearest_rank(np.arange(1.0, 101.0), 7) == 7.0
    with pytest.raises(ValueError):
        nearest_rank(s, 0)

"""A simulated working day, driven through the real engine, into the store and a report."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from frontdesk.config import default_config_dict, parse_config
from frontdesk.report import build_report
from frontdesk.report.simday import DayPlan, simulate_day
from frontdesk.store import VisitStore

DAY = date(2026, 3, 10)
LONDON = ZoneInfo("Europe/London")


def test_simulated_day_lands_in_the_store_and_the_report(tmp_path: Path) -> None:
    config = parse_config(yaml.safe_dump(default_config_dict(timezone="Europe/London")))
    db = tmp_path / "sim.db"
    plan = DayPlan(open_hour=12, close_hour=14, customers=16, slip_hour=13)
    result = simulate_day(config, str(db), DAY, seed=3, tz="Europe/London", plan=plan)
    assert result.customers_scheduled > 5
    assert result.stored == result.events > 0  # every event id unique
    types = result.event_types
    assert types["customer_arrived"] > 3 and types["customer_left"] >= types["customer_arrived"]
    with VisitStore.open(db, create=False) as store:
        report = build_report(store, DAY, DAY, LONDON, ack_target_s=config.engine.ack_target_s)
        again = simulate_day(config, str(db), DAY, seed=3, tz="Europe/London", plan=plan,
                             store=store)
        assert again.stored == 0  # same seed, same ids: nothing new
    f = report.summary
    assert f.visits == types["customer_arrived"]
    assert f.acknowledged == types["customer_acknowledged"]
    assert f.alerts == types["customer_waiting"]
    assert f.escalations == types["customer_escalated"]
    assert f.left_unacknowledged == result.outcomes["abandoned"]
    # Seen but never arrived (passed by, or still approaching when a scene ended).
    assert f.passed_by == types["customer_left"] - types["customer_arrived"]
    assert result.outcomes["interrupted"] <= 1
    busy = Counter({h.hour: h.figures.visits for h in report.hours if h.figures.visits})
    assert set(busy) <= {12, 13, 14}  # opening hours (the last customers may finish at 14:xx)
    assert report.counters[0].counter_id == "counter-1"

"""What a manager reads must be true: empty days, axes, rounding against the target,
names, folders, and the weekday-by-hour and week-over-week views."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from test_cli import frontdesk
from visit_events import visit

from frontdesk.report.charts import LEFT, format_against, hour_chart
from frontdesk.report.figures import Figures
from frontdesk.report.html import report_html
from frontdesk.report.model import HourFigures, build_report
from frontdesk.store import VisitStore

LONDON = ZoneInfo("Europe/London")


def _at(day: date, hour: int, minute: int = 0) -> float:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON).timestamp()


def _store(path: Path, waits: dict[date, list[float]]) -> str:
    with VisitStore.open(path) as store:
        for day, day_waits in waits.items():
            for i, wait_s in enumerate(day_waits):
                w = _at(day, 10, i)
                store.record_events(visit(f"{day}-{i}", first_seen=w - 3, arrival=w,
                                          ack=w + wait_s, left=w + 120))
    return str(path)


def test_an_empty_day_names_the_days_that_have_customers(tmp_path: Path) -> None:
    db = _store(tmp_path / "v.db", {date(2026, 3, 9): [3.0], date(2026, 3, 11): [4.0]})
    out = tmp_path / "r.html"
    proc = frontdesk("report", "--db", db, "--tz", "Europe/London", "--date", "2026-03-10",
                     "--out", str(out))
    assert proc.returncode == 3, proc.stderr
    assert ("no customers on 2026-03-10: the store has visits from 2026-03-09 to 2026-03-11 "
            "(try --date 2026-03-11, or --all-days)") in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "The visit history has customers from 2026-03-09 to 2026-03-11." in \
        out.read_text(encoding="utf-8")
    proc = frontdesk("report", "--db", db, "--tz", "Europe/London", "--date", "2026-03-11",
                     "--format", "json")
    assert proc.returncode == 0 and proc.stderr == ""


def test_out_into_a_missing_folder_is_refused(tmp_path: Path) -> None:
    db = _store(tmp_path / "v.db", {date(2026, 3, 9): [3.0]})
    missing = tmp_path / "nonexistent" / "dir" / "r.html"
    proc = frontdesk("report", "--db", db, "--tz", "Europe/London", "--date", "2026-03-09",
                     "--out", str(missing))
    assert proc.returncode == 2
    assert f"the folder {missing.parent} does not exist" in proc.stderr
    assert not (tmp_path / "nonexistent").exists()
    # a folder named with a trailing slash (the daily timer's --out reports/) is made
    proc = frontdesk("report", "--db", db, "--tz", "Europe/London", "--date", "2026-03-09",
                     "--out", f"{tmp_path / 'reports'}/")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "reports" / "frontdesk-report-2026-03-09.html").exists()


def _hours(p90_s: float) -> list[HourFigures]:
    f = Figures(10, 0, 10, p90_s / 2, p90_s, p90_s, 5, 0.5, 0, 0.0, 0, 0, 0, 0.0)
    return [HourFigures(h, f if h == 12 else Figures.empty()) for h in range(24)]


def _axis_labels(svg: str) -> list[tuple[float, str]]:
    return [(float(y), text) for y, text in
            re.findall(r'<text x="[\d.]+" y="([\d.]+)" text-anchor="end" fill="[^"]+">([^<]+)'
                       r"</text>", svg)]


def test_the_hour_charts_axis_fits_its_data_and_its_labels_fit_the_margin() -> None:
    svg = hour_chart(_hours(55.0), 10.0)
    labels = [text for _, text in _axis_labels(svg)]
    assert labels[-1] == "1 min"  # 55 s: the axis ends at 60 s, not 1 min 40 s
    assert "1 min 40 s" not in svg
    for text in labels:  # about 6.5 px a character at 12 px
        assert 6.5 * len(text) <= LEFT - 6, text
    svg = hour_chart(_hours(100.0), 10.0)
    assert [t for _, t in _axis_labels(svg)][-1] == "1 min 40 s"


def test_a_p90_just_over_the_target_is_shown_beyond_it(tmp_path: Path) -> None:
    assert format_against(10.4, 10.0) == "10.4 s"
    assert format_against(10.0, 10.0) == "10 s" and format_against(14.2, 10.0) == "14 s"
    assert format_against(9.6, 10.0) == "9.6 s"
    db = _store(tmp_path / "v.db", {date(2026, 3, 10): [2.0] * 8 + [10.4] * 2})
    with VisitStore.open(db, create=False) as store:
        r = build_report(store, date(2026, 3, 10), date(2026, 3, 10), LONDON, ack_target_s=10.0)
    assert r.summary.latency_p90_s is not None and 10.3 < r.summary.latency_p90_s < 10.5
    html = report_html(r)
    assert '<div class="card warn"><div class="v">10.4 s</div><div class="k">p90 wait' in html
    assert '<td class="beyond">10.4 s</td>' in html  # the hour's and the day's p90 cells
    assert "<td>10 s</td>" not in html  # nor in the longest waits


def test_names_weeks_and_the_weekday_heat_map(tmp_path: Path) -> None:
    days = {date(2026, 3, 2): [3.0, 30.0], date(2026, 3, 10): [3.0, 4.0, 5.0]}
    db = _store(tmp_path / "v.db", days)
    config = tmp_path / "frontdesk.yaml"
    config.write_text(
        f"site_id: shop\ntimezone: Europe/London\nstore:\n  path: {db}\n"
        "counters:\n  - id: counter-1\n    name: Main counter\n    zones:\n"
        "      service: [[0.5, 0.3], [0.9, 0.3], [0.9, 0.9], [0.5, 0.9]]\n"
        "      staff: [[0.0, 0.2], [0.4, 0.2], [0.4, 0.9], [0.0, 0.9]]\n", encoding="utf-8")
    out = tmp_path / "r.html"
    proc = frontdesk("report", "-c", str(config), "--date", "2026-03-10", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    html = out.read_text(encoding="utf-8")
    assert "Main counter" in html and "counter-1" not in html.split("<footer>")[0]
    assert "Week over week" in html and "Weekday by hour" in html
    proc = frontdesk("report", "-c", str(config), "--date", "2026-03-10", "--format", "json")
    import json

    data = json.loads(proc.stdout)
    before, now = data["weeks"]
    assert (before["first_day"], before["visits"]) == ("2026-02-25", 2)
    assert (now["last_day"], now["visits"], now["within_target_share"]) == ("2026-03-10", 3, 1.0)
    tuesday, monday = data["weekday_hours"][1], data["weekday_hours"][0]
    assert tuesday[10]["visits"] == 3 and monday[10]["visits"] == 2
    assert monday[10]["within_target_share"] == 0.5
    assert data["counters"][0]["name"] == "Main counter"

"""The report's staff context: late waits by what staff were doing, per hour and over the
day, in one chart and one sentence; stores compared on the same words; Chromium renders it."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from matplotlib import image as mpimg
from test_outputs import _screenshot
from visit_events import local, visit

from frontdesk.report import build_report, render
from frontdesk.report.charts import CONTEXT_COLOURS
from frontdesk.report.context import context_figures, context_sentence
from frontdesk.store import VisitStore

LONDON = ZoneInfo("Europe/London")
DAY = date(2026, 3, 10)


def _late(name: str, hhmm: str, context: str, wait_s: float = 25.0, site: str = "site-1",
          counter: str = "counter-1", acked: bool = True) -> list:
    at = local(f"2026-03-10 {hhmm}:00")
    return visit(name, first_seen=at - 3, arrival=at, ack=at + wait_s if acked else None,
                 left=at + wait_s + 60, context=context, site=site, counter=counter)


def _day_events() -> list:
    """A day at one shop: in the morning staff had their heads down; after 14:00 they
    chatted; one wait during focus work; prompt acknowledgements all day."""
    e: list = []
    for i, hhmm in enumerate(["09:10", "10:20", "11:30"]):
        e += _late(f"m{i}", hhmm, "looking_down")
    for i, hhmm in enumerate(["14:05", "14:40", "15:10", "15:50", "16:20", "16:45"]):
        e += _late(f"a{i}", hhmm, "talking")
    e += _late("f0", "12:30", "focus_work", wait_s=45.0)
    e += _late("n0", "13:00", "absent", acked=False)
    for i, hhmm in enumerate(["09:00", "12:00", "15:00"]):  # within the target: not counted
        at = local(f"2026-03-10 {hhmm}:30")
        e += visit(f"ok{i}", first_seen=at - 2, arrival=at, ack=at + 4, left=at + 50,
                   context="talking")
    return e


@pytest.fixture
def day_store(tmp_path: Path):
    store = VisitStore.open(tmp_path / "ctx.db")
    store.record_events(_day_events())
    yield store
    store.close()


def test_late_waits_are_counted_by_context_per_hour_and_over_the_day(day_store) -> None:
    r = build_report(day_store, DAY, DAY, LONDON)
    ctx = r.to_dict()["staff_context"]
    assert ctx["late_waits"] == 11 and ctx["without_context"] == 0
    assert ctx["total"]["talking"] == 6 and ctx["total"]["looking_down"] == 3
    assert ctx["total"]["absent"] == 1  # never acknowledged after waiting past the target
    assert ctx["focus_work_waits"] == 1
    assert ctx["hours"][14]["talking"] == 2 and ctx["hours"][9]["looking_down"] == 1
    assert ctx["hours"][15]["talking"] == 2 and ctx["hours"][13]["absent"] == 1
    assert ctx["sentence"] == (
        "Most late acknowledgements (6 of 11) came while staff were talking with each other, "
        "mostly after 14:00. 1 of the 11 came during focus work, the one good reason to "
        "finish a task first; they are shown apart.")


def test_the_html_shows_the_sentence_and_the_chart(day_store) -> None:
    html = render(build_report(day_store, DAY, DAY, LONDON), "html")
    assert "Why waits went beyond the target: what staff were doing" in html
    assert "came while staff were talking with each other, mostly after 14:00" in html
    assert "What staff were doing when waits went beyond the target" in html  # the chart
    assert "1 of the 11 waits beyond the target came while every member of staff" in html
    assert "never per member of staff" in html


def test_csv_carries_the_context_counts(day_store) -> None:
    rows = list(csv.DictReader(io.StringIO(render(build_report(day_store, DAY, DAY, LONDON),
                                                  "csv"))))
    late = [r for r in rows if r["section"] == "late_context"]
    total = {r["label"]: int(r["visits"]) for r in late if not r["hour"] and not r["counter_id"]}
    assert total["talking"] == 6 and total["focus_work"] == 1 and total["attentive"] == 0
    assert {(r["hour"], r["label"]) for r in late if r["hour"]} >= {("14", "talking"),
                                                                   ("9", "looking_down")}


def test_stores_compared_on_the_same_words(tmp_path: Path) -> None:
    events = _day_events()
    for i, hhmm in enumerate(["10:00", "11:00", "15:00", "16:00"]):
        events += _late(f"b{i}", hhmm, "serving_other", site="site-2")
    with VisitStore.open(tmp_path / "chain.db") as store:
        store.record_events(events)
        r = build_report(store, DAY, DAY, LONDON)
    ctx = r.to_dict()["staff_context"]
    by_store = {(c["site_id"], c["counter_id"]): c for c in ctx["counters"]}
    assert by_store[("site-2", "counter-1")]["serving_other"] == 4
    assert by_store[("site-1", "counter-1")]["talking"] == 6
    html = render(r, "html")
    assert "Counters compared on the same words" in html
    assert "site-2 / counter-1</td><td>4</td>" in html
    assert json.loads(render(r, "json"))["staff_context"]["total"]["serving_other"] == 4


@pytest.mark.parametrize("total, hours, want", [
    ({"talking": 0}, [{}] * 24, "No wait went beyond the target."),
    ({"focus_work": 2}, [{}] * 24, "Every late acknowledgement (2) came during focus work."),
    ({"looking_down": 2, "absent": 1}, [{"looking_down": 1}] * 2 + [{}] * 22,
     "Most late acknowledgements (2 of 3) came while staff had their heads down "
     "(till, paperwork, a screen)."),
    ({"absent": 2, "talking": 2, "serving_other": 1}, [{}] * 24,
     "The largest share of late acknowledgements (2 of 5) came while staff were talking with "
     "each other."),
])
def test_sentences(total, hours, want) -> None:
    assert context_sentence(total, hours) == want


def test_unknown_words_and_old_rows_are_counted_apart() -> None:
    f = context_figures([("s", "c", 9, None), ("s", "c", 9, "dancing"), ("s", "c", 9, "absent")])
    assert f.unknown == 2 and f.late_waits == 1 and f.total["absent"] == 1


def test_context_chart_renders_in_chromium(day_store, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(build_report(day_store, DAY, DAY, LONDON), "html"), encoding="utf-8")
    png = tmp_path / "report.png"
    _screenshot(page, png, tmp_path / "profile", "1100,2600")
    rgb = (mpimg.imread(str(png))[..., :3] * 255).round().astype(np.int16)
    # The chart paints talking (orange), looking down (teal), nobody (red), focus (yellow).
    for word in ("talking", "looking_down", "absent", "focus_work"):
        hex_colour = CONTEXT_COLOURS[word].lstrip("#")
        want = np.array([int(hex_colour[i:i + 2], 16) for i in (0, 2, 4)], dtype=np.int16)
        close = np.abs(rgb - want).sum(axis=-1) < 12
        assert close.sum() > 150, f"{word} (#{hex_colour}) barely appears"

"""HTML, CSV and JSON: the same numbers, read back; the HTML renders in a real browser."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from matplotlib import image as mpimg

from frontdesk.report import build_report, render
from frontdesk.report.export import CSV_COLUMNS
from frontdesk.store import VisitStore

LONDON = ZoneInfo("Europe/London")
TUE = date(2026, 3, 10)
CHROMIUM = "/usr/bin/chromium"


def _num(cell: str) -> float | int | None:
    if cell == "":
        return None
    return int(cell) if re.fullmatch(r"-?\d+", cell) else float(cell)


def test_json_holds_the_reports_numbers(fixture_store: VisitStore) -> None:
    r = build_report(fixture_store, TUE, TUE, LONDON, now=1.8e9)
    data = json.loads(render(r, "json"))
    s = data["summary"]
    assert (s["visits"], s["latency_p50_s"], s["latency_p90_s"], s["within_target_share"]) == (
        8, 10.0, 35.0, 0.5)
    assert s["unattended_min"] == 4.0
    assert data["first_day"] == data["last_day"] == "2026-03-10"
    assert data["time_zone"] == "Europe/London" and data["ack_target_s"] == 10.0
    assert data["longest_waits"][0]["visit_id"] == "v4"
    assert data["longest_waits"][0]["was_acknowledged"] is False
    assert data["hours"][12]["latency_p90_s"] == 35.0
    assert data == r.to_dict()


def test_csv_reads_back_to_the_json_numbers(fixture_store: VisitStore) -> None:
    r = build_report(fixture_store, TUE, TUE, LONDON, now=1.8e9)
    data = json.loads(render(r, "json"))
    rows = list(csv.DictReader(io.StringIO(render(r, "csv"))))
    assert list(rows[0]) == list(CSV_COLUMNS)
    by_section: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_section.setdefault(row["section"], []).append(row)
    assert [len(by_section[k]) for k in ("summary", "day", "trend", "hour", "histogram",
                                          "longest_wait", "counter")] == [1, 1, 7, 24, 11, 8, 1]
    figure_keys = [k for k in data["summary"]]
    summary = by_section["summary"][0]
    assert {k: _num(summary[k]) for k in figure_keys} == data["summary"]
    for row, hour in zip(by_section["hour"], data["hours"], strict=True):
        assert {k: _num(row[k]) for k in ["hour", *figure_keys]} == hour
    for row, day in zip(by_section["trend"], data["trend"], strict=True):
        assert row["day"] == day["day"]
        assert {k: _num(row[k]) for k in figure_keys} == {k: day[k] for k in figure_keys}
    for row, wait in zip(by_section["longest_wait"], data["longest_waits"], strict=True):
        assert (row["visit_id"], _num(row["wait_s"]), row["arrival_local"], row["outcome"]) == (
            wait["visit_id"], wait["wait_s"], wait["arrival_local"], wait["outcome"])
    for row, b in zip(by_section["histogram"], data["histogram"], strict=True):
        assert (row["label"], _num(row["visits"])) == (b["label"], b["visits"])
    assert summary["percentile_method"].startswith("nearest-rank")


def test_html_is_self_contained_and_shows_the_numbers(fixture_store: VisitStore) -> None:
    r = build_report(fixture_store, TUE, TUE, LONDON)
    html = render(r, "html")
    assert html.startswith("<!DOCTYPE html>")
    # Nothing to fetch: no scripts, stylesheets, images or fonts from elsewhere.
    assert not re.search(r"<script|<link|<img|@import|url\(|src=", html)
    assert "@media print" in html and "@page" in html
    assert html.count("<svg") == 5  # hours, staff context, waits, 7 days, weekday by hour
    # Stored without staff context: the report says so instead of "no late waits".
    assert "4 waits beyond the target have no staff context recorded" in html
    assert "Tuesday 10 March 2026" in html
    assert ("8 customers came to the counter. 50 % of all customers were acknowledged within "
            "10 s (the target); of the 7 acknowledged, half waited 10 s or less") in html
    assert ("It slipped most at 12:00\u201313:00: 33 % of its 3 customers were acknowledged "
            "within 10 s, and 1 left unacknowledged.") in html
    assert '<tr class="slow"><td class="l">12:00' in html
    assert "1 left without being acknowledged" in html
    for text in ("35 s", "50.0 %", "12.5 %", "4 / 2", "4 min"):
        assert text in html, text
    assert "12:10:00" in html  # the longest wait's arrival time


def test_html_of_an_empty_day_says_so(tmp_path: Path) -> None:
    with VisitStore.open(tmp_path / "empty.db") as store:
        html = render(build_report(store, TUE, TUE, LONDON), "html")
    assert "No customers arrived at the counter in this period." in html
    assert "No waits to list." in html


def _screenshot(html_path: Path, png: Path, profile: Path, size: str) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does)",
                    pytrace=False)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
           f"--screenshot={png}", f"--window-size={size}", html_path.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert png.exists(), f"no screenshot (rc {proc.returncode}): {proc.stderr[-800:]}"


def test_html_renders_in_chromium(fixture_store: VisitStore, tmp_path: Path) -> None:
    r = build_report(fixture_store, TUE, TUE, LONDON)
    page = tmp_path / "report.html"
    page.write_text(render(r, "html"), encoding="utf-8")
    png = tmp_path / "report.png"
    _screenshot(page, png, tmp_path / "profile", "1100,2600")
    img = mpimg.imread(str(png))
    assert img.shape[0] == 2600 and img.shape[1] == 1100
    rgb = img[..., :3]
    sample = (rgb[::3, ::3].reshape(-1, 3) * 255).round().astype(np.uint8)
    colours = np.unique(sample, axis=0)
    assert len(colours) > 50  # text, charts and cards, not a blank page
    # The charts' blue (within target, #1c6fb8) and orange (beyond, #e07a10) are painted.
    for hex_colour in ("1c6fb8", "e07a10"):
        want = np.array([int(hex_colour[i:i + 2], 16) for i in (0, 2, 4)], dtype=np.int16)
        close = np.abs((rgb * 255).round().astype(np.int16) - want).sum(axis=-1) < 12
        assert close.sum() > 500, f"#{hex_colour} barely appears"
    # Mostly a white page with dark text on it.
    assert (rgb.mean(axis=-1) > 0.95).mean() > 0.5
    assert (rgb.mean(axis=-1) < 0.3).sum() > 5000

"""`frontdesk report` as a user runs it: a subprocess, exit codes, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from visit_events import visit

from frontdesk.store import VisitStore

REPO = Path(__file__).resolve().parents[2]


def frontdesk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "frontdesk", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=env)


def assert_clean_error(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_missing_database(tmp_path: Path) -> None:
    proc = frontdesk("report", "--db", str(tmp_path / "nope.db"), "--date", "2026-03-10")
    assert_clean_error(proc, "no visit database at", "nope.db")
    assert not (tmp_path / "nope.db").exists()  # a report never creates a store


@pytest.mark.parametrize("content", [b"this is not a database, just text\n" * 200,
                                     b"SQLite format 3\x00" + b"\xff" * 8000])
def test_corrupt_database(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "broken.db"
    db.write_bytes(content)
    proc = frontdesk("report", "--db", str(db), "--date", "2026-03-10", "--format", "json")
    assert_clean_error(proc, "broken.db", "not a readable visit database")


def test_foreign_sqlite_database(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "other.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE invoices (id INTEGER)")
    proc = frontdesk("report", "--db", str(db), "--date", "2026-03-10")
    assert_clean_error(proc, "not a frontdesk visit database")


def test_bad_arguments(fixture_db: str) -> None:
    assert_clean_error(frontdesk("report", "--db", fixture_db, "--date", "10/03/2026"),
                       "--date", "YYYY-MM-DD")
    assert_clean_error(frontdesk("report", "--db", fixture_db, "--date", "2026-03-10",
                                 "--from", "2026-03-09", "--to", "2026-03-10"), "either --date")
    assert_clean_error(frontdesk("report", "--db", fixture_db, "--tz", "Mars/Olympus"),
                       "unknown time zone")


def test_json_to_stdout_and_html_into_a_folder(fixture_db: str, tmp_path: Path) -> None:
    proc = frontdesk("report", "--db", fixture_db, "--date", "2026-03-10", "--tz",
                     "Europe/London", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["summary"]["visits"] == 8 and data["summary"]["latency_p90_s"] == 35.0
    out = tmp_path / "reports"
    out.mkdir()
    proc = frontdesk("report", "--db", fixture_db, "--from", "2026-03-09", "--to", "2026-03-11",
                     "--tz", "Europe/London", "--counter", "counter-1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    page = out / "frontdesk-report-2026-03-09_2026-03-11-counter-1.html"
    assert page.exists(), list(out.iterdir())
    assert "10 customers, 60.0 % within 10 s" in proc.stdout
    html = page.read_text(encoding="utf-8")
    assert "Wed 11 Mar" in html and "Day by day" not in html  # 3 days: the 7-day table has them


def test_default_is_yesterday_in_the_configured_zone(tmp_path: Path) -> None:
    zone = "Pacific/Auckland"
    yesterday = datetime.now(ZoneInfo(zone)).date() - timedelta(days=1)
    noon = datetime(yesterday.year, yesterday.month, yesterday.day, 12, tzinfo=ZoneInfo(zone))
    w = noon.timestamp()
    with VisitStore.open(tmp_path / "v.db") as store:
        store.record_events(visit("y1", first_seen=w - 3, arrival=w, ack=w + 6, left=w + 90))
    config = tmp_path / "frontdesk.yaml"
    config.write_text(
        f"site_id: shop\ntimezone: {zone}\nstore:\n  path: {tmp_path / 'v.db'}\n"
        "engine:\n  ack_target_s: 5\n"
        "counters:\n  - id: counter-1\n    zones:\n"
        "      service: [[0.5, 0.3], [0.9, 0.3], [0.9, 0.9], [0.5, 0.9]]\n"
        "      staff: [[0.0, 0.2], [0.4, 0.2], [0.4, 0.9], [0.0, 0.9]]\n", encoding="utf-8")
    proc = frontdesk("report", "--config", str(config), "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    summary = next(csv.DictReader(io.StringIO(proc.stdout)))
    assert summary["section"] == "summary"
    assert summary["first_day"] == summary["last_day"] == yesterday.isoformat()
    assert (summary["time_zone"], summary["ack_target_s"]) == (zone, "5.0")
    assert (summary["visits"], summary["within_target"]) == ("1", "0")  # 6 s > 5 s target


def test_write_report_every_day_in_the_store(fixture_db: str, tmp_path: Path) -> None:
    """What `frontdesk demo` calls after its run: all days with visits, into a file."""
    from frontdesk.report import write_report

    path = write_report(None, db_path=fixture_db, out=tmp_path / "demo" / "report.html",
                        fmt="html", all_days=True, tz="Europe/London")
    assert path == tmp_path / "demo" / "report.html"
    html = path.read_text(encoding="utf-8")
    assert "9 March 2026 \u2013 11 March 2026" in html
    assert "10 customers came to the counter" in html
    assert [p.name for p in (tmp_path / "demo").iterdir()] == ["report.html"]  # no temp left

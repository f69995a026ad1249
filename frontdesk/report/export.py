"""CSV and JSON forms of a report: the same numbers as the HTML, for spreadsheets and tools.

The CSV has one row per record and a ``section`` column saying which table it
belongs to (summary, day, trend, hour, histogram, longest_wait, counter,
late_context); filter on it to get one table. ``late_context`` rows count the waits
beyond the target by what the staff were doing (``label``: the context word,
``visits``: how many): over the period (no hour, no counter), per local hour, per
counter. Empty cells mean "not applicable" (e.g. no percentile
when nobody was acknowledged).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from frontdesk.report.model import Report

__all__ = ["report_json", "report_csv", "CSV_COLUMNS", "FIGURE_COLUMNS"]

FIGURE_COLUMNS = (
    "visits", "passed_by", "acknowledged", "latency_p50_s", "latency_p90_s", "latency_max_s",
    "within_target", "within_target_share", "before_arrival", "before_arrival_share", "alerts",
    "escalations", "left_unacknowledged", "unattended_min",
)

CSV_COLUMNS = (
    "section", "day", "hours", "hour", "site_id", "counter_id", *FIGURE_COLUMNS,
    "label", "low_s", "high_s", "rank", "visit_id", "arrival_local", "wait_s", "latency_s",
    "was_acknowledged", "outcome", "first_day", "last_day", "time_zone", "ack_target_s",
    "percentile_method",
)


def report_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def report_csv(report: Report) -> str:
    data = report.to_dict()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()

    def row(section: str, values: dict[str, Any]) -> None:
        writer.writerow({"section": section, **{k: _cell(v) for k, v in values.items()
                                                 if k in CSV_COLUMNS}})

    row("summary", {**data["summary"], "first_day": data["first_day"],
                    "last_day": data["last_day"], "time_zone": data["time_zone"],
                    "ack_target_s": data["ack_target_s"], "site_id": data["site"],
                    "counter_id": data["counter"],
                    "percentile_method": data["percentile_method"]})
    for d in data["days"]:
        row("day", d)
    for d in data["trend"]:
        row("trend", d)
    for h in data["hours"]:
        row("hour", h)
    for b in data["histogram"]:
        row("histogram", {"label": b["label"], "low_s": b["low_s"], "high_s": b["high_s"],
                          "visits": b["visits"], "was_acknowledged": b["acknowledged"]})
    for w in data["longest_waits"]:
        row("longest_wait", w)
    for c in data["counters"]:
        row("counter", c)
    ctx = data.get("staff_context")
    if ctx:
        words = ctx["words"]
        for w in words:
            row("late_context", {"label": w, "visits": ctx["total"][w]})
        for h in ctx["hours"]:
            for w in words:
                if h[w]:
                    row("late_context", {"hour": h["hour"], "label": w, "visits": h[w]})
        for c in ctx["counters"]:
            for w in words:
                if c[w]:
                    row("late_context", {"site_id": c["site_id"], "counter_id": c["counter_id"],
                                         "label": w, "visits": c[w]})
    return out.getvalue()

"""``frontdesk bench report``: the managers' report over a million visits.

Builds a SQLite store of ``visits`` visits (50 counters at 5 sites over 28 days,
inserted in bulk, not through the engine) with unattended spells, then measures
in separate processes, each timed end to end with its peak RSS:

* **report**: ``frontdesk report --from FIRST --to LAST --format html`` over all of
  it (the 28-day range, every counter), as a user runs it, Python start-up
  included; and the daily case, one day;
* **baseline**: the least any exact percentile report must do, in the same
  store: fetch the latency column of the range into numpy and sort it (plus a
  bare ``SELECT COUNT(*)`` for scale);
* **stages**: CPU time of each step of ``build_report``, best of 3, in process;
* **recording**: ``record_events`` on 20,000 visits (60,000 events) in batches of 50.

Limits: the range report within 5 s and 500 MB.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["bench_report", "bench_record", "build_bench_store", "register"]

log = logging.getLogger(__name__)

LIMIT_S = 5.0
LIMIT_RSS_MB = 500.0
DAYS = 28
SITES = 5
COUNTERS_PER_SITE = 10
FIRST_DAY = "2026-02-02"
_START_WALL = 1_769_990_400.0  # 2026-02-02 00:00 UTC


def build_bench_store(path: Path, visits: int, seed: int = 7) -> dict[str, float]:
    """A store with ``visits`` realistic visits, time-ordered as the main loop writes them."""
    from frontdesk.store import VisitStore

    t0 = time.perf_counter()
    with VisitStore.open(path):
        pass  # schema
    rng = np.random.default_rng(seed)
    n_counters = SITES * COUNTERS_PER_SITE
    day = rng.integers(0, DAYS, visits)
    hour_weights = np.array([0, 0, 0, 0, 0, 0, 0, 0, .5, 1, 1.2, 1.5, 2.6, 2.2, 1.2, 1.1, 1.3,
                             1.5, .8, .3, 0, 0, 0, 0])
    hour = rng.choice(24, size=visits, p=hour_weights / hour_weights.sum())
    arrival = np.sort(_START_WALL + day * 86400.0 + hour * 3600.0 + rng.uniform(0, 3600, visits))
    counter = rng.integers(1, n_counters + 1, visits)
    # acknowledged, acknowledged before arrival, walked away, passed by
    kind = rng.choice(4, size=visits, p=[0.80, 0.06, 0.05, 0.09])
    latency = np.round(rng.lognormal(1.4, 0.9, visits), 3)
    latency = np.where(kind == 1, -np.round(rng.uniform(0.1, 2.0, visits), 3), latency)
    stay = latency + rng.uniform(30, 240, visits)
    waited = np.round(np.where(kind == 2, rng.uniform(10, 120, visits), stay), 3)
    alerts = ((kind == 2) | ((kind == 0) & (latency > 10))).astype(int)
    escal = ((kind == 2) & (waited > 30) | ((kind == 0) & (latency > 30))).astype(int)
    outcome = np.array(["acknowledged", "acknowledged", "abandoned", "passed_by"])[kind]

    def rows() -> Any:
        for i in range(visits):
            k = int(kind[i])
            a = float(arrival[i])
            acked = k < 2
            lat = float(latency[i]) if acked else None
            yield (int(counter[i]), f"{i:012x}", i % 5000, a - 4.0, a if k != 3 else None,
                   a + lat if lat is not None else None, a + float(waited[i]),
                   lat, float(waited[i]) if k != 3 else None, "eye_contact" if acked else None,
                   str(outcome[i]), int(alerts[i]), int(escal[i]), a)

    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    with con:
        con.executemany("INSERT INTO counters (counter_key, site_id, counter_id) VALUES (?, ?, ?)",
                        [(c, f"site-{(c - 1) // COUNTERS_PER_SITE + 1}",
                          f"counter-{(c - 1) % COUNTERS_PER_SITE + 1}")
                         for c in range(1, n_counters + 1)])
        con.executemany(
            "INSERT INTO visits (counter_key, visit_id, track_id, first_seen_wall, arrival_wall, "
            "ack_wall, left_wall, latency_s, waited_s, ack_by, outcome, alerts, escalations, "
            "updated_wall) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
        # Four unattended spells of 20 s to 3 min per counter and day.
        spells = []
        for c in range(1, n_counters + 1):
            for d in range(DAYS):
                for s in range(4):
                    start = _START_WALL + d * 86400 + rng.uniform(9, 18) * 3600
                    length = float(rng.uniform(20, 180))
                    for typ, at in (("counter_unattended", start), ("counter_attended",
                                                                      start + length)):
                        spells.append((f"u{c}-{d}-{s}-{typ}", typ, c, None, at - _START_WALL, at,
                                       at, "{}"))
        con.executemany("INSERT INTO events (event_id, type, counter_key, visit_id, t, wall_time, "
                        "received_wall, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", spells)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return {"build_s": time.perf_counter() - t0, "db_mb": path.stat().st_size / 1e6,
            "unattended_events": float(len(spells))}


def _measure(cmd: list[str]) -> dict[str, Any]:
    """Run a process; its wall time, CPU time (user + system) and output. It prints its
    own peak RSS (see ``_PEAK``)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[2:6]} failed: {stderr[-500:]}")
    return {"s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "stdout": stdout,
            "stderr": stderr}


_BASELINE = """
import sys, time, sqlite3
import numpy as np
t0 = time.perf_counter()
con = sqlite3.connect(sys.argv[1])
lo, hi = float(sys.argv[2]), float(sys.argv[3])
n = con.execute("SELECT COUNT(*) FROM visits").fetchone()[0]
t1 = time.perf_counter()
cur = con.execute("SELECT latency_s FROM visits WHERE day_wall >= ? AND day_wall < ? "
                  "AND latency_s IS NOT NULL", (lo, hi))
parts = []
while True:
    rows = cur.fetchmany(65536)
    if not rows:
        break
    parts.append(np.array(rows, dtype=np.float64).ravel())
lat = np.sort(np.concatenate(parts))
t2 = time.perf_counter()
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print(n, len(lat), t1 - t0, t2 - t1, int(hwm) / 1024)
"""

# Peak RSS from /proc (VmHWM, this process image only): getrusage's ru_maxrss survives
# exec on Linux and would report the parent's peak.
_PEAK = """
import runpy, sys
sys.argv = ["frontdesk", *sys.argv[1:]]
try:
    runpy.run_module("frontdesk", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
print("peak_rss_mb", int(hwm) / 1024, file=sys.stderr)
sys.exit(code)
"""


def _peak(stderr: str) -> float:
    for line in stderr.splitlines():
        if line.startswith("peak_rss_mb"):
            return float(line.split()[1])
    raise RuntimeError(f"no peak RSS reported: {stderr[-300:]}")


_STAGES = """
import json, sys, time
from datetime import date
from zoneinfo import ZoneInfo
import numpy as np
from frontdesk.report import build_report, render
from frontdesk.report.figures import VisitFigures
from frontdesk.report.localtime import LocalClock, day_start
from frontdesk.store import VisitStore

tz = ZoneInfo("UTC")
first, last = date.fromisoformat(sys.argv[2]), date.fromisoformat(sys.argv[3])
lo, hi = day_start(first, tz), day_start(last, tz) + 86400
store = VisitStore.open(sys.argv[1], create=False)
best = {}

def cpu(name, f):
    c = time.process_time()
    out = f()
    best[name] = min(best.get(name, 1e9), time.process_time() - c)
    return out

for _ in range(3):
    cols = cpu("fetch_visits_into_numpy", lambda: store.visit_columns(lo, hi))
    cpu("unattended_query", lambda: store.unattended_periods(lo, hi))
    vf = cpu("sort_and_categorise", lambda: VisitFigures(
        latency_s=cols.latency_s, arrived=cols.arrived, abandoned=cols.abandoned,
        alerts=cols.alerts, escalations=cols.escalations, target_s=10.0))
    clock = LocalClock(tz, lo, hi)
    d, h = cpu("local_day_and_hour", lambda: clock.day_and_hour(cols.day_wall))
    n_days = (last - first).days + 1
    cpu("figures_4_groupings", lambda: [vf.by(d - first.toordinal(), n_days), vf.by(h, 24),
                                        vf.by(cols.counter, len(cols.counters)),
                                        vf.by(np.zeros(len(d), dtype=np.int64), 1)])
    cpu("longest_waits", lambda: store.longest_waits(cols, None, 10))
    r = cpu("build_report", lambda: build_report(store, first, last, tz))
    cpu("render_html", lambda: render(r, "html"))
from frontdesk.report.charts import histogram_chart, hour_chart, trend_chart
t = time.perf_counter()
for _ in range(100):
    svgs = [hour_chart(r.hours, 10.0), histogram_chart(r.histogram, 10.0),
            trend_chart(r.trend, set())]
best["three_charts_ms"] = (time.perf_counter() - t) * 10.0
best["chart_kb"] = [len(x) / 1024 for x in svgs]
print(json.dumps({k: round(v, 3) if isinstance(v, float) else [round(x, 1) for x in v]
                  for k, v in best.items()}))
"""

# The same three charts' shapes through matplotlib's SVG backend, for comparison.
_MATPLOTLIB = """
import io, json, time
t0 = time.perf_counter()
import matplotlib
matplotlib.use("svg")
import matplotlib.pyplot as plt
t1 = time.perf_counter()
sizes = []
for bars in (9, 11, 7):
    fig, ax = plt.subplots(figsize=(7.6, 2.6))
    ax.bar(range(bars), [3 + 2 * i for i in range(bars)])
    ax.axhline(10, ls="--")
    for i in range(bars):
        ax.text(i, 5, f"{i} s")
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    sizes.append(round(len(buf.getvalue()) / 1024, 1))
t2 = time.perf_counter()
print(json.dumps({"import_s": round(t1 - t0, 3), "three_charts_s": round(t2 - t1, 3),
                  "chart_kb": sizes}))
"""


def bench_record(visits: int = 20_000, batch_events: int = 50) -> dict[str, Any]:
    """``record_events`` speed: visits of three events each (arrived, acknowledged,
    left), written in batches as the main loop does; a temporary SQLite store."""
    from frontdesk.engine.events import AckSource, Event, EventType, Outcome
    from frontdesk.store import VisitStore

    events = []
    for i in range(visits):
        t = 10.0 + i * 20.0
        base: dict[str, Any] = {"site_id": "site-1", "counter_id": f"counter-{i % 4 + 1}",
                                "visit_id": f"v{i}", "track_id": i, "first_seen_t": t - 3,
                                "arrival_t": t}
        wall = _START_WALL + t
        ack: dict[str, Any] = {"ack_t": t + 4, "latency_s": 4.0, "ack_by": AckSource.EYE_CONTACT}
        events += [
            Event(EventType.CUSTOMER_ARRIVED, f"a{i}", t=t, wall_time=wall, **base),
            Event(EventType.CUSTOMER_ACKNOWLEDGED, f"k{i}", t=t + 4.5, wall_time=wall + 4.5,
                  **base, **ack),
            Event(EventType.CUSTOMER_LEFT, f"l{i}", t=t + 90, wall_time=wall + 90, **base, **ack,
                  left_t=t + 90, waited_s=90.0, outcome=Outcome.ACKNOWLEDGED),
        ]
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as tmp, \
            VisitStore.open(Path(tmp) / "rec.db") as store:
        t0 = time.perf_counter()
        c0 = time.process_time()
        for i in range(0, len(events), batch_events):
            store.record_events(events[i:i + batch_events])
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        assert store.count("visits") == visits
    return {"record_events": len(events), "record_batch_events": batch_events,
            "record_events_per_s": round(len(events) / wall), "record_cpu_s": round(cpu, 3),
            "record_s": round(wall, 3)}


def bench_report(visits: int = 1_000_000, workdir: str | os.PathLike[str] | None = None,
                 keep: bool = False) -> dict[str, Any]:
    """Build the store, run baseline and reports in child processes, return the figures."""
    tmp = tempfile.TemporaryDirectory(prefix="frontdesk-bench-", dir=workdir)
    root = Path(tmp.name)
    db = root / "bench.db"
    try:
        built = build_bench_store(db, visits)
        lo, hi = _START_WALL, _START_WALL + DAYS * 86400.0
        base = _measure([sys.executable, "-c", _BASELINE, str(db), str(lo), str(hi)])
        n, n_lat, count_s, sort_s, base_rss = base["stdout"].split()
        last_day = time.strftime("%Y-%m-%d", time.gmtime(hi - 86400))
        common = [sys.executable, "-c", _PEAK, "-q", "report", "--db", str(db), "--tz", "UTC"]
        rng = _measure([*common, "--from", FIRST_DAY, "--to", last_day,
                        "--out", str(root / "range.html")])
        day = _measure([*common, "--date", last_day, "--out", str(root / "day.html")])
        csv_run = _measure([*common, "--from", FIRST_DAY, "--to", last_day, "--format", "csv",
                            "--out", str(root / "range.csv")])
        stages = _measure([sys.executable, "-c", _STAGES, str(db), FIRST_DAY, last_day])
        mpl = _measure([sys.executable, "-c", _MATPLOTLIB])
        summary_line = rng["stdout"].strip()
        result = {
            "visits": int(n),
            "acknowledged_in_range": int(n_lat),
            "db_mb": round(built["db_mb"], 1),
            "build_s": round(built["build_s"], 2),
            "report_range_s": round(rng["s"], 3),
            "report_range_cpu_s": round(rng["cpu_s"], 3),
            "report_range_peak_rss_mb": round(_peak(rng["stderr"]), 1),
            "report_day_s": round(day["s"], 3),
            "report_day_cpu_s": round(day["cpu_s"], 3),
            "report_day_peak_rss_mb": round(_peak(day["stderr"]), 1),
            "report_range_csv_s": round(csv_run["s"], 3),
            "baseline_count_s": round(float(count_s), 3),
            "baseline_fetch_sort_s": round(float(sort_s), 3),
            "baseline_process_s": round(base["s"], 3),
            "baseline_process_cpu_s": round(base["cpu_s"], 3),
            "baseline_peak_rss_mb": round(float(base_rss), 1),
            "ratio_report_to_baseline": round(rng["s"] / base["s"], 2),
            "ratio_report_to_baseline_cpu": round(rng["cpu_s"] / base["cpu_s"], 2),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
            "within_limits": rng["s"] <= LIMIT_S and _peak(rng["stderr"]) <= LIMIT_RSS_MB,
            "limits": {"s": LIMIT_S, "peak_rss_mb": LIMIT_RSS_MB},
            "report_summary": summary_line,
            "stages_cpu_s": json.loads(stages["stdout"]),
            "matplotlib_svg": json.loads(mpl["stdout"]),
            **bench_record(),
            "html_kb": round((root / "range.html").stat().st_size / 1024, 1),
        }
        if keep:
            result["workdir"] = str(root)
        return result
    finally:
        if not keep:
            tmp.cleanup()


def register(targets: argparse._SubParsersAction) -> None:
    p = targets.add_parser("report", help="the managers' report over a million visits")
    p.add_argument("--visits", type=int, default=1_000_000, help="visits in the store")
    p.add_argument("--workdir", help="folder for the temporary store (default: system temp)")
    p.add_argument("--json", action="store_true", help="print JSON only")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    result = bench_report(args.visits, workdir=args.workdir)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return 0 if result["within_limits"] else 1


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    print(json.dumps(bench_report(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000),
                     indent=2))

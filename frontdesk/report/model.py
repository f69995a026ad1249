"""Build a report: the figures for a range of local days, from a :class:`VisitStore`."""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from frontdesk.report.context import ContextFigures, context_figures
from frontdesk.report.figures import HISTOGRAM_EDGES_S, Figures, VisitFigures, histogram
from frontdesk.report.localtime import LocalClock, day_hours, day_start
from frontdesk.store.visits import VisitStore

__all__ = ["Report", "DayFigures", "HourFigures", "CounterFigures", "HistogramBin", "LongestWait",
           "build_report", "REPORT_FORMAT_VERSION", "TREND_DAYS"]

log = logging.getLogger(__name__)

REPORT_FORMAT_VERSION = 1
TREND_DAYS = 7
HEATMAP_DAYS = 28
"""The weekday-by-hour heat map and the week-over-week comparison cover the 28 days
ending on the report's last day."""
PERCENTILE_METHOD = "nearest-rank: the k-th smallest of n latencies, k = ceil(p * n / 100)"


@dataclass(frozen=True)
class DayFigures:
    day: date
    hours: float
    """Length of the local day: 24, or 23 / 25 on a daylight-saving change."""
    figures: Figures


@dataclass(frozen=True)
class HourFigures:
    hour: int
    """Local hour of day, 0 to 23 (arrivals from hour:00 to hour:59:59)."""
    figures: Figures


@dataclass(frozen=True)
class CounterFigures:
    site_id: str
    counter_id: str
    figures: Figures


@dataclass(frozen=True)
class HistogramBin:
    label: str
    low_s: float | None
    """Exclusive lower edge (None: unbounded; the first numeric bin includes 0)."""
    high_s: float | None
    """Inclusive upper edge (None: unbounded)."""
    visits: int
    acknowledged: bool = True
    """False for the bin of visits never acknowledged."""


@dataclass(frozen=True)
class WeekFigures:
    """Seven days ending on ``last_day`` (week over week: this one and the one before)."""

    first_day: date
    last_day: date
    figures: Figures


@dataclass(frozen=True)
class LongestWait:
    rank: int
    site_id: str
    counter_id: str
    visit_id: str
    arrival_local: datetime
    wait_s: float
    acknowledged: bool
    latency_s: float | None
    outcome: str | None


@dataclass(frozen=True)
class Report:
    first_day: date
    last_day: date
    time_zone: str
    ack_target_s: float
    site: str | None
    counter: str | None
    generated_wall: float
    summary: Figures
    days: list[DayFigures]
    trend: list[DayFigures]
    hours: list[HourFigures]
    histogram: list[HistogramBin]
    longest_waits: list[LongestWait]
    counters: list[CounterFigures]
    sites: list[str] = field(default_factory=list)
    weekday_hours: list[list[Figures]] = field(default_factory=list)
    """[weekday 0 = Monday][local hour]: the HEATMAP_DAYS days ending on last_day."""
    weeks: list[WeekFigures] = field(default_factory=list)
    """The week before, then the week ending on last_day."""
    names: dict[str, str] = field(default_factory=dict)
    """Counter id -> the name people know it by (from the config), where one is known."""
    data_span: tuple[date, date] | None = None
    """When the period has no customers: the first and last local day that has visits."""
    context: ContextFigures | None = None
    """What staff were doing when waits went beyond the target (team level)."""

    def counter_name(self, counter_id: str) -> str:
        return self.names.get(counter_id) or counter_id

    @property
    def single_day(self) -> bool:
        return self.first_day == self.last_day

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data; CSV and HTML show exactly these numbers."""
        return {
            "report_format": REPORT_FORMAT_VERSION,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "time_zone": self.time_zone,
            "ack_target_s": self.ack_target_s,
            "site": self.site,
            "counter": self.counter,
            "sites": list(self.sites),
            "generated_at": datetime.fromtimestamp(self.generated_wall, timezone.utc)
            .replace(microsecond=0).isoformat(),
            "percentile_method": PERCENTILE_METHOD,
            "summary": figures_dict(self.summary),
            "days": [{"day": d.day.isoformat(), "hours": d.hours, **figures_dict(d.figures)}
                     for d in self.days],
            "trend": [{"day": d.day.isoformat(), "hours": d.hours, **figures_dict(d.figures)}
                      for d in self.trend],
            "hours": [{"hour": h.hour, **figures_dict(h.figures)} for h in self.hours],
            "histogram": [asdict(b) for b in self.histogram],
            "longest_waits": [
                {"rank": w.rank, "site_id": w.site_id, "counter_id": w.counter_id,
                 "visit_id": w.visit_id, "arrival_local": w.arrival_local.isoformat(),
                 "wait_s": _r(w.wait_s, 3), "was_acknowledged": w.acknowledged,
                 "latency_s": _r(w.latency_s, 3), "outcome": w.outcome}
                for w in self.longest_waits],
            "counters": [{"site_id": c.site_id, "counter_id": c.counter_id,
                          "name": self.counter_name(c.counter_id),
                          **figures_dict(c.figures)} for c in self.counters],
            "weeks": [{"first_day": w.first_day.isoformat(), "last_day": w.last_day.isoformat(),
                       **figures_dict(w.figures)} for w in self.weeks],
            "weekday_hours": [[{"visits": f.visits, "within_target_share":
                                _r(f.within_target_share, 4)} for f in row]
                              for row in self.weekday_hours],
            "data_span": (None if self.data_span is None
                          else [d.isoformat() for d in self.data_span]),
            "staff_context": None if self.context is None else self.context.to_dict(),
        }


def _r(x: float | None, digits: int) -> float | None:
    return None if x is None else round(float(x), digits)


def figures_dict(f: Figures) -> dict[str, Any]:
    """Figures rounded for output: seconds to the millisecond, shares to 4 decimals
    (0.01 %), minutes to 0.01 min. Every output format uses these values."""
    return {
        "visits": f.visits,
        "passed_by": f.passed_by,
        "acknowledged": f.acknowledged,
        "latency_p50_s": _r(f.latency_p50_s, 3),
        "latency_p90_s": _r(f.latency_p90_s, 3),
        "latency_max_s": _r(f.latency_max_s, 3),
        "within_target": f.within_target,
        "within_target_share": _r(f.within_target_share, 4),
        "before_arrival": f.before_arrival,
        "before_arrival_share": _r(f.before_arrival_share, 4),
        "alerts": f.alerts,
        "escalations": f.escalations,
        "left_unacknowledged": f.left_unacknowledged,
        "unattended_min": round(f.unattended_min, 2),
    }


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _histogram_bins(latency: np.ndarray, arrived: np.ndarray,
                    target_s: float) -> list[HistogramBin]:
    edges = tuple(sorted(set(HISTOGRAM_EDGES_S) | {float(target_s)}))
    counts, never = histogram(latency, arrived, edges)
    bins = [HistogramBin("before arrival", None, 0.0, counts[0])]
    for i in range(1, len(edges)):
        lo, hi = edges[i - 1], edges[i]
        bins.append(HistogramBin(_band_label(lo, hi), lo, hi, counts[i]))
    last = edges[-1]
    over = f"{last / 60:g} min" if last >= 60 and last % 60 == 0 else f"{last:g} s"
    bins.append(HistogramBin(f"> {over}", last, None, counts[-1]))
    bins.append(HistogramBin("never", None, None, never, acknowledged=False))
    return bins


def _band_label(lo: float, hi: float) -> str:
    """"5–10 s", "45–60 s", "1–2 min": one unit per label."""
    if hi > 60 and lo % 60 == 0 and hi % 60 == 0:
        return f"{lo / 60:g}–{hi / 60:g} min"
    return f"{lo:g}–{hi:g} s"


def build_report(store: VisitStore, first_day: date, last_day: date, tz: ZoneInfo, *,
                 ack_target_s: float = 10.0, site: str | None = None, counter: str | None = None,
                 now: float | None = None, longest: int = 10) -> Report:
    """Figures for local days first_day..last_day (inclusive) in zone ``tz``.

    The trend covers the TREND_DAYS days ending on ``last_day`` (even when they
    start before ``first_day``). ``site`` and ``counter`` narrow the selection.
    """
    if last_day < first_day:
        raise ValueError(f"the range ends ({last_day}) before it starts ({first_day})")
    t0 = time.perf_counter()
    trend_first = min(first_day, last_day - timedelta(days=HEATMAP_DAYS - 1))
    lo, hi = day_start(trend_first, tz), day_start(last_day + timedelta(days=1), tz)
    selected = store.counters(site, counter) if (site or counter) else None
    cols = store.visit_columns(lo, hi, selected)
    periods = store.unattended_periods(lo, hi, selected)
    clock = LocalClock(tz, lo, hi)
    day_ord, hour = clock.day_and_hour(cols.day_wall)
    base = trend_first.toordinal()
    day_idx = day_ord - base
    n_days = (last_day - trend_first).days + 1
    first_idx = (first_day - trend_first).days
    in_range = day_idx >= first_idx
    counter_index = {c: i for i, c in enumerate(cols.counters)}

    # Unattended seconds, cut at local hour boundaries, per day / hour / counter.
    un_day = np.zeros(n_days)
    un_hour = np.zeros(24)
    un_counter_total: dict[tuple[str, str], float] = {}
    for p in periods:
        for d_ord, h, secs in clock.split(max(p.start_wall, lo), min(p.end_wall, hi)):
            d = d_ord - base
            if not 0 <= d < n_days:
                continue
            un_day[d] += secs
            if d >= first_idx:
                un_hour[h] += secs
                key = (p.site_id, p.counter_id)
                un_counter_total[key] = un_counter_total.get(key, 0.0) + secs
    extra = [k for k in sorted(un_counter_total) if k not in counter_index]
    all_counters = list(cols.counters) + extra
    un_counter = np.array([un_counter_total.get(k, 0.0) for k in all_counters])

    figures = VisitFigures(latency_s=cols.latency_s, arrived=cols.arrived,
                           abandoned=cols.abandoned, alerts=cols.alerts,
                           escalations=cols.escalations, target_s=ack_target_s)
    per_day = figures.by(day_idx, n_days, un_day)
    summary = figures.by(np.where(in_range, 0, -1), 1, np.array([un_day[first_idx:].sum()]))[0]
    per_hour = figures.by(np.where(in_range, hour, -1), 24, un_hour)
    per_counter = figures.by(np.where(in_range, cols.counter, -1), len(all_counters), un_counter)

    days = [DayFigures(d, day_hours(d, tz), per_day[(d - trend_first).days])
            for d in _days(trend_first, last_day)]
    weekday = (day_ord - 1) % 7  # date.fromordinal(1) is a Monday
    in_heat = day_idx >= n_days - HEATMAP_DAYS
    heat = figures.by(np.where(in_heat, weekday * 24 + hour, -1), 7 * 24)
    week = np.where(day_idx >= n_days - 7, 1, np.where(day_idx >= n_days - 14, 0, -1))
    per_week = figures.by(week, 2)
    weeks = [WeekFigures(last_day - timedelta(days=13), last_day - timedelta(days=7),
                         per_week[0]),
             WeekFigures(last_day - timedelta(days=6), last_day, per_week[1])]
    sel = in_range
    bins = _histogram_bins(cols.latency_s[sel], cols.arrived[sel], ack_target_s)
    waits = []
    for rank, w in enumerate(store.longest_waits(cols, sel, longest), start=1):
        waits.append(LongestWait(
            rank=rank, site_id=w.site_id, counter_id=w.counter_id, visit_id=w.visit_id,
            arrival_local=datetime.fromtimestamp(w.arrival_wall, tz).replace(microsecond=0),
            wait_s=w.wait_s, acknowledged=w.latency_s is not None, latency_s=w.latency_s,
            outcome=w.outcome))
    range_lo = day_start(first_day, tz)
    late = store.late_contexts(range_lo, hi, ack_target_s, selected)
    late_hours = clock.day_and_hour(np.array([w for _, _, w, _ in late], dtype=np.float64))[1]
    context = context_figures([(s, c, int(h), word) for (s, c, _, word), h
                               in zip(late, late_hours, strict=True)])
    report = Report(
        first_day=first_day, last_day=last_day, time_zone=str(tz.key), ack_target_s=ack_target_s,
        site=site, counter=counter, generated_wall=time.time() if now is None else now,
        summary=summary,
        days=days[first_idx:],
        trend=days[-TREND_DAYS:],
        hours=[HourFigures(h, per_hour[h]) for h in range(24)],
        histogram=bins,
        longest_waits=waits,
        counters=[CounterFigures(s, c, f) for (s, c), f in zip(all_counters, per_counter,
                                                                 strict=True)],
        sites=sorted({s for s, _ in all_counters}),
        weekday_hours=[heat[d * 24:(d + 1) * 24] for d in range(7)],
        weeks=weeks,
        context=context,
    )
    log.debug("report %s..%s: %d visits in %.2f s", first_day, last_day, summary.visits,
              time.perf_counter() - t0)
    return report


def local_date_range(store: VisitStore, tz: ZoneInfo, site: str | None = None,
                     counter: str | None = None) -> tuple[date, date] | None:
    """The first and last local day with visits (of the selection), or None when empty."""
    selected = store.counters(site, counter) if (site or counter) else None
    span = store.day_wall_range(None if selected is None else list(selected))
    if span is None:
        return None
    first, last = (datetime.fromtimestamp(x, tz).date() for x in span)
    return first, last


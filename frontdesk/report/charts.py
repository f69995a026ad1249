"""Hand-made inline SVG charts for the HTML report.

Small and sharp at any zoom, text selectable, nothing to load, and quick: each
chart is a few kilobytes of markup built in well under a millisecond, where
matplotlib's SVG backend takes about a second to import and render four charts
and writes its text as paths. Every chart carries a <title> and an aria-label,
and the numbers behind it also appear in a table in the report.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from frontdesk.report.context import LABELS, WORDS, ContextFigures
from frontdesk.report.model import DayFigures, HistogramBin, HourFigures

__all__ = ["hour_chart", "histogram_chart", "trend_chart", "heatmap_chart", "context_chart",
           "CONTEXT_COLOURS", "format_seconds",
           "format_against", "nice_ceiling", "fit_axis", "OK", "SLOW", "NEVER", "MUTED", "LEFT"]

OK = "#1c6fb8"
"""Within the target."""
SLOW = "#e07a10"
"""Beyond the target."""
NEVER = "#c0392b"
"""Never acknowledged."""
MUTED = "#6b7280"
GRID = "#e5e7eb"
INK = "#111827"

_W, _H = 760, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 80, 16, 26, 54
LEFT = _LEFT
"""Room for the value axis' labels ("1 min 40 s" fits)."""


def format_seconds(s: float | None, *, signed: bool = False) -> str:
    """3.2 s, 14 s, 1 min 52 s, 2 h 05 min; a true minus sign for negatives."""
    if s is None or not math.isfinite(s):
        return "\u2013"
    sign = "\u2212" if s < 0 else ("+" if signed and s > 0 else "")
    a = abs(s)
    if a < 10:
        text = f"{a:.1f} s"
    elif a < 60:
        text = f"{a:.0f} s"
    elif a < 3600:
        m, sec = divmod(int(round(a)), 60)
        text = f"{m} min {sec:02d} s" if sec else f"{m} min"
    else:
        h, rest = divmod(int(round(a)), 3600)
        text = f"{h} h {rest // 60:02d} min"
    return sign + text


def format_against(s: float | None, target_s: float) -> str:
    """:func:`format_seconds`, with a decimal more when rounding would hide which side of
    the target ``s`` is on (10.4 s against 10 s is "10.4 s", not "10 s")."""
    text = format_seconds(s)
    if s is None or not math.isfinite(s) or not 10 <= abs(s) < 60:
        return text
    sign = "\u2212" if s < 0 else ""
    for digits in (0, 1, 2):
        if (round(s, digits) > target_s) == (s > target_s):
            return text if digits == 0 else f"{sign}{abs(s):.{digits}f} s"
    return f"{sign}{abs(s):.2f} s"


def fit_axis(hi: float, n: int = 4) -> float:
    """The top of a value axis from 0 for data up to ``hi``: the first multiple of a nice
    step (1, 2, 2.5 or 5 times a power of ten, about hi / n) at or above ``hi``."""
    if hi <= 0:
        return 1.0
    step = nice_ceiling(hi / n)
    return step * math.ceil(hi / step - 1e-9)


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= x (x > 0)."""
    if x <= 0:
        return 1.0
    p = 10 ** math.floor(math.log10(x))
    for m in (1, 2, 2.5, 5, 10):
        if m * p >= x - 1e-9:
            return m * p
    return 10 * p


@dataclass
class _Frame:
    """Plot area and value scale of one chart."""

    ymin: float
    ymax: float
    width: int = _W
    height: int = _H

    @property
    def x0(self) -> float:
        return _LEFT

    @property
    def x1(self) -> float:
        return self.width - _RIGHT

    @property
    def y0(self) -> float:
        return self.height - _BOTTOM

    @property
    def y1(self) -> float:
        return _TOP

    def y(self, v: float) -> float:
        span = (self.ymax - self.ymin) or 1.0
        return self.y0 - (v - self.ymin) / span * (self.y0 - self.y1)


def _svg(title: str, body: list[str], frame: _Frame, desc: str = "") -> str:
    t = escape(title)
    return (f'<svg class="chart" viewBox="0 0 {frame.width} {frame.height}" role="img" '
            f'aria-label="{t}" xmlns="http://www.w3.org/2000/svg" '
            f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" '
            f'font-size="12"><title>{t}</title>'
            + (f"<desc>{escape(desc)}</desc>" if desc else "") + "".join(body) + "</svg>")


def _axis(frame: _Frame, ticks: Sequence[float], label: Callable[[float], str]) -> list[str]:
    out = []
    for v in ticks:
        y = frame.y(v)
        out.append(f'<line x1="{frame.x0}" x2="{frame.x1}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{frame.x0 - 6}" y="{y + 4:.1f}" text-anchor="end" '
                   f'fill="{MUTED}">{escape(label(v))}</text>')
    out.append(f'<line x1="{frame.x0}" x2="{frame.x1}" y1="{frame.y(0):.1f}" '
               f'y2="{frame.y(0):.1f}" stroke="{MUTED}" stroke-width="1"/>')
    return out


def _ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    step = nice_ceiling((hi - lo) / n)
    start = math.ceil(lo / step) * step
    out, v = [], start
    while v <= hi + 1e-9:
        out.append(round(v, 6))
        v += step
    return out


def _empty(title: str, message: str) -> str:
    frame = _Frame(0, 1, height=80)
    return _svg(title, [f'<text x="{_W / 2}" y="45" text-anchor="middle" fill="{MUTED}" '
                        f'font-size="14">{escape(message)}</text>'], frame)


def hour_chart(hours: Sequence[HourFigures], target_s: float) -> str:
    """Bars: p90 latency per local hour (orange beyond the target); dots: the median."""
    title = "Wait before acknowledgement by hour of day"
    busy = [h for h in hours if h.figures.visits or h.figures.passed_by]
    if not busy:
        return _empty(title, "No customers in this period")
    first, last = busy[0].hour, busy[-1].hour
    if last - first < 7:
        first = max(0, min(first, 24 - 8))
        last = max(last, first + 7)
    shown = [h for h in hours if first <= h.hour <= last]
    values = [v for h in shown for v in (h.figures.latency_p90_s, h.figures.latency_p50_s)
              if v is not None]
    ymax = fit_axis(max([target_s * 1.1, *values]))
    ymin = min(0.0, -fit_axis(-min(values))) if values and min(values) < 0 else 0.0
    frame = _Frame(ymin, ymax)
    body = _axis(frame, _ticks(ymin, ymax), lambda v: format_seconds(v) if v else "0")
    slot = (frame.x1 - frame.x0) / len(shown)
    bar_w = slot * 0.62
    for i, h in enumerate(shown):
        f = h.figures
        cx = frame.x0 + slot * (i + 0.5)
        body.append(f'<text x="{cx:.1f}" y="{frame.y0 + 16:.1f}" text-anchor="middle" '
                    f'fill="{INK}">{h.hour:02d}</text>')
        body.append(f'<text x="{cx:.1f}" y="{frame.y0 + 31:.1f}" text-anchor="middle" '
                    f'fill="{MUTED}" font-size="11">{f.visits}</text>')
        if f.latency_p90_s is None:
            if f.visits:
                body.append(f'<text x="{cx:.1f}" y="{frame.y(0) - 6:.1f}" text-anchor="middle" '
                            f'fill="{NEVER}" font-size="11">none</text>')
            continue
        top, base = frame.y(max(f.latency_p90_s, 0.0)), frame.y(min(f.latency_p90_s, 0.0))
        colour = SLOW if f.latency_p90_s > target_s else OK
        body.append(f'<rect x="{cx - bar_w / 2:.1f}" y="{top:.1f}" width="{bar_w:.1f}" '
                    f'height="{max(base - top, 1):.1f}" fill="{colour}" rx="2">'
                    f'<title>{h.hour:02d}:00\u2013{h.hour:02d}:59: p90 '
                    f'{format_against(f.latency_p90_s, target_s)}, median '
                    f'{format_seconds(f.latency_p50_s)}, {f.visits} customers</title></rect>')
        body.append(f'<text x="{cx:.1f}" y="{top - 5:.1f}" text-anchor="middle" fill="{INK}" '
                    f'font-size="11">{escape(format_against(f.latency_p90_s, target_s))}</text>')
        if f.latency_p50_s is not None:
            body.append(f'<circle cx="{cx:.1f}" cy="{frame.y(f.latency_p50_s):.1f}" r="4" '
                        f'fill="{INK}" stroke="#fff" stroke-width="1.5"/>')
    ty = frame.y(target_s)
    body.append(f'<line x1="{frame.x0}" x2="{frame.x1}" y1="{ty:.1f}" y2="{ty:.1f}" '
                f'stroke="{NEVER}" stroke-width="1.5" stroke-dasharray="6 4"/>')
    body.append(f'<text x="6" y="{frame.y0 + 31:.1f}" fill="{MUTED}" '
                f'font-size="11">customers</text>')
    body.append(_legend([(OK, "rect", "9 in 10 acknowledged within (p90)"),
                         (SLOW, "rect", "p90 beyond target"),
                         (INK, "dot", "median (p50)"),
                         (NEVER, "dash", f"target {format_seconds(target_s)}")], frame))
    return _svg(title, body, frame, "Bars show the p90 wait of the acknowledged customers "
                "arriving in each hour, dots the median; the dashed line is the target.")


def _legend(items: list[tuple[str, str, str]], frame: _Frame) -> str:
    x = frame.x0
    parts = []
    for colour, kind, text in items:
        if kind == "rect":
            parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}" rx="2"/>')
        elif kind == "dash":
            parts.append(f'<line x1="{x}" x2="{x + 12}" y1="12" y2="12" stroke="{colour}" '
                         f'stroke-width="1.5" stroke-dasharray="4 2"/>')
        else:
            parts.append(f'<circle cx="{x + 6}" cy="12" r="4" fill="{colour}"/>')
        parts.append(f'<text x="{x + 17}" y="16.5" fill="{INK}" font-size="11">'
                     f'{escape(text)}</text>')
        x += 26 + 6.2 * len(text)
    return "".join(parts)


def histogram_chart(bins: Sequence[HistogramBin], target_s: float) -> str:
    """Customers per latency bin; bins beyond the target orange, never acknowledged red."""
    title = "How long customers waited for acknowledgement"
    total = sum(b.visits for b in bins)
    if total == 0:
        return _empty(title, "No customers in this period")
    ymax = max(fit_axis(max(b.visits for b in bins)), 2.0)
    frame = _Frame(0, ymax)
    # customers are whole: no tick at 0.5 of one
    body = _axis(frame, [v for v in _ticks(0, ymax) if float(v).is_integer()],
                 lambda v: f"{v:g}")
    slot = (frame.x1 - frame.x0) / len(bins)
    for i, b in enumerate(bins):
        cx = frame.x0 + slot * (i + 0.5)
        if not b.acknowledged:
            colour = NEVER
        elif b.high_s is not None and b.high_s <= target_s:
            colour = OK
        else:
            colour = SLOW
        top = frame.y(b.visits)
        if b.visits:
            body.append(f'<rect x="{cx - slot * 0.36:.1f}" y="{top:.1f}" '
                        f'width="{slot * 0.72:.1f}" height="{frame.y0 - top:.1f}" '
                        f'fill="{colour}" rx="2"><title>{escape(b.label)}: {b.visits}'
                        f'</title></rect>')
        body.append(f'<text x="{cx:.1f}" y="{top - 5:.1f}" text-anchor="middle" fill="{INK}" '
                    f'font-size="11">{b.visits}</text>')
        pct = 100.0 * b.visits / total
        body.append(f'<text x="{cx:.1f}" y="{frame.y0 + 16:.1f}" text-anchor="middle" '
                    f'fill="{INK}" font-size="11">{escape(b.label)}</text>')
        body.append(f'<text x="{cx:.1f}" y="{frame.y0 + 31:.1f}" text-anchor="middle" '
                    f'fill="{MUTED}" font-size="11">{pct:.0f} %</text>')
        if b.acknowledged and b.high_s is not None and abs(b.high_s - target_s) < 1e-9:
            x = cx + slot / 2
            body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{frame.y1:.1f}" '
                        f'y2="{frame.y0:.1f}" stroke="{NEVER}" stroke-width="1.5" '
                        f'stroke-dasharray="6 4"/>')
            body.append(f'<text x="{x + 4:.1f}" y="{frame.y1 + 10:.1f}" fill="{NEVER}" '
                        f'font-size="11">target {escape(format_seconds(target_s))}</text>')
    body.append(_legend([(OK, "rect", "within target"), (SLOW, "rect", "beyond target"),
                         (NEVER, "rect", "never acknowledged")], frame))
    return _svg(title, body, frame, "Number of customers in each band of wait.")


def trend_chart(days: Sequence[DayFigures], highlight: set[str]) -> str:
    """Share of customers acknowledged within the target, one bar per day."""
    title = "Share acknowledged within the target, day by day"
    frame = _Frame(0, 100)
    body = _axis(frame, [0, 25, 50, 75, 100], lambda v: f"{v:g} %")
    slot = (frame.x1 - frame.x0) / max(len(days), 1)
    for i, d in enumerate(days):
        f = d.figures
        cx = frame.x0 + slot * (i + 0.5)
        key = d.day.isoformat()
        weight = "bold" if key in highlight else "normal"
        body.append(f'<text x="{cx:.1f}" y="{frame.y0 + 16:.1f}" text-anchor="middle" '
                    f'fill="{INK}" font-size="11" font-weight="{weight}">'
                    f'{d.day.strftime("%a %d %b")}</text>')
        body.append(f'<text x="{cx:.1f}" y="{frame.y0 + 31:.1f}" text-anchor="middle" '
                    f'fill="{MUTED}" font-size="11">{f.visits} cust.</text>')
        if f.within_target_share is None:
            body.append(f'<text x="{cx:.1f}" y="{frame.y0 - 6:.1f}" text-anchor="middle" '
                        f'fill="{MUTED}" font-size="11">no customers</text>')
            continue
        pct = 100.0 * f.within_target_share
        top = frame.y(pct)
        colour = OK if key in highlight else "#8fb8dc"
        body.append(f'<rect x="{cx - slot * 0.3:.1f}" y="{top:.1f}" width="{slot * 0.6:.1f}" '
                    f'height="{max(frame.y0 - top, 0.5):.1f}" fill="{colour}" rx="2">'
                    f'<title>{key}: {pct:.1f} % within target, p90 '
                    f'{format_seconds(f.latency_p90_s)}</title></rect>')
        body.append(f'<text x="{cx:.1f}" y="{top - 5:.1f}" text-anchor="middle" fill="{INK}" '
                    f'font-size="11">{pct:.0f} %</text>')
    return _svg(title, body, frame, "Bars show the share of customers acknowledged within the "
                "target on each day; the report's days are darker.")


def _share_colour(share: float | None) -> str:
    if share is None:
        return "#f3f4f6"
    if share >= 0.9:
        return OK
    if share >= 0.75:
        return "#8fb8dc"
    if share >= 0.5:
        return SLOW
    return NEVER


def heatmap_chart(weekday_hours: Sequence[Sequence[Any]], first: str, last: str) -> str:
    """Weekday (rows) by local hour (columns): each cell's colour is the share of its
    customers acknowledged within the target, its number the customers."""
    title = f"When it slips: weekday by hour, {first} to {last}"
    busy_hours = sorted({h for row in weekday_hours for h, f in enumerate(row) if f.visits})
    if not busy_hours:
        return _empty(title, "No customers in these four weeks")
    lo, hi = busy_hours[0], busy_hours[-1]
    if hi - lo < 7:
        lo = max(0, min(lo, 24 - 8))
        hi = max(hi, lo + 7)
    hours = list(range(lo, hi + 1))
    row_h, top = 26, _TOP + 18
    frame = _Frame(0, 1, height=top + 7 * row_h + 34)
    slot = (frame.x1 - frame.x0) / len(hours)
    body = []
    names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    for d, row in enumerate(weekday_hours):
        y = top + d * row_h
        body.append(f'<text x="{frame.x0 - 6}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end" '
                    f'fill="{INK}">{names[d]}</text>')
        for i, h in enumerate(hours):
            f = row[h]
            x = frame.x0 + i * slot
            share = f.within_target_share if f.visits else None
            tip = (f"{names[d]} {h:02d}:00: {f.visits} customers, "
                   + ("no customers" if share is None else f"{100 * share:.0f} % within target"))
            body.append(f'<rect x="{x + 1:.1f}" y="{y + 1}" width="{slot - 2:.1f}" '
                        f'height="{row_h - 2}" fill="{_share_colour(share)}" rx="2">'
                        f'<title>{escape(tip)}</title></rect>')
            if f.visits:
                ink = "#fff" if share is not None and (share >= 0.9 or share < 0.75) else INK
                body.append(f'<text x="{x + slot / 2:.1f}" y="{y + row_h / 2 + 4:.1f}" '
                            f'text-anchor="middle" fill="{ink}" font-size="11">{f.visits}</text>')
    for i, h in enumerate(hours):
        body.append(f'<text x="{frame.x0 + (i + 0.5) * slot:.1f}" y="{top + 7 * row_h + 16}" '
                    f'text-anchor="middle" fill="{INK}" font-size="11">{h:02d}</text>')
    body.append(_legend([(OK, "rect", "90 % or more within target"),
                         ("#8fb8dc", "rect", "75 to 90 %"), (SLOW, "rect", "50 to 75 %"),
                         (NEVER, "rect", "under 50 %")], frame))
    return _svg(title, body, frame, "Each cell: the customers who arrived on that weekday in "
                "that hour over four weeks (the number), coloured by the share acknowledged "
                "within the target.")


CONTEXT_COLOURS: dict[str, str] = {
    "attentive": OK,
    "talking": SLOW,
    "serving_other": "#7e57c2",
    "looking_down": "#2a9d8f",
    "turned_away": MUTED,
    "absent": NEVER,
    "focus_work": "#d4b106",
}
"""One colour per staff-context word (docs/engine.md, "Staff context")."""


def context_chart(figures: ContextFigures) -> str:
    """What staff were doing when waits went beyond the target: one bar per local hour
    with late waits and one for the whole period, each split by context word (shares
    of that bar's late waits; the count above the bar)."""
    title = "What staff were doing when waits went beyond the target"
    if figures.late_waits == 0:
        return _empty(title, "No staff context recorded for the waits beyond the target"
                      if figures.unknown else "No wait went beyond the target")
    busy = [h for h, counts in enumerate(figures.hours) if sum(counts.values())]
    bars = [(f"{h:02d}", figures.hours[h]) for h in range(busy[0], busy[-1] + 1)]
    bars.append(("all", figures.total))
    frame = _Frame(0.0, 1.0, height=_H + 30)
    top_pad = 30  # two legend rows
    frame_y = _Frame(0.0, 1.0, height=_H + 30)
    body = []
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = _ctx_y(frame_y, v, top_pad)
        body.append(f'<line x1="{frame.x0}" x2="{frame.x1}" y1="{y:.1f}" y2="{y:.1f}" '
                    f'stroke="{GRID}" stroke-width="1"/>')
        body.append(f'<text x="{frame.x0 - 6}" y="{y + 4:.1f}" text-anchor="end" '
                    f'fill="{MUTED}">{round(100 * v)} %</text>')
    slot = (frame.x1 - frame.x0) / (len(bars) + 0.5)
    bar_w = slot * 0.62
    for i, (label, counts) in enumerate(bars):
        n = sum(counts.values())
        cx = frame.x0 + slot * (i + 0.5 + (0.5 if label == "all" else 0.0))
        body.append(f'<text x="{cx:.1f}" y="{frame.y0 + 16:.1f}" text-anchor="middle" '
                    f'fill="{INK}" font-weight="{600 if label == "all" else 400}">'
                    f'{escape(label)}</text>')
        if n == 0:
            continue
        acc = 0.0
        for word in WORDS:
            c = counts.get(word, 0)
            if not c:
                continue
            y_top = _ctx_y(frame_y, acc + c / n, top_pad)
            y_base = _ctx_y(frame_y, acc, top_pad)
            acc += c / n
            body.append(f'<rect x="{cx - bar_w / 2:.1f}" y="{y_top:.1f}" width="{bar_w:.1f}" '
                        f'height="{max(y_base - y_top, 0.5):.1f}" '
                        f'fill="{CONTEXT_COLOURS.get(word, MUTED)}">'
                        f'<title>{escape(label)}: {c} of {n} late waits while '
                        f'{escape(LABELS[word])}</title></rect>')
        body.append(f'<text x="{cx:.1f}" y="{_ctx_y(frame_y, 1.0, top_pad) - 5:.1f}" '
                    f'text-anchor="middle" fill="{INK}" font-size="11">{n}</text>')
    body.append(f'<text x="6" y="{frame.y0 + 16:.1f}" fill="{MUTED}" font-size="11">'
                f'hour</text>')
    body.append(_context_legend(frame))
    return _svg(title, body, frame, "Each bar splits the waits beyond the target that began "
                "in that local hour (the last bar: the whole period) by what the staff present "
                "were doing; the number above a bar is how many such waits there were.")


def _ctx_y(frame: _Frame, share: float, top_pad: float) -> float:
    top = frame.y1 + top_pad
    return frame.y0 - share * (frame.y0 - top)


def _context_legend(frame: _Frame) -> str:
    parts = []
    per_row = 4
    for i, word in enumerate(WORDS):
        row, col = divmod(i, per_row)
        x = frame.x0 + col * 165
        y = 6 + row * 18
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" rx="2" '
                     f'fill="{CONTEXT_COLOURS.get(word, MUTED)}"/>')
        parts.append(f'<text x="{x + 17}" y="{y + 10.5}" fill="{INK}" font-size="11">'
                     f'{escape(LABELS[word])}</text>')
    return "".join(parts)

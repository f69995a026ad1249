"""The managers' report as one self-contained HTML file.

Everything is inline (CSS, SVG charts); no scripts, fonts or images to fetch, so
it opens offline, mails as one attachment and prints on A4 with the print
stylesheet. Every number shown comes from :meth:`Report.to_dict` values.
"""

from __future__ import annotations

from datetime import date
from html import escape

from frontdesk import __version__
from frontdesk.report.charts import (
    NEVER,
    OK,
    SLOW,
    context_chart,
    format_against,
    format_seconds,
    heatmap_chart,
    histogram_chart,
    hour_chart,
    trend_chart,
)
from frontdesk.report.context import LABELS, WORDS, ContextFigures
from frontdesk.report.figures import Figures
from frontdesk.report.model import DayFigures, HourFigures, LongestWait, Report, WeekFigures

__all__ = ["report_html", "slowest_hour", "headline"]

_DOT = " \u00b7 "

_CSS = """
:root { --ink:#111827; --muted:#6b7280; --line:#e5e7eb; --ok:@OK@; --slow:@SLOW@;
        --never:@NEVER@; --card:#f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #fff; }
main { max-width: 980px; margin: 0 auto; padding: 28px 24px 40px; }
h1 { font-size: 26px; margin: 0 0 2px; }
h2 { font-size: 18px; margin: 30px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.headline { font-size: 17px; margin: 14px 0 18px; padding: 12px 16px; border-left: 4px solid
            var(--ok); background: var(--card); }
.headline p { margin: 4px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
        padding: 10px 12px; }
.card .v { font-size: 26px; font-weight: 650; line-height: 1.15; }
.card .k { font-size: 13px; font-weight: 600; }
.card .n { font-size: 12px; color: var(--muted); }
.card.warn .v { color: var(--slow); }
.card.bad .v { color: var(--never); }
.chart { width: 100%; height: auto; display: block; }
.note { color: var(--muted); font-size: 13px; margin: 4px 0 0; }
.reading { font-size: 16px; margin: 6px 0 8px; }
h3 { font-size: 15px; margin: 16px 0 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin-top: 6px; }
th, td { text-align: right; padding: 5px 8px; border-bottom: 1px solid var(--line);
         white-space: nowrap; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
th:first-child, td:first-child, td.l, th.l { text-align: left; }
tr.slow td { background: #fff4e6; }
td.beyond { color: var(--slow); font-weight: 600; }
.change.better { color: var(--ok); } .change.worse { color: var(--slow); }
.bar { display: inline-block; height: 9px; background: var(--ok); border-radius: 2px;
       vertical-align: middle; margin-right: 6px; }
.pill { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px;
        color: #fff; }
.pill.ok { background: var(--ok); } .pill.slow { background: var(--slow); }
.pill.never { background: var(--never); }
dl.defs { font-size: 13px; color: #374151; columns: 2; column-gap: 28px; }
dl.defs dt { font-weight: 600; break-after: avoid; }
dl.defs dd { margin: 0 0 8px; break-inside: avoid; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
@media (max-width: 640px) { dl.defs { columns: 1; } main { padding: 16px 12px; } }
@media print {
  @page { size: A4; margin: 12mm; }
  body { font-size: 10.5pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; margin-top: 16px; }
  section, .card, figure, tr { break-inside: avoid; }
  .cards { grid-template-columns: repeat(4, 1fr); }
  .card .v { font-size: 18pt; }
  figure { margin: 0; }
}
figure { margin: 0; }
""".replace("@OK@", OK).replace("@SLOW@", SLOW).replace("@NEVER@", NEVER)


def _pct(share: float | None, digits: int = 1) -> str:
    return "\u2013" if share is None else f"{100 * share:.{digits}f} %"


def _day_text(d: date) -> str:
    return f"{d.strftime('%A')} {d.day} {d.strftime('%B %Y')}"


def _range_text(r: Report) -> str:
    if r.single_day:
        return _day_text(r.first_day)
    return f"{r.first_day.day} {r.first_day.strftime('%B %Y')} \u2013 " \
           f"{r.last_day.day} {r.last_day.strftime('%B %Y')}"


def slowest_hour(hours: list[HourFigures], min_visits: int = 3) -> HourFigures | None:
    """The hour with the lowest share acknowledged within the target (then the highest
    p90) among hours with at least ``min_visits`` customers: a reading aid, not a figure."""
    cands = [h for h in hours if h.figures.visits >= min_visits]
    if not cands:
        return None
    return min(cands, key=lambda h: (h.figures.within_target_share or 0.0,
                                     -(h.figures.latency_p90_s or float("inf")), h.hour))


def headline(r: Report) -> list[str]:
    """Two to four plain sentences a manager reads first."""
    f = r.summary
    target = format_seconds(r.ack_target_s)
    if f.visits == 0:
        lines = ["No customers arrived at the counter in this period."]
        if f.passed_by:
            lines.append(f"{f.passed_by} people passed by without stopping.")
        if r.data_span is not None:
            first, last = r.data_span
            have = str(first) if first == last else f"from {first} to {last}"
            lines.append(f"The visit history has customers {have}.")
        return lines
    who = "customer" if f.visits == 1 else "customers"
    of_all = "" if f.visits == 1 else " of all customers"
    lines = [f"{f.visits} {who} came to the counter. "
             f"{_pct(f.within_target_share, 0)}{of_all} were acknowledged within {target} "
             f"(the target)"
             + (f"; of the {f.acknowledged} acknowledged, half waited "
                f"{format_seconds(f.latency_p50_s)} or less." if f.latency_p50_s is not None
                else ".")]
    slow = slowest_hour(r.hours)
    if slow is not None and _slipped(slow, r):
        s = slow.figures
        text = (f"It slipped most at {slow.hour:02d}:00\u2013{(slow.hour + 1) % 24:02d}:00: "
                f"{_pct(s.within_target_share, 0)} of its {s.visits} customers were acknowledged "
                f"within {target}")
        if s.left_unacknowledged:
            text += f", and {s.left_unacknowledged} left unacknowledged"
        lines.append(text + ".")
    tail = []
    if f.left_unacknowledged:
        tail.append(f"{f.left_unacknowledged} left without being acknowledged")
    else:
        tail.append("nobody left unacknowledged")
    if f.unattended_min > 0:
        tail.append(f"customers waited with no staff in sight for "
                    f"{format_seconds(f.unattended_min * 60)} in all")
    lines.append(tail[0][0].upper() + tail[0][1:] + ("; " + tail[1] if len(tail) > 1 else "")
                 + ".")
    return lines


SLIP_POINTS = 0.05
"""An hour "slipped" when its share within the target is at least 5 points below the
whole period's."""


def _day_label(d: DayFigures, fmt: str) -> str:
    """The day, with its length when daylight saving made it 23 or 25 hours."""
    return d.day.strftime(fmt) + (f" ({d.hours:g} h)" if d.hours != 24 else "")


def _slipped(hour: HourFigures, r: Report) -> bool:
    share, overall = hour.figures.within_target_share, r.summary.within_target_share
    return share is not None and overall is not None and share <= overall - SLIP_POINTS


def _card(value: str, key: str, note: str, cls: str = "") -> str:
    return (f'<div class="card {cls}"><div class="v">{escape(value)}</div>'
            f'<div class="k">{escape(key)}</div><div class="n">{escape(note)}</div></div>')


def _cards(r: Report) -> str:
    f = r.summary
    target = format_seconds(r.ack_target_s)
    share_cls = ""
    if f.within_target_share is not None and f.within_target_share < 0.75:
        share_cls = "warn"
    cards = [
        _card(str(f.visits), "Customers", f"arrived at the counter; {f.passed_by} passed by"),
        _card(_pct(f.within_target_share), f"Acknowledged within {target}",
              f"{f.within_target} of {f.visits} customers", share_cls),
        _card(format_against(f.latency_p50_s, r.ack_target_s), "Median wait (p50)",
              f"half of the {f.acknowledged} acknowledged waited this or less",
              "warn" if (f.latency_p50_s or 0) > r.ack_target_s else ""),
        _card(format_against(f.latency_p90_s, r.ack_target_s), "p90 wait",
              f"9 in 10 of the {f.acknowledged} acknowledged waited this or less",
              "warn" if (f.latency_p90_s or 0) > r.ack_target_s else ""),
        _card(format_against(f.latency_max_s, r.ack_target_s),
              "Longest wait to acknowledgement", f"of {f.acknowledged} acknowledged"),
        _card(_pct(f.before_arrival_share), "Greeted before arriving",
              f"{f.before_arrival} acknowledged while approaching"),
        _card(str(f.left_unacknowledged), "Left unacknowledged",
              "walked away never acknowledged", "bad" if f.left_unacknowledged else ""),
        _card(f"{f.alerts} / {f.escalations}", "Alerts / escalations",
              "waiting alerts and escalations fired"),
        _card(format_seconds(f.unattended_min * 60) if f.unattended_min else "0",
              "Unattended time", "a customer waited, no staff visible",
              "warn" if f.unattended_min else ""),
    ]
    return '<div class="cards">' + "".join(cards) + "</div>"


def _figure_row(label: str, f: Figures, cls: str = "", first_cell_l: bool = True,
                target_s: float | None = None) -> str:
    share = f.within_target_share
    bar = (f'<span class="bar" style="width:{round(48 * share)}px"></span>'
           if share is not None else "")

    def wait(v: float | None) -> str:
        text = format_seconds(v) if target_s is None else format_against(v, target_s)
        beyond = target_s is not None and v is not None and v > target_s
        return f'<td class="beyond">{text}</td>' if beyond else f"<td>{text}</td>"

    return (f'<tr class="{cls}"><td class="l">{escape(label)}</td><td>{f.visits}</td>'
            f"<td>{bar}{_pct(share)}</td>{wait(f.latency_p50_s)}"
            f"{wait(f.latency_p90_s)}{wait(f.latency_max_s)}"
            f"<td>{_pct(f.before_arrival_share)}</td><td>{f.left_unacknowledged}</td>"
            f"<td>{f.alerts} / {f.escalations}</td><td>{f.unattended_min:.1f}</td></tr>")


def _figure_table(first: str, rows: list[str], target: str) -> str:
    return ("<table><thead><tr>"
            f'<th class="l">{escape(first)}</th><th>Customers</th><th>Within {escape(target)}</th>'
            "<th>p50</th><th>p90</th><th>Longest</th><th>Before arrival</th>"
            "<th>Left unack.</th><th>Alerts / esc.</th><th>Unattended min</th>"
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def _outcome_pill(w: LongestWait, target_s: float) -> str:
    if w.acknowledged:
        cls = "ok" if w.wait_s <= target_s else "slow"
        return f'<span class="pill {cls}">acknowledged</span>'
    if w.outcome == "abandoned":
        return '<span class="pill never">left unacknowledged</span>'
    if w.outcome == "interrupted":
        return '<span class="pill never">unacknowledged when frontdesk stopped</span>'
    return '<span class="pill never">still unacknowledged</span>'


def _waits_table(r: Report) -> str:
    if not r.longest_waits:
        return '<p class="note">No waits to list.</p>'
    fmt = "%H:%M:%S" if r.single_day else "%a %d %b %H:%M:%S"
    rows = []
    for w in r.longest_waits:
        name = r.counter_name(w.counter_id)
        where = name if len(r.sites) <= 1 else f"{w.site_id} / {name}"
        rows.append(f'<tr><td class="l">{w.rank}</td><td class="l">'
                    f"{escape(w.arrival_local.strftime(fmt))}</td>"
                    f'<td class="l">{escape(where)}</td>'
                    f"<td>{format_against(w.wait_s, r.ack_target_s)}</td>"
                    f'<td class="l">{_outcome_pill(w, r.ack_target_s)}</td></tr>')
    return ('<table><thead><tr><th class="l">#</th><th class="l">Arrived</th>'
            '<th class="l">Counter</th><th>Wait</th><th class="l">Outcome</th></tr></thead>'
            "<tbody>" + "".join(rows) + "</tbody></table>")


_DEFINITIONS = [
    ("Customer (visit)", "someone who came to the counter (entered the service zone, or "
     "stood still in the approach zone). Counted on the local day and hour of arrival. "
     "People seen who never arrived are counted as passed by."),
    ("Wait", "time from arrival to the first acknowledgement (eye contact held "
     "for the dwell, or a staff button), on the camera's clock. Negative when staff "
     "acknowledged the customer while they were still approaching."),
    ("p50, p90", "nearest-rank percentiles of the waits of acknowledged customers: the "
     "k-th shortest of n waits, k = ceil(p \u00d7 n / 100). Half of the acknowledged "
     "customers waited p50 or less, nine in ten p90 or less. Customers never acknowledged "
     "are not in these figures; they count against the share within the target."),
    ("Within target", "acknowledged with a wait at or below the target (target {target}). "
     "The share is of all customers: one who left or is still waiting counts as missed."),
    ("Greeted before arriving", "share of all customers acknowledged with a negative wait."),
    ("Left unacknowledged", "customers who arrived and left without ever being "
     "acknowledged."),
    ("Alerts / escalations", "'customer waiting' alerts and escalations fired."),
    ("Unattended time", "from a 'counter unattended' event (a customer waiting, no staff "
     "visible) to 'counter attended', cut at day and hour boundaries."),
    ("Longest waits", "the wait of an acknowledged customer, or for one never "
     "acknowledged how long they waited before leaving (or until frontdesk stopped)."),
    ("Days and hours", "local time in {tz}; a daylight-saving day has 23 or 25 hours."),
]


def _change(now: float | None, before: float | None, better_if_lower: bool,
            fmt: str) -> str:
    if now is None or before is None:
        return "<td>\u2013</td>"
    delta = now - before
    if abs(delta) < 1e-9:
        return "<td>no change</td>"
    better = (delta < 0) == better_if_lower
    if fmt == "points":
        text = f"{100 * delta:+.0f} points"
    elif fmt == "seconds":
        text = format_seconds(delta, signed=True)
    else:
        text = f"{delta:+.0f}"
    cls = "better" if better else "worse"
    text = text.replace("-", "\u2212")
    return f'<td class="change {cls}">{escape(text)}</td>'


def _weeks_section(r: Report) -> list[str]:
    """This week against the week before: customers, share within target, waits."""
    if len(r.weeks) != 2:
        return []
    before, now = r.weeks

    def label(w: WeekFigures) -> str:
        return f"{w.first_day.strftime('%a %d %b')} \u2013 {w.last_day.strftime('%a %d %b')}"

    b, n = before.figures, now.figures
    more = n.visits - b.visits  # more customers is neither better nor worse
    rows = [("Customers", str(b.visits), str(n.visits),
             f"<td>{more:+d}</td>".replace("-", "\u2212") if more else "<td>no change</td>"),
            (f"Acknowledged within {format_seconds(r.ack_target_s)}",
             _pct(b.within_target_share), _pct(n.within_target_share),
             _change(n.within_target_share, b.within_target_share, False, "points")),
            ("Median wait (p50)", format_against(b.latency_p50_s, r.ack_target_s),
             format_against(n.latency_p50_s, r.ack_target_s),
             _change(n.latency_p50_s, b.latency_p50_s, True, "seconds")),
            ("p90 wait", format_against(b.latency_p90_s, r.ack_target_s),
             format_against(n.latency_p90_s, r.ack_target_s),
             _change(n.latency_p90_s, b.latency_p90_s, True, "seconds")),
            ("Left unacknowledged", str(b.left_unacknowledged), str(n.left_unacknowledged),
             _change(n.left_unacknowledged, b.left_unacknowledged, True, "count"))]
    body = "".join(f'<tr><td class="l">{escape(k)}</td><td>{escape(x)}</td><td>{escape(y)}</td>'
                   f"{c}</tr>" for k, x, y, c in rows)
    return ["<section><h2>Week over week</h2>",
            f'<table class="weeks"><thead><tr><th class="l"></th><th>{escape(label(before))}</th>'
            f"<th>{escape(label(now))}</th><th>Change</th></tr></thead><tbody>{body}"
            "</tbody></table>", "</section>"]


def _context_section(c: ContextFigures, r: Report) -> list[str]:
    """What staff were doing when waits went beyond the target: the sentence, the chart
    and, with several counters, the counters side by side on the same words."""
    out = ["<section><h2>Why waits went beyond the target: what staff were doing</h2>",
           f'<p class="reading">{escape(c.sentence)}</p>',
           f"<figure>{context_chart(c)}</figure>",
           '<p class="note">For each wait beyond the target, what the staff present did for '
           "most of it, from arrival to acknowledgement: looking down (till, paperwork, a "
           "screen), talking with a colleague, serving another customer, turned away, nobody "
           "at the counter, or looking her way without meeting her eyes. Focus work (a zone "
           "marked for safety-critical work) is the one good reason and is shown apart. "
           "Counted for the team at the counter, never per member of staff.</p>"]
    if c.focus_waits:
        out.append(f'<p class="note">{c.focus_waits} of the {c.late_waits} waits beyond the '
                   "target came while every member of staff present was in focus work.</p>")
    if len(r.counters) > 1 and c.counters:
        multi_site = len(r.sites) > 1
        head = "".join(f"<th>{escape(LABELS[w])}</th>" for w in WORDS)
        rows = []
        for (site_id, counter_id), counts in c.counters:
            n = sum(counts.values())
            name = (f"{site_id} / {r.counter_name(counter_id)}" if multi_site
                    else r.counter_name(counter_id))
            cells = "".join(f"<td>{_pct(counts[w] / n, 0) if n else '-'}</td>" for w in WORDS)
            rows.append(f'<tr><td class="l">{escape(name)}</td><td>{n}</td>{cells}</tr>')
        out += ["<h3>Counters compared on the same words</h3>",
                f'<table><thead><tr><th class="l">Counter</th><th>late waits</th>{head}'
                f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"]
    out.append("</section>")
    return out


def report_html(r: Report) -> str:
    target = format_seconds(r.ack_target_s)
    scope = []
    if r.site:
        scope.append(f"site {r.site}")
    elif r.sites:
        scope.append(("site " if len(r.sites) == 1 else "sites ") + ", ".join(r.sites))
    if r.counter:
        scope.append(r.counter_name(r.counter))
    elif len(r.counters) == 1:
        scope.append(r.counter_name(r.counters[0].counter_id))
    else:
        scope.append("all counters")
    scope.append(f"times in {r.time_zone}")
    scope.append(f"target {target}")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Acknowledgement report, {escape(_range_text(r))}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        "<header>",
        "<h1>How quickly customers were acknowledged</h1>",
        f'<p class="sub"><strong>{escape(_range_text(r))}</strong> {_DOT} '
        f'{escape(_DOT.join(scope))}</p>',
        "</header>",
        '<section class="headline">' + "".join(f"<p>{escape(s)}</p>" for s in headline(r))
        + "</section>",
        _cards(r),
        "<section><h2>When it slips: hour by hour</h2>",
        f"<figure>{hour_chart(r.hours, r.ack_target_s)}</figure>",
        '<p class="note">Bars: 9 in 10 customers arriving in that hour were acknowledged '
        "within this time (p90); dots: the median; numbers under the hours: customers.</p>",
    ]
    busy = [h for h in r.hours if h.figures.visits or h.figures.passed_by
            or h.figures.unattended_min]
    slow = slowest_hour(r.hours)
    if busy:
        rows = [_figure_row(f"{h.hour:02d}:00\u2013{h.hour:02d}:59", h.figures,
                            "slow" if (slow is not None and h.hour == slow.hour
                                       and _slipped(h, r)) else "",
                            target_s=r.ack_target_s) for h in busy]
        parts.append(_figure_table("Hour", rows, target))
    parts.append("</section>")
    if r.context is not None:
        parts += _context_section(r.context, r)
    parts += [
        "<section><h2>How long customers waited</h2>",
        f"<figure>{histogram_chart(r.histogram, r.ack_target_s)}</figure>",
        '<p class="note">Bands include their upper edge: "5\u201310 s" is more than 5 s '
        "and at most 10 s; \"0\u20135 s\" includes 0.</p>",
        "</section>",
        "<section><h2>Ten longest waits</h2>",
        _waits_table(r),
        "</section>",
        "<section><h2>Last 7 days</h2>",
        f"<figure>{trend_chart(r.trend, {d.day.isoformat() for d in r.days})}</figure>",
        _figure_table("Day", [_figure_row(_day_label(d, "%a %d %b"), d.figures,
                                          target_s=r.ack_target_s) for d in r.trend], target),
        "</section>",
    ]
    parts += _weeks_section(r)
    if r.weekday_hours:
        heat_first = r.last_day.toordinal() - 27
        parts += ["<section><h2>Weekday by hour, last four weeks</h2>",
                  "<figure>" + heatmap_chart(r.weekday_hours,
                                             date.fromordinal(heat_first).isoformat(),
                                             r.last_day.isoformat()) + "</figure>",
                  '<p class="note">The number in a cell: customers who arrived on that weekday '
                  "in that hour over the four weeks ending on the report's last day.</p>",
                  "</section>"]
    if len(r.days) > len(r.trend):  # shorter ranges are all in the 7-day table above
        rows = [_figure_row(_day_label(d, "%a %d %b %Y"), d.figures, target_s=r.ack_target_s)
                for d in r.days]
        parts += ["<section><h2>Day by day</h2>", _figure_table("Day", rows, target),
                  "</section>"]
    if len(r.counters) > 1:
        multi_site = len(r.sites) > 1
        ranked = sorted(r.counters, key=lambda c: (-(c.figures.within_target_share or -1),
                                                   c.site_id, c.counter_id))
        rows = [_figure_row(f"{c.site_id} / {r.counter_name(c.counter_id)}" if multi_site
                            else r.counter_name(c.counter_id), c.figures,
                            target_s=r.ack_target_s) for c in ranked]
        parts += ["<section><h2>Counters compared</h2>",
                  '<p class="note">Best share within the target first.</p>',
                  _figure_table("Counter", rows, target), "</section>"]
    defs = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v.format(target=target, tz=r.time_zone))}"
                   f"</dd>" for k, v in _DEFINITIONS)
    parts += [
        "<section><h2>What the numbers mean</h2>",
        f'<dl class="defs">{defs}</dl>',
        "</section>",
        f"<footer>frontdesk {escape(__version__)} \u00b7 generated "
        f"{escape(r.to_dict()['generated_at'])} \u00b7 no images or face data are stored; "
        "only timings, anonymous track ids and what the staff did as a team. Numbers also "
        "available as CSV and JSON "
        "(<code>frontdesk report --format csv|json</code>).</footer>",
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"

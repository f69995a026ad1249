"""Managers' acknowledgement-latency reports: figures, charts, HTML, CSV and JSON.

``build_report(store, first_day, last_day, tz)`` computes a :class:`Report`;
``render(report, fmt)`` turns it into text; ``write_report(config, ...)`` does both
and writes a file. Definitions of every figure: docs/reports.md.
"""

from frontdesk.report.figures import Figures, nearest_rank
from frontdesk.report.model import (
    CounterFigures,
    DayFigures,
    HistogramBin,
    HourFigures,
    LongestWait,
    Report,
    build_report,
)
from frontdesk.report.writer import FORMATS, make_report, render, resolve_days, write_report

__all__ = ["Report", "Figures", "DayFigures", "HourFigures", "CounterFigures", "HistogramBin",
           "LongestWait", "build_report", "make_report", "render", "write_report", "resolve_days",
           "nearest_rank", "FORMATS"]

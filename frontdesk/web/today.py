"""Today's figures for the dashboard, and the daily reports it links to.

Figures come from the visit store when it can be read (the same numbers as
``frontdesk report`` for today); otherwise from the events this process has
seen since it started today (:class:`~frontdesk.web.hub.LiveCounts`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from frontdesk.config import Config
from frontdesk.web.hub import LiveHub

__all__ = ["TodayFigures", "reports_dir", "list_reports", "report_path", "REPORT_NAME"]

log = logging.getLogger(__name__)

REPORT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,150}\.(html|csv|json)$")
CACHE_S = 30.0
"""Figures are recomputed after this long, or as soon as the hub has seen a new event."""


def reports_dir(config: Config) -> Path:
    """``web.reports_dir``, else ``<data dir>/reports``."""
    if config.web.reports_dir:
        return Path(config.web.reports_dir)
    return Path(os.environ.get("FRONTDESK_DATA_DIR") or "data") / "reports"


def list_reports(folder: Path, limit: int = 100) -> list[dict[str, Any]]:
    """Report files in ``folder``, newest name first (names start with the date)."""
    try:
        names = [p for p in folder.iterdir() if p.is_file() and REPORT_NAME.match(p.name)]
    except OSError:
        return []
    names.sort(key=lambda p: p.name, reverse=True)
    return [{"name": p.name, "bytes": p.stat().st_size} for p in names[:limit]]


def report_path(folder: Path, name: str) -> Path | None:
    """The file ``name`` inside ``folder``, or None when the name is not a plain report name."""
    if not REPORT_NAME.match(name) or ".." in name:
        return None
    base = folder.resolve()
    path = (base / name).resolve()
    if path.parent != base or not path.is_file():
        return None
    return path


class TodayFigures:
    """Today's figures per counter, cached for ``CACHE_S`` seconds."""

    def __init__(self, hub: LiveHub) -> None:
        self.hub = hub
        self._lock = threading.Lock()
        self._cached: tuple[float, int, dict[str, Any]] | None = None

    def get(self) -> dict[str, Any]:
        with self._lock:
            now = time.monotonic()
            seen = self.hub.events_seen
            if (self._cached is not None and now - self._cached[0] < CACHE_S
                    and self._cached[1] == seen):
                return self._cached[2]
            value = self._compute()
            value["names"] = {c.id: c.name or c.id for c in self.hub.config.counters}
            self._cached = (now, seen, value)
            return value

    def _compute(self) -> dict[str, Any]:
        config = self.hub.config
        ids = [c.id for c in config.counters]
        try:
            return self._from_store(config, ids)
        except Exception as exc:  # no store yet, or not readable: fall back to live counts
            log.debug("today's figures from live counts: %s", exc)
        live = self.hub.counts.to_json(ids)
        return {"source": "live", "note": "since frontdesk started today (no visit store read)",
                **live}

    def _from_store(self, config: Config, ids: list[str]) -> dict[str, Any]:
        from frontdesk.report.localtime import resolve_time_zone
        from frontdesk.report.writer import make_report
        from frontdesk.store import is_postgres_url

        path = config.store.path
        if not is_postgres_url(path) and not Path(path).is_file():
            raise FileNotFoundError(path)
        tz = resolve_time_zone(config.timezone)
        today = datetime.now(tz).date()
        report = make_report(path, ack_target_s=config.engine.ack_target_s, tz=tz, day=today,
                             site=config.site_id if is_postgres_url(path) else None)
        counters = {cf.counter_id: _figures(cf.figures) for cf in report.counters
                    if cf.counter_id in ids}
        return {"source": "store", "day": today.isoformat(), "summary": _figures(report.summary),
                "counters": counters, "ack_target_s": config.engine.ack_target_s}


def _figures(f: Any) -> dict[str, Any]:
    d = asdict(f)
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in d.items()}

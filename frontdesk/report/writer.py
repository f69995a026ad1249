"""From a config and a database to a report file: day selection, formats, atomic writes."""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from frontdesk.errors import FrontdeskError
from frontdesk.report.export import report_csv, report_json
from frontdesk.report.html import report_html
from frontdesk.report.localtime import resolve_time_zone
from frontdesk.report.model import Report, build_report, local_date_range
from frontdesk.store import VisitStore

if TYPE_CHECKING:
    from frontdesk.config import Config

__all__ = ["FORMATS", "render", "resolve_days", "make_report", "write_report", "default_filename",
           "write_text_atomically", "settings_from_config", "counter_names", "empty_hint",
           "check_output_folder", "EXIT_NO_CUSTOMERS"]

EXIT_NO_CUSTOMERS = 3
"""``frontdesk report``'s exit status when the report was written but has no customers."""

log = logging.getLogger(__name__)

FORMATS = ("html", "csv", "json")
_EXT = {"html": "html", "csv": "csv", "json": "json"}


def render(report: Report, fmt: str) -> str:
    """The report as text in ``fmt`` (html, csv or json)."""
    if fmt == "html":
        return report_html(report)
    if fmt == "csv":
        return report_csv(report)
    if fmt == "json":
        return report_json(report)
    raise FrontdeskError(f"unknown report format {fmt!r} (use html, csv or json)")


def parse_day(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FrontdeskError(f"{what} {text!r} is not a date in the form YYYY-MM-DD") from None


def resolve_days(tz: ZoneInfo, *, day: date | None = None, from_day: date | None = None,
                 to_day: date | None = None, now: float | None = None) -> tuple[date, date]:
    """The local days to report: one day, a range, or by default yesterday in ``tz``."""
    if day is not None and (from_day is not None or to_day is not None):
        raise FrontdeskError("give either --date or --from/--to, not both")
    if day is not None:
        return day, day
    if from_day is not None or to_day is not None:
        if from_day is None or to_day is None:
            raise FrontdeskError("--from and --to go together (a range needs both ends)")
        if to_day < from_day:
            raise FrontdeskError(f"--to {to_day} is before --from {from_day}")
        return from_day, to_day
    today = datetime.fromtimestamp(time.time() if now is None else now, tz).date()
    yesterday = today - timedelta(days=1)
    return yesterday, yesterday


def counter_names(config: Config | None) -> dict[str, str]:
    """Counter id -> name for every counter of the config (every camera's)."""
    if config is None:
        return {}
    configs = [config.for_camera(cid) for cid in config.camera_ids] or [config]
    return {c.id: c.name for cfg in configs for c in cfg.counters if c.name}


def empty_hint(report: Report) -> str | None:
    """For a period without customers: which days have some, and how to ask for them."""
    if report.summary.visits:
        return None
    days = (str(report.first_day) if report.single_day
            else f"{report.first_day} to {report.last_day}")
    if report.data_span is None:
        return f"no customers on {days}: the store has no visits at all yet"
    first, last = report.data_span
    have = str(first) if first == last else f"from {first} to {last}"
    return (f"no customers on {days}: the store has visits {have} "
            f"(try --date {last}, or --all-days)")


def settings_from_config(config: Config | None) -> dict[str, Any]:
    """Store path, target and time zone from a config (defaults without one)."""
    from frontdesk.config import EngineConfig, StoreConfig

    if config is None:
        return {"db": StoreConfig.model_validate({}).path,
                "ack_target_s": EngineConfig.model_validate({}).ack_target_s, "time_zone": None}
    return {"db": config.store.path, "ack_target_s": config.engine.ack_target_s,
            "time_zone": config.timezone}


def make_report(db: str, *, ack_target_s: float, tz: ZoneInfo, day: date | None = None,
                from_day: date | None = None, to_day: date | None = None,
                all_days: bool = False, site: str | None = None, counter: str | None = None,
                now: float | None = None, names: dict[str, str] | None = None) -> Report:
    """Open the store read-side (never creating it) and build the report.

    ``names``: counter id -> name, shown instead of the id. A period without
    customers gets ``data_span``, the days that have visits (None: none at all).
    """
    if all_days and (day or from_day or to_day):
        raise FrontdeskError("--all-days takes no --date, --from or --to")
    with VisitStore.open(db, create=False) as store:
        if all_days:
            span = local_date_range(store, tz, site, counter)
            if span is None:
                first, last = resolve_days(tz, now=now)
            else:
                first, last = span
        else:
            first, last = resolve_days(tz, day=day, from_day=from_day, to_day=to_day, now=now)
        report = build_report(store, first, last, tz, ack_target_s=ack_target_s, site=site,
                              counter=counter, now=now)
        if report.summary.visits == 0:
            span = local_date_range(store, tz, site, counter)
            report = dataclasses.replace(report, data_span=span)
    if names:
        report = dataclasses.replace(report, names=dict(names))
    if counter and not report.counters:
        log.warning("no visits for counter %r in %s..%s", counter, first, last)
    return report


def default_filename(report: Report, fmt: str) -> str:
    days = report.first_day.isoformat()
    if not report.single_day:
        days += f"_{report.last_day.isoformat()}"
    scope = "".join(f"-{x}" for x in (report.site, report.counter) if x)
    return f"frontdesk-report-{days}{scope}.{_EXT[fmt]}"


def write_text_atomically(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a report."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise FrontdeskError(f"cannot write the report to {path}: {exc.strerror or exc}") from None


def output_path(out: str | os.PathLike[str] | None, report: Report, fmt: str) -> Path:
    """``out`` as given; a folder (existing, or ending in /) gets the default file name."""
    if out is None:
        return Path(default_filename(report, fmt))
    text = os.fspath(out)
    p = Path(text)
    if text.endswith(("/", os.sep)) or p.is_dir():
        return p / default_filename(report, fmt)
    return p


def check_output_folder(path: Path) -> None:
    """Refuse to write into a folder that does not exist (no folders made silently)."""
    folder = path.parent
    if folder.is_dir():
        return
    if folder.exists():
        raise FrontdeskError(f"cannot write the report to {path}: {folder} is not a folder")
    raise FrontdeskError(f"cannot write the report to {path}: the folder {folder} does not "
                         f"exist (create it first)")


def write_report(config: Config | None, db_path: str | None = None,
                 out: str | os.PathLike[str] | None = None, fmt: str = "html", *,
                 day: date | None = None, from_day: date | None = None,
                 to_day: date | None = None, all_days: bool = False, site: str | None = None,
                 counter: str | None = None, tz: str | None = None,
                 now: float | None = None) -> Path:
    """Build a report and write it to a file; return the file's path.

    ``db_path`` defaults to the config's store; ``tz`` to the config's time zone,
    then the system's; the days to yesterday (``all_days``: every day with visits).
    """
    if fmt not in FORMATS:
        raise FrontdeskError(f"unknown report format {fmt!r} (use html, csv or json)")
    settings = settings_from_config(config)
    zone = resolve_time_zone(tz or settings["time_zone"])
    report = make_report(db_path or settings["db"], ack_target_s=settings["ack_target_s"], tz=zone,
                         day=day, from_day=from_day, to_day=to_day, all_days=all_days, site=site,
                         counter=counter, now=now, names=counter_names(config))
    path = output_path(out, report, fmt)
    write_text_atomically(path, render(report, fmt))
    log.info("report for %s..%s written to %s", report.first_day, report.last_day, path)
    return path

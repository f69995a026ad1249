"""`frontdesk report`: the managers' acknowledgement-latency report (HTML, CSV or JSON).

Default: yesterday, in the configured (else the system's) time zone, as HTML.
``--db postgresql://...`` reports on a whole chain's collected events.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="write the acknowledgement-latency report for a day or a range",
        description="Acknowledgement latency, walk-aways and unattended time for local days. "
        "Without --date or --from/--to: yesterday. Definitions: docs/reports.md.")
    p.add_argument("--db", metavar="PATH|URL",
                   help="SQLite file or postgresql:// URL (default: store.path of the config)")
    when = p.add_argument_group("days (local, in the report's time zone)")
    when.add_argument("--date", metavar="YYYY-MM-DD", help="one day")
    when.add_argument("--from", dest="from_day", metavar="YYYY-MM-DD", help="first day of a range")
    when.add_argument("--to", dest="to_day", metavar="YYYY-MM-DD", help="last day of a range")
    when.add_argument("--all-days", action="store_true", help="every day that has visits")
    p.epilog = ("Exit status: 0 written; 2 a bad argument or store; 3 written, but no customers "
                "in the period (the message names the days that have some).")
    p.add_argument("--counter", metavar="ID", help="only this counter")
    p.add_argument("--site", metavar="ID", help="only this site (chain databases)")
    p.add_argument("--format", choices=("html", "csv", "json"), default="html",
                   help="output format (default html)")
    p.add_argument("--out", metavar="FILE",
                   help="output file, or a folder for the default name; '-' for standard output "
                   "(default: frontdesk-report-DATE.html here; csv and json go to standard output)")
    p.add_argument("--config", "-c", metavar="FILE",
                   help="config for store.path, engine.ack_target_s and timezone")
    p.add_argument("--tz", metavar="ZONE", help="IANA time zone, e.g. Europe/London "
                   "(default: the config's timezone, else the system's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from frontdesk.config import load_config
    from frontdesk.report.localtime import resolve_time_zone
    from frontdesk.report.writer import (
        EXIT_NO_CUSTOMERS,
        check_output_folder,
        counter_names,
        empty_hint,
        make_report,
        output_path,
        parse_day,
        render,
        settings_from_config,
        write_text_atomically,
    )

    config = load_config(args.config) if args.config else None
    settings = settings_from_config(config)
    tz = resolve_time_zone(args.tz or settings["time_zone"])
    report = make_report(
        args.db or settings["db"],
        ack_target_s=settings["ack_target_s"],
        tz=tz,
        day=parse_day(args.date, "--date") if args.date else None,
        from_day=parse_day(args.from_day, "--from") if args.from_day else None,
        to_day=parse_day(args.to_day, "--to") if args.to_day else None,
        all_days=args.all_days,
        site=args.site,
        counter=args.counter,
        names=counter_names(config),
    )
    text = render(report, args.format)
    hint = empty_hint(report)
    to_stdout = args.out == "-" or (args.out is None and args.format != "html")
    if to_stdout:
        sys.stdout.write(text)
        sys.stdout.flush()
        if hint:
            print(f"frontdesk report: {hint}", file=sys.stderr)
            return EXIT_NO_CUSTOMERS
        return 0
    path = output_path(args.out, report, args.format)
    out_text = args.out or ""
    if out_text.endswith(("/", os.sep)) and not path.parent.exists() \
            and path.parent.parent.is_dir():
        path.parent.mkdir()  # "--out reports/": that folder, one level, as the timer asks
    check_output_folder(path)
    write_text_atomically(path, text)
    f = report.summary
    print(f"{path}: {f.visits} customers, "
          f"{'-' if f.within_target_share is None else f'{100 * f.within_target_share:.1f} %'} "
          f"within {report.ack_target_s:g} s ({report.first_day}"
          f"{'' if report.single_day else f' to {report.last_day}'}, {report.time_zone})")
    if hint:
        print(f"frontdesk report: {hint}", file=sys.stderr)
        return EXIT_NO_CUSTOMERS
    return 0

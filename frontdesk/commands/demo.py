"""`frontdesk demo`: the whole pipeline on the demo footage, events printed live,
then a report of the run. What `make demo` runs."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "frontdesk.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole pipeline on the demo footage and write a report")
    p.add_argument("--config", "-c", default=None,
                   help="config file (default: config/frontdesk.yaml of this checkout)")
    p.add_argument("--out", default=None, help="folder for the demo's store, outbox and report "
                   "(default: $FRONTDESK_DATA_DIR/demo-run or data/demo-run)")
    p.add_argument("--mqtt", metavar="URL", help="also publish to this broker")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from frontdesk.config import default_config_dict, load_config, parse_config
    from frontdesk.engine.events import Event
    from frontdesk.runner import Runner, format_event

    if args.config:
        config = load_config(args.config)
    elif REPO_CONFIG.exists():
        config = load_config(REPO_CONFIG)
    else:
        import yaml

        config = parse_config(yaml.safe_dump(default_config_dict()))
    out = Path(args.out or Path(os.environ.get("FRONTDESK_DATA_DIR", "data")) / "demo-run")
    out.mkdir(parents=True, exist_ok=True)
    db = out / "frontdesk.db"
    for stale in (db, out / "outbox.db"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{stale}{suffix}").unlink(missing_ok=True)
    config = config.model_copy(
        update={
            "camera": config.camera.model_copy(update={"source": "demo://counter"}),
            "store": config.store.model_copy(update={"path": str(db)}),
            "mqtt": config.mqtt.model_copy(
                update={"outbox_path": str(out / "outbox.db"), "url": args.mqtt or None}
            ),
        }
    )

    def show(e: Event) -> None:
        print(f"[{e.t:7.2f}s] {format_event(e)}", flush=True)

    print("frontdesk demo: processing the demo footage (events appear as they happen)", flush=True)
    runner = Runner(config, on_event=show, use_mqtt=bool(args.mqtt))
    runner.install_signal_handlers()
    summary = runner.run()
    print(f"frontdesk demo: {summary.frames} frames in {summary.wall_seconds:.1f} s "
          f"({summary.fps:.1f} fps)", flush=True)
    report_path = write_demo_report(config, db, out)
    print(f"frontdesk demo: report written to {report_path}", flush=True)
    return 0


def write_demo_report(config, db: Path, out: Path) -> Path:  # type: ignore[no-untyped-def]
    """The report of the demo run's visits (all days in the store)."""
    from frontdesk.report import write_report

    return write_report(config, db_path=str(db), out=out / "report.html", fmt="html", all_days=True)

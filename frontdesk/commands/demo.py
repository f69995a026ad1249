"""`frontdesk demo`: the whole pipeline on the demo footage, events printed live,
then a report of the run. What `make demo` runs.

The footage is rendered on first use (about a minute, with progress) from the
demo counter scene (:mod:`frontdesk.render.demo_scene`) and cached in the data
directory; its ground truth is printed beside what the pipeline measured.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from frontdesk.commands import add_camera_option

log = logging.getLogger(__name__)

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config" / "frontdesk.yaml"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole pipeline on the demo footage and write a report")
    p.add_argument("--config", "-c", default=None,
                   help="config file (default: config/frontdesk.yaml of this checkout)")
    p.add_argument("--out", default=None, help="folder for the demo's store, outbox and report "
                   "(default: $FRONTDESK_DATA_DIR/demo-run or data/demo-run)")
    p.add_argument("--mqtt", metavar="URL", help="also publish to this broker")
    p.add_argument("--realtime", action="store_true",
                   help="play the footage at its own frame rate, as a live camera would")
    add_camera_option(p)
    p.set_defaults(func=run, quiet_logs=True)  # its own lines only; -v for the log


def _render_progress() -> Any:
    from frontdesk.progress import ProgressLines

    lines = ProgressLines("frontdesk demo", "rendering the demo footage", "frames",
                          stream=sys.stdout)

    def progress(done: int, total: int) -> None:
        if done == 1:
            print("frontdesk demo: rendering the demo footage (first use only; it is kept for "
                  "every folder)", flush=True)
        lines(done, total)

    return progress


def demo_config(config: Any, scene_counter: dict[str, Any]) -> tuple[Any, list[str]]:
    """``config`` fitted to the demo footage: its camera model, and its zones if they differ.

    The footage is rendered through the simulator's default camera (90-degree
    lens, no calibration) and counter; a config whose first counter's zones
    differ would judge it with the wrong zones. Returns the config and notes.
    """
    from frontdesk.config import ZonesConfig

    notes: list[str] = []
    camera = config.camera.model_copy(update={
        "source": "demo://counter", "horizontal_fov_deg": 90.0, "matrix": None,
        "distortion": None, "calibrated_size": None,
    })
    counters = list(config.counters)
    wanted = ZonesConfig.model_validate(scene_counter["zones"])
    first = counters[0]

    def points(poly: Any) -> list[list[float]]:
        return [[float(x), float(y)] for x, y in (poly or [])]

    same = all(points(getattr(first.zones, k)) == points(scene_counter["zones"][k])
               for k in ("approach", "service", "staff"))
    if not same or len(counters) > 1:
        notes.append(f"the config's zones for {first.id} differ from the demo footage's "
                     f"counter; the demo uses the footage's zones (docs/simulator.md, Zones)")
        counters = [first.model_copy(update={"zones": wanted})]
    return config.model_copy(update={"camera": camera, "counters": counters}), notes


def run(args: argparse.Namespace) -> int:
    from frontdesk.config import default_config_dict, load_camera_config, parse_config
    from frontdesk.demo_footage import demo_truth_path, ensure_demo_clip
    from frontdesk.engine.events import Event
    from frontdesk.runner import Runner, format_event
    from frontdesk.sim.layout import default_counter_dict

    if args.config:
        config = load_camera_config(args.config, args.camera)
    elif REPO_CONFIG.exists():
        config = load_camera_config(REPO_CONFIG, args.camera)
    else:
        import yaml

        config = parse_config(yaml.safe_dump(default_config_dict()))
    config, notes = demo_config(config, default_counter_dict())
    for note in notes:
        print(f"frontdesk demo: note: {note}", flush=True)
    out = Path(args.out or Path(os.environ.get("FRONTDESK_DATA_DIR", "data")) / "demo-run")
    out.mkdir(parents=True, exist_ok=True)
    db = out / "frontdesk.db"
    for stale in (db, out / "outbox.db"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{stale}{suffix}").unlink(missing_ok=True)
    config = config.model_copy(
        update={
            "store": config.store.model_copy(update={"path": str(db)}),
            "mqtt": config.mqtt.model_copy(
                update={"outbox_path": str(out / "outbox.db"), "url": args.mqtt or None}
            ),
        }
    )
    clip = ensure_demo_clip("counter", progress=_render_progress())
    print(f"frontdesk demo: footage {clip}", flush=True)

    def show(e: Event) -> None:
        print(f"[{e.t:7.2f}s] {format_event(e)}", flush=True)

    print("frontdesk demo: processing the demo footage (events appear as they happen)", flush=True)
    # The demo prints each event itself (above); the log would say it twice.
    runner = Runner(config, on_event=show, log_events=False, use_mqtt=bool(args.mqtt),
                    realtime=args.realtime)
    runner.install_signal_handlers()
    summary = runner.run()
    print(f"frontdesk demo: {summary.frames} frames in {summary.wall_seconds:.1f} s "
          f"({summary.fps:.1f} fps)", flush=True)
    _print_truth(demo_truth_path("counter"))
    report_path = write_demo_report(config, db, out)
    print(f"frontdesk demo: report written to {report_path}", flush=True)
    print(NEXT_STEPS.format(report=report_path), flush=True)
    return 0


NEXT_STEPS = """
Next, try:
  1. the managers' report of this run:  xdg-open {report}
  2. the live view and the dashboard:   .venv/bin/frontdesk run -c config/frontdesk.yaml \\
                                            --web 127.0.0.1:8080
     then open http://127.0.0.1:8080/live and http://127.0.0.1:8080/dashboard
  3. where the camera can be, and why:  .venv/bin/frontdesk simulate --geometry
(more in README.md; the web UI: docs/web.md; MQTT and the buzzer: docs/mqtt.md)"""


def _print_truth(path: Path) -> None:
    """What really happened in the footage (its ground truth), to set beside the events."""
    from frontdesk.sim.truth import Truth

    try:
        truth = Truth.load(path)
    except (OSError, ValueError) as exc:
        print(f"frontdesk demo: no ground truth to compare ({exc})", file=sys.stderr)
        return
    print("frontdesk demo: what really happened (ground truth of the footage):", flush=True)
    for v in truth.visits:
        lat = "-" if v.latency_s is None else f"{v.latency_s:+.2f}s"
        arrival = "-" if v.arrival_t is None else f"{v.arrival_t:.2f}s"
        ack = "-" if v.ack_t is None else f"{v.ack_t:.2f}s"
        print(f"  {v.person or v.visit:<6} arrived {arrival:>7}  acknowledged {ack:>7}  "
              f"latency {lat:>7}  {v.outcome}{'  (alert due)' if v.alert else ''}", flush=True)


def write_demo_report(config: Any, db: Path, out: Path) -> Path:
    """The report of the demo run's visits (all days in the store)."""
    from frontdesk.report import write_report

    return write_report(config, db_path=str(db), out=out / "report.html", fmt="html", all_days=True)

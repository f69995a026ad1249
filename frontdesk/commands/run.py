"""`frontdesk run`: the main loop on one camera."""

from __future__ import annotations

import argparse
import logging

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="watch the counter: capture, perceive, time, publish")
    p.add_argument("--config", "-c", required=True, help="YAML config file")
    p.add_argument("--source", help="override camera.source (file, folder, camera, URL, demo://counter)")
    p.add_argument("--loop", action="store_true",
                   help="replay a file source endlessly with timestamps that keep increasing")
    p.add_argument("--mqtt", metavar="URL", help="override mqtt.url, e.g. mqtt://localhost:1883")
    p.add_argument("--no-store", action="store_true", help="do not write the visit history")
    p.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from frontdesk.config import load_config
    from frontdesk.runner import Runner

    config = load_config(args.config)
    if args.mqtt:
        from frontdesk.mqtt import apply_mqtt_override

        config = apply_mqtt_override(config, args.mqtt)
    runner = Runner(
        config,
        source=args.source,
        loop=args.loop,
        use_store=not args.no_store,
        max_frames=args.max_frames,
    )
    runner.install_signal_handlers()
    summary = runner.run()
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.events.items())) or "no events"
    log.info("stopped after %d frames (%.1f fps): %s", summary.frames, summary.fps, counts)
    return 0

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
    p.add_argument("--web", metavar="HOST:PORT",
                   help="serve the web UI here (turns it on; off loopback it needs a password)")
    p.add_argument("--no-store", action="store_true", help="do not write the visit history")
    p.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    p.add_argument("--observations", metavar="FILE",
                   help="replay observations.jsonl (from `frontdesk simulate`) instead of camera "
                   "and perception; status records in it replay camera drops")
    p.add_argument("--speed", type=float, default=0.0,
                   help="replay speed over real time with --observations (default 0: as fast "
                   "as possible)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from frontdesk.config import load_config
    from frontdesk.errors import FrontdeskError
    from frontdesk.runner import Runner
    from frontdesk.sdnotify import SdNotifier

    if args.observations and (args.source or args.loop):
        raise FrontdeskError("run: --observations replaces the camera; drop --source/--loop")
    if args.speed and not args.observations:
        raise FrontdeskError("run: --speed applies only to --observations")
    config = load_config(args.config)
    if args.mqtt:
        from frontdesk.mqtt import apply_mqtt_override

        config = apply_mqtt_override(config, args.mqtt)
    if args.web:
        from frontdesk.config import apply_web_override

        config = apply_web_override(config, args.web)
    runner = Runner(
        config,
        source=args.source,
        loop=args.loop,
        use_store=not args.no_store,
        max_frames=args.max_frames,
        observations=args.observations,
        speed=args.speed,
        notifier=SdNotifier(),
    )
    web = None
    if config.web.enabled:
        from frontdesk.web import start_web

        # Before the loop starts, so a bad bind or a missing password fails loudly.
        web = start_web(runner, config, config_path=args.config)
        log.info("web UI at %s", web.url)
    runner.install_signal_handlers()
    try:
        summary = runner.run()
    finally:
        if web is not None:
            web.stop()
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.events.items())) or "no events"
    log.info("stopped after %d frames (%.1f fps): %s", summary.frames, summary.fps, counts)
    return 0

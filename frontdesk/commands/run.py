"""`frontdesk run`: the main loop on one camera, or a supervisor for several.

With a ``cameras:`` list in the config, ``frontdesk run`` supervises one worker
process per camera (:mod:`frontdesk.supervisor`); each worker is
``frontdesk run --camera ID``, the one-camera main loop on that camera's config.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="watch the counter: capture, perceive, time, publish")
    p.add_argument("--config", "-c", required=True, help="YAML config file")
    p.add_argument("--source", help="override camera.source (file, folder, camera, URL, demo://counter)")
    p.add_argument("--loop", action="store_true",
                   help="replay a file source endlessly with timestamps that keep increasing")
    p.add_argument("--realtime", action="store_true",
                   help="deliver a file source's frames at its own frame rate, as a live camera "
                   "would (to measure CPU as a camera loads it); live sources are real time")
    p.add_argument("--mqtt", metavar="URL", help="override mqtt.url, e.g. mqtt://localhost:1883")
    p.add_argument("--web", metavar="HOST:PORT",
                   help="serve the web UI here (turns it on; off loopback it needs a password)")
    p.add_argument("--no-store", action="store_true", help="do not write the visit history")
    p.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    p.add_argument("--observations", metavar="FILE", action="append",
                   help="replay observations.jsonl (from `frontdesk simulate`) instead of camera "
                   "and perception; status records in it replay camera drops. With cameras: "
                   "ID=FILE, once per camera to replay")
    p.add_argument("--camera", metavar="ID",
                   help="run only this camera of the config's cameras list (what the supervisor "
                   "starts for each camera)")
    p.add_argument("--counter", metavar="ID",
                   help="run the engine of this counter, shared by several cameras of the "
                   "config's cameras list, fed by their workers (what the supervisor starts "
                   "for each shared counter)")
    p.add_argument("--box", metavar="NAME",
                   help="this box's name, when the config's cameras sit on several boxes "
                   "(cameras[].box): run only this box's cameras and the engines of the "
                   "counters whose primary camera is here (default: $FRONTDESK_BOX; without "
                   "boxes in the config, every camera is local)")
    p.add_argument("--summary-json", metavar="FILE",
                   help="write the run's summary (frames, fps, events) to FILE as JSON at exit")
    p.add_argument("--speed", type=float, default=0.0,
                   help="replay speed over real time with --observations (default 0: as fast "
                   "as possible)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from frontdesk.config import load_config
    from frontdesk.errors import FrontdeskError

    if args.observations and (args.source or args.loop or args.realtime):
        raise FrontdeskError("run: --observations replaces the camera; drop "
                             "--source/--loop/--realtime (pace a replay with --speed 1)")
    if args.speed and not args.observations:
        raise FrontdeskError("run: --speed applies only to --observations")
    config = load_config(args.config)
    if args.web:
        from frontdesk.config import apply_web_override

        # On the whole config: with cameras, --web is the first camera's address and
        # camera number i listens on its port + i (Config.for_camera).
        config = apply_web_override(config, args.web)
    whole = config
    args.box = this_box(args.config, config, args.box)
    if args.counter is not None:
        if args.camera is not None:
            raise FrontdeskError("run: --counter and --camera are two different workers")
        return _run_counter(args, config)
    if config.cameras and args.camera is None:
        return _supervise(args, config)
    if args.camera is not None:
        from frontdesk.supervisor import die_with_supervisor

        group = config.fused_group_of(args.camera)
        if args.box is not None and args.camera in config.camera_ids and \
                config.box_of(args.camera) != args.box:
            raise FrontdeskError(f"run --camera {args.camera}: that camera is on box "
                                 f"{config.box_of(args.camera)!r}, this is {args.box!r}")
        remote = group is not None and args.camera in whole.remote_cameras(group)
        config = config.for_camera(args.camera)
        _prefix_log_lines(f"[camera {args.camera}] ")
        die_with_supervisor()
        if group is not None:
            primary = whole.fused_counters()[group][0] == args.camera
            return _run_fused_camera(args, config, group, remote, primary)
    if args.observations and len(args.observations) > 1:
        raise FrontdeskError("run: one --observations file for one camera")
    observations = args.observations[0] if args.observations else None
    return _run_one(args, config, observations, whole)


def this_box(config_path: str, config: Any, given: str | None) -> str | None:
    """The box this run is (``--box``, else ``$FRONTDESK_BOX``), checked against the
    config's ``cameras[].box``: None when the config names no boxes (every camera
    local, as on one box).

    Raises:
        ConfigError: boxes named and none given, or one the config does not name.
    """
    import os

    from frontdesk.config import ConfigError, key_lines

    box = given or os.environ.get("FRONTDESK_BOX") or None
    boxes = config.boxes
    if not boxes:
        if given:
            raise ConfigError([f"--box {given}: {config_path} names no boxes (cameras[].box): "
                               f"every camera is on this box; drop --box"])
        return None  # $FRONTDESK_BOX left over from another config: every camera local
    lines = key_lines(config_path)
    where = ", ".join(f"{b} (line {lines.get(('cameras', i, 'box'), '?')})"
                      for b in boxes for i, c in enumerate(config.cameras) if c.box == b
                      and i == next(k for k, e in enumerate(config.cameras) if e.box == b))
    if box is None:
        raise ConfigError([f"{config_path}: cameras[].box: the cameras sit on boxes {where}: "
                           f"say which box this is (frontdesk run --box NAME, or "
                           f"FRONTDESK_BOX=NAME)"])
    if box not in boxes:
        raise ConfigError([f"{config_path}: cameras[].box: no camera is on box {box!r} "
                           f"(--box or FRONTDESK_BOX); the boxes are {where}"])
    return box


def _run_one(args: argparse.Namespace, config: Any, observations: str | None,
             whole: Any = None) -> int:
    from frontdesk.runner import Runner
    from frontdesk.sdnotify import SdNotifier

    if args.mqtt:
        from frontdesk.mqtt import apply_mqtt_override

        config = apply_mqtt_override(config, args.mqtt)
    runner = Runner(
        config,
        source=args.source,
        loop=args.loop,
        realtime=args.realtime,
        use_store=not args.no_store,
        max_frames=args.max_frames,
        observations=observations,
        speed=args.speed,
        notifier=SdNotifier(),
    )
    summary = _run_with_web(runner, config, args, whole)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.events.items())) or "no events"
    log.info("stopped after %d frames (%.1f fps): %s", summary.frames, summary.fps, counts)
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps({
            "camera_id": config.camera_id, "frames": summary.frames,
            "frames_failed": summary.frames_failed, "wall_s": round(summary.wall_seconds, 3),
            "fps": round(summary.fps, 2), "events": summary.events}) + "\n")
    return 0


def _run_with_web(runner: Any, config: Any, args: argparse.Namespace, whole: Any,
                  pictures: Any = None) -> Any:
    """The runner's loop, with the web UI when ``web.enabled`` (started before the
    loop, so a bad bind or a missing password fails loudly; stopped after it);
    the run's summary. ``pictures``: where the live view's pictures come from when
    the runner's frames carry none (a shared counter's cameras: ``LiveHub.pictures``),
    shown from the config's camera (the counter's primary)."""
    web = None
    if config.web.enabled:
        from frontdesk.web import start_web

        web = start_web(runner, config, config_path=args.config, whole_config=whole)
        if pictures is not None:
            web.hub.picture_camera = config.camera_id
            web.hub.pictures = pictures
        log.info("web UI at %s", web.url)
    runner.install_signal_handlers()
    try:
        return runner.run()
    finally:
        if web is not None:
            web.stop()


def _run_counter(args: argparse.Namespace, whole: Any) -> int:
    """The engine of a counter several cameras share, fed by their workers
    (:mod:`frontdesk.live_fusion`): the one-camera runner on the fused observations,
    publishing as the counter's primary camera."""
    from frontdesk.errors import FrontdeskError
    from frontdesk.live_fusion import (
        FusedObservations,
        ObservationReceiver,
        ReceiverGroup,
        socket_path,
    )
    from frontdesk.runner import Runner
    from frontdesk.sdnotify import SdNotifier
    from frontdesk.supervisor import die_with_supervisor

    if args.source or args.loop or args.realtime or args.observations or args.max_frames:
        raise FrontdeskError("run --counter: the cameras' workers take --source, --loop, "
                             "--realtime, --observations and --max-frames, not the counter's")
    configs = whole.for_counter(args.counter)
    group = whole.fused_group_of(next(iter(configs)))
    assert group is not None  # for_counter found it
    _prefix_log_lines(f"[counter {group}] ")
    die_with_supervisor()
    config = next(iter(configs.values()))
    if args.mqtt:
        from frontdesk.mqtt import apply_mqtt_override

        config = apply_mqtt_override(config, args.mqtt)
    if args.box is not None and whole.box_of(next(iter(configs))) != args.box:
        raise FrontdeskError(f"run --counter {args.counter}: its engine runs on its primary "
                             f"camera's box {whole.box_of(next(iter(configs)))!r}, this is "
                             f"{args.box!r}")
    remote = whole.remote_cameras(group)
    broker = _remote_receiver(config, group, remote) if remote else None
    try:
        receiver = ObservationReceiver(socket_path(whole.fusion, group),
                                       into=None if broker is None else broker.queue)
    except BaseException:
        if broker is not None:
            broker.close()
        raise
    joined: Any = receiver if broker is None else ReceiverGroup(receiver, broker)
    try:
        items = FusedObservations(configs, joined, whole.fusion, wall_clock_base=bool(remote))
    except BaseException:
        joined.close()
        raise
    log.info("counter %s: one engine for cameras %s, observations on %s%s", group,
             ", ".join(configs), receiver.path,
             f" and {broker.filter} (cameras {', '.join(remote)})" if broker else "")
    runner = Runner(config, use_store=not args.no_store, notifier=SdNotifier(), items=items)
    summary = _run_with_web(runner, config, args, whole, pictures=items)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(summary.events.items())) or "no events"
    log.info("counter %s stopped after %d fused frames: %s", group, summary.frames, counts)
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps({
            "counter": group, "cameras": list(configs), "frames": summary.frames,
            "wall_s": round(summary.wall_seconds, 3), "fps": round(summary.fps, 2),
            "events": summary.events, "fusion": items.stats}) + "\n")
    return 0


def _remote_receiver(config: Any, group: str, remote: list[str]) -> Any:
    """The counter's subscription to its cameras on other boxes, subscribed before the
    counter listens (so a test or a camera waiting for the socket loses nothing)."""
    import queue

    from frontdesk.errors import FrontdeskError
    from frontdesk.mqtt.fusion_link import BrokerObservationReceiver

    if not config.mqtt.url:
        raise FrontdeskError(f"counter {group}: cameras {', '.join(remote)} are on another "
                             f"box and talk through the broker: set mqtt.url")
    broker = BrokerObservationReceiver(config, group, remote, queue.Queue())
    if not broker.wait_subscribed(10.0):
        log.warning("counter %s: not subscribed to %s after 10 s (the broker unreachable?); "
                    "going on, the remote cameras join once it is", group, broker.filter)
    return broker


def _run_fused_camera(args: argparse.Namespace, config: Any, group: str,
                      remote: bool = False, primary: bool = False) -> int:
    """A camera of a shared counter: perception only, observations to the counter's
    worker (through the broker when that worker is on another box); the ``primary``
    camera, on the counter's box, also pictures for its live view while watched."""
    from frontdesk.errors import FrontdeskError
    from frontdesk.live_fusion import CameraSender, ObservationSender, socket_path
    from frontdesk.sdnotify import SdNotifier

    if args.observations and len(args.observations) > 1:
        raise FrontdeskError("run: one --observations file for one camera")
    if remote:
        from frontdesk.mqtt import apply_mqtt_override
        from frontdesk.mqtt.fusion_link import BrokerObservationSender

        if args.mqtt:
            config = apply_mqtt_override(config, args.mqtt)
        if not config.mqtt.url:
            raise FrontdeskError(f"camera {config.camera_id}: its counter's engine is on "
                                 f"another box, reached through the broker: set mqtt.url")
        sender: Any = BrokerObservationSender(config, group)
    else:
        sender = ObservationSender(socket_path(config.fusion, group), config.camera_id)
    worker = CameraSender(config, sender, source=args.source, loop=args.loop,
                          realtime=args.realtime, max_frames=args.max_frames,
                          notifier=SdNotifier(),
                          observations=args.observations[0] if args.observations else None,
                          speed=args.speed, pictures=primary and not remote)
    worker.install_signal_handlers()
    code = worker.run()
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps({
            "camera_id": config.camera_id, "counter": group, "frames": worker.frames,
            "frames_failed": worker.frames_failed, "sent": sender.sent,
            "dropped": sender.dropped, "pictures": getattr(sender, "pictures", 0)}) + "\n")
    return code


def _prefix_log_lines(prefix: str) -> None:
    """Start every log line of this worker with its camera (the journal mixes them)."""
    for handler in logging.getLogger().handlers:
        fmt = handler.formatter
        if fmt is not None and fmt._fmt is not None:
            handler.setFormatter(logging.Formatter(prefix + fmt._fmt, fmt.datefmt))


def worker_run_args(args: argparse.Namespace, camera_ids: list[str]) -> dict[str, list[str]]:
    """The ``frontdesk run`` options each camera's worker gets from the supervisor's.

    ``--mqtt``, ``--no-store``, ``--max-frames``, ``--loop``, ``--realtime`` and
    ``--web`` go to every worker (with ``--web HOST:PORT`` camera number i serves on PORT + i);
    ``--observations ID=FILE`` (with ``--speed``) to that camera's.
    """
    from frontdesk.errors import FrontdeskError

    if args.source:
        raise FrontdeskError("run: --source does not apply with cameras: set each camera's "
                             "camera.source in the config (or run one with --camera ID)")
    replays: dict[str, str] = {}
    for item in args.observations or []:
        cid, sep, path = item.partition("=")
        if not sep or cid not in camera_ids:
            raise FrontdeskError(f"run: with cameras, --observations takes ID=FILE with ID one "
                                 f"of {', '.join(camera_ids)}; got {item!r}")
        replays[cid] = path
    common: list[str] = ["--box", args.box] if getattr(args, "box", None) else []
    if args.mqtt:
        common += ["--mqtt", args.mqtt]
    if args.no_store:
        common.append("--no-store")
    if args.max_frames is not None:
        common += ["--max-frames", str(args.max_frames)]
    if args.loop:
        common.append("--loop")
    if args.realtime:
        common.append("--realtime")
    if args.web:
        common += ["--web", args.web]
    result: dict[str, list[str]] = {}
    for cid in camera_ids:
        extra = list(common)
        if cid in replays:
            extra += ["--observations", replays[cid]]
            if args.speed:
                extra += ["--speed", str(args.speed)]
        if args.summary_json:
            extra += ["--summary-json", f"{args.summary_json}.{cid}"]
        result[cid] = extra
    return result


def _global_args(args: argparse.Namespace) -> list[str]:
    """The supervisor's own global options (log level, --debug), for its workers."""
    out = ["-q"] if args.quiet else ["-v"] * int(args.verbose or 0)
    return out + (["--debug"] if args.debug else [])


def _supervise(args: argparse.Namespace, config: Any) -> int:
    import shutil
    import tempfile

    from frontdesk.sdnotify import SdNotifier
    from frontdesk.supervisor import Supervisor, counter_commands, worker_commands

    ids = config.cameras_on_box(args.box)
    fused = {key: cams for key, cams in config.fused_counters().items()
             if cams[0] in ids}  # a counter's engine runs on its primary camera's box
    if args.box is not None:
        log.info("box %s: cameras %s", args.box, ", ".join(ids) or "none")
    if config.web.enabled:
        from frontdesk.web.cameras import bind_url, camera_peers

        for peer in camera_peers(config):
            if config.fused_group_of(peer.id) is not None and peer.id not in \
                    [cams[0] for cams in fused.values()]:
                continue
            where = bind_url(peer.bind) if peer.port else "a free port (web.bind port 0)"
            log.info("camera %s: web UI at %s (counters: %s)", peer.id, where,
                     ", ".join(peer.counters))
    from frontdesk.stderr_filter import unfilter_native_stderr

    unfilter_native_stderr()  # workers write to the terminal (or journal) themselves
    config_path = str(Path(args.config).resolve())
    global_args = _global_args(args)
    commands = worker_commands(config_path, ids, worker_run_args(args, ids), global_args)
    env = None
    sockets = None
    if fused:
        for key, cams in fused.items():
            log.info("counter %s: one engine fed by cameras %s", key, ", ".join(cams))
        # The counters' workers first: their sockets are there before a camera sends.
        commands = {**counter_commands(config_path, list(fused), counter_run_args(args),
                                       global_args), **commands}
        if config.fusion.socket_dir is None:
            import os

            sockets = tempfile.mkdtemp(prefix="frontdesk-fusion-")
            env = dict(os.environ, FRONTDESK_FUSION_DIR=sockets)
    supervisor = Supervisor(commands, notifier=SdNotifier(), env=env)
    supervisor.install_signal_handlers()
    try:
        code = supervisor.run()
    finally:
        if sockets is not None:
            shutil.rmtree(sockets, ignore_errors=True)
    sys.stderr.flush()
    return code


def counter_run_args(args: argparse.Namespace) -> list[str]:
    """The ``frontdesk run`` options a shared counter's worker gets from the
    supervisor's: ``--mqtt``, ``--no-store``, ``--web`` and ``--summary-json``
    (as FILE.counter-ID); the rest belongs to the cameras' workers."""
    out: list[str] = ["--box", args.box] if getattr(args, "box", None) else []
    if args.mqtt:
        out += ["--mqtt", args.mqtt]
    if args.no_store:
        out.append("--no-store")
    if args.web:
        out += ["--web", args.web]
    if args.summary_json:
        out += ["--summary-json", args.summary_json]
    return out

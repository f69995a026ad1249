"""`frontdesk check-config -c FILE`: validate a config file as ``run`` would, and nothing else.

Beyond the file's own rules (types, bounds, duplicate keys, zones; see
:func:`frontdesk.config.load_config`) it checks what ``run`` refuses at start-up
here: a video file or image folder that does not exist, and a web UI on a
non-loopback address without a password or token. Each problem names the file,
line and key. A secret variable the file names but this shell lacks is a note
(the service's environment may set it), not a refusal.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from frontdesk.config import Config, ConfigError, key_lines, load_config
from frontdesk.errors import FrontdeskError
from frontdesk.web.cameras import bind_url


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check-config", help="validate a config file as run would, and exit",
                       description="Validate a config file: every key, and what `run` would "
                       "refuse at start-up here (a missing video file, a web UI open to the "
                       "network without a password). Exit 0 when run would start, 2 if not.")
    p.add_argument("--config", "-c", metavar="FILE", help="YAML config file")
    p.add_argument("file", nargs="?", help=argparse.SUPPRESS)  # the old positional form
    p.add_argument("--box", metavar="NAME",
                   help="with cameras on several boxes (cameras[].box): check this box's "
                   "cameras' sources (default $FRONTDESK_BOX; without it no source is checked)")
    p.set_defaults(func=run)


def _where(path: str, lines: dict[tuple, int], loc: tuple[Any, ...]) -> str:
    key = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in loc).replace(".[", "[")
    while loc and loc not in lines:
        loc = loc[:-1]
    line = lines.get(loc)
    return f"{path}:{line}: {key}" if line else f"{path}: {key}"


def _source_problem(source: str) -> str | None:
    """Why ``run`` could not open ``source`` (a file or folder that is not there)."""
    from frontdesk.capture.spec import parse_spec
    from frontdesk.errors import SourceError

    try:
        spec = parse_spec(source)
    except SourceError as exc:
        return str(exc)
    if spec.kind == "path" and not Path(str(spec.target)).exists():
        return (f"{spec.name} does not exist (relative paths are from the folder run starts "
                f"in: {Path.cwd()})")
    return None


def _web_problem(config: Config) -> str | None:
    """What ``run`` refuses whatever the environment: a web UI on a non-loopback address
    with no password or token configured at all."""
    from frontdesk.web.auth import resolve_auth

    if not config.web.enabled:
        return None
    named = [v for v in (config.web.password_env, config.web.token_env) if v]
    try:  # as if the named variables were set: the rule about the address alone
        resolve_auth(config.web, env={name: "x" * 32 for name in named})
    except FrontdeskError as exc:
        return str(exc)
    return None


def _web_notes(config: Config) -> list[str]:
    """Secrets named by the file but unset here (the service may set them: not an error)."""
    import os

    if not config.web.enabled:
        return []
    return [f"{name} is not set in this shell: run refuses to start where it is unset (the "
            f"service's environment must set it)"
            for name in (config.web.password_env, config.web.token_env)
            if name and not os.environ.get(name)]


def preflight_problems(path: str, config: Config,
                       notes: list[str] | None = None,
                       local: list[str] | None = None) -> list[str]:
    """What ``run`` would refuse at start-up, as ``FILE:LINE: KEY: PROBLEM``; what
    depends on the environment ``run`` gets goes to ``notes``. ``local``: the cameras
    whose sources are on this box (default every camera)."""
    lines = key_lines(path)
    workers: list[tuple[tuple[Any, ...], Config]] = [((), config)]
    if config.cameras:
        workers = [(("cameras", i), config.for_camera(cid))
                   for i, cid in enumerate(config.camera_ids)]
    problems = []
    for prefix, worker in workers:
        here = local is None or worker.camera_id is None or worker.camera_id in local
        problem = _source_problem(worker.camera.source) if here else None
        if problem:
            problems.append(f"{_where(path, lines, (*prefix, 'camera', 'source'))}: {problem}")
        problem = _web_problem(worker)
        loc = ("web", "bind") if ("web", "bind") in lines or not prefix else (*prefix, "web")
        if problem:
            problems.append(f"{_where(path, lines, loc)}: {problem}")
        if notes is not None and not prefix:
            secret = ("web", "password_env") if ("web", "password_env") in lines else loc
            notes += [f"{_where(path, lines, secret)}: {n}" for n in _web_notes(worker)]
    return problems


def run(args: argparse.Namespace) -> int:
    path = args.config or args.file
    if not path:
        raise FrontdeskError("check-config: give the file: frontdesk check-config -c FILE")
    if args.config and args.file:
        raise FrontdeskError("check-config: give the file once (-c FILE)")
    cfg = load_config(path)
    notes: list[str] = []
    local = None
    if cfg.boxes:
        import os

        box = getattr(args, "box", None) or os.environ.get("FRONTDESK_BOX") or None
        if box is not None and box not in cfg.boxes:
            raise FrontdeskError(f"check-config --box {box}: no camera is on that box (boxes: "
                                 f"{', '.join(cfg.boxes)})")
        local = cfg.cameras_on_box(box) if box else []
        if not box:
            notes.append(f"the cameras sit on boxes {', '.join(cfg.boxes)}: their sources "
                         f"were not checked (--box NAME checks that box's)")
    problems = preflight_problems(path, cfg, notes, local)
    if problems:
        raise ConfigError(problems)
    for cid, ids in cfg.shared_counters.items():
        notes.append(f"counter {cid} is seen by cameras {', '.join(ids)}: `frontdesk run` "
                     f"feeds them to one engine (docs/deployment.md, \"Several cameras of one "
                     f"counter\")")
    for note in notes:
        print(f"note: {note}")
    if not cfg.cameras:
        counters = ", ".join(c.name or c.id for c in cfg.counters)
        print(f"{path}: OK (site {cfg.site_id}; counters: {counters}; "
              f"source {cfg.camera.source})")
        return 0
    print(f"{path}: OK (site {cfg.site_id}; {len(cfg.cameras)} cameras, one worker "
          f"process each)")
    for camera_id in cfg.camera_ids:
        worker = cfg.for_camera(camera_id)
        counters = ", ".join(c.name or c.id for c in worker.counters)
        web = ""
        if worker.web.enabled:
            free = worker.web.bind.endswith(":0")
            web = "; web UI on a free port" if free else f"; web UI {bind_url(worker.web.bind)}"
        box = cfg.box_of(camera_id)
        print(f"  camera {camera_id}{f' (box {box})' if box else ''}: source "
              f"{worker.camera.source}; counters: {counters}; "
              f"MQTT client {worker.mqtt.client_id}; outbox {worker.mqtt.outbox_path}{web}")
    for key, ids in cfg.fused_counters().items():
        print(f"  counter {key}: one engine fed by cameras {', '.join(ids)} (its own worker, "
              f"publishing as camera {ids[0]}; the cameras' workers only perceive)")
        remote = cfg.remote_cameras(key)
        if remote:
            print(f"    its engine runs on box {cfg.box_of(ids[0])}; cameras "
                  f"{', '.join(remote)} send through the broker "
                  f"({cfg.mqtt.topic_prefix}/{cfg.site_id}/fusion/{key}/CAMERA/observations"
                  f"{'' if cfg.mqtt.url else '; set mqtt.url'})")
    return 0

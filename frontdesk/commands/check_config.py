"""`frontdesk check-config FILE`: validate a config file and nothing else."""

from __future__ import annotations

import argparse

from frontdesk.config import load_config
from frontdesk.web.cameras import bind_url


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check-config", help="validate a config file and exit")
    p.add_argument("file", help="path to the YAML config")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.file)
    if not cfg.cameras:
        counters = ", ".join(c.id for c in cfg.counters)
        print(f"{args.file}: OK (site {cfg.site_id}; counters: {counters}; "
              f"source {cfg.camera.source})")
        return 0
    print(f"{args.file}: OK (site {cfg.site_id}; {len(cfg.cameras)} cameras, one worker "
          f"process each)")
    for camera_id in cfg.camera_ids:
        worker = cfg.for_camera(camera_id)
        counters = ", ".join(c.id for c in worker.counters)
        web = ""
        if worker.web.enabled:
            free = worker.web.bind.endswith(":0")
            web = "; web UI on a free port" if free else f"; web UI {bind_url(worker.web.bind)}"
        print(f"  camera {camera_id}: source {worker.camera.source}; counters: {counters}; "
              f"MQTT client {worker.mqtt.client_id}; outbox {worker.mqtt.outbox_path}{web}")
    return 0

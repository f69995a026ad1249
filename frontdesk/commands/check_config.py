"""`frontdesk check-config FILE`: validate a config file and nothing else."""

from __future__ import annotations

import argparse

from frontdesk.config import load_config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check-config", help="validate a config file and exit")
    p.add_argument("file", help="path to the YAML config")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.file)
    counters = ", ".join(c.id for c in cfg.counters)
    print(f"{args.file}: OK (site {cfg.site_id}; counters: {counters}; source {cfg.camera.source})")
    return 0

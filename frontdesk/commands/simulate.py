"""`frontdesk simulate`: a simulated counter written as observations, ground truth and config."""

from __future__ import annotations

import argparse
import json
import logging

from frontdesk.errors import FrontdeskError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate a counter: observations.jsonl, truth.json and config.yaml",
        description="Simulate customers and staff at a counter seen by the default camera "
        "placement, as perception would report them, with the ground truth of every visit. "
        "Evaluate the engine on the result with `frontdesk eval DIR`.",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (scene and noise)")
    p.add_argument("--visits", type=int, default=20, help="customers in a random scene")
    p.add_argument("--noise", choices=["none", "realistic"], default="realistic",
                   help="measurement noise preset (default realistic)")
    p.add_argument("--fps", type=float, default=None, help="frame rate (default: the preset's, 15)")
    p.add_argument("--config", help="config whose zones and engine settings judge the truth "
                   "(default: the default scene's counter)")
    p.add_argument("--scene", help="a scripted scene (YAML) instead of a random one")
    p.add_argument("--out", help="output folder")
    p.add_argument("--geometry", action="store_true",
                   help="print the default placement's face angles and zones, then exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from frontdesk.config import load_config
    from frontdesk.sim.generate import random_scene
    from frontdesk.sim.layout import geometry_report
    from frontdesk.sim.render import NOISE_PRESETS
    from frontdesk.sim.runs import sim_config, write_run
    from frontdesk.sim.script import load_scene

    if args.geometry:
        print(json.dumps(geometry_report(), indent=1))
        return 0
    if not args.out:
        raise FrontdeskError("simulate: --out DIR is required")
    if args.visits < 1:
        raise FrontdeskError(f"simulate: --visits must be at least 1, got {args.visits}")
    if args.fps is not None and not 1.0 <= args.fps <= 120.0:
        raise FrontdeskError(f"simulate: --fps must be between 1 and 120, got {args.fps}")
    config = load_config(args.config) if args.config else sim_config()
    counter_id = config.counters[0].id
    if args.scene:
        scene = load_scene(args.scene)
        scene.counter_id = counter_id
    else:
        scene = random_scene(args.seed, args.visits, counter_id=counter_id)
    noise = NOISE_PRESETS[args.noise].with_fps(args.fps)
    summary = write_run(args.out, scene, config, noise, args.seed)
    print(json.dumps(summary))
    return 0

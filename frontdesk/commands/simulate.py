"""`frontdesk simulate`: a simulated counter written as observations, ground truth and config."""

from __future__ import annotations

import argparse
import json
import logging
from typing import TYPE_CHECKING

from frontdesk.commands import add_camera_option
from frontdesk.errors import FrontdeskError

if TYPE_CHECKING:
    from frontdesk.sim.render import NoiseModel, PresenceModel
    from frontdesk.sim.scene import Scene

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
    p.add_argument(
        "--noise",
        choices=["none", "realistic"],
        default="realistic",
        help="measurement noise preset (default realistic)",
    )
    p.add_argument(
        "--behaviours",
        choices=["preset", "on", "off"],
        default="preset",
        help="random scenes: customers looking at phones, round the shop, at a second staff "
        "member, staff at paperwork (default: as the noise preset, on with realistic)",
    )
    p.add_argument("--fps", type=float, default=None, help="frame rate (default: the preset's, 15)")
    p.add_argument(
        "--config",
        help="config whose zones and engine settings judge the truth "
        "(default: the default scene's counter)",
    )
    p.add_argument("--scene", help="a scripted scene (YAML) instead of a random one")
    add_camera_option(p)
    p.add_argument(
        "--bodies",
        choices=["scene", "on", "off"],
        default="scene",
        help="also write body boxes, as a person detector would (default: when the scripted "
        "scene asks for them with bodies:)",
    )
    p.add_argument(
        "--presence",
        choices=["on", "off"],
        default="on",
        help="also write the occupancy grid of perception's presence stage, as "
        "perception.presence does by default (default: on)",
    )
    p.add_argument(
        "--appearance",
        choices=["on", "off"],
        default="on",
        help="with --presence on: give each face the colour signature of its clothes, as "
        "perception.presence.appearance does by default (default: on)",
    )
    p.add_argument("--out", help="output folder")
    p.add_argument(
        "--store",
        metavar="PATH",
        help="simulate a working day through the engine into this visit store "
        "(SQLite path or postgresql:// URL) instead of writing --out",
    )
    p.add_argument(
        "--day", metavar="YYYY-MM-DD", help="with --store: the local day (default today)"
    )
    p.add_argument(
        "--customers",
        type=int,
        default=None,
        help="with --store: customers per counter over the day (default 160)",
    )
    p.add_argument(
        "--geometry",
        action="store_true",
        help="print the default placement's face angles and zones, then exit",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from frontdesk.config import load_camera_config
    from frontdesk.sim.generate import Behaviours, behaviours_for, random_scene
    from frontdesk.sim.layout import geometry_report
    from frontdesk.sim.render import NOISE_PRESETS, PresenceModel
    from frontdesk.sim.runs import sim_config, write_run
    from frontdesk.sim.script import load_scene

    if args.geometry:
        print(json.dumps(geometry_report(), indent=1))
        return 0
    if args.store:
        return _simulate_day(args)
    if args.day or args.customers is not None:
        raise FrontdeskError("simulate: --day and --customers go with --store PATH")
    if not args.out:
        raise FrontdeskError("simulate: --out DIR (or --store PATH --day DAY) is required")
    if args.visits < 1:
        raise FrontdeskError(f"simulate: --visits must be at least 1, got {args.visits}")
    if args.fps is not None and not 1.0 <= args.fps <= 120.0:
        raise FrontdeskError(f"simulate: --fps must be between 1 and 120, got {args.fps}")
    config = load_camera_config(args.config, args.camera) if args.config else sim_config()
    counter_id = config.counters[0].id
    if args.scene:
        scene = load_scene(args.scene)
        scene.counter_id = counter_id
    else:
        behaviours = {"preset": behaviours_for(args.noise), "on": Behaviours(),
                      "off": None}[args.behaviours]
        scene = random_scene(args.seed, args.visits, counter_id=counter_id,
                             behaviours=behaviours)
    noise = NOISE_PRESETS[args.noise].with_fps(args.fps)
    bodies = {"scene": None, "on": True, "off": False}[args.bodies]
    presence = None
    if args.presence == "on":
        presence = PresenceModel() if args.appearance == "on" else PresenceModel(clothes=None)
    if scene.cameras:
        return _simulate_cameras(args, scene, noise, bodies, presence)
    summary = write_run(args.out, scene, config, noise, args.seed, bodies=bodies,
                        presence=presence)
    print(json.dumps(summary))
    return 0


def _simulate_cameras(args: argparse.Namespace, scene: Scene, noise: NoiseModel,
                      bodies: bool | None, presence: PresenceModel | None) -> int:
    """A scripted scene listing ``cameras:``: one run folder per camera, ``OUT/<id>/``,
    each with that camera's observations, its config (zones through it, its pose)
    and the truth as that camera sees it; and ``OUT/truth.json``, the truth of the
    cameras together, which ``frontdesk eval OUT`` scores their fusion against."""
    from pathlib import Path

    from frontdesk.sim.runs import camera_config, write_run

    if args.config:
        raise FrontdeskError("simulate: the scene lists cameras; each camera's config is made "
                             "from the scene (zones through that camera): drop --config")
    try:
        configs = {c.id: camera_config(scene, c.id) for c in scene.cameras}
    except ValueError as exc:
        raise FrontdeskError(f"simulate: {exc}") from None
    from frontdesk.sim.render import BodyModel, body_model_for
    from frontdesk.sim.runs import write_fused_truth

    summaries = {}
    for cam in scene.cameras:
        seen = scene.for_camera(cam.id)
        summaries[cam.id] = write_run(Path(args.out) / cam.id, seen, configs[cam.id], noise,
                                      args.seed, bodies=bodies, presence=presence)
    body_model = None
    if bodies is None or bodies is True:
        body_model = body_model_for(scene) or (BodyModel() if bodies is True else None)
    truth = write_fused_truth(args.out, scene, configs, noise.fps, body_model)
    fused = {"truth": str(Path(args.out) / "truth.json"), "visits": len(truth.visits),
             "acknowledged": sum(1 for v in truth.visits if v.ack_t is not None)}
    print(json.dumps({"cameras": summaries, "fused": fused}))
    return 0


def _simulate_day(args: argparse.Namespace) -> int:
    """A simulated working day at every counter, through the real engine, into a store."""
    import datetime as dt

    from frontdesk.config import load_camera_config
    from frontdesk.report.simday import DayPlan, simulate_day
    from frontdesk.sim.runs import sim_config

    try:
        day = dt.date.fromisoformat(args.day) if args.day else dt.date.today()
    except ValueError:
        raise FrontdeskError(f"simulate: --day must be YYYY-MM-DD, got {args.day!r}") from None
    plan = DayPlan(noise=args.noise, fps=args.fps or DayPlan.fps)
    if args.customers is not None:
        if args.customers < 1:
            raise FrontdeskError(f"simulate: --customers must be at least 1, got {args.customers}")
        plan = DayPlan(customers=args.customers, noise=plan.noise, fps=plan.fps)
    config = load_camera_config(args.config, args.camera) if args.config else sim_config()
    from frontdesk.progress import ProgressLines

    progress = ProgressLines("frontdesk simulate", f"simulating {day}", "customers")
    done = simulate_day(config, args.store, day, seed=args.seed, plan=plan, progress=progress)
    print(
        json.dumps(
            {
                "day": done.day.isoformat(),
                "time_zone": done.time_zone,
                "customers_scheduled": done.customers_scheduled,
                "events": done.events,
                "stored": done.stored,
                "outcomes": dict(done.outcomes),
            }
        )
    )
    return 0

"""`frontdesk eval DIR`: run the engine over a run's observations and score it against the truth.

`frontdesk eval --video CLIP`: run perception over a video first (the whole chain),
with the truth and config written beside a rendered clip (`frontdesk render-scene`).
"""

from __future__ import annotations

import argparse
import json
import logging
import re

from frontdesk.commands import add_camera_option
from frontdesk.errors import FrontdeskError

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval",
        help="score the engine on observations against ground truth",
        description="Run the engine over DIR/observations.jsonl with DIR/config.yaml and compare "
        "its visits with DIR/truth.json (written by `frontdesk simulate`, or from labelled "
        "footage with observations from `frontdesk inspect --json`). A DIR written by `frontdesk "
        "simulate` from a scene with several cameras (DIR/<id>/ per camera, DIR/truth.json) "
        "is scored fused: the cameras' observations become one engine's. With --video CLIP, run "
        "perception over the video first (the whole chain); truth and config default to "
        "CLIP_STEM.truth.json and CLIP_STEM.config.yaml beside it (frontdesk render-scene).",
    )
    p.add_argument("dir", nargs="?", help="run folder (not with --video)")
    p.add_argument("--video", metavar="CLIP",
                   help="run perception over this video, then the engine, and score them")
    p.add_argument("--save-observations", metavar="FILE",
                   help="with --video: write perception's observations.jsonl here")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.add_argument("--config", help="config file (default DIR/config.yaml)")
    p.add_argument("--truth", help="truth file (default DIR/truth.json)")
    p.add_argument("--observations", help="observations file (default DIR/observations.jsonl)")
    p.add_argument("--size", help="frame size WxH for observation lines without width/height")
    p.add_argument("--max-distance", type=float, default=0.08,
                   help="largest image distance (fraction of the frame) between a true visit "
                   "and the engine visit matched to it (default 0.08)")
    p.add_argument("--details", help="write one JSON line per visit (truth, engine, errors) here")
    add_camera_option(p)
    p.set_defaults(func=run)


def _size(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    m = re.fullmatch(r"(\d+)[xX](\d+)", text.strip())
    if not m:
        raise FrontdeskError(f"eval: --size must look like 1280x720, got {text!r}")
    return int(m.group(1)), int(m.group(2))


def _print_table(figures: dict) -> None:
    lat = figures["latency_error_s"]

    def f(x: object) -> str:
        return "-" if x is None else f"{x}"

    print(f"visits            {figures['visits']} (matched {figures['visits_matched']}, "
          f"engine {figures['engine_visits']})")
    print(f"latency error s   p50 {f(lat['p50'])}  p95 {f(lat['p95'])}  max {f(lat['max'])}")
    print(f"within 0.25 s     {f(figures['within_0_25_s'])} of "
          f"{figures['visits_with_latency']} visits with a latency")
    print(f"alerts            precision {f(figures['alert_precision'])}  "
          f"recall {f(figures['alert_recall'])}")
    print(f"acknowledgements  precision {f(figures['ack_precision'])}  "
          f"recall {f(figures['ack_recall'])}")
    print(f"escalations       precision {f(figures['escalation_precision'])}  "
          f"recall {f(figures['escalation_recall'])}")
    print(f"staff context     right {f(figures['context_right'])} of "
          f"{figures['context_waits_beyond_target']} waits beyond target "
          f"({f(figures['context_right_all'])} of all {figures['context_waits']})")
    for word, pr in figures["context_per_word"].items():
        print(f"  {word:<15} precision {f(pr['precision'])}  recall {f(pr['recall'])}  "
              f"(truth {pr['truth']}, engine {pr['engine']})")
    dep = figures["departure_delay_s"]
    print(f"departure noticed p50 {f(dep['p50'])}  p95 {f(dep['p95'])}  max {f(dep['max'])} s "
          f"after leaving ({dep['over_2_s']} of {dep['count']} later than 2 s, "
          f"{dep['unnoticed']} not before the end)")


def run(args: argparse.Namespace) -> int:
    from frontdesk.sim.evaluate import evaluate
    from frontdesk.sim.runs import load_run

    if args.video:
        if args.dir or args.observations:
            raise FrontdeskError("eval: --video runs perception itself; give no DIR or "
                                 "--observations (use --save-observations to keep them)")
        from frontdesk.render.evaluate import evaluate_clip

        figures = evaluate_clip(args.video, args.truth, args.config, args.save_observations,
                                args.max_distance, camera_id=args.camera)
    else:
        if not args.dir:
            raise FrontdeskError("eval: give a run folder DIR, or --video CLIP")
        from frontdesk.sim.runs import load_camera_runs

        cams = load_camera_runs(args.dir, args.truth)
        if cams is not None:
            if args.config or args.observations or args.size or args.camera:
                raise FrontdeskError(f"eval: {args.dir} holds one run per camera "
                                     f"({', '.join(cams.configs)}), fused and scored "
                                     f"together; --config, --observations, --size and "
                                     f"--camera do not apply (score one camera with "
                                     f"`frontdesk eval {args.dir}/ID`)")
            from frontdesk.sim.evaluate import evaluate_cameras

            return _report(args, evaluate_cameras(cams.truth, cams.configs, cams.observations(),
                                                  args.max_distance))
        r = load_run(args.dir, args.config, args.truth, args.observations, _size(args.size),
                     camera_id=args.camera)
        figures = evaluate(r.truth, r.config, r.observations(), args.max_distance)
    return _report(args, figures)


def _report(args: argparse.Namespace, figures: dict) -> int:
    details = figures.pop("details")
    if args.details:
        with open(args.details, "w", encoding="utf-8") as fh:
            for row in details:
                fh.write(json.dumps(row) + "\n")
    if args.json:
        print(json.dumps(figures))
    else:
        _print_table(figures)
    return 0

"""`frontdesk render-scene SCENE.yaml --out clip.mp4`: rendered counter footage with its truth.

A scene that lists ``cameras:`` is rendered with ``--out DIR``: ``DIR/<id>.mp4`` and
``DIR/<id>.config.yaml`` per camera, and one ``DIR/truth.json`` (what the cameras
see together); ``--eval`` perceives each clip and scores the cameras fused into
one engine (issue 17).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from typing import TYPE_CHECKING

from frontdesk.commands import add_camera_option
from frontdesk.errors import FrontdeskError

if TYPE_CHECKING:
    from frontdesk.render.scene_file import RenderScene

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render-scene",
        help="render a counter scene from real face photographs, with its ground truth",
        description="Render a scene file (the simulator's scripted scene plus looks and render "
        "settings; docs/rendering.md) to an mp4 clip, and write the ground truth "
        "(NAME.truth.json) and the config it was judged with (NAME.config.yaml) beside it. "
        "SCENE may be 'demo' for the demo's counter scene.",
    )
    p.add_argument("scene", nargs="?", help="scene file (YAML), or 'demo'")
    p.add_argument("--out", "-o", help="the clip to write (.mp4)")
    p.add_argument("--size", help="frame size WxH (default the scene's, else 1280x720)")
    p.add_argument("--fps", type=float, help="frames per second (default the scene's, else 15)")
    p.add_argument("--config", help="config whose zones and engine settings judge the truth "
                   "(default: the simulator's default counter)")
    add_camera_option(p)
    p.add_argument("--eval", action="store_true",
                   help="then run perception and the engine over the clip and score them "
                   "against the truth")
    p.add_argument("--observations", help="with --eval: also write observations.jsonl here")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.add_argument("--print-demo", action="store_true",
                   help="print the demo's scene file and exit")
    p.set_defaults(func=run)


def _size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)[xX](\d+)", text.strip())
    if not m:
        raise FrontdeskError(f"render-scene: --size must look like 1280x720, got {text!r}")
    return int(m.group(1)), int(m.group(2))


class _Progress:
    """A progress line on stderr, rewritten in place (one line per 10 % when not a terminal)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.last_tenth = -1

    def __call__(self, done: int, total: int) -> None:
        if self.quiet:
            return
        tenth = 10 * done // total
        if not self.tty and tenth == self.last_tenth and done != total:
            return
        self.last_tenth = tenth
        elapsed = time.monotonic() - self.started
        eta = elapsed / done * (total - done) if done else 0.0
        line = (f"rendering: {100 * done // total:3d} % ({done}/{total} frames, "
                f"{elapsed:.0f} s, about {eta:.0f} s left)")
        end = "\n" if (done == total or not self.tty) else ""
        print(("\r" if self.tty else "") + line, end=end, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from frontdesk.config import load_camera_config
    from frontdesk.render.clip import render_clip
    from frontdesk.render.demo_scene import DEMO_SCENE_NAME, DEMO_SCENE_YAML, demo_scene_dict
    from frontdesk.render.scene_file import render_scene_from_dict
    from frontdesk.yaml_io import load_yaml

    if args.print_demo:
        sys.stdout.write(DEMO_SCENE_YAML)
        return 0
    if not args.scene or not args.out:
        raise FrontdeskError("render-scene: give a SCENE file (or 'demo') and --out CLIP.mp4")
    if args.scene == "demo":
        data, name = demo_scene_dict(), DEMO_SCENE_NAME
    else:
        path = Path(args.scene)
        data, name = load_yaml(path, "scene file"), path.name
    if isinstance(data, dict) and (args.size or args.fps):
        render = dict(data.get("render") or {})
        if args.size:
            render["size"] = list(_size(args.size))
        if args.fps:
            render["fps"] = float(args.fps)
        data["render"] = render
    rs = render_scene_from_dict(data, name)
    if rs.scene.cameras:
        return _run_cameras(args, rs)
    config = load_camera_config(args.config, args.camera) if args.config else None
    result = render_clip(rs, args.out, config, progress=_Progress(args.json))
    out: dict = {
        "clip": str(result.files.video), "truth": str(result.files.truth),
        "config": str(result.files.config), "frames": result.frames,
        "size": list(result.size), "fps": result.fps, "render_s": round(result.seconds, 1),
        "visits": [
            {k: v.to_json()[k] for k in ("person", "arrival_t", "ack_t", "latency_s",
                                         "outcome", "alert")}
            for v in result.truth.visits
        ],
    }
    if args.eval:
        from frontdesk.render.evaluate import evaluate_clip, format_figures

        figures = evaluate_clip(result.files.video, observations_out=args.observations)
        figures.pop("details")
        out["eval"] = figures
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"wrote {out['clip']} ({out['frames']} frames {result.size[0]}x{result.size[1]} at "
          f"{result.fps:g} fps, {out['render_s']} s), {out['truth']}, {out['config']}")
    for v in out["visits"]:
        lat = "-" if v["latency_s"] is None else f"{v['latency_s']:+.2f} s"
        print(f"  {v['person']:<10} arrival {v['arrival_t']}  ack {v['ack_t']}  latency {lat}  "
              f"{v['outcome']}{'  alert' if v['alert'] else ''}")
    if args.eval:
        print(format_figures(out["eval"]))
    return 0


def _run_cameras(args: argparse.Namespace, rs: RenderScene) -> int:
    """A scene listing ``cameras:``: one clip and config per camera in the folder --out."""
    from pathlib import Path

    from frontdesk.render.clip import render_cameras

    out_dir = Path(args.out)
    if out_dir.suffix.lower() in (".mp4", ".avi", ".mkv"):
        raise FrontdeskError(f"{rs.name} lists cameras: --out is a folder (one clip per "
                             f"camera), got {args.out}")
    if args.config:
        raise FrontdeskError(f"{rs.name} lists cameras: each camera's config is made from the "
                             f"scene (zones through that camera); --config is not used")
    if args.observations:
        raise FrontdeskError(f"{rs.name} lists cameras: --observations writes one camera's; "
                             f"write each camera's with frontdesk eval --video "
                             f"{out_dir}/ID.mp4 --truth {out_dir}/truth.json "
                             f"--save-observations FILE")
    result = render_cameras(rs, out_dir, progress=_Progress(args.json))
    clips = {cid: str(f.video) for cid, f in result.clips.items()}
    configs = {cid: str(f.config) for cid, f in result.clips.items()}
    out = {
        "clips": clips, "configs": configs,
        "truth": str(result.truth_path), "frames": result.frames,
        "render_s": round(result.seconds, 1),
        "visits": [{k: v.to_json()[k] for k in ("person", "arrival_t", "ack_t", "latency_s",
                                                "outcome", "alert")}
                   for v in result.truth.visits],
    }
    if args.eval:
        from frontdesk.render.evaluate import evaluate_camera_clips

        fused_figures = evaluate_camera_clips(dict(clips), result.truth_path)
        fused_figures.pop("details")
        out["eval"] = fused_figures
    if args.json:
        print(json.dumps(out))
        return 0
    for cid, clip in clips.items():
        print(f"wrote {clip} and {configs[cid]}")
    print(f"wrote {out['truth']} (what the cameras see together, judged through camera "
          f"{rs.scene.cameras[0].id}), {out['frames']} frames each, {out['render_s']} s")
    if args.eval:
        from frontdesk.render.evaluate import format_figures

        print(f"fused cameras {', '.join(clips)}:")
        print(format_figures(fused_figures))
    return 0

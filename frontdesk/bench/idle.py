"""``frontdesk bench idle``: CPU per camera on paced footage, gating off against on.

Three clips are rendered on first use (1280 x 720 at 15 fps, ``--seconds`` long,
cached in ``$FRONTDESK_DATA_DIR/bench-idle``): **empty**, a counter with nobody
there; **staff**, one member of staff alone at the till, glancing about; **busy**,
staff and four customers coming and going. Each clip is played through the frame
pipeline (decode, perception, presence, tracking and the engine: what ``run``
does per frame, minus the sinks) paced at its own frame rate, as a live camera
delivers it (``run --realtime``), once with ``perception.gating`` off and once on,
in the same run; which goes first alternates from clip to clip.

The figure is the process's CPU time (all threads) over the clip's duration, as a
percentage of one core: what one camera of this kind costs the box. The process is
pinned to one core (the least busy, or ``--cpu``), so MediaPipe's threads count on
that core. Beside them, the **floor**: the first clip decoded, paced, with no
pipeline at all (what a camera costs before any perception), as the source
delivers it (with PyAV, frames left in YUV, as an idle frame is), and the same
with each frame converted to BGR (``decode_bgr``: what every frame cost with
OpenCV's reader, and what a frame that needs colour costs). ``late_frames``
counts frames the pipeline finished after the next was due: above zero the core
could not keep up and the figure is a floor.

With ``--steps``, the staff clip is also played unpaced (frames decoded first,
decoding left out) once per step of gated perception, each adding one saving to
the last (:data:`STEPS`), twice in turn: CPU milliseconds a frame, and what the
gate decided.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from frontdesk.bench.cpu import add_output_and_pinning_args

__all__ = ["register", "run", "IdleBenchResult", "run_idle_bench", "idle_scene", "SCENES",
           "STEPS", "gating_steps"]

log = logging.getLogger(__name__)

FOOTAGE_VERSION = 1
"""Bump when the scenes below change, so cached clips are rendered again."""
SIZE = (1280, 720)
FPS = 15
SCENES = ("empty", "staff", "busy")
GOALS_PCT = {"empty": 5.0, "staff": 15.0}
"""The issue's ceilings (issue 19) for gating on, in % of one core."""
STEPS: dict[str, dict[str, Any] | None] = {
    "gating off": None,
    "gate, every frame fully (fourth session)": {
        "staff_every_s": 0.0, "mesh_staff_alone": True, "tiles_every_s": 0.0},
    "+ tiles only for small, missed or new faces": {
        "staff_every_s": 0.0, "mesh_staff_alone": True, "tiles_every_s": 2.0},
    "+ no Face Mesh for staff alone": {
        "staff_every_s": 0.0, "mesh_staff_alone": False, "tiles_every_s": 2.0},
    "+ staff alone once in 0.2 s (the defaults)": {},
}
"""``--steps``: gated perception built up one saving at a time (``perception.gating``
settings over the clip's own; None: gating off)."""


def register(targets: argparse._SubParsersAction) -> None:
    p = targets.add_parser(
        "idle",
        help="CPU per camera on paced 15 fps footage (empty, staff alone, busy), gating off "
        "against on",
    )
    p.add_argument("--seconds", type=_seconds, default=20.0, metavar="S",
                   help="length of each clip (20 to 600, default 20; each is played twice, paced)")
    p.add_argument("--idle-every-s", type=_keep_alive, default=None, metavar="S",
                   help="perception.gating.idle_every_s for the gated runs (default: the "
                   "config's default)")
    p.add_argument("--scenes", default=",".join(SCENES),
                   help=f"comma-separated scenes to measure (default {','.join(SCENES)})")
    p.add_argument("--decoder", choices=("auto", "pyav", "opencv"), default=None,
                   help="camera.decoder for the clips (default: the config's, auto)")
    p.add_argument("--steps", action="store_true",
                   help="also play the staff clip unpaced once per step of gated perception "
                   "(each adds one saving), CPU ms a frame without decoding")
    add_output_and_pinning_args(p)
    p.set_defaults(func=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and 20.0 <= value <= 600.0):
        raise argparse.ArgumentTypeError(f"must be between 20 and 600 seconds, got {text}")
    return value


def _keep_alive(text: str) -> float:
    from pydantic import ValidationError

    from frontdesk.config import GatingConfig

    try:
        return GatingConfig.model_validate({"idle_every_s": text}).idle_every_s
    except ValidationError:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds from 0.1 to 30, got {text!r}") from None


# ---------------------------------------------------------------------- footage


def idle_scene(name: str, seconds: float) -> dict[str, Any]:
    """The scene file (as a dict) of clip ``name``: empty, staff or busy."""
    d = seconds
    staff: dict[str, Any] = {"id": "anna", "role": "staff",
             "path": [{"t": 0, "at": "staff"}, {"t": d, "at": "staff"}],
             "gaze": [{"t": 0, "till": True}, {"t": d * 0.3, "heading": -120, "turn_s": 0.5},
                      {"t": d * 0.3 + 1.5, "till": True, "turn_s": 0.5},
                      {"t": d * 0.7, "camera": True, "turn_s": 0.5},
                      {"t": d * 0.7 + 1.0, "till": True, "turn_s": 0.5}]}
    if name == "empty":
        # A scene needs someone: she comes into view on the last frame only.
        people: list[dict[str, Any]] = [{"id": "zoe", "role": "customer",
                   "path": [{"t": d - 0.01, "at": [-4.5, 0.64, 1.62]},
                            {"t": d, "at": [-4.5, 0.64, 1.62]}],
                   "gaze": [{"t": d - 0.01, "walk": True}]}]
    elif name == "staff":
        people = [staff]
    elif name == "busy":
        people = [staff] + [_customer(f"c{i}", start, d) for i, start in
                            enumerate((0.0, d * 0.2, d * 0.4, d * 0.6))]
    else:
        raise ValueError(f"unknown scene {name!r}")
    return {"render": {"size": list(SIZE), "fps": FPS, "seed": 5}, "duration_s": d,
            "people": people}


def _customer(pid: str, start: float, d: float) -> dict[str, Any]:
    """A customer who walks up, waits at the counter (0.15 of the clip) and leaves
    (within the clip when it is at least 20 s long)."""
    arrive = start + 2.5
    leave = arrive + 0.15 * d
    path = [{"t": start, "at": [-4.2, 0.64, 1.64]}, {"t": start + 2.0, "at": [-0.6, 0.62, 1.64]},
            {"t": arrive, "at": "service"}, {"t": leave, "at": "service"},
            {"t": leave + 1.5, "at": [-0.2, 2.4, 1.64]}]
    return {"id": pid, "role": "customer", "z": 1.64, "path": path,
            "gaze": [{"t": start, "walk": True},
                     {"t": arrive, "person": "anna", "turn_s": 0.4},
                     {"t": leave, "walk": True, "turn_s": 0.4}]}


def footage(name: str, seconds: float) -> Path:
    """Clip ``name``, rendered on first use and cached in the data directory."""
    from frontdesk.demo_footage import data_dir
    from frontdesk.render.clip import clip_files, render_clip
    from frontdesk.render.scene_file import render_scene_from_dict

    path = data_dir() / "bench-idle" / f"{name}-{seconds:g}s.v{FOOTAGE_VERSION}.mp4"
    if path.is_file() and clip_files(path).config.is_file():
        return path
    log.info("rendering %s (first use)", path)
    render_clip(render_scene_from_dict(idle_scene(name, seconds), f"idle-{name}"), path)
    return path


# ---------------------------------------------------------------------- measuring


@dataclass
class IdleRun:
    """One clip played once, paced (CPU as % of one core over the clip's duration)."""

    gating: bool
    frames: int
    seconds: float
    cpu_s: float
    cpu_pct: float
    late_frames: int
    faces_per_frame: float
    events: int
    gate: dict[str, int] | None = None
    decoder: str = ""
    """Which decoder read the clip ("pyav" or "opencv"; the floors only)."""


@dataclass
class IdleBenchResult:
    size: tuple[int, int]
    fps: int
    clip_s: float
    cpu: int | None
    load_average: float | None
    detector_period_s: float
    decode_only: IdleRun | None = None
    decode_bgr: IdleRun | None = None
    decoder: str = ""
    scenes: dict[str, dict[str, IdleRun]] = field(default_factory=dict)
    goals: dict[str, bool] = field(default_factory=dict)
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        rows = [r for runs in out["scenes"].values() for r in runs.values()]
        floors = [out[k] for k in ("decode_only", "decode_bgr") if out[k]]
        for r in rows + floors:
            for k, v in r.items():
                if isinstance(v, float):
                    r[k] = round(v, 3)
        return out


def decode_paced(clip: Path, bgr: bool = False, decoder: str | None = None) -> IdleRun:
    """Decode ``clip`` at its frame rate and do nothing else: the floor. ``bgr``: ask
    each frame for its BGR image (a frame kept in YUV is converted)."""
    from frontdesk.capture import open_source

    frames, first_t, last_t = 0, 0.0, 0.0
    camera = _gated_config(clip, None, decoder).camera
    with open_source(str(clip), camera, realtime=True) as source:
        c0 = time.process_time()
        for frame in source:
            first_t = frame.t if frames == 0 else first_t
            last_t = frame.t
            frames += 1
            if bgr:
                frame.image  # noqa: B018 (the conversion is what is measured)
        cpu_s = time.process_time() - c0
        name = getattr(source, "decoder_name", "")
    seconds = last_t - first_t + 1.0 / FPS
    return IdleRun(False, frames, seconds, cpu_s, 100.0 * cpu_s / seconds, 0, 0.0, 0,
                   decoder=name)


def play_paced(clip: Path, gating: bool, idle_every_s: float | None = None,
               decoder: str | None = None) -> IdleRun:
    """Play ``clip`` at its frame rate through the pipeline; its CPU cost."""
    from frontdesk.capture import open_source
    from frontdesk.pipeline import FramePipeline

    keep_alive = {} if idle_every_s is None else {"idle_every_s": idle_every_s}
    config = _gated_config(clip, keep_alive if gating else None, decoder)
    frames = faces = events = late = 0
    first_t = last_t = 0.0
    with FramePipeline(config) as pipeline:
        with open_source(str(clip), config.camera, realtime=True) as source:
            c0, w0 = time.process_time(), time.monotonic()
            for frame in source:
                step = pipeline.step(frame)
                if frames == 0:
                    first_t = frame.t
                last_t = frame.t
                frames += 1
                faces += len(step.observation.faces)
                events += len(step.events)
                if time.monotonic() - w0 > (frame.t - first_t) + 1.0 / FPS:
                    late += 1
            cpu_s = time.process_time() - c0
        stats = None if pipeline.gate is None else pipeline.gate.stats.to_json()
    seconds = last_t - first_t + 1.0 / FPS
    return IdleRun(gating, frames, seconds, cpu_s, 100.0 * cpu_s / seconds, late,
                   faces / max(frames, 1), events, stats)


def _gated_config(clip: Path, gating: dict[str, Any] | None, decoder: str | None = None) -> Any:
    """The clip's own config with ``perception.gating`` set (None: off) and
    ``camera.decoder`` (None: the config's)."""
    from frontdesk.config import load_config
    from frontdesk.render.clip import clip_files

    config = load_config(clip_files(clip).config)
    update = {"enabled": gating is not None, **(gating or {})}
    perception = config.perception.model_copy(update={
        "gating": config.perception.gating.model_copy(update=update)})
    camera = config.camera if decoder is None else \
        config.camera.model_copy(update={"decoder": decoder})
    return config.model_copy(update={"perception": perception, "camera": camera})


def gating_steps(clip: Path, repeats: int = 2) -> dict[str, dict[str, Any]]:
    """Each of :data:`STEPS` on ``clip``, unpaced, ``repeats`` times in turn: CPU ms a
    frame (the first frame, which loads the tracker, left out; decoding too) and the
    gate's decisions."""
    from frontdesk.capture import open_source
    from frontdesk.pipeline import FramePipeline

    with open_source(str(clip), _gated_config(clip, None).camera) as source:
        frames = list(source)
    out: dict[str, dict[str, Any]] = {name: {"ms_per_frame": []} for name in STEPS}
    for _ in range(repeats):
        for name, gating in STEPS.items():
            with FramePipeline(_gated_config(clip, gating)) as pipeline:
                pipeline.step(frames[0])
                c0 = time.process_time()
                for frame in frames[1:]:
                    pipeline.step(frame)
                ms = 1000.0 * (time.process_time() - c0) / max(len(frames) - 1, 1)
                out[name]["ms_per_frame"].append(round(ms, 2))
                out[name]["gate"] = None if pipeline.gate is None else \
                    pipeline.gate.stats.to_json()
    return out


def run_idle_bench(seconds: float, scenes: list[str], pin: bool = True,
                   cpu: int | None = None, idle_every_s: float | None = None,
                   steps: bool = False, decoder: str | None = None) -> IdleBenchResult:
    from frontdesk.bench.cpu import least_busy_cpu, pin_to_cpu
    from frontdesk.config import GatingConfig

    names = scenes + (["staff"] if steps and "staff" not in scenes else [])
    clips = {name: footage(name, seconds) for name in names}  # before pinning and timing
    pinned: int | None = None
    if pin:
        core = least_busy_cpu() if cpu is None else cpu
        if pin_to_cpu(core):
            pinned = core
    result = IdleBenchResult(SIZE, FPS, seconds, pinned,
                             os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
                             idle_every_s or GatingConfig().idle_every_s)
    result.decode_only = decode_paced(clips[scenes[0]], decoder=decoder)
    result.decode_bgr = decode_paced(clips[scenes[0]], bgr=True, decoder=decoder)
    result.decoder = result.decode_only.decoder
    for i, name in enumerate(scenes):
        order = (False, True) if i % 2 == 0 else (True, False)
        runs = {on: play_paced(clips[name], on, idle_every_s, decoder) for on in order}
        result.scenes[name] = {"off": runs[False], "on": runs[True]}
    for name, ceiling in GOALS_PCT.items():
        if name in result.scenes:
            result.goals[f"{name} <= {ceiling:g} % of a core (gating on)"] = \
                result.scenes[name]["on"].cpu_pct <= ceiling
    if "busy" in result.scenes:
        busy = result.scenes["busy"]
        result.goals["busy: gating on no dearer than off (within 5 %)"] = \
            busy["on"].cpu_pct <= busy["off"].cpu_pct * 1.05
    if steps:
        result.steps = gating_steps(clips["staff"])
    return result


def format_result(r: IdleBenchResult) -> str:
    core = f"pinned to core {r.cpu}" if r.cpu is not None else "not pinned"
    if r.load_average is not None:
        core += f", load average {r.load_average:.1f}"
    lines = [f"idle benchmark: {r.size[0]}x{r.size[1]} at {r.fps} fps, paced, {r.clip_s:g} s "
             f"a clip, {core}; keep-alive {r.detector_period_s:g} s",
             f"  {'scene':<7} {'gating off':>12} {'gating on':>12} {'on/off':>7}  "
             f"{'skipped':>8}  late off/on"]
    for name, runs in r.scenes.items():
        off, on = runs["off"], runs["on"]
        skipped = on.gate["skipped"] / max(on.frames, 1) if on.gate else 0.0
        lines.append(f"  {name:<7} {off.cpu_pct:10.1f} % {on.cpu_pct:10.1f} % "
                     f"{on.cpu_pct / max(off.cpu_pct, 1e-9):7.2f}  {100 * skipped:6.0f} %  "
                     f"{off.late_frames}/{on.late_frames}")
    if r.decode_only is not None:
        bgr = "" if r.decode_bgr is None else \
            f", with each frame converted to BGR {r.decode_bgr.cpu_pct:.1f} %"
        lines.append(f"  floor: decoding alone ({r.decoder}) {r.decode_only.cpu_pct:.1f} %{bgr}")
    for goal, ok in r.goals.items():
        lines.append(f"  goal {goal:<50} {'met' if ok else 'NOT met'}")
    if r.steps:
        lines.append(f"  steps on the staff clip, unpaced, CPU ms a frame without decoding "
                     f"(% of a core at {r.fps} fps):")
        for name, step in r.steps.items():
            ms = step["ms_per_frame"]
            pct = ", ".join(f"{m * r.fps / 10.0:.1f} %" for m in ms)
            lines.append(f"    {name:<45} {', '.join(f'{m:.2f}' for m in ms)} ms ({pct})")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from frontdesk.errors import FrontdeskError

    scenes = [s.strip() for s in args.scenes.split(",") if s.strip()]
    unknown = [s for s in scenes if s not in SCENES]
    if unknown or not scenes:
        raise FrontdeskError(f"bench idle: --scenes takes some of {', '.join(SCENES)}; got "
                             f"{args.scenes!r}")
    result = run_idle_bench(args.seconds, scenes, pin=not args.no_pin, cpu=args.cpu,
                            idle_every_s=args.idle_every_s, steps=args.steps,
                            decoder=args.decoder)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json()) + "\n")
    else:
        sys.stdout.write(format_result(result) + "\n")
    return 0

"""``frontdesk bench chain``: the whole chain's speed on the demo clip, against bare MediaPipe.

The chain is what ``frontdesk run`` does per frame, minus the side effects
(store, MQTT, web): decode the next frame of the demo clip (1280 x 720, 15 fps,
rendered on first use: :mod:`frontdesk.demo_footage`), perception
(detection, crops, Face Mesh, pose, gaze, distance) and the engine (tracking,
zones, roles, eye contact, visits), both through the frame pipeline that ``run``
uses (:class:`~frontdesk.pipeline.FramePipeline`: ``perceive`` and ``update``,
timed apart), with ``perception.gating`` off (every frame perceived, like the
baseline; ``bench idle`` measures the gate). The cost of the staff context
(docs/engine.md, "Staff context") is measured in the same run: a second engine
without it takes every observation too, in alternating order with the
pipeline's, and ``context_ratio`` is the chain with the context over the chain
without it (the same perception plus each engine).

The baseline is bare MediaPipe on the same frames: the full-range detector on
the RGB frame and on the square windows the perceiver runs on that frame (its
frame-high tiles in turn, and the small-face windows over the approach zone,
``perception.approach_zoom``), and
Face Mesh on each face's crop (the crops the perceiver
uses, prepared outside the timing by a detector of its own). Which of the two
runs first alternates from frame to frame, so load from other processes hits
both alike.

By default the process is pinned to the least busy core (all its threads,
MediaPipe's included): the figures are for one core. Wall-clock figures suffer
when other processes share that core; process CPU time (all threads) is
reported beside them: frames per second from CPU time is what the core could do
if it were ours alone.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from frontdesk.bench.cpu import add_output_and_pinning_args, positive_int

if TYPE_CHECKING:
    from frontdesk.engine import Engine
    from frontdesk.pipeline import FramePipeline
    from frontdesk.types import Frame

__all__ = ["register", "run", "ChainBenchResult", "run_chain_bench", "format_result", "GOAL_FPS"]

log = logging.getLogger(__name__)

GOAL_FPS = 25.0
WARMUP_FRAMES = 10


def register(targets: argparse._SubParsersAction) -> None:
    p = targets.add_parser(
        "chain",
        help="decode + perception + engine on the 720p demo clip, against bare MediaPipe",
    )
    p.add_argument("--frames", type=positive_int, default=300, metavar="N",
                   help=f"frames to measure (default 300, after {WARMUP_FRAMES} warm-up frames; "
                   "the clip is replayed if N is longer)")
    p.add_argument("--pose", action="store_true",
                   help="give the pipeline the demo camera's pose (camera.pose), so heads are "
                   "held to head height as on a posed camera")
    add_output_and_pinning_args(p)
    p.set_defaults(func=run)


@dataclass
class ChainBenchResult:
    """What one run measured (milliseconds per frame unless named otherwise)."""

    clip: str
    frames: int
    width: int
    height: int
    cpu: int | None
    load_average: float | None
    faces_per_frame: float
    events: int
    decode_ms: float
    perception_ms: float
    engine_ms: float
    chain_ms: float
    chain_ms_median: float
    chain_ms_min: float
    bare_ms: float
    bare_ms_median: float
    bare_ms_min: float
    ratio: float
    ratio_median: float
    ratio_cpu: float
    engine_no_context_ms: float
    context_ratio: float
    """(perception + engine) / (perception + engine without staff context), same frames."""
    fps: float
    fps_cpu: float
    cpu_ms_per_frame: float
    bare_fps: float
    goals: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}


@dataclass
class _Tally:
    decode: list[float] = field(default_factory=list)
    decode_cpu: list[float] = field(default_factory=list)
    perception: list[float] = field(default_factory=list)
    engine: list[float] = field(default_factory=list)
    engine_plain: list[float] = field(default_factory=list)
    chain_cpu: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    bare_cpu: list[float] = field(default_factory=list)
    faces: int = 0
    events: int = 0

    @property
    def chain(self) -> list[float]:
        return [p + e for p, e in zip(self.perception, self.engine, strict=True)]


def _frames(clip: str, camera: Any) -> Generator[Any, None, None]:
    """The clip's frames, replayed with increasing times for as long as asked."""
    from frontdesk.capture import open_source

    with open_source(clip, camera, loop=True) as source:
        yield from source


def run_chain_bench(frames: int, pin: bool = True, cpu: int | None = None,
                    pose: bool = False) -> ChainBenchResult:
    """Measure ``frames`` frames of the demo clip (after warm-up) and return the figures;
    with ``pose``, the pipeline knows the demo camera's pose (the head-height prior runs)."""
    import cv2

    from frontdesk.bench.cpu import least_busy_cpu, pin_to_cpu
    from frontdesk.bench.perception import bare_graphs, bare_inputs
    from frontdesk.config import Config
    from frontdesk.demo_footage import ensure_demo_clip
    from frontdesk.engine import Engine
    from frontdesk.perception.mediapipe_faces import MESH_DETECTION_CONFIDENCE
    from frontdesk.pipeline import FramePipeline
    from frontdesk.sim.runs import sim_config

    clip = str(ensure_demo_clip("counter"))  # rendered on first use, before any timing
    pinned: int | None = None
    if pin:
        core = least_busy_cpu() if cpu is None else cpu
        if pin_to_cpu(core):
            pinned = core
    from frontdesk.sim.layout import DEFAULT_LAYOUT

    config: Config = (sim_config(camera={"pose": DEFAULT_LAYOUT.camera.config_dict()}) if pose
                      else sim_config())
    # Every frame perceived, every face meshed, as the bare baseline does: gating off
    # (on by default since issue 19's third pass; `bench idle` measures it).
    config = config.model_copy(update={"perception": config.perception.model_copy(update={
        "gating": config.perception.gating.model_copy(update={"enabled": False})})})
    plain = Engine(config, staff_context=False)
    tally = _Tally()
    size = (0, 0)
    with (FramePipeline(config) as pipeline,
          bare_graphs(config.perception.min_detection_confidence,
                      MESH_DETECTION_CONFIDENCE) as (det, mesh, prep)):
        it = _frames(clip, config.camera)
        for i in range(frames + WARMUP_FRAMES):
            if i == WARMUP_FRAMES:
                tally = _Tally()
            c0, t0 = time.process_time(), time.perf_counter()
            frame = next(it)
            frame.image  # noqa: B018 (every frame is perceived here: its BGR counts as decoding)
            tally.decode.append((time.perf_counter() - t0) * 1000.0)
            tally.decode_cpu.append((time.process_time() - c0) * 1000.0)
            size = (frame.width, frame.height)
            rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
            assert pipeline.perceiver is not None
            images, crops = bare_inputs(prep, rgb, config.perception,
                                        pipeline.perceiver.next_windows(*size))
            if i % 2:
                _measure_bare(det, mesh, images, crops, tally)
                _measure_chain(pipeline, frame, tally, plain, plain_first=True)
            else:
                _measure_chain(pipeline, frame, tally, plain, plain_first=False)
                _measure_bare(det, mesh, images, crops, tally)
        it.close()
    return _result(clip, tally, size, pinned)


def _measure_bare(
    det: Any, mesh: Any, images: list[Any], crops: list[Any], tally: _Tally
) -> None:
    from frontdesk.bench.perception import run_bare

    c0, t0 = time.process_time(), time.perf_counter()
    run_bare(det, mesh, images, crops)
    tally.bare.append((time.perf_counter() - t0) * 1000.0)
    tally.bare_cpu.append((time.process_time() - c0) * 1000.0)


def _measure_chain(pipeline: FramePipeline, frame: Frame, tally: _Tally, plain: Engine,
                   plain_first: bool) -> None:
    """The pipeline's perception and engine on the frame (timed, CPU included), and the
    engine without staff context on the same observation, before or after it."""
    c0, t0 = time.process_time(), time.perf_counter()
    obs = pipeline.perceive(frame)
    t1 = time.perf_counter()
    c1 = time.process_time()
    if plain_first:
        tally.engine_plain.append(_time_ms(plain.update, obs))
    c_skip = time.process_time() - c1
    t1b = time.perf_counter()
    events = pipeline.update(obs)
    t2, c2 = time.perf_counter(), time.process_time()
    if not plain_first:
        tally.engine_plain.append(_time_ms(plain.update, obs))
    tally.perception.append((t1 - t0) * 1000.0)
    tally.engine.append((t2 - t1b) * 1000.0)
    tally.chain_cpu.append((c2 - c0 - c_skip) * 1000.0)
    tally.faces += len(obs.faces)
    tally.events += len(events)


def _time_ms(fn: Any, arg: Any) -> float:
    t0 = time.perf_counter()
    fn(arg)
    return (time.perf_counter() - t0) * 1000.0


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def _result(clip: str, t: _Tally, size: tuple[int, int], pinned: int | None) -> ChainBenchResult:
    n = len(t.chain)
    chain, bare = _mean(t.chain), _mean(t.bare)
    decode = _mean(t.decode)
    cpu_ms = _mean(t.decode_cpu) + _mean(t.chain_cpu)
    r = ChainBenchResult(
        clip=clip, frames=n, width=size[0], height=size[1], cpu=pinned,
        load_average=os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        faces_per_frame=t.faces / n, events=t.events, decode_ms=decode,
        perception_ms=_mean(t.perception), engine_ms=_mean(t.engine), chain_ms=chain,
        chain_ms_median=statistics.median(t.chain), chain_ms_min=min(t.chain),
        bare_ms=bare, bare_ms_median=statistics.median(t.bare), bare_ms_min=min(t.bare),
        ratio=chain / bare, ratio_median=statistics.median(t.chain) / statistics.median(t.bare),
        ratio_cpu=sum(t.chain_cpu) / max(sum(t.bare_cpu), 1e-9),
        engine_no_context_ms=_mean(t.engine_plain),
        context_ratio=chain / max(_mean(t.perception) + _mean(t.engine_plain), 1e-9),
        fps=1000.0 / (decode + chain), fps_cpu=1000.0 / cpu_ms if cpu_ms > 0 else 0.0,
        cpu_ms_per_frame=cpu_ms, bare_fps=1000.0 / (decode + bare),
    )
    r.goals = {
        f"fps >= {GOAL_FPS:.0f} (wall clock)": r.fps >= GOAL_FPS,
        f"fps >= {GOAL_FPS:.0f} (CPU time)": r.fps_cpu >= GOAL_FPS,
    }
    return r


def format_result(r: ChainBenchResult) -> str:
    core = f"pinned to core {r.cpu}" if r.cpu is not None else "not pinned"
    if r.load_average is not None:
        core += f", load average {r.load_average:.1f}"
    lines = [
        f"chain benchmark: {r.frames} frames {r.width}x{r.height} of the demo clip, "
        f"{r.faces_per_frame:.2f} faces/frame, {r.events} events, {core}",
        f"  frames per second        {r.fps:7.1f}   (decode + perception + engine, wall clock)",
        f"  frames per second (CPU)  {r.fps_cpu:7.1f}   (from process CPU time)",
        f"  ms per frame             decode {r.decode_ms:.2f}  perception {r.perception_ms:.2f}  "
        f"engine {r.engine_ms:.2f}",
        f"  chain                    {r.chain_ms:7.2f} ms (median {r.chain_ms_median:.2f}, "
        f"min {r.chain_ms_min:.2f})",
        f"  bare MediaPipe           {r.bare_ms:7.2f} ms (median {r.bare_ms_median:.2f}, "
        f"min {r.bare_ms_min:.2f}; {r.bare_fps:.1f} fps with decode)",
        f"  chain / bare MediaPipe   {r.ratio:7.3f}   (median-based {r.ratio_median:.3f}, "
        f"CPU-time {r.ratio_cpu:.3f})",
        f"  staff context            {r.context_ratio:7.3f}   (chain with / without; engine "
        f"{r.engine_ms:.2f} ms against {r.engine_no_context_ms:.2f} ms)",
    ]
    for goal, ok in r.goals.items():
        lines.append(f"  goal {goal:<26} {'met' if ok else 'NOT met'}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    result = run_chain_bench(args.frames, pin=not args.no_pin, cpu=args.cpu, pose=args.pose)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json()) + "\n")
    else:
        sys.stdout.write(format_result(result) + "\n")
    return 0

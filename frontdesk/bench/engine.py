"""``frontdesk bench engine``: frames per second of the acknowledgement engine.

A synthetic counter, built outside the timed region: ``people`` faces always in
view (two staff members behind the counter, the rest customers who come, wait,
are looked at and leave, so visits open and close, gaze runs start and end, and
alerts fire), at 15 frames per second of source time. Two figures:

* **engine**: :meth:`Engine.update_tracks` alone, on precomputed tracks
  (the engine proper: zones, roles, eye contact, visits, counters);
* **engine + tracker**: :meth:`Engine.update` on precomputed observations, which
  also runs the norfair tracker.

The goal is that the engine is never the bottleneck: at least
:data:`GOAL_ENGINE_FPS` frames a second, against perception's tens.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import math
import platform
import time
from typing import Any

import numpy as np

from frontdesk.config import Config, default_config_dict
from frontdesk.types import Face, FrameObservation, TrackedFace

__all__ = ["register", "run", "bench_engine", "synthetic_frames", "GOAL_ENGINE_FPS"]

log = logging.getLogger(__name__)

GOAL_ENGINE_FPS = 10_000.0
FPS = 15.0
WIDTH, HEIGHT, FOCAL_PX = 1280, 720, 640.0
CYCLE_S = 40.0
"""Each customer slot repeats: walk in, wait (looked at now and then), leave."""


def register(targets: argparse._SubParsersAction) -> None:
    p = targets.add_parser("engine", help="frames per second of the acknowledgement engine")
    p.add_argument("--frames", type=int, default=20_000, metavar="N",
                   help="frames to measure (default 20000)")
    p.add_argument("--people", type=int, default=4, metavar="N",
                   help="faces in view (default 4: two staff, two customers)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = bench_engine(frames=args.frames, people=args.people)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"engine:           {result['engine_fps']:>10,.0f} frames/s "
              f"({result['engine_us_per_frame']:.1f} us/frame)")
        print(f"engine + tracker: {result['pipeline_fps']:>10,.0f} frames/s "
              f"({result['pipeline_us_per_frame']:.1f} us/frame)")
        print(f"{result['people']} people, {result['frames']} frames, "
              f"{result['events']} events; goal {GOAL_ENGINE_FPS:,.0f} frames/s: "
              f"{'met' if result['engine_fps'] >= GOAL_ENGINE_FPS else 'NOT met'}")
    return 0 if result["engine_fps"] >= GOAL_ENGINE_FPS else 1


def _config() -> Config:
    return Config.model_validate(default_config_dict())


def _face(p: tuple[float, float, float], gaze: tuple[float, float, float]) -> Face:
    u = FOCAL_PX * p[0] / p[2] + WIDTH / 2
    v = FOCAL_PX * p[1] / p[2] + HEIGHT / 2
    half = 0.08 * FOCAL_PX / p[2]
    return Face(bbox=(u - half, v - half, u + half, v + half), score=0.9, yaw_deg=0.0,
                pitch_deg=0.0, roll_deg=0.0, gaze=np.asarray(gaze, dtype=np.float64),
                head_position_m=np.asarray(p, dtype=np.float64))


def _toward(a: tuple[float, float, float], b: tuple[float, float, float]
            ) -> tuple[float, float, float]:
    d = (b[0] - a[0], b[1] - a[1], b[2] - a[2])
    n = math.sqrt(d[0] ** 2 + d[1] ** 2 + d[2] ** 2)
    return (d[0] / n, d[1] / n, d[2] / n)


def _customer_at(slot: int, t: float) -> tuple[tuple[float, float, float] | None, int]:
    """Head position of customer slot ``slot`` at ``t`` (None between customers) and its visit."""
    phase = (t + slot * CYCLE_S / 3.0) % CYCLE_S
    visit = int((t + slot * CYCLE_S / 3.0) // CYCLE_S)
    x_spot = -0.4 + 0.5 * slot
    if phase < 3.0:  # walking in through the approach zone
        w = phase / 3.0
        return (x_spot + 1.5 * (1 - w), 0.6 - 0.6 * w, 2.0), visit
    if phase < CYCLE_S - 2.0:  # waiting at the counter
        return (x_spot, 0.0, 2.0), visit
    return None, visit


def synthetic_frames(frames: int, people: int = 4) -> list[tuple[float, list[Face], list[int]]]:
    """(t, faces, track ids) per frame: two staff, ``people - 2`` customer slots."""
    staff_at = [(-0.6, -0.9, 2.0), (0.6, -0.9, 2.0)][: max(1, min(2, people))]
    n_customers = max(0, people - len(staff_at))
    out = []
    for i in range(frames):
        t = i / FPS
        customers = [_customer_at(k, t) for k in range(n_customers)]
        faces, ids = [], []
        for j, s in enumerate(staff_at):
            target = customers[(int(t // 7) + j) % len(customers)][0] if customers else None
            looking = target is not None and (t % 7.0) < 1.5
            faces.append(_face(s, _toward(s, target) if looking and target else (0.0, 1.0, 0.0)))
            ids.append(j + 1)
        for k, (p, visit) in enumerate(customers):
            if p is not None:
                faces.append(_face(p, (0.0, 0.0, -1.0)))
                ids.append(100 + 1000 * visit + k)
        out.append((t, faces, ids))
    return out


def _tracks(t: float, faces: list[Face], ids: list[int]) -> list[TrackedFace]:
    return [TrackedFace(track_id=i, face=f, center_norm=(f.center_px[0] / WIDTH,
                                                          f.center_px[1] / HEIGHT),
                        head_position_m=f.head_position_m, age_s=0.0)
            for f, i in zip(faces, ids, strict=True)]


def bench_engine(frames: int = 20_000, people: int = 4) -> dict[str, Any]:
    """Measure the engine on a synthetic counter; returns frames/s and context."""
    from frontdesk.engine import Engine

    if frames < 1 or people < 1:
        raise ValueError(f"frames and people must be at least 1, got {frames} and {people}")
    scene = synthetic_frames(frames, people)
    track_frames = [(t, _tracks(t, faces, ids)) for t, faces, ids in scene]
    observations = [FrameObservation(i, t, WIDTH, HEIGHT, faces)
                    for i, (t, faces, _) in enumerate(scene)]
    counter = itertools.count()
    engine = Engine(_config(), id_factory=lambda: f"{next(counter):x}")
    events = 0
    start = time.perf_counter()
    for t, tracks in track_frames:
        events += len(engine.update_tracks(t, None, tracks, WIDTH, HEIGHT))
    engine_s = time.perf_counter() - start
    pipeline = Engine(_config(), id_factory=lambda: f"{next(counter):x}")
    start = time.perf_counter()
    for obs in observations:
        pipeline.update(obs)
    pipeline_s = time.perf_counter() - start
    return {
        "frames": frames,
        "people": people,
        "events": events,
        "engine_fps": round(frames / engine_s, 1),
        "engine_us_per_frame": round(engine_s / frames * 1e6, 2),
        "pipeline_fps": round(frames / pipeline_s, 1),
        "pipeline_us_per_frame": round(pipeline_s / frames * 1e6, 2),
        "goal_fps": GOAL_ENGINE_FPS,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }

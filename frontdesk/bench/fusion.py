"""What the fusion of two cameras costs (issue 17): two cameras on one counter against
two independent cameras, the same clips in the same run.

    python -m frontdesk.bench.fusion DIR [--repeats 5]

``DIR`` is a folder written by ``frontdesk render-scene SCENE.yaml --out DIR`` for a
scene listing cameras (``<id>.mp4`` and ``<id>.config.yaml`` per camera). CPU time
(``time.process_time``, every thread of the process) of:

* perception: each camera's clip through its own ``FramePipeline.perceive`` (the
  same for both set-ups; measured once per repeat);
* independent: each camera's observations through an engine of its own
  (``FramePipeline.update``), as two cameras of two counters run today;
* fused: the observations merged by capture time, the fusion step
  (``CounterFusion.add``, timed alone) and one engine (``CounterPipeline``).

The figure the issue asks for: (perception + fusion + engine) over (perception +
two engines), minus one. Engine passes are interleaved and repeated; the medians
are reported. Pinned to the least busy core when it can be.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["run_fusion_bench"]


def _perceive(clip: Path, config: Any) -> tuple[list[Any], float]:
    from frontdesk.capture import open_source
    from frontdesk.pipeline import FramePipeline

    observations = []
    with (open_source(str(clip), config.camera) as source,
          FramePipeline(config, engine=False) as pipeline):
        frames = list(source)
        started = time.process_time()
        for frame in frames:
            observations.append(pipeline.perceive(frame))
        cpu = time.process_time() - started
    return observations, cpu


def _independent(configs: dict[str, Any], observations: dict[str, list[Any]]) -> float:
    from frontdesk.pipeline import FramePipeline

    pipes = {cid: FramePipeline(cfg, perceive=False) for cid, cfg in configs.items()}
    started = time.process_time()
    for cid, obs in observations.items():
        for o in obs:
            pipes[cid].update(o)
    return time.process_time() - started


def _fused(configs: dict[str, Any], observations: dict[str, list[Any]]
           ) -> tuple[float, float, int]:
    """(whole CPU s, fusion step CPU s, fused frames)."""
    from frontdesk.fusion import merge_by_capture_time
    from frontdesk.pipeline import CounterPipeline

    pipe = CounterPipeline(configs)
    fusion_s = 0.0
    frames = 0
    primary = next(iter(configs))
    started = time.process_time()
    for cid, obs in merge_by_capture_time(observations, primary=primary):
        a = time.process_time()
        fused = pipe.fuse(cid, obs)
        fusion_s += time.process_time() - a
        if fused is not None:
            frames += 1
            pipe.pipeline.update(fused)
    return time.process_time() - started, fusion_s, frames


def run_fusion_bench(folder: str | Path, repeats: int = 5) -> dict[str, Any]:
    """The figures (see the module docstring), as a dict."""
    from frontdesk.bench.cpu import least_busy_cpu, pin_to_cpu
    from frontdesk.config import load_camera_config

    d = Path(folder)
    clips = sorted(d.glob("*.mp4"))
    if len(clips) < 2:
        raise SystemExit(f"{d}: needs two clips or more (render-scene of a scene with cameras)")
    truth = json.loads((d / "truth.json").read_text(encoding="utf-8"))
    order = truth.get("source", {}).get("cameras") or [c.stem for c in clips]
    configs = {cid: load_camera_config(d / f"{cid}.config.yaml") for cid in order}
    cpu = least_busy_cpu()
    pinned = pin_to_cpu(cpu)
    perception: list[float] = []
    observations: dict[str, list[Any]] = {}
    for _ in range(max(1, repeats // 2)):
        total = 0.0
        for cid in order:
            observations[cid], s = _perceive(d / f"{cid}.mp4", configs[cid])
            total += s
        perception.append(total)
    indep, fused, fusion = [], [], []
    frames = 0
    for _ in range(repeats):
        indep.append(_independent(configs, observations))
        whole, step, frames = _fused(configs, observations)
        fused.append(whole)
        fusion.append(step)
    p, i, f, s = (statistics.median(x) for x in (perception, indep, fused, fusion))
    return {
        "clips": [str(d / f"{cid}.mp4") for cid in order],
        "frames_per_camera": {cid: len(o) for cid, o in observations.items()},
        "fused_frames": frames,
        "pinned_cpu": cpu if pinned else None,
        "repeats": repeats,
        "perception_cpu_s": round(p, 4),
        "independent_engines_cpu_s": round(i, 4),
        "fused_engine_cpu_s": round(f, 4),
        "fusion_step_cpu_s": round(s, 4),
        "fusion_step_ms_per_fused_frame": round(1000 * s / max(frames, 1), 4),
        "two_independent_total_cpu_s": round(p + i, 4),
        "one_counter_total_cpu_s": round(p + f, 4),
        "fusion_added_share": round((p + f) / (p + i) - 1.0, 4),
        "fusion_step_share_of_total": round(s / (p + f), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m frontdesk.bench.fusion",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", help="render-scene output of a scene with cameras")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(run_fusion_bench(args.dir, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

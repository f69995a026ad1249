"""What live fusion costs (issue 17, item 4): two cameras on one counter against two
independent cameras, the same clips, CPU of every process.

    python -m frontdesk.bench.live_fusion DIR [--frames 600] [--repeats 3]

``DIR`` is a folder written by ``frontdesk render-scene SCENE.yaml --out DIR`` for a
scene listing two cameras (``<id>.mp4`` and ``<id>.config.yaml``). Two configs are
written next to it, each with a ``cameras:`` list of both clips:

* independent: each camera its own counter (``counter-1``, ``counter-2``): two
  worker processes, each perceiving and running its own engine (today's
  several cameras);
* fused: both cameras name ``counter-1`` with their poses: a worker per camera
  that perceives and sends its observations, and the counter's worker that
  orders, fuses and runs one engine.

Each set-up is ``frontdesk run -c CONFIG --loop --max-frames N --no-store`` (the
supervisor and its workers; no broker: events stay in the outbox, the same in
both). The CPU time is the supervisor's and every worker's, user + system, from
``os.wait4`` on the supervisor (its reaped workers' times included); each
worker's own from the supervisor's log (its ``os.wait4``). The runs alternate;
the medians are reported, with the share the fused set-up adds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

__all__ = ["run_live_fusion_bench", "write_configs", "scene_cameras_config", "write_config",
           "workers_cpu"]


def scene_cameras_config(clips: Path, *, boxes: tuple[str, ...] = (),
                         separate_counters: bool = False, **sections: Any) -> dict[str, Any]:
    """A ``frontdesk run`` config, as a dict, for a ``render-scene`` folder of a scene
    with two cameras: the first camera's site, perception, tracking and engine
    sections; each camera (in the truth's order, the primary first) reading its clip,
    with its pose and zones from the config render-scene wrote beside it; naming
    the same counters (one fused counter), or with ``separate_counters`` each its
    own (``counter-1``, ``counter-2``: independent cameras); on ``boxes`` (one name
    per camera) when given. ``sections`` (``mqtt``, ``store``, ``fusion``, ...) are
    added as they are."""
    truth = json.loads((clips / "truth.json").read_text(encoding="utf-8"))
    order = truth.get("source", {}).get("cameras") or sorted(p.stem for p in
                                                             clips.glob("*.mp4"))
    if len(order) != 2:
        raise SystemExit(f"{clips}: needs a render-scene folder of two cameras, got {order}")
    loaded = {cid: yaml.safe_load((clips / f"{cid}.config.yaml").read_text()) for cid in order}
    first = loaded[order[0]]
    data: dict[str, Any] = {k: first[k] for k in ("site_id", "perception", "tracking",
                                                   "engine")}
    data["cameras"] = []
    for i, cid in enumerate(order):
        counters = loaded[cid]["counters"]
        if separate_counters:
            counters = [dict(c, id=f"counter-{i + 1}") for c in counters]
        camera = dict(loaded[cid]["camera"], source=str(clips / f"{cid}.mp4"))
        entry: dict[str, Any] = {"id": cid, "camera": camera, "counters": counters}
        if boxes:
            entry["box"] = boxes[i]
        data["cameras"].append(entry)
    data.update(sections)
    return data


def write_config(data: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_configs(clips: Path, folder: Path) -> dict[str, Path]:
    """The two set-ups' config files (see the module docstring)."""
    return {setup: write_config(scene_cameras_config(
        clips, separate_counters=setup == "independent",
        mqtt={"outbox_path": str(folder / f"outbox-{setup}.db")},
        store={"path": str(folder / f"store-{setup}.db")}), folder / f"{setup}.yaml")
        for setup in ("independent", "fused")}


_FINISHED = re.compile(r"(camera|counter) (\S+): worker finished \(exit status 0; "
                       r"[\d.]+ s, ([\d.]+) CPU s")


def workers_cpu(*logs: Path) -> dict[str, float]:
    """Each worker's CPU seconds, from the supervisors' "worker finished" log lines."""
    out: dict[str, float] = {}
    for log in logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        out.update({f"{kind} {name}": float(cpu) for kind, name, cpu in _FINISHED.findall(text)})
    return out


def _run(config: Path, frames: int, log: Path) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "frontdesk", "run", "-c", str(config), "--loop",
           "--max-frames", str(frames), "--no-store"]
    started = time.monotonic()
    with log.open("wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} ended with status {proc.returncode}")
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": time.monotonic() - started,
            "workers": workers_cpu(log)}


def run_live_fusion_bench(clips: str | Path, frames: int = 600, repeats: int = 3
                          ) -> dict[str, Any]:
    """The figures (see the module docstring), as a dict."""
    clips = Path(clips)
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-live-") as tmp:
        configs = write_configs(clips, Path(tmp))
        runs: dict[str, list[dict[str, Any]]] = {"independent": [], "fused": []}
        for _ in range(repeats):
            for setup in ("independent", "fused"):
                runs[setup].append(_run(configs[setup], frames, Path(tmp) / f"{setup}.log"))
    cpu = {k: statistics.median(r["cpu_s"] for r in v) for k, v in runs.items()}
    wall = {k: statistics.median(r["wall_s"] for r in v) for k, v in runs.items()}
    return {
        "clips": sorted(str(p) for p in clips.glob("*.mp4")),
        "frames_per_camera": frames,
        "repeats": repeats,
        "independent_cpu_s": round(cpu["independent"], 3),
        "fused_cpu_s": round(cpu["fused"], 3),
        "independent_cpu_s_all": [round(r["cpu_s"], 3) for r in runs["independent"]],
        "fused_cpu_s_all": [round(r["cpu_s"], 3) for r in runs["fused"]],
        "independent_wall_s": round(wall["independent"], 2),
        "fused_wall_s": round(wall["fused"], 2),
        "fusion_added_share": round(cpu["fused"] / cpu["independent"] - 1.0, 4),
        "workers_cpu_s": {setup: {name: round(statistics.median(
            r["workers"].get(name, float("nan")) for r in v), 3) for name in v[0]["workers"]}
            for setup, v in runs.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m frontdesk.bench.live_fusion",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", help="render-scene output of a scene with two cameras")
    parser.add_argument("--frames", type=int, default=600, help="frames per camera")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(run_live_fusion_bench(args.dir, args.frames, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

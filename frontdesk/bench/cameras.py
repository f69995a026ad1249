"""``frontdesk bench cameras``: CPU and memory per camera with several cameras on one box.

For each camera count N in ``--cameras`` (e.g. ``1,2``) the bench writes a config
with N cameras, each looping the rendered demo clip (real decoding and MediaPipe
perception; or, with ``--observations FILE``, replaying observations, which
measures everything but perception), runs them under the real
:class:`frontdesk.supervisor.Supervisor` (one ``frontdesk run --camera ID``
process per camera, the shared SQLite store, an outbox each, no broker) for
``--seconds``, stops them with SIGTERM and reports per worker:

* **CPU s/frame**: CPU seconds (user + system, all threads, from ``/proc/PID/stat``
  at READY and ``os.wait4`` at exit) spent between READY (models loaded, before
  the first frame) and exit, over the frames processed (the worker's
  ``--summary-json``);
* **fps**: those frames over the wall time from READY to the stop;
* **RSS**: ``VmRSS`` just before the stop, and the peak (``ru_maxrss``).

With ``--mix`` the bench runs instead what issue 19 asks of a box: four cameras of a
typical day's mix (two empty counters, one member of staff alone at the till, a busy
counter: the ``bench idle`` clips, each with its own zones), each paced at its 15 fps
(``run --realtime``) for ``--mix-seconds`` of video, all four at once, first with
gated perception on, then off. The figure is the four workers' CPU from READY to
their exit over the video's duration, as a share of the whole machine (all its
cores); ``kept_pace`` says whether every worker processed every frame no later than
a second behind the video (above that the box could not keep up and the figure is
a floor).

Without ``--mix``, each worker processes its source as fast as it can, so on a machine with fewer
free cores than cameras they share the cores: fps per camera then falls while
CPU per frame should stay. N = 1 in the same run is the baseline; the ratios
against it are what to compare across machines (the absolute figures move
with load on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frontdesk.supervisor import Supervisor, WorkerExit, WorkerState

__all__ = ["register", "run", "bench_cameras", "bench_mix", "MIX"]

log = logging.getLogger(__name__)

MIX = ("empty", "empty", "staff", "busy")
"""``--mix``: the clips of ``bench idle`` a typical day's four cameras show."""
MIX_GOAL_PCT = 50.0
"""Issue 19: four such cameras at most this share of the machine, gating on."""


def _camera_counts(text: str) -> list[int]:
    try:
        counts = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"a comma-separated list of numbers, got {text!r}"
                                         ) from None
    if not counts or any(not 1 <= n <= 16 for n in counts):
        raise argparse.ArgumentTypeError(f"camera counts run from 1 to 16, got {text!r}")
    return counts


def register(targets: argparse._SubParsersAction) -> None:
    p = targets.add_parser("cameras", help="CPU and memory per camera with several cameras")
    p.add_argument("--cameras", type=_camera_counts, default=[1, 2], metavar="N,N",
                   help="camera counts to run, one after the other (default 1,2); the "
                   "1-camera runs are the baseline (1,2,1 brackets against drift)")
    p.add_argument("--seconds", type=float, default=30.0,
                   help="how long each run processes frames after every worker is ready "
                   "(default 30)")
    p.add_argument("--observations", metavar="FILE",
                   help="replay this observations.jsonl in every worker instead of the demo "
                   "clip (no perception: the cost of everything else)")
    p.add_argument("--mix", action="store_true",
                   help="four paced 15 fps cameras of a day's mix (two empty counters, staff "
                   "alone, busy), gating on then off: CPU as a share of the machine")
    p.add_argument("--mix-seconds", type=float, default=30.0, metavar="S",
                   help="with --mix: seconds of video each camera plays (default 30, the "
                   "20 s clips looped)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.mix:
        return _run_mix(args)
    result = bench_cameras(args.cameras, seconds=args.seconds, observations=args.observations)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"source: {result['source']}; {result['seconds']:.0f} s per run; "
          f"{result['cpus']} cores")
    print(f"{'cameras':>7} {'camera':>8} {'frames':>7} {'fps':>6} {'CPU ms/frame':>13} "
          f"{'CPU %':>6} {'RSS MB':>7} {'peak MB':>8}")
    for r in result["runs"]:
        for w in r["workers"]:
            print(f"{r['cameras']:>7} {w['camera']:>8} {w['frames']:>7} {w['fps']:>6.1f} "
                  f"{w['cpu_s_per_frame'] * 1000:>13.1f} {w['cpu_percent']:>6.0f} "
                  f"{w['rss_mb']:>7.0f} {w['peak_rss_mb']:>8.0f}")
        print(f"{r['cameras']:>7} {'mean':>8} {'':>7} {r['fps_mean']:>6.1f} "
              f"{r['cpu_s_per_frame_mean'] * 1000:>13.1f} {'':>6} {r['rss_mb_mean']:>7.0f}   "
              f"fps x{r['fps_ratio']:.2f}, CPU/frame x{r['cpu_per_frame_ratio']:.2f}, "
              f"RSS x{r['rss_ratio']:.2f} vs 1 camera (same run)")
    return 0


def _config(workdir: Path, n: int, source: str) -> Path:
    import yaml

    from frontdesk.config import default_config_dict

    base = default_config_dict()
    counter = base["counters"][0]
    data = {
        "site_id": "bench",
        "cameras": [{"id": f"cam{i + 1}", "camera": {"source": source},
                     "counters": [dict(counter, id=f"counter-{i + 1}")]} for i in range(n)],
        "store": {"path": str(workdir / "visits.db")},
        "mqtt": {"outbox_path": str(workdir / "outbox.db")},
    }
    path = workdir / "frontdesk.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _supervised(config: Path, ids: list[str], extra: dict[str, list[str]]) -> tuple[
        Supervisor, threading.Thread, dict[str, tuple[float, float]],
        dict[str, tuple[float, WorkerExit]], threading.Event]:
    """One ``frontdesk -q run -c CONFIG --camera ID`` worker per camera (``extra``: its
    arguments) under the real supervisor, running in a thread: the supervisor, its
    thread, each camera's READY as (monotonic time, CPU s so far) and exit as
    (monotonic time, :class:`WorkerExit`), filled as they come, and an event set once
    every camera is ready."""
    from frontdesk.supervisor import Supervisor, proc_cpu_s, worker_commands

    ready: dict[str, tuple[float, float]] = {}
    exits: dict[str, tuple[float, WorkerExit]] = {}
    all_ready = threading.Event()

    def on_ready(w: WorkerState) -> None:
        cpu = proc_cpu_s(w.pid) if w.pid is not None else None
        ready[w.camera_id] = (time.monotonic(), cpu or 0.0)
        if len(ready) == len(ids):
            all_ready.set()

    def on_exit(e: WorkerExit) -> None:
        exits[e.camera_id] = (time.monotonic(), e)

    env = dict(os.environ)
    env.setdefault("GLOG_minloglevel", "2")
    sup = Supervisor(worker_commands(str(config), ids, extra, ["-q"]), env=env,
                     on_ready=on_ready, on_exit=on_exit, stop_timeout_s=60.0)
    thread = threading.Thread(target=sup.run, kwargs={"tick_s": 0.05}, daemon=True)
    thread.start()
    return sup, thread, ready, exits, all_ready


def _one_run(n: int, seconds: float, source: str, observations: str | None) -> dict[str, Any]:
    from frontdesk.supervisor import (
        proc_rss_mb,
    )

    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-cameras-") as tmp:
        workdir = Path(tmp)
        config = _config(workdir, n, source)
        ids = [f"cam{i + 1}" for i in range(n)]
        extra = {cid: ["--summary-json", str(workdir / f"{cid}.json"),
                       *(["--observations", observations] if observations else ["--loop"])]
                 for cid in ids}
        sup, thread, ready, exits, all_ready = _supervised(config, ids, extra)
        if not all_ready.wait(180.0):
            sup.stop()
            thread.join(70.0)
            raise RuntimeError(f"{n} camera workers did not all become ready: {exits}")
        # Until the time is up (or every replay ended): the latest RSS of each worker.
        rss: dict[str, float] = {}
        end = time.monotonic() + seconds
        while time.monotonic() < end and thread.is_alive():
            for cid, w in sup.workers.items():
                pid = w.pid
                value = proc_rss_mb(pid) if pid is not None else None
                if value:
                    rss[cid] = value
            time.sleep(0.5)
        stopped = time.monotonic()
        sup.stop()
        thread.join(70.0)
        workers: list[dict[str, Any]] = []
        for cid in ids:
            summary = json.loads((workdir / f"{cid}.json").read_text())
            ready_mono, ready_cpu = ready[cid]
            exit_mono, exit_ = exits[cid]
            frames = max(int(summary["frames"]), 1)
            loop_cpu = exit_.cpu_s - ready_cpu
            wall = min(stopped, exit_mono) - ready_mono
            workers.append({
                "camera": cid, "frames": frames, "fps": round(frames / wall, 2),
                "cpu_s_per_frame": round(loop_cpu / frames, 5),
                "cpu_percent": round(100.0 * loop_cpu / wall, 1),
                "rss_mb": round(rss.get(cid, 0.0), 1),
                "peak_rss_mb": round(exit_.max_rss_mb, 1),
                "exit_status": exit_.returncode,
            })
    return {
        "cameras": n, "workers": workers,
        "fps_mean": round(sum(w["fps"] for w in workers) / n, 2),
        "fps_total": round(sum(w["fps"] for w in workers), 2),
        "cpu_s_per_frame_mean": round(sum(w["cpu_s_per_frame"] for w in workers) / n, 5),
        "rss_mb_mean": round(sum(w["rss_mb"] for w in workers) / n, 1),
    }


def bench_cameras(counts: list[int], seconds: float = 30.0,
                  observations: str | None = None) -> dict[str, Any]:
    """Run each camera count in the order given (1 first when missing): the baseline is
    the mean of the 1-camera runs, so ``1,2,1`` brackets the others against drift."""
    if observations is None:
        from frontdesk.demo_footage import ensure_demo_clip

        source = str(ensure_demo_clip())  # rendered once, before any timing
    else:
        source = "demo://counter"  # unused: --observations replaces the camera
    order = counts if 1 in counts else [1, *counts]
    runs = [_one_run(n, seconds, source, observations) for n in order]
    singles = [r for r in runs if r["cameras"] == 1]

    def base(key: str) -> float:
        return sum(r[key] for r in singles) / len(singles)

    for r in runs:
        r["fps_ratio"] = round(r["fps_mean"] / base("fps_mean"), 3)
        r["cpu_per_frame_ratio"] = round(r["cpu_s_per_frame_mean"]
                                         / base("cpu_s_per_frame_mean"), 3)
        r["rss_ratio"] = round(r["rss_mb_mean"] / base("rss_mb_mean"), 3)
    return {
        "source": observations or "demo clip (looped, real perception)",
        "seconds": seconds, "cpus": len(os.sched_getaffinity(0)) if hasattr(
            os, "sched_getaffinity") else os.cpu_count(),
        "load_before": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "machine": platform.processor() or platform.machine(),
        "runs": runs,
    }


# ---------------------------------------------------------------------- --mix


def _run_mix(args: argparse.Namespace) -> int:
    if not 2.0 <= args.mix_seconds <= 600.0:
        log.error("--mix-seconds must be between 2 and 600, got %g", args.mix_seconds)
        return 2
    result = bench_mix(args.mix_seconds)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"four paced cameras ({', '.join(MIX)}), {result['video_s']:.0f} s of video each; "
          f"{result['cpus']} cores; load before {result['load_before']}")
    for name, r in result["runs"].items():
        per = ", ".join(f"{w['clip']} {w['cpu_pct_of_core']:.1f} %" for w in r["workers"])
        print(f"gating {name:>3}: {r['machine_pct']:5.1f} % of the machine "
              f"({'kept pace' if r['kept_pace'] else 'fell behind'}); per camera: {per}")
    verdict = "met" if result["goal_met"] else "not met"
    print(f"issue 19: at most {MIX_GOAL_PCT:g} % of the machine with gating on: {verdict}")
    return 0


def _mix_config(workdir: Path, gating: bool) -> tuple[Path, list[str]]:
    """A ``cameras:`` config of the :data:`MIX` clips, each with its own zones."""
    import yaml

    from frontdesk.bench.idle import footage
    from frontdesk.render.clip import clip_files

    entries, clips = [], []
    for i, name in enumerate(MIX):
        clip = footage(name, 20.0)
        clips.append(name)
        own = yaml.safe_load(clip_files(clip).config.read_text(encoding="utf-8"))
        perception = own.get("perception", {})
        perception["gating"] = dict(perception.get("gating", {}), enabled=gating)
        entries.append({
            "id": f"cam{i + 1}", "camera": dict(own["camera"], source=str(clip.resolve())),
            "counters": [dict(c, id=f"{c['id']}-{i + 1}") for c in own["counters"]],
            "perception": perception, "tracking": own.get("tracking", {}),
            "engine": own.get("engine", {})})
    data = {"site_id": "bench", "cameras": entries,
            "store": {"path": str(workdir / "visits.db")},
            "mqtt": {"outbox_path": str(workdir / "outbox.db")}}
    path = workdir / "frontdesk.yaml"
    path.write_text(yaml.safe_dump(data))
    return path, clips


def _mix_run(gating: bool, video_s: float, fps: float) -> dict[str, Any]:

    frames = max(int(round(video_s * fps)), 1)
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-mix-") as tmp:
        workdir = Path(tmp)
        config, clips = _mix_config(workdir, gating)
        ids = [f"cam{i + 1}" for i in range(len(MIX))]
        extra = {cid: ["--realtime", "--loop", "--no-store", "--max-frames", str(frames),
                       "--summary-json", str(workdir / f"{cid}.json")] for cid in ids}
        sup, thread, ready, exits, _ = _supervised(config, ids, extra)
        thread.join(video_s * 3 + 240.0)
        if thread.is_alive():
            sup.stop()
            thread.join(70.0)
        workers: list[dict[str, Any]] = []
        for cid, clip in zip(ids, clips, strict=True):
            if cid not in ready or cid not in exits or exits[cid][1].returncode != 0:
                raise RuntimeError(f"camera worker {cid} ({clip}) did not run to its end: "
                                   f"{exits.get(cid)}")
            summary = json.loads((workdir / f"{cid}.json").read_text())
            (ready_mono, ready_cpu), (exit_mono, exit_) = ready[cid], exits[cid]
            cpu_s = exit_.cpu_s - ready_cpu
            wall_s = exit_mono - ready_mono
            workers.append({"camera": cid, "clip": clip, "frames": int(summary["frames"]),
                            "cpu_s": round(cpu_s, 3), "wall_s": round(wall_s, 3),
                            "cpu_pct_of_core": round(100.0 * cpu_s / video_s, 2)})
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    return {"gating": gating, "workers": workers,
            "machine_pct": round(100.0 * sum(w["cpu_s"] for w in workers) / (video_s * cores), 2),
            "kept_pace": all(w["frames"] == frames and w["wall_s"] <= video_s + 1.0
                             for w in workers)}


def bench_mix(video_s: float = 30.0) -> dict[str, Any]:
    """Four paced cameras of :data:`MIX`, ``video_s`` of video each, gating on then off."""
    from frontdesk.bench.idle import FPS, footage

    for name in set(MIX):
        footage(name, 20.0)  # rendered once, before any timing
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    runs = {"on": _mix_run(True, video_s, FPS), "off": _mix_run(False, video_s, FPS)}
    on = runs["on"]
    met = bool(on["kept_pace"]) and float(on["machine_pct"]) <= MIX_GOAL_PCT
    return {
        "video_s": video_s, "fps": FPS,
        "cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else
        os.cpu_count(), "load_before": None if load is None else round(load, 2),
        "machine": platform.processor() or platform.machine(), "runs": runs,
        "goal_pct": MIX_GOAL_PCT,
        "goal_met": met,
    }

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

Each worker processes its source as fast as it can, so on a machine with fewer
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
from typing import Any

__all__ = ["register", "run", "bench_cameras"]

log = logging.getLogger(__name__)


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
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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


def _one_run(n: int, seconds: float, source: str, observations: str | None) -> dict[str, Any]:
    from frontdesk.supervisor import (
        Supervisor,
        WorkerExit,
        WorkerState,
        proc_cpu_s,
        proc_rss_mb,
        worker_commands,
    )

    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-cameras-") as tmp:
        workdir = Path(tmp)
        config = _config(workdir, n, source)
        ids = [f"cam{i + 1}" for i in range(n)]
        extra = {cid: ["--summary-json", str(workdir / f"{cid}.json"),
                       *(["--observations", observations] if observations else ["--loop"])]
                 for cid in ids}
        ready: dict[str, tuple[float, float]] = {}
        exits: dict[str, tuple[float, WorkerExit]] = {}
        all_ready = threading.Event()

        def on_ready(w: WorkerState) -> None:
            cpu = proc_cpu_s(w.pid) if w.pid is not None else None
            ready[w.camera_id] = (time.monotonic(), cpu or 0.0)
            if len(ready) == n:
                all_ready.set()

        def on_exit(e: WorkerExit) -> None:
            exits[e.camera_id] = (time.monotonic(), e)

        env = dict(os.environ)
        env.setdefault("GLOG_minloglevel", "2")
        sup = Supervisor(worker_commands(str(config), ids, extra, ["-q"]), env=env,
                         on_ready=on_ready, on_exit=on_exit, stop_timeout_s=60.0)
        thread = threading.Thread(target=sup.run, kwargs={"tick_s": 0.05}, daemon=True)
        thread.start()
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

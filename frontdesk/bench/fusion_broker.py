"""What the broker path of live fusion costs (issue 17, item 4): the cameras of one
counter on one box (the front camera's observations over the local socket) against
the same cameras as two boxes (the front camera's through a local mosquitto), the
same clips, CPU of every process and each camera's lag.

    python -m frontdesk.bench.fusion_broker DIR [--frames 300] [--repeats 2]
    python -m frontdesk.bench.fusion_broker - --transport 3000

``DIR`` is a ``frontdesk render-scene`` folder of a scene with two cameras (the
first listed is the primary). Both set-ups run ``frontdesk run --loop --realtime
--max-frames N --no-store`` with a local mosquitto as ``mqtt.url`` (the counter
publishes its events in both):

* one box: one supervisor (the counter's worker, a worker per camera);
* two boxes: ``--box desk`` (the counter's worker and the primary camera's) and
  ``--box door`` (the other camera's worker, publishing to the broker), started
  one after the other as two installers' boxes would be.

CPU is user + system of every frontdesk process (``os.wait4`` on each
supervisor: its reaped workers included) and of mosquitto (``/proc``, before and
after). The lag of a camera is the counter's arrival wall time minus the frame's
wall capture time (clips paced at their frame rate: capture is when the frame was
read): perception, sending and ordering queue together; its median and 95th
percentile come from the counter's summary (``fusion.cameras.ID.lag_ms_p50``).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from frontdesk.bench.live_fusion import scene_cameras_config, workers_cpu, write_config

__all__ = ["run_fusion_broker_bench", "write_configs"]


def write_configs(clips: Path, folder: Path, mqtt_url: str) -> dict[str, Path]:
    """The one-box and two-box configs (see the module docstring)."""
    return {setup: write_config(scene_cameras_config(
        clips, boxes=("desk", "door") if setup == "two_boxes" else (),
        mqtt={"url": mqtt_url, "outbox_path": str(folder / f"outbox-{setup}.db")},
        store={"path": str(folder / f"store-{setup}.db")},
        fusion={"socket_dir": str(folder / f"sockets-{setup}")}), folder / f"{setup}.yaml")
        for setup in ("one_box", "two_boxes")}


def _start(config: Path, frames: int, summary: Path, log: Path, *box: str
           ) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "frontdesk", "run", "-c", str(config), *box, "--loop",
           "--realtime", "--max-frames", str(frames), "--no-store", "--summary-json",
           str(summary)]
    env = dict(os.environ)
    env.pop("FRONTDESK_BOX", None)
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log.open("wb"), env=env)


def _wait(proc: subprocess.Popen[bytes]) -> float:
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, proc.args))} ended with status {proc.returncode}")  # type: ignore[arg-type]
    return usage.ru_utime + usage.ru_stime


def _run(configs: dict[str, Path], setup: str, frames: int, folder: Path,
         broker_pid: int) -> dict[str, Any]:
    from frontdesk.supervisor import proc_cpu_s

    summary = folder / f"summary-{setup}.json"
    broker_before = proc_cpu_s(broker_pid) or 0.0
    started = time.monotonic()
    logs = [folder / f"{setup}.log"] if setup == "one_box" else [folder / "desk.log",
                                                                  folder / "door.log"]
    if setup == "one_box":
        cpu = _wait(_start(configs[setup], frames, summary, logs[0]))
    else:
        desk = _start(configs[setup], frames, summary, folder / "desk.log", "--box", "desk")
        sock = folder / f"sockets-{setup}" / "counter-counter-1.sock"
        deadline = time.monotonic() + 60
        while not sock.exists() and time.monotonic() < deadline and desk.poll() is None:
            time.sleep(0.05)
        door = _start(configs[setup], frames, summary, folder / "door.log", "--box", "door")
        cpu = _wait(door) + _wait(desk)
    wall = time.monotonic() - started
    broker_cpu = (proc_cpu_s(broker_pid) or 0.0) - broker_before
    counter = json.loads(Path(f"{summary}.counter-counter-1").read_text(encoding="utf-8"))
    return {"cpu_s": cpu, "broker_cpu_s": broker_cpu, "wall_s": wall,
            "workers": workers_cpu(*logs),
            "frames": counter["frames"], "released_late": counter["fusion"]["released_late"],
            "cameras": counter["fusion"]["cameras"]}


def run_fusion_broker_bench(clips: str | Path, frames: int = 300, repeats: int = 2
                            ) -> dict[str, Any]:
    """The figures (see the module docstring), as a dict."""
    from frontdesk.mqtt.local_broker import MosquittoBroker

    clips = Path(clips)
    runs: dict[str, list[dict[str, Any]]] = {"one_box": [], "two_boxes": []}
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-broker-") as tmp:
        broker = MosquittoBroker(Path(tmp) / "mosquitto")
        broker.start()
        try:
            configs = write_configs(clips, Path(tmp), broker.url)
            for _ in range(repeats):
                for setup in runs:
                    runs[setup].append(_run(configs, setup, frames, Path(tmp),
                                            broker.pid or 0))
        finally:
            broker.stop()

    def median(setup: str, key: str) -> float:
        return round(statistics.median(r[key] for r in runs[setup]), 3)

    def lag(setup: str, camera: str, key: str) -> float:
        return round(statistics.median(r["cameras"][camera].get(key, float("nan"))
                                       for r in runs[setup]), 1)

    cameras = list(runs["one_box"][0]["cameras"])
    return {
        "frames_per_camera": frames, "repeats": repeats,
        **{f"{s}_{k}": median(s, k) for s in runs for k in ("cpu_s", "broker_cpu_s",
                                                             "wall_s", "frames")},
        **{f"{s}_cpu_s_all": [round(r["cpu_s"] + r["broker_cpu_s"], 3) for r in runs[s]]
           for s in runs},
        "released_late": {s: [r["released_late"] for r in runs[s]] for s in runs},
        "workers_cpu_s": {s: {name: round(statistics.median(
            r["workers"].get(name, float("nan")) for r in runs[s]), 2)
            for name in runs[s][0]["workers"]} for s in runs},
        "lag_ms": {s: {c: {"p50": lag(s, c, "lag_ms_p50"), "p95": lag(s, c, "lag_ms_p95")}
                       for c in cameras} for s in runs},
    }


def run_transport_bench(messages: int = 3000, rate_hz: float = 100.0) -> dict[str, Any]:
    """One camera's observations (a typical two-face one) from a sender to the
    counter's receiver in this process, over the local socket and through a local
    mosquitto: one-way latency (monotonic send to arrival in the counter's queue)
    and CPU per message (this process's, plus mosquitto's for the broker)."""
    import numpy as np

    from frontdesk.config import parse_config
    from frontdesk.live_fusion import ObservationReceiver, ObservationSender, encode
    from frontdesk.mqtt.fusion_link import BrokerObservationReceiver, BrokerObservationSender
    from frontdesk.mqtt.local_broker import MosquittoBroker
    from frontdesk.supervisor import proc_cpu_s
    from frontdesk.types import Face, FrameObservation

    face = Face(bbox=(10.0, 20.0, 50.0, 70.0), score=0.9, yaw_deg=5.0, pitch_deg=-3.0,
                roll_deg=1.0, gaze=np.array([0.1, 0.0, -0.99]),
                head_position_m=np.array([0.2, -0.1, 1.5]))
    out: dict[str, Any] = {"messages": messages, "rate_hz": rate_hz}
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-transport-") as tmp:
        broker = MosquittoBroker(Path(tmp) / "mosquitto")
        broker.start()
        pose = {"position_m": [0.0, 0.0, 2.0], "heading_deg": 0, "tilt_down_deg": 5}
        zones = {"service": [[0.6, 0.3], [1, 0.3], [1, 0.9], [0.6, 0.9]],
                 "staff": [[0, 0.3], [0.4, 0.3], [0.4, 0.9], [0, 0.9]]}
        cams = [{"id": c, "box": c, "camera": {"source": "x.mp4", "pose": pose},
                 "counters": [{"id": "c1", "zones": zones}]} for c in ("a", "b")]
        whole = parse_config(json.dumps({"site_id": "bench", "cameras": cams,
                                         "mqtt": {"url": broker.url}}), "bench.yaml")
        try:
            for path in ("socket", "broker"):
                into: queue.Queue[tuple[float, bytes]] = queue.Queue()
                if path == "socket":
                    rx: Any = ObservationReceiver(Path(tmp) / "c.sock", into)
                    tx: Any = ObservationSender(Path(tmp) / "c.sock", "b")
                else:
                    rx = BrokerObservationReceiver(whole.for_camera("a"), "c1", ["b"], into)
                    rx.wait_subscribed(10)
                    tx = BrokerObservationSender(whole.for_camera("b"), "c1")
                    while not tx._connected:
                        time.sleep(0.01)
                cpu0, broker0 = time.process_time(), proc_cpu_s(broker.pid or 0) or 0.0
                sent_at: list[float] = []
                size = 0
                for k in range(messages):
                    obs = FrameObservation(index=k, t=k / rate_hz, width=1280, height=720,
                                           faces=[face, face], wall_time=time.time())
                    sent_at.append(time.monotonic())
                    data = encode("b", obs=obs)
                    size = len(data)
                    tx.send(data)
                    time.sleep(max(0.0, sent_at[0] + (k + 1) / rate_hz - time.monotonic()))
                lat = []
                for k in range(messages):
                    arrived, _ = into.get(timeout=10)
                    lat.append((arrived - sent_at[k]) * 1000)
                cpu = time.process_time() - cpu0
                broker_cpu = (proc_cpu_s(broker.pid or 0) or 0.0) - broker0
                tx.close()
                rx.close()
                lat.sort()
                out[path] = {"bytes": size, "latency_ms_p50": round(lat[len(lat) // 2], 3),
                             "latency_ms_p95": round(lat[int(len(lat) * 0.95)], 3),
                             "latency_ms_max": round(lat[-1], 3),
                             "cpu_ms_per_message": round(cpu * 1000 / messages, 4),
                             "broker_cpu_ms_per_message": round(broker_cpu * 1000 / messages,
                                                                4)}
        finally:
            broker.stop()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m frontdesk.bench.fusion_broker",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", help="render-scene output of a scene with two cameras")
    parser.add_argument("--frames", type=int, default=300, help="frames per camera")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--transport", type=int, metavar="N", default=0,
                        help="instead: N messages over each path in this process "
                        "(latency and CPU per message; DIR unused)")
    args = parser.parse_args(argv)
    if args.transport:
        print(json.dumps(run_transport_bench(args.transport)))
        return 0
    print(json.dumps(run_fusion_broker_bench(args.dir, args.frames, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

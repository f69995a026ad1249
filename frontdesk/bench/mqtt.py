"""``frontdesk bench mqtt``: event latency and throughput through a real broker.

Starts a private mosquitto on a free loopback port and a subscriber in its own
process (as a dashboard or buzzer would be), then measures, with the same
event payloads (``Event.to_json()`` of ``customer_waiting`` events):

* **latency**: from the engine handing an event over (the ``publish_events``
  call) to the subscriber receiving it, one event every ``interval_s``; p50,
  p99 and max. Both processes time with ``time.monotonic()``, one clock for
  the whole machine.
* **throughput**: events per second from the first ``publish_events`` call to
  the last event received (``events_per_s``), and to the broker's last PUBACK
  (``acked_per_s``, which the subscriber's speed does not limit), one event per
  call (the worst case for the outbox: one SQLite transaction each).
* **baseline**: the same two measurements with a bare paho client publishing
  the same payloads at QoS 1 with the same in-flight window and no outbox.
  The ratio is frontdesk's throughput over the bare client's.

The subscriber is a Python paho client; it bounds both end-to-end figures
alike. ``cpu_us_per_event`` (CPU time of the sending process, all its threads,
per event) is the figure least disturbed by other load on the machine, and
``cpu_ratio`` compares frontdesk's with bare paho's.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["register", "run", "bench_mqtt", "GOAL_P99_MS", "GOAL_EVENTS_PER_S"]

log = logging.getLogger(__name__)

GOAL_P99_MS = 20.0
GOAL_EVENTS_PER_S = 2000.0
TOPIC = "frontdesk/bench/counter-1/events"
WINDOW = 32


def register(targets: argparse._SubParsersAction) -> None:
    p = targets.add_parser("mqtt", help="event latency and throughput through a local broker")
    p.add_argument("--latency-events", type=int, default=1000, metavar="N",
                   help="events sent one by one for the latency figures (default 1000)")
    p.add_argument("--throughput-events", type=int, default=10000, metavar="N",
                   help="events sent back to back for the throughput figures (default 10000)")
    p.add_argument("--repeats", type=int, default=3, metavar="N",
                   help="runs of each measurement; figures are medians (default 3)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = bench_mqtt(latency_events=args.latency_events,
                        throughput_events=args.throughput_events, repeats=args.repeats)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(format_result(result))
    return 0


# ---------------------------------------------------------------------- the subscriber process
def _subscriber_main() -> None:
    """Run in a child: subscribe, print READY, record arrivals, print them as JSON."""
    import paho.mqtt.client as mqtt

    host, port, topic, count, timeout_s = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                                           int(sys.argv[4]), float(sys.argv[5]))
    arrivals: dict[str, float] = {}
    done = threading.Event()
    subscribed = threading.Event()

    def on_message(client: Any, userdata: Any, msg: Any) -> None:
        now = time.monotonic()
        event_id = json.loads(msg.payload)["event_id"]
        arrivals.setdefault(event_id, now)
        if len(arrivals) >= count:
            done.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect(host, port, keepalive=60)
    client.subscribe(topic, qos=1)
    client.loop_start()
    subscribed.wait(10)
    print("READY", flush=True)
    done.wait(timeout_s)
    client.disconnect()
    client.loop_stop()
    print(json.dumps(arrivals), flush=True)


class _Subscriber:
    def __init__(self, port: int, count: int, timeout_s: float):
        code = "from frontdesk.bench.mqtt import _subscriber_main; _subscriber_main()"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, "127.0.0.1", str(port), TOPIC, str(count),
             str(timeout_s)],
            stdout=subprocess.PIPE, text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line != "READY":
            self.proc.kill()
            raise RuntimeError(f"the benchmark subscriber did not start ({line!r})")

    def arrivals(self) -> dict[str, float]:
        out, _ = self.proc.communicate(timeout=120)
        data: dict[str, float] = json.loads(out.strip().splitlines()[-1])
        return data


# ---------------------------------------------------------------------- senders
def _events(prefix: str, n: int) -> list[Any]:
    from frontdesk.engine.events import Event, EventType

    now = time.time()
    return [
        Event(type=EventType.CUSTOMER_WAITING, event_id=f"{prefix}{i:07d}", site_id="bench",
              counter_id="counter-1", t=1000.0 + i * 0.01, wall_time=now + i * 0.01,
              visit_id=f"v{i // 4}", track_id=i % 97, first_seen_t=990.0 + i * 0.01,
              arrival_t=995.0 + i * 0.01, waited_s=10.0)
        for i in range(n)
    ]


class _FrontdeskSender:
    name = "frontdesk"

    def __init__(self, port: int, workdir: Path):
        from frontdesk.config import Config, default_config_dict
        from frontdesk.mqtt.publisher import MqttPublisher

        data = default_config_dict(site_id="bench")
        data["mqtt"] = {"url": f"mqtt://127.0.0.1:{port}", "home_assistant": False,
                        "outbox_path": str(workdir / "bench-outbox.db"),
                        "max_inflight": WINDOW, "outbox_max_events": 1_000_000}
        self.pub = MqttPublisher(Config.model_validate(data))
        self.pub.start()
        if not self.pub.wait_connected(10):
            raise RuntimeError("frontdesk's publisher did not connect to the benchmark broker")

    def send(self, event: Any) -> None:
        self.pub.publish_events([event])

    def wait_acked(self) -> None:
        self.pub.wait_idle(60)

    def close(self) -> None:
        self.pub.wait_idle(30)
        self.pub.stop(5)


class _BarePahoSender:
    name = "bare paho"

    def __init__(self, port: int, workdir: Path):
        import paho.mqtt.client as mqtt

        from frontdesk.mqtt.payloads import event_payload

        self._payload = event_payload
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.max_inflight_messages_set(WINDOW)
        self.client.max_queued_messages_set(0)
        connected = threading.Event()
        self.client.on_connect = lambda *a: connected.set()
        self.client.connect("127.0.0.1", port, keepalive=60)
        self.client.loop_start()
        if not connected.wait(10):
            raise RuntimeError("the bare paho client did not connect")
        self._last: Any = None

    def send(self, event: Any) -> None:
        self._last = self.client.publish(TOPIC, self._payload(event), qos=1)

    def wait_acked(self) -> None:
        if self._last is not None:
            self._last.wait_for_publish(timeout=60)

    def close(self) -> None:
        if self._last is not None:
            self._last.wait_for_publish(timeout=30)
        self.client.disconnect()
        self.client.loop_stop()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def _latency(sender_cls: Any, port: int, workdir: Path, n: int, interval_s: float
             ) -> dict[str, float]:
    events = _events(f"{sender_cls.name[0]}l", n)
    sub = _Subscriber(port, n, timeout_s=n * interval_s + 30)
    sender = sender_cls(port, workdir)
    sent: dict[str, float] = {}
    next_t = time.monotonic()
    for event in events:
        now = time.monotonic()
        if next_t > now:
            time.sleep(next_t - now)
        sent[event.event_id] = time.monotonic()
        sender.send(event)
        next_t += interval_s
    arrivals = sub.arrivals()
    sender.close()
    lat_ms = [(arrivals[i] - t) * 1000 for i, t in sent.items() if i in arrivals]
    return {
        "events": n,
        "received": len(lat_ms),
        "p50_ms": round(statistics.median(lat_ms), 3),
        "p99_ms": round(_percentile(lat_ms, 99), 3),
        "max_ms": round(max(lat_ms), 3),
    }


def _throughput(sender_cls: Any, port: int, workdir: Path, n: int) -> dict[str, float]:
    events = _events(f"{sender_cls.name[0]}t", n)
    sub = _Subscriber(port, n, timeout_s=120)
    sender = sender_cls(port, workdir)
    cpu0 = _process_cpu_s()
    t0 = time.monotonic()
    for event in events:
        sender.send(event)
    handed_over_s = time.monotonic() - t0
    sender.wait_acked()
    acked_s = time.monotonic() - t0
    cpu_s = _process_cpu_s() - cpu0
    arrivals = sub.arrivals()
    sender.close()
    last = max(arrivals.values())
    return {
        "events": n,
        "received": len(arrivals),
        "events_per_s": round(len(arrivals) / (last - t0), 1),
        "acked_per_s": round(n / acked_s, 1),
        "hand_over_us_per_event": round(handed_over_s / n * 1e6, 2),
        "cpu_us_per_event": round(cpu_s / n * 1e6, 2),
    }


def _process_cpu_s() -> float:
    """CPU time of this process, all threads (not the broker's nor the subscriber's)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _median_of(runs: list[dict[str, float]]) -> dict[str, Any]:
    keys = [k for k in runs[0] if k not in ("events", "received")]
    out: dict[str, Any] = {"events": runs[0]["events"],
                           "received": min(r["received"] for r in runs)}
    for k in keys:
        out[k] = round(statistics.median(r[k] for r in runs), 3)
    out["runs"] = [r.get("p99_ms", r.get("events_per_s")) for r in runs]
    return out


def bench_mqtt(latency_events: int = 1000, throughput_events: int = 10000,
               interval_s: float = 0.002, repeats: int = 3) -> dict[str, Any]:
    """Run the MQTT benchmark against a private mosquitto; returns the figures.

    frontdesk and bare paho are measured in turn, ``repeats`` times, so that
    load from other processes hits both alike; each figure is the median of
    the runs (``runs`` lists every run's p99 or events/s).

    Keys: ``frontdesk`` and ``bare_paho`` (each with ``latency`` p50/p99/max in
    ms and ``throughput`` events/s), ``throughput_ratio`` (frontdesk over bare
    paho), ``p99_ratio``, the goals and whether they are met.
    """
    from frontdesk.mqtt.local_broker import MosquittoBroker

    senders = (("frontdesk", _FrontdeskSender), ("bare_paho", _BarePahoSender))
    runs: dict[str, dict[str, list[dict[str, float]]]] = {
        key: {"latency": [], "throughput": []} for key, _ in senders
    }
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-mqtt-") as tmp:
        workdir = Path(tmp)
        broker = MosquittoBroker(workdir / "broker")
        broker.start()
        try:
            for _ in range(repeats):
                for key, cls in senders:
                    runs[key]["latency"].append(
                        _latency(cls, broker.port, workdir, latency_events, interval_s))
                    runs[key]["throughput"].append(
                        _throughput(cls, broker.port, workdir, throughput_events))
        finally:
            broker.stop()
    result: dict[str, Any] = {
        key: {kind: _median_of(values) for kind, values in kinds.items()}
        for key, kinds in runs.items()
    }
    ours, bare = result["frontdesk"], result["bare_paho"]
    result["throughput_ratio"] = round(
        ours["throughput"]["events_per_s"] / bare["throughput"]["events_per_s"], 3)
    result["acked_ratio"] = round(
        ours["throughput"]["acked_per_s"] / bare["throughput"]["acked_per_s"], 3)
    result["cpu_ratio"] = round(
        ours["throughput"]["cpu_us_per_event"] / bare["throughput"]["cpu_us_per_event"], 3)
    result["p99_ratio"] = round(ours["latency"]["p99_ms"] / bare["latency"]["p99_ms"], 3)
    result["goals"] = {
        "p99_ms": GOAL_P99_MS,
        "events_per_s": GOAL_EVENTS_PER_S,
        "p99_met": ours["latency"]["p99_ms"] <= GOAL_P99_MS,
        "events_per_s_met": ours["throughput"]["events_per_s"] >= GOAL_EVENTS_PER_S,
    }
    result["settings"] = {"interval_s": interval_s, "max_inflight": WINDOW, "qos": 1,
                          "repeats": repeats, "payload_bytes": len(_payload_example()),
                          "load_average": _load_average()}
    return result


def _load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _payload_example() -> bytes:
    from frontdesk.mqtt.payloads import event_payload

    return event_payload(_events("x", 1)[0])


def format_result(result: dict[str, Any]) -> str:
    lines = []
    for key in ("frontdesk", "bare_paho"):
        lat, thr = result[key]["latency"], result[key]["throughput"]
        lines.append(
            f"{key:10s} latency p50 {lat['p50_ms']:.2f} ms  p99 {lat['p99_ms']:.2f} ms  "
            f"max {lat['max_ms']:.2f} ms   throughput {thr['events_per_s']:.0f} events/s"
        )
    goals = result["goals"]
    lines.append(
        f"throughput ratio (frontdesk / bare paho) {result['throughput_ratio']:.2f}; "
        f"p99 goal <= {goals['p99_ms']:.0f} ms {'met' if goals['p99_met'] else 'NOT met'}; "
        f"throughput goal >= {goals['events_per_s']:.0f}/s "
        f"{'met' if goals['events_per_s_met'] else 'NOT met'}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(json.dumps(bench_mqtt(), indent=2))

"""Issue 15's shared-collector figure (docs/deployment.md, "Security").

    PYTHONPATH=TREE python tests/measure/security_share.py TAKEOVER_S

Collectors a and b in this process and c as ``frontdesk collect --share chain``;
c is killed (SIGKILL), then 150 events are published: how many do a and b store
within 15 s, and when? TAKEOVER_S 3600 shows the share stranded (the behaviour
without a takeover); 1 shows it taken over.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "store"))
from visit_events import local, visit  # noqa: E402

from frontdesk.config import MqttConfig  # noqa: E402
from frontdesk.mqtt.local_broker import MosquittoBroker  # noqa: E402
from frontdesk.store.collector import Collector  # noqa: E402


def main(takeover_s: float) -> None:
    work = Path(tempfile.mkdtemp())
    broker = MosquittoBroker(work / "broker")
    broker.start()

    def member(name: str) -> Collector:
        c = Collector(MqttConfig(url=broker.url), str(work / f"{name}.db"), client_id=name,
                      flush_s=0.1, share_group="chain", takeover_after_s=takeover_s)
        c.start()
        c.wait_subscribed(10)
        threading.Thread(target=c.run, daemon=True).start()
        return c

    a, b = member("collector-a"), member("collector-b")
    mark = broker.log_count()
    doomed = subprocess.Popen(
        [sys.executable, "-m", "frontdesk", "collect", "--mqtt", broker.url, "--db",
         str(work / "c.db"), "--client-id", "collector-c", "--share", "chain",
         "--takeover-after", str(takeover_s)], stderr=subprocess.DEVNULL)
    broker.wait_for_log("as collector-c", 30, since=mark)
    time.sleep(1.5)
    doomed.kill()
    doomed.wait()
    killed = time.monotonic()
    events = []
    for i in range(50):
        s = local("2026-03-10 10:00:00") + 60 * i
        events += visit(f"s{i}", site="shop-3", counter="till-2", first_seen=s, arrival=s + 2,
                        ack=s + 9, left=s + 50)
    sender = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sender.connect("127.0.0.1", broker.port)
    sender.loop_start()
    for ev in events:
        sender.publish("frontdesk/shop-3/till-2/events", json.dumps(ev.to_json()),
                       qos=1).wait_for_publish()
    all_at = None
    while time.monotonic() - killed < 15:
        if all_at is None and a.stats.stored + b.stats.stored == len(events):
            all_at = round(time.monotonic() - killed, 1)
        time.sleep(0.1)
    print(f"9 share (takeover after {takeover_s:g} s): {len(events)} events published after "
          f"collector-c was killed; stored by the live two within 15 s: "
          f"{a.stats.stored + b.stats.stored}; all stored at: {all_at} s; taken over: "
          f"{a.stats.taken_over} ({a.stats.drained} events)")
    for c in (a, b):
        c.stop()
    sender.loop_stop()
    time.sleep(1)
    broker.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)

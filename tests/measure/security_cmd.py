"""Issue 15's command-topic figures (docs/deployment.md, "Security").

    PYTHONPATH=TREE python tests/measure/security_cmd.py

A real mosquitto and frontdesk's publisher: an empty retained ``cmd/ack`` and a
command retained while connected (are they applied?), then 300 payloads of
1,000 ``[`` (how many log lines, at which level?).
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mqtt"))
from mqtt_helpers import make_config  # noqa: E402

from frontdesk.mqtt.local_broker import MosquittoBroker  # noqa: E402
from frontdesk.mqtt.publisher import MqttPublisher  # noqa: E402


class CountLevels(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.counts[record.levelname] = self.counts.get(record.levelname, 0) + 1


def main() -> None:
    counter = CountLevels()
    logging.getLogger().addHandler(counter)
    logging.getLogger().setLevel(logging.INFO)
    work = Path(tempfile.mkdtemp())
    broker = MosquittoBroker(work / "broker")
    broker.start()
    pub = MqttPublisher(make_config(work, broker))
    pub.start()
    pub.wait_connected(5)
    time.sleep(0.3)
    sender = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sender.connect("127.0.0.1", broker.port)
    sender.loop_start()
    topic = "frontdesk/shop-7/counter-1/cmd/ack"
    sender.publish(topic, b"", qos=1, retain=True).wait_for_publish()
    sender.publish(topic, b'{"source":"retained-live"}', qos=1, retain=True).wait_for_publish()
    time.sleep(0.5)
    applied = [(c.kind.value, c.source) for c in pub.pending_commands(timeout_s=1)]
    print("6a empty retained + retained while connected: commands applied:", applied)
    sender.publish(topic, b"", qos=1, retain=True).wait_for_publish()
    counter.counts.clear()
    for _ in range(300):
        sender.publish(topic, b"[" * 1000, qos=1)
    time.sleep(3)
    print("6b 300 payloads of 1000 '[': log lines by level:", counter.counts,
          "ignored counted:", pub.stats.get("commands_ignored"))
    sender.loop_stop()
    pub.stop(1)
    broker.stop()


if __name__ == "__main__":
    main()

"""A frontdesk publisher in its own process, for the last-will test.

Usage: python publisher_process.py BROKER_URL OUTBOX_PATH
Prints READY once connected (availability and alerts published), then waits
to be killed.
"""

from __future__ import annotations

import sys
import threading

from frontdesk.config import Config, default_config_dict
from frontdesk.mqtt.publisher import MqttPublisher


def main() -> int:
    url, outbox = sys.argv[1], sys.argv[2]
    data = default_config_dict(site_id="shop-7")
    data["mqtt"] = {"url": url, "outbox_path": outbox, "keepalive_s": 60}
    pub = MqttPublisher(Config.model_validate(data))
    pub.start()
    if not pub.wait_connected(10):
        print("NOT CONNECTED", flush=True)
        return 1
    print("READY", flush=True)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

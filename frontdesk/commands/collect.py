"""`frontdesk collect`: a chain's counters' MQTT event streams into one database.

    frontdesk collect --mqtt mqtts://broker:8883 --db postgresql://frontdesk@db/frontdesk

Then ``frontdesk report --db postgresql://...`` reports on every site and counter.
"""

from __future__ import annotations

import argparse
import logging
import re
import signal
import socket
from typing import Any

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "collect", help="store many counters' MQTT events in one database (chains)",
        description="Subscribe to PREFIX/+/+/events and PREFIX/+/events (QoS 1, persistent "
        "session, acknowledged after commit) and write every event to the store.")
    p.add_argument("--mqtt", metavar="URL", help="broker, mqtt://HOST:PORT or mqtts://HOST:PORT "
                   "(default: mqtt.url of the config); user, password and TLS files come from "
                   "the config's mqtt section")
    p.add_argument("--db", metavar="URL|PATH",
                   help="postgresql:// URL (or a SQLite path); default: store.path of the config")
    p.add_argument("--config", "-c", metavar="FILE", help="config for the mqtt and store sections")
    p.add_argument("--prefix", help="topic prefix (default: mqtt.topic_prefix, else frontdesk)")
    p.add_argument("--client-id", help="stable MQTT client id (default frontdesk-collector-HOST)")
    p.add_argument("--retention-days", type=int, metavar="N",
                   help="delete visits older than N days (default: store.retention_days, 90)")
    p.add_argument("--batch", type=int, default=500, metavar="N",
                   help="write at most N events per transaction (default 500)")
    p.add_argument("--share", metavar="GROUP",
                   help="share the load with the other collectors started with the same GROUP "
                   "(MQTT 5 shared subscription; each needs its own --client-id)")
    p.add_argument("--takeover-after", type=float, default=60.0, metavar="S",
                   help="with --share: a collector gone this long has its queued share stored "
                   "by a live one and its session ended (default 60)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from frontdesk.config import MqttConfig, StoreConfig, load_config
    from frontdesk.errors import FrontdeskError
    from frontdesk.store.backend import redact_url
    from frontdesk.store.collector import Collector

    config = load_config(args.config) if args.config else None
    mqtt_cfg = config.mqtt if config else MqttConfig.model_validate({})
    url = args.mqtt or mqtt_cfg.url
    if not url:
        raise FrontdeskError("no broker: pass --mqtt URL (or set mqtt.url in the config)")
    try:
        mqtt_cfg = mqtt_cfg.model_copy(update={"url": MqttConfig.model_validate({"url": url}).url})
    except ValueError as exc:
        raise FrontdeskError(f"--mqtt: {exc}") from None
    store_cfg = config.store if config else StoreConfig.model_validate({})
    db = args.db or store_cfg.path
    retention = args.retention_days if args.retention_days is not None else store_cfg.retention_days
    if retention < 1:
        raise FrontdeskError("--retention-days must be at least 1")
    if args.batch < 1:
        raise FrontdeskError("--batch must be at least 1")
    if args.share is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", args.share):
        raise FrontdeskError("--share: a group name of letters, digits, - and _ (at most 64)")
    if args.share is not None and args.client_id and not re.fullmatch(r"[^/+#]{1,128}",
                                                                       args.client_id):
        raise FrontdeskError("--client-id: with --share, no /, + or # (it names a topic level)")
    if args.takeover_after < 1:
        raise FrontdeskError("--takeover-after must be at least 1 second")
    prefix = args.prefix or mqtt_cfg.topic_prefix
    client_id = args.client_id or f"frontdesk-collector-{socket.gethostname()}"
    collector = Collector(mqtt_cfg, db, prefix=prefix, client_id=client_id,
                          batch_size=args.batch, retention_days=retention,
                          share_group=args.share, takeover_after_s=args.takeover_after)

    def on_signal(signum: int, frame: Any) -> None:
        log.info("signal %d: finishing the current batch", signum)
        collector.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    collector.start()
    log.info("collecting %s/+/+/events from %s into %s", prefix, url, redact_url(db))
    stats = collector.run()
    log.info("stopped: %d messages, %d new events, %d duplicates, %d rejected, sites: %s",
             stats.received, stats.stored, stats.duplicates, stats.rejected,
             ", ".join(sorted(stats.sites)) or "none")
    return 0

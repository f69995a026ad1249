"""The chain collector: many counters' MQTT event streams into one store (PostgreSQL).

Subscribes (QoS 1) to ``PREFIX/+/+/events`` (every site's counters) and
``PREFIX/+/events`` (site-wide events), parses each payload (``Event.to_json()``),
and writes them in batches with :meth:`VisitStore.record_events`. Delivery is
at least once end to end:

* the MQTT session is persistent (a fixed client id, ``clean_start`` off, a
  session expiry), so the broker queues events while the collector is away;
* messages are acknowledged to the broker (manual PUBACK) only after the batch
  holding them is committed, so a crash or a database outage loses nothing;
* redelivered or republished events are ignored by ``event_id`` (unique per
  counter: one shop's ids cannot block another's).

Each event is bound to the topic it arrived on: its ``site_id`` (and, on a
counter's topic, its ``counter_id``) must be the topic's, or it is refused. With a
broker ACL that lets each shop write only under its own name (``pattern write
frontdesk/%u/#``, docs/deployment.md) the topic is the shop's login, so no shop
can write as another.

A payload that is not an event, or claims another site or counter than its topic,
is logged (at most 20 lines a minute), counted and acknowledged (dropped): one bad
message must not block the stream behind it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from frontdesk.mqtt.commands import RateLimitedLog
from frontdesk.store.backend import StoreError
from frontdesk.store.visits import VisitStore

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

    from frontdesk.config import MqttConfig
    from frontdesk.engine.events import Event

__all__ = ["Collector", "CollectorStats", "parse_event", "event_filters", "topic_source",
           "bind_to_topic"]

log = logging.getLogger(__name__)

SESSION_EXPIRY_S = 7 * 24 * 3600
"""How long the broker keeps the collector's session (and queues events) while it is away."""


@dataclass
class CollectorStats:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    store_errors: int = 0
    sites: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Item:
    event: Event | None
    mid: int
    qos: int
    generation: int


def event_filters(prefix: str) -> list[str]:
    """Topic filters of every counter's and every site's event stream under ``prefix``."""
    return [f"{prefix}/+/+/events", f"{prefix}/+/events"]


def topic_source(topic: str, prefix: str) -> tuple[str, str | None] | None:
    """(site, counter) of ``PREFIX/SITE/COUNTER/events``, (site, None) of
    ``PREFIX/SITE/events``; None for any other topic."""
    head = prefix + "/"
    if not topic.startswith(head) or not topic.endswith("/events"):
        return None
    parts = topic[len(head):-len("/events")].split("/")
    if len(parts) == 1 and parts[0]:
        return parts[0], None
    if len(parts) == 2 and all(parts):
        return parts[0], parts[1]
    return None


def bind_to_topic(event: Event, topic: str, prefix: str) -> None:
    """ValueError unless ``event`` claims the site (and counter) of the topic it came on."""
    source = topic_source(topic, prefix)
    if source is None:
        raise ValueError("not an event topic")
    site_id, counter_id = source
    if event.site_id != site_id:
        raise ValueError(f"it claims site {event.site_id[:64]!r} on site {site_id!r}'s topic")
    if counter_id is not None and event.counter_id != counter_id:
        raise ValueError(f"it claims counter {event.counter_id[:64]!r} on counter "
                         f"{counter_id!r}'s topic")


_warned_fields: set[str] = set()


def parse_event(payload: bytes) -> Event:
    """An :class:`Event` from a message payload; ValueError when it is not one.

    Fields this version does not know (from a newer frontdesk) are dropped with a
    warning, once per field, rather than losing the whole event.
    """
    from frontdesk.engine.events import Event

    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    names = {f.name for f in dataclasses.fields(Event)}
    unknown = sorted(set(data) - names)
    for name in unknown:
        if name not in _warned_fields:
            _warned_fields.add(name)
            log.warning("events carry a field this collector does not know: %r (ignored)", name)
        del data[name]
    event = Event.from_json(data)
    if not isinstance(event.event_id, str) or not event.event_id:
        raise ValueError("the event has no event_id")
    return event


class Collector:
    """Subscribes to event streams and writes them to a store until :meth:`stop`.

    Args:
        mqtt_config: broker settings (``url`` set); credentials and TLS as for the
            main process.
        db: where to write (a postgresql:// URL, or a SQLite path).
        prefix: the topic prefix (default ``frontdesk``).
        client_id: stable MQTT client id (the persistent session is keyed by it).
        batch_size, flush_s: write when this many events are waiting, or after this
            long.
        retention_days: delete visits older than this (checked daily); None keeps all.
        retry_s: first wait before retrying a failed write (doubling up to 30 s).
    """

    def __init__(self, mqtt_config: MqttConfig, db: str, *, prefix: str = "frontdesk",
                 client_id: str = "frontdesk-collector", batch_size: int = 500,
                 flush_s: float = 0.5, retention_days: int | None = None,
                 retry_s: float = 1.0) -> None:
        self.mqtt_config = mqtt_config
        self.db = db
        self.prefix = prefix
        self.client_id = client_id
        self.batch_size = batch_size
        self.flush_s = flush_s
        self.retention_days = retention_days
        self.retry_s = retry_s
        self.stats = CollectorStats()
        self._drop_log = RateLimitedLog(log)
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._stop = threading.Event()
        self._generation = 0
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._client: mqtt.Client | None = None
        self._store: VisitStore | None = None

    # ------------------------------------------------------------------ MQTT side

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any,
                    props: Any) -> None:
        if rc.is_failure:
            log.warning("broker refused the collector: %s", rc)
            return
        self._generation += 1
        self._connected.set()
        session = getattr(flags, "session_present", False)
        log.info("connected to %s (session %s); subscribing to %s", self.mqtt_config.url,
                 "resumed" if session else "new", ", ".join(event_filters(self.prefix)))
        client.subscribe([(f, 1) for f in event_filters(self.prefix)])

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, rcs: Any,
                      props: Any) -> None:
        failed = [rc for rc in rcs if getattr(rc, "is_failure", False)]
        if failed:
            log.error("the broker refused the subscription: %s", failed)
        else:
            self._subscribed.set()

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        import sys

        from frontdesk.mqtt.client import describe_connect_error
        from frontdesk.mqtt.url import parse_mqtt_url

        exc = sys.exc_info()[1]  # paho calls this inside its ``except OSError``
        broker = parse_mqtt_url(self.mqtt_config.url or "")
        self._drop_log.warning("cannot connect to the broker: %s; retrying", describe_connect_error(
            exc, broker, self.mqtt_config.ca_file))

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any,
                       props: Any) -> None:
        self._connected.clear()
        if not self._stop.is_set():
            log.warning("disconnected from the broker (%s); reconnecting", rc)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        event: Event | None = None
        try:
            parsed = parse_event(bytes(msg.payload))
            bind_to_topic(parsed, msg.topic, self.prefix)
            event = parsed
        except Exception as exc:  # ValueError; anything else is dropped the same way
            self._drop_log.warning("dropping a message on %r: %s", msg.topic[:200],
                                   str(exc)[:300])
        self._queue.put(_Item(event, msg.mid, msg.qos, self._generation))

    def _make_client(self) -> mqtt.Client:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        from frontdesk.mqtt.client import make_client

        cfg = self.mqtt_config.model_copy(update={"protocol": "5"})
        client, broker = make_client(cfg, self.client_id)
        client.manual_ack_set(True)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        client.connect_async(broker.host, broker.port, keepalive=cfg.keepalive_s,
                             clean_start=False, properties=props)
        return client

    # ------------------------------------------------------------------ store side

    def _open_store(self) -> VisitStore:
        return VisitStore.open(self.db, retention_days=self.retention_days)

    def _write(self, items: list[_Item]) -> bool:
        """Commit the batch; True when done (then its messages may be acknowledged)."""
        events = [it.event for it in items if it.event is not None]
        if events:
            if self._store is None:
                self._store = self._open_store()
            new = self._store.record_events(events)
            unique = len({e.event_id for e in events})
            self.stats.stored += new
            self.stats.duplicates += len(events) - new
            self.stats.sites.update(e.site_id for e in events)
            log.debug("stored %d new of %d events (%d distinct)", new, len(events), unique)
        self.stats.batches += 1
        self.stats.received += len(items)
        self.stats.rejected += sum(1 for it in items if it.event is None)
        return True

    def _ack(self, items: list[_Item]) -> None:
        client = self._client
        if client is None:
            return
        for it in items:
            # A message from an earlier connection is redelivered on this one if its
            # session survived; its old packet id means nothing now.
            if it.qos > 0 and it.generation == self._generation:
                client.ack(it.mid, it.qos)

    def _next_batch(self) -> list[_Item]:
        items: list[_Item] = []
        deadline = time.monotonic() + self.flush_s
        while len(items) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                items.append(self._queue.get(timeout=min(remaining, 0.1)))
            except queue.Empty:
                if self._stop.is_set():
                    break
        return items

    # ------------------------------------------------------------------ running

    def start(self) -> None:
        """Open the store (failing early if it cannot) and connect to the broker."""
        self._store = self._open_store()
        self._client = self._make_client()
        self._client.loop_start()

    def wait_subscribed(self, timeout_s: float) -> bool:
        return self._subscribed.wait(timeout_s)

    def run(self) -> CollectorStats:
        """Write batches until :meth:`stop`; a store outage is retried with backoff."""
        if self._client is None:
            self.start()
        backoff = self.retry_s
        pending: list[_Item] = []
        try:
            while not (self._stop.is_set() and not pending and self._queue.empty()):
                if not pending:
                    pending = self._next_batch()
                    if not pending:
                        continue
                try:
                    self._write(pending)
                except StoreError as exc:
                    self.stats.store_errors += 1
                    log.error("%s; retrying in %.1f s (the broker keeps the events meanwhile)",
                              exc, backoff)
                    self._close_store()
                    if self._stop.wait(backoff):
                        break
                    backoff = min(backoff * 2, 30.0)
                    continue
                self._ack(pending)
                pending = []
                backoff = self.retry_s
        finally:
            self._shutdown()
        return self.stats

    def stop(self) -> None:
        self._stop.set()

    def _close_store(self) -> None:
        if self._store is not None:
            try:
                self._store.close()
            except StoreError as exc:
                log.debug("closing the store: %s", exc)
            self._store = None

    def _shutdown(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
        self._close_store()

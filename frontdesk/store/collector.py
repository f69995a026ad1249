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

Several collectors share the load with ``share_group`` (MQTT 5 shared
subscriptions, ``$share/GROUP/...``): the broker hands each event to one of them.
A member's session is persistent, so when one dies the broker keeps queuing its
share for it (mosquitto does; a session expiry would drop them instead). So each
member announces itself, retained, on ``PREFIX/_collectors/GROUP/CLIENT_ID``
(``online``; its last will and a clean stop say ``offline``), and when a member
has been offline for ``takeover_after_s``, the online member with the lowest
client id connects *as* it, stores what its session holds, unsubscribes it and
ends the session: its share goes to the others, nothing is lost, and if it comes
back it simply joins again.
"""

from __future__ import annotations

import contextlib
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
    taken_over: list[str] = field(default_factory=list)
    """Peers whose sessions this collector emptied and ended."""
    drained: int = 0
    """Messages received on those sessions."""


@dataclass(frozen=True)
class _Item:
    event: Event | None
    mid: int
    qos: int
    generation: int
    drain: _Drain | None = None  # received on a taken-over peer's session


PRESENCE = "_collectors"
"""``PREFIX/_collectors/GROUP/CLIENT_ID``: a sharing collector's presence (retained)."""


class _Drain:
    """A connection made as a dead peer, to empty and end its session."""

    def __init__(self, peer_id: str, client: mqtt.Client) -> None:
        self.peer_id = peer_id
        self.client = client
        self.connected = threading.Event()
        self.lost = threading.Event()
        self.unsubscribed = threading.Event()
        self.session_present = False
        self.received = 0
        self.pending = 0
        self.last_message = time.monotonic()
        self.lock = threading.Lock()

    def got(self) -> None:
        with self.lock:
            self.received += 1
            self.pending += 1
            self.last_message = time.monotonic()

    def ack(self, mid: int, qos: int) -> None:
        if qos > 0 and not self.lost.is_set():
            self.client.ack(mid, qos)
        with self.lock:
            self.pending -= 1

    def quiet(self, for_s: float) -> bool:
        with self.lock:
            return self.pending == 0 and time.monotonic() - self.last_message >= for_s


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
        share_group: share the load with the other collectors of this group; None:
            this collector takes every event.
        takeover_after_s: a group member offline this long has its session emptied
            and ended by a live one (longer than a restart takes).
    """

    def __init__(self, mqtt_config: MqttConfig, db: str, *, prefix: str = "frontdesk",
                 client_id: str = "frontdesk-collector", batch_size: int = 500,
                 flush_s: float = 0.5, retention_days: int | None = None,
                 retry_s: float = 1.0, share_group: str | None = None,
                 takeover_after_s: float = 60.0) -> None:
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
        self.share_group = share_group
        self.takeover_after_s = takeover_after_s
        self._peers: dict[str, tuple[str, float]] = {}  # id: (online/offline, since)
        self._draining: set[str] = set()
        self._peers_lock = threading.Lock()

    def _filters(self) -> list[str]:
        filters = event_filters(self.prefix)
        if self.share_group is None:
            return filters
        return [f"$share/{self.share_group}/{f}" for f in filters]

    def _presence(self, client_id: str = "+") -> str:
        return f"{self.prefix}/{PRESENCE}/{self.share_group}/{client_id}"

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
                 "resumed" if session else "new", ", ".join(self._filters()))
        subscriptions = [(f, 1) for f in self._filters()]
        if self.share_group is not None:
            # the same client id may have collected alone before: its session would
            # still hold the unshared filters and take every event
            client.unsubscribe(event_filters(self.prefix))
            subscriptions.append((self._presence(), 1))
            client.publish(self._presence(self.client_id), b"online", qos=1, retain=True)
        client.subscribe(subscriptions)

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
        if self.share_group is not None and msg.topic.startswith(self._presence("")):
            self._on_presence(msg.topic[len(self._presence("")):], bytes(msg.payload))
            if msg.qos > 0:
                client.ack(msg.mid, msg.qos)
            return
        self._queue.put(self._item(msg))

    def _item(self, msg: mqtt.MQTTMessage, drain: _Drain | None = None) -> _Item:
        event: Event | None = None
        try:
            parsed = parse_event(bytes(msg.payload))
            bind_to_topic(parsed, msg.topic, self.prefix)
            event = parsed
        except Exception as exc:  # ValueError; anything else is dropped the same way
            self._drop_log.warning("dropping a message on %r: %s", msg.topic[:200],
                                   str(exc)[:300])
        return _Item(event, msg.mid, msg.qos, self._generation, drain)

    def _make_client(self) -> mqtt.Client:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        from frontdesk.mqtt.client import make_client

        cfg = self.mqtt_config.model_copy(update={"protocol": "5"})
        will = None if self.share_group is None else (self._presence(self.client_id), b"offline")
        client, broker = make_client(cfg, self.client_id, will=will)
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
            if it.drain is not None:
                it.drain.ack(it.mid, it.qos)
            # A message from an earlier connection is redelivered on this one if its
            # session survived; its old packet id means nothing now.
            elif it.qos > 0 and it.generation == self._generation:
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
        if self.share_group is not None:
            threading.Thread(target=self._watch_peers, name="collector-peers",
                             daemon=True).start()

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
            if self.share_group is not None:  # a live member takes over what comes meanwhile
                info = self._client.publish(self._presence(self.client_id), b"offline", qos=1,
                                            retain=True)
                with contextlib.suppress(RuntimeError, ValueError):
                    info.wait_for_publish(2.0)
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
        self._close_store()

    # ------------------------------------------------------------------ sharing

    def _on_presence(self, peer_id: str, payload: bytes) -> None:
        state = payload.decode("utf-8", "replace")
        with self._peers_lock:
            if not payload:
                self._peers.pop(peer_id, None)
            elif self._peers.get(peer_id, ("", 0.0))[0] != state:
                self._peers[peer_id] = (state, time.monotonic())
        log.debug("collector %s of group %s: %s", peer_id, self.share_group, state or "gone")

    def _to_take_over(self) -> list[str]:
        """Peers offline for takeover_after_s, when this is the live member with the lowest id."""
        now = time.monotonic()
        with self._peers_lock:
            online = {p for p, (state, _) in self._peers.items() if state == "online"}
            if min(online | {self.client_id}) != self.client_id or not self._connected.is_set():
                return []
            return [p for p, (state, since) in self._peers.items()
                    if state == "offline" and p != self.client_id and p not in self._draining
                    and now - since >= self.takeover_after_s]

    def _watch_peers(self) -> None:
        while not self._stop.wait(min(1.0, self.takeover_after_s / 4)):
            for peer in self._to_take_over():
                with self._peers_lock:
                    self._draining.add(peer)
                threading.Thread(target=self._take_over, args=(peer,),
                                 name=f"collector-takeover-{peer}", daemon=True).start()

    def _take_over(self, peer_id: str) -> None:
        try:
            drained = self._drain_session(peer_id)
        except Exception as exc:  # a failed takeover is tried again later
            log.warning("could not take over collector %s's share: %s", peer_id, exc)
            drained = None
        with self._peers_lock:
            self._draining.discard(peer_id)
        if drained is None:
            return
        client = self._client
        if client is not None:  # forget it: nobody takes it over again
            client.publish(self._presence(peer_id), b"", qos=1, retain=True)
        self.stats.taken_over.append(peer_id)
        self.stats.drained += drained

    def _drain_session(self, peer_id: str, timeout_s: float = 600.0) -> int | None:
        """Connect as ``peer_id``, store its session's messages, end the session.

        Returns how many messages it held; None when it came back meanwhile.
        """
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        from frontdesk.mqtt.client import make_client

        cfg = self.mqtt_config.model_copy(update={"protocol": "5"})
        client, broker = make_client(cfg, peer_id)
        drain = _Drain(peer_id, client)
        client.manual_ack_set(True)

        def on_connect(c: Any, u: Any, flags: Any, rc: Any, p: Any) -> None:
            drain.session_present = bool(getattr(flags, "session_present", False))
            drain.connected.set()

        def on_message(c: Any, u: Any, msg: mqtt.MQTTMessage) -> None:
            if msg.topic.startswith(self._presence("")):
                c.ack(msg.mid, msg.qos)
                return
            drain.got()
            self._queue.put(self._item(msg, drain))

        client.on_connect = on_connect
        client.on_message = on_message
        client.on_disconnect = lambda *a: drain.lost.set()
        client.on_unsubscribe = lambda *a: drain.unsubscribed.set()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S  # kept if this connection breaks
        client.connect_async(broker.host, broker.port, keepalive=cfg.keepalive_s,
                             clean_start=False, properties=props)
        client.loop_start()
        end_session = False
        try:
            if not drain.connected.wait(10.0):
                raise TimeoutError("no answer from the broker")
            log.info("collector %s is gone: taking over its share (session %s)", peer_id,
                     "held" if drain.session_present else "already ended")
            deadline = time.monotonic() + timeout_s
            for step in ("drain", "unsubscribe", "drain"):
                if step == "unsubscribe":
                    client.unsubscribe(self._filters())
                    drain.unsubscribed.wait(5.0)
                    continue
                while not drain.quiet(1.0):
                    if drain.lost.is_set() or self._stop.is_set():
                        return None  # it came back (or we stop): its session stays its own
                    if time.monotonic() > deadline:
                        raise TimeoutError("its session did not empty")
                    time.sleep(0.1)
            log.info("took over collector %s's share: %d events stored, its session ended",
                     peer_id, drain.received)
            end_session = True
            return drain.received
        finally:
            bye = Properties(PacketTypes.DISCONNECT)
            if end_session:  # everything stored and acknowledged: the session may go
                bye.SessionExpiryInterval = 0
            client.disconnect(properties=bye)
            client.loop_stop()

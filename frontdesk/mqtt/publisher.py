"""MqttPublisher: events, state, alerts and discovery out; commands in.

The runner's view::

    pub = MqttPublisher(config)      # opens the outbox; does not touch the network
    pub.start()                      # connects in the background, reconnects forever
    pub.publish_events(events)       # every frame that has events (writes the outbox first)
    pub.publish_state(states, health)  # every frame (cheap: publishes only what changed)
    for cmd in pub.pending_commands(): ...   # apply acknowledge / snooze / enable
    pub.stats                        # connected, outbox_depth, sent, dropped, ...
    pub.stop(timeout_s=5)            # flush what it can, alerts OFF, offline, disconnect

Threads. The caller's thread only writes SQLite and updates in-memory state.
One sender thread does every ``client.publish``. paho's network thread runs
the callbacks, which only record what happened and wake the sender.

Delivery. Events are stored in the outbox before anything is sent and deleted
when the broker's PUBACK arrives. The sender publishes them in outbox order
with at most ``max_inflight`` unacknowledged. When a connection ends, paho's
own copies of unacknowledged messages are dropped (``on_pre_connect``) and the
sender starts again from the oldest row still in the outbox, so a message can
never overtake an older one that paho would otherwise have resent after it.
The price is that a message the broker got but had not acknowledged is sent
twice: consumers dedupe by ``event_id``.

Lock order (never reversed): ``_publish_lock`` then ``_cv``; paho's internal
locks are taken by ``client.publish`` with ``_publish_lock`` held but never
with ``_cv`` held, and paho calls ``on_publish`` holding its own lock, which
then takes only ``_cv``.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from frontdesk.config import Config
from frontdesk.engine.events import Event
from frontdesk.engine.state import CounterState
from frontdesk.mqtt.client import (
    connect_kwargs,
    describe_connect_error,
    drop_unacknowledged,
    make_client,
    reason_text,
    speaks_tls,
)
from frontdesk.mqtt.commands import (
    Command,
    CommandQueue,
    CommandRejected,
    RateLimitedLog,
    parse_command,
)
from frontdesk.mqtt.contract import PayloadError, validate_payload
from frontdesk.mqtt.discovery import configuration_url, device_discovery
from frontdesk.mqtt.outbox import Outbox
from frontdesk.mqtt.payloads import (
    Health,
    alert_on,
    alert_payload,
    camera_signature,
    encode_json,
    event_payload,
    significant_state,
    state_payload,
)
from frontdesk.mqtt.topics import Topics, topic_level_problem
from frontdesk.mqtt.url import BrokerUrl

__all__ = ["MqttPublisher", "WAITING_REFRESH_S"]

log = logging.getLogger(__name__)

WAITING_REFRESH_S = 1.0
"""While a customer waits, the state (with its growing wait) is republished this often."""

_OFFLINE_FLUSH_S = 1.0
"""At stop, how long to wait for the broker to take the final alert OFF / offline messages."""


@dataclass
class _CounterOut:
    """What was last published for one counter on the current connection."""

    alert: bool | None = None
    signature: tuple[Any, ...] | None = None
    state_t: float | None = None
    published_mono: float = -float("inf")


class MqttPublisher:
    """Publishes frontdesk's MQTT contract for one site (see ``docs/mqtt.md``).

    Args:
        config: the whole config; uses ``site_id``, ``counters`` and ``mqtt``.

    Raises:
        OutboxError: the outbox file cannot be opened (in use, unreadable).
        MqttSetupError: the MQTT settings cannot work (missing password
            variable, unreadable certificate).
    """

    def __init__(self, config: Config):
        self._config = config
        self._mqtt = config.mqtt
        self.topics = Topics(config.mqtt.topic_prefix, config.site_id,
                             config.mqtt.discovery_prefix, config.camera_id)
        self._names = {c.id: c.name for c in config.counters}
        self._counter_ids = frozenset(self._names)
        self._window = config.mqtt.max_inflight
        self._commands = CommandQueue()
        self._ignored_log = RateLimitedLog(log)
        self._client: mqtt.Client | None = None
        self._broker_text: str | None = None
        self._broker: BrokerUrl | None = None
        self.client_id = config.mqtt.client_id or f"frontdesk-{config.site_id}"
        if config.mqtt.url:
            client_id = self.client_id
            self._client, broker = make_client(
                config.mqtt,
                client_id,
                will=(self.topics.availability(), b"offline"),
                # paho never queues: the sender keeps at most `window` events in
                # flight, plus a few retained state/alert/discovery messages.
                max_inflight=self._window + 4 * len(self._names) + 16,
            )
            self._connect_kwargs = connect_kwargs(config.mqtt, broker)
            self._broker_text = str(broker)
            self._broker = broker
            self._install_callbacks(self._client)
        # Opened last: settings that cannot work raise before the file is locked.
        self._outbox = Outbox(
            config.mqtt.outbox_path, config.mqtt.outbox_max_events, config.mqtt.outbox_fsync
        )

        self._publish_lock = threading.Lock()
        self._cv = threading.Condition()
        # ---- everything below is guarded by _cv
        self._connected = False
        self._generation = 0
        self._inflight: dict[int, int] = {}  # mid -> outbox seq, events of this connection
        self._other_mids: set[int] = set()  # retained/state messages of this connection
        self._early_acks: dict[int, bool] = {}  # PUBACKs that beat the sender's bookkeeping
        self._acked: list[int] = []  # seqs to delete from the outbox
        self._last_sent_seq = 0
        self._need_republish = False
        self._need_discovery = False
        self._ready_gen = -1  # the connection whose retained topics are all republished
        self._states: dict[str, CounterState] = {}
        self._health: dict[str, Any] = {}
        self._health_mono = time.monotonic()  # when publish_state last handed health over
        self._alert_wanted: dict[str, bool] = {c: False for c in self._names}
        self._out: dict[str, _CounterOut] = {}
        self._wake = False
        self._state_dirty = True  # publish_state brought something to publish at once
        self._next_state_due = 0.0  # monotonic time of the next heartbeat/refresh check
        self._room_wanted = False  # the sender waits for the in-flight window to drain
        self._stopping = False
        self._stop_deadline = 0.0
        self._sent = 0
        self._lost = 0  # events the outbox could not store (disk full, I/O error)
        self._connections = 0
        self._rejected = 0
        self._commands_received = 0
        self._commands_ignored = 0
        # ---- connection news, for saying things once
        self._ever_connected = False
        self._outage_warned = False
        self._outage_since: float | None = None
        self._full_warned = False
        self._write_error_warned = False
        self._bad_topic_warned: set[str] = set()
        self._sender: threading.Thread | None = None
        self._last_info: mqtt.MQTTMessageInfo | None = None  # sender thread only
        self._started = False
        self._stopped = False

    # ================================================================== public API
    def start(self) -> None:
        """Connect in the background (returns at once) and keep reconnecting."""
        if self._started:
            return
        self._started = True
        if self._client is None:
            log.warning(
                "MQTT: no broker configured (mqtt.url is empty): nothing is published; events "
                "are kept in the outbox %s (up to %d) until a broker is configured",
                self._outbox.path, self._outbox.max_events,
            )
            return
        depth = self._outbox.depth
        log.info("MQTT: connecting to %s as %s", self._broker_text, self.client_id)
        if depth:  # not this run's: say so, they will reach subscribers late
            log.warning("MQTT: %d events left in the outbox %s by an earlier run will be "
                        "sent first (each keeps its own time)", depth, self._outbox.path)
        self._sender = threading.Thread(target=self._sender_main, name="mqtt-sender", daemon=True)
        self._sender.start()
        self._client.connect_async(**self._connect_kwargs)  # type: ignore[arg-type]
        self._client.loop_start()

    def publish_events(self, events: list[Event]) -> None:
        """Store events in the outbox (one transaction) and wake the sender.

        Never raises for a broker problem; a failing disk is logged once and counted.
        """
        if not events:
            return
        rows = [(e.counter_id, event_payload(e)) for e in events]
        try:
            dropped = self._outbox.append(rows)
        except Exception as exc:  # disk full, I/O error: skip, count, report
            with self._cv:
                self._lost += len(events)
                warned, self._write_error_warned = self._write_error_warned, True
            if not warned:
                log.error("MQTT: cannot write the outbox %s: %s; events are being lost",
                          self._outbox.path, exc)
            return
        if dropped:
            self._note_dropped()
        elif self._full_warned and self._outbox.depth < 0.9 * self._outbox.max_events:
            self._full_warned = False
            log.info("MQTT: the outbox is below its bound again (%d dropped in all)",
                     self._outbox.dropped_total)
        self._notify()

    def publish_state(self, states: dict[str, CounterState], health: Health | dict[str, Any]
                      ) -> None:
        """Record each counter's latest state; the sender publishes what changed.

        Cheap enough to call every frame: the alert topic goes out at once when
        it changes, the state topic when anything but wait times changes, every
        second while a customer waits, and every ``mqtt.state_interval_s``.
        """
        with self._cv:
            self._health = dict(health)
            self._health_mono = time.monotonic()
            changed = False
            for counter_id, state in states.items():
                if counter_id not in self._names and not self._valid_counter_topic(counter_id):
                    continue
                if counter_id not in self._states:
                    changed = True
                self._states[counter_id] = state
                wanted = alert_on(state)
                if self._alert_wanted.get(counter_id) != wanted:
                    self._alert_wanted[counter_id] = wanted
                    changed = True
                out = self._out.get(counter_id)
                if out is None or out.signature != significant_state(
                    state, camera_signature(self._health)
                ):
                    changed = True
            if changed:
                self._state_dirty = True
                self._cv.notify_all()

    def pending_commands(self, timeout_s: float = 0.0) -> list[Command]:
        """Commands received since the last call, oldest first (thread-safe).

        Args:
            timeout_s: wait up to this long for at least one (0: never wait).
        """
        return self._commands.take_all(timeout_s)

    @property
    def stats(self) -> dict[str, Any]:
        """connected, connections (successful ones since start), outbox_depth, sent
        (acknowledged by the broker), dropped (outbox full), rejected (refused by
        the broker), lost (could not be stored), commands_received,
        commands_ignored, broker (``None`` when no broker is configured)."""
        with self._cv:
            connected, sent, rejected = self._connected, self._sent, self._rejected
            received, ignored = self._commands_received, self._commands_ignored
            connections, lost = self._connections, self._lost
        return {
            "connected": connected,
            "connections": connections,
            "outbox_depth": self._outbox.depth,
            "sent": sent,
            "dropped": self._outbox.dropped_total,
            "rejected": rejected,
            "lost": lost,
            "commands_received": received,
            "commands_ignored": ignored,
            "broker": self._broker_text,
        }

    def wait_connected(self, timeout_s: float, connections: int = 1) -> bool:
        """Block until connected, with availability, alerts and states republished.

        Args:
            timeout_s: give up after this long (returns False).
            connections: wait for at least this many successful connections since
                start (2: until it has reconnected once).
        """
        with self._cv:
            return self._cv.wait_for(
                lambda: self._connected and self._ready_gen == self._generation
                and self._connections >= connections,
                timeout=timeout_s,
            )

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until every stored event has been acknowledged by the broker."""
        deadline = time.monotonic() + timeout_s
        with self._cv:
            while True:
                if self._outbox.depth == 0 and not self._inflight and not self._acked:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cv.wait(min(remaining, 0.05))

    def stop(self, timeout_s: float = 5.0) -> None:
        """Flush what it can within ``timeout_s``, turn alerts OFF, publish
        ``offline``, disconnect. Events not acknowledged stay in the outbox for
        the next run. Calling it again does nothing."""
        if self._stopped:
            return
        self._stopped = True
        if self._client is not None and self._started:
            with self._cv:
                self._stopping = True
                self._stop_deadline = time.monotonic() + max(timeout_s, 0.0)
                self._cv.notify_all()
            if self._sender is not None:
                self._sender.join(timeout=max(timeout_s, 0.0) + _OFFLINE_FLUSH_S + 1.0)
            self._client.disconnect()
            drop_unacknowledged(self._client)  # kept in the outbox; loop_stop need not wait
            self._client.loop_stop()
            self._apply_acks()
        depth = self._outbox.depth
        if depth:
            log.info("MQTT: %d events stay in the outbox %s for the next run",
                     depth, self._outbox.path)
        self._outbox.close()
        self._started = False

    def __enter__(self) -> MqttPublisher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ================================================================== paho callbacks
    def _install_callbacks(self, client: mqtt.Client) -> None:
        client.on_pre_connect = self._on_pre_connect
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe

    def _reset_connection_locked(self) -> None:
        self._connected = False
        self._generation += 1
        self._inflight.clear()
        self._other_mids.clear()
        self._early_acks.clear()
        self._last_sent_seq = 0  # resend from the oldest row still in the outbox
        self._need_republish = False
        self._need_discovery = False
        self._out.clear()
        self._cv.notify_all()

    def _on_pre_connect(self, client: mqtt.Client, userdata: Any) -> None:
        # paho would resend its unacknowledged copies after the next CONNACK,
        # possibly after newer messages; the outbox resends them in order instead.
        with self._publish_lock:
            drop_unacknowledged(client)
            with self._cv:
                self._reset_connection_locked()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any,
                    properties: Any) -> None:
        if reason_code.is_failure:
            self._report_outage(f"the broker refused the connection: {reason_text(reason_code)}")
            return
        client.subscribe(self._subscriptions())
        with self._cv:
            was_out = self._outage_since
            self._connected = True
            self._need_republish = True
            self._need_discovery = self._mqtt.home_assistant
            self._outage_warned = False
            self._outage_since = None
            first = not self._ever_connected
            self._ever_connected = True
            self._connections += 1
            self._cv.notify_all()
        depth = self._outbox.depth
        backlog = f"; sending {depth} events from the outbox" if depth else ""
        if first:
            log.info("MQTT: connected to %s%s", self._broker_text, backlog)
        else:
            away = f" after {time.monotonic() - was_out:.0f} s" if was_out is not None else ""
            log.info("MQTT: connected to %s again%s%s", self._broker_text, away, backlog)

    def _subscriptions(self) -> list[tuple[str, Any]]:
        """Commands (and Home Assistant's status), QoS 1.

        With MQTT 5 a retained command is never sent at subscribe (retain handling
        2) and one retained while connected arrives with its retain flag (retain as
        published), so :func:`parse_command` can ignore it; MQTT 3.1.1 clears that
        flag on live messages, so there only the subscribe-time copy is told apart.
        """
        from paho.mqtt.subscribeoptions import SubscribeOptions

        def opts(retain_handling: int) -> Any:
            if self._mqtt.protocol != "5":
                return 1
            return SubscribeOptions(qos=1, retainAsPublished=True,
                                    retainHandling=retain_handling)

        subs = [(self.topics.command_filter(), opts(SubscribeOptions.RETAIN_DO_NOT_SEND))]
        if self._mqtt.home_assistant:  # its retained "online" is wanted at subscribe
            subs.append((self.topics.ha_status(), opts(SubscribeOptions.RETAIN_SEND_ON_SUBSCRIBE)))
        return subs

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        exc = sys.exc_info()[1]  # paho calls this inside its ``except OSError``
        assert self._broker is not None
        self._report_outage(describe_connect_error(exc, self._broker, self._mqtt.ca_file))

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any,
                       properties: Any) -> None:
        with self._cv:
            was_connected = self._connected
            self._reset_connection_locked()
            stopping = self._stopping
        if was_connected and not stopping:
            self._report_outage(f"lost the connection ({reason_text(reason_code)})")
        elif not stopping and not self._outage_warned:
            self._report_outage(self._closed_before_connack(reason_code))

    def _closed_before_connack(self, reason_code: Any) -> str:
        """Why a broker may close a connection before answering CONNECT, tested where it can
        be: an ``mqtt://`` URL on a TLS port is the usual one."""
        broker = self._broker
        assert broker is not None
        if not broker.tls and speaks_tls(broker.host, broker.port):
            return (f"{broker.host}:{broker.port} is a TLS port, and the URL says plain MQTT: "
                    f"use mqtts://{broker.host}:{broker.port} (with mqtt.ca_file)")
        return (f"the broker closed the connection before accepting it "
                f"({reason_text(reason_code)}): check the URL's scheme and port, and the "
                f"broker's log")

    def _report_outage(self, what: str) -> None:
        with self._cv:
            if self._outage_since is None:
                self._outage_since = time.monotonic()
            warned, self._outage_warned = self._outage_warned, True
            stopping = self._stopping
        if stopping:
            return
        if warned:
            log.debug("MQTT: broker %s: %s", self._broker_text, what)
            return
        log.warning(
            "MQTT: broker %s: %s; events are kept in the outbox (%d now) and sent when it is "
            "back; retrying every %d s at most",
            self._broker_text, what, self._outbox.depth, self._mqtt.reconnect_max_s,
        )

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason_code: Any,
                    properties: Any) -> None:
        ok = not reason_code.is_failure
        with self._cv:
            seq = self._inflight.pop(mid, None)
            if seq is not None:
                self._settle_locked(seq, ok, reason_code)
                # Wake the sender only when half the window is free (or all of it,
                # for wait_idle), not on every PUBACK: fewer thread switches.
                n = len(self._inflight)
                if n == 0 or (self._room_wanted and n <= self._window // 2):
                    self._room_wanted = False
                    self._cv.notify_all()
            elif mid in self._other_mids:
                self._other_mids.discard(mid)
                if not ok:
                    log.error("MQTT: the broker refused a retained message: %s",
                              reason_text(reason_code))
            else:
                self._early_acks[mid] = ok

    def _settle_locked(self, seq: int, ok: bool, reason_code: Any) -> None:
        self._acked.append(seq)
        if ok:
            self._sent += 1
            return
        self._rejected += 1
        if self._rejected == 1 or self._rejected % 1000 == 0:
            log.error(
                "MQTT: the broker refused an event (%s); it is dropped, not retried "
                "(%d refused so far; check the broker's ACL for %s)",
                reason_text(reason_code), self._rejected, self.topics.base,
            )

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reason_codes: Any,
                      properties: Any) -> None:
        refused = [reason_text(rc) for rc in reason_codes if rc.is_failure]
        if refused:
            log.error("MQTT: the broker refused a subscription (%s): commands%s will not arrive; "
                      "check its ACL", ", ".join(refused),
                      " or Home Assistant's birth message" if self._mqtt.home_assistant else "")

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = "(not UTF-8)"
        if self._mqtt.home_assistant and topic == self.topics.ha_status():
            self._on_ha_status(message)
            return
        try:
            command = parse_command(
                topic, bytes(message.payload), retain=bool(message.retain),
                topics=self.topics, counters=self._counter_ids,
            )
        except Exception as exc:  # CommandRejected; anything else is logged the same way
            if not isinstance(exc, CommandRejected):
                exc = CommandRejected(f"{type(exc).__name__}: {str(exc)[:200]}")
            with self._cv:
                self._commands_ignored += 1
            self._ignored_log.warning("MQTT: ignored a message on %r: %s", topic[:200], exc)
            return
        with self._cv:
            self._commands_received += 1
        log.info("MQTT: command %s for %s%s", command.kind.value, command.counter_id,
                 f" from {command.source!r}" if command.source else "")
        self._commands.put(command)

    def _on_ha_status(self, message: mqtt.MQTTMessage) -> None:
        try:
            status = validate_payload("ha-status", bytes(message.payload))
        except PayloadError as exc:
            with self._cv:
                self._commands_ignored += 1
            self._ignored_log.warning(
                "MQTT: ignored a message on %r: %s", self.topics.ha_status(), exc
            )
            return
        if status == "online":
            log.info("MQTT: Home Assistant is online; announcing discovery again")
            with self._cv:
                self._need_discovery = True
                self._cv.notify_all()

    # ================================================================== sender thread
    def _notify(self) -> None:
        with self._cv:
            self._wake = True
            self._cv.notify_all()

    def _sender_main(self) -> None:
        try:
            while self._sender_step():
                pass
        except Exception:  # pragma: no cover - a bug; say so loudly, keep the outbox
            log.exception("MQTT: the sender stopped on an internal error; events stay in "
                          "the outbox")

    def _sender_step(self) -> bool:
        """One round of work; False when the sender should exit."""
        self._apply_acks()
        with self._cv:
            gen, connected, stopping = self._generation, self._connected, self._stopping
            republish, discovery = self._need_republish, self._need_discovery
            state_dirty = self._state_dirty
            self._need_republish = self._need_discovery = self._state_dirty = False
            self._wake = False
        out_of_time = time.monotonic() >= self._stop_deadline
        if stopping and (not connected or out_of_time or self._flushed()):
            if connected:
                self._publish_goodbye(gen)
            return False
        if connected:
            if republish:
                self._publish_retained_all(gen)
            if discovery:
                self._publish_discovery(gen)
            now = time.monotonic()
            alerts_done = True
            if republish or state_dirty or now >= self._next_state_due:
                alerts_done = self._publish_alerts(gen)
                self._next_state_due = now + self._publish_states(gen)
            next_state_due = max(self._next_state_due - now, 0.0)
            if republish and alerts_done:
                self._await_broker(self._last_info)
                with self._cv:
                    if self._generation == gen:
                        self._ready_gen = gen
                        self._cv.notify_all()
            self._publish_events(gen)
        else:
            next_state_due = 1.0
        with self._cv:
            if self._has_work_locked(gen):
                return True
            wait = min(next_state_due, 1.0)
            if self._stopping:
                wait = min(wait, 0.05)
            self._cv.wait(timeout=max(wait, 0.001))
        return True

    def _has_work_locked(self, gen: int) -> bool:
        if self._wake or self._acked or self._need_republish or self._need_discovery:
            return True
        if gen != self._generation:
            return True
        if not self._connected:
            return False
        if self._state_dirty:
            return True
        unsent = self._outbox.max_seq > self._last_sent_seq
        if unsent and len(self._inflight) >= self._window:
            self._room_wanted = True
            return False
        return unsent

    def _flushed(self) -> bool:
        with self._cv:
            return self._outbox.depth == 0 and not self._inflight and not self._acked

    def _apply_acks(self) -> None:
        with self._cv:
            seqs, self._acked = self._acked, []
        if seqs:
            self._outbox.delete(seqs)
            with self._cv:
                self._cv.notify_all()  # wait_idle watchers

    # ------------------------------------------------------------------ publishing
    def _publish(self, gen: int, topic: str, payload: bytes, *, retain: bool,
                 seq: int | None = None) -> bool:
        """Publish QoS 1 on the connection ``gen``; False if that connection is gone."""
        client = self._client
        assert client is not None
        with self._publish_lock:
            with self._cv:
                if not self._connected or self._generation != gen:
                    return False
            info = client.publish(topic, payload, qos=1, retain=retain)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return False
            self._last_info = info
            with self._cv:
                if self._generation != gen:
                    return False
                early = self._early_acks.pop(info.mid, None)
                if seq is not None:
                    self._last_sent_seq = seq
                    if early is None:
                        self._inflight[info.mid] = seq
                    else:
                        self._settle_locked(seq, early, "refused")
                elif early is None:
                    self._other_mids.add(info.mid)
            return True

    @staticmethod
    def _await_broker(info: mqtt.MQTTMessageInfo | None, timeout_s: float = 2.0) -> None:
        """Wait (briefly) for the broker's PUBACK of ``info``: PUBACKs come in order, so
        everything published before it is then stored (retained) at the broker."""
        if info is None:
            return
        with contextlib.suppress(RuntimeError, ValueError):  # not sent: nothing to wait for
            info.wait_for_publish(timeout=timeout_s)

    def _publish_retained_all(self, gen: int) -> None:
        self._publish(gen, self.topics.availability(), b"online", retain=True)
        with self._cv:
            self._out.clear()  # republish every alert and state on this connection
            self._state_dirty = True

    def _publish_discovery(self, gen: int) -> None:
        for counter_id, name in self._names.items():
            payload = encode_json(device_discovery(self.topics, counter_id, name,
                                                   configuration_url(self._config)))
            if not self._publish(gen, self.topics.ha_device_config(counter_id), payload,
                                 retain=True):
                return

    def _publish_alerts(self, gen: int) -> bool:
        with self._cv:
            todo = [
                (c, wanted) for c, wanted in self._alert_wanted.items()
                if self._out.get(c) is None or self._out[c].alert != wanted
            ]
        for counter_id, wanted in todo:
            if not self._publish(gen, self.topics.alert(counter_id), alert_payload(wanted),
                                 retain=True):
                return False
            with self._cv:
                if self._generation == gen:
                    self._out.setdefault(counter_id, _CounterOut()).alert = wanted
        return True

    def _publish_states(self, gen: int) -> float:
        """Publish the states that are due; returns seconds until the next one is."""
        now = time.monotonic()
        next_due = self._mqtt.state_interval_s
        todo: list[tuple[str, CounterState, tuple[Any, ...], dict[str, Any]]] = []
        with self._cv:
            health = dict(self._health)
            age = health.get("last_frame_age_s")
            if isinstance(age, (int, float)):  # a heartbeat from a stuck loop shows it ageing
                health["last_frame_age_s"] = age + max(now - self._health_mono, 0.0)
            for counter_id, state in self._states.items():
                out = self._out.get(counter_id) or _CounterOut()
                signature = significant_state(state, camera_signature(health))
                age = now - out.published_mono
                due = (
                    out.signature != signature
                    or age >= self._mqtt.state_interval_s
                    or (state.customers_waiting > 0 and state.t != out.state_t
                        and age >= WAITING_REFRESH_S)
                )
                if due:
                    todo.append((counter_id, state, signature, health))
                else:
                    until = self._mqtt.state_interval_s - age
                    if state.customers_waiting > 0 and state.t != out.state_t:
                        until = min(until, WAITING_REFRESH_S - age)
                    next_due = min(next_due, until)
        for counter_id, state, signature, health in todo:
            payload = state_payload(
                state, site_id=self._config.site_id, name=self._names.get(counter_id),
                health=health, outbox_depth=self._outbox.depth, published_at=time.time(),
                camera_id=self.topics.camera_id,
            )
            if not self._publish(gen, self.topics.state(counter_id), encode_json(payload),
                                 retain=True):
                break
            with self._cv:
                if self._generation == gen:
                    out = self._out.setdefault(counter_id, _CounterOut())
                    out.signature, out.state_t, out.published_mono = signature, state.t, now
        return max(next_due, 0.0)

    def _publish_events(self, gen: int) -> None:
        """Send outbox rows after the last sent one, in order, while the window has room."""
        client = self._client
        assert client is not None
        while True:
            with self._cv:
                if self._generation != gen or not self._connected:
                    return
                room = self._window - len(self._inflight)
                after = self._last_sent_seq
            if room <= 0:
                return
            rows = self._outbox.read_after(after, room)
            if not rows:
                return
            sent: list[tuple[int, int]] = []
            with self._publish_lock:
                with self._cv:
                    if not self._connected or self._generation != gen:
                        return
                for row in rows:
                    info = client.publish(self._event_topic(row.counter_id), row.payload,
                                          qos=1, retain=False)
                    if info.rc != mqtt.MQTT_ERR_SUCCESS:
                        break
                    sent.append((info.mid, row.seq))
                with self._cv:
                    if self._generation != gen:
                        return
                    for mid, seq in sent:
                        early = self._early_acks.pop(mid, None)
                        if early is None:
                            self._inflight[mid] = seq
                        else:
                            self._settle_locked(seq, early, "refused")
                    if sent:
                        self._last_sent_seq = sent[-1][1]
                    if not self._inflight:
                        self._cv.notify_all()  # everything was acknowledged already
            if len(sent) < len(rows) or len(rows) < room:
                return

    def _publish_goodbye(self, gen: int) -> None:
        """Alerts OFF and availability offline, waiting briefly for the broker to take them."""
        client = self._client
        assert client is not None
        infos = []
        with self._publish_lock:
            with self._cv:
                if not self._connected or self._generation != gen:
                    return
                counters = list(self._alert_wanted)
            for counter_id in counters:
                infos.append(client.publish(self.topics.alert(counter_id), b"OFF", qos=1,
                                            retain=True))
            infos.append(client.publish(self.topics.availability(), b"offline", qos=1,
                                        retain=True))
        deadline = time.monotonic() + _OFFLINE_FLUSH_S
        for info in infos:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                info.wait_for_publish(timeout=remaining)
            except (RuntimeError, ValueError):
                break

    # ------------------------------------------------------------------ helpers
    def _event_topic(self, counter_id: str) -> str:
        if counter_id in self._names:
            return self.topics.events(counter_id)
        return self.topics.events(None)

    def _valid_counter_topic(self, counter_id: str) -> bool:
        problem = topic_level_problem(counter_id)
        if problem and counter_id not in self._bad_topic_warned:
            self._bad_topic_warned.add(counter_id)
            log.warning("MQTT: no state topic for counter %r: %s", counter_id[:64], problem)
        return problem is None

    def _note_dropped(self) -> None:
        if self._full_warned:
            return
        self._full_warned = True
        log.warning(
            "MQTT: the outbox is full (%d events): dropping the oldest to keep the newest; "
            "%d dropped so far (stats['dropped'] counts them)",
            self._outbox.max_events, self._outbox.dropped_total,
        )

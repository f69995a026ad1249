"""Shared fixtures: a real MQTT broker (Debian's mosquitto) on a free loopback port.

* ``mqtt_broker``: a plain broker (anonymous clients allowed), fresh per test.
* ``mqtt_broker_tls``: TLS with a throwaway CA, a password file and an ACL
  (``MQTT_TEST_ACL``); clients need the CA, a user and a password, and, when
  ``require_client_cert`` is asked of the factory, a client certificate.
* ``mqtt_broker_factory``: ``make(**MosquittoBroker kwargs)`` for other variants
  (e.g. ``persistence=True`` for outage tests).
* ``mqtt_recorder``: ``record(broker, ["topic/#"], ...)`` a subscriber that keeps
  every message and lets a test wait for one with a timeout (no sleeps).

Every broker can ``stop()`` (clean), ``kill()`` (SIGKILL) and ``restart()`` on the
same port; its log is printed when a test using it fails. Without mosquitto the
fixtures fail with a message saying how to install it (``make test`` does).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from mqtt_test_users import MQTT_TEST_ACL, MQTT_TEST_USERS

from frontdesk.mqtt.local_broker import (
    MosquittoBroker,
    MosquittoNotInstalled,
    TlsFiles,
    make_tls_files,
)


# ---------------------------------------------------------------------- brokers
@pytest.fixture(scope="session")
def mqtt_tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A throwaway CA with a broker (127.0.0.1) and a client certificate."""
    return make_tls_files(tmp_path_factory.mktemp("mqtt-tls"))


@pytest.fixture
def mqtt_broker_factory(tmp_path: Path, request: pytest.FixtureRequest
                        ) -> Iterator[Callable[..., MosquittoBroker]]:
    """``make(**kwargs)``: a started :class:`MosquittoBroker`; all are stopped after the test."""
    brokers: list[MosquittoBroker] = []

    def make(**kwargs: Any) -> MosquittoBroker:
        try:
            broker = MosquittoBroker(tmp_path / f"mosquitto-{len(brokers)}", **kwargs)
        except MosquittoNotInstalled as exc:
            pytest.fail(str(exc), pytrace=False)
        brokers.append(broker)
        broker.start()
        return broker

    yield make
    report = getattr(request.node, "rep_call", None)
    for broker in brokers:
        broker.stop()
        if report is not None and report.failed:
            print(f"--- mosquitto log ({broker.url}) ---\n{broker.log_tail(60)}")


@pytest.fixture
def mqtt_broker(mqtt_broker_factory: Callable[..., MosquittoBroker]) -> MosquittoBroker:
    """A plain mosquitto on 127.0.0.1 (anonymous allowed), fresh for each test."""
    return mqtt_broker_factory()


@pytest.fixture
def mqtt_broker_tls(mqtt_broker_factory: Callable[..., MosquittoBroker],
                    mqtt_tls_files: TlsFiles) -> MosquittoBroker:
    """mosquitto with TLS, a password file (``MQTT_TEST_USERS``) and ``MQTT_TEST_ACL``."""
    return mqtt_broker_factory(tls=mqtt_tls_files, users=MQTT_TEST_USERS, acl=MQTT_TEST_ACL)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- a recording subscriber
@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool
    qos: int
    at: float = field(default_factory=time.monotonic)


class MqttRecorder:
    """A subscriber that records every message; tests wait on it with timeouts.

    Reconnects by itself (useful across a broker restart). With ``clean=False``
    and a fixed ``client_id`` it keeps a persistent session (QoS 1 messages
    published while it is away are queued by the broker).
    """

    def __init__(self, broker: MosquittoBroker, topics: list[str], *, client_id: str = "",
                 clean: bool = True, username: str | None = None, password: str | None = None,
                 client_cert: bool = False, tls_files: TlsFiles | None = None):
        self.topics = topics
        self.messages: list[Received] = []
        self._cond = threading.Condition()
        self._subscribed = 0
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5,
        )
        self.client.reconnect_delay_set(1, 1)
        if broker.tls is not None:
            files = tls_files or broker.tls
            self.client.tls_set(
                ca_certs=str(files.ca_cert),
                certfile=str(files.client_cert) if client_cert else None,
                keyfile=str(files.client_key) if client_cert else None,
            )
        if username is not None:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        props = None
        if not clean:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties

            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
        self.client.connect_async(broker.host, broker.port, keepalive=10, clean_start=clean,
                                  properties=props)
        self.client.loop_start()
        if not self.wait_subscribed(1, 10.0):
            raise RuntimeError(f"recorder could not subscribe on {broker.url}")

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any,
                    props: Any) -> None:
        if not rc.is_failure:
            client.subscribe([(t, 1) for t in self.topics])

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, rcs: Any,
                      props: Any) -> None:
        with self._cond:
            self._subscribed += 1
            self._cond.notify_all()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._cond:
            self.messages.append(Received(msg.topic, bytes(msg.payload), bool(msg.retain),
                                          msg.qos))
            self._cond.notify_all()

    # ------------------------------------------------------------------ waiting
    def wait_subscribed(self, count: int, timeout_s: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._subscribed >= count, timeout=timeout_s)

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout_s: float = 5.0
                 ) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self.messages), timeout=timeout_s)

    def wait_message(self, topic: str, payload: bytes | None = None, timeout_s: float = 5.0,
                     after: int = 0) -> Received:
        """The first message (from index ``after``) on ``topic`` (with ``payload``)."""
        def match(m: Received) -> bool:
            return m.topic == topic and (payload is None or m.payload == payload)

        found: list[Received] = []

        def pred(msgs: list[Received]) -> bool:
            found[:] = [m for m in msgs[after:] if match(m)]
            return bool(found)

        if not self.wait_for(pred, timeout_s):
            seen = sorted({m.topic for m in self.snapshot()})
            raise AssertionError(f"no message on {topic} {payload!r} within {timeout_s} s; "
                                 f"topics seen: {seen}")
        return found[0]

    def snapshot(self) -> list[Received]:
        with self._cond:
            return list(self.messages)

    def on(self, topic: str) -> list[Received]:
        return [m for m in self.snapshot() if m.topic == topic]

    def publish(self, topic: str, payload: bytes | str, retain: bool = False,
                timeout_s: float = 5.0) -> int:
        """Publish QoS 1 and wait for the broker's PUBACK; returns its reason code value."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(timeout=timeout_s)
        assert info.is_published(), f"publish to {topic} was not acknowledged"
        return info.rc

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def mqtt_recorder() -> Iterator[Callable[..., MqttRecorder]]:
    """``record(broker, topics, **kwargs)``: a started :class:`MqttRecorder`; closed after."""
    recorders: list[MqttRecorder] = []

    def record(broker: MosquittoBroker, topics: list[str], **kwargs: Any) -> MqttRecorder:
        recorder = MqttRecorder(broker, topics, **kwargs)
        recorders.append(recorder)
        return recorder

    yield record
    for recorder in recorders:
        recorder.close()

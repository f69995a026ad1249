"""TLS, client certificates, passwords from the environment, and the broker's ACL."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time

import pytest
from mqtt_helpers import SITE, event_ids, make_config, make_event
from mqtt_test_users import MQTT_TEST_ACL, MQTT_TEST_USERS

from frontdesk.mqtt.client import MqttSetupError
from frontdesk.mqtt.commands import CommandKind
from frontdesk.mqtt.local_broker import make_tls_files
from frontdesk.mqtt.publisher import MqttPublisher

BASE = f"frontdesk/{SITE}"


def tls_config(tmp_path, broker, password_env="FD_TEST_MQTT_PASSWORD", user="frontdesk",
               client_cert=True):
    files = broker.tls
    extra = {"cert_file": str(files.client_cert), "key_file": str(files.client_key)} \
        if client_cert else {}
    return make_config(tmp_path, broker, ca_file=str(files.ca_cert), username=user,
                       password_env=password_env, **extra)


def test_tls_with_client_certificate_and_password(tmp_path, mqtt_broker_factory, mqtt_tls_files,
                                                  mqtt_recorder, monkeypatch, caplog) -> None:
    broker = mqtt_broker_factory(tls=mqtt_tls_files, users=MQTT_TEST_USERS, acl=MQTT_TEST_ACL,
                                 require_client_cert=True)
    assert broker.url.startswith("mqtts://")
    caplog.set_level(logging.DEBUG, logger="frontdesk")
    password = MQTT_TEST_USERS["frontdesk"]
    monkeypatch.setenv("FD_TEST_MQTT_PASSWORD", password)
    observer = mqtt_recorder(broker, [f"{BASE}/#"], username="observer",
                             password=MQTT_TEST_USERS["observer"], client_cert=True)
    pub = MqttPublisher(tls_config(tmp_path, broker))
    try:
        pub.start()
        assert pub.wait_connected(5), broker.log_tail()
        pub.publish_events([make_event(i) for i in range(5)])
        assert observer.wait_for(
            lambda ms: len(event_ids([m for m in ms if m.topic.endswith("/events")])) == 5)
        observer.publish(f"{BASE}/counter-1/cmd/ack", b"{}")
        assert [c.kind for c in pub.pending_commands(timeout_s=5)] == [CommandKind.ACKNOWLEDGE]
        assert pub.stats["broker"].startswith("mqtts://")
    finally:
        pub.stop(1)
    assert password not in caplog.text


def test_wrong_password_is_reported_once_and_never_logged(tmp_path, mqtt_broker_tls,
                                                          monkeypatch, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="frontdesk")
    monkeypatch.setenv("FD_TEST_MQTT_PASSWORD", "not-the-password-x9")
    pub = MqttPublisher(tls_config(tmp_path, mqtt_broker_tls, client_cert=False))
    refused = threading.Semaphore(0)
    original = pub._client.on_connect

    def counting(client, userdata, flags, rc, props):
        original(client, userdata, flags, rc, props)
        refused.release()

    pub._client.on_connect = counting
    try:
        pub.start()
        for _ in range(2):
            assert refused.acquire(timeout=5)
        pub.publish_events([make_event(1)])
        assert pub.stats["connected"] is False and pub.stats["outbox_depth"] == 1
    finally:
        pub.stop(0.5)
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "refused" in warnings[0].getMessage()
    assert "not-the-password-x9" not in caplog.text


def test_a_missing_password_variable_fails_at_start_up(tmp_path, mqtt_broker_tls, monkeypatch
                                                       ) -> None:
    monkeypatch.delenv("FD_TEST_MQTT_PASSWORD", raising=False)
    with pytest.raises(MqttSetupError, match="FD_TEST_MQTT_PASSWORD"):
        MqttPublisher(tls_config(tmp_path / "a", mqtt_broker_tls))
    monkeypatch.setenv("FD_TEST_MQTT_PASSWORD", "x")
    config = tls_config(tmp_path / "b", mqtt_broker_tls)
    config.mqtt.ca_file = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(MqttSetupError, match="ca_file"):
        MqttPublisher(config)


def test_the_example_acl_lets_a_buzzer_acknowledge_but_not_disable(
        tmp_path, mqtt_broker_tls, mqtt_recorder, monkeypatch) -> None:
    monkeypatch.setenv("FD_TEST_MQTT_PASSWORD", MQTT_TEST_USERS["frontdesk"])
    pub = MqttPublisher(tls_config(tmp_path, mqtt_broker_tls, client_cert=False))
    try:
        pub.start()
        assert pub.wait_connected(5), mqtt_broker_tls.log_tail()
        buzzer = mqtt_recorder(mqtt_broker_tls, [f"{BASE}/+/alert"], username="buzzer",
                               password=MQTT_TEST_USERS["buzzer"])
        assert buzzer.wait_message(f"{BASE}/counter-1/alert").payload == b"OFF"  # may read
        buzzer.publish(f"{BASE}/counter-1/cmd/enabled", json.dumps({"enabled": False}))
        buzzer.publish(f"{BASE}/counter-1/cmd/ack", b'{"source": "wrist"}')
        got = pub.pending_commands(timeout_s=5)
        assert [(c.kind, c.source) for c in got] == [(CommandKind.ACKNOWLEDGE, "wrist")]
    finally:
        pub.stop(1)


# ------------------------------------------------ issue 15: broker problems named, at once


def _first_warning(pub: MqttPublisher, caplog, timeout_s: float = 5.0) -> tuple[str, float]:
    """The first MQTT warning after ``pub.start()``, and how long it took."""
    start = time.monotonic()
    pub.start()
    deadline = start + timeout_s
    while time.monotonic() < deadline:
        lines = [r.getMessage() for r in caplog.records
                 if r.name == "frontdesk.mqtt.publisher" and r.levelno == logging.WARNING]
        if lines:
            return lines[0], time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"no warning within {timeout_s:.0f} s")


def _relay(listen_host: str, target: tuple[str, int]) -> tuple[socket.socket, int]:
    """A TCP relay on ``listen_host`` to ``target``: the broker under another address."""
    server = socket.create_server((listen_host, 0))

    def pipe(a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        with contextlib.suppress(OSError):
            b.shutdown(socket.SHUT_WR)

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                up = socket.create_connection(target)
                threading.Thread(target=pipe, args=(conn, up), daemon=True).start()
                threading.Thread(target=pipe, args=(up, conn), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def test_plain_url_on_a_tls_port_is_named_at_once(tmp_path, mqtt_broker_tls, caplog) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk")
    url = mqtt_broker_tls.url.replace("mqtts://", "mqtt://")
    pub = MqttPublisher(make_config(tmp_path, None, url=url))
    try:
        line, after_s = _first_warning(pub, caplog)
    finally:
        pub.stop(1)
    port = mqtt_broker_tls.port
    assert f"127.0.0.1:{port} is a TLS port, and the URL says plain MQTT: use " \
           f"mqtts://127.0.0.1:{port}" in line
    assert after_s < 3.0


def test_an_unknown_ca_is_named_not_called_unreachable(tmp_path, mqtt_broker_tls,
                                                       tmp_path_factory, caplog) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk")
    other = make_tls_files(tmp_path_factory.mktemp("other-ca"))
    pub = MqttPublisher(make_config(tmp_path, mqtt_broker_tls, ca_file=str(other.ca_cert)))
    try:
        line, _ = _first_warning(pub, caplog)
    finally:
        pub.stop(1)
    assert "cannot reach" not in line
    assert (f"the broker's TLS certificate is not signed by the CA in ca_file {other.ca_cert}"
            in line and "set mqtt.ca_file to the CA that signed" in line)


def test_a_wrong_host_name_is_named(tmp_path, mqtt_broker_tls, caplog) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk")
    server, port = _relay("127.0.0.2", ("127.0.0.1", mqtt_broker_tls.port))
    try:
        pub = MqttPublisher(make_config(tmp_path, None, url=f"mqtts://127.0.0.2:{port}",
                                        ca_file=str(mqtt_broker_tls.tls.ca_cert)))
        try:
            line, _ = _first_warning(pub, caplog)
        finally:
            pub.stop(1)
    finally:
        server.close()
    assert "the broker's TLS certificate is not for '127.0.0.2'" in line
    assert "use the host name the certificate lists" in line


# ------------------------------------------- issue 15: the chain ACL of docs/deployment.md

CHAIN_USERS = {SITE: "shop-pw-1", "shop-b": "shop-pw-2", "collector": "col-pw-3",
               "manager": "mgr-pw-4"}
CHAIN_ACL = """\
pattern write frontdesk/%u/#
pattern read frontdesk/%u/+/cmd/#
pattern read frontdesk/%u/fusion/#
pattern write homeassistant/device/+/config
pattern read homeassistant/status
user collector
topic read frontdesk/+/+/events
topic read frontdesk/+/events
topic readwrite frontdesk/_collectors/#
user manager
topic readwrite frontdesk/#
"""


def test_the_documented_chain_acl_lets_each_shop_write_only_as_itself(
        tmp_path, mqtt_broker_factory, mqtt_recorder, monkeypatch) -> None:
    from frontdesk.config import MqttConfig
    from frontdesk.store import VisitStore
    from frontdesk.store.collector import Collector

    broker = mqtt_broker_factory(users=CHAIN_USERS, acl=CHAIN_ACL)
    monkeypatch.setenv("FD_SHOP_PW", CHAIN_USERS[SITE])
    monkeypatch.setenv("FD_COLLECTOR_PW", CHAIN_USERS["collector"])
    db = tmp_path / "chain.db"
    collector = Collector(MqttConfig(url=broker.url, username="collector",
                                     password_env="FD_COLLECTOR_PW"), str(db),
                          client_id="acl-collector", flush_s=0.1, share_group="chain")
    collector.start()
    assert collector.wait_subscribed(10), broker.log_tail()
    thread = threading.Thread(target=collector.run, daemon=True)
    thread.start()
    pub = MqttPublisher(make_config(tmp_path, broker, username=SITE, password_env="FD_SHOP_PW"))
    try:
        pub.start()
        assert pub.wait_connected(5), broker.log_tail()
        pub.publish_events([make_event(i) for i in range(3)])
        deadline = time.monotonic() + 10
        while collector.stats.stored < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert collector.stats.stored == 3
        # shop B writes on shop 7's topic: the broker refuses it (MQTT 5: "not authorized")
        forger = mqtt_recorder(broker, ["nothing/here"], username="shop-b",
                               password=CHAIN_USERS["shop-b"])
        refused: list = []
        forger.client.on_publish = lambda c, u, mid, rc, p: refused.append(rc)
        forged = json.dumps(make_event(99).to_json())
        forger.client.publish(f"frontdesk/{SITE}/counter-1/events", forged, qos=1)
        manager = mqtt_recorder(broker, ["nothing/here"], username="manager",
                                password=CHAIN_USERS["manager"])
        manager.publish(f"frontdesk/{SITE}/counter-1/cmd/ack", b"{}")
        assert [c.counter_id for c in pub.pending_commands(timeout_s=5)] == ["counter-1"]
        deadline = time.monotonic() + 5
        while not refused and time.monotonic() < deadline:
            time.sleep(0.05)
        assert refused and refused[0].is_failure and "authori" in str(refused[0]).lower()
        time.sleep(0.5)
        assert collector.stats.received == 3
    finally:
        pub.stop(1)
        collector.stop()
        thread.join(10)
    with VisitStore.open(db, create=False) as store:
        assert store.count("events") == 3

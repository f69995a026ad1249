"""TLS, client certificates, passwords from the environment, and the broker's ACL."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from mqtt_helpers import SITE, event_ids, make_config, make_event
from mqtt_test_users import MQTT_TEST_ACL, MQTT_TEST_USERS

from frontdesk.mqtt.client import MqttSetupError
from frontdesk.mqtt.commands import CommandKind
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

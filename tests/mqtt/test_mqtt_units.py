"""MQTT pieces that need no broker: URLs, topics, commands, outbox, payloads, config."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from mqtt_helpers import COUNTERS, SITE, make_config, make_event, make_state

from frontdesk.config import (
    BuzzerConfig,
    ConfigError,
    MqttConfig,
    default_config_dict,
    parse_config,
)
from frontdesk.engine.events import EventType
from frontdesk.mqtt.commands import (
    MAX_COMMAND_BYTES,
    CommandKind,
    CommandQueue,
    CommandRejected,
    RateLimitedLog,
    parse_command,
)
from frontdesk.mqtt.contract import (
    PAYLOAD_SCHEMAS,
    PayloadError,
    json_depth,
    schema_path,
    validate_payload,
    validator_for,
)
from frontdesk.mqtt.discovery import device_discovery
from frontdesk.mqtt.outbox import Outbox, OutboxError
from frontdesk.mqtt.payloads import encode_json, event_payload, state_payload
from frontdesk.mqtt.topics import Topics
from frontdesk.mqtt.url import BrokerUrl, apply_mqtt_override, parse_mqtt_url, redact_url

TOPICS = Topics("frontdesk", SITE)


# ---------------------------------------------------------------------- URLs
@pytest.mark.parametrize("url, expected", [
    ("mqtt://broker.local", BrokerUrl("broker.local", 1883, False)),
    ("mqtts://broker.local", BrokerUrl("broker.local", 8883, True)),
    ("mqtt://10.0.0.2:1884", BrokerUrl("10.0.0.2", 1884, False)),
    ("mqtts://[::1]:8884/", BrokerUrl("::1", 8884, True)),
    ("MQTT://Host:1", BrokerUrl("host", 1, False)),
])
def test_parse_mqtt_url_accepts(url: str, expected: BrokerUrl) -> None:
    assert parse_mqtt_url(url) == expected


@pytest.mark.parametrize("url, problem", [
    ("http://x", "must start with mqtt://"),
    ("tcp://x:1883", "must start with mqtt://"),
    ("mqtt://", "no host"),
    ("mqtt://x:0", "port"),
    ("mqtt://x:70000", "port"),
    ("mqtt://x:port", "port"),
    ("mqtt://x/topic", "no path"),
    ("mqtt://x?a=1", "no path"),
    ("mqtt://user:hunter2@x", "no user name or password"),
])
def test_parse_mqtt_url_refuses(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem) as info:
        parse_mqtt_url(url)
    assert "hunter2" not in str(info.value)


def test_redact_url_hides_user_information() -> None:
    assert redact_url("mqtt://u:secret@h:1/x") == "mqtt://***@h:1/x"
    assert redact_url("mqtt://h:1") == "mqtt://h:1"


def test_apply_mqtt_override_validates_and_copies(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    out = apply_mqtt_override(config, "mqtts://broker:8883")
    assert out.mqtt.url == "mqtts://broker:8883"
    assert config.mqtt.url is None  # the original is untouched
    assert out.counters == config.counters
    with pytest.raises(ConfigError) as info:
        apply_mqtt_override(config, "mqtt://me:topsecret@broker")
    assert "--mqtt" in str(info.value) and "topsecret" not in str(info.value)


def test_override_reports_tls_files_on_a_plain_url(tmp_path: Path) -> None:
    config = make_config(tmp_path, url="mqtts://b:8883", ca_file="/etc/ca.pem")
    with pytest.raises(ConfigError, match="use mqtts://"):
        apply_mqtt_override(config, "mqtt://b:1883")


# ---------------------------------------------------------------------- config
def _parse(**sections: object) -> None:
    parse_config(yaml.safe_dump(default_config_dict(**sections)))


@pytest.mark.parametrize("mqtt, problem", [
    ({"topic_prefix": "front/#"}, "wildcard '#'"),
    ({"topic_prefix": "a//b"}, "cannot be empty"),
    ({"topic_prefix": "$SYS"}, "reserved"),
    ({"discovery_prefix": "home+assistant"}, "wildcard '+'"),
    ({"cert_file": "c.pem"}, "go together"),
    ({"password_env": "MY PASSWORD"}, "password_env"),
    ({"reconnect_min_s": 10, "reconnect_max_s": 5}, "reconnect_max_s"),
    ({"max_inflight": 0}, "max_inflight"),
    ({"protocol": "3"}, "protocol"),
])
def test_mqtt_config_refuses(mqtt: dict, problem: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(problem)):
        _parse(mqtt=mqtt)


def test_buzzer_config_section_is_validated() -> None:
    good = {"counters": ["counter-1"], "button_pin": 27, "actions": [
        {"type": "command", "on_command": ["aplay", "x.wav"], "repeat_s": 5},
        {"type": "gpio", "pin": 17},
        {"type": "tasmota", "device": "plug", "relay": 2},
        {"type": "wled", "device_topic": "wled/light", "color": [255, 80, 0]},
    ]}
    parse_config(yaml.safe_dump(default_config_dict(buzzer=good)))
    for bad, problem in (
        ({"actions": [{"type": "siren"}]}, "does not match"),
        ({"actions": [{"type": "gpio", "pin": 99}]}, "pin"),
        ({"actions": [{"type": "wled", "device_topic": "w", "color": [300, 0, 0]}]}, "0 to 255"),
        ({"actions": [{"type": "command", "on_command": []}]}, "on_command"),
        ({"counters": ["bad id"]}, "counter id"),
        ({"colour": 1}, "unknown key"),
    ):
        with pytest.raises(ConfigError, match=problem):
            _parse(buzzer=bad)
    assert BuzzerConfig().off_when_offline is True


# ---------------------------------------------------------------------- topics
def test_topics_are_built_and_parsed() -> None:
    t = Topics("shop/frontdesk", "s1", "ha")
    assert t.availability() == "shop/frontdesk/s1/availability"
    assert t.state("c") == "shop/frontdesk/s1/c/state"
    assert t.alert("c") == "shop/frontdesk/s1/c/alert"
    assert t.events("c") == "shop/frontdesk/s1/c/events"
    assert t.events(None) == "shop/frontdesk/s1/events"
    assert t.command("c", "ack") == "shop/frontdesk/s1/c/cmd/ack"
    assert t.command_filter() == "shop/frontdesk/s1/+/cmd/+"
    assert t.parse_command_topic("shop/frontdesk/s1/c/cmd/snooze") == ("c", "snooze")
    assert t.parse_command_topic("shop/frontdesk/s2/c/cmd/snooze") is None
    assert t.parse_command_topic("shop/frontdesk/s1/c/x/snooze") is None
    assert t.counter_of_alert("shop/frontdesk/s1/c.1/alert") == "c.1"
    assert t.counter_of_alert("shop/frontdesk/s1/c/state") is None
    assert t.ha_device_config("c.1") == "ha/device/frontdesk_s1_c_1/config"
    assert t.ha_status() == "ha/status"


# ---------------------------------------------------------------------- commands
def _cmd(topic: str, payload: bytes, retain: bool = False):
    return parse_command(topic, payload, retain=retain, topics=TOPICS, counters=set(COUNTERS),
                         now=5.0, now_monotonic=7.0)


def test_commands_are_parsed_into_typed_records() -> None:
    ack = _cmd(TOPICS.command("counter-1", "ack"), b"{}")
    assert (ack.kind, ack.counter_id, ack.received_at, ack.received_monotonic) == (
        CommandKind.ACKNOWLEDGE, "counter-1", 5.0, 7.0)
    ack2 = _cmd(TOPICS.command("counter-2", "ack"), b'{"source":"wrist-3"}')
    assert ack2.source == "wrist-3"
    snooze = _cmd(TOPICS.command("counter-1", "snooze"), b'{"seconds": 90}')
    assert snooze.kind is CommandKind.SNOOZE and snooze.seconds == 90.0
    enabled = _cmd(TOPICS.command("counter-2", "enabled"), b'{"enabled": false}')
    assert enabled.kind is CommandKind.SET_ENABLED and enabled.enabled is False


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth('{"a": [1, {"b": "[[[[{"}]}') == 3
    assert json_depth('"\\"[[[["') == 0 and json_depth("[" * 1000) == 1000


@pytest.mark.parametrize("topic_kind, counter, payload, retain, reason", [
    ("ack", "counter-1", b"{not json", False, "not JSON"),
    ("ack", "counter-1", b"\xff\xfe", False, "not UTF-8"),
    ("ack", "counter-1", b"[]", False, "not of type 'object'"),
    ("snooze", "counter-1", b'{"seconds": "ten"}', False, "not of type 'number'"),
    ("snooze", "counter-1", b'{"seconds": true}', False, "not of type 'number'"),
    ("snooze", "counter-1", b'{"seconds": NaN}', False, "not JSON"),
    ("snooze", "counter-1", b'{"seconds": 1e9}', False, "maximum"),
    ("snooze", "counter-1", b"{}", False, "required"),
    ("enabled", "counter-1", b'{"enabled": "no"}', False, "boolean"),
    ("enabled", "counter-1", b'{"enabled": true, "x": 1}', False, "Additional properties"),
    ("ack", "counter-9", b"{}", False, "unknown counter"),
    ("reboot", "counter-1", b"{}", False, "unknown command"),
    ("ack", "counter-1", b"{}", True, "retained"),
    ("ack", "counter-1", b"", False, "empty payload"),
    ("ack", "counter-1", b" \n", False, "empty payload"),
    ("ack", "counter-1", b"[" * 1000, False, "nests deeper than 16"),
    ("snooze", "counter-1", b'{"seconds": ' + b"[" * 17 + b"]" * 17 + b"}", False, "nests deeper"),
    ("ack", "counter-1", b'{"source":"' + b"x" * MAX_COMMAND_BYTES + b'"}', False, "bytes"),
])
def test_malformed_commands_are_rejected_with_a_reason(
    topic_kind: str, counter: str, payload: bytes, retain: bool, reason: str
) -> None:
    with pytest.raises(CommandRejected, match=reason):
        _cmd(f"frontdesk/{SITE}/{counter}/cmd/{topic_kind}", payload, retain)


@settings(max_examples=200, deadline=None)
@given(payload=st.binary(max_size=300), kind=st.sampled_from(["ack", "snooze", "enabled"]))
def test_no_payload_crashes_the_command_parser(payload: bytes, kind: str) -> None:
    try:
        command = _cmd(TOPICS.command("counter-1", kind), payload)
    except CommandRejected:
        return
    assert command.kind.value == kind  # accepted ones are well-formed
    if command.kind is CommandKind.SNOOZE:
        assert command.seconds is not None and 0 <= command.seconds <= 86400


def test_command_queue_is_fifo_bounded_and_waits() -> None:
    q = CommandQueue(maxlen=3)
    assert q.take_all(timeout_s=0.01) == []
    cmds = [_cmd(TOPICS.command("counter-1", "snooze"), f'{{"seconds": {i}}}'.encode())
            for i in range(5)]
    for c in cmds:
        q.put(c)
    assert [c.seconds for c in q.take_all()] == [2.0, 3.0, 4.0]
    assert q.dropped == 2 and len(q) == 0


def test_rate_limited_log_caps_lines(caplog: pytest.LogCaptureFixture) -> None:
    limited = RateLimitedLog(logging.getLogger("frontdesk.mqtt.test"), burst=3)
    with caplog.at_level(logging.WARNING, logger="frontdesk.mqtt.test"):
        for i in range(10):
            limited.warning("bad %d", i)
    assert [r.getMessage() for r in caplog.records][:3] == ["bad 0", "bad 1", "bad 2"]
    assert len(caplog.records) == 4 and "not logging each" in caplog.records[3].getMessage()


# ---------------------------------------------------------------------- outbox
def test_outbox_keeps_order_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "outbox.db"
    box = Outbox(path, max_events=1000)
    box.append([("c", b"a"), ("c", b"b")])
    box.append([("d", b"c")])
    rows = box.read_after(0, 10)
    assert [r.payload for r in rows] == [b"a", b"b", b"c"]
    assert box.delete([rows[0].seq, rows[0].seq]) == 1 and box.depth == 2
    box.close()
    again = Outbox(path, max_events=1000)
    assert [r.payload for r in again.read_after(0, 10)] == [b"b", b"c"]
    again.append([("c", b"d")])
    assert again.max_seq > rows[-1].seq  # numbers are never reused
    assert [r.payload for r in again.read_after(rows[1].seq, 10)] == [b"c", b"d"]
    again.close()


def test_outbox_drops_oldest_when_full(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db", max_events=100)
    assert box.append([("c", str(i).encode()) for i in range(60)]) == 0
    assert box.append([("c", str(i).encode()) for i in range(60, 130)]) == 30
    assert box.depth == 100 and box.dropped_total == 30
    assert box.read_after(0, 1)[0].payload == b"30"
    box.close()


def test_outbox_refuses_a_second_user(tmp_path: Path) -> None:
    first = Outbox(tmp_path / "o.db", max_events=100)
    with pytest.raises(OutboxError, match="in use"):
        Outbox(tmp_path / "o.db", max_events=100)
    first.close()
    Outbox(tmp_path / "o.db", max_events=100).close()


def test_outbox_reports_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(OutboxError, match="move it aside"):
        Outbox(path, max_events=100)


# ---------------------------------------------------------------------- payloads and schemas
def test_every_schema_file_is_valid_and_listed() -> None:
    from jsonschema import Draft202012Validator

    for name in PAYLOAD_SCHEMAS:
        Draft202012Validator.check_schema(json.loads(schema_path(name).read_text()))
        validator_for(name)
    on_disk = {p.name.removesuffix(".schema.json") for p in schema_path("x").parent.glob("*.json")}
    assert on_disk == set(PAYLOAD_SCHEMAS)


def test_event_payload_is_event_to_json_and_valid() -> None:
    for i, kind in enumerate(EventType):
        event = make_event(i, kind=kind)
        payload = event_payload(event)
        assert json.loads(payload) == event.to_json()
        validate_payload("event", payload)
    with pytest.raises(PayloadError):
        validate_payload("event", b'{"type": "customer_arrived", "event_id": "x"}')


def test_state_payload_is_valid_with_any_health() -> None:
    state = make_state(waiting=2, alert=True, latency=-1.5)
    for health in ({}, {"fps": 14.98, "last_frame_time": 1.7e9, "camera": "online"},
                   {"fps": float("nan"), "camera": "weird", "extra": 1}):
        data = state_payload(state, site_id=SITE, name=None, health=health, outbox_depth=3,
                             published_at=1.7e9)
        validate_payload("state", encode_json(data))
    assert data["camera"] == "unknown" and data["fps"] is None


def test_discovery_payload_is_valid() -> None:
    payload = device_discovery(Topics("frontdesk", SITE), "counter.1", "Front",
                               "http://frontdesk.local:8080/dashboard")
    validate_payload("ha-device-discovery", encode_json(payload))
    comps = payload["components"]
    ids = [c["unique_id"] for c in comps.values()]
    assert len(set(ids)) == len(ids) == 8
    assert comps["waiting"]["state_topic"] == f"frontdesk/{SITE}/counter.1/alert"
    assert comps["waiting"]["device_class"] == "problem"
    assert payload["device"]["configuration_url"] == "http://frontdesk.local:8080/dashboard"
    assert comps["staff_present"]["device_class"] == "presence"
    assert comps["customers_waiting"]["value_template"] == "{{ value_json.customers_waiting }}"
    assert comps["alerts_enabled"]["platform"] == "switch"
    assert comps["snooze"]["platform"] == "button"


def test_discovery_buttons_and_switch_send_commands_the_engine_takes() -> None:
    from frontdesk.mqtt.commands import CommandKind, parse_command

    topics = Topics("frontdesk", SITE)
    comps = device_discovery(topics, "counter-1", None)["components"]
    sent = [(comps["acknowledge"]["command_topic"], comps["acknowledge"]["payload_press"]),
            (comps["snooze"]["command_topic"], comps["snooze"]["payload_press"]),
            (comps["alerts_enabled"]["command_topic"], comps["alerts_enabled"]["payload_off"]),
            (comps["alerts_enabled"]["command_topic"], comps["alerts_enabled"]["payload_on"])]
    got = [parse_command(topic, payload.encode(), retain=False, topics=topics,
                         counters={"counter-1"}) for topic, payload in sent]
    assert [c.kind for c in got] == [CommandKind.ACKNOWLEDGE, CommandKind.SNOOZE,
                                     CommandKind.SET_ENABLED, CommandKind.SET_ENABLED]
    assert got[1].seconds == 600 and got[2].enabled is False and got[3].enabled is True


def test_two_sites_main_counters_get_different_device_names() -> None:
    a = device_discovery(Topics("frontdesk", "shop-north"), "counter-1", "Main counter")
    b = device_discovery(Topics("frontdesk", "shop-south"), "counter-1", "Main counter")
    assert a["device"]["name"] == "Main counter (shop-north)"
    assert a["device"]["name"] != b["device"]["name"]
    assert a["device"]["identifiers"] != b["device"]["identifiers"]


@pytest.mark.parametrize(("web", "mqtt", "url"), [
    ({"enabled": True, "bind": "192.168.1.20:8080"}, {}, "http://192.168.1.20:8080/dashboard"),
    ({"enabled": True, "bind": "127.0.0.1:8080"}, {}, None),  # Home Assistant cannot reach it
    ({"enabled": False}, {}, None),
    ({"enabled": True, "bind": "127.0.0.1:8080"},
     {"ha_configuration_url": "https://shop.example/frontdesk/"}, "https://shop.example/frontdesk/"),
])
def test_configuration_url_comes_from_the_web_bind_or_the_config(
        tmp_path: Path, web: dict, mqtt: dict, url: str | None) -> None:
    from frontdesk.mqtt.discovery import configuration_url

    config = make_config(tmp_path, **mqtt)
    config = config.model_copy(update={"web": config.web.model_copy(update=web)})
    assert configuration_url(config) == url


@pytest.mark.parametrize("name, payload", [
    ("availability", b"maybe"), ("alert", b"on"), ("alert", b"1"), ("ha-status", b"\xff"),
])
def test_text_payloads_are_strict(name: str, payload: bytes) -> None:
    with pytest.raises(PayloadError):
        validate_payload(name, payload)


def test_mqtt_config_defaults_match_the_contract() -> None:
    m = MqttConfig()
    assert (m.topic_prefix, m.protocol, m.discovery_prefix) == ("frontdesk", "5", "homeassistant")


# ---------------------------------------------------------------------- buzzer command line
def _buzzer_args(argv: list[str]):
    import argparse

    from frontdesk.commands import buzzer as command

    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    return command, parser.parse_args(["buzzer", *argv])


def test_buzzer_settings_merge_the_config_file_and_flags(tmp_path: Path) -> None:
    data = default_config_dict(
        site_id="shop-9",
        mqtt={"url": "mqtt://broker:1883", "topic_prefix": "chain/fd"},
        buzzer={"counters": ["counter-1"], "actions": [{"type": "tasmota", "device": "plug"}]},
    )
    path = tmp_path / "frontdesk.yaml"
    path.write_text(yaml.safe_dump(data))
    command, args = _buzzer_args(["-c", str(path), "--on-command", "aplay 'a b.wav'",
                                  "--repeat-s", "5", "--wled", "wled/x", "--site", "shop-10"])
    mqtt, site, buzzer = command._settings(args)
    assert (mqtt.url, mqtt.topic_prefix, site) == ("mqtt://broker:1883", "chain/fd", "shop-10")
    assert [a.type for a in buzzer.actions] == ["tasmota", "command", "wled"]
    assert buzzer.actions[1].on_command == ["aplay", "a b.wav"]
    assert buzzer.actions[1].repeat_s == 5 and buzzer.counters == ["counter-1"]


@pytest.mark.parametrize("argv, problem", [
    (["--site", "s"], "needs a broker"),
    (["--mqtt", "mqtt://b", "--repeat-s", "3"], "need --on-command"),
    (["--mqtt", "http://b"], "mqtt://"),
    (["--mqtt", "mqtt://b", "--counter", "no such"], "counter id"),
])
def test_buzzer_settings_refuse_what_cannot_work(argv: list[str], problem: str) -> None:
    command, args = _buzzer_args(argv)
    with pytest.raises(ConfigError, match=problem):
        command._settings(args)


def test_drop_unacknowledged_works_with_paho_2_1_and_2_2() -> None:
    import threading
    from types import SimpleNamespace

    from frontdesk.mqtt.client import drop_unacknowledged

    dropped: list[bool] = []
    drop_unacknowledged(SimpleNamespace(drop_out_messages=lambda: dropped.append(True)))
    old = SimpleNamespace(_out_message_mutex=threading.Lock(), _out_messages={1: "m", 2: "n"})
    drop_unacknowledged(old)  # paho 2.1 has no drop_out_messages
    assert dropped == [True] and old._out_messages == {}

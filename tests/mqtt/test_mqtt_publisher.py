"""The publisher against a real broker: contract, retained state, discovery, commands."""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest
from mqtt_helpers import COUNTERS, SITE, event_ids, make_config, make_event, make_state

from frontdesk.engine.context import CONTEXTS
from frontdesk.engine.events import EventType
from frontdesk.mqtt.commands import CommandKind
from frontdesk.mqtt.contract import validate_payload
from frontdesk.mqtt.local_broker import MosquittoBroker, free_port
from frontdesk.mqtt.publisher import MqttPublisher

BASE = f"frontdesk/{SITE}"
AVAIL = f"{BASE}/availability"


def schema_for(topic: str) -> str:
    if topic == AVAIL:
        return "availability"
    if topic.startswith("homeassistant/device/") and topic.endswith("/config"):
        return "ha-device-discovery"
    for suffix, name in (("/state", "state"), ("/alert", "alert"), ("/events", "event")):
        if topic.startswith(BASE + "/") and topic.endswith(suffix):
            return name
    raise AssertionError(f"unexpected topic {topic}")


@pytest.fixture
def publisher_factory():
    made: list[MqttPublisher] = []

    def make(config) -> MqttPublisher:
        pub = MqttPublisher(config)
        made.append(pub)
        return pub

    yield make
    for pub in made:
        pub.stop(timeout_s=1.0)  # does nothing when the test stopped it already


def test_every_published_payload_meets_its_schema(tmp_path, mqtt_broker, mqtt_recorder,
                                                   publisher_factory) -> None:
    rec = mqtt_recorder(mqtt_broker, ["frontdesk/#", "homeassistant/#"])
    pub = publisher_factory(make_config(tmp_path, mqtt_broker, state_interval_s=1))
    pub.start()
    assert pub.wait_connected(5)
    events = [make_event(i, COUNTERS[i % 2]) for i in range(len(EventType) * 2)]
    events += [make_event(i, kind=EventType.CUSTOMER_WAITING) for i in range(100, 107)]
    pub.publish_events(events)
    pub.publish_state({"counter-1": make_state("counter-1", waiting=2, alert=True),
                       "counter-2": make_state("counter-2", latency=3.5)},
                      {"fps": 15.2, "last_frame_time": time.time(), "camera": "online"})
    assert pub.wait_idle(5)
    rec.wait_message(f"{BASE}/counter-1/alert", b"ON")
    rec.wait_for(lambda ms: sum(m.topic.endswith("/state") for m in ms) >= 2)
    pub.stop(timeout_s=2)
    rec.wait_message(AVAIL, b"offline")

    messages = rec.snapshot()
    seen = {schema_for(m.topic) for m in messages}
    assert seen == {"availability", "state", "alert", "event", "ha-device-discovery"}
    for m in messages:
        validate_payload(schema_for(m.topic), m.payload)
    stream = [m for m in messages if m.topic.endswith("/events")]
    assert sorted(event_ids(stream)) == sorted(e.event_id for e in events)
    assert all(m.qos == 1 and not m.retain for m in stream)
    # Every word of the staff-context vocabulary went out on an alert, and met the schema.
    alerts = [json.loads(m.payload) for m in stream if b"customer_waiting" in m.payload]
    assert {a.get("context") for a in alerts} >= {c.value for c in CONTEXTS}
    for m in stream:  # each event on its own counter's stream, exactly Event.to_json()
        data = json.loads(m.payload)
        assert m.topic == f"{BASE}/{data['counter_id']}/events"
        assert data == next(e.to_json() for e in events if e.event_id == data["event_id"])
    # a clean stop turns every alert OFF, then says offline
    assert rec.on(f"{BASE}/counter-1/alert")[-1].payload == b"OFF"
    assert rec.on(AVAIL)[-1].payload == b"offline"


def test_a_late_subscriber_is_right_at_once(tmp_path, mqtt_broker, mqtt_recorder,
                                            publisher_factory) -> None:
    first = mqtt_recorder(mqtt_broker, [f"{BASE}/#"])
    pub = publisher_factory(make_config(tmp_path, mqtt_broker))
    pub.start()
    pub.publish_state({"counter-1": make_state(waiting=1, alert=True, latency=2.0)},
                      {"camera": "online", "fps": 12.0})
    first.wait_message(f"{BASE}/counter-1/state")
    first.wait_message(f"{BASE}/counter-1/alert", b"ON")

    late = mqtt_recorder(mqtt_broker, [f"{BASE}/#"])
    state = late.wait_message(f"{BASE}/counter-1/state", timeout_s=2)
    alert = late.wait_message(f"{BASE}/counter-1/alert", timeout_s=2)
    online = late.wait_message(AVAIL, timeout_s=2)
    assert state.retain and alert.retain and online.retain
    data = json.loads(state.payload)
    assert (data["customers_waiting"], data["alert"], data["camera"], data["fps"]) == (
        1, True, "online", 12.0)
    assert alert.payload == b"ON" and online.payload == b"online"


def test_retained_topics_are_republished_after_the_broker_loses_them(
        tmp_path, mqtt_broker, mqtt_recorder, publisher_factory) -> None:
    pub = publisher_factory(make_config(tmp_path, mqtt_broker))
    pub.start()
    pub.publish_state({"counter-2": make_state("counter-2", waiting=1, alert=True)}, {})
    assert pub.wait_connected(5)
    mqtt_broker.kill()  # no persistence: every retained message is gone
    mqtt_broker.restart()
    assert pub.wait_connected(6, connections=2)
    late = mqtt_recorder(mqtt_broker, [f"{BASE}/#"])
    assert late.wait_message(AVAIL, b"online", timeout_s=6).retain
    assert late.wait_message(f"{BASE}/counter-2/alert", b"ON", timeout_s=3).retain
    assert json.loads(late.wait_message(f"{BASE}/counter-2/state").payload)["alert"] is True


def test_alert_topic_follows_state_and_enabled(tmp_path, mqtt_broker, mqtt_recorder,
                                               publisher_factory) -> None:
    rec = mqtt_recorder(mqtt_broker, [f"{BASE}/counter-1/alert"])
    pub = publisher_factory(make_config(tmp_path, mqtt_broker))
    pub.start()
    topic = f"{BASE}/counter-1/alert"
    first = rec.wait_message(topic, b"OFF")  # nothing known yet: OFF
    pub.publish_state({"counter-1": make_state(waiting=1, alert=True)}, {})
    rec.wait_message(topic, b"ON")
    pub.publish_state({"counter-1": make_state(waiting=1, alert=True, enabled=False)}, {})
    mark = len(rec.snapshot())
    rec.wait_message(topic, b"OFF", after=mark - 0)
    pub.publish_state({"counter-1": make_state(waiting=1, alert=True, t=11.0)}, {})
    rec.wait_message(topic, b"ON", after=mark)
    # the alert topic changes only on change, not on every frame
    for k in range(20):
        pub.publish_state({"counter-1": make_state(waiting=1, alert=True, t=12.0 + k)}, {})
    pub.publish_state({"counter-1": make_state(waiting=0, alert=False, t=40.0)}, {})
    last = rec.wait_message(topic, b"OFF", after=mark + 1)
    payloads = [m.payload for m in rec.on(topic) if m.at >= first.at]
    assert payloads == [b"OFF", b"ON", b"OFF", b"ON", b"OFF"], payloads
    assert last.payload == b"OFF"


def test_state_heartbeat_and_waiting_refresh(tmp_path, mqtt_broker, mqtt_recorder,
                                             publisher_factory) -> None:
    rec = mqtt_recorder(mqtt_broker, [f"{BASE}/counter-1/state"])
    pub = publisher_factory(make_config(tmp_path, mqtt_broker, state_interval_s=1))
    pub.start()
    pub.publish_state({"counter-1": make_state()}, {"camera": "online"})
    assert rec.wait_for(lambda ms: len(ms) >= 3, timeout_s=4), "no heartbeat"
    stamps = [json.loads(m.payload)["published_at"] for m in rec.snapshot()]
    assert stamps == sorted(stamps) and stamps[-1] > stamps[0]
    # frames arriving every few ms while nobody waits: no flood of state messages
    n = len(rec.snapshot())
    for k in range(50):
        pub.publish_state({"counter-1": make_state(t=20.0 + k * 0.01)}, {"camera": "online"})
    pub.publish_state({"counter-1": make_state(t=21.0, waiting=1)}, {"camera": "online"})
    rec.wait_for(lambda ms: any(json.loads(m.payload)["customers_waiting"] == 1 for m in ms))
    assert len(rec.snapshot()) - n <= 2


def test_home_assistant_discovery_and_reannounce_on_birth(tmp_path, mqtt_broker, mqtt_recorder,
                                                          publisher_factory) -> None:
    rec = mqtt_recorder(mqtt_broker, ["homeassistant/#"])
    pub = publisher_factory(make_config(tmp_path, mqtt_broker))
    pub.start()
    topics = {f"homeassistant/device/frontdesk_{SITE}_{c}/config" for c in COUNTERS}
    assert rec.wait_for(lambda ms: {m.topic for m in ms} >= topics)
    first = rec.snapshot()
    for m in first:
        assert m.topic in topics
        payload = validate_payload("ha-device-discovery", m.payload)
        comps = payload["components"]
        assert {c["platform"] for c in comps.values()} == {"binary_sensor", "sensor", "button",
                                                            "switch"}
        assert payload["availability_topic"] == AVAIL
        assert comps["waiting"]["state_topic"].endswith("/alert")
    assert json.loads(next(m.payload for m in first if "counter-1" in m.topic)
                      )["device"]["name"] == f"Front counter ({SITE})"
    late = mqtt_recorder(mqtt_broker, ["homeassistant/device/#"])
    assert late.wait_for(lambda ms: len(ms) == 2) and all(m.retain for m in late.snapshot())

    rec.publish("homeassistant/status", b"offline")
    rec.publish("homeassistant/status", b"online")
    assert rec.wait_for(lambda ms: len(ms) >= len(first) + 2 + 2)
    again = [m for m in rec.snapshot()[len(first):] if m.topic in topics]
    assert {m.topic for m in again} == topics  # announced again after the birth message
    assert len(again) == 2  # and only once: "offline" announced nothing


def test_commands_reach_the_main_loop_typed(tmp_path, mqtt_broker, mqtt_recorder,
                                            publisher_factory) -> None:
    pub = publisher_factory(make_config(tmp_path, mqtt_broker))
    pub.start()
    assert pub.wait_connected(5)
    sender = mqtt_recorder(mqtt_broker, ["unused/topic"])
    sender.publish(f"{BASE}/counter-1/cmd/ack", b"{}")
    sender.publish(f"{BASE}/counter-2/cmd/snooze", b'{"seconds": 300, "source": "manager"}')
    sender.publish(f"{BASE}/counter-2/cmd/enabled", b'{"enabled": false}')
    got = []
    deadline = time.monotonic() + 5
    while len(got) < 3 and time.monotonic() < deadline:
        got += pub.pending_commands(timeout_s=0.5)
    assert [(c.kind, c.counter_id) for c in got] == [
        (CommandKind.ACKNOWLEDGE, "counter-1"), (CommandKind.SNOOZE, "counter-2"),
        (CommandKind.SET_ENABLED, "counter-2")]
    assert got[1].seconds == 300.0 and got[1].source == "manager" and got[2].enabled is False
    assert abs(got[0].received_at - time.time()) < 5
    assert pub.pending_commands() == []
    assert pub.stats["commands_received"] == 3


def test_malformed_inbound_messages_are_ignored_with_one_line_each(
        tmp_path, mqtt_broker, mqtt_recorder, publisher_factory, caplog) -> None:
    sender = mqtt_recorder(mqtt_broker, ["unused/topic"])
    # retained before frontdesk subscribes: the broker does not send it (retain handling 2)
    sender.publish(f"{BASE}/counter-1/cmd/ack", b"{}", retain=True)
    pub = publisher_factory(make_config(tmp_path, mqtt_broker))
    caplog.set_level(logging.INFO, logger="frontdesk.mqtt")
    pub.start()
    assert pub.wait_connected(5)
    bad = [
        (f"{BASE}/counter-1/cmd/ack", b"{oops"),                       # bad JSON
        (f"{BASE}/counter-1/cmd/ack", b"\xc3\x28\xff"),                # not UTF-8
        (f"{BASE}/counter-1/cmd/ack", b'"yes"'),                       # wrong type
        (f"{BASE}/counter-1/cmd/snooze", b'{"seconds": "soon"}'),      # wrong type
        (f"{BASE}/counter-1/cmd/snooze", b'{"seconds": -5}'),          # out of range
        (f"{BASE}/counter-2/cmd/enabled", b'{"enabled": 1}'),          # wrong type
        (f"{BASE}/counter-2/cmd/enabled", b"x" * 5000),                # oversized
        (f"{BASE}/counter-9/cmd/ack", b"{}"),                          # unknown counter
        (f"{BASE}/counter-1/cmd/reboot", b"{}"),                       # unknown command
        ("homeassistant/status", b"\xff\xfe"),                         # not UTF-8
        ("homeassistant/status", b"restarting"),                       # unknown word
    ]
    for topic, payload in bad:
        sender.publish(topic, payload)
    sender.publish(f"{BASE}/counter-2/cmd/ack", b'{"source": "last"}')  # a good one, last
    got = pub.pending_commands(timeout_s=5)
    assert [(c.counter_id, c.source) for c in got] == [("counter-2", "last")]

    ignored = [r for r in caplog.records if "ignored a message" in r.getMessage()]
    assert len(ignored) == len(bad)  # the retained command never arrived
    assert all(r.levelno == logging.WARNING for r in ignored)
    assert pub.stats["commands_ignored"] == len(bad)
    # still alive and publishing
    watcher = mqtt_recorder(mqtt_broker, [f"{BASE}/counter-1/events"])
    pub.publish_events([make_event(7)])
    assert event_ids([watcher.wait_message(f"{BASE}/counter-1/events")]) == ["e000007"]


def test_no_broker_configured_warns_once_and_keeps_the_outbox(tmp_path, caplog,
                                                              publisher_factory) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk.mqtt")
    config = make_config(tmp_path)
    pub = publisher_factory(config)
    pub.start()
    for i in range(200):
        pub.publish_events([make_event(i)])
        pub.publish_state({"counter-1": make_state(t=float(i))}, {})
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "no broker configured" in warnings[0].getMessage()
    assert pub.stats["outbox_depth"] == 200 and pub.stats["connected"] is False
    assert pub.pending_commands() == []
    pub.stop()
    assert Path(config.mqtt.outbox_path).exists()


def test_unreachable_broker_warns_once_then_delivers_the_backlog(
        tmp_path, caplog, mqtt_recorder, publisher_factory) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk.mqtt")
    port = free_port()
    broker = MosquittoBroker(tmp_path / "late-broker")
    broker.port = port
    config = make_config(tmp_path, url=f"mqtt://127.0.0.1:{port}")
    pub = publisher_factory(config)
    failures = threading.Semaphore(0)
    original = pub._client.on_connect_fail

    def counting_fail(client, userdata):
        original(client, userdata)
        failures.release()

    pub._client.on_connect_fail = counting_fail
    pub.start()
    slowest = 0.0
    for i in range(3):  # three reports of failed attempts, events produced meanwhile
        assert failures.acquire(timeout=5)
        for k in range(20):
            t0 = time.perf_counter()
            pub.publish_events([make_event(i * 20 + k)])
            slowest = max(slowest, time.perf_counter() - t0)
    assert slowest < 0.05  # the main loop never waits for the broker
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "cannot reach" in warnings[0].getMessage(), warnings
    assert pub.stats["outbox_depth"] == 60
    try:
        broker.start()
        rec = mqtt_recorder(broker, [f"{BASE}/counter-1/events"])
        assert rec.wait_for(lambda ms: len(set(event_ids(ms))) == 60, timeout_s=10)
        assert event_ids(rec.snapshot())[:60] == [f"e{i:06d}" for i in range(60)]
        assert pub.wait_idle(5) and pub.stats["outbox_depth"] == 0
        assert any("connected to" in r.getMessage() for r in caplog.records)
        assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
    finally:
        pub.stop(1)
        broker.stop()


def test_an_outbox_that_cannot_be_written_is_counted_and_reported_once(
        tmp_path, caplog, publisher_factory) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk.mqtt")
    pub = publisher_factory(make_config(tmp_path))
    pub.start()
    pub._outbox._db.close()  # as if the disk had gone away
    for i in range(5):
        pub.publish_events([make_event(i), make_event(i + 100)])  # never raises
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "cannot write the outbox" in errors[0].getMessage()
    assert pub.stats["lost"] == 10


# ------------------------------------------------------------------ issue 15: command topics


def _commands_after(pub: MqttPublisher, sender, good_topic: str) -> list:
    """Every command taken up to and including a good one sent last (order is kept)."""
    sender.publish(good_topic, b'{"source": "last"}')
    got: list = []
    deadline = time.monotonic() + 5
    while not any(c.source == "last" for c in got) and time.monotonic() < deadline:
        got += pub.pending_commands(timeout_s=0.5)
    return got


def test_clearing_a_retained_command_and_retaining_one_while_connected_do_nothing(
        tmp_path, mqtt_broker, mqtt_recorder, publisher_factory, caplog) -> None:
    pub = publisher_factory(make_config(tmp_path, mqtt_broker))
    caplog.set_level(logging.INFO, logger="frontdesk.mqtt")
    pub.start()
    assert pub.wait_connected(5)
    time.sleep(0.3)  # subscribed
    sender = mqtt_recorder(mqtt_broker, ["unused/topic"])
    sender.publish(f"{BASE}/counter-1/cmd/ack", b"", retain=True)  # the usual way to clear
    sender.publish(f"{BASE}/counter-1/cmd/ack", b"")  # empty, not retained
    sender.publish(f"{BASE}/counter-1/cmd/ack", b'{"source": "retained"}', retain=True)
    sender.publish(f"{BASE}/counter-1/cmd/snooze", b'{"seconds": 60}', retain=True)
    got = _commands_after(pub, sender, f"{BASE}/counter-2/cmd/ack")
    assert [(c.counter_id, c.source) for c in got] == [("counter-2", "last")]
    reasons = [r.getMessage() for r in caplog.records if "ignored a message" in r.getMessage()]
    assert sum("empty payload" in m for m in reasons) == 1
    assert sum("retained command" in m for m in reasons) == 3
    sender.publish(f"{BASE}/counter-1/cmd/ack", b"", retain=True)  # tidy the broker
    sender.publish(f"{BASE}/counter-1/cmd/snooze", b"", retain=True)


def test_deep_nesting_is_refused_before_parsing_and_the_log_stays_bounded(
        tmp_path, mqtt_broker, mqtt_recorder, publisher_factory, caplog) -> None:
    pub = publisher_factory(make_config(tmp_path, mqtt_broker))
    caplog.set_level(logging.DEBUG)
    pub.start()
    assert pub.wait_connected(5)
    sender = mqtt_recorder(mqtt_broker, ["unused/topic"])
    bomb = b"[" * 1000  # under the 1,024-byte limit
    for _ in range(100):
        sender.publish(f"{BASE}/counter-1/cmd/ack", bomb)
    sender.publish("homeassistant/status", bomb)
    got = _commands_after(pub, sender, f"{BASE}/counter-2/cmd/ack")
    assert [(c.counter_id, c.source) for c in got] == [("counter-2", "last")]
    assert pub.stats["commands_ignored"] == 101
    lines = [r for r in caplog.records if r.name.startswith(("frontdesk.mqtt", "paho"))
             and r.levelno >= logging.WARNING]
    assert len(lines) <= 21  # 20 a minute, and one saying the rest are not logged
    assert not any(r.levelno >= logging.ERROR for r in lines)
    assert "nests deeper than 16 levels" in lines[0].getMessage()
    assert "RecursionError" not in caplog.text


def test_events_left_by_an_earlier_run_are_announced_then_sent(tmp_path, mqtt_broker,
                                                               mqtt_recorder, publisher_factory,
                                                               caplog) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="frontdesk.mqtt")
    offline = publisher_factory(make_config(tmp_path))  # no broker: events stay in the outbox
    offline.publish_events([make_event(i) for i in range(3)])
    offline.stop(timeout_s=1.0)
    rec = mqtt_recorder(mqtt_broker, [f"{BASE}/#"])
    pub = publisher_factory(make_config(tmp_path, mqtt_broker))
    pub.start()
    assert any("3 events left in the outbox" in r.getMessage() and "earlier run" in
               r.getMessage() for r in caplog.records)
    assert rec.wait_for(lambda ms: len([m for m in ms if m.topic.endswith("/events")]) >= 3)

"""Nothing lost, nothing reordered: broker outages, frontdesk restarts, a killed process."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from mqtt_helpers import SITE, event_ids, make_config, make_event

from frontdesk.mqtt.publisher import MqttPublisher

BASE = f"frontdesk/{SITE}"
EVENTS = f"{BASE}/counter-1/events"


def first_arrivals(ids: list[str]) -> list[str]:
    """Each id once, in the order it first arrived (consumers dedupe by event_id)."""
    seen: set[str] = set()
    out = []
    for i in ids:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out


def _stream_through_an_outage(tmp_path, broker, rec, protocol, end_broker):
    """Publish a backlog, end the broker mid-stream, publish more, restart it.

    Returns (publisher, ids the old broker had acknowledged, expected ids).
    """
    pub = MqttPublisher(make_config(tmp_path, broker, protocol=protocol, max_inflight=16))
    acked: set[int] = set()  # outbox seqs the broker acknowledged (PUBACK)
    settle = pub._settle_locked

    def recording_settle(seq, ok, reason):
        acked.add(seq)
        settle(seq, ok, reason)

    pub._settle_locked = recording_settle
    pub.start()
    assert pub.wait_connected(5)
    before, during = 1500, 200
    pub.publish_events([make_event(i) for i in range(before)])  # outbox seq = i + 1
    assert rec.wait_for(lambda ms: len(ms) >= 150, timeout_s=10)
    end_broker()  # mid-stream: the sender is still working through the backlog
    with pub._cv:  # the publisher has noticed; no more PUBACKs from that broker
        assert pub._cv.wait_for(lambda: not pub._connected, timeout=5)
        acked_by_old = {f"e{seq - 1:06d}" for seq in acked}
    assert len(acked_by_old) < before, "the stream finished before the broker went away"
    for i in range(before, before + during):  # frames go on meanwhile
        pub.publish_events([make_event(i)])
    broker.restart()
    return pub, acked_by_old, [f"e{i:06d}" for i in range(before + during)]


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_broker_stopped_mid_stream_loses_and_reorders_nothing(
        tmp_path, mqtt_broker_factory, mqtt_recorder, protocol) -> None:
    broker = mqtt_broker_factory(persistence=True)
    # a persistent subscriber: the broker queues for it while it is away, and a
    # clean stop saves that queue
    rec = mqtt_recorder(broker, [EVENTS], client_id="dashboard-1", clean=False)
    pub, _, expected = _stream_through_an_outage(tmp_path, broker, rec, protocol, broker.stop)
    try:
        ok = rec.wait_for(lambda ms: len(set(event_ids(ms))) == len(expected), timeout_s=15)
        ids = event_ids(rec.snapshot())
        missing = sorted(set(expected) - set(ids))
        assert ok, f"{len(missing)} events never arrived, first {missing[:5]}"
        assert first_arrivals(ids) == expected
        assert pub.wait_idle(5)
        assert pub.stats["outbox_depth"] == 0 and pub.stats["dropped"] == 0
        assert pub.stats["connections"] >= 2
    finally:
        pub.stop(1)


def test_broker_killed_mid_stream_gets_everything_it_had_not_acknowledged(
        tmp_path, mqtt_broker_factory, mqtt_recorder) -> None:
    """SIGKILL: what the broker had acknowledged but not yet passed on dies with it
    (the broker's durability, not frontdesk's); everything else must arrive, in order."""
    broker = mqtt_broker_factory(persistence=True)
    rec = mqtt_recorder(broker, [EVENTS], client_id="dashboard-2", clean=False)
    broker.save()  # the subscriber's session survives the SIGKILL
    pub, acked_by_old, expected = _stream_through_an_outage(tmp_path, broker, rec, "5",
                                                            broker.kill)
    try:
        must_arrive = set(expected) - acked_by_old
        ok = rec.wait_for(lambda ms: must_arrive <= set(event_ids(ms)), timeout_s=15)
        ids = event_ids(rec.snapshot())
        missing = sorted(must_arrive - set(ids))
        assert ok, f"{len(missing)} unacknowledged events never arrived, first {missing[:5]}"
        arrived = first_arrivals(ids)
        assert arrived == sorted(arrived), "reordered"
        assert set(expected) - set(ids) <= set(expected) - must_arrive
        assert pub.wait_idle(5) and pub.stats["outbox_depth"] == 0
    finally:
        pub.stop(1)


def test_restart_with_a_backlog_sends_it_in_order_with_original_times(
        tmp_path, mqtt_broker, mqtt_recorder) -> None:
    offline = make_config(tmp_path)  # no broker: everything stays in the outbox
    events = [make_event(i) for i in range(250)]
    first = MqttPublisher(offline)
    first.start()
    for k in range(0, 250, 10):
        first.publish_events(events[k:k + 10])
    first.stop()

    rec = mqtt_recorder(mqtt_broker, [EVENTS])
    second = MqttPublisher(make_config(tmp_path, mqtt_broker))
    try:
        assert second.stats["outbox_depth"] == 250
        second.start()
        assert rec.wait_for(lambda ms: len(ms) >= 250, timeout_s=10)
        received = [json.loads(m.payload) for m in rec.snapshot()]
        assert received == [e.to_json() for e in events]  # same order, same t and wall_time
        assert second.wait_idle(5) and second.stats["outbox_depth"] == 0
    finally:
        second.stop(1)


def test_stop_mid_flight_then_restart_loses_nothing(tmp_path, mqtt_broker, mqtt_recorder
                                                    ) -> None:
    rec = mqtt_recorder(mqtt_broker, [EVENTS])
    config = make_config(tmp_path, mqtt_broker, max_inflight=4)
    first = MqttPublisher(config)
    first.start()
    assert first.wait_connected(5)
    first.publish_events([make_event(i) for i in range(1000)])
    first.stop(timeout_s=0)  # no time to flush: the rest stays in the outbox
    left = MqttPublisher(config)
    try:
        depth = left.stats["outbox_depth"]
        assert 0 < depth <= 1000
        left.start()
        expected = [f"e{i:06d}" for i in range(1000)]
        assert rec.wait_for(lambda ms: set(event_ids(ms)) == set(expected), timeout_s=10)
        assert first_arrivals(event_ids(rec.snapshot())) == expected
    finally:
        left.stop(1)


def test_full_outbox_drops_the_oldest_and_says_so_once(tmp_path, mqtt_broker, mqtt_recorder,
                                                       caplog) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk.mqtt")
    config = make_config(tmp_path, outbox_max_events=100)
    pub = MqttPublisher(config)
    pub.start()
    for i in range(250):
        pub.publish_events([make_event(i)])
    assert pub.stats["outbox_depth"] == 100 and pub.stats["dropped"] == 150
    full = [r for r in caplog.records if "outbox is full" in r.getMessage()]
    assert len(full) == 1 and full[0].levelno == logging.WARNING
    pub.stop()

    rec = mqtt_recorder(mqtt_broker, [EVENTS])
    again = MqttPublisher(make_config(tmp_path, mqtt_broker, outbox_max_events=100))
    try:
        again.start()
        assert rec.wait_for(lambda ms: len(ms) >= 100, timeout_s=10)
        assert event_ids(rec.snapshot()) == [f"e{i:06d}" for i in range(150, 250)]
    finally:
        again.stop(1)


def test_last_will_reports_a_killed_process_offline(tmp_path, mqtt_broker, mqtt_recorder
                                                    ) -> None:
    avail = f"{BASE}/availability"
    rec = mqtt_recorder(mqtt_broker, [avail])
    script = Path(__file__).with_name("publisher_process.py")
    proc = subprocess.Popen([sys.executable, str(script), mqtt_broker.url,
                             str(tmp_path / "child-outbox.db")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == "READY", f"child said {line!r}: {proc.stderr.read() if proc.stderr else ''}"
        online = rec.wait_message(avail, b"online")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=5)
        offline = rec.wait_message(avail, b"offline", timeout_s=5)
        assert offline.at > online.at
        # a late subscriber learns it too: the will is retained
        late = mqtt_recorder(mqtt_broker, [avail])
        retained = late.wait_message(avail, timeout_s=2)
        assert retained.payload == b"offline" and retained.retain
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)

"""The MQTT side of several cameras and of the heartbeat, against a real broker.

* a camera worker's publisher has its own availability topic and last will, and
  its Home Assistant devices point at it;
* the buzzer treats frontdesk as offline only when every camera worker is, and
  ignores the stale alert of a counter whose camera's worker is down;
* the state heartbeat carries ``last_frame_age_s``, which keeps growing while the
  main loop hands over nothing new (a stuck loop).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mqtt_helpers import SITE, make_config, make_state

from frontdesk.config import BuzzerConfig, MqttConfig
from frontdesk.mqtt.buzzer import Buzzer
from frontdesk.mqtt.contract import validate_payload
from frontdesk.mqtt.payloads import state_payload
from frontdesk.mqtt.publisher import MqttPublisher
from frontdesk.mqtt.topics import Topics

BASE = f"frontdesk/{SITE}"


def _camera_config(tmp_path: Path, broker: Any, camera_id: str, **mqtt: Any) -> Any:
    """make_config's two counters as camera ``camera_id`` of a two-camera config."""
    one = make_config(tmp_path, broker, **mqtt)
    data = one.model_dump(exclude={"camera", "counters", "cameras"})
    counters = [c.model_dump() for c in one.counters]
    data["cameras"] = [
        {"id": "front", "counters": [counters[0]]},
        {"id": "back", "counters": [counters[1]]},
    ]
    from frontdesk.config import Config

    return Config.model_validate(data).for_camera(camera_id)


def test_topics_availability_is_per_camera_and_recognised() -> None:
    site, cam = Topics("p", "s"), Topics("p", "s", camera_id="front")
    assert site.availability() == "p/s/availability"
    assert cam.availability() == "p/s/front/availability"
    assert site.availability_filter() == "p/s/+/availability"
    assert site.is_availability("p/s/availability") and site.is_availability(cam.availability())
    assert not site.is_availability("p/s/a/b/availability")
    assert not site.is_availability("p/other/availability")
    assert not site.is_availability("p/s/counter-1/alert")


def test_camera_worker_publishes_its_own_availability_and_last_will(
    tmp_path: Path, mqtt_broker: Any, mqtt_recorder: Any
) -> None:
    rec = mqtt_recorder(mqtt_broker, ["frontdesk/#", "homeassistant/#"])
    config = _camera_config(tmp_path, mqtt_broker, "back")
    pub = MqttPublisher(config)
    assert pub.client_id == f"frontdesk-{SITE}-back"
    pub.start()
    try:
        assert pub.wait_connected(5)
        rec.wait_message(f"{BASE}/back/availability", b"online")
        discovery = rec.wait_message("homeassistant/device/frontdesk_shop-7_counter-2/config")
        assert json.loads(discovery.payload)["availability_topic"] == f"{BASE}/back/availability"
    finally:
        pub.stop(2)
    rec.wait_message(f"{BASE}/back/availability", b"offline")
    assert rec.on(f"{BASE}/availability") == []  # the site's topic is left alone
    assert (tmp_path / "outbox-back.db").exists() and not (tmp_path / "outbox.db").exists()


@contextlib.contextmanager
def _running_buzzer(broker: Any) -> Iterator[Buzzer]:
    """A buzzer with the default settings, connected and running in a thread."""
    buzzer = Buzzer(MqttConfig(url=broker.url), SITE, BuzzerConfig())
    stop = threading.Event()
    thread = threading.Thread(target=buzzer.run, args=(stop,), daemon=True)
    buzzer.start()
    thread.start()
    try:
        yield buzzer
    finally:
        stop.set()
        thread.join(5)
        buzzer.stop()


def test_buzzer_is_offline_only_when_every_camera_worker_is(
    mqtt_broker: Any, mqtt_recorder: Any
) -> None:
    sender = mqtt_recorder(mqtt_broker, ["unused"])
    sender.publish(f"{BASE}/counter-1/alert", b"ON", retain=True)
    sender.publish(f"{BASE}/front/availability", b"online", retain=True)
    sender.publish(f"{BASE}/back/availability", b"online", retain=True)
    with _running_buzzer(mqtt_broker) as buzzer:
        assert buzzer.wait_connected(5)
        assert buzzer.wait_active(True, 5)
        sender.publish(f"{BASE}/back/availability", b"offline", retain=True)  # one worker died
        time.sleep(0.5)
        assert buzzer.active, "one camera going down silenced the other's alert"
        sender.publish(f"{BASE}/front/availability", b"offline", retain=True)
        assert buzzer.wait_active(False, 5)
        sender.publish(f"{BASE}/back/availability", b"online", retain=True)
        assert buzzer.wait_active(True, 5)


def _state_of(counter_id: str, camera_id: str, alert: bool) -> bytes:
    state = state_payload(make_state(counter_id, waiting=1, alert=alert), site_id=SITE,
                          name=None, health={"camera": "online", "fps": 15.0}, outbox_depth=0,
                          published_at=time.time(), camera_id=camera_id)
    validate_payload("state", json.dumps(state).encode())
    return json.dumps(state).encode()


def test_buzzer_silences_only_the_alerts_of_a_camera_whose_worker_is_down(
    mqtt_broker: Any, mqtt_recorder: Any
) -> None:
    """A dead worker leaves its counter's retained alert ON; with several cameras the
    buzzer learns each counter's camera from its retained state and ignores that
    alert while the camera is offline, without silencing the other camera's."""
    sender = mqtt_recorder(mqtt_broker, ["unused"])
    sender.publish(f"{BASE}/counter-1/state", _state_of("counter-1", "front", False), retain=True)
    sender.publish(f"{BASE}/counter-2/state", _state_of("counter-2", "back", True), retain=True)
    sender.publish(f"{BASE}/counter-1/alert", b"OFF", retain=True)
    sender.publish(f"{BASE}/counter-2/alert", b"ON", retain=True)
    sender.publish(f"{BASE}/front/availability", b"online", retain=True)
    sender.publish(f"{BASE}/back/availability", b"online", retain=True)
    with _running_buzzer(mqtt_broker) as buzzer:
        assert buzzer.wait_connected(5)
        assert buzzer.wait_active(True, 5)
        sender.publish(f"{BASE}/back/availability", b"offline", retain=True)  # back's worker died
        assert buzzer.wait_active(False, 5), "a dead camera's stale alert kept buzzing"
        sender.publish(f"{BASE}/counter-1/alert", b"ON", retain=True)  # front's own alert
        assert buzzer.wait_active(True, 5)
        assert buzzer.alerting_counters() == ["counter-1", "counter-2"]
        sender.publish(f"{BASE}/counter-1/alert", b"OFF", retain=True)
        assert buzzer.wait_active(False, 5)
        sender.publish(f"{BASE}/back/availability", b"online", retain=True)  # back restarted
        assert buzzer.wait_active(True, 5)
        assert buzzer.ignored == 0


def test_heartbeat_last_frame_age_grows_while_no_frame_arrives(
    tmp_path: Path, mqtt_broker: Any, mqtt_recorder: Any
) -> None:
    rec = mqtt_recorder(mqtt_broker, [f"{BASE}/counter-1/state"])
    pub = MqttPublisher(make_config(tmp_path, mqtt_broker, state_interval_s=1))
    pub.start()
    try:
        assert pub.wait_connected(5)
        # The last frame was 0.25 s old when the loop handed the health over; then nothing.
        pub.publish_state({"counter-1": make_state("counter-1")},
                          {"fps": 15.0, "last_frame_time": time.time(),
                           "last_frame_age_s": 0.25, "camera": "online"})
        assert rec.wait_for(lambda ms: len(ms) >= 3, timeout_s=10)
    finally:
        pub.stop(2)
    payloads = [json.loads(m.payload) for m in rec.snapshot()[:3]]
    for m in rec.snapshot()[:3]:
        validate_payload("state", m.payload)
    ages = [p["last_frame_age_s"] for p in payloads]
    assert ages[0] >= 0.25
    assert ages[1] > ages[0] + 0.8 and ages[2] > ages[1] + 0.8, ages  # a heartbeat a second
    gaps = [b["published_at"] - a["published_at"] for a, b in zip(payloads, payloads[1:],
                                                                   strict=False)]
    for gap, (a, b) in zip(gaps, zip(ages, ages[1:], strict=False), strict=False):
        assert abs((b - a) - gap) < 0.1, (ages, gaps)


def test_state_without_a_frame_yet_has_a_null_age(tmp_path: Path) -> None:
    from frontdesk.mqtt.payloads import state_payload

    data = state_payload(make_state("counter-1"), site_id=SITE, name=None, health={},
                         outbox_depth=0, published_at=time.time())
    assert data["last_frame_age_s"] is None
    validate_payload("state", json.dumps(data).encode())
    data = state_payload(make_state("counter-1"), site_id=SITE, name=None,
                         health={"last_frame_age_s": float("nan")}, outbox_depth=0,
                         published_at=time.time())
    assert data["last_frame_age_s"] is None

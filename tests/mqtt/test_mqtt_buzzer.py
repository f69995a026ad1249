"""The staff buzzer: reacts to ON and OFF, drives its actions, sends acknowledgements."""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from mqtt_helpers import SITE, make_config, make_state

from frontdesk.config import BuzzerConfig, MqttConfig
from frontdesk.mqtt.buzzer import Buzzer, CommandAction
from frontdesk.mqtt.commands import CommandKind
from frontdesk.mqtt.publisher import MqttPublisher

BASE = f"frontdesk/{SITE}"
ALERT1 = f"{BASE}/counter-1/alert"


class FakeDevice:
    def __init__(self, pin: int, **kwargs: object):
        self.pin, self.kwargs, self.value, self.closed = pin, kwargs, False, False
        self.when_pressed = None

    def on(self) -> None:
        self.value = True

    def off(self) -> None:
        self.value = False

    def close(self) -> None:
        self.closed = True


def fake_gpiozero() -> SimpleNamespace:
    made: list[FakeDevice] = []

    def factory(pin: int, **kwargs: object) -> FakeDevice:
        device = FakeDevice(pin, **kwargs)
        made.append(device)
        return device

    return SimpleNamespace(OutputDevice=factory, Button=factory, made=made)


def shell_append(path: Path, word: str) -> list[str]:
    return ["/bin/sh", "-c", f'echo "{word} $FRONTDESK_COUNTERS" >> "{path}"']


@pytest.fixture
def running_buzzer():
    started: list[tuple[Buzzer, threading.Event, threading.Thread]] = []

    def start(broker, config: BuzzerConfig, gpiozero=None) -> Buzzer:
        buzzer = Buzzer(MqttConfig(url=broker.url), SITE, config, gpiozero=gpiozero)
        stop = threading.Event()
        thread = threading.Thread(target=buzzer.run, args=(stop,), daemon=True)
        buzzer.start()
        thread.start()
        assert buzzer.wait_connected(5)
        started.append((buzzer, stop, thread))
        return buzzer

    yield start
    for buzzer, stop, thread in started:
        stop.set()
        thread.join(timeout=5)
        buzzer.stop()


def test_buzzer_follows_alerts_drives_every_action_and_acknowledges(
        tmp_path, mqtt_broker, mqtt_recorder, running_buzzer) -> None:
    marks = tmp_path / "marks.txt"
    gz = fake_gpiozero()
    devices = mqtt_recorder(mqtt_broker, ["cmnd/#", "wled/#"])
    pub = MqttPublisher(make_config(tmp_path, mqtt_broker))
    pub.start()
    try:
        buzzer = running_buzzer(mqtt_broker, BuzzerConfig(
            counters=["counter-1"], button_pin=27, actions=[
                {"type": "command", "on_command": shell_append(marks, "on"),
                 "off_command": shell_append(marks, "off")},
                {"type": "gpio", "pin": 17, "active_high": False},
                {"type": "tasmota", "device": "till-plug"},
                {"type": "wled", "device_topic": "wled/counter", "color": [255, 0, 0]},
            ]), gpiozero=gz)
        command = next(a for a in buzzer.actions if isinstance(a, CommandAction))
        led, button = gz.made
        assert (led.pin, led.kwargs["active_high"], button.pin) == (17, False, 27)

        pub.publish_state({"counter-1": make_state(waiting=1, alert=True)}, {})
        assert buzzer.wait_active(True, 5)
        assert command.wait(5) and led.value is True
        assert marks.read_text() == "on counter-1\n"
        devices.wait_message("cmnd/till-plug/POWER", b"ON")
        api = json.loads(devices.wait_message("wled/counter/api").payload)
        assert api == {"on": True, "bri": 255, "seg": [{"col": [[255, 0, 0]]}]}

        button.when_pressed()  # staff press the button: frontdesk gets the acknowledgement
        got = pub.pending_commands(timeout_s=5)
        assert [(c.kind, c.counter_id) for c in got] == [(CommandKind.ACKNOWLEDGE, "counter-1")]
        assert got[0].source.startswith("buzzer:")

        pub.publish_state({"counter-1": make_state(waiting=0, alert=False, latency=3.0)}, {})
        assert buzzer.wait_active(False, 5)
        assert command.wait(5) and led.value is False
        assert marks.read_text() == "on counter-1\noff \n"
        devices.wait_message("cmnd/till-plug/POWER", b"OFF")
        devices.wait_message("wled/counter/api", b'{"on":false}')
    finally:
        pub.stop(1)


def test_buzzer_goes_quiet_when_frontdesk_goes_offline(tmp_path, mqtt_broker, mqtt_recorder,
                                                      running_buzzer, caplog) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk.mqtt")
    sender = mqtt_recorder(mqtt_broker, ["unused"])
    sender.publish(ALERT1, b"ON", retain=True)
    buzzer = running_buzzer(mqtt_broker, BuzzerConfig())  # every counter
    assert buzzer.wait_active(True, 5)  # the retained alert counts at once
    sender.publish(f"{BASE}/availability", b"offline", retain=True)  # frontdesk's last will
    assert buzzer.wait_active(False, 5)
    assert any("frontdesk is offline" in r.getMessage() for r in caplog.records)
    sender.publish(f"{BASE}/availability", b"online", retain=True)
    assert buzzer.wait_active(True, 5)
    assert buzzer.press("test") == ["counter-1"]


def test_buzzer_ignores_malformed_messages_with_one_line_each(
        tmp_path, mqtt_broker, mqtt_recorder, running_buzzer, caplog) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk.mqtt")
    buzzer = running_buzzer(mqtt_broker, BuzzerConfig(counters=["counter-1"]))
    sender = mqtt_recorder(mqtt_broker, ["unused"])
    bad = [(ALERT1, b"on"), (ALERT1, b"\xff"), (ALERT1, b"ON " * 500),
           (f"{BASE}/availability", b"sleeping"), (f"{BASE}/availability", b"\x00\x81")]
    for topic, payload in bad:
        sender.publish(topic, payload)
    sender.publish(ALERT1, b"ON")
    assert buzzer.wait_active(True, 5)
    ignored = [r for r in caplog.records if "ignored a message" in r.getMessage()]
    assert len(ignored) == len(bad) == buzzer.ignored
    assert buzzer.press() == ["counter-1"]


def test_buzzer_with_nobody_waiting_sends_nothing(
        mqtt_broker, mqtt_recorder, running_buzzer, caplog) -> None:
    caplog.set_level(logging.INFO, logger="frontdesk.mqtt")
    commands = mqtt_recorder(mqtt_broker, [f"{BASE}/+/cmd/#"])
    buzzer = running_buzzer(mqtt_broker, BuzzerConfig(counters=["counter-1", "counter-2"]))
    assert buzzer.press() == []
    one = running_buzzer(mqtt_broker, BuzzerConfig(counters=["counter-2"], client_id="b2"))
    assert one.press() == []  # its only counter, but nobody waits there: Enter sends nothing
    assert any("nobody is waiting: nothing to acknowledge" in r.getMessage()
               for r in caplog.records)
    # a customer waits (not yet alerting): a press acknowledges early, named in the log
    sender = mqtt_recorder(mqtt_broker, ["unused"])
    sender.publish(f"{BASE}/counter-2/state", json.dumps(
        {"customers_waiting": 1, "longest_wait_s": 4.2, "name": "Pharmacy"}).encode(),
        retain=True)
    deadline = time.monotonic() + 5
    while one.press() == [] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert commands.wait_message(f"{BASE}/counter-2/cmd/ack").payload.startswith(b"{")
    assert commands.on(f"{BASE}/counter-1/cmd/ack") == []
    assert any("acknowledged Pharmacy (waiting 4 s)" in r.getMessage() for r in caplog.records)


def test_gpio_without_gpiozero_says_how_to_get_it(mqtt_broker, monkeypatch) -> None:
    from frontdesk.errors import FrontdeskError

    monkeypatch.setitem(sys.modules, "gpiozero", None)  # import fails
    with pytest.raises(FrontdeskError, match="gpiozero"):
        Buzzer(MqttConfig(url=mqtt_broker.url), SITE,
               BuzzerConfig(actions=[{"type": "gpio", "pin": 4}]))


def test_buzzer_command_line(tmp_path, mqtt_broker, mqtt_recorder) -> None:
    marks = tmp_path / "cli-marks.txt"
    commands = mqtt_recorder(mqtt_broker, [f"{BASE}/+/cmd/#"])
    argv = [sys.executable, "-m", "frontdesk", "buzzer", "--mqtt", mqtt_broker.url,
            "--site", SITE, "--counter", "counter-1",
            "--on-command", f"/bin/sh -c 'echo on >> {marks}'",
            "--off-command", f"/bin/sh -c 'echo off >> {marks}'", "--ack-on-stdin"]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True).start()

    def wait_line(fragment: str, timeout_s: float = 10.0) -> str:
        while True:
            line = lines.get(timeout=timeout_s)
            if fragment in line:
                return line

    try:
        wait_line("buzzer: connected")
        commands.publish(ALERT1, b"ON", retain=True)
        wait_line("buzzer: alert ON")
        proc.stdin.write("\n")
        proc.stdin.flush()
        ack = commands.wait_message(f"{BASE}/counter-1/cmd/ack", timeout_s=5)
        assert json.loads(ack.payload)["source"].startswith("buzzer:")
        commands.publish(ALERT1, b"OFF", retain=True)
        wait_line("buzzer: alert OFF")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert marks.read_text() == "on\noff\n"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)

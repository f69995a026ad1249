"""The staff-side client: turn a counter's alert into sound, light or a buzz.

It watches the plain alert topics (``PREFIX/SITE/COUNTER/alert``, ``ON``/``OFF``)
of chosen counters and frontdesk's availability, and drives its actions while
*any* watched counter alerts:

* ``command``: run a program (``aplay chime.wav``), optionally again every
  ``repeat_s``; stopped when the alert clears, then ``off_command`` runs;
* ``gpio``: switch a pin (buzzer, LED, relay) through gpiozero;
* ``tasmota``: send ``cmnd/DEVICE/POWER`` ``ON``/``OFF`` to a Tasmota plug;
* ``wled``: send ``ON``/``OFF`` to a WLED light's device topic, or a colour
  through its JSON API (``DEVICE_TOPIC/api``).

It clears when frontdesk turns the alert OFF (staff acknowledged the
customer, by eye contact or by button), and when frontdesk goes offline
(``off_when_offline``). A button (a GPIO pin, or a line on stdin for testing)
sends the acknowledge command for the alerting counter(s).

One buzzer drives its actions for all its counters together; for one light
per counter, run one buzzer per counter.

Threads: paho's network thread only parses and queues what arrives; the
thread calling :meth:`Buzzer.run` applies it and runs the actions.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

import paho.mqtt.client as mqtt

from frontdesk.config import (
    BuzzerCommandAction,
    BuzzerConfig,
    BuzzerGpioAction,
    BuzzerTasmotaAction,
    BuzzerWledAction,
    MqttConfig,
)
from frontdesk.errors import FrontdeskError
from frontdesk.mqtt.client import connect_kwargs, make_client, reason_text
from frontdesk.mqtt.commands import RateLimitedLog
from frontdesk.mqtt.contract import PayloadError, validate_payload
from frontdesk.mqtt.topics import Topics

__all__ = [
    "Buzzer",
    "AlertAction",
    "CommandAction",
    "GpioAction",
    "TasmotaAction",
    "WledAction",
    "build_actions",
]

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], None]


class AlertAction(Protocol):
    """Something that reacts to the buzzer's alert turning on and off."""

    name: str

    def turn_on(self) -> None: ...

    def turn_off(self) -> None: ...

    def tick(self, now: float) -> None:
        """Called at least every half second; for repeats and housekeeping."""

    def close(self) -> None: ...


# ====================================================================== actions
class CommandAction:
    """Run a program when the alert turns on (and again every ``repeat_s``), stop it
    and run ``off_command`` when it turns off. No shell is involved.

    The programs see ``FRONTDESK_ALERT`` (``ON``/``OFF``) and ``FRONTDESK_COUNTERS``.
    """

    def __init__(self, config: BuzzerCommandAction, counters: Callable[[], list[str]]):
        self.config = config
        self.name = f"command {config.on_command[0]}"
        self._counters = counters
        self._active = False
        self._next_repeat = float("inf")
        self._on_proc: subprocess.Popen[bytes] | None = None
        self._procs: list[tuple[subprocess.Popen[bytes], float, str]] = []

    def _spawn(self, argv: list[str], state: str) -> subprocess.Popen[bytes] | None:
        env = dict(os.environ, FRONTDESK_ALERT=state, FRONTDESK_COUNTERS=",".join(self._counters()))
        try:
            proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        except OSError as exc:
            log.error("buzzer: cannot run %s: %s", argv[0], exc)
            return None
        self._procs.append((proc, time.monotonic(), argv[0]))
        return proc

    def turn_on(self) -> None:
        self._active = True
        self._on_proc = self._spawn(self.config.on_command, "ON")
        repeat = self.config.repeat_s
        self._next_repeat = time.monotonic() + repeat if repeat else float("inf")

    def turn_off(self) -> None:
        self._active = False
        self._next_repeat = float("inf")
        if self._on_proc is not None and self._on_proc.poll() is None:
            self._on_proc.terminate()  # stop a sound still playing
        self._on_proc = None
        if self.config.off_command:
            self._spawn(self.config.off_command, "OFF")

    def tick(self, now: float) -> None:
        self._reap(now)
        if self._active and now >= self._next_repeat:
            self._next_repeat = now + (self.config.repeat_s or float("inf"))
            if self._on_proc is None or self._on_proc.poll() is not None:
                self._on_proc = self._spawn(self.config.on_command, "ON")

    def _reap(self, now: float) -> None:
        alive = []
        for proc, started, name in self._procs:
            code = proc.poll()
            if code is None:
                if now - started > self.config.timeout_s:
                    log.warning("buzzer: %s ran longer than %.0f s; killed", name,
                                self.config.timeout_s)
                    proc.kill()
                    proc.wait(timeout=5)
                    continue
                alive.append((proc, started, name))
            elif code not in (0, -signal.SIGTERM):
                log.warning("buzzer: %s exited with status %d", name, code)
        self._procs = alive

    def wait(self, timeout_s: float) -> bool:
        """Wait for every program started so far to finish (True if they did)."""
        deadline = time.monotonic() + timeout_s
        for proc, _, _ in list(self._procs):
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.0))
            except subprocess.TimeoutExpired:
                return False
        self._reap(time.monotonic())
        return True

    def close(self) -> None:
        if self._on_proc is not None and self._on_proc.poll() is None:
            self._on_proc.terminate()
        self.wait(max(self.config.timeout_s, 1.0))


class GpioAction:
    """Drive a GPIO pin (buzzer, LED, relay) with gpiozero, imported when first used."""

    def __init__(self, config: BuzzerGpioAction, gpiozero: Any = None):
        self.name = f"gpio {config.pin}"
        gz = gpiozero if gpiozero is not None else _import_gpiozero()
        self._device = gz.OutputDevice(config.pin, active_high=config.active_high,
                                       initial_value=False)

    def turn_on(self) -> None:
        self._device.on()

    def turn_off(self) -> None:
        self._device.off()

    def tick(self, now: float) -> None:
        pass

    def close(self) -> None:
        self._device.off()
        self._device.close()


class TasmotaAction:
    """Switch a Tasmota plug or relay: ``cmnd/DEVICE/POWER[n]`` ``ON``/``OFF``."""

    def __init__(self, config: BuzzerTasmotaAction, publish: Publish):
        suffix = str(config.relay) if config.relay else ""
        self.topic = f"cmnd/{config.device}/POWER{suffix}"
        self.name = f"tasmota {config.device}"
        self._publish = publish

    def turn_on(self) -> None:
        self._publish(self.topic, b"ON")

    def turn_off(self) -> None:
        self._publish(self.topic, b"OFF")

    def tick(self, now: float) -> None:
        pass

    def close(self) -> None:
        pass


class WledAction:
    """Switch a WLED light: plain ``ON``/``OFF`` on its device topic, or (with a
    colour) JSON API state on ``DEVICE_TOPIC/api``."""

    def __init__(self, config: BuzzerWledAction, publish: Publish):
        self.config = config
        self.name = f"wled {config.device_topic}"
        self._publish = publish

    def turn_on(self) -> None:
        if self.config.color is None:
            self._publish(self.config.device_topic, b"ON")
        else:
            state = {"on": True, "bri": self.config.brightness,
                     "seg": [{"col": [list(self.config.color)]}]}
            self._publish(f"{self.config.device_topic}/api",
                          json.dumps(state, separators=(",", ":")).encode())

    def turn_off(self) -> None:
        if self.config.color is None:
            self._publish(self.config.device_topic, b"OFF")
        else:
            self._publish(f"{self.config.device_topic}/api", b'{"on":false}')

    def tick(self, now: float) -> None:
        pass

    def close(self) -> None:
        pass


def _import_gpiozero() -> Any:
    try:
        import gpiozero
    except ImportError:
        raise FrontdeskError(
            "GPIO needs the gpiozero package (pip install gpiozero) on a board with GPIO pins"
        ) from None
    return gpiozero


def build_actions(config: BuzzerConfig, publish: Publish, counters: Callable[[], list[str]],
                  gpiozero: Any = None) -> list[AlertAction]:
    """The actions a :class:`BuzzerConfig` asks for."""
    actions: list[AlertAction] = []
    for spec in config.actions:
        if isinstance(spec, BuzzerCommandAction):
            actions.append(CommandAction(spec, counters))
        elif isinstance(spec, BuzzerGpioAction):
            actions.append(GpioAction(spec, gpiozero))
        elif isinstance(spec, BuzzerTasmotaAction):
            actions.append(TasmotaAction(spec, publish))
        elif isinstance(spec, BuzzerWledAction):
            actions.append(WledAction(spec, publish))
    return actions


# ====================================================================== the client
class Buzzer:
    """Watches alerts over MQTT and drives actions; sends acknowledgements.

    Args:
        mqtt_config: broker settings (``url`` required).
        site_id: the site whose counters to watch.
        config: counters, actions, button.
        gpiozero: a stand-in for the gpiozero module (tests); imported lazily otherwise.

    Raises:
        MqttSetupError, FrontdeskError: settings that cannot work.
    """

    def __init__(self, mqtt_config: MqttConfig, site_id: str, config: BuzzerConfig,
                 *, gpiozero: Any = None):
        self.config = config
        self.topics = Topics(mqtt_config.topic_prefix, site_id, mqtt_config.discovery_prefix)
        self.watched: list[str] = list(config.counters)
        self.client_id = config.client_id or f"frontdesk-buzzer-{socket.gethostname()}"[:128]
        self._client, broker = make_client(mqtt_config, self.client_id)
        self._broker_text = str(broker)
        self._connect_kwargs = connect_kwargs(mqtt_config, broker)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_message = self._on_message
        self._inbox: queue.SimpleQueue[tuple[str, str, Any]] = queue.SimpleQueue()
        self._ignored_log = RateLimitedLog(log)
        self._cond = threading.Condition()
        self._alerts: dict[str, bool] = {}
        self._online: bool | None = None
        self._availability: dict[str, bool] = {}  # topic -> online (site's or per camera)
        self._camera_of: dict[str, str] = {}  # counter -> camera, from the retained states
        self._names: dict[str, str] = {}  # counter -> name, from the states
        self._waiting: dict[str, tuple[int, float]] = {}  # counter -> (waiting, longest wait)
        self.active = False
        self.ignored = 0
        self._connected_once = False
        self._outage_warned = False
        self.actions = build_actions(config, self._publish, self.alerting_counters, gpiozero)
        self._button: Any = None
        if config.button_pin is not None:
            gz = gpiozero if gpiozero is not None else _import_gpiozero()
            self._button = gz.Button(config.button_pin, pull_up=config.button_pull_up,
                                     bounce_time=0.05)
            self._button.when_pressed = lambda *_: self.press("button")

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Connect in the background; returns at once."""
        log.info("buzzer: watching %s on %s as %s (%d actions)",
                 ", ".join(self.watched) or "every counter", self._broker_text, self.client_id,
                 len(self.actions))
        self._client.connect_async(**self._connect_kwargs)  # type: ignore[arg-type]
        self._client.loop_start()

    def run(self, stop: threading.Event) -> None:
        """Apply what arrives and run the actions until ``stop`` is set."""
        while not stop.is_set():
            try:
                item = self._inbox.get(timeout=0.25)
            except queue.Empty:
                item = None
            if item is not None:
                self._apply(*item)
                while True:  # drain what else arrived, then act once
                    try:
                        self._apply(*self._inbox.get_nowait())
                    except queue.Empty:
                        break
                self._update()
            now = time.monotonic()
            for action in self.actions:
                action.tick(now)

    def stop(self) -> None:
        """Actions off, programs finished, disconnected."""
        if self.active:
            self._set_active(False)
        for action in self.actions:
            try:
                action.close()
            except Exception as exc:  # a broken device must not block shutdown
                log.warning("buzzer: closing %s: %s", action.name, exc)
        if self._button is not None:
            self._button.close()
        self._client.disconnect()
        self._client.loop_stop()

    # ------------------------------------------------------------------ state
    def alerting_counters(self) -> list[str]:
        with self._cond:
            return sorted(c for c, on in self._alerts.items() if on)

    def wait_active(self, value: bool, timeout_s: float) -> bool:
        """Block until the buzzer's alert is ``value`` (for tests and tools)."""
        with self._cond:
            return self._cond.wait_for(lambda: self.active == value, timeout=timeout_s)

    def wait_connected(self, timeout_s: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._connected_once and
                                       self._client.is_connected(), timeout=timeout_s)

    def _apply(self, kind: str, counter_id: str, value: Any) -> None:
        with self._cond:
            if kind == "state":
                camera, name, waiting, longest_s = value
                if camera:
                    self._camera_of[counter_id] = camera
                if name:
                    self._names[counter_id] = name
                self._waiting[counter_id] = (waiting, longest_s)
            elif kind == "alert":
                self._alerts[counter_id] = value
            else:
                # Several cameras: one availability topic per worker. frontdesk is
                # offline when every worker is (one restarting worker must not silence
                # the others' counters); a stale topic left online counts as online.
                self._availability[counter_id] = value
                value = any(self._availability.values())
                if value is False and self._online is not False:
                    log.warning("buzzer: frontdesk is offline%s", "; alerts off until it is back"
                                if self.config.off_when_offline else "")
                elif value is True and self._online is False:
                    log.info("buzzer: frontdesk is online again")
                self._online = value

    def _learn_state(self, counter_id: str, payload: bytes) -> None:
        """From a counter's retained state: its camera (several cameras: a camera whose
        worker is down silences its own counters' alerts only), its name and who waits
        (for the log, and so that a press with nothing waiting sends nothing)."""
        try:
            data = json.loads(payload)
            camera, name = data.get("camera_id"), data.get("name")
            waiting = int(data.get("customers_waiting") or 0)
            longest_s = float(data.get("longest_wait_s") or 0.0)
        except (ValueError, AttributeError, TypeError):
            return  # a malformed state says nothing; alerts still count
        self._inbox.put(("state", counter_id, (
            camera if isinstance(camera, str) and camera else None,
            name if isinstance(name, str) and name else None, waiting, longest_s)))

    def counter_text(self, counter_id: str) -> str:
        """The counter's name (else id), with its longest wait when someone waits."""
        with self._cond:
            name = self._names.get(counter_id, counter_id)
            waiting, longest_s = self._waiting.get(counter_id, (0, 0.0))
        return f"{name} (waiting {longest_s:.0f} s)" if waiting else name

    def _offline(self, counter_id: str) -> bool:
        """Whether the worker publishing ``counter_id`` is known to be offline: its
        camera's availability topic when the counter's camera is known, else the site's."""
        camera = self._camera_of.get(counter_id)
        if camera is not None:
            online = self._availability.get(replace(self.topics, camera_id=camera).availability())
            if online is not None:
                return not online
        return self._online is False

    def _update(self) -> None:
        with self._cond:
            silence = self.config.off_when_offline
            wanted = any(on and not (silence and self._offline(c))
                         for c, on in self._alerts.items())
        if wanted != self.active:
            self._set_active(wanted)

    def _set_active(self, on: bool) -> None:
        counters = self.alerting_counters()
        log.info("buzzer: alert %s%s", "ON" if on else "OFF",
                 f": {', '.join(self.counter_text(c) for c in counters)}"
                 if on and counters else "")
        for action in self.actions:
            try:
                if on:
                    action.turn_on()
                else:
                    action.turn_off()
            except Exception as exc:  # one broken device must not stop the others
                log.error("buzzer: %s failed: %s", action.name, exc)
        with self._cond:
            self.active = on
            self._cond.notify_all()

    # ------------------------------------------------------------------ button
    def press(self, source: str = "button") -> list[str]:
        """Acknowledge: the alerting watched counters, else those where a customer waits
        (not yet alerting: staff seen them early). With nobody waiting, nothing is sent.

        Returns the counters an acknowledgement was sent for.
        """
        targets = self.alerting_counters()
        if not targets:
            with self._cond:
                targets = sorted(c for c, (n, _) in self._waiting.items()
                                 if n > 0 and (not self.watched or c in self.watched))
        if not targets:
            log.info("buzzer: %s pressed; nobody is waiting: nothing to acknowledge", source)
            return []
        payload = json.dumps({"source": f"buzzer:{self.client_id}"[:64]}).encode()
        for counter_id in targets:
            self._publish(self.topics.command(counter_id, "ack"), payload)
        log.info("buzzer: %s pressed; acknowledged %s", source,
                 ", ".join(self.counter_text(c) for c in targets))
        return targets

    # ------------------------------------------------------------------ MQTT
    def _publish(self, topic: str, payload: bytes) -> None:
        info = self._client.publish(topic, payload, qos=1, retain=False)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            log.warning("buzzer: cannot publish to %s: %s", topic, reason_text(info.rc))

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any,
                    properties: Any) -> None:
        if reason_code.is_failure:
            self._warn_outage(f"the broker refused the connection: {reason_text(reason_code)}")
            return
        filters = [(self.topics.availability(), 1), (self.topics.availability_filter(), 1)]
        if self.watched:
            filters += [(self.topics.alert_filter(c), 1) for c in self.watched]
            filters += [(self.topics.state(c), 1) for c in self.watched]
        else:
            filters.append((self.topics.alert_filter(None), 1))
            filters.append((self.topics.state("+"), 1))
        client.subscribe(filters)
        log.info("buzzer: connected to %s", self._broker_text)
        with self._cond:
            self._connected_once = True
            self._outage_warned = False
            self._cond.notify_all()

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self._warn_outage("cannot reach it")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any,
                       properties: Any) -> None:
        if not reason_code.is_failure:
            return  # our own disconnect
        self._warn_outage(f"lost the connection ({reason_text(reason_code)}); "
                          "keeping the current alert until it is back")

    def _warn_outage(self, what: str) -> None:
        with self._cond:
            warned, self._outage_warned = self._outage_warned, True
        (log.debug if warned else log.warning)("buzzer: broker %s: %s", self._broker_text, what)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = "(not UTF-8)"
        payload = bytes(message.payload)
        try:
            if self.topics.is_availability(topic):
                value = validate_payload("availability", payload)
                self._inbox.put(("availability", topic, value == "online"))
                return
            state_of = self.topics.counter_of_state(topic)
            if state_of is not None:
                self._learn_state(state_of, payload)
                return
            counter_id = self.topics.counter_of_alert(topic)
            if counter_id is None or (self.watched and counter_id not in self.watched):
                raise PayloadError("not a watched alert topic")
            value = validate_payload("alert", payload)
            self._inbox.put(("alert", counter_id, value == "ON"))
        except PayloadError as exc:
            with self._cond:
                self.ignored += 1
            self._ignored_log.warning("buzzer: ignored a message on %r: %s", topic[:200], exc)

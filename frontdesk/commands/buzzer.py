"""`frontdesk buzzer`: the staff-side client that sounds, lights or buzzes while a
customer waits unacknowledged, and sends the acknowledgement from a button.

Settings come from a frontdesk config file (its ``site_id``, ``mqtt:`` and
``buzzer:`` sections) and/or flags; flags add to the file's actions.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import signal
import sys
import threading
from typing import Any

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "buzzer",
        help="staff-side client: sound, light or buzz while a customer waits unacknowledged",
        description="Watch counters' alerts over MQTT and run a command, drive a GPIO pin, or "
        "switch a Tasmota plug or WLED light while any of them alerts. A button (GPIO, or "
        "Enter on stdin with --ack-on-stdin) acknowledges the waiting customer.",
    )
    p.add_argument("--config", "-c", help="frontdesk config file (site_id, mqtt:, buzzer:)")
    p.add_argument("--mqtt", metavar="URL", help="broker: mqtt://HOST:PORT or mqtts://HOST:PORT")
    p.add_argument("--site", help="site id (default: the config's site_id)")
    p.add_argument("--prefix", help="topic prefix (default: the config's, or frontdesk)")
    p.add_argument("--username", help="broker user name")
    p.add_argument("--password-env", metavar="VAR",
                   help="environment variable holding the broker password")
    p.add_argument("--ca-file", help="CA certificate for mqtts://")
    p.add_argument("--cert-file", help="client certificate for mqtts://")
    p.add_argument("--key-file", help="client key for mqtts://")
    p.add_argument("--client-id", help="MQTT client id (default frontdesk-buzzer-HOSTNAME)")
    p.add_argument("--counter", action="append", default=None, metavar="ID",
                   help="counter to watch (repeatable; default: every counter of the site)")
    p.add_argument("--on-command", metavar="CMD",
                   help="program run when an alert starts, e.g. 'aplay /path/chime.wav'")
    p.add_argument("--off-command", metavar="CMD", help="program run when the alert clears")
    p.add_argument("--repeat-s", type=float, metavar="S",
                   help="run --on-command again this often while the alert lasts")
    p.add_argument("--gpio-pin", type=int, metavar="N",
                   help="BCM GPIO pin driving a buzzer or LED (needs gpiozero)")
    p.add_argument("--button-pin", type=int, metavar="N",
                   help="BCM GPIO pin of an acknowledge button (needs gpiozero)")
    p.add_argument("--tasmota", metavar="DEVICE", action="append", default=[],
                   help="Tasmota device topic to switch with cmnd/DEVICE/POWER (repeatable)")
    p.add_argument("--wled", metavar="TOPIC", action="append", default=[],
                   help="WLED device topic to switch ON/OFF (repeatable)")
    p.add_argument("--ack-on-stdin", action="store_true",
                   help="each line on stdin (Enter) acknowledges, like a button")
    p.set_defaults(func=run)


def _settings(args: argparse.Namespace) -> tuple[Any, str, Any]:
    """(MqttConfig, site_id, BuzzerConfig) from the file and flags."""
    from pydantic import ValidationError

    from frontdesk.config import BuzzerConfig, ConfigError, MqttConfig, load_config

    mqtt_data: dict[str, Any] = {}
    buzzer_data: dict[str, Any] = {}
    site_id = "site-1"
    if args.config:
        cfg = load_config(args.config)
        mqtt_data = cfg.mqtt.model_dump()
        buzzer_data = cfg.buzzer.model_dump()
        site_id = cfg.site_id
    for flag, key in (("mqtt", "url"), ("prefix", "topic_prefix"), ("username", "username"),
                      ("password_env", "password_env"), ("ca_file", "ca_file"),
                      ("cert_file", "cert_file"), ("key_file", "key_file")):
        if getattr(args, flag) is not None:
            mqtt_data[key] = getattr(args, flag)
    site_id = args.site or site_id
    if args.counter:
        buzzer_data["counters"] = args.counter
    if args.client_id:
        buzzer_data["client_id"] = args.client_id
    if args.button_pin is not None:
        buzzer_data["button_pin"] = args.button_pin
    actions = list(buzzer_data.get("actions", []))
    if args.on_command:
        actions.append({"type": "command", "on_command": shlex.split(args.on_command),
                        "off_command": shlex.split(args.off_command) if args.off_command
                        else None, "repeat_s": args.repeat_s})
    elif args.off_command or args.repeat_s:
        raise ConfigError(["--off-command and --repeat-s need --on-command"])
    if args.gpio_pin is not None:
        actions.append({"type": "gpio", "pin": args.gpio_pin})
    actions += [{"type": "tasmota", "device": d} for d in args.tasmota]
    actions += [{"type": "wled", "device_topic": t} for t in args.wled]
    buzzer_data["actions"] = actions
    problems: list[str] = []
    mqtt_config = buzzer_config = None
    try:
        mqtt_config = MqttConfig.model_validate(mqtt_data)
    except ValidationError as exc:
        problems += [f"mqtt: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
    try:
        buzzer_config = BuzzerConfig.model_validate(buzzer_data)
    except ValidationError as exc:
        problems += [
            f"buzzer.{'.'.join(str(p) for p in e['loc'])}: "
            f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        ]
    if problems:
        raise ConfigError(problems)
    assert mqtt_config is not None and buzzer_config is not None
    if not mqtt_config.url:
        raise ConfigError(["the buzzer needs a broker: --mqtt URL or mqtt.url in --config"])
    if not buzzer_config.actions and not args.ack_on_stdin and buzzer_config.button_pin is None:
        log.warning("buzzer: no actions and no button: it will only log alerts")
    return mqtt_config, site_id, buzzer_config


def _read_stdin(buzzer: Any, stop: threading.Event) -> None:
    for _line in sys.stdin:
        if stop.is_set():
            return
        buzzer.press("stdin")


def run(args: argparse.Namespace) -> int:
    from frontdesk.mqtt.buzzer import Buzzer

    mqtt_config, site_id, buzzer_config = _settings(args)
    buzzer = Buzzer(mqtt_config, site_id, buzzer_config)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    buzzer.start()
    if args.ack_on_stdin:
        threading.Thread(target=_read_stdin, args=(buzzer, stop), name="buzzer-stdin",
                         daemon=True).start()
    try:
        buzzer.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        buzzer.stop()
        signal.signal(signal.SIGTERM, previous)
    log.info("buzzer: stopped")
    return 0

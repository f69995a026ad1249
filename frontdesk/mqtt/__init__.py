"""MQTT: the topic contract, the outbox, the publisher, the buzzer client and
Home Assistant discovery. See ``docs/mqtt.md``.

Names are imported lazily so that ``import frontdesk.mqtt`` (and the CLI's
``--help``) does not load paho.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "MqttPublisher",
    "Command",
    "CommandKind",
    "Topics",
    "Outbox",
    "BrokerUrl",
    "parse_mqtt_url",
    "apply_mqtt_override",
    "Buzzer",
    "MqttSetupError",
]

_WHERE = {
    "MqttPublisher": "frontdesk.mqtt.publisher",
    "Command": "frontdesk.mqtt.commands",
    "CommandKind": "frontdesk.mqtt.commands",
    "Topics": "frontdesk.mqtt.topics",
    "Outbox": "frontdesk.mqtt.outbox",
    "BrokerUrl": "frontdesk.mqtt.url",
    "parse_mqtt_url": "frontdesk.mqtt.url",
    "apply_mqtt_override": "frontdesk.mqtt.url",
    "Buzzer": "frontdesk.mqtt.buzzer",
    "MqttSetupError": "frontdesk.mqtt.client",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'frontdesk.mqtt' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted(__all__)

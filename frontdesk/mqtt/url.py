"""Broker URLs: ``mqtt://HOST:PORT`` (plain) and ``mqtts://HOST:PORT`` (TLS).

Credentials never go in the URL: the user name is ``mqtt.username`` and the
password is read from the environment variable named by ``mqtt.password_env``,
so neither ends up in a shell history, a process list or a log line.

The parsing lives with the config (:mod:`frontdesk.config.mqtt_url`), which
validates ``mqtt.url`` with it; the names stay importable from here.
"""

from __future__ import annotations

from frontdesk.config.mqtt_url import BrokerUrl, parse_mqtt_url, redact_url
from frontdesk.config.overrides import apply_mqtt_override

__all__ = ["BrokerUrl", "parse_mqtt_url", "redact_url", "apply_mqtt_override"]

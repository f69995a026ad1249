"""Home Assistant MQTT discovery: one Home Assistant device per counter.

Uses Home Assistant's device-based discovery (one retained config message per
device on ``<discovery_prefix>/device/<id>/config``, listing its components;
Home Assistant 2024.11 or later). Each counter becomes a device named
"COUNTER NAME (SITE)" (two shops' "Main counter" do not collide), with a link
to frontdesk's web UI (``configuration_url``) and:

* binary_sensor "Customer waiting" (device class ``problem``): the plain alert
  topic (ON/OFF): a customer has waited past ``engine.alert_after_s``;
* sensor "Customers waiting": arrived and not yet acknowledged (state topic);
* binary_sensor "Staff present" (device class ``presence``);
* sensor "Longest wait" (seconds, from the state topic);
* sensor "Last wait before acknowledgement" (seconds; unknown until the first);
* switch "Alerts": the counter's alerts on or off (the ``enabled`` command);
* button "Acknowledge": sends the acknowledge command, as a wearable would;
* button "Snooze 10 min": no alerts for ten minutes (the ``snooze`` command).

All share frontdesk's availability topic, so they show as unavailable while
frontdesk is offline. The configs are retained and announced again whenever
Home Assistant's birth message (``<discovery_prefix>/status`` = ``online``)
arrives, as Home Assistant recommends.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING, Any

from frontdesk import __version__
from frontdesk.mqtt.topics import Topics

if TYPE_CHECKING:
    from frontdesk.config import Config

__all__ = ["device_discovery", "configuration_url", "SNOOZE_BUTTON_S"]

SNOOZE_BUTTON_S = 600


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def configuration_url(config: Config) -> str | None:
    """``mqtt.ha_configuration_url``, else the web UI's dashboard from ``web.bind`` when
    the UI is on and reachable from other machines (None: no link)."""
    if config.mqtt.ha_configuration_url:
        return config.mqtt.ha_configuration_url
    if not config.web.enabled:
        return None
    host, _, port = config.web.bind.rpartition(":")
    host = host.strip("[]")
    if not host or _loopback(host) or port in ("", "0"):
        return None
    if host in ("0.0.0.0", "::"):
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/dashboard"


def device_discovery(topics: Topics, counter_id: str, counter_name: str | None,
                     configuration_url: str | None = None) -> dict[str, Any]:
    """The discovery payload for one counter."""
    device_id = topics.ha_device_id(counter_id)
    state_topic = topics.state(counter_id)
    source = '"source":"home-assistant"'
    device: dict[str, Any] = {
        "identifiers": [device_id],
        "name": f"{counter_name or counter_id} ({topics.site_id})",
        "manufacturer": "frontdesk",
        "model": "Counter watch",
        "sw_version": __version__,
    }
    if configuration_url:
        device["configuration_url"] = configuration_url
    return {
        "device": device,
        "origin": {"name": "frontdesk", "sw_version": __version__},
        "availability_topic": topics.availability(),
        "payload_available": "online",
        "payload_not_available": "offline",
        "qos": 1,
        "components": {
            "waiting": {
                "platform": "binary_sensor",
                "unique_id": f"{device_id}_waiting",
                "name": "Customer waiting",
                "state_topic": topics.alert(counter_id),
                "payload_on": "ON",
                "payload_off": "OFF",
                "device_class": "problem",
                "icon": "mdi:account-clock",
            },
            "customers_waiting": {
                "platform": "sensor",
                "unique_id": f"{device_id}_customers_waiting",
                "name": "Customers waiting",
                "state_topic": state_topic,
                "value_template": "{{ value_json.customers_waiting }}",
                "state_class": "measurement",
                "icon": "mdi:account-multiple",
            },
            "staff_present": {
                "platform": "binary_sensor",
                "unique_id": f"{device_id}_staff_present",
                "name": "Staff present",
                "state_topic": state_topic,
                "value_template": "{{ 'ON' if value_json.staff_present else 'OFF' }}",
                "payload_on": "ON",
                "payload_off": "OFF",
                "device_class": "presence",
            },
            "longest_wait": {
                "platform": "sensor",
                "unique_id": f"{device_id}_longest_wait",
                "name": "Longest wait",
                "state_topic": state_topic,
                "value_template": "{{ value_json.longest_wait_s }}",
                "unit_of_measurement": "s",
                "device_class": "duration",
                "state_class": "measurement",
            },
            "ack_latency": {
                "platform": "sensor",
                "unique_id": f"{device_id}_ack_latency",
                "name": "Last wait before acknowledgement",
                "state_topic": state_topic,
                # JSON null renders as "None", which Home Assistant shows as unknown.
                "value_template": "{{ value_json.last_ack_latency_s }}",
                "unit_of_measurement": "s",
                "device_class": "duration",
                "state_class": "measurement",
            },
            "alerts_enabled": {
                "platform": "switch",
                "unique_id": f"{device_id}_alerts_enabled",
                "name": "Alerts",
                "state_topic": state_topic,
                "value_template": "{{ 'ON' if value_json.enabled else 'OFF' }}",
                "state_on": "ON",
                "state_off": "OFF",
                "command_topic": topics.command(counter_id, "enabled"),
                "payload_on": '{"enabled":true,' + source + "}",
                "payload_off": '{"enabled":false,' + source + "}",
                "icon": "mdi:bell",
            },
            "acknowledge": {
                "platform": "button",
                "unique_id": f"{device_id}_acknowledge",
                "name": "Acknowledge",
                "command_topic": topics.command(counter_id, "ack"),
                "payload_press": "{" + source + "}",
                "icon": "mdi:hand-wave",
            },
            "snooze": {
                "platform": "button",
                "unique_id": f"{device_id}_snooze",
                "name": f"Snooze {SNOOZE_BUTTON_S // 60} min",
                "command_topic": topics.command(counter_id, "snooze"),
                "payload_press": '{"seconds":' + str(SNOOZE_BUTTON_S) + "," + source + "}",
                "icon": "mdi:bell-sleep",
            },
        },
    }

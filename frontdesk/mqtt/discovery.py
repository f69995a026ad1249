"""Home Assistant MQTT discovery: one Home Assistant device per counter.

Uses Home Assistant's device-based discovery (one retained config message per
device on ``<discovery_prefix>/device/<id>/config``, listing its components;
Home Assistant 2024.11 or later). Each counter becomes a device with:

* binary_sensor "Customer waiting": the plain alert topic (ON/OFF);
* sensor "Longest wait" (seconds, from the state topic);
* sensor "Last acknowledgement latency" (seconds; unknown until the first one);
* button "Acknowledge": sends the acknowledge command, as a wearable would.

All share frontdesk's availability topic, so they show as unavailable while
frontdesk is offline. The configs are retained and announced again whenever
Home Assistant's birth message (``<discovery_prefix>/status`` = ``online``)
arrives, as Home Assistant recommends.
"""

from __future__ import annotations

from typing import Any

from frontdesk import __version__
from frontdesk.mqtt.topics import Topics

__all__ = ["device_discovery"]


def device_discovery(topics: Topics, counter_id: str, counter_name: str | None) -> dict[str, Any]:
    """The discovery payload for one counter."""
    device_id = topics.ha_device_id(counter_id)
    state_topic = topics.state(counter_id)
    return {
        "device": {
            "identifiers": [device_id],
            "name": counter_name or f"{topics.site_id} {counter_id}",
            "manufacturer": "frontdesk",
            "model": "Counter watch",
            "sw_version": __version__,
        },
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
                "icon": "mdi:account-clock",
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
                "name": "Last acknowledgement latency",
                "state_topic": state_topic,
                # JSON null renders as "None", which Home Assistant shows as unknown.
                "value_template": "{{ value_json.last_ack_latency_s }}",
                "unit_of_measurement": "s",
                "device_class": "duration",
                "state_class": "measurement",
            },
            "acknowledge": {
                "platform": "button",
                "unique_id": f"{device_id}_acknowledge",
                "name": "Acknowledge",
                "command_topic": topics.command(counter_id, "ack"),
                "payload_press": '{"source":"home-assistant"}',
                "icon": "mdi:hand-wave",
            },
        },
    }

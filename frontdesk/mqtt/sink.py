"""The MQTT publisher as an event sink and a source of staff commands.

Events go to the outbox (zero loss across broker outages), counter state to
the retained state and alert topics, and the commands received on the command
topics (a buzzer's button, a dashboard) come back as engine commands.
"""

from __future__ import annotations

from collections.abc import Sequence

from frontdesk.engine.commands import Acknowledge, SetEnabled, Snooze
from frontdesk.engine.events import Event
from frontdesk.mqtt.commands import Command, CommandKind
from frontdesk.mqtt.publisher import MqttPublisher
from frontdesk.sinks import EngineCommand, StateUpdate

__all__ = ["MqttSink", "engine_command"]

STOP_TIMEOUT_S = 5.0
"""How long closing waits for the broker to take what is still in flight."""


def engine_command(cmd: Command) -> EngineCommand:
    """The engine command for an accepted MQTT command."""
    if cmd.kind == CommandKind.ACKNOWLEDGE:
        return Acknowledge(cmd.counter_id)
    if cmd.kind == CommandKind.SNOOZE:
        return Snooze(cmd.counter_id, float(cmd.seconds or 0.0))
    return SetEnabled(cmd.counter_id, bool(cmd.enabled))


class MqttSink:
    """Publishes through ``publisher`` (started by the caller) and stops it on close."""

    name = "MQTT"

    def __init__(self, publisher: MqttPublisher) -> None:
        self.publisher = publisher

    def emit(self, events: Sequence[Event]) -> None:
        self.publisher.publish_events(list(events))

    def state(self, update: StateUpdate) -> None:
        self.publisher.publish_state(dict(update.states), dict(update.health))

    def take_commands(self) -> list[EngineCommand]:
        return [engine_command(c) for c in self.publisher.pending_commands()]

    def close(self) -> None:
        self.publisher.stop(STOP_TIMEOUT_S)

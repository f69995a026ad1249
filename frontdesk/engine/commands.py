"""Commands the engine takes between two frames: a staff button, a snooze, new zones.

Each is a small value with ``apply(engine, t, wall_time) -> events`` (the
:class:`frontdesk.sinks.EngineCommand` contract); the sinks that receive them
(MQTT, the web UI) make them, and the runner applies them in the frame loop's
thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from frontdesk.engine.events import Event

if TYPE_CHECKING:
    from frontdesk.config import Config
    from frontdesk.engine.engine import Engine

__all__ = ["Acknowledge", "Snooze", "SetEnabled", "SetZones"]


@dataclass(frozen=True)
class Acknowledge:
    """Staff acknowledge the counter's longest-waiting customer (a button)."""

    counter_id: str

    def apply(self, engine: Engine, t: float, wall_time: float) -> list[Event]:
        return engine.acknowledge(self.counter_id, t, wall_time)

    def __str__(self) -> str:
        return f"command ack for {self.counter_id}"


@dataclass(frozen=True)
class Snooze:
    """No alerts at the counter for ``seconds`` (0 ends a snooze)."""

    counter_id: str
    seconds: float

    def apply(self, engine: Engine, t: float, wall_time: float) -> list[Event]:
        return engine.snooze(self.counter_id, self.seconds, t)

    def __str__(self) -> str:
        return f"command snooze for {self.counter_id}"


@dataclass(frozen=True)
class SetEnabled:
    """Enable or disable the counter's alerts."""

    counter_id: str
    enabled: bool

    def apply(self, engine: Engine, t: float, wall_time: float) -> list[Event]:
        return engine.set_enabled(self.counter_id, self.enabled, t)

    def __str__(self) -> str:
        return f"command enabled for {self.counter_id}"


@dataclass(frozen=True)
class SetZones:
    """Zones saved in the web UI, applied to the running engine.

    ``on_done`` is told None when they are applied, or the reason they are not;
    a failure never ends the frame loop.
    """

    config: Config
    on_done: Callable[[str | None], None] = field(compare=False)

    def apply(self, engine: Engine, t: float, wall_time: float) -> list[Event]:
        try:
            engine.set_zones(self.config.counters)
        except Exception as exc:  # reported on the page; the old zones stay
            self.on_done(str(exc))
            return []
        self.on_done(None)
        return []

    def __str__(self) -> str:
        return "zones saved in the web UI"

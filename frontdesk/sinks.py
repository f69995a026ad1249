"""The event-sink contract: whatever receives the engine's events and counter state.

The runner holds a list of sinks and loops over it; it does not know what each
one is. Today's sinks:

* :class:`~frontdesk.mqtt.sink.MqttSink`: events to the outbox, then the broker;
  state to the retained state and alert topics; staff commands back.
* :class:`~frontdesk.store.sink.StoreSink`: events to the visit history, with a
  bounded backlog and retries while the store cannot be written.
* :class:`~frontdesk.web.hub.LiveHub`: today's live counts from the events; the
  live view and dashboard from the state; zones saved in the editor back.

A new sink (a webhook, a second broker) is one new class with these three
methods and one line where the runner's sinks are made
(:meth:`frontdesk.runner.Runner.open_sinks`).

A sink may also hand commands to the engine (a staff button over MQTT, zones
saved in the web UI): it then also implements :class:`CommandSource`. The runner
applies the commands in the frame loop's thread, between two frames.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from frontdesk.engine.events import Event

if TYPE_CHECKING:
    from frontdesk.engine import Engine
    from frontdesk.engine.engine import TrackView
    from frontdesk.engine.state import CounterState
    from frontdesk.pipeline import PipelineStep

__all__ = ["EventSink", "CommandSource", "EngineCommand", "StateUpdate", "apply_commands",
           "close_sinks"]

log = logging.getLogger(__name__)


@dataclass
class StateUpdate:
    """The engine's state after a frame or a camera status change.

    ``states`` and ``tracks`` are computed on first use and then shared by every
    sink, so a sink that does not read them costs nothing.

    Attributes:
        t: source time of the update.
        health: the runner's health record (fps, camera, last frame age, ...).
        step: the frame's pipeline step; None after a camera status change, at
            start-up and at shutdown.
    """

    t: float
    health: Mapping[str, Any]
    step: PipelineStep | None
    _engine: Engine = field(repr=False)

    @cached_property
    def states(self) -> Mapping[str, CounterState]:
        """Every counter's live state at ``t``."""
        return self._engine.counter_states(self.t)

    @cached_property
    def tracks(self) -> tuple[TrackView, ...]:
        """Current tracks with role, counter and gaze-contact state (for overlays)."""
        return tuple(self._engine.tracks_view())


@runtime_checkable
class EventSink(Protocol):
    """Receives events and counter state; must return quickly (hand slow work to
    a thread of its own) and never raise for an outside problem (a broker or disk
    that fails is logged, buffered and retried inside the sink)."""

    name: str

    def emit(self, events: Sequence[Event]) -> None:
        """Events in the order the engine raised them (never empty)."""

    def state(self, update: StateUpdate) -> None:
        """The state after each frame and each camera status change."""

    def close(self) -> None:
        """Flush what can be flushed and release resources; called once."""


class EngineCommand(Protocol):
    """Something to do to the engine between two frames (a button press, new zones)."""

    def apply(self, engine: Engine, t: float, wall_time: float) -> list[Event]:
        """Apply at source time ``t``; the events it raised. ValueError: refused."""
        ...


@runtime_checkable
class CommandSource(Protocol):
    """A sink that also hands commands to the engine."""

    def take_commands(self) -> list[EngineCommand]:
        """Commands received since the last call, oldest first (thread-safe)."""
        ...


def apply_commands(sources: Iterable[object], engine: Engine, t: float,
                   wall_time: float) -> list[Event]:
    """Apply every pending command of the sinks that are command sources.

    A refused command (``ValueError``: a counter this camera does not have) is
    logged and skipped; it never ends the frame loop.
    """
    events: list[Event] = []
    for source in sources:
        if not isinstance(source, CommandSource):
            continue
        for cmd in source.take_commands():
            try:
                events += cmd.apply(engine, t, wall_time)
            except ValueError as exc:
                log.warning("%s ignored: %s", cmd, exc)
                continue
            log.info("%s applied", cmd)
    return events


def close_sinks(sinks: Iterable[EventSink]) -> None:
    """Close each sink, each even if an earlier one failed."""
    for sink in sinks:
        try:
            sink.close()
        except Exception:
            log.exception("closing the %s failed", sink.name)

"""Inbound commands: what staff devices may ask of frontdesk over MQTT.

A command arrives on paho's network thread. It is checked there (topic, size,
retain flag, empty payload, UTF-8, nesting depth, JSON, schema, known counter)
and, when good, put on a thread-safe queue as a :class:`Command`. The main loop
takes them with ``MqttPublisher.pending_commands()`` and applies them to the engine, so the
engine never sees a thread.

Who may send which command is the broker's business (its ACL); see
``docs/mqtt.md`` for an example.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from enum import Enum

from frontdesk.mqtt.contract import PayloadError, validate_payload
from frontdesk.mqtt.topics import Topics

__all__ = [
    "CommandKind",
    "Command",
    "CommandRejected",
    "CommandQueue",
    "MAX_COMMAND_BYTES",
    "parse_command",
]

log = logging.getLogger(__name__)

MAX_COMMAND_BYTES = 1024
"""Longer command payloads are ignored unread."""


class CommandKind(str, Enum):
    ACKNOWLEDGE = "ack"
    """Staff acknowledge the waiting customer (a wearable's or buzzer's button)."""
    SNOOZE = "snooze"
    """No alerts for ``seconds`` (0 ends a snooze)."""
    SET_ENABLED = "enabled"
    """Enable or disable the counter's alerts (``enabled``)."""


@dataclass(frozen=True)
class Command:
    """One accepted command.

    Attributes:
        kind: what to do.
        counter_id: the counter it is for (always a configured counter).
        received_at: Unix time (seconds) it arrived.
        received_monotonic: ``time.monotonic()`` when it arrived; the same clock
            as a live camera's frame times, so the engine can place it in time.
        seconds: for SNOOZE, how long.
        enabled: for SET_ENABLED, the new value.
        source: free text from the sender (``"buzzer:till-1"``), for the log.
    """

    kind: CommandKind
    counter_id: str
    received_at: float
    received_monotonic: float
    seconds: float | None = None
    enabled: bool | None = None
    source: str | None = None


class CommandRejected(ValueError):
    """Why an inbound message is not a usable command (one short line)."""


_SCHEMA_FOR = {
    CommandKind.ACKNOWLEDGE: "command-ack",
    CommandKind.SNOOZE: "command-snooze",
    CommandKind.SET_ENABLED: "command-enabled",
}


def parse_command(
    topic: str,
    payload: bytes,
    *,
    retain: bool,
    topics: Topics,
    counters: frozenset[str] | set[str],
    now: float | None = None,
    now_monotonic: float | None = None,
) -> Command:
    """Check one inbound message and turn it into a :class:`Command`.

    Raises:
        CommandRejected: the reason, fit for one log line.
    """
    parsed = topics.parse_command_topic(topic)
    if parsed is None:
        raise CommandRejected("not a command topic of this site")
    counter_id, kind_text = parsed
    try:
        kind = CommandKind(kind_text)
    except ValueError:
        raise CommandRejected(f"unknown command {kind_text[:40]!r}") from None
    if retain:
        raise CommandRejected("retained command (publish commands without the retain flag)")
    if counter_id not in counters:
        raise CommandRejected(f"unknown counter {counter_id[:64]!r}")
    if len(payload) > MAX_COMMAND_BYTES:
        raise CommandRejected(f"payload of {len(payload)} bytes (at most {MAX_COMMAND_BYTES})")
    if not payload.strip():
        raise CommandRejected("empty payload (how a retained message is cleared, not a "
                              "command; send {} to acknowledge)")
    try:
        data = validate_payload(_SCHEMA_FOR[kind], payload)
    except PayloadError as exc:
        raise CommandRejected(str(exc)) from None
    return Command(
        kind=kind,
        counter_id=counter_id,
        received_at=time.time() if now is None else now,
        received_monotonic=time.monotonic() if now_monotonic is None else now_monotonic,
        seconds=float(data["seconds"]) if kind is CommandKind.SNOOZE else None,
        enabled=bool(data["enabled"]) if kind is CommandKind.SET_ENABLED else None,
        source=data.get("source"),
    )


class CommandQueue:
    """A bounded, thread-safe FIFO of commands: paho's thread puts, the main loop takes.

    When the main loop stops taking (it should not), the oldest are dropped so
    memory stays bounded; that is counted and logged once.
    """

    def __init__(self, maxlen: int = 1000):
        self._items: deque[Command] = deque()
        self._maxlen = maxlen
        self._cond = threading.Condition()
        self.dropped = 0

    def put(self, command: Command) -> None:
        with self._cond:
            if len(self._items) >= self._maxlen:
                self._items.popleft()
                self.dropped += 1
                if self.dropped == 1:
                    log.warning(
                        "MQTT: more than %d commands waiting; the oldest are dropped "
                        "(is the main loop calling pending_commands()?)", self._maxlen,
                    )
            self._items.append(command)
            self._cond.notify_all()

    def take_all(self, timeout_s: float = 0.0) -> list[Command]:
        """Every waiting command, oldest first; waits up to ``timeout_s`` for one."""
        with self._cond:
            if not self._items and timeout_s > 0:
                self._cond.wait_for(lambda: bool(self._items), timeout=timeout_s)
            items = list(self._items)
            self._items.clear()
            return items

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)


class RateLimitedLog:
    """One log line per ignored message, but at most ``burst`` a minute.

    A misbehaving device must not fill an edge box's SD card with log lines;
    past the burst one line says that further ones are suppressed.
    """

    def __init__(self, logger: logging.Logger, burst: int = 20, window_s: float = 60.0):
        self._log = logger
        self._burst = burst
        self._window_s = window_s
        self._window_start = -float("inf")
        self._count = 0
        self._lock = threading.Lock()

    def warning(self, msg: str, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._window_start >= self._window_s:
                self._window_start, self._count = now, 0
            self._count += 1
            count = self._count
        if count <= self._burst:
            self._log.warning(msg, *args)
        elif count == self._burst + 1:
            self._log.warning(
                "MQTT: more than %d messages ignored in %.0f s; not logging each until the "
                "next minute", self._burst, self._window_s,
            )

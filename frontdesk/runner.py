"""The main loop: capture -> perception -> tracking and engine -> store, MQTT, web.

Side effects live here and in the stages' adapters; the engine stays pure. The
loop never dies on a bad frame: problems in the frame loop are skipped, counted
and reported in the health record; problems at start-up fail loudly.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from frontdesk.config import Config
from frontdesk.capture import StatusChange, open_source, scrub_credentials
from frontdesk.engine.events import Event, EventType
from frontdesk.types import CameraStatus

log = logging.getLogger(__name__)

__all__ = ["RunSummary", "Runner", "format_event"]

STORE_BACKLOG_MAX = 100_000


@dataclass
class RunSummary:
    frames: int = 0
    frames_failed: int = 0
    store_dropped: int = 0
    events: dict[str, int] = field(default_factory=dict)
    first_t: float | None = None
    last_t: float | None = None
    wall_seconds: float = 0.0

    def count(self, events: Iterable[Event]) -> None:
        for e in events:
            self.events[e.type.value] = self.events.get(e.type.value, 0) + 1

    @property
    def fps(self) -> float:
        return self.frames / self.wall_seconds if self.wall_seconds > 0 else 0.0


def format_event(e: Event) -> str:
    """One human line for an event, as the run log shows it."""
    parts = [f"{e.counter_id}", e.type.value]
    if e.visit_id:
        parts.append(f"visit={e.visit_id[:8]}")
    if e.track_id is not None:
        parts.append(f"track={e.track_id}")
    if e.latency_s is not None:
        parts.append(f"latency={e.latency_s:+.2f}s")
    if e.waited_s is not None:
        parts.append(f"waited={e.waited_s:.1f}s")
    if e.ack_by is not None:
        parts.append(f"by={e.ack_by.value}")
    if e.outcome is not None:
        parts.append(f"outcome={e.outcome.value}")
    if e.detail:
        parts.append(e.detail)
    return " ".join(parts)


class _FpsMeter:
    def __init__(self, window: int = 30) -> None:
        self._times: list[float] = []
        self._window = window

    def tick(self, now: float) -> None:
        self._times.append(now)
        if len(self._times) > self._window:
            self._times.pop(0)

    @property
    def fps(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0


class Runner:
    """Wires the stages for one camera and runs until the source ends or stop() is called.

    Args:
        config: validated configuration.
        source: overrides ``config.camera.source``.
        loop: replay a file source endlessly.
        use_store: write visits and events to ``config.store.path``.
        use_mqtt: publish to ``config.mqtt.url`` (the outbox is kept even without a broker).
        on_event: called with each event (the CLI prints them).
        max_frames: stop after this many frames (demos, tests).

    Observers (``add_observer``) are called in the loop's thread after each frame
    with ``(frame, observation, engine, events)``; the web UI's live hub is one.
    They must return quickly (copy what they need, hand work to their own thread).
    An observer that raises is logged once and removed, never ending the loop.
    """

    def __init__(
        self,
        config: Config,
        *,
        source: str | None = None,
        loop: bool = False,
        use_store: bool = True,
        use_mqtt: bool = True,
        on_event: Callable[[Event], None] | None = None,
        max_frames: int | None = None,
    ) -> None:
        self.config = config
        self.source_spec = source or config.camera.source
        self.loop = loop
        self.use_store = use_store
        self.use_mqtt = use_mqtt
        self.on_event = on_event
        self.max_frames = max_frames
        self.summary = RunSummary()
        self._stop = threading.Event()
        self._store_backlog: list[Event] = []
        self._store_failing = False
        self._observers: list[Callable[[Any, Any, Any, list[Event]], None]] = []
        self._source: Any = None
        self.source_spec_display = scrub_credentials(self.source_spec)
        self._fps = _FpsMeter()
        self.health: dict[str, Any] = {"camera": "starting", "fps": 0.0, "last_frame_age_s": None}
        self.engine: Any = None
        self.last_frame: Any = None
        self.last_observation: Any = None
        self._last_frame_mono: float | None = None

    # ------------------------------------------------------------------ control

    def add_observer(self, observer: Callable[[Any, Any, Any, list[Event]], None]) -> None:
        self._observers.append(observer)

    def _notify(self, frame: Any, obs: Any, engine: Any, events: list[Event]) -> None:
        for observer in list(self._observers):
            try:
                observer(frame, obs, engine, events)
            except Exception:
                log.exception("observer %r failed and was removed", observer)
                self._observers.remove(observer)

    def stop(self) -> None:
        """Finish the current frame and shut down; safe from a signal handler or thread."""
        self._stop.set()
        if self._source is not None:
            self._source.close()  # wakes a loop waiting on an offline camera

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT finish the current frame, then shut down cleanly."""

        def handler(signum: int, _frame: object) -> None:
            log.info("received %s: finishing the current frame and shutting down",
                     signal.Signals(signum).name)
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    # ------------------------------------------------------------------ loop

    def run(self) -> RunSummary:
        from frontdesk.engine import Engine
        from frontdesk.perception import FacePerceiver

        cfg = self.config
        started = time.monotonic()
        perceiver = FacePerceiver(cfg.perception, cfg.camera)  # loads models: fails loudly here
        self.engine = engine = Engine(cfg)
        store = self._open_store()
        publisher = self._open_publisher()
        source = self._source = open_source(self.source_spec, cfg.camera, loop=self.loop)
        wall_offset: float | None = None
        t = 0.0
        try:
            for item in source.events():
                if self._stop.is_set():
                    break
                if isinstance(item, StatusChange):
                    self._emit(self._camera_events(engine, item), store, publisher)
                    if publisher is not None:
                        self._publish_state(publisher, engine, t, source)
                    continue
                frame = item
                now = time.monotonic()
                if frame.wall_time is None:
                    # Files have no wall clock: anchor video time to the start of the run.
                    if wall_offset is None:
                        wall_offset = time.time() - frame.t
                    wall_time = wall_offset + frame.t
                else:
                    wall_time = frame.wall_time
                t = frame.t
                try:
                    obs = perceiver.process(frame)
                except Exception:  # never end the loop on one bad frame
                    self.summary.frames_failed += 1
                    log.warning("perception failed on frame %d; skipped", frame.index, exc_info=True)
                    continue
                obs.wall_time = wall_time
                self.last_frame, self.last_observation = frame, obs
                self._last_frame_mono = now
                self.health["last_frame_time"] = wall_time
                self._fps.tick(now)
                self._track_time(t)
                events = engine.update(obs)
                events += self._apply_commands(publisher, engine, t, wall_time)
                self._emit(events, store, publisher)
                self._notify(frame, obs, engine, events)
                # Cheap: the publisher sends only what changed (the alert topic at once).
                self._publish_state(publisher, engine, t, source)
                self.summary.frames += 1
                if self.max_frames is not None and self.summary.frames >= self.max_frames:
                    break
        finally:
            final_wall = (wall_offset + t) if wall_offset is not None else time.time()
            try:
                self._emit(engine.finish(t, final_wall), store, publisher)
                self._publish_state(publisher, engine, t, source)
            finally:
                source.close()
                perceiver.close()
                if publisher is not None:
                    publisher.stop(5.0)
                if store is not None:
                    store.close()
                self.summary.wall_seconds = time.monotonic() - started
        return self.summary

    # ------------------------------------------------------------------ helpers

    def _track_time(self, t: float) -> None:
        if self.summary.first_t is None:
            self.summary.first_t = t
        self.summary.last_t = t

    def _camera_events(self, engine: Any, change: StatusChange) -> list[Event]:
        """Camera offline / online events from a capture status change.

        The first record of a source (``previous`` None) and the end of a file are
        not camera faults, so they raise no event.
        """
        self.health["camera"] = change.status
        if change.previous is None or change.status == CameraStatus.ENDED:
            if change.status == CameraStatus.OFFLINE:
                log.warning("camera %s is offline: %s", self.source_spec_display, change.detail)
            else:
                return []
        online = change.status == CameraStatus.ONLINE
        result: list[Event] = engine.camera_status(online, change.t, change.wall_time, detail=change.detail)
        return result

    def _apply_commands(self, publisher: Any, engine: Any, t: float, wall_time: float) -> list[Event]:
        if publisher is None:
            return []
        events: list[Event] = []
        from frontdesk.mqtt.commands import CommandKind

        for cmd in publisher.pending_commands():
            try:
                if cmd.kind == CommandKind.ACKNOWLEDGE:
                    events += engine.acknowledge(cmd.counter_id, t, wall_time)
                elif cmd.kind == CommandKind.SNOOZE:
                    events += engine.snooze(cmd.counter_id, float(cmd.seconds or 0.0), t)
                elif cmd.kind == CommandKind.SET_ENABLED:
                    events += engine.set_enabled(cmd.counter_id, bool(cmd.enabled), t)
            except ValueError as exc:  # e.g. a counter this camera does not have
                log.warning("command %s for %s ignored: %s", cmd.kind.value, cmd.counter_id, exc)
                continue
            log.info("command %s for %s applied", cmd.kind.value, cmd.counter_id)
        return events

    def _emit(self, events: list[Event], store: Any, publisher: Any) -> None:
        if not events:
            return
        self.summary.count(events)
        for e in events:
            level = logging.WARNING if e.type in (
                EventType.CUSTOMER_WAITING, EventType.CUSTOMER_ESCALATED,
                EventType.COUNTER_UNATTENDED, EventType.CAMERA_OFFLINE) else logging.INFO
            log.log(level, "%s", format_event(e))
            if self.on_event is not None:
                self.on_event(e)
        if publisher is not None:
            publisher.publish_events(events)
        if store is not None:
            self._store_events(store, events)

    def _store_events(self, store: Any, events: list[Event]) -> None:
        """Write events to the store; on failure (disk full, locked) keep them and retry.

        The backlog is held in memory, bounded by ``STORE_BACKLOG_MAX``; one error
        line per failure streak, one line when writing works again.
        """
        from frontdesk.store import StoreError

        self._store_backlog.extend(events)
        try:
            store.record_events(self._store_backlog)
        except StoreError as exc:
            if not self._store_failing:
                log.error("cannot write the visit history (%s); keeping events in memory and "
                          "retrying", exc)
            self._store_failing = True
            overflow = len(self._store_backlog) - STORE_BACKLOG_MAX
            if overflow > 0:
                del self._store_backlog[:overflow]
                self.summary.store_dropped += overflow
            return
        if self._store_failing:
            log.info("visit history writable again: %d events written", len(self._store_backlog))
        self._store_failing = False
        self._store_backlog.clear()

    def _health(self, source: Any) -> dict[str, Any]:
        stats = getattr(source, "stats", None)
        age = None if self._last_frame_mono is None else time.monotonic() - self._last_frame_mono
        self.health.update(
            fps=round(self._fps.fps, 2),
            last_frame_age_s=None if age is None else round(age, 3),
            camera=getattr(source, "status", self.health.get("camera")),
            frames=self.summary.frames,
            frames_failed=self.summary.frames_failed,
        )
        if stats is not None:
            self.health["capture"] = stats.to_json() if hasattr(stats, "to_json") else vars(stats)
        return dict(self.health)

    def _publish_state(self, publisher: Any, engine: Any, t: float, source: Any) -> None:
        health = self._health(source)
        if publisher is not None:
            publisher.publish_state(engine.counter_states(t), health)

    def _open_store(self) -> Any:
        if not self.use_store:
            return None
        from frontdesk.store import VisitStore

        return VisitStore.open(self.config.store.path,
                               retention_days=self.config.store.retention_days)

    def _open_publisher(self) -> Any:
        if not self.use_mqtt:
            return None
        from frontdesk.mqtt import MqttPublisher

        publisher = MqttPublisher(self.config)
        publisher.start()
        return publisher

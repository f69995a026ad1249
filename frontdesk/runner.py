"""The main loop: a source's frames through the pipeline, events and state to the sinks.

::

    source ──► FramePipeline.step(frame) ──► events, state ──► sinks: MQTT · store · web hub

The runner wires the stages for one camera, runs the frame loop, applies the
sinks' commands between two frames and keeps the health record. What happens
to a frame is the pipeline's business (:mod:`frontdesk.pipeline`); what
happens to an event is each sink's (:mod:`frontdesk.sinks`). The loop never
dies on a bad frame: problems in the frame loop are skipped, counted and
reported in the health record; problems at start-up fail loudly.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from frontdesk.capture import FrameSource, StatusChange, open_source, scrub_credentials
from frontdesk.config import Config
from frontdesk.engine import Engine
from frontdesk.engine.events import Event, EventType
from frontdesk.live_fusion import FusedObservations
from frontdesk.pipeline import FramePipeline, PipelineStep
from frontdesk.rate import RateMeter
from frontdesk.replay import ObservationReplay
from frontdesk.sdnotify import SdNotifier
from frontdesk.sinks import EventSink, StateUpdate, apply_commands, close_sinks
from frontdesk.types import CameraStatus, Frame, FrameObservation

if TYPE_CHECKING:
    from frontdesk.detectors.onnx_person import OnnxPersonDetector
    from frontdesk.store import VisitStore
    from frontdesk.store.sink import StoreSink

log = logging.getLogger(__name__)

__all__ = ["RunSummary", "Runner", "format_event", "LEFT_OPEN_DETAIL", "Observer"]

LEFT_OPEN_DETAIL = "left open by a previous run that did not stop cleanly; closed at start-up"
"""``detail`` of the ``customer_left`` (interrupted) event that closes such a visit."""

_ALERT_TYPES = (EventType.CUSTOMER_WAITING, EventType.CUSTOMER_ESCALATED,
                EventType.COUNTER_UNATTENDED, EventType.CAMERA_OFFLINE)


class Observer(Protocol):
    """Called in the loop's thread after each frame: ``(frame, observation, engine,
    events)``; ``frame`` is None when replaying observations. For tests and
    debugging aids; what receives events for good is a sink."""

    def __call__(self, frame: Frame | None, obs: FrameObservation, engine: Engine,
                 events: list[Event]) -> None: ...


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

    def track_time(self, t: float) -> None:
        if self.first_t is None:
            self.first_t = t
        self.last_t = t

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


Source = FrameSource | ObservationReplay | FusedObservations
"""A frame source (:func:`frontdesk.capture.open_source`), an :class:`ObservationReplay`
or a fused counter's :class:`~frontdesk.live_fusion.FusedObservations`:
``events()`` yields frames or observations and :class:`StatusChange` records; ``close()``."""


class Runner:
    """Wires the stages for one camera and runs until the source ends or stop() is called.

    Args:
        config: validated configuration.
        source: overrides ``config.camera.source`` (a file, folder, camera or URL;
            ``demo://NAME`` is resolved by the commands before it gets here).
        loop: replay a file source endlessly.
        realtime: deliver a file's frames at the clip's own rate, as a live camera
            would (``run --realtime``), so CPU is measured as a camera loads it.
        use_store: write visits and events to ``config.store.path``.
        use_mqtt: publish to ``config.mqtt.url`` (the outbox is kept even without a broker).
        on_event: called with each event (the CLI prints them).
        log_events: log each event (INFO; WARNING for alerts and outages). Off when
            ``on_event`` already shows them, as in ``frontdesk demo``.
        max_frames: stop after this many frames (demos, tests).
        observations: replay this observations.jsonl instead of camera and perception
            (see :class:`~frontdesk.replay.ObservationReplay`); the engine, store and
            MQTT path is the same.
        speed: the replay's speed factor (0: as fast as possible).
        notifier: systemd notifications (READY, WATCHDOG, STOPPING); off by default.
        wall_clock: Unix seconds, to anchor sources that carry no wall time.
        items: an open source of observations to run instead of camera and perception
            (a fused counter's :class:`~frontdesk.live_fusion.FusedObservations`):
            ``events()`` yields observations and :class:`StatusChange` records,
            ``close()``, ``name``, ``status``; ``camera_states`` (each camera's
            status) goes to the health record as ``cameras``.

    Sinks: the runner opens the store and MQTT sinks itself (``use_store``,
    ``use_mqtt``) and closes them at the end; sinks added with :meth:`add_sink`
    (the web UI's hub) receive the same events and states after them and belong
    to whoever added them.

    At start-up, visits that the store still holds open for this site's counters
    (a previous run was killed, or lost power, before closing them) are closed as
    interrupted with a ``customer_left`` event (detail :data:`LEFT_OPEN_DETAIL`),
    stored and published like any other: every visit ends exactly once.
    """

    def __init__(
        self,
        config: Config,
        *,
        source: str | None = None,
        loop: bool = False,
        realtime: bool = False,
        use_store: bool = True,
        use_mqtt: bool = True,
        on_event: Callable[[Event], None] | None = None,
        log_events: bool = True,
        max_frames: int | None = None,
        observations: str | os.PathLike[str] | None = None,
        speed: float = 0.0,
        notifier: SdNotifier | None = None,
        wall_clock: Callable[[], float] = time.time,
        items: Source | None = None,
    ) -> None:
        self.config = config
        self._items = items
        self.observations = None if observations is None else Path(observations)
        self.speed = speed
        self.source_spec = (str(self.observations) if self.observations is not None
                            else items.name if items is not None
                            else source or config.camera.source)
        self.loop = loop
        self.realtime = realtime
        self.use_store = use_store
        self.use_mqtt = use_mqtt
        self.on_event = on_event
        self.log_events = log_events
        self.max_frames = max_frames
        self.notifier = notifier or SdNotifier({})
        self._wall_clock = wall_clock
        self.summary = RunSummary()
        self._stop = threading.Event()
        self._observers: list[Observer] = []
        self._added_sinks: list[EventSink] = []
        self.sinks: list[EventSink] = []
        """Every sink of the current run, in the order they receive events."""
        self.store_sink: StoreSink | None = None
        self._source: Source | None = None
        self.source_spec_display = scrub_credentials(self.source_spec)
        self._fps = RateMeter()
        self.health: dict[str, Any] = {"camera": "starting", "fps": 0.0, "last_frame_age_s": None}
        self.pipeline: FramePipeline | None = None
        self.engine: Engine | None = None
        self.last_frame: Frame | None = None
        self.last_observation: FrameObservation | None = None
        self._last_frame_mono: float | None = None
        self._items_seen = 0
        self._wall_offset: float | None = None

    @property
    def person_detector(self) -> OnnxPersonDetector | None:
        """The person detector (``detectors.person``), None without one or when replaying."""
        return None if self.pipeline is None else self.pipeline.person_detector

    # ------------------------------------------------------------------ control

    def add_observer(self, observer: Observer) -> None:
        self._observers.append(observer)

    def add_sink(self, sink: EventSink) -> None:
        """Another sink for this run's events and states (before :meth:`run`)."""
        self._added_sinks.append(sink)

    def _notify(self, step: PipelineStep, engine: Engine) -> None:
        for observer in list(self._observers):
            try:
                observer(step.frame, step.observation, engine, step.events)
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

    # ------------------------------------------------------------------ run

    def run(self) -> RunSummary:
        started = time.monotonic()
        # Loads the models (the person detector's file is checked first): fails
        # loudly, before the first frame.
        pipeline = self.pipeline = FramePipeline(
            self.config, perceive=self.observations is None and self._items is None)
        engine = self.engine = pipeline.require_engine()
        own_sinks: list[EventSink] = []
        source: Source | None = None
        t = 0.0
        try:
            own_sinks = self.open_sinks()
            self.sinks = own_sinks + self._added_sinks
            source = self._source = self._open_source()
            self._emit(self._close_left_open())
            self.notifier.ready(f"watching {self.source_spec_display}")
            watchdog = self._start_watchdog(source)
            try:
                t = self._loop(source, pipeline, engine)
            finally:
                if watchdog is not None:
                    watchdog.set()
        finally:
            self.notifier.stopping()
            try:
                self._emit(engine.finish(t, self._wall_at(t)))
                self._state(engine, t, None, source)
            finally:
                self._shut_down(source, pipeline, own_sinks)
                self.summary.wall_seconds = time.monotonic() - started
        return self.summary

    def open_sinks(self) -> list[EventSink]:
        """The sinks this runner owns, in the order they receive events: MQTT, store."""
        sinks: list[EventSink] = []
        try:
            if self.use_mqtt:
                from frontdesk.mqtt import MqttPublisher
                from frontdesk.mqtt.sink import MqttSink

                publisher = MqttPublisher(self.config)
                publisher.start()
                sinks.append(MqttSink(publisher))
            if self.use_store:
                from frontdesk.store.sink import StoreSink

                self.store_sink = StoreSink(self._open_store())
                sinks.append(self.store_sink)
        except BaseException:
            close_sinks(sinks)
            raise
        return sinks

    def _open_store(self) -> VisitStore:
        from frontdesk.store import VisitStore

        return VisitStore.open(self.config.store.path,
                               retention_days=self.config.store.retention_days)

    def _open_source(self) -> Source:
        if self._items is not None:
            return self._items
        if self.observations is not None:
            return ObservationReplay(self.observations, self.speed)
        from frontdesk.demo_footage import resolve_source

        return open_source(resolve_source(self.source_spec), self.config.camera, loop=self.loop,
                           realtime=self.realtime)

    # ------------------------------------------------------------------ loop

    def _loop(self, source: Source, pipeline: FramePipeline, engine: Engine) -> float:
        """The frame loop; returns the source time of the last item."""
        t = 0.0
        for item in source.events():
            self._items_seen += 1
            if self._stop.is_set():
                break
            if isinstance(item, StatusChange):
                t = max(t, item.t)
                self._camera_change(engine, item, t, source)
                continue
            step = self._perceive(pipeline, item)
            if step is None:
                continue
            t = step.observation.t
            self._process(step, pipeline, engine, source)
            if self.max_frames is not None and self.summary.frames >= self.max_frames:
                break
        return t

    def _perceive(self, pipeline: FramePipeline, item: Frame | FrameObservation
                  ) -> PipelineStep | None:
        """The item's observation with its wall time; None when perception failed."""
        if isinstance(item, FrameObservation):
            frame, obs = None, item
        else:
            frame = item
            try:
                obs = pipeline.perceive(frame)
            except Exception:  # never end the loop on one bad frame
                self.summary.frames_failed += 1
                log.warning("perception failed on frame %d; skipped", frame.index,
                            exc_info=True)
                return None
        if obs.wall_time is None:
            obs.wall_time = self._wall_at(obs.t)
        return PipelineStep(frame, obs)

    def _process(self, step: PipelineStep, pipeline: FramePipeline, engine: Engine,
                 source: Source) -> None:
        now = time.monotonic()
        obs = step.observation
        wall_time = obs.wall_time
        assert wall_time is not None  # set by _perceive
        self.last_frame, self.last_observation = step.frame, obs
        self._last_frame_mono = now
        self.health["last_frame_time"] = wall_time
        self._fps.tick(now)
        self.summary.track_time(obs.t)
        step.events = pipeline.update(obs)
        step.events += apply_commands(self.sinks, engine, obs.t, wall_time)
        self._emit(step.events)
        self._notify(step, engine)
        # Cheap: each sink sends only what changed (MQTT's alert topic at once).
        self._state(engine, obs.t, step, source)
        self.summary.frames += 1

    def _camera_change(self, engine: Engine, change: StatusChange, t: float,
                       source: Source) -> None:
        """Camera offline / online events from a capture status change.

        The first record of a source (``previous`` None) and the end of a file are
        not camera faults, so they raise no event.
        """
        if change.wall_time is None:
            change = StatusChange(change.status, change.previous, change.t,
                                  self._wall_at(change.t), change.detail)
        self.health["camera"] = change.status
        if change.previous is None or change.status == CameraStatus.ENDED:
            if change.status == CameraStatus.OFFLINE:
                log.warning("camera %s is offline: %s", self.source_spec_display, change.detail)
                self._emit(engine.camera_status(False, change.t, change.wall_time,
                                                detail=change.detail))
        else:
            online = change.status == CameraStatus.ONLINE
            self._emit(engine.camera_status(online, change.t, change.wall_time,
                                            detail=change.detail))
        self._state(engine, t, None, source)

    # ------------------------------------------------------------------ sinks

    def _emit(self, events: Sequence[Event]) -> None:
        if not events:
            return
        self.summary.count(events)
        for e in events:
            if self.log_events:
                log.log(logging.WARNING if e.type in _ALERT_TYPES else logging.INFO,
                        "%s", format_event(e))
            if self.on_event is not None:
                self.on_event(e)
        for sink in self.sinks:
            sink.emit(events)

    def _state(self, engine: Engine, t: float, step: PipelineStep | None,
               source: Source | None) -> None:
        update = StateUpdate(t, self._health(source), step, engine)
        for sink in self.sinks:
            sink.state(update)

    def _close_left_open(self) -> list[Event]:
        """customer_left (interrupted) for visits a previous run left open in the store."""
        if self.store_sink is None or self.engine is None:
            return []
        from frontdesk.store import StoreError

        cfg = self.config
        try:
            rows = self.store_sink.store.open_visits(cfg.site_id, [c.id for c in cfg.counters])
        except StoreError as exc:
            log.error("cannot look for visits left open by a previous run: %s", exc)
            return []
        factory = self.engine.factory
        events = [factory.left_open(
            row["counter_id"], row["visit_id"], row.get("last_event"),
            float(row["last_event_wall"] or row["arrival_wall"] or self._wall_clock()),
            LEFT_OPEN_DETAIL) for row in rows]
        if events:
            log.warning("closing %d visits left open by a previous run as interrupted",
                        len(events))
        return events

    # ------------------------------------------------------------------ health and time

    def _wall_at(self, t: float) -> float:
        """Wall time of source time ``t`` for sources without a wall clock (files).

        Anchored once, at the first use, so a later jump of the wall clock does not
        move the times of this run.
        """
        if self._wall_offset is None:
            self._wall_offset = self._wall_clock() - t
        return self._wall_offset + t

    def _health(self, source: Source | None) -> dict[str, Any]:
        stats = getattr(source, "stats", None)
        age = None if self._last_frame_mono is None else time.monotonic() - self._last_frame_mono
        self.health.update(
            fps=round(self._fps.fps, 2),
            last_frame_age_s=None if age is None else round(age, 3),
            camera=getattr(source, "status", self.health.get("camera")),
            frames=self.summary.frames,
            frames_failed=self.summary.frames_failed,
        )
        cameras = getattr(source, "camera_states", None)
        if cameras is not None:
            self.health["cameras"] = dict(cameras)
        if isinstance(stats, dict):
            self.health["capture"] = dict(stats)
        elif stats is not None:
            self.health["capture"] = stats.to_json() if hasattr(stats, "to_json") else vars(stats)
        self.health["store_backlog"] = 0 if self.store_sink is None else len(
            self.store_sink.backlog)
        return dict(self.health)

    def _start_watchdog(self, source: Source) -> threading.Event | None:
        """Ping the watchdog while frames or status records flow, or while capture
        keeps trying to reopen an offline camera (:func:`frontdesk.sdnotify.start_watchdog`)."""
        from frontdesk.sdnotify import start_watchdog

        return start_watchdog(self.notifier, lambda: self._items_seen, source)

    def _shut_down(self, source: Source | None, pipeline: FramePipeline,
                   own_sinks: list[EventSink]) -> None:
        """Close everything, each step even if an earlier one failed."""
        if source is not None:
            try:
                source.close()
            except Exception:
                log.exception("closing the source failed")
        pipeline.close()
        close_sinks(own_sinks)
        if self.store_sink is not None:
            self.summary.store_dropped = self.store_sink.dropped


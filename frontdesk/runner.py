"""The main loop: capture -> perception -> tracking and engine -> store, MQTT, web.

Side effects live here and in the stages' adapters; the engine stays pure. The
loop never dies on a bad frame: problems in the frame loop are skipped, counted
and reported in the health record; problems at start-up fail loudly.
"""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frontdesk.capture import StatusChange, open_source, scrub_credentials
from frontdesk.config import Config
from frontdesk.engine.events import Event, EventType, Outcome
from frontdesk.errors import FrontdeskError
from frontdesk.sdnotify import SdNotifier
from frontdesk.types import CameraStatus, FrameObservation

log = logging.getLogger(__name__)

__all__ = ["RunSummary", "Runner", "ObservationReplay", "format_event", "LEFT_OPEN_DETAIL"]

_BODIES_GAP_CHECK_FRAME = 10
"""The frame at which the person detector's interval is checked against the grace period
(the engine's frame period has settled by then)."""

LEFT_OPEN_DETAIL = "left open by a previous run that did not stop cleanly; closed at start-up"
"""``detail`` of the ``customer_left`` (interrupted) event that closes such a visit."""

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


class ObservationReplay:
    """Replays an observations.jsonl file (``frontdesk simulate``) in place of camera + perception.

    Each line is a :class:`FrameObservation` record (see :mod:`frontdesk.sim.observations`)
    or a camera status record ``{"status": "offline"|"online", "t": ..., "detail": ...}``
    (optional ``wall_time``): a camera that drops is replayed as a status record, a gap
    with no frames and a status record when it comes back. The first item is an
    ``online`` record (``previous`` None), the last an ``ended`` record, as file sources do.

    A line that cannot be read is a corrupt frame: skipped, counted in
    ``stats["corrupt_skipped"]`` and logged (the first and then every 100th).

    Args:
        path: the file; a missing file fails here, at start-up.
        speed: 0 replays as fast as possible; otherwise the factor over real time
            (1.0 as recorded, 60.0 one minute of video per second).
        clock: monotonic seconds (tests pass their own).
    """

    kind = "observations"
    is_live = False

    def __init__(self, path: str | os.PathLike[str], speed: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FrontdeskError(f"{self.path}: no observations file")
        if not (speed == 0.0 or 0.01 <= speed <= 10_000.0):
            raise FrontdeskError(f"replay speed must be 0 (as fast as possible) or between "
                                 f"0.01 and 10000, got {speed}")
        self.speed = float(speed)
        self.name = str(self.path)
        self._clock = clock
        self._closed = threading.Event()
        self._status: str = CameraStatus.OFFLINE
        self.stats: dict[str, Any] = {"source": self.name, "frames_read": 0, "corrupt_skipped": 0,
                                      "status_records": 0}

    @property
    def status(self) -> str:
        return self._status

    def close(self) -> None:
        self._closed.set()

    def events(self) -> Iterator[FrameObservation | StatusChange]:
        from frontdesk.sim.observations import observation_from_json

        start: tuple[float, float] | None = None  # (record t, clock) of the first record
        last_t, last_wall = 0.0, None
        with open(self.path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if self._closed.is_set():
                    return
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                    if not isinstance(record, dict):
                        raise ValueError("not a JSON object")
                    item: FrameObservation | StatusChange = (
                        self._status_change(record) if "status" in record
                        else observation_from_json(record))
                except (ValueError, KeyError, TypeError) as exc:
                    self._corrupt(lineno, exc)
                    continue
                if start is None:
                    start = (item.t, self._clock())
                    yield self._change(CameraStatus.ONLINE, None, item.t, item.wall_time,
                                       "replay started")
                if not self._pace(item.t, start):
                    return
                last_t, last_wall = item.t, item.wall_time
                if isinstance(item, StatusChange):
                    self.stats["status_records"] += 1
                    if item.status == self._status:
                        continue
                    item = self._change(item.status, self._status, item.t, item.wall_time,
                                        item.detail)
                else:
                    self.stats["frames_read"] += 1
                yield item
        if not self._closed.is_set():
            yield self._change(CameraStatus.ENDED, self._status, last_t, last_wall,
                               "end of the observations")

    def _status_change(self, record: dict[str, Any]) -> StatusChange:
        status = record["status"]
        if status not in (CameraStatus.ONLINE, CameraStatus.OFFLINE):
            raise ValueError(f"status must be online or offline, got {status!r}")
        wall = record.get("wall_time")
        return StatusChange(status, None, float(record["t"]),
                            None if wall is None else float(wall),  # type: ignore[arg-type]
                            str(record.get("detail", "")))

    def _change(self, status: str, previous: str | None, t: float, wall: float | None,
                detail: str) -> StatusChange:
        self._status = status
        return StatusChange(status, previous, t, wall, detail)  # type: ignore[arg-type]

    def _pace(self, t: float, start: tuple[float, float]) -> bool:
        """Wait until record time ``t`` is due at ``speed``; False when closed meanwhile."""
        if self.speed == 0.0:
            return not self._closed.is_set()
        due = start[1] + (t - start[0]) / self.speed
        delay = due - self._clock()
        if delay > 0:
            return not self._closed.wait(delay)
        return not self._closed.is_set()

    def _corrupt(self, lineno: int, exc: Exception) -> None:
        self.stats["corrupt_skipped"] += 1
        n = self.stats["corrupt_skipped"]
        if n == 1 or n % 100 == 0:
            log.warning("%s:%d: not an observation record (%s); skipped (%d so far)",
                        self.path, lineno, exc, n)


class Runner:
    """Wires the stages for one camera and runs until the source ends or stop() is called.

    Args:
        config: validated configuration.
        source: overrides ``config.camera.source``.
        loop: replay a file source endlessly.
        use_store: write visits and events to ``config.store.path``.
        use_mqtt: publish to ``config.mqtt.url`` (the outbox is kept even without a broker).
        on_event: called with each event (the CLI prints them).
        log_events: log each event (INFO; WARNING for alerts and outages). Off when
            ``on_event`` already shows them, as in ``frontdesk demo``.
        max_frames: stop after this many frames (demos, tests).
        observations: replay this observations.jsonl instead of camera and perception
            (see :class:`ObservationReplay`); the engine, store and MQTT path is the same.
        speed: the replay's speed factor (0: as fast as possible).
        notifier: systemd notifications (READY, WATCHDOG, STOPPING); off by default.
        wall_clock: Unix seconds, to anchor sources that carry no wall time.

    Observers (``add_observer``) are called in the loop's thread after each frame
    with ``(frame, observation, engine, events)``; the web UI's live hub is one
    (``frame`` is None when replaying observations).
    They must return quickly (copy what they need, hand work to their own thread).
    An observer that raises is logged once and removed, never ending the loop.

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
        use_store: bool = True,
        use_mqtt: bool = True,
        on_event: Callable[[Event], None] | None = None,
        log_events: bool = True,
        max_frames: int | None = None,
        observations: str | os.PathLike[str] | None = None,
        speed: float = 0.0,
        notifier: SdNotifier | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.observations = None if observations is None else Path(observations)
        self.speed = speed
        self.source_spec = (str(self.observations) if self.observations is not None
                            else source or config.camera.source)
        self.loop = loop
        self.use_store = use_store
        self.use_mqtt = use_mqtt
        self.on_event = on_event
        self.log_events = log_events
        self.max_frames = max_frames
        self.notifier = notifier or SdNotifier({})
        self._wall_clock = wall_clock
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
        self._items_seen = 0
        self._wall_offset: float | None = None
        self.person_detector: Any = None
        """The person detector (``detectors.person``), None without one or when replaying."""
        self._bodies_every: Any = None
        self._last_bodies: list[Any] = []
        """Source time of the person detector's first run (None: not yet, or checked)."""

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

        cfg = self.config
        started = time.monotonic()
        perceiver = None
        if self.observations is None:
            from frontdesk.perception import FacePerceiver

            self._open_person_detector()  # checks the model file: fails loudly, before frame 1
            perceiver = FacePerceiver(cfg.perception, cfg.camera)  # loads models: fails loudly
        self.engine = engine = Engine(cfg)
        store = publisher = source = None
        t = 0.0
        try:
            store = self._open_store()
            publisher = self._open_publisher()
            source = self._source = self._open_source()
            self._emit(self._close_left_open(store), store, publisher)
            self.notifier.ready(f"watching {self.source_spec_display}")
            watchdog = self._start_watchdog(source)
            try:
                t = self._loop(source, perceiver, engine, store, publisher)
            finally:
                if watchdog is not None:
                    watchdog.set()
        finally:
            self.notifier.stopping()
            final_wall = self._wall_at(t)
            try:
                self._emit(engine.finish(t, final_wall), store, publisher)
                if publisher is not None:
                    self._publish_state(publisher, engine, t, source)
            finally:
                self._shut_down(source, perceiver, publisher, store)
                self.summary.wall_seconds = time.monotonic() - started
        return self.summary

    def _loop(self, source: Any, perceiver: Any, engine: Any, store: Any, publisher: Any) -> float:
        """The frame loop; returns the source time of the last item."""
        t = 0.0
        for item in source.events():
            self._items_seen += 1
            if self._stop.is_set():
                break
            if isinstance(item, StatusChange):
                t = max(t, item.t)
                if item.wall_time is None:
                    item = StatusChange(item.status, item.previous, item.t, self._wall_at(item.t),
                                        item.detail)
                self._emit(self._camera_events(engine, item), store, publisher)
                if publisher is not None:
                    self._publish_state(publisher, engine, t, source)
                continue
            if isinstance(item, FrameObservation):
                frame, obs = None, item
                wall_time = obs.wall_time if obs.wall_time is not None else self._wall_at(obs.t)
            else:
                frame = item
                wall_time = frame.wall_time if frame.wall_time is not None else self._wall_at(
                    frame.t)
                try:
                    obs = perceiver.process(frame)
                except Exception:  # never end the loop on one bad frame
                    self.summary.frames_failed += 1
                    log.warning("perception failed on frame %d; skipped", frame.index,
                                exc_info=True)
                    continue
                if self._bodies_every is not None:
                    self._detect_bodies(frame, obs)
            t = obs.t
            self._process(frame, obs, wall_time, engine, store, publisher, source)
            if self.max_frames is not None and self.summary.frames >= self.max_frames:
                break
        return t

    def _process(self, frame: Any, obs: FrameObservation, wall_time: float, engine: Any,
                 store: Any, publisher: Any, source: Any) -> None:
        now = time.monotonic()
        t = obs.t
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
        if self.summary.frames == _BODIES_GAP_CHECK_FRAME and self._bodies_every is not None:
            self._check_bodies_gap(engine.frame_s)

    def _open_person_detector(self) -> None:
        """The optional person detector (``detectors.person``), run every n frames.

        None configured: nothing is loaded and each frame costs nothing more. A
        configured model that is missing, altered (SHA-256), or does not load
        raises :class:`~frontdesk.errors.ModelError` here, before the first frame.
        """
        from frontdesk.detectors import build_person_detector

        person = self.config.detectors.person
        if person.model is None:
            return
        from frontdesk.detectors.onnx_person import EveryNFrames

        self.person_detector = build_person_detector(self.config.detectors)
        if self.person_detector is not None:
            self._bodies_every = EveryNFrames(self.person_detector, person.every_n_frames)

    def _check_bodies_gap(self, frame_s: float) -> None:
        """Once, early on: warn when the person detector's runs are further apart in
        source time than ``tracking.grace_s`` (from the engine's smoothed frame
        period, which ignores start-up stalls): people seen only by their body are
        then dropped by the tracker between two runs."""
        n = self.config.detectors.person.every_n_frames
        gap, grace = n * frame_s, self.config.tracking.grace_s
        if frame_s <= 0 or gap <= grace + 1e-9:
            return
        fps = 1.0 / frame_s
        log.warning(
            "detectors.person.every_n_frames %d at %.1f fps runs the person detector "
            "every %.2f s, longer than tracking.grace_s %.2f s: people seen only by "
            "their body are dropped between runs; set every_n_frames to at most %d "
            "(or raise tracking.grace_s)", n, fps, gap, grace,
            max(1, math.floor(grace * fps + 1e-9)))

    def _detect_bodies(self, frame: Any, obs: FrameObservation) -> None:
        """Add the person detector's boxes to ``obs``: fresh on the frames it runs,
        the latest run's carried (not fresh) on the frames between."""
        assert self._bodies_every is not None
        boxes = self._bodies_every.maybe_detect(frame.image)
        if boxes is not None:
            self._last_bodies = boxes
        obs.bodies = list(self._last_bodies)
        obs.bodies_fresh = boxes is not None

    def _wall_at(self, t: float) -> float:
        """Wall time of source time ``t`` for sources without a wall clock (files).

        Anchored once, at the first use, so a later jump of the wall clock does not
        move the times of this run.
        """
        if self._wall_offset is None:
            self._wall_offset = self._wall_clock() - t
        return self._wall_offset + t

    def _shut_down(self, source: Any, perceiver: Any, publisher: Any, store: Any) -> None:
        """Close everything, each step even if an earlier one failed."""
        steps: list[tuple[str, Callable[[], Any]]] = []
        if source is not None:
            steps.append(("source", source.close))
        if perceiver is not None:
            steps.append(("perception", perceiver.close))
        if self._bodies_every is not None:
            steps.append(("person detector", self._bodies_every.close))
        if publisher is not None:
            steps.append(("MQTT", lambda: publisher.stop(5.0)))
        if store is not None:
            steps.append(("store", lambda: self._flush_store(store)))
            steps.append(("store", store.close))
        for name, step in steps:
            try:
                step()
            except Exception:
                log.exception("closing the %s failed", name)

    def _flush_store(self, store: Any) -> None:
        """A last try at events kept in memory while the store could not be written."""
        if not self._store_backlog:
            return
        self._store_events(store, [])
        if self._store_backlog:
            log.error("%d events could not be written to the visit history before shutdown; "
                      "they were published to MQTT (see the outbox) but are missing from "
                      "the store", len(self._store_backlog))

    def _close_left_open(self, store: Any) -> list[Event]:
        """customer_left (interrupted) for visits a previous run left open in the store."""
        if store is None:
            return []
        from frontdesk.store import StoreError

        cfg = self.config
        try:
            rows = store.open_visits(cfg.site_id, [c.id for c in cfg.counters])
        except StoreError as exc:
            log.error("cannot look for visits left open by a previous run: %s", exc)
            return []
        events = []
        for row in rows:
            wall = row["last_event_wall"] or row["arrival_wall"] or self._wall_clock()
            events.append(Event(
                type=EventType.CUSTOMER_LEFT, event_id=uuid.uuid4().hex, site_id=cfg.site_id,
                counter_id=row["counter_id"], t=0.0, wall_time=float(wall),
                visit_id=row["visit_id"], track_id=row["track_id"], left_t=0.0,
                outcome=Outcome.INTERRUPTED, detail=LEFT_OPEN_DETAIL))
        if events:
            log.warning("closing %d visits left open by a previous run as interrupted",
                        len(events))
        return events

    def _start_watchdog(self, source: Any) -> threading.Event | None:
        """Ping systemd's watchdog while frames or status records flow (or, with the
        camera offline, while capture keeps trying to reopen it); a stuck loop stops
        the pings and systemd restarts the service."""
        period = self.notifier.watchdog_s
        if period is None:
            return None
        stop = threading.Event()

        def progress() -> tuple[int, int]:
            stats = getattr(source, "stats", None)
            retries = getattr(stats, "open_failures", 0) if stats is not None else 0
            return self._items_seen, int(retries)

        def main() -> None:
            last, changed_at = progress(), time.monotonic()
            self.notifier.watchdog()
            while not stop.wait(period / 4.0):
                now, current = time.monotonic(), progress()
                if current != last:
                    last, changed_at = current, now
                if now - changed_at < period / 2.0:
                    self.notifier.watchdog()

        threading.Thread(target=main, name="frontdesk-watchdog", daemon=True).start()
        return stop

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
        result: list[Event] = engine.camera_status(online, change.t, change.wall_time,
                                                   detail=change.detail)
        return result

    def _apply_commands(self, publisher: Any, engine: Any, t: float,
                        wall_time: float) -> list[Event]:
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
            if self.log_events:
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
        if isinstance(stats, dict):
            self.health["capture"] = dict(stats)
        elif stats is not None:
            self.health["capture"] = stats.to_json() if hasattr(stats, "to_json") else vars(stats)
        self.health["store_backlog"] = len(self._store_backlog)
        return dict(self.health)

    def _publish_state(self, publisher: Any, engine: Any, t: float, source: Any) -> None:
        health = self._health(source)
        if publisher is not None:
            publisher.publish_state(engine.counter_states(t), health)

    def _open_source(self) -> Any:
        if self.observations is not None:
            return ObservationReplay(self.observations, self.speed)
        return open_source(self.source_spec, self.config.camera, loop=self.loop)

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

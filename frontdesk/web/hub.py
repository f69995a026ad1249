"""The bridge between the frame loop and the web server's threads.

:class:`LiveHub` is one of the runner's sinks (``hub.attach(runner)``, see
:mod:`frontdesk.sinks`). In the loop's thread it:

1. hands the loop the config the zone editor saved (``request_config``) as a
   command, so the engine picks up new zones between two frames, never during
   one (``take_commands``);
2. counts today's events (``emit``);
3. after each frame, keeps the engine's live views (tracks, counter states) and
   the frame's face samples for the placement check (``state``), and the
   frame's image **only while someone is watching the live view** (a frame was
   asked for within the last few seconds); otherwise no image is held here at all;
4. while someone watches, keeps a source from running ahead of its own clock (a
   video file is shown at its own speed, not as fast as it can be processed;
   a live camera is never ahead, so it is never slowed).

Web requests read immutable snapshots and never touch the engine.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from frontdesk.config import Config
from frontdesk.engine.commands import SetZones
from frontdesk.engine.events import Event, EventType, Outcome
from frontdesk.engine.state import CounterState
from frontdesk.rate import RateMeter
from frontdesk.sinks import EngineCommand, StateUpdate
from frontdesk.types import FrameObservation
from frontdesk.web.placement_check import FrameSample, PlacementReport, check_placement

__all__ = ["LiveHub", "LiveSnapshot", "LiveCounts"]

log = logging.getLogger(__name__)

WATCH_S = 10.0
"""After a frame request, images are kept for this long (the viewer polls faster)."""
PLACEMENT_WINDOW_S = 60.0
MAX_PACE_S = 1.0
"""Never hold the loop longer than this for one frame (a jump in the source's clock)."""
STALE_S = 5.0
"""The dashboard shows a counter as unknown (grey) when the last frame is older than this."""


@dataclass(frozen=True)
class LiveSnapshot:
    """The engine's view after one frame. ``image`` is None unless someone watches."""

    index: int
    t: float
    mono: float
    width: int
    height: int
    image: np.ndarray | None
    observation: FrameObservation
    tracks: tuple[Any, ...]
    states: Mapping[str, CounterState]


@dataclass
class LiveCounts:
    """Today's figures from the events this process saw (when no store can be read)."""

    day: date | None = None
    arrived: dict[str, int] = field(default_factory=dict)
    acknowledged: dict[str, int] = field(default_factory=dict)
    alerts: dict[str, int] = field(default_factory=dict)
    abandoned: dict[str, int] = field(default_factory=dict)
    latencies_s: dict[str, list[float]] = field(default_factory=dict)

    def add(self, e: Event, day: date) -> None:
        if self.day != day:  # a new local day starts from zero
            self.day = day
            for counts in (self.arrived, self.acknowledged, self.alerts, self.abandoned,
                           self.latencies_s):
                counts.clear()
        cid = e.counter_id
        if e.type is EventType.CUSTOMER_ARRIVED:
            self.arrived[cid] = self.arrived.get(cid, 0) + 1
        elif e.type is EventType.CUSTOMER_ACKNOWLEDGED:
            self.acknowledged[cid] = self.acknowledged.get(cid, 0) + 1
            if e.latency_s is not None:
                self.latencies_s.setdefault(cid, []).append(float(e.latency_s))
        elif e.type is EventType.CUSTOMER_WAITING:
            self.alerts[cid] = self.alerts.get(cid, 0) + 1
        elif e.type is EventType.CUSTOMER_LEFT and e.outcome is Outcome.ABANDONED:
            self.abandoned[cid] = self.abandoned.get(cid, 0) + 1

    def to_json(self, counter_ids: list[str]) -> dict[str, Any]:
        out = {}
        for cid in counter_ids:
            lat = sorted(self.latencies_s.get(cid, []))
            out[cid] = {
                "visits": self.arrived.get(cid, 0),
                "acknowledged": self.acknowledged.get(cid, 0),
                "alerts": self.alerts.get(cid, 0),
                "left_unacknowledged": self.abandoned.get(cid, 0),
                "latency_p50_s": lat[(len(lat) - 1) // 2] if lat else None,
            }
        return {"day": self.day.isoformat() if self.day else None, "counters": out}




class LiveHub:
    """Shared state between the frame loop (writer) and web requests (readers).

    Args:
        config: the running configuration.
        clock: monotonic seconds (injectable for tests).
    """

    def __init__(self, config: Config, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.config = config
        self._clock = clock
        self._sleep = sleep
        self._pace_anchor: tuple[float, float] | None = None
        self._cond = threading.Condition()
        self._snapshot: LiveSnapshot | None = None
        self._watch_until = -1.0
        self._pending: Config | None = None
        self._queued: list[EngineCommand] = []
        self.saved_version = 0
        self.applied_version = 0
        self.apply_error: str | None = None
        self.version = 0
        self._samples: deque[FrameSample] = deque()
        self._rate = RateMeter()
        self.counts = LiveCounts()
        self.events_seen = 0
        """Events received so far: today's figures are recomputed when it changes."""
        self._tz = _zone(config.timezone)
        self.runner: Any = None
        self.closed = False
        self._jpeg_cache: tuple[tuple[int, bool], bytes] | None = None
        self._jpeg_lock = threading.Lock()
        self.pictures: Any = None
        """Where the pictures come from when the loop's frames carry none (a counter
        several cameras share: its worker sees only observations): an object with
        ``watch()`` (someone watches: ask the cameras for pictures) and
        ``picture(camera_id)`` (the latest, a BGR image, or None);
        :class:`frontdesk.live_fusion.FusedObservations` is one."""
        self.picture_camera: str | None = None
        """The camera whose pictures the live view shows (the counter's primary)."""

    # ------------------------------------------------------------------ loop side

    def attach(self, runner: Any) -> None:
        """Receive ``runner``'s events and states as one of its sinks (and read its health)."""
        self.runner = runner
        runner.add_sink(self)

    def emit(self, events: Sequence[Event]) -> None:
        """The sink contract: today's live counts (in the loop's thread)."""
        for e in events:
            self.counts.add(e, self._day_of(e.wall_time))
        self.events_seen += len(events)

    def state(self, update: StateUpdate) -> None:
        """The sink contract: after each frame, the live view's snapshot (in the
        loop's thread). Camera status updates carry no frame and change nothing here."""
        step = update.step
        if step is None:
            return
        obs, frame = step.observation, step.frame
        now = self._clock()
        watching = now < self._watch_until
        if watching:
            now = self._pace(float(obs.t), now)
        else:
            self._pace_anchor = None
        image = frame.image.copy() if watching and frame is not None else None
        if watching and frame is None and self.pictures is not None:
            image = self._remote_picture(int(obs.width), int(obs.height))
        snap = LiveSnapshot(int(obs.index), float(obs.t), now, int(obs.width), int(obs.height),
                            image, obs, update.tracks, dict(update.states))
        sample = FrameSample.from_observation(obs)
        with self._cond:
            self._snapshot = snap
            self._samples.append(sample)
            while self._samples and self._samples[0].t <= sample.t - PLACEMENT_WINDOW_S:
                self._samples.popleft()
            if self._samples and self._samples[0].t > sample.t:  # the source restarted its clock
                self._samples = deque([sample])
            self._rate.tick(now)
            self.version += 1
            self._cond.notify_all()

    def _remote_picture(self, width: int, height: int) -> np.ndarray | None:
        """The latest picture of :attr:`picture_camera`, at the observations' size (the
        overlays are drawn in their pixels); None before the first."""
        import cv2

        image = self.pictures.picture(self.picture_camera)
        if image is None:
            return None
        if image.shape[1] != width or image.shape[0] != height:
            image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
        return np.asarray(image)

    def _pace(self, t: float, now: float) -> float:
        """Wait until the source clock ``t`` is due on the monotonic clock; the new now."""
        anchor = self._pace_anchor
        if anchor is not None:
            ahead = (t - anchor[0]) - (now - anchor[1])
            if t < anchor[0] or ahead > MAX_PACE_S:  # the file restarted or jumped
                anchor = None
            elif ahead > 0:
                self._sleep(ahead)
                return self._clock()
            elif ahead < -MAX_PACE_S:  # fell behind (a slow frame): start again from here
                anchor = None
        if anchor is None:
            self._pace_anchor = (t, now)
        return now

    def take_commands(self) -> list[EngineCommand]:
        """Zones saved in the editor and the dashboard's buttons, for the loop to apply
        between two frames."""
        with self._cond:
            pending, version = self._pending, self.saved_version
            queued, self._queued = self._queued, []
            self._pending = None
        if pending is None:
            return queued
        return [SetZones(pending, lambda error: self._zones_applied(pending, version, error)),
                *queued]

    def _zones_applied(self, config: Config, version: int, error: str | None) -> None:
        if error is not None:  # never end the loop: report it on the page
            log.error("the saved zones could not be applied: %s", error)
            self.apply_error = f"saved, but not applied: {error}; restart frontdesk"
            return
        if self.runner is not None:
            self.runner.config = config
        self.applied_version = version
        self.apply_error = None
        log.info("zones applied to the running engine (version %d)", version)

    def _day_of(self, wall_time: float | None) -> date:
        return datetime.fromtimestamp(time.time() if wall_time is None else wall_time,
                                      self._tz).date()

    # ------------------------------------------------------------------ web side

    def request_config(self, config: Config) -> int:
        """Hand a saved config to the loop; it applies it before the next frame's views."""
        with self._cond:
            self.saved_version += 1
            self._pending = config
            self.config = config
            return self.saved_version

    def send_command(self, command: EngineCommand) -> None:
        """A dashboard button (acknowledge, snooze, enable): applied before the next frame."""
        with self._cond:
            self._queued.append(command)

    def snapshot(self) -> LiveSnapshot | None:
        return self._snapshot

    def watch(self) -> None:
        """Someone wants images: keep them for the next WATCH_S seconds."""
        self._watch_until = self._clock() + WATCH_S
        if self.pictures is not None:
            self.pictures.watch()

    def frame_with_image(self, timeout_s: float = 2.0) -> LiveSnapshot | None:
        """The latest snapshot holding an image, waiting up to ``timeout_s`` for one."""
        self.watch()
        deadline = self._clock() + timeout_s
        with self._cond:
            while True:
                snap = self._snapshot
                if snap is not None and snap.image is not None:
                    return snap
                left = deadline - self._clock()
                if left <= 0 or self.closed:
                    return None
                self._cond.wait(min(left, 0.2))

    def jpeg(self, overlays: bool, quality: int = 80, timeout_s: float = 2.0) -> bytes | None:
        """The latest frame as JPEG, with overlays if asked; None when no frame came."""
        import cv2

        from frontdesk.web.overlay import draw_overlays

        snap = self.frame_with_image(timeout_s)
        if snap is None or snap.image is None:
            return None
        key = (snap.index, overlays)
        with self._jpeg_lock:
            cached = self._jpeg_cache
            if cached is not None and cached[0] == key:
                return cached[1]
            image = snap.image
            if overlays:
                image = draw_overlays(image, snap.observation, snap.tracks, snap.states,
                                      self.config)
            ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
            if not ok:
                return None
            data = buf.tobytes()
            self._jpeg_cache = (key, data)
            return data

    def placement(self) -> PlacementReport:
        with self._cond:
            samples = list(self._samples)
        return check_placement(samples, self.config, window_s=PLACEMENT_WINDOW_S)

    def health(self) -> dict[str, Any]:
        """fps, age of the last frame and camera status (what /healthz answers)."""
        snap = self._snapshot
        runner_health = dict(getattr(self.runner, "health", None) or {})
        age = None if snap is None else round(self._clock() - snap.mono, 3)
        camera = runner_health.get("camera") or ("online" if snap is not None else "starting")
        out: dict[str, Any] = {"camera": camera, "fps": round(self._rate.fps, 2),
                               "last_frame_age_s": age, "frames": self.version}
        preparing = _preparing() if snap is None else None
        if preparing:
            out["preparing"] = preparing
        return out

    def no_frame_reason(self) -> str:
        """Why the live view has no frame to show, in words."""
        preparing = _preparing() if self._snapshot is None else None
        if preparing:
            return f"no frame yet: {preparing}"
        return "no frame from the camera yet (is it online?)"

    def dashboard_state(self) -> dict[str, Any]:
        """Every counter's live state (no images), for the dashboard's event stream."""
        snap = self._snapshot
        names = {c.id: c.name or c.id for c in self.config.counters}
        counters = []
        for c in self.config.counters:
            state = snap.states.get(c.id) if snap is not None else None
            item = {"counter_id": c.id, "name": names[c.id],
                    "alert_after_s": self.config.engine.alert_after_s}
            if state is not None:
                item.update(state.to_json())
                until = state.snoozed_until_t
                item["snoozed_s"] = (round(until - state.t, 1)
                                     if until is not None and until > state.t else None)
            counters.append(item)
        return {"version": self.version, "t": snap.t if snap is not None else None,
                "health": self.health(), "stale_after_s": STALE_S, "counters": counters}

    def wait_version(self, after: int, timeout_s: float) -> int:
        """Block until a frame newer than ``after`` arrived (or the timeout); the version."""
        with self._cond:
            self._cond.wait_for(lambda: self.version > after or self.closed, timeout=timeout_s)
            return self.version

    name = "web UI"

    def close(self) -> None:
        """Wake every waiting request; the web server calls it when it stops."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()


def _preparing() -> str | None:
    """What the source is doing before its first frame (rendering the demo footage)."""
    from frontdesk.demo_footage import rendering_progress

    progress = rendering_progress()
    if progress is None:
        return None
    done, total = progress
    return f"rendering the demo footage, {100 * done // max(total, 1)} % (first use only)"


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except Exception:
        return None

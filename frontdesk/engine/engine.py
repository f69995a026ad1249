"""The acknowledgement engine: tracked faces in, events out.

Pure: no clock reads, no I/O, no randomness except the injectable ``id_factory``.
Every timing comes from the ``t`` passed in (the frame's source-clock time), so
a recording processed at any speed gives the same events.

One frame (:meth:`Engine.update_tracks`) runs, in order:

1. drop faces in ``ignore`` masks; update each track's smoothed head and gaze,
   zones and role (with hysteresis);
2. eye contact: every staff-like track against every customer-like track, both
   ways, through :class:`~frontdesk.engine.contact.GazeRun` dwell detectors;
3. staff context: what the staff present are doing while each customer waits
   (:class:`~frontdesk.engine.context.ContextWatch`);
4. visits: open, arrive, acknowledge, alert, escalate, leave
   (:class:`~frontdesk.engine.visits.VisitBook`);
5. counters: staff presence, unattended and attended.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from frontdesk.camera_model import Intrinsics
from frontdesk.config import Config, CounterConfig
from frontdesk.engine.contact import DwellRule, GazeCone, GazeRun
from frontdesk.engine.context import ContextRule, ContextWatch
from frontdesk.engine.counters import CounterRuntime
from frontdesk.engine.emit import EventFactory
from frontdesk.engine.events import Event, EventType
from frontdesk.engine.state import CounterState, WaitingCustomer
from frontdesk.engine.tracks import Smoothing, TrackState
from frontdesk.engine.visits import Visit, VisitBook
from frontdesk.engine.zones import Role, ZoneMap
from frontdesk.types import BodyBox, FrameObservation, OccupancyGrid, TrackedFace

if TYPE_CHECKING:
    from frontdesk.tracking import PersonTracker

__all__ = ["Engine", "TrackView", "body_depth_m", "PERSON_HEIGHT_M", "SHOULDER_WIDTH_M"]

log = logging.getLogger(__name__)

TARGET_HOLD_S = 0.2
"""A look at a head missed for at most this long is judged at its last measured place."""
_MAX_FRAME_S = 0.5
"""Frame intervals longer than this are stalls, not the frame rate."""
PERSON_HEIGHT_M = 1.7
"""Assumed height of a person seen full length, for the depth of a faceless body."""
SHOULDER_WIDTH_M = 0.45
"""Assumed width of a body box cut at the frame's bottom edge, for its depth."""
_CUT_EDGE_PX = 2.0
"""A body box this close to the frame's bottom edge is cut there (not full length)."""


def body_depth_m(body: BodyBox, intrinsics: Intrinsics) -> float:
    """Depth (camera z, metres) of a person from their body box alone.

    A full-length box of height h px gives z = fy * 1.7 m / h. A box cut by the
    frame's bottom edge (a person near the camera) says nothing by its height, so
    its width is used instead: z = fx * 0.45 m / w. Only for people never seen by
    their face: a face's depth (from the eyes' spacing) is far better.
    """
    if body.y1 >= intrinsics.height - _CUT_EDGE_PX and body.width_px > 0:
        return intrinsics.fx * SHOULDER_WIDTH_M / body.width_px
    return intrinsics.fy * PERSON_HEIGHT_M / max(body.height_px, 1.0)


@dataclass(frozen=True)
class TrackView:
    """One track as the live view draws it.

    Attributes:
        track_id: anonymous id.
        center_norm: face centre, normalised image coordinates (last measured).
        measured: False while the track is held through a missed detection.
        seen_by: "face", "body" (face hidden, body seen) or None (held) this frame.
        role: "staff", "customer" or None; ``role_fixed`` says whether it is settled.
        counter_id: the customer's counter, or the staff member's home counter.
        gaze: smoothed unit gaze in the camera frame, None before the first measurement.
        looking_at: track ids this track is looking at now (a run in progress).
        contact_with: track ids this track holds eye contact with (dwell satisfied).
        visit_id, visit_state: the customer's open visit and its state
            ("approaching", "waiting", "alert", "escalated", "acknowledged").
    """

    track_id: int
    center_norm: tuple[float, float]
    measured: bool
    role: str | None
    role_fixed: bool
    counter_id: str | None
    gaze: tuple[float, float, float] | None
    looking_at: tuple[int, ...]
    contact_with: tuple[int, ...]
    visit_id: str | None
    visit_state: str | None
    seen_by: str | None = None


class Engine:
    """Turns frames of tracked faces into acknowledgement events for every counter.

    Args:
        config: the validated configuration (zones, engine and tracking sections).
        id_factory: makes event and visit ids; default random UUID4 hex. Inject a
            counter for reproducible tests.
        staff_context: note what the staff present do while customers wait
            (:mod:`frontdesk.engine.context`). Off only to measure its cost
            (``frontdesk bench chain``): events then carry no context, and focus-work
            zones hold no alerts.
    """

    def __init__(self, config: Config, id_factory: Callable[[], str] | None = None,
                 staff_context: bool = True):
        self.config = config
        self.cfg = config.engine
        self.grace_s = config.tracking.grace_s
        self.zones = ZoneMap(config.counters)
        self.counters = {c.id: CounterRuntime(c.id, c.enabled) for c in config.counters}
        self.factory = EventFactory(config.site_id, id_factory)
        self.rule = DwellRule(dwell_s=self.cfg.dwell_s, gap_s=self.cfg.contact_gap_s)
        self.smoothing = Smoothing(self.cfg.gaze_smoothing_s, self.cfg.position_smoothing_s)
        self.visits = VisitBook(self.cfg, self.grace_s, self.zones, self.counters, self.factory,
                                self.rule)
        self._tracker: PersonTracker | None = None
        self.cone = GazeCone(self.cfg.gaze_cone_deg)
        self.context: ContextWatch | None = (
            ContextWatch(ContextRule(self.cfg.looking_down_deg), self.zones) if staff_context
            else None)
        self._tracks: dict[int, TrackState] = {}
        self._last_t: float | None = None
        self._last_wall: float | None = None
        self._camera_online: bool | None = None
        self._intrinsics: Intrinsics | None = None
        self.frames = 0
        self.skipped_frames = 0
        self.frame_s = 0.0
        """Running estimate of the frame period, seconds (0 until the second frame)."""

    # ------------------------------------------------------------------ zones

    def set_zones(self, counters: Sequence[CounterConfig]) -> None:
        """Use the zones of ``counters`` from the next frame on (call between frames).

        ``counters`` must have the same ids as the running ones: counters are not
        added or removed while running (:class:`ValueError` otherwise, and nothing
        changes). Only the zones are taken, ignore masks included; the counters'
        runtime state (enabled, snoozed, unattended) stays as the commands left it.
        The engine's zone map (shared with its visit book) and ``config.counters``
        are replaced together. Tracks, roles, visits and gaze runs carry on: every
        measured track is placed in the new zones on its next frame.
        """
        counters = list(counters)
        new_ids = {c.id for c in counters}
        if new_ids != set(self.counters) or len(new_ids) != len(counters):
            raise ValueError("the new config has other counters: restart frontdesk to use them")
        zone_map = ZoneMap(counters)
        self.config = self.config.model_copy(update={"counters": counters})
        self.zones = self.visits.zones = zone_map
        if self.context is not None:
            self.context.zones = zone_map

    # ------------------------------------------------------------------ frames

    @property
    def tracker(self) -> PersonTracker:
        """The person tracker :meth:`update` runs (made on first use: norfair is slow to import)."""
        if self._tracker is None:
            from frontdesk.tracking import PersonTracker

            self._tracker = PersonTracker(self.config.tracking)
        return self._tracker

    def update(self, obs: FrameObservation) -> list[Event]:
        """Track the frame's people (ignore masks first), then run the engine on the tracks.

        Masks drop faces whose centre, and bodies whose top-centre, lies in them.
        """
        if self.zones.ignore and (obs.faces or obs.bodies):
            w, h = float(obs.width), float(obs.height)
            kept = [f for f in obs.faces
                    if not self.zones.is_ignored(f.center_px[0] / w, f.center_px[1] / h)]
            bodies = [b for b in obs.bodies
                      if not self.zones.is_ignored(b.center_px[0] / w, b.y0 / h)]
            if len(kept) != len(obs.faces) or len(bodies) != len(obs.bodies):
                obs = FrameObservation(obs.index, obs.t, obs.width, obs.height, kept,
                                       obs.wall_time, bodies, obs.bodies_fresh, obs.occupancy)
        tracks = self.tracker.update(obs)
        return self.update_tracks(obs.t, obs.wall_time, tracks, obs.width, obs.height,
                                  obs.occupancy)

    def update_tracks(self, t: float, wall_time: float | None, tracks: list[TrackedFace],
                      width: int, height: int,
                      occupancy: OccupancyGrid | None = None) -> list[Event]:
        """Run the engine on one frame of tracks (tracks absent from the list are gone).

        ``occupancy`` (perception's presence stage) keeps customers whose face is
        gone while their place stays occupied."""
        if self._last_t is not None and t <= self._last_t:
            self.skipped_frames += 1
            log.debug("frame at %.3f s skipped: not after %.3f s", t, self._last_t)
            return []
        if self._last_t is not None:
            self._update_frame_period(t - self._last_t)
        self._last_t, self._last_wall = t, wall_time
        self.frames += 1
        aspect = height / width if width > 0 else 1.0
        self.visits.occupancy = occupancy
        active = self._update_tracks(t, tracks, aspect, width, height)
        events = self._drop_lost(active, t, wall_time)
        self.visits.weigh_presence(list(active.values()), t)
        self._update_contacts(list(active.values()), t)
        if self.context is not None:
            self.context.step(list(active.values()), self.visits.open.values(), t,
                              self.frame_s, occupancy, aspect)
        for visit in list(self.visits.open.values()):
            events += self.visits.step(visit, t, wall_time)
        events += self.visits.settle(t, wall_time)
        events += self._update_counters(t, wall_time)
        return events

    def _update_frame_period(self, dt_s: float) -> None:
        """Running estimate of the frame period (gaps from stalls or skipped frames ignored)."""
        if dt_s > _MAX_FRAME_S:
            return
        if self.frame_s == 0.0:
            self.frame_s = dt_s
        else:
            self.frame_s += 0.05 * (dt_s - self.frame_s)

    def _update_tracks(self, t: float, tracks: list[TrackedFace], aspect: float,
                       width: int, height: int) -> dict[int, TrackState]:
        active: dict[int, TrackState] = {}
        zones = self.zones
        for tf in tracks:
            x, y = tf.center_norm
            if zones.ignore and zones.is_ignored(x, y):
                continue
            ts = self._tracks.get(tf.track_id)
            if ts is None:
                ts = self._tracks[tf.track_id] = TrackState(tf.track_id, t - tf.age_s)
            ts.fresh = ts.face_fresh = False
            if tf.face is not None:
                self._measure(ts, tf, t, aspect, width)
            elif tf.body is not None:
                self._measure_body(ts, tf, t, aspect, width, height)
            active[tf.track_id] = ts
        return active

    def _measure(self, ts: TrackState, tf: TrackedFace, t: float, aspect: float,
                 width: int) -> None:
        assert tf.face is not None
        x, y = tf.center_norm
        if width > 0:
            ts.note_face_box(t, x, y, tf.face.size_px / width)
        if tf.face.appearance is not None:
            ts.note_look(tf.face.appearance)
        head = tf.head_position_m if tf.head_position_m is not None else tf.face.head_position_m
        px, py, pz = head.tolist()  # plain floats: cheaper arithmetic from here
        gx, gy, gz = tf.face.gaze.tolist()
        ts.measure(t, x, y, (px, py, pz), (gx, gy, gz), self.smoothing,
                   tf.face.range_uncertainty, tf.face.has_mesh)
        self._place(ts, t, aspect)

    def _measure_body(self, ts: TrackState, tf: TrackedFace, t: float, aspect: float,
                      width: int, height: int) -> None:
        """A frame that saw the person's body but not their face: head point, no gaze.

        The head's direction comes from the head point in the image; its range from
        the track's last face when it had one, else from the body box
        (:func:`body_depth_m`).
        """
        assert tf.body is not None
        x, y = tf.center_norm
        intr = self._camera(width, height)
        u, v = x * width, y * height
        if ts.range_from_face and ts.range_m > 0.0:
            head = intr.pixel_ray(u, v) * ts.range_m
        else:
            head = intr.backproject(u, v, body_depth_m(tf.body, intr))
        px, py, pz = head.tolist()
        ts.body_width_norm = tf.body.width_px / width if width > 0 else 0.0
        ts.locate(t, x, y, (px, py, pz), self.smoothing)
        self._place(ts, t, aspect)

    def _camera(self, width: int, height: int) -> Intrinsics:
        intr = self._intrinsics
        if intr is None or (intr.width, intr.height) != (width, height):
            intr = self._intrinsics = Intrinsics.from_config(self.config.camera, width, height)
        return intr

    def _place(self, ts: TrackState, t: float, aspect: float) -> None:
        """Zones, role and visit of a track measured this frame."""
        x, y = ts.x, ts.y
        placement = ts.placement = self.zones.locate(x, y)
        ts.role.update(t, placement, self.cfg.role_hysteresis_s)
        role = ts.role.role
        if role is Role.STAFF:
            if placement.staff_counter is not None:
                ts.home_counter = placement.staff_counter
            if ts.home_counter is not None:
                self.counters[ts.home_counter].staff_last_seen_t = t
        elif ts.role.likely is Role.CUSTOMER:
            self.visits.observe(ts, t, aspect)

    def _drop_lost(self, active: dict[int, TrackState], t: float,
                   wall_time: float | None) -> list[Event]:
        events: list[Event] = []
        for track_id in [k for k in self._tracks if k not in active]:
            ts = self._tracks.pop(track_id)
            self._end_runs(ts)
            visit = ts.visit
            if visit is None:
                continue
            # Lost while in the zones, having arrived (or, with an occupancy grid to tell
            # whether she is still there, on her way): she may be looking away.
            holdable = visit.confirmed and (visit.arrival_t is not None
                                            or self.visits.occupancy is not None)
            # In the zones, or crossing a gap between two of them (walking up from
            # the queue to the counter), as :meth:`VisitBook.step` allows.
            gap_s = (0.0 if self.visits.occupancy is None
                     else max(self.cfg.visit_hold_s, self.grace_s))
            if holdable and visit.last_in_zone_t >= ts.last_seen_t - gap_s - 1e-9:
                self.visits.orphan(visit)
            else:
                events += self.visits.close(visit, t, wall_time, visit.last_in_zone_t)
        return events

    def _end_runs(self, gone: TrackState) -> None:
        """Close every gaze run the track was part of, as observer or target."""
        for run in gone.incoming.values():
            run.end()
        gone.incoming.clear()
        for ts in self._tracks.values():
            looked_at = ts.incoming.pop(gone.track_id, None)
            if looked_at is not None:
                looked_at.end()

    # ------------------------------------------------------------------ eye contact

    def _update_contacts(self, active: list[TrackState], t: float) -> None:
        staff: list[TrackState] = []
        customers: list[TrackState] = []
        for ts in active:
            role = ts.role.role or ts.role.candidate
            if role is Role.STAFF:
                staff.append(ts)
            elif role is Role.CUSTOMER:
                customers.append(ts)
        stepped: set[tuple[int, int]] = set()
        for s in staff:
            for c in customers:
                self._look(s, c, t, stepped, staff_looks=True)
                self._look(c, s, t, stepped, staff_looks=False)
        for target in active:
            if not target.incoming:
                continue
            for observer_id, run in list(target.incoming.items()):
                if (observer_id, target.track_id) in stepped:
                    continue
                run.step(t, None, self.rule, self.frame_s)  # roles no longer fit, or observer gone
                if run.idle:
                    del target.incoming[observer_id]

    def _look(self, observer: TrackState, target: TrackState, t: float,
              stepped: set[tuple[int, int]], staff_looks: bool) -> None:
        # Unknown unless the observer's gaze was measured this frame and the target's head
        # recently (a dropped frame of a head that hardly moves does not blind the look).
        # The target's face, not only its body, unless staff may acknowledge a faceless
        # customer (engine.ack_without_face); a customer looks only at a staff face.
        in_cone: bool | None = None
        if staff_looks and self.cfg.ack_without_face:
            target_seen = target.fresh or t - target.last_seen_t <= TARGET_HOLD_S
        else:
            target_seen = target.face_fresh or t - target.last_face_t <= TARGET_HOLD_S
        if observer.face_fresh and target_seen and observer.gaze is not None:
            # A target placed along a stretch of her line of sight needs a precise gaze:
            # a keypoints-only gaze (a face turned far from the camera) is tested
            # against her measured position alone.
            spread = target.range_uncertainty if observer.gaze_from_mesh else 0.0
            in_cone = self.cone.contains_within(observer.position, observer.gaze,
                                                target.position, spread)
        run = target.incoming.get(observer.track_id)
        if run is None:
            if not in_cone:
                return
            run = target.incoming[observer.track_id] = GazeRun(observer.track_id,
                                                               target.track_id)
        stepped.add((observer.track_id, target.track_id))
        contact = run.step(t, in_cone, self.rule, self.frame_s)
        if contact is not None:
            if staff_looks:
                target.acks.append(contact)
            else:
                observer.looks.append(contact)
        if run.idle:
            del target.incoming[observer.track_id]

    # ------------------------------------------------------------------ counters

    def _waiting(self, counter_id: str) -> list[Visit]:
        return [v for v in self.visits.open.values()
                if v.counter_id == counter_id and v.confirmed and v.arrival_reported
                and v.waiting()]

    def _update_counters(self, t: float, wall_time: float | None) -> list[Event]:
        events: list[Event] = []
        for cid, counter in self.counters.items():
            waiting = self._waiting(cid)
            staff_now = counter.staff_last_seen_t == t
            if counter.unattended:
                reason = ("counter disabled" if not counter.enabled else
                          "no customer waiting" if not waiting else
                          "staff returned" if staff_now else None)
                if reason is not None:
                    counter.unattended = False
                    events.append(self.factory.counter_event(
                        EventType.COUNTER_ATTENDED, cid, t, wall_time, detail=reason))
            elif counter.enabled and waiting and not staff_now:
                first_arrival_t = min(v.arrival_t for v in waiting if v.arrival_t is not None)
                since_t = counter.unattended_since(first_arrival_t)
                if t - since_t + 1e-9 >= self.cfg.unattended_after_s:
                    counter.unattended = True
                    events.append(self.factory.counter_event(
                        EventType.COUNTER_UNATTENDED, cid, t, wall_time,
                        waited_s=t - first_arrival_t))
        return events

    # ------------------------------------------------------------------ commands

    def _counter(self, counter_id: str) -> CounterRuntime:
        try:
            return self.counters[counter_id]
        except KeyError:
            known = ", ".join(sorted(self.counters))
            raise ValueError(f"unknown counter {counter_id!r} (known: {known})") from None

    def _wall_at(self, t: float, wall_time: float | None) -> float | None:
        """The given wall time, else extrapolated from the latest frame's."""
        if wall_time is not None:
            return wall_time
        if self._last_wall is None or self._last_t is None:
            return None
        return self._last_wall + (t - self._last_t)

    def acknowledge(self, counter_id: str, t: float,
                    wall_time: float | None = None) -> list[Event]:
        """A staff button press: acknowledge the counter's longest-waiting customer."""
        self._counter(counter_id)
        wall = self._wall_at(t, wall_time)
        events = self.visits.button_ack(counter_id, t, wall)
        return events + self._update_counters(t, wall)

    def snooze(self, counter_id: str, seconds: float, t: float) -> list[Event]:
        """No waiting or escalated alerts at this counter for ``seconds`` (0 cancels)."""
        counter = self._counter(counter_id)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"snooze seconds must be a finite number >= 0, got {seconds}")
        counter.snoozed_until_t = t + seconds if seconds > 0 else None
        return []

    def set_enabled(self, counter_id: str, enabled: bool, t: float) -> list[Event]:
        """Enable or disable a counter's alerts; disabling clears an unattended state."""
        counter = self._counter(counter_id)
        counter.enabled = bool(enabled)
        return self._update_counters(t, self._wall_at(t, None))

    def camera_status(self, online: bool, t: float, wall_time: float | None = None,
                      detail: str | None = None) -> list[Event]:
        """Report the source going offline or online (once per change, for every counter).

        Going offline closes open visits as interrupted and forgets every track and
        the occupancy grids seen so far: nobody can be timed while the camera is
        blind, and no arrival after it is dated from before.
        """
        if online == self._camera_online:
            return []
        self._camera_online = online
        wall = self._wall_at(t, wall_time)
        kind = EventType.CAMERA_ONLINE if online else EventType.CAMERA_OFFLINE
        events = [self.factory.counter_event(kind, cid, t, wall, detail=detail)
                  for cid in self.counters]
        if not online:
            events += self._close_all(t, wall)
        return events

    def finish(self, t: float, wall_time: float | None = None) -> list[Event]:
        """Shutdown: close every open visit as interrupted and forget every track."""
        return self._close_all(t, self._wall_at(t, wall_time))

    def _close_all(self, t: float, wall_time: float | None) -> list[Event]:
        events: list[Event] = []
        for visit in list(self.visits.open.values()):
            events += self.visits.close(visit, t, wall_time, visit.last_in_zone_t,
                                        interrupted=True)
        events += self.visits.settle(t, wall_time, flush=True)
        for ts in list(self._tracks.values()):
            self._end_runs(ts)
        self._tracks.clear()
        self.visits.forget_grids()
        if self._tracker is not None:
            self._tracker.reset()
        for counter in self.counters.values():
            counter.unattended = False
        return events

    # ------------------------------------------------------------------ views

    def counter_states(self, t: float) -> dict[str, CounterState]:
        """Every counter's live state at ``t`` (what MQTT retains and the dashboard shows)."""
        return {cid: self._counter_state(counter, t) for cid, counter in self.counters.items()}

    def _counter_state(self, counter: CounterRuntime, t: float) -> CounterState:
        visits = [v for v in self.visits.open.values()
                  if v.counter_id == counter.counter_id and v.confirmed]
        waiting = [v for v in visits if v.waiting() and v.arrival_reported]
        allowed = counter.alerts_allowed(t)
        customers = tuple(
            WaitingCustomer(
                visit_id=v.visit_id,
                track_id=v.track_id,
                arrived=v.arrival_t is not None,
                waited_s=max(0.0, t - v.arrival_t) if v.arrival_t is not None else 0.0,
                acknowledged=v.ack_t is not None,
                alert=allowed and v.alerted and v.waiting(),
            )
            for v in visits
        )
        return CounterState(
            counter_id=counter.counter_id,
            t=t,
            customers_waiting=len(waiting),
            longest_wait_s=max((t - (v.arrival_t or t) for v in waiting), default=0.0),
            alert=allowed and any(v.alerted for v in waiting),
            escalated=allowed and any(v.escalated for v in waiting),
            staff_present=counter.staff_seen_within(t, self.grace_s),
            unattended=counter.unattended,
            enabled=counter.enabled,
            snoozed_until_t=counter.snoozed_until_t if counter.snoozed(t) else None,
            last_ack_latency_s=counter.last_ack_latency_s,
            customers=customers,
        )

    def tracks_view(self) -> list[TrackView]:
        """Current tracks with role, counter and gaze-contact state, for overlays."""
        looking: dict[int, list[int]] = {}
        holding: dict[int, list[int]] = {}
        for ts in self._tracks.values():
            for observer_id, run in ts.incoming.items():
                looking.setdefault(observer_id, []).append(ts.track_id)
                if run.contact is not None:
                    holding.setdefault(observer_id, []).append(ts.track_id)
        return [self._view(ts, looking, holding) for ts in self._tracks.values()]

    def _view(self, ts: TrackState, looking: dict[int, list[int]],
              holding: dict[int, list[int]]) -> TrackView:
        role = ts.role.likely
        visit = ts.visit if ts.visit is not None and ts.visit.confirmed else None
        counter_id = visit.counter_id if visit is not None else ts.home_counter
        return TrackView(
            track_id=ts.track_id,
            center_norm=(ts.x, ts.y),
            measured=ts.fresh,
            role=role.value if role is not None else None,
            role_fixed=ts.role.role is not None,
            counter_id=counter_id,
            gaze=ts.gaze,
            looking_at=tuple(sorted(looking.get(ts.track_id, ()))),
            contact_with=tuple(sorted(holding.get(ts.track_id, ()))),
            visit_id=visit.visit_id if visit is not None else None,
            visit_state=_visit_state(visit) if visit is not None else None,
            seen_by="face" if ts.face_fresh else "body" if ts.fresh else None,
        )


def _visit_state(visit: Visit) -> str:
    if visit.ack_t is not None:
        return "acknowledged"
    if visit.arrival_t is None:
        return "approaching"
    if visit.escalated:
        return "escalated"
    return "alert" if visit.alerted else "waiting"

"""Visit lifecycle: first seen, arrived, acknowledged or alerted, left.

::

    seen ──(service zone, or still in approach)──► arrived ──(eye contact / button)──► acknowledged
     │  └─(eye contact while approaching: remembered, reported at arrival, latency < 0)     │
     │                                     │ alert_after_s  ──► waiting (alert)            │
     │                                     │ escalate_after_s ──► escalated               │
     ▼                                     ▼                                               ▼
    left: passed_by                      left: abandoned                        left: acknowledged

A visit opens when a track is first in a counter's customer zones and is
*confirmed* when the track's role is fixed as customer (after the role
hysteresis); an unconfirmed visit emits nothing and vanishes if the track
turns out to be staff or leaves before its role is fixed.

Definitions (all times on the source clock):

* ``arrival_t``: the first frame in the service zone, or the start of a stretch
  of standing still in the approach zone that lasted ``arrival_still_s``. A
  track never seen by its face (a body alone) arrives only by standing still,
  in the service zone as in the approach zone.
* ``ack_t``: the *start* of the first staff look held for the dwell (see
  :mod:`frontdesk.engine.contact`), or the time of a button press.
* ``latency_s = ack_t - arrival_t``: negative when staff acknowledged during
  the approach. An acknowledgement before arrival is reported right after the
  arrival event.
* ``left_t``: the last frame the customer was measured in the counter's zones.

An alert is due when ``ack_t`` is later than ``arrival_t + alert_after_s``
(or never comes). A look that started before that moment but has not yet held
for the dwell postpones the decision until it is confirmed or broken (for at
most ``dwell_s + contact_gap_s`` after the look started), so the engine does not
alert for a customer it then reports as acknowledged in time.

Out of sight is not gone: when an arrived customer's track is lost while in
the zones (looking down at a phone, turned to a colleague or away from the
camera longer than the tracker's grace), the visit is held. With the occupancy
grid of perception's presence stage (``FrameObservation.occupancy``) it is held
for as long as the place where she stood (her head and upper body, from her
steady face: :meth:`TrackState.steady_face`) stays occupied, her wait goes on
and her alerts fire as for anyone waiting; she has left once the place has been
empty for ``presence_leave_s``. Without a grid the visit waits ``visit_hold_s``
for a new face where she stood, with no alerts meanwhile. Such a face opens a
visit of its own like any other; when its role is fixed as customer
(``role_hysteresis_s`` later) and it has stayed where it appeared, near where
the lost customer was last measured, it takes over the lost customer's visit
instead. A face that walks on from where it appeared is someone else (a
newcomer walking up the queue, or a passer-by where faces first come into
view), unless the place stayed occupied all along: then nobody else can have
come, and a face that first appears in her place, about her size, is her,
wherever it goes next and however the detector's boxes jitter. Her clothes (the
colour signature perception measures under each face) rule out a face in other
clothes and find her in colourful ones; a customer whose place empties while
someone unexplained walks in the zones is kept a little longer for a face where
she was heading, and one who has not arrived yet as long as a faceless person
stands at her counter who can be her; a face first seen in the service zone arrived when its place
became occupied (see :meth:`VisitBook._adopt` and docs/engine.md, "Faces gone,
places occupied"). A customer measured outside
the zones keeps the visit for ``max(visit_hold_s, grace_s)`` (walking across a
gap between zones). No alerts are raised for a customer out of the zones, nor
for one out of sight without an occupancy grid.
"""

from __future__ import annotations

import logging
import math
from collections import deque

import numpy as np

from frontdesk.config import EngineConfig
from frontdesk.engine.contact import Contact, DwellRule
from frontdesk.engine.context import ContextTally
from frontdesk.engine.counters import CounterRuntime
from frontdesk.engine.emit import EventFactory
from frontdesk.engine.events import AckSource, Event, EventType, Outcome
from frontdesk.engine.places import (
    FACELESS_MIN_PLACE,
    FOLLOW_BELOW_FRACTION,
    LOOK_UNKNOWN,
    MAYBE_BACK_FOR_S,
    MAYBE_BACK_HOLD_S,
    MIN_HEADING_COS,
    MIN_LOOK_FRAMES,
    MIN_WALK_SPEED,
    MOVED_SINCE_S,
    ONSET_LOOKBACK_S,
    PLACE_TIERS,
    PRESENCE_BELOW_FACES,
    PRESENCE_MAX_EXPLAINED,
    PRESENCE_MIN_FRACTION,
    PRESENCE_SIZE_RATIO,
    REACH_FACES_S,
    REACH_S,
    REACH_SPEED,
    REACQUIRE_RADIUS_NORM,
    REACQUIRE_STAY_FRACTION,
    SAME_DEPTH_RATIO,
    STAND_GAP_S,
    TIER_CLOTHES,
    TIER_NEAR,
    TIER_PLACE,
    TIER_PLACE_CLOTHES,
    TIER_PLACE_WALKED_INTO,
    TIER_REACHED,
    TIER_WALKED,
    WALK_EVIDENCE_S,
    WALK_HOLD_S,
    CellMasks,
    body_cells,
    clothes_unlike,
    clothes_verdict,
    colourful,
    could_hold,
    faceless_people,
    follow_place,
    heading,
    image_d2,
    look_rank,
    lost_at,
    place_cells,
    place_radius,
    stands_in_place,
)
from frontdesk.engine.stillness import StillDetector
from frontdesk.engine.tracks import MOVING_FACE_S, TrackState
from frontdesk.engine.zones import Role, ZoneMap
from frontdesk.geometry import person_box_norm
from frontdesk.types import OccupancyGrid

__all__ = ["Visit", "VisitBook"]

log = logging.getLogger(__name__)

BODY_STILL_FRACTION = 0.15
"""For a person seen only by their body, "still" allows this fraction of the body box's
width (when wider than ``still_radius_norm``): a detector box's edges jitter in
proportion to its size, a face centre's do not."""


MOVING_FACES = 0.5
"""A face that moved at least this many of its widths over its last
:data:`~frontdesk.engine.tracks.MOVING_FACE_S` was still moving when lost: a walk at
0.5 m/s moves a 15 cm face about 1.3 of its widths in 0.4 s, a slow step half of
one; seed 105's customer-443, who had stopped 0.4 s before, moved a tenth of one."""
PASSING_HOLD_S = MAYBE_BACK_FOR_S
"""A visit closed unseen before she arrived is reported gone this long after (a
passer-by's departure waits for nothing): a new face that appeared as her place
emptied may be hers come back, and is taken once its role is fixed
(:meth:`VisitBook.settle`)."""
PLACE_MOVING_S = 1.0
"""An unseen customer's place is walking when, followed over the occupied cells, it
moved :data:`MOVING_FACES` of her face width over this long (a followed place moves by
cells, not by a detector's boxes: over 0.4 s a slow walk is a cell or less)."""


class Visit:
    """One customer's visit to one counter."""

    __slots__ = ("visit_id", "track", "counter_id", "first_seen_t", "confirmed", "arrival_t",
                 "arrival_reported", "still", "last_in_zone_t", "unseen_since_t", "past_looks",
                 "held_face", "held_path", "place_moves", "place_walked_t", "place_heading",
                 "present_t", "held_looks", "walked_off", "heading",
                 "moving_when_lost", "continued",
                 "others_at_loss", "not_hers", "maybe_back_t",
                 "walking_t", "standing_at", "standing_since", "ack_t",
                 "ack_by", "ack_contact", "ack_reported", "alerted", "escalated", "left_t",
                 "outcome", "context")

    def __init__(self, visit_id: str, track: TrackState, counter_id: str, first_seen_t: float,
                 t: float):
        self.visit_id = visit_id
        self.track = track
        self.counter_id = counter_id
        self.first_seen_t = first_seen_t
        self.confirmed = False
        self.arrival_t: float | None = None
        self.arrival_reported = False
        self.still: StillDetector | None = None
        self.last_in_zone_t = t
        self.unseen_since_t: float | None = None
        self.held_face: tuple[float, float, float] | None = None
        """While unseen: the customer's place (face x, y, width): her steady face when
        she was lost, then followed over the occupied cells."""
        self.held_path: list[tuple[float, float, float]] = []
        """While unseen: (t, x, y) of her place, one sample a second."""
        self.place_moves: deque[tuple[float, float, float, float]] = deque()
        """While unseen: (t, x, y, width) of her place on every grid of the last
        :data:`PLACE_MOVING_S` (:meth:`VisitBook.walking_unseen`) ..."""
        self.place_walked_t = -math.inf
        """... the latest frame it was walking ..."""
        self.place_heading = (0.0, 0.0)
        """... and its velocity then, first to last of those positions (frame widths a
        second, y scaled by the aspect)."""
        self.others_at_loss: dict[str, tuple[float, float, float]] = {}
        """While unseen: where the other customers stood when she was lost (visit id:
        steady face, or place for one held unseen), to tell who walked into her
        place since."""
        self.not_hers: set[int] = set()
        """While unseen: tracks whose face appeared in her place but was given to a
        customer who walked in (they explain her place's cells, as anyone else's do)."""
        self.present_t = -math.inf
        """While unseen: the latest frame her place was occupied."""
        self.held_looks: list[np.ndarray] = []
        """While unseen: her clothes' signatures over the track she was lost on
        (:attr:`TrackState.look_snapshots`, then the one when she was lost): a face is
        ruled out by its clothes only when unlike all of them."""
        self.walked_off = False
        """While unseen: her place emptied while she may still be in the zones (she
        walked on with her face hidden): only a face that walked on from there, or
        wears her clothes, may continue the visit."""
        self.heading: tuple[float, float] = (0.0, 0.0)
        """While unseen: how fast and which way her face moved as she was lost
        (frame widths a second, x and y), over the tracker's last 1.5 s of it."""
        self.moving_when_lost = False
        """While unseen: whether her face was still moving over its last sightings
        (:func:`_still_moving`) when she was lost: a step up in the queue that
        ended before she looked down moves the 1.5 s heading, but she was standing.
        Cleared when she is found standing at the counter."""
        self.walking_t = -math.inf
        """While walked off: the latest frame someone unexplained walked in her
        counter's zones (she, with her face hidden, until a face says otherwise); not
        arrived: the latest frame a faceless person stood where she can have walked."""
        self.standing_at: tuple[float, float, float, float] | None = None
        """While walked off, not arrived: the face (x, y, width) a faceless person in
        her counter's zones who can be her would have, and when last found ..."""
        self.standing_since: tuple[float, float, float, float] | None = None
        """... and where (x, y) and since when that person has stood still, and when
        last found there."""
        self.maybe_back_t = -math.inf
        """While unseen: the latest frame a new face, its role not fixed yet, could
        have continued her visit (:meth:`VisitBook._maybe_back`): she is not closed
        while that face is decided (its body, explaining her place's cells, empties
        her place as she looks up)."""
        self.continued = False
        """Whether a later track continues the visit (the customer's face was lost)."""
        self.past_looks: list[Contact] = []
        self.ack_t: float | None = None
        self.ack_by: AckSource | None = None
        self.ack_contact: Contact | None = None
        self.ack_reported = False
        self.alerted = False
        self.escalated = False
        self.left_t: float | None = None
        self.outcome: Outcome | None = None
        self.context = ContextTally()
        """What the staff present did while she waited (:mod:`frontdesk.engine.context`)."""

    @property
    def held_look(self) -> np.ndarray | None:
        """While unseen: the colour signature of her clothes when she was lost (the
        last of :attr:`held_looks`; None when too few frames measured it)."""
        return self.held_looks[-1] if self.held_looks else None

    def hold_place(self, t: float, face: tuple[float, float, float] | None) -> None:
        """Hold her place at ``face`` (None: no place) from ``t``: its path starts there
        and it has not walked since."""
        self.held_face = face
        self.held_path = [] if face is None else [(t, face[0], face[1])]
        self.place_moves.clear()
        self.place_walked_t = -math.inf
        self.place_heading = (0.0, 0.0)

    @property
    def track_id(self) -> int:
        return self.track.track_id

    @property
    def staff_track_id(self) -> int | None:
        return self.ack_contact.observer_id if self.ack_contact is not None else None

    @property
    def latency_s(self) -> float | None:
        if self.ack_t is None or self.arrival_t is None:
            return None
        return self.ack_t - self.arrival_t

    def waiting(self) -> bool:
        """Arrived, unacknowledged and still open."""
        return self.arrival_t is not None and self.ack_t is None and self.outcome is None

    def looks(self) -> list[Contact]:
        """The customer's held looks at staff during this visit, over every track it had."""
        return self.past_looks + self.track.contacts_since(self.track.looks, self.first_seen_t)

    def customer_looked_t(self) -> float | None:
        """Start of the customer's first held look at any staff member during this visit."""
        return min((c.start_t for c in self.looks()), default=None)

    def mutual_gaze(self, now_t: float) -> bool | None:
        """Whether the customer looked back at the acknowledging staff member during the contact."""
        contact = self.ack_contact
        if contact is None:
            return None
        return any(look.target_id == contact.observer_id and look.overlaps(contact, now_t)
                   for look in self.looks())


def _still_moving(faces: list[tuple[float, float, float, float]], aspect: float,
                  window_s: float = MOVING_FACE_S) -> bool:
    """Whether a face (or an unseen customer's place) was still moving at its last
    position: over its positions ``(t, x, y, width)`` of the last ``window_s``
    (:data:`MOVING_FACE_S` unless told; all of them when they span less, at least
    0.3 s), the least-squares line through them moves at least :data:`MOVING_FACES`
    of its median width. A line, not the two ends, and in face widths, not frame
    widths: 2 px of detector jitter on a 40 px face is a twentieth of it, and a
    single box at each end would make a standing face "move" once in five at 640 px."""
    if len(faces) < 2:
        return False
    last_t = faces[-1][0]
    start = next((i for i in range(len(faces) - 1, -1, -1)
                  if last_t - faces[i][0] >= window_s - 1e-9), 0)
    window = np.asarray(faces[start:], dtype=np.float64)
    span = last_t - window[0, 0]
    if span < 0.3:
        return False
    t = window[:, 0] - window[:, 0].mean()
    denom = float(t @ t)
    vx = float(t @ (window[:, 1] - window[:, 1].mean())) / denom
    vy = float(t @ (window[:, 2] - window[:, 2].mean())) / denom * aspect
    width = float(np.median(window[:, 3]))
    return width > 0 and math.hypot(vx, vy) * span >= MOVING_FACES * width


def _walked(ts: TrackState, aspect: float) -> bool:
    """Whether the new face ``ts`` has moved on from where it was first seen (more than
    :data:`REACQUIRE_STAY_FRACTION` of :data:`REACQUIRE_RADIUS_NORM`)."""
    assert ts.born_x is not None
    stay = REACQUIRE_RADIUS_NORM * REACQUIRE_STAY_FRACTION
    return image_d2(ts.born_x, ts.born_y, ts.x, ts.y, aspect) > stay ** 2


def _continue_stand(visit: Visit, still: StillDetector) -> float | None:
    """Her stand goes on under her returning face: her stand-still detector is replayed
    with her face's positions from before she was lost, then the returning face's
    (``still``, the new visit's detector). A customer who stood in the queue, hidden
    behind someone nearer or looking down, and comes back where she stood arrived
    when she stopped there, not when her face came back; one lost in the last steps
    of her walk, back where the walk was taking her, arrived when the walk, carried
    on, reaches where she stands (the detector's extrapolation); one back elsewhere
    after more than the detector's history (2 s), when her face came back, as
    before. Her place's positions (fed while she was hidden, not arrived) are not
    her face's and are left out. Returns her arrival, once the stand has lasted long
    enough (the first sample that says so, as on a live frame; None: not yet); her
    detector is then the replayed one."""
    old, lost_t = visit.still, visit.unseen_since_t
    seen = [] if old is None or lost_t is None else [p for p in old.samples if p[0] <= lost_t]
    if old is None or not seen or not still.samples:
        visit.still = still
        return None
    merged = StillDetector(old.still_s, old.radius)
    visit.still = merged
    for t, x, y in [*seen, *still.samples]:
        arrival_t = merged.update(t, x, y)
        if arrival_t is not None:
            return arrival_t  # decided, as on a live frame (she may have stepped on since)
    return None


class VisitBook:
    """Opens, advances and closes visits, and emits their events."""

    def __init__(self, cfg: EngineConfig, grace_s: float, zones: ZoneMap,
                 counters: dict[str, CounterRuntime], factory: EventFactory, rule: DwellRule):
        self.cfg = cfg
        self.grace_s = grace_s
        self.zones = zones
        self.counters = counters
        self.factory = factory
        self.rule = rule
        self.open: dict[int, Visit] = {}
        """Open visits by track id."""
        self.aspect = 1.0
        """Frame height / width (from the latest :meth:`observe`)."""
        self.occupancy: OccupancyGrid | None = None
        """The current frame's occupancy grid (None: no presence stage)."""
        self._hidden: set[str] = set()
        """Unseen customers whose place someone nearer hides this frame."""
        self._presence: dict[str, bool | None] = {}
        """This frame's verdict on each unseen customer's place (:meth:`weigh_presence`)."""
        self._walkers: dict[str, deque[tuple[float, int]]] = {}
        """Per counter, the last :data:`WALK_EVIDENCE_S` of frames: how many cells of
        its zones someone unseen walked in (unexplained, or newly filled inside a held
        customer's place)."""
        self._walker: dict[str, tuple[float, float]] = {}
        """This frame's centre (x, y, normalised), per counter, of the occupied cells in
        its customer zones that nobody seen or held explains: someone walking there
        with their face hidden."""
        self._faceless: dict[str, list[tuple[float, float, float, int]]] = {}
        """This frame's faceless people in each counter's customer zones (face x, y,
        width, and size in cells: :func:`faceless_people`), for the counters with a
        customer walked off before arriving."""
        self._zone_cells = CellMasks()
        self._weighed: OccupancyGrid | None = None
        self.passing: list[tuple[Visit, float]] = []
        """Visits closed unseen before they arrived whose departure is not reported
        yet, with when they closed (:meth:`settle`)."""
        self._history: deque[tuple[float, np.ndarray, np.ndarray]] = deque()
        """The last :data:`ONSET_LOOKBACK_S` of grids: (t, occupied cells, cells
        explained by the people seen or held then), for :meth:`_walked_in_at`."""

    # ------------------------------------------------------------------ per-frame input

    def observe(self, ts: TrackState, t: float, aspect: float) -> None:
        """A measured frame of a customer-like track: open, move or arrive its visit.

        ``aspect`` is height / width, to measure stillness in fractions of the frame width.
        """
        self.aspect = aspect
        placement = ts.placement
        here = placement.customer_counter if placement is not None else None
        visit = ts.visit
        if visit is None:
            if here is None:
                return
            visit = self._open(ts, here, t)
        own = self.zones.counters[visit.counter_id]
        if own.in_customer_zone(ts.x, ts.y):
            visit.last_in_zone_t = t
            if visit.arrival_t is None:
                self._check_arrival(visit, ts, t, aspect, own.in_service(ts.x, ts.y))
        elif here is not None and visit.arrival_t is None:
            visit.counter_id = here  # not arrived yet: it belongs to the counter it walks to
            visit.still = None
            visit.last_in_zone_t = t
            if self.zones.counters[here].in_service(ts.x, ts.y) and ts.face_seen:
                visit.arrival_t = t

    def hold_state(self, visit: Visit) -> str | None:
        """What keeps the visit of a customer held unseen open on this frame (None:
        her face is followed): ``walked off`` (arrived, her place emptied while someone
        walked: kept for her face), ``on her way`` (the same, not arrived yet),
        ``occupied`` (her place is), ``emptying`` (it is not, for less than
        ``presence_leave_s`` yet), ``hidden`` (someone nearer covers it) or
        ``no grid`` (nothing to go by: ``visit_hold_s``). For diagnostics
        (``frontdesk eval``'s late departures)."""
        if visit.unseen_since_t is None:
            return None
        if visit.walked_off:
            return "walked off" if visit.arrival_t is not None else "on her way"
        occupied = self._presence.get(visit.visit_id)
        if occupied is None:
            return "hidden" if visit.visit_id in self._hidden else "no grid"
        return "occupied" if occupied else "emptying"

    def describe(self) -> list[dict[str, object]]:
        """The open visits as plain rows, for diagnostics (``python -m
        frontdesk.sim.trace``): who is held unseen, where, and on what evidence."""
        rows: list[dict[str, object]] = []
        for visit in self.open.values():
            ts = visit.track
            held = visit.held_face
            rows.append({
                "visit": visit.visit_id, "track": ts.track_id, "counter": visit.counter_id,
                "confirmed": visit.confirmed, "arrival_t": visit.arrival_t,
                "ack_t": visit.ack_t, "x": round(ts.x, 3), "y": round(ts.y, 3),
                "seen": ts.fresh, "unseen_since_t": visit.unseen_since_t,
                "held": None if held is None else tuple(round(v, 3) for v in held),
                "occupied": self._presence.get(visit.visit_id),
                "hidden": visit.visit_id in self._hidden, "walked_off": visit.walked_off,
                "present_t": visit.present_t if visit.present_t > -math.inf else None,
                "walking_t": visit.walking_t if visit.walking_t > -math.inf else None,
                "signatures": len(visit.held_looks), "hold": self.hold_state(visit),
            })
        return rows

    def _open(self, ts: TrackState, counter_id: str, t: float) -> Visit:
        first_seen_t = ts.first_seen_t if ts.visits_closed == 0 else t
        visit = Visit(self.factory.new_id(), ts, counter_id, first_seen_t, t)
        ts.visit = visit
        self.open[ts.track_id] = visit
        return visit

    def orphan(self, visit: Visit) -> None:
        """The visit's track was lost while in the zones: wait ``visit_hold_s`` for the face.

        Customers turn away from the camera (to a staff member it cannot see face
        on, to their bag) for longer than the tracker's grace; a face that then
        appears where they stood continues their visit instead of starting one.
        """
        visit.unseen_since_t = visit.track.last_seen_t
        visit.hold_place(visit.unseen_since_t, visit.track.steady_face())
        visit.present_t = visit.unseen_since_t
        visit.others_at_loss = {}
        visit.not_hers = set()
        for other in self.open.values():
            # a customer held unseen stood at her place (the next one in the queue,
            # lost a moment before as she looked down to step up)
            face = other.track.steady_face() if other.unseen_since_t is None else other.held_face
            if other is not visit and face is not None:
                visit.others_at_loss[other.visit_id] = face
        track = visit.track
        # Snapshots exist only past LOOK_FRAMES measurements, so the last is the look
        # when she was lost whenever there are any.
        visit.held_looks = ([*track.look_snapshots, track.look.copy()]
                            if track.look is not None and track.look_n >= MIN_LOOK_FRAMES
                            else [])
        visit.walked_off = False
        visit.walking_t = -math.inf
        visit.standing_at = visit.standing_since = None
        faces = list(track.recent_faces)
        visit.heading = (heading(faces[0], faces[-1], self.aspect)
                         if len(faces) >= 2 and faces[-1][0] - faces[0][0] >= 0.3
                         else (0.0, 0.0))
        visit.moving_when_lost = _still_moving(faces, self.aspect)

    def weigh_presence(self, tracks: list[TrackState], t: float) -> None:
        """Decide, once per frame, which unseen customers' places are still occupied.

        Cells inside the person box of someone else the tracker follows (seen on
        this frame or held through a missed face) are explained by that person,
        and cells claimed by a customer lost more recently are hers: the next
        customer stepping into the place of one who left must not keep the first
        one's visit alive. Someone else is anyone but a face that appeared in her
        place since she was lost, which may be her own. A place mostly explained by
        others says she has gone (False) when one of them walked into it and stands
        there at her distance; else it tells nothing (None), and someone nearer
        hides it (:attr:`_hidden`). A place not mostly explained is occupied when
        enough of its unexplained cells are.

        Also counts, per counter, the cells in which someone walks unseen: occupied
        cells nobody followed explains (a column beside each followed body is
        theirs), and cells newly filled inside a held customer's place (a body
        moving through it, which her place's cells alone cannot tell from her).
        """
        self._presence = {}
        self._hidden = set()
        self._walker = {}
        self._faceless = {}
        grid = self.occupancy
        lost = [v for v in self.open.values()
                if v.unseen_since_t is not None and v.held_face is not None]
        unseen = sorted((v for v in lost if not v.walked_off),
                        key=lambda v: v.unseen_since_t or 0.0, reverse=True)
        if grid is None or (grid is self._weighed and not lost):
            return  # a carried grid and nobody unseen: nothing new to weigh or remember
        self._weighed = grid
        aspect = self.aspect
        seen: list[tuple[TrackState, tuple[slice, slice]]] = []
        # Everyone the tracker follows (a face missed on this frame is someone too:
        # without them, the next customer standing in the place of one who left kept
        # her visit alive on every frame her own face was missed).
        followed: list[tuple[TrackState, tuple[slice, slice], tuple[float, float, float]]] = []
        for ts in tracks:
            face = ts.steady_face()
            if face is not None:
                box = body_cells(grid, face, aspect)
                followed.append((ts, box, face))
                if ts.fresh:
                    seen.append((ts, box))
        claimed = np.zeros(grid.cells.shape, dtype=bool)
        bodies = claimed.copy()  # the whole bodies of the customers held there
        for visit in unseen:
            face = visit.held_face
            assert face is not None
            cells = place_cells(grid, face, aspect)
            others = claimed.copy()
            in_her_place = hidden = False
            for ts, box, other in followed:
                if self._may_be(visit, ts, aspect):
                    continue
                others[box] = True
                in_her_place = in_her_place or (stands_in_place(other, face, aspect)
                                                and self._walked_in(ts, visit, aspect))
                hidden = hidden or other[2] >= face[2] * SAME_DEPTH_RATIO
            taken = others[cells]
            if not taken.size or taken.mean() > PRESENCE_MAX_EXPLAINED:
                # Someone else stands where she stood, at her distance: two people
                # cannot, so she has gone. Someone nearer, in front of her place, hides
                # it: out of sight is not gone.
                self._presence[visit.visit_id] = False if in_her_place else None
                if hidden and not in_her_place:
                    self._hidden.add(visit.visit_id)
                continue
            share = float(grid.cells[cells][~taken].mean())
            occupied = share >= PRESENCE_MIN_FRACTION
            self._presence[visit.visit_id] = occupied
            if occupied and share < FOLLOW_BELOW_FRACTION:
                visit.held_face = follow_place(grid, ~others, face, aspect)
                if visit.present_t >= visit.held_path[-1][0] + 1.0:
                    visit.held_path.append((visit.present_t, *visit.held_face[:2]))
                cells = place_cells(grid, visit.held_face, aspect)
            claimed[cells] = True
            if occupied:
                bodies[body_cells(grid, visit.held_face or face, aspect)] = True
            moves = visit.place_moves
            moves.append((t, *(visit.held_face or face)))
            while moves[0][0] < t - PLACE_MOVING_S:
                moves.popleft()
        seen_cells = np.zeros(grid.cells.shape, dtype=bool)
        for _, box in seen:
            seen_cells[box] = True
        # A body moving through a held customer's place (the next customer stepping
        # up, eyes down, through the place of one just lost): her place's cells cannot
        # tell them apart, but a standing customer's do not newly fill.
        followed_cells = np.zeros_like(seen_cells)  # the seen are among the followed
        for ts, box, _ in followed:
            followed_cells[box] = True
            _, x, y, w = ts.recent_faces[-1]  # a seen walker's body is ahead of its median
            followed_cells[body_cells(grid, (x, y, w), aspect)] = True
        # A body covers part of the cells at the edges of its box: the column on each
        # side of someone followed is theirs too, not someone walking.
        followed_cells[:, 1:] |= followed_cells[:, :-1].copy()
        followed_cells[:, :-1] |= followed_cells[:, 1:].copy()
        moved = self._newly_occupied(t, grid) & (claimed | bodies) & ~followed_cells
        claimed |= seen_cells
        self._remember(t, grid, claimed)
        loose = grid.cells & ~claimed & ~bodies  # a held customer's legs walk nowhere
        unseen_walker = (loose & ~followed_cells) | moved  # nobody the tracker follows
        for counter_id in {v.counter_id for v in self.open.values()}:
            zone = self._zone_mask(grid, counter_id)
            rows, cols = np.nonzero(loose & zone)
            walkers = self._walkers.setdefault(counter_id, deque())
            walkers.append((t, int(np.count_nonzero(unseen_walker & zone))))
            while walkers[0][0] < t - WALK_EVIDENCE_S:
                walkers.popleft()
            if rows.size:
                self._walker[counter_id] = ((cols.mean() + 0.5) / grid.cols,
                                            (rows.mean() + 0.5) / grid.rows)
        waiting_visits = [v for v in lost if v.walked_off and v.arrival_t is None]
        waiting = {v.counter_id for v in waiting_visits}
        if waiting:
            # The tracker's held tracks (a face missed this frame) are people known
            # too: a seen customer's body is nobody faceless for a frame.
            known = seen_cells.copy()
            for ts, box, _ in followed:
                if not ts.fresh:
                    known[box] = True
            least = min(self._faceless_least(grid, v) for v in waiting_visits)
            people = faceless_people(grid, loose & ~known, known, aspect, least)
            for counter_id in waiting:
                counter = self.zones.counters[counter_id]
                self._faceless[counter_id] = [p for p in people if counter.in_customer_zone(*p[:2])]

    def _newly_occupied(self, t: float, grid: OccupancyGrid) -> np.ndarray:
        """The cells occupied now and on none of the grids of :data:`MOVED_SINCE_S` ago:
        where a body moved to (a cell a standing person covers is missed on every one
        of those grids only rarely). None occupied when no such grid is kept."""
        since, until = t - MOVED_SINCE_S[1], t - MOVED_SINCE_S[0]
        before = [occupied for past_t, occupied, _ in self._history
                  if since <= past_t <= until and occupied.shape == grid.cells.shape]
        if not before:
            return np.zeros(grid.cells.shape, dtype=bool)
        return grid.cells & ~np.logical_or.reduce(before)

    def _remember(self, t: float, grid: OccupancyGrid, explained: np.ndarray) -> None:
        history = self._history
        history.append((t, grid.cells, explained))
        while history and history[0][0] < t - ONSET_LOOKBACK_S:
            history.popleft()

    def forget_grids(self) -> None:
        """The camera went blind (or the engine stops): the grids seen before say
        nothing of who stands where after, and no arrival is dated from them."""
        self._history.clear()
        self._walkers.clear()
        self._weighed = None

    def _walked_in_at(self, ts: TrackState, t: float) -> float:
        """When the person of a face first seen at ``t`` came to stand where it is:
        the start of the stretch, just before ``t``, in which the place under the face
        was occupied and nobody else seen or held there explains it (at most
        :data:`ONSET_LOOKBACK_S` back; ``t`` when the place was not occupied). A
        customer who walked into the service zone with her eyes on her phone arrived
        when she stepped in, not when she looked up."""
        face = ts.steady_face()
        return t if face is None else self._occupied_since(face, t)

    def _occupied_since(self, face: tuple[float, float, float], t: float) -> float:
        """The start of the stretch, just before ``t``, in which the place of this face
        was occupied and nobody else seen or held there explains it (at most
        :data:`ONSET_LOOKBACK_S` back; ``t`` when it was not occupied)."""
        grid = self.occupancy
        if grid is None:
            return t
        cells = place_cells(grid, face, self.aspect)
        onset, misses = t, 0
        for past_t, occupied, explained in reversed(self._history):
            if past_t >= t or occupied.shape != grid.cells.shape:
                continue
            taken = explained[cells]
            if not taken.size or taken.mean() > PRESENCE_MAX_EXPLAINED:
                break  # someone else stood there
            if float(occupied[cells][~taken].mean()) < PRESENCE_MIN_FRACTION:
                misses += 1
                if misses > 1:  # one frame's miss is noise; two, an empty place
                    break
                continue
            misses = 0
            onset = past_t
        return onset

    def _zone_mask(self, grid: OccupancyGrid, counter_id: str) -> np.ndarray:
        """The grid cells whose centres lie in the counter's customer zones (cached)."""
        return self._zone_cells.get((id(self.zones), counter_id), grid.cells.shape,
                                    self.zones.counters[counter_id].in_customer_zone)

    @staticmethod
    def _born_distance2(visit: Visit, ts: TrackState, aspect: float) -> float | None:
        """Squared distance (frame widths) from where the track ``ts`` was first seen
        to the unseen customer's place at that moment; None when ``ts`` was seen
        before she was lost (so it is someone else)."""
        held = visit.held_face
        if held is None or visit.unseen_since_t is None or ts.born_x is None:
            return None
        if ts.first_seen_t < visit.unseen_since_t:
            return None
        _, x, y = min(visit.held_path, key=lambda p: abs(p[0] - ts.first_seen_t),
                      default=(0.0, held[0], held[1]))
        return image_d2(x, y, ts.born_x, ts.born_y, aspect)

    @staticmethod
    def _walked_in(ts: TrackState, visit: Visit, aspect: float) -> bool:
        """Whether the person of track ``ts`` walked into the place of the unseen
        customer of ``visit`` since she was lost (so is someone else, neither a second
        track of her nor a neighbour who stood there all along): a customer in view
        when she was lost who stood away from her place then (a face lost on the way
        and found again continues that customer's visit), or a face first seen away
        from it."""
        place = visit.held_path[0][1:] if visit.held_path else None
        face = visit.held_face
        if place is None or face is None:
            return False
        lost_face = (place[0], place[1], face[2])
        other = ts.visit
        if other is not None and other is not visit:
            before = visit.others_at_loss.get(other.visit_id)
            if before is not None:
                return not stands_in_place(before, lost_face, aspect)
        if ts.born_x is None or ts.born_y is None:
            return False
        return image_d2(place[0], place[1], ts.born_x, ts.born_y, aspect) > place_radius(face) ** 2

    @classmethod
    def _may_be(cls, visit: Visit, ts: TrackState, aspect: float) -> bool:
        """Whether the track ``ts`` may be the unseen customer of ``visit`` come back:
        first seen after she was lost, where her place was then, and not given to
        someone who walked into it (:attr:`Visit.not_hers`)."""
        held = visit.held_face
        d2 = cls._born_distance2(visit, ts, aspect)
        if held is None or ts.track_id in visit.not_hers or d2 is None:
            return False
        # The clothes last: up to LOOK_SNAPSHOTS signatures compared, for every followed
        # track on every frame, where the place alone rules out nearly all of them.
        return d2 <= place_radius(held) ** 2 and not clothes_unlike(visit.held_looks, ts)

    def _step_unseen(self, visit: Visit, t: float, wall_time: float | None) -> list[Event]:
        """A customer whose face is gone in the zones: held while her place is occupied."""
        assert visit.unseen_since_t is not None
        if visit.walked_off:  # waiting for a face in her clothes
            if visit.arrival_t is None:  # on her way: the hold, and while she may stand
                if self._stands_faceless(visit, t):  # at the counter, eyes on her phone
                    visit.walking_t = t
                    if self._stood_long_enough(visit, t) and not self._standing_shared(visit, t):
                        self._hold_at_counter(visit, t)
                        return self._report(visit, t, wall_time)
                gone = (t - visit.present_t > self.cfg.visit_hold_s
                        and t - visit.walking_t > self.cfg.presence_leave_s + WALK_HOLD_S
                        or t - visit.unseen_since_t > self.cfg.presence_max_s)
            else:  # arrived: a few seconds, silently, and while someone walks unseen
                walked_t = self._someone_walking(visit, t)
                if walked_t is not None:
                    visit.walking_t = max(visit.walking_t, walked_t)
                    self._follow_walker(visit, t)
                gone = (t - max(visit.present_t, visit.walking_t)
                        > self.cfg.presence_leave_s + WALK_HOLD_S
                        or t - visit.unseen_since_t > self.cfg.presence_max_s)
            if gone:
                return self._close_unseen(visit, t, wall_time)
            return []
        occupied = self._presence.get(visit.visit_id)
        if occupied is None:  # nothing to go by: wait a while for her face
            if (visit.visit_id in self._hidden and visit.arrival_t is not None
                    and t - visit.unseen_since_t <= self.cfg.presence_max_s):
                # Waiting behind someone nearer: kept, silently (a customer on her
                # way is not where her place was).
                visit.present_t = t
                return []
            if t - visit.present_t > self.cfg.visit_hold_s:
                return self._close_unseen(visit, t, wall_time)
            return []  # no alerts for a customer out of sight
        out_of_zones_s = 0.0
        if occupied:
            visit.present_t = t
            held = visit.held_face
            assert held is not None
            if self.zones.counters[visit.counter_id].in_customer_zone(held[0], held[1]):
                visit.last_in_zone_t = t
            out_of_zones_s = t - visit.last_in_zone_t
            if visit.arrival_t is None:
                self._arrive_unseen(visit, t)
        if out_of_zones_s > max(self.cfg.visit_hold_s, self.grace_s):
            return self._close_unseen(visit, t, wall_time)
        if (t - visit.present_t > self.cfg.presence_leave_s
                or t - visit.unseen_since_t > self.cfg.presence_max_s):
            if (t - visit.unseen_since_t <= self.cfg.presence_max_s
                    and (visit.arrival_t is None or self._walks_on(visit, t))):
                # On her way with her face hidden (eyes on her phone, walking up from
                # the queue): she may look up at the counter a few steps on.
                self._walk_off(visit)
                return []
            return self._close_unseen(visit, t, wall_time)
        if not occupied:
            return []
        events = self._report(visit, t, wall_time)
        if self.walking_unseen(visit):
            visit.place_walked_t = t
            moves = visit.place_moves
            visit.place_heading = heading(moves[0], moves[-1], self.aspect)
        if out_of_zones_s <= self.grace_s and (t - visit.place_walked_t > PLACE_MOVING_S
                                               or self._place_walked_up(visit)):
            # No alerts while she is outside the zones, nor while her place walks and
            # until it has stood still as long again (a place walking away slows down
            # in the image as it shrinks toward the entrance), unless it walks up to
            # her counter from the queue: she is still waiting.
            events += self._alerts(visit, t, wall_time)
        return events

    def walking_unseen(self, visit: Visit) -> bool:
        """Whether the place of an unseen customer is on the move: followed over the
        occupied cells, the least-squares line through its positions of the last
        :data:`PLACE_MOVING_S` moves at least :data:`MOVING_FACES` of her face width.
        She is walking with her face hidden, not waiting: up to the counter (she
        stands there in a moment, and her wait's alerts come then) or out of the
        shop (a buzz for her would call staff to nobody)."""
        moves = visit.place_moves
        return (len(moves) >= 2 and moves[-1][0] - moves[0][0] >= PLACE_MOVING_S / 2
                and _still_moving(list(moves), self.aspect, window_s=PLACE_MOVING_S))

    def _walks_on(self, visit: Visit, t: float) -> bool:
        """Whether an arrived customer whose place emptied may have walked on in the
        zones, to be held for her face: someone walked unseen in the zones, or, while
        she waits, her own place was walking up to her counter as it emptied (up from
        the queue, eyes on her phone: her body now in cells the served customer's held
        place explains, so nobody seems to walk)."""
        return (self._someone_walking(visit, t) is not None
                or visit.waiting() and self._place_walked_up(visit))

    def _place_walked_up(self, visit: Visit) -> bool:
        """Whether the followed place of an unseen customer lost outside her counter's
        service zone was walking into it when last seen walking (now, or as it
        emptied): its heading then, extrapolated up to :data:`REACH_S`, enters the
        zone. (One lost at the counter whose place walks is walking away from it.)"""
        held = visit.held_face
        if held is None or visit.present_t - visit.place_walked_t > PLACE_MOVING_S:
            return False
        counter = self.zones.counters[visit.counter_id]
        if counter.in_service(*lost_at(visit.held_path, held)):
            return False
        return self._enters_service(visit.counter_id, held[0], held[1], visit.place_heading)

    def _enters_service(self, counter_id: str, x: float, y: float,
                        velocity: tuple[float, float]) -> bool:
        """Whether walking on from ``x, y`` at ``velocity`` (frame widths a second, y
        scaled by the aspect) enters the counter's service zone within :data:`REACH_S`."""
        counter = self.zones.counters[counter_id]
        vx, vy = velocity
        return any(counter.in_service(x + vx * s, y + vy * s / self.aspect)
                   for s in np.arange(0.25, REACH_S + 1e-9, 0.25))

    def _close_unseen(self, visit: Visit, t: float, wall_time: float | None) -> list[Event]:
        """Close the visit of an unseen customer who has gone, unless a new face that
        may be hers is being decided (:attr:`Visit.maybe_back_t`): its body explains
        her place's cells, so her place empties as she looks up."""
        if t - visit.maybe_back_t <= MAYBE_BACK_HOLD_S or self._maybe_back(visit, t):
            return []
        return self.close(visit, t, wall_time, visit.last_in_zone_t)

    def _maybe_back(self, visit: Visit, t: float) -> bool:
        """Whether a new face not yet taken as anyone's (its visit unconfirmed: a
        customer's, or likely one's), seen for at most :data:`MAYBE_BACK_FOR_S` and
        within the last :data:`MAYBE_BACK_HOLD_S`, may continue the visit of the
        unseen customer (:meth:`_continues`, any evidence): it is taken once its
        role is fixed, in her clothes once five frames of them are measured. Asked
        when she is about to be closed, from the face's first frame on (stepped
        before the face's own visit, she would be closed on it: the next customer
        looks up at the counter as her place, walking up from the queue, empties);
        remembered in :attr:`Visit.maybe_back_t`."""
        for other in self.open.values():
            ts = other.track
            role = ts.role.role
            if (other is visit or other.confirmed or other.unseen_since_t is not None
                    or ts.visits_closed or ts.born_x is None
                    or role is Role.STAFF or role is None and ts.role.likely is not Role.CUSTOMER
                    or ts.last_seen_t - ts.first_seen_t > MAYBE_BACK_FOR_S
                    or t - ts.last_seen_t > MAYBE_BACK_HOLD_S):
                continue
            if self._continues(visit, ts, _walked(ts, self.aspect), self.aspect) is not None:
                visit.maybe_back_t = ts.last_seen_t
                return True
        return False

    def _walk_off(self, visit: Visit) -> None:
        """Her place emptied: she walked on. Her heading is where her followed place
        went, when it went anywhere, else how her face moved as she was lost."""
        visit.walked_off = True
        path = visit.held_path
        if len(path) >= 2 and path[-1][0] > path[0][0]:
            followed = heading(path[0], path[-1], self.aspect)
            if math.hypot(*followed) >= MIN_WALK_SPEED:
                visit.heading = followed

    def _follow_walker(self, visit: Visit, t: float) -> None:
        """Her heading, while she walks unseen: from where her body stood when she was
        lost toward the cells someone unexplained occupies in her counter's zones now,
        once they are a place's width away (she walked up to the counter, or out)."""
        walker, held = self._walker.get(visit.counter_id), visit.held_face
        if walker is None or held is None:
            return
        x, y = lost_at(visit.held_path, held)
        x0, y0, x1, y1 = person_box_norm(x, y, held[2], self.aspect, PRESENCE_BELOW_FACES)
        dx, dy = walker[0] - (x0 + x1) / 2, (walker[1] - (y0 + y1) / 2) * self.aspect
        if math.hypot(dx, dy) >= place_radius(held):
            walked_s = max(t - visit.present_t, 0.5)
            visit.heading = (dx / walked_s, dy / walked_s)

    def _within_reach(self, visit: Visit, ts: TrackState) -> bool:
        """Whether the new face ``ts`` first appeared where the unseen customer of
        ``visit`` could have walked since she was lost (at :data:`REACH_SPEED`)."""
        if ts.born_x is None or ts.born_y is None:
            return False
        return self._reaches(visit, ts.born_x, ts.born_y, ts.first_seen_t)

    def _reaches(self, visit: Visit, x: float, y: float, t: float) -> bool:
        """Whether the unseen customer of ``visit`` can have walked to ``x, y`` (a face's
        place) by ``t`` since she was lost (at :data:`REACH_SPEED`)."""
        held = visit.held_face
        if held is None or visit.unseen_since_t is None:
            return False
        lost_x, lost_y = lost_at(visit.held_path, held)
        walked_s = min(max(0.0, t - visit.unseen_since_t), REACH_S)
        reach = place_radius(held) + max(REACH_SPEED, REACH_FACES_S * held[2]) * walked_s
        return image_d2(lost_x, lost_y, x, y, self.aspect) <= reach ** 2

    def _on_her_way(self, visit: Visit) -> bool:
        """Whether the unseen customer of ``visit`` was lost walking: her face still
        moving as she was lost (:attr:`Visit.moving_when_lost`), her place emptied
        with a heading (her followed place's, or her face's over its last 1.5 s), or
        her place followed a place's width since."""
        held = visit.held_face
        if visit.unseen_since_t is None or held is None:
            return False
        if visit.moving_when_lost or (visit.walked_off
                                      and math.hypot(*visit.heading) >= MIN_WALK_SPEED):
            return True
        x, y = lost_at(visit.held_path, held)
        return image_d2(x, y, held[0], held[1], self.aspect) >= place_radius(held) ** 2

    def _walked_toward(self, visit: Visit, ts: TrackState) -> bool:
        """Whether the new face ``ts`` first appeared where the unseen customer of
        ``visit`` was heading: along her heading when she was walking, in her
        counter's service zone when she was standing (walking up from the queue)."""
        if ts.born_x is None or ts.born_y is None:
            return False
        return self._heads_for(visit, ts.born_x, ts.born_y)

    def _heads_for(self, visit: Visit, x: float, y: float) -> bool:
        """Whether ``x, y`` lies where the unseen customer of ``visit`` was heading
        (:meth:`_walked_toward`)."""
        held = visit.held_face
        if held is None:
            return False
        vx, vy = visit.heading
        speed = math.hypot(vx, vy)
        if speed < MIN_WALK_SPEED:
            return self.zones.counters[visit.counter_id].in_service(x, y)
        lost_x, lost_y = lost_at(visit.held_path, held)
        dx, dy = x - lost_x, (y - lost_y) * self.aspect
        dist = math.hypot(dx, dy)
        return dist > 0 and (vx * dx + vy * dy) / (speed * dist) >= MIN_HEADING_COS

    def _stands_faceless(self, visit: Visit, t: float) -> bool:
        """Whether a faceless person stands in the service or approach zone of the
        counter the walked-off, not yet arrived customer of ``visit`` was heading
        for, who can be her: first found within her reach, where she was heading,
        soon after her place emptied (:data:`WALK_HOLD_S` plus :data:`REACH_S` of
        walking), then found again where she stood with no gap longer than the
        walking hold. A customer who walked up with her eyes on her phone and waits
        at the counter, or stops in the queue, before she looks up keeps her visit;
        someone who comes later, or elsewhere, does not."""
        held, grid = visit.held_face, self.occupancy
        people = self._faceless.get(visit.counter_id)
        if held is None or grid is None or not people:
            return False
        least = self._faceless_least(grid, visit)
        places = [(x, y, w) for x, y, w, size in people if size >= least]
        hold_s = self.cfg.presence_leave_s + WALK_HOLD_S
        if visit.standing_at is None:
            if t - visit.present_t > WALK_HOLD_S + REACH_S:
                return False
            found = [p for p in places
                     if self._reaches(visit, p[0], p[1], t) and self._heads_for(visit, p[0], p[1])]
        else:
            sx, sy, _, st = visit.standing_at
            if t - st > hold_s:
                return False  # she went; whoever stands there now came later
            radius = 2.0 * place_radius(held)
            found = [p for p in places
                     if math.hypot(p[0] - sx, (p[1] - sy) * self.aspect) <= radius]
        if not found:
            return False
        still = visit.standing_since
        if still is not None and t - still[3] > STAND_GAP_S:
            still = None  # not found where she stood for longer than a gap: moved
        # Where she stands: a group of cells shifts as other bodies touch it, or is
        # missed for a frame; a speck elsewhere for a moment is not her moving.
        near = [p for p in found
                if still is not None and self._stood_at(visit, grid, still, p)]
        rx, ry = (visit.standing_at[:2] if visit.standing_at is not None
                  else lost_at(visit.held_path, held))
        x, y, w = min(near or found,
                      key=lambda p: math.hypot(p[0] - rx, (p[1] - ry) * self.aspect))
        visit.standing_at = (x, y, w, t)
        if still is None:
            visit.standing_since = (x, y, t, t)  # she moved: standing since now
        elif near:
            visit.standing_since = (*still[:3], t)
        return True

    def _stood_at(self, visit: Visit, grid: OccupancyGrid,
                  since: tuple[float, float, float, float],
                  face: tuple[float, float, float]) -> bool:
        """Whether a faceless person found at ``face`` still stands where one stood
        still since ``since`` (x, y, since when, last found there): in the service
        zone, within her place; in the approach zone, as near as a face must stay to
        arrive by standing still (``still_radius_norm``) plus a grid cell (a group
        of cells moves by one as the grid misses a cell or another body touches it).
        Someone walking slowly far off, out of the shop with their back turned,
        moves farther in the seconds an arrival takes."""
        if self.zones.counters[visit.counter_id].in_service(since[0], since[1]):
            radius = place_radius(face)
        else:
            radius = self.cfg.still_radius_norm + 1.0 / grid.cols
        return math.hypot(face[0] - since[0], (face[1] - since[1]) * self.aspect) <= radius

    def _stood_long_enough(self, visit: Visit, t: float) -> bool:
        """Whether the faceless person who can be her has stood still at the counter for
        ``arrival_still_s`` (a walk across the service zone is not a wait)."""
        since = visit.standing_since
        return since is not None and t - since[2] >= self.cfg.arrival_still_s

    def _standing_shared(self, visit: Visit, t: float) -> bool:
        """Whether another walked-off customer, not arrived, is kept by the same faceless
        person: one person is one customer, and which of them she is only her face
        can tell (it continues the one it is; the other closes as passed by), so
        neither arrives unseen meanwhile."""
        assert visit.standing_at is not None
        x, y, w, _ = visit.standing_at
        radius = place_radius((x, y, w))
        hold_s = self.cfg.presence_leave_s + WALK_HOLD_S
        for other in self.open.values():
            at = other.standing_at
            if (other is visit or not other.walked_off or other.arrival_t is not None
                    or at is None or t - at[3] > hold_s):
                continue
            if math.hypot(at[0] - x, (at[1] - y) * self.aspect) <= radius:
                return True
        return False

    def _hold_at_counter(self, visit: Visit, t: float) -> None:
        """She stands at the counter or in the queue, faceless: held there by her
        place, as a customer who looked down at her phone after arriving is, and
        arrived when that place became occupied at the counter (as a face first seen
        in the service zone does), when she stopped in the queue (as a face there
        does by standing still). Her wait counts and her alerts fire while her face
        is hidden; her face, when it comes back there, continues the visit."""
        assert visit.standing_at is not None and visit.standing_since is not None
        x, y, w, _ = visit.standing_at
        stood_t = visit.standing_since[2]
        visit.walked_off = False
        visit.hold_place(t, (x, y, w))  # found standing: her place has not walked since
        visit.present_t = visit.last_in_zone_t = t
        visit.heading = (0.0, 0.0)
        visit.moving_when_lost = False
        if self.zones.counters[visit.counter_id].in_service(x, y):
            visit.arrival_t = self._occupied_since((x, y, w), t)
        else:  # in the approach zone: arrived when she stopped, as a face there does
            visit.arrival_t = stood_t
        visit.first_seen_t = min(visit.first_seen_t, visit.arrival_t)
        visit.standing_at = visit.standing_since = None

    def _faceless_least(self, grid: OccupancyGrid, visit: Visit) -> float:
        """The fewest cells a faceless person who can be the customer of ``visit``
        occupies (:data:`FACELESS_MIN_PLACE` of her place as she was lost)."""
        assert visit.held_face is not None
        rs, cs = place_cells(grid, visit.held_face, self.aspect)
        return FACELESS_MIN_PLACE * (rs.stop - rs.start) * (cs.stop - cs.start)

    def _someone_walking(self, visit: Visit, t: float) -> float | None:
        """The latest frame, since the unseen customer was lost and at most
        :data:`WALK_EVIDENCE_S` ago, on which someone walked with a hidden face in her
        counter's zones: at least a third of her place's worth of cells unexplained,
        or newly filled inside a held customer's place. None: nobody."""
        grid, face = self.occupancy, visit.held_face
        if grid is None or face is None or visit.unseen_since_t is None:
            return None
        rows, cols = place_cells(grid, face, self.aspect)
        least = max(3.0, (rows.stop - rows.start) * (cols.stop - cols.start) / 3)
        since = max(visit.unseen_since_t, t - WALK_EVIDENCE_S)
        return max((past_t for past_t, cells in self._walkers.get(visit.counter_id, ())
                    if past_t >= since and cells >= least), default=None)

    def _arrive_unseen(self, visit: Visit, t: float) -> None:
        """A customer held by her place, not arrived yet, arrives as if seen there:
        at once in the service zone, by standing still in the approach zone."""
        face = visit.held_face
        assert face is not None
        x, y = face[0], face[1]
        own = self.zones.counters[visit.counter_id]
        if own.in_service(x, y):
            visit.arrival_t = t
        elif own.in_customer_zone(x, y) and visit.still is not None:
            visit.arrival_t = visit.still.update(t, x, y * self.aspect)

    def _continues(self, visit: Visit, ts: TrackState, walked: bool, aspect: float
                   ) -> tuple[int, float, float] | None:
        """Whether the new track ``ts`` can be the unseen customer of ``visit``: None if
        it cannot; else how strongly, as a sort key (lower first): the tier of the
        evidence (see :meth:`_adopt`), how far its clothes' colours are from hers
        (:data:`~frontdesk.engine.places.LOOK_UNKNOWN` when not compared), and how far
        it first appeared from her place, squared, in fractions of the frame width."""
        old = visit.track
        if visit.unseen_since_t is None or ts.first_seen_t < visit.unseen_since_t:
            return None
        if old.last_face_t < old.last_seen_t:
            return None  # lost while seen by the body alone: walked away, not turned away
        same, look_d = clothes_verdict(visit.held_look, ts)
        if same is False and clothes_unlike(visit.held_looks, ts):
            assert ts.look is not None  # compared, so measured
            if not any(could_hold(h, ts.look) for h in visit.held_looks):
                return None  # other clothes than ever she showed: someone else, wherever she stood
            # Unlike every signature of hers, but one could hold its colours with
            # someone else's in front of her: the clothes cannot tell.
            same, look_d = None, LOOK_UNKNOWN
        placement = ts.placement
        in_counter = placement is not None and placement.customer_counter == visit.counter_id
        if visit.walked_off:
            # Her place emptied while someone walked in the zones. In her clothes,
            # within her reach, if they are not the black, grey or white many wear;
            # else where she was heading, or, while she waits (arrived, not yet
            # acknowledged: neither passing nor served and leaving), in her clothes
            # within her reach: her heading is a guess when several people walk.
            if not in_counter:
                return None
            reach = self._within_reach(visit, ts)
            if same and reach and visit.held_look is not None and colourful(visit.held_look):
                return TIER_CLOTHES, look_d, 0.0
            if self._walked_toward(visit, ts) or (same and reach and visit.waiting()):
                return TIER_WALKED, look_d, 0.0
            return None
        held, born_w = visit.held_face, ts.born_width_norm
        if (held is not None and born_w is not None
                and visit.present_t >= ts.first_seen_t - self.cfg.presence_leave_s):
            # Her place stayed occupied until this face appeared in it, as large as
            # hers: nobody else came. Where it went since does not matter (she may
            # have stepped up to the counter on looking up).
            ratio = born_w / held[2] if held[2] > 0 else 1.0
            born2 = self._born_distance2(visit, ts, aspect)
            if (born2 is not None and born2 <= place_radius(held) ** 2
                    and 1 / PRESENCE_SIZE_RATIO <= ratio <= PRESENCE_SIZE_RATIO):
                return ((TIER_PLACE_CLOTHES, look_d, born2) if same
                        else (TIER_PLACE, look_d, born2))
            return self._reached(visit, ts, in_counter, look_d)
        if walked:  # walking: a new person, unless where she was heading
            return self._reached(visit, ts, in_counter, look_d)
        assert ts.born_x is not None
        d2 = max(image_d2(old.x, old.y, x, y, aspect)
                 for x, y in ((ts.x, ts.y), (ts.born_x, ts.born_y)))
        if d2 <= REACQUIRE_RADIUS_NORM ** 2:
            return (TIER_PLACE_CLOTHES, look_d, d2) if same else (TIER_NEAR, look_d, d2)
        return self._reached(visit, ts, in_counter, look_d)

    def _reached(self, visit: Visit, ts: TrackState, in_counter: bool, look_d: float
                 ) -> tuple[int, float, float] | None:
        """The weakest evidence: the face appeared, within her reach, where a customer
        still held by her place was heading (the place may be held by someone else's
        body: a customer walking up from the queue drags her place along); or, while
        she waits, within her reach in her clothes, walking up to her counter
        (:meth:`_steps_up`: her place hidden by the customer leaving it)."""
        if in_counter and self._within_reach(visit, ts) and (
                self._walked_toward(visit, ts)
                or visit.waiting() and look_rank(look_d) == 0 and self._steps_up(visit, ts)):
            return TIER_REACHED, look_d, 0.0
        return None

    def _steps_up(self, visit: Visit, ts: TrackState) -> bool:
        """Whether the new face ``ts`` walks up to the counter of ``visit``, lost
        outside its service zone at most :data:`REACH_S` before it appeared (she
        looked down as she set off from the queue, and up on her way): over its
        sightings so far it moves at walking speed, and its heading, from where it
        is now, enters the service zone within :data:`REACH_S`."""
        held, faces = visit.held_face, ts.recent_faces
        if (held is None or visit.unseen_since_t is None
                or ts.first_seen_t - visit.unseen_since_t > REACH_S
                or len(faces) < 2 or faces[-1][0] - faces[0][0] < 0.3):
            return False
        if self.zones.counters[visit.counter_id].in_service(*lost_at(visit.held_path, held)):
            return False
        velocity = heading(faces[0], faces[-1], self.aspect)
        if math.hypot(*velocity) < MIN_WALK_SPEED:
            return False
        _, x, y, _ = faces[-1]
        return self._enters_service(visit.counter_id, x, y, velocity)

    def _vacated(self, visit: Visit) -> bool:
        """Whether the place of the unseen customer of ``visit`` does not show her on
        this frame: it is not occupied (emptying), or mostly someone else's (hidden
        by someone nearer, or telling nothing). Not a place she walked off from (it
        is weighed no more, :meth:`weigh_presence`)."""
        return visit.visit_id in self._presence and self._presence[visit.visit_id] is not True

    def _adopt(self, new: Visit, aspect: float, clothes_only: bool = False) -> Visit | None:
        """The unseen visit the face of a new visit continues, if any.

        Only for a face first seen after the customer was lost, in the zones. The
        evidence, strongest first (the ``TIER_`` constants): it appeared in her
        place in her clothes; it is in her colourful clothes in her counter's
        zones, within her reach (she walked there with her face hidden); her place
        emptied while someone walked in the zones and the face appeared where she
        was heading, or, while she waits, in her clothes within her reach;
        it appeared in her place while the place stayed occupied (nobody else can
        have come); it stands where she was last measured; it
        appeared within her reach where she was heading though her place still
        seems held. Clothes clearly unlike hers rule a face out. When the face
        appears at the counter and another candidate was lost on her way
        (:meth:`_on_her_way`), "her place stayed occupied" proves nothing (the
        walker's body may be what occupied it): those tiers come last, unless
        their clothes are more like the face's than every such walker's; so do
        they, for a candidate whose clothes are not alike the face's, when
        another in the face's clothes has her own place hidden by someone nearer
        or emptying (:meth:`_vacated`: she can have walked in unseen); and the
        face, given to someone else, is no longer "maybe hers" for the customers
        it was taken from (:attr:`Visit.not_hers`). A candidate lost on her way
        whose place still seems held (her own walking body, followed) ranks with
        those who walked off (both rest on where she was heading) when her clothes
        are more like the face's than every walked-off one's.
        Between equals: clothes alike before clothes that cannot tell (not the
        closer of two alike signatures: one person's own varies that much,
        :func:`~frontdesk.engine.places.look_rank`), then the customer lost last (two
        customers lost in turn at the same spot), then the nearest.
        ``clothes_only``: take only a face in her clothes (the new face's role is
        not fixed yet).
        """
        ts = new.track
        if ts.visits_closed or ts.born_x is None:  # a track's first visit only
            return None
        walked = _walked(ts, aspect)
        candidates = [(visit, found) for visit in self.open.values()
                      if (found := self._continues(visit, ts, walked, aspect)) is not None]
        # The candidates lost on their way (not held by a place), and the clothes rank
        # (look_rank: 0 alike) of the likeliest of them, if any.
        walking = {visit.visit_id for visit, found in candidates
                   if found[0] not in PLACE_TIERS and self._on_her_way(visit)}
        on_way = min((look_rank(found[1]) for visit, found in candidates
                      if visit.visit_id in walking), default=None)
        vacated_alike = any(found[0] not in PLACE_TIERS and look_rank(found[1]) == 0
                            and self._vacated(visit) for visit, found in candidates)
        if on_way is not None or vacated_alike:
            # Someone lost on her way can have walked into a counter place that stayed
            # occupied (the next customer stepping up as the one served leaves), unless
            # her clothes are less like the face's than those of the customer the place
            # holds; so can one in the face's clothes whose own place no longer shows
            # her (lost standing in the queue, she walked up unseen behind the one
            # leaving, her place hidden by someone nearer or emptying behind her).
            counters = self.zones.counters
            candidates = [(visit, (TIER_PLACE_WALKED_INTO, *found[1:])
                           if found[0] in PLACE_TIERS
                           and ((on_way is not None and on_way <= look_rank(found[1]))
                                or (vacated_alike and look_rank(found[1]) > 0))
                           and counters[visit.counter_id].in_service(ts.born_x, ts.born_y)
                           else found)
                          for visit, found in candidates]
        walker_rank = min((look_rank(found[1]) for _, found in candidates
                           if found[0] == TIER_WALKED), default=None)
        if walker_rank is not None:
            # Where she was heading is the same evidence whether her place emptied
            # (walked off) or still follows her walking body (lost on her way): the
            # clothes tell two such walkers apart.
            candidates = [(visit, (TIER_WALKED, *found[1:]))
                          if found[0] == TIER_REACHED and look_rank(found[1]) < walker_rank
                          and visit.visit_id in walking else (visit, found)
                          for visit, found in candidates]
        if candidates and log.isEnabledFor(logging.DEBUG):
            log.debug("track %d (born %.3f, %.3f) may continue: %s", ts.track_id, ts.born_x,
                      ts.born_y, "; ".join(
                          f"{visit.visit_id} tier {tier} clothes {look_d:.2f} (rank "
                          f"{look_rank(look_d)}) lost {visit.unseen_since_t} d2 {d2:.5f}"
                          for visit, (tier, look_d, d2) in candidates))
        best: Visit | None = None
        best_key = (math.inf, math.inf, math.inf, math.inf)
        for visit, (tier, look_d, d2) in candidates:
            if clothes_only and tier > TIER_CLOTHES:
                continue
            key = (tier, look_rank(look_d), -(visit.unseen_since_t or 0.0), d2)
            if key < best_key:
                best, best_key = visit, key
        if best is None:
            return None
        for visit, (tier, _, _) in candidates:
            if tier == TIER_PLACE_WALKED_INTO and visit is not best:
                visit.not_hers.add(ts.track_id)  # the walker's face: she has gone
        self._forget(new)
        best.last_in_zone_t = max(best.last_in_zone_t, new.last_in_zone_t)
        if best.arrival_t is None and new.arrival_t is not None:
            best.arrival_t = new.arrival_t  # she arrived while her face was hidden
        if best.arrival_t is None and new.still is not None:
            best.arrival_t = _continue_stand(best, new.still)
        old = best.track
        log.debug("track %d continues visit %s of track %d (evidence tier %d)", ts.track_id,
                  best.visit_id, old.track_id, best_key[0])
        best.past_looks = best.looks()
        best.continued = True
        best.track = ts
        best.unseen_since_t = None
        best.hold_place(ts.last_seen_t, None)
        best.held_looks = []
        best.walked_off = False
        best.walking_t = -math.inf
        best.standing_at = best.standing_since = None
        best.maybe_back_t = -math.inf
        self.open.pop(old.track_id, None)
        self.open[ts.track_id] = best
        ts.visit = best
        ts.role.role = ts.role.candidate = Role.CUSTOMER
        return best

    def _check_arrival(self, visit: Visit, ts: TrackState, t: float, aspect: float,
                       in_service: bool) -> None:
        # A person never seen by their face (a body alone) arrives only by standing still,
        # in the service zone too: people walking past or leaving with their backs to the
        # camera cross the service zone, and a face's evidence of attention is missing.
        if in_service and ts.face_seen:
            if len(ts.recent_faces) == 1:  # the face's first frame, in the service zone
                visit.arrival_t = self._walked_in_at(ts, t)
                # She walked in with her face hidden: seen (by her place) by then.
                visit.first_seen_t = min(visit.first_seen_t, visit.arrival_t)
            else:
                visit.arrival_t = t
            return
        radius = self.cfg.still_radius_norm
        if not ts.face_seen:  # a box's head point jitters with the box's size
            radius = max(radius, BODY_STILL_FRACTION * ts.body_width_norm)
        if visit.still is None:
            visit.still = StillDetector(self.cfg.arrival_still_s, radius)
        visit.still.radius = radius
        visit.arrival_t = visit.still.update(t, ts.x, ts.y * aspect)

    # ------------------------------------------------------------------ advancing

    def step(self, visit: Visit, t: float, wall_time: float | None) -> list[Event]:
        """Advance one open visit at frame time ``t``: ack, report, alert, leave."""
        if visit.unseen_since_t is not None:
            return self._step_unseen(visit, t, wall_time)
        role = visit.track.role.role
        if role is Role.STAFF:
            self._forget(visit)  # the track turned out to be staff: the visit never happened
            return []
        if not visit.confirmed and (role is Role.CUSTOMER or (
                role is None and visit.track.role.likely is Role.CUSTOMER
                and visit.track.look_n >= MIN_LOOK_FRAMES)):
            # A face in her clothes is taken at once; any other once its role is fixed.
            adopted = self._adopt(visit, self.aspect, clothes_only=role is None)
            if adopted is not None:
                return []  # the lost customer is back: their visit steps on from the next frame
        # A person never seen by their face is a customer only once arrived (stood still):
        # bodies walking past or leaving with their backs to the camera are not visits.
        visit.confirmed = visit.confirmed or (role is Role.CUSTOMER and (
            visit.arrival_t is not None or visit.track.face_seen))
        if visit.ack_t is None:
            self._take_eye_contact(visit)
        if not visit.confirmed:
            if t - visit.last_in_zone_t > self.grace_s:
                self._forget(visit)
            return []
        out_of_zones_s = t - visit.last_in_zone_t
        if out_of_zones_s > max(self.cfg.visit_hold_s, self.grace_s):
            return self.close(visit, t, wall_time, visit.last_in_zone_t)
        events = self._report(visit, t, wall_time)
        if out_of_zones_s <= self.grace_s:  # no alerts while the customer is outside the zones
            events += self._alerts(visit, t, wall_time)
        return events

    def _take_eye_contact(self, visit: Visit) -> None:
        contacts = visit.track.contacts_since(visit.track.acks, visit.first_seen_t)
        if contacts:
            first = min(contacts, key=lambda c: c.start_t)
            visit.ack_t = first.start_t
            visit.ack_by = AckSource.EYE_CONTACT
            visit.ack_contact = first

    def _report(self, visit: Visit, t: float, wall_time: float | None) -> list[Event]:
        """Arrival and acknowledgement events not yet sent."""
        events: list[Event] = []
        if visit.arrival_t is None:
            return events
        if not visit.arrival_reported:
            visit.arrival_reported = True
            events.append(self.factory.visit_event(EventType.CUSTOMER_ARRIVED, visit, t, wall_time))
        if visit.ack_t is not None and not visit.ack_reported:
            visit.ack_reported = True
            self.counters[visit.counter_id].last_ack_latency_s = visit.latency_s
            events.append(
                self.factory.visit_event(EventType.CUSTOMER_ACKNOWLEDGED, visit, t, wall_time))
        return events

    def _alerts(self, visit: Visit, t: float, wall_time: float | None) -> list[Event]:
        if not visit.waiting() or not self.counters[visit.counter_id].alerts_allowed(t):
            return []
        assert visit.arrival_t is not None
        events: list[Event] = []
        waited_s = t - visit.arrival_t
        hold_s = self._focus_hold_s(visit)
        if not visit.alerted and self._due(visit, self.cfg.alert_after_s + hold_s, t):
            visit.alerted = True
            events.append(self.factory.visit_event(EventType.CUSTOMER_WAITING, visit, t,
                                                   wall_time, waited_s=waited_s))
        if visit.alerted and not visit.escalated and self._due(
                visit, self.cfg.escalate_after_s + hold_s, t):
            visit.escalated = True
            events.append(self.factory.visit_event(EventType.CUSTOMER_ESCALATED, visit, t,
                                                   wall_time, waited_s=waited_s))
        return events

    def _focus_hold_s(self, visit: Visit) -> float:
        """How much later alerts come while every staff member present works in a
        focus-work zone (0 otherwise)."""
        if not visit.context.focus_only:
            return 0.0
        return max(0.0, self.cfg.focus_alert_after_s - self.cfg.alert_after_s)

    def _due(self, visit: Visit, after_s: float, t: float) -> bool:
        """Has the wait passed ``after_s`` with no look that could still acknowledge in time?"""
        assert visit.arrival_t is not None
        deadline_t = visit.arrival_t + after_s
        if t < deadline_t:
            return False
        limit_s = self.rule.dwell_s + self.rule.gap_s
        for run in visit.track.incoming.values():
            start_t = run.pending_start_t()
            if start_t is not None and start_t <= deadline_t and t <= start_t + limit_s:
                return False
        return True

    # ------------------------------------------------------------------ closing

    def close(self, visit: Visit, t: float, wall_time: float | None, left_t: float,
              interrupted: bool = False) -> list[Event]:
        """End a visit (customer gone, or shutdown when ``interrupted``)."""
        if not visit.confirmed:
            self._forget(visit)
            return []
        if visit.ack_t is None:
            self._take_eye_contact(visit)
        events = self._report(visit, t, wall_time)
        visit.left_t = left_t
        visit.outcome = _outcome(visit, interrupted)
        self._forget(visit)
        visit.track.visits_closed += 1
        if visit.outcome is Outcome.PASSED_BY and visit.unseen_since_t is not None:
            # Lost with her face hidden before she arrived, nothing reported yet: her
            # face may come back as a new track a few steps on (settle).
            self.passing.append((visit, t))
            return events
        return events + [self._left_event(visit, t, wall_time)]

    def _left_event(self, visit: Visit, t: float, wall_time: float | None) -> Event:
        assert visit.left_t is not None
        waited_s = visit.left_t - visit.arrival_t if visit.arrival_t is not None else None
        return self.factory.visit_event(EventType.CUSTOMER_LEFT, visit, t, wall_time,
                                        outcome=visit.outcome, waited_s=waited_s)

    def settle(self, t: float, wall_time: float | None, flush: bool = False) -> list[Event]:
        """Once per frame, after every open visit stepped: the visits closed unseen
        before they arrived (:attr:`passing`) that a new face continues are folded
        into its visit; the others are reported gone once no new face can be theirs
        any more (``flush``: now, at shutdown)."""
        events: list[Event] = []
        kept: list[tuple[Visit, float]] = []
        for visit, closed_t in self.passing:
            back = None if flush else self._passer_back(visit)
            if back is not None:
                self._fold(visit, back)
            elif flush or t - closed_t > PASSING_HOLD_S:
                events.append(self._left_event(visit, t, wall_time))
            else:
                kept.append((visit, closed_t))
        self.passing = kept
        return events

    def _passer_back(self, visit: Visit) -> Visit | None:
        """The open visit whose face continues one closed unseen before she arrived,
        if any: a customer's (confirmed) face, its visit seen all along (not itself a
        lost customer's continued), in her counter's zones, first seen after she was
        lost and at most ``presence_leave_s`` after her place last showed her (its
        body emptied her place: a new person's face seconds later is far more often
        a new person, passers-by come in streams), where she can have walked, in
        her clothes (someone else walking through her place empties it too); the
        first seen of several."""
        assert visit.unseen_since_t is not None and visit.left_t is not None
        left_t, leave_s = visit.left_t, self.cfg.presence_leave_s
        found: Visit | None = None
        for other in self.open.values():
            ts = other.track
            if (not other.confirmed or other.unseen_since_t is not None
                    or other.continued or other.first_seen_t < visit.unseen_since_t
                    or other.counter_id != visit.counter_id
                    or ts.visits_closed or ts.born_x is None or ts.born_y is None
                    or not visit.unseen_since_t <= ts.first_seen_t <= left_t + leave_s
                    or not self._reaches(visit, ts.born_x, ts.born_y, ts.first_seen_t)):
                continue
            same, look_d = clothes_verdict(visit.held_look, ts)
            log.debug("visit %s, closed before arriving, may be visit %s: clothes %.2f",
                      visit.visit_id, other.visit_id, look_d)
            if not same:
                continue
            if found is None or ts.first_seen_t < found.track.first_seen_t:
                found = other
        return found

    @staticmethod
    def _fold(gone: Visit, into: Visit) -> None:
        """The visit ``gone`` (closed unseen before she arrived, nothing reported) was
        the same customer's as ``into``: she was first seen then, and her looks and
        any acknowledgement on her way are this visit's."""
        log.debug("visit %s (closed unseen before arriving) continues as visit %s",
                  gone.visit_id, into.visit_id)
        into.first_seen_t = min(into.first_seen_t, gone.first_seen_t)
        into.past_looks = gone.looks() + into.past_looks
        if into.ack_t is None and gone.ack_t is not None:
            into.ack_t, into.ack_by, into.ack_contact = gone.ack_t, gone.ack_by, gone.ack_contact

    def _forget(self, visit: Visit) -> None:
        self.open.pop(visit.track_id, None)
        if visit.track.visit is visit:
            visit.track.visit = None

    # ------------------------------------------------------------------ commands

    def button_ack(self, counter_id: str, t: float, wall_time: float | None) -> list[Event]:
        """Acknowledge the longest-waiting customer (if none waits: the earliest approaching)."""
        candidates = [v for v in self.open.values()
                      if v.counter_id == counter_id and v.confirmed and v.ack_t is None]
        if not candidates:
            return []
        waiting = [v for v in candidates if v.arrival_t is not None]
        if waiting:
            visit = min(waiting, key=lambda v: v.arrival_t or 0.0)
        else:
            visit = min(candidates, key=lambda v: v.first_seen_t)
        visit.ack_t = t
        visit.ack_by = AckSource.BUTTON
        return self._report(visit, t, wall_time)


def _outcome(visit: Visit, interrupted: bool) -> Outcome:
    if interrupted:
        return Outcome.INTERRUPTED
    if visit.arrival_t is None:
        return Outcome.PASSED_BY
    return Outcome.ACKNOWLEDGED if visit.ack_t is not None else Outcome.ABANDONED

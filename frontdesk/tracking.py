"""Person tracking: stable anonymous ids across frames, an adapter over norfair.

norfair does the association (greedy global-minimum matching on a distance
matrix) and the constant-velocity Kalman prediction that carries a track
through an occlusion. This adapter adds what norfair counts in frames but we
need in seconds, because the frame rate of a live camera varies:

* a confirmed track survives ``grace_s`` seconds of observation time (``obs.t``)
  without a detection, then is dropped;
* a track is confirmed (and gets its public id) after ``min_hits`` detections;
* public ids are small integers counting up from 1, never reused by one tracker.

Distance (:func:`person_distance`): Euclidean between face centres, both axes
divided by the frame *width* (so a jump means the same on screen either way),
with two gates: at most ``max_distance_norm``, and at most
:data:`MAX_JUMP_FACE_WIDTHS` widths of the tracked face. The second gate is what
keeps a near customer's track, when its own face is missed for a frame, from
taking a small far face that appears beside it (people queueing one behind the
other, seen along the queue): 0.09 of the frame is three face widths at 2.4 m
but a whole body's sprint for one frame. A third gate, for a track *held* (unseen) for
at least :data:`SIZE_GATE_AFTER_S`, refuses a face narrower by more than a
factor :data:`MAX_SIZE_RATIO` than the track's measured width (a running
average of its detections; a wider face is let through, since people
walking toward the camera while unseen come back larger): a customer turned
away at 2.4 m (40 px) must not hand the held track to a passer-by's 21 px face
appearing beside it at 4.6 m within the grace. Points carry the face width's
logarithm as a third coordinate so the Kalman filter keeps a size estimate for the jump gate.
Two more gates keep a queue apart. A track that has stood still for
:data:`STILL_AFTER_S` takes no face farther than :data:`STILL_JUMP_FACE_WIDTHS` plus
what a person getting under way covers while it is unseen (the walker's 2.5 widths
let a queue's track, its face missed once, take the neighbour's). And a face both
much narrower (:data:`STRANGER_SIZE_RATIO`) and off the track's place is a stranger,
even through one missed frame.
Everything is scaled by ``_SCALE`` so norfair's Kalman defaults (tuned for
pixels) stay sensible.
A held track reports its last *measured* centre and head position, not the
Kalman prediction: zone tests on a prediction would move people who stand
still behind an occluder.

People, not only faces. When the observation carries fresh body boxes (an
optional person detector, ``FrameObservation.bodies_fresh``), each face is first
matched to the body it sits in (:func:`frontdesk.detectors.match_faces_to_bodies`).
A detection is then a face with its body, a face alone, or a body alone, and
every track is anchored on a *head point*: the face centre when a face is seen,
else the body's head point (:func:`frontdesk.detectors.body_head_point`). Both
land on the same spot, and the rest is learned: whenever face and body are seen
together the track records the face centre's offset from the body's head point
(in body widths) and applies it to that track's body-only detections, both for
matching and for the centre it reports. So a person keeps their track while the
face is hidden (turned away, reading a poster) as long as the body is seen, and a
person who never faces the camera gets a track of their own. A body-only
detection implies a face width of :data:`~frontdesk.detectors.fusion.FACE_PER_BODY_WIDTH`
of the body's width for the Kalman size estimate, and is never refused by the
size gate (a body's implied face is too rough for it). Body boxes carried from
an earlier detector run (``bodies_fresh`` False) are not measurements and are
ignored here; the grace period covers the frames between detector runs.

Where a body is all there is to go by, three rules keep people apart in a busy
scene (someone leaving with their back to the camera crossing someone walking
up): a body size gate (:data:`MAX_BODY_SIZE_RATIO`, see :func:`person_distance`),
no track started by a body alone that is cut at the frame's side or lies mostly
inside a tracked person's body box (:data:`BIRTH_MAX_OVERLAP`), and a penalty
that lets a face continue a face track before a body alone does
(:data:`KIND_PENALTY`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from norfair import Detection, Tracker
from norfair.distances import Distance
from norfair.filter import OptimizedKalmanFilterFactory

from frontdesk.config import TrackingConfig
from frontdesk.detectors.fusion import FACE_PER_BODY_WIDTH, body_head_point, match_faces_to_bodies
from frontdesk.types import BodyBox, Face, FrameObservation, TrackedFace

__all__ = ["PersonTracker", "person_distance",
           "MAX_JUMP_FACE_WIDTHS", "MAX_SIZE_RATIO", "SIZE_GATE_AFTER_S", "MAX_BODY_SIZE_RATIO",
           "BODY_SIZE_MEMORY_S", "BIRTH_MAX_OVERLAP", "STILL_JUMP_FACE_WIDTHS",
           "START_ACCEL_FACE_WIDTHS_S2", "STILL_RADIUS_FACES", "STILL_AFTER_S",
           "STRANGER_SIZE_RATIO"]

log = logging.getLogger(__name__)

_SCALE = 1000.0
"""Tracker units per frame width: a 1000-pixel-wide virtual frame."""
MAX_JUMP_FACE_WIDTHS = 2.5
"""Largest move between matched detections, in widths of the face (a 15 cm face
walking at 1.4 m/s moves 0.6 of its width per frame at 15 fps)."""
MAX_SIZE_RATIO = 1.6
"""Largest factor between a detection's face width and a held track's measured width
for them to be the same person. Smaller refuses more newcomers of another depth
(1.9 between 2.4 m and 4.6 m) but splits real tracks on size noise (a far face's
width varies by ~30 % frame to frame) and on people walking towards the camera
while unseen (their width grows with 1/depth)."""
DUPLICATE_RADIUS_FACES = 0.5
"""Two confirmed tracks whose centres lie within this many face widths (the wider of
the two) may be one person twice (see :data:`DUPLICATE_AFTER_S`)."""
DUPLICATE_AFTER_S = 0.5
"""Two tracks that close which take one face in turn for this long, never both seen in
one frame, are one person: the younger is dropped. The size gate below splits a
track when a face looking down shrinks its box past :data:`MAX_SIZE_RATIO`; the two
tracks then share her one face. Two people standing one behind the other are both
seen on some frame, and a person revealed where a departing one stood is seen
alone: neither alternates."""
STILL_JUMP_FACE_WIDTHS = 1.0
"""Largest move, in widths of the tracked face, between a track that has stood still for
:data:`STILL_AFTER_S` and a face seen again within a frame or two. A standing person's
face centre wanders by detector jitter (about 0.1 of a width per axis at 15 px, 2 px
of noise) and by a head's nod; it cannot cross a width and more in a frame. The
walker's :data:`MAX_JUMP_FACE_WIDTHS` let such a track, its own face missed once,
take the face of the next in a queue seen along it (seed 103 at 9975 s: 0.032 of the
frame away, faces 0.025 wide, 1.3 widths). The gate widens
with the time unseen as a person starting to walk would move
(:data:`START_ACCEL_FACE_WIDTHS_S2`), up to :data:`MAX_JUMP_FACE_WIDTHS`."""
START_ACCEL_FACE_WIDTHS_S2 = 17.0
"""How fast a standing person can get under way, in face widths per second squared
(2.5 m/s per second over a 15 cm face): in the time ``g`` since the track was last seen they
move at most half of this times ``g`` squared (0.15 of a width over two frames at 15 fps, the
whole walker's gate after 0.42 s)."""
STILL_RADIUS_FACES = 0.5
"""A track stands still while each face of it lies within this many face widths of the
running mean of its centre; a face farther off restarts the count."""
STILL_AFTER_S = 1.0
"""How long a track must have stood still before the still gate applies."""
_STILL_SMOOTHING = 0.2
"""Weight of a new face in the running mean of a still track's centre."""
STRANGER_SIZE_RATIO = MAX_SIZE_RATIO ** 2
"""A face narrower than the track by more than this factor (2.56) *and* farther than
:data:`STILL_JUMP_FACE_WIDTHS` from it is someone else, even through a dropout of a
frame: a newcomer far behind, appearing beside a customer walking up whose own face
was missed (seed 104 at 20669.8 s: a face a quarter of hers, 2.2 widths off, inside
the jump gate). Either alone is not enough: a far face's width alone varies that much
from frame to frame at its own place (the size gate through any gap split seed 103's
visits 1 -> 6), and a face two widths on is a walker's step."""
SIZE_GATE_AFTER_S = 0.3
"""The size gate applies only to a track unseen for at least this long. Shorter
gaps are detector dropouts, where the jump gate already keeps strangers out and
a noisy far face's width would otherwise split the track (four dropouts in a row
at 15 fps happen about once in 10,000 frames at a 10 % dropout rate)."""
_WIDTH_SMOOTHING = 0.3
"""Weight of a new detection in the running average of a track's log face width."""
_OFFSET_SMOOTHING = 0.3
"""Weight of a new face-and-body frame in the running average of a track's offset
between the face centre and the body's head point."""
MAX_BODY_SIZE_RATIO = 1.6
"""Largest factor, either way, between a detection's body width and the width of the
body a track was last measured with, for them to be the same person (bodies only:
see :func:`person_distance`). Two people crossing in the image at different depths
(one walking up, one leaving) differ by a factor 1.7 to 2 on the simulator; one
person's box changes by under 30 % between two detector runs, even walking
towards the camera at 1 m. After a missed run it may change more: the limit grows
with the time since the track's body was measured (:data:`BODY_GROWTH_S`)."""
BIRTH_MAX_OVERLAP = 0.5
"""A body alone starts no track when this share of the smaller of its box and a tracked
person's body box lies in both (see :meth:`PersonTracker._refuse_crowded_births`)."""
KIND_PENALTY = 20.0
"""Added to the distance (point units: 0.02 of the frame width, 26 px at 1280) of a pair a
face could better make (see :func:`person_distance`): a body alone against a track last
seen by its face while a face fits that track too, or a face against a track last seen
by its body alone and unseen for longer than a track last seen by its face within the
face's gates. A face's centre is measured to a pixel or two; a body's head point only to
a few per cent of its box, and a track followed by a body alone predicts from boxes
every third frame, cut at the frame's edge. On the simulator the wrong pairs it undoes
were 1 to 11 units closer than the right ones; 60 also undid right pairs (a queue, one
person's face missed twice: their face went to the neighbour's track)."""
BODY_GROWTH_S = 0.25
"""The body size gate allows :data:`MAX_BODY_SIZE_RATIO` per this long since the track's
body was last measured (a missed detector run: someone walking up to the counter at
1 m grows by a factor 1.75 in 0.4 s)."""
BODY_SIZE_MEMORY_S = 1.0
"""A track's body width is compared only while at most this old."""
_BODY_WIDTH_SMOOTHING = 0.5
"""Weight of a new box in the running average of a track's log body width."""
_EDGE_FRACTION = 0.02
"""A body box this close to the frame's left or right edge (fraction of the frame
width) is taken as cut there: its width says nothing about the person's size. Not
zero: a detector's box edge at the frame's border wanders a few pixels inside."""


@dataclass
class _Seen:
    """One detection of a person this frame: a face, a body, or both.

    ``u``, ``v`` is the raw head point in pixels: the face centre, or for a body
    alone :func:`body_head_point` (before any track's learned offset).
    """

    face: Face | None
    body: BodyBox | None
    u: float
    v: float
    log_width: float


@dataclass
class _TrackRecord:
    """What the adapter remembers about one norfair object."""

    first_seen_t: float
    last_seen_t: float
    hits: int
    center_norm: tuple[float, float]
    head_position_m: np.ndarray | None
    log_width: float
    """Running average of the measured face width's logarithm, in point units."""
    public_id: int | None = None
    offset_bw: tuple[float, float] | None = None
    """Face centre minus the body's head point, in body widths (None: never seen together)."""
    body_log_width: float | None = None
    """Running average of the log width of the track's uncut body boxes, point units."""
    body_seen_t: float = -math.inf
    """When ``body_log_width`` was last updated."""
    by_body: bool = False
    """The latest detection was a body without a face."""
    still_xy: tuple[float, float] | None = None
    """Running mean of the face centre (point units) while it stands still."""
    still_since_t: float = math.inf
    """Since when its faces lie within :data:`STILL_RADIUS_FACES` of ``still_xy``."""


@dataclass
class _Pair:
    """Two confirmed tracks at one place: since when, and which took the face."""

    since_t: float
    apart: bool = False
    """Both were seen on one frame: two people."""
    old_seen: bool = False
    young_seen: bool = False


class PersonTracker:
    """Give each person a stable anonymous id across frames, by their face, body or both.

    A track is anchored on the person's head point: the face centre when the face
    is seen, else the body's head point moved by the track's learned offset.

    Args:
        tracking_cfg: ``grace_s`` (longer keeps people through occlusions but
            lets a newcomer inherit a leaver's id), ``max_distance_norm`` (larger
            follows fast movers but swaps neighbours), ``min_hits`` (larger
            suppresses flickering false faces but delays first sight).
    """

    def __init__(self, tracking_cfg: TrackingConfig):
        self.cfg = tracking_cfg
        self._records: dict[int, _TrackRecord] = {}
        self._pairs: dict[tuple[int, int], _Pair] = {}
        """Pairs of confirmed tracks standing at one place (see :data:`DUPLICATE_AFTER_S`)."""
        self._next_public_id = 1
        self._last_t: float | None = None
        self._now = 0.0
        self._tracker = self._new_tracker()

    def _new_tracker(self) -> Tracker:
        tracker = Tracker(
            distance_function="euclidean",  # replaced below by person_distance
            distance_threshold=self.cfg.max_distance_norm * _SCALE,
            hit_counter_max=1,  # lifetimes are managed here, in seconds
            initialization_delay=0,
            past_detections_length=0,
            filter_factory=OptimizedKalmanFilterFactory(),
        )
        tracker.distance_function = _FaceDistance(self)  # type: ignore[assignment]
        return tracker

    def _object_columns(self, obj: object) -> tuple[float, ...]:
        """(measured log width, seconds unseen, offset x, offset y in body widths, log body
        width or NaN, 1.0 when last seen by the body alone, seconds since the body was
        measured, 1.0 when standing still) of a norfair object, for the size gates,
        body-only candidates, the kind penalty and the still gate."""
        rec = self._records.get(id(obj))
        if rec is None:
            est = float(obj.estimate.ravel()[2])  # type: ignore[attr-defined]
            return est, 0.0, 0.0, 0.0, math.nan, 0.0, math.inf, 0.0
        ox, oy = rec.offset_bw if rec.offset_bw is not None else (0.0, 0.0)
        body = math.nan
        if rec.body_log_width is not None and self._now - rec.body_seen_t <= BODY_SIZE_MEMORY_S:
            body = rec.body_log_width
        still = not rec.by_body and rec.still_since_t <= rec.last_seen_t - STILL_AFTER_S
        return (rec.log_width, self._now - rec.last_seen_t, ox, oy, body,
                1.0 if rec.by_body else 0.0, self._now - rec.body_seen_t, 1.0 if still else 0.0)

    def reset(self) -> None:
        """Forget every track (e.g. after the camera went offline). Ids keep counting up."""
        self._records.clear()
        self._pairs.clear()
        self._last_t = None
        self._tracker = self._new_tracker()

    def update(self, obs: FrameObservation) -> list[TrackedFace]:
        """Advance one frame (also with no faces) and return the confirmed tracks.

        Tracks held through a miss are returned with ``face=None`` and ``body=None``.
        """
        if self._last_t is not None and obs.t < self._last_t:
            log.warning("frame time went backwards (%.3f after %.3f): tracks reset", obs.t,
                        self._last_t)
            self.reset()
        self._last_t = obs.t
        self._now = obs.t
        width = float(obs.width) if obs.width > 0 else 1.0
        seen = _people(obs, width)
        detections = [_detection(p, i, width, obs.width) for i, p in enumerate(seen)]
        self._tracker.update(detections=detections)
        matched = {id(d): d.data[0] for d in detections}
        self._refuse_crowded_births(seen, matched, obs.width)
        out: list[TrackedFace] = []
        fresh: set[int] = set()
        for obj in list(self._tracker.tracked_objects):
            index = matched.get(id(obj.last_detection))
            person = seen[index] if index is not None else None
            tracked = self._advance(obj, person, obs)
            if tracked is not None:
                out.append(tracked)
                if person is not None:
                    fresh.add(tracked.track_id)
        dropped = self._drop_duplicates(fresh, obs)
        return [t for t in out if t.track_id not in dropped] if dropped else out

    def _drop_duplicates(self, fresh: set[int], obs: FrameObservation) -> set[int]:
        """Drop the younger of two confirmed tracks that take one face in turn at one
        place (:data:`DUPLICATE_AFTER_S`); returns the public ids dropped."""
        live = [(obj, rec, rec.public_id) for obj in self._tracker.tracked_objects
                if (rec := self._records.get(id(obj))) is not None and rec.public_id is not None]
        if len(live) < 2:
            self._pairs.clear()
            return set()
        aspect = obs.height / obs.width if obs.width > 0 else 1.0
        pairs: dict[tuple[int, int], _Pair] = {}
        dropped: set[int] = set()
        for i, (obj_a, a, id_a) in enumerate(live):
            for obj_b, b, id_b in live[i + 1:]:
                if id_a in dropped or id_b in dropped:
                    continue
                key, young_obj = ((id_a, id_b), obj_b) if id_a < id_b else ((id_b, id_a), obj_a)
                width = math.exp(max(a.log_width, b.log_width) / _SCALE)
                dx = a.center_norm[0] - b.center_norm[0]
                dy = (a.center_norm[1] - b.center_norm[1]) * aspect
                if dx * dx + dy * dy > (DUPLICATE_RADIUS_FACES * width) ** 2:
                    continue
                pair = pairs[key] = self._pairs.get(key) or _Pair(obs.t)
                seen_old, seen_young = key[0] in fresh, key[1] in fresh
                if seen_old and seen_young:
                    pair.apart = True  # two faces at once: two people
                pair.old_seen |= seen_old
                pair.young_seen |= seen_young
                if (not pair.apart and pair.old_seen and pair.young_seen
                        and obs.t - pair.since_t >= DUPLICATE_AFTER_S):
                    log.debug("tracks %d and %d took one face in turn for %.1f s: %d dropped",
                              key[0], key[1], obs.t - pair.since_t, key[1])
                    self._drop(young_obj)
                    dropped.add(key[1])
        self._pairs = pairs
        return dropped

    def _refuse_crowded_births(self, seen: list[_Seen], matched: dict[int, int],
                               frame_width: float) -> None:
        """Drop this frame's new tracks that a body alone would start where it cannot
        tell one person from another: a box cut at the frame's side (someone entering
        or leaving there, whose box and head point move with the cut), or a box lying
        for the most part (:data:`BIRTH_MAX_OVERLAP`) inside or around the body of a
        person already tracked (someone passing behind or in front of them). A face
        starts a track anywhere; such a body gets one once it stands clear."""
        if not any(p.face is None for p in seen):
            return
        new, held_bodies = [], []
        for obj in self._tracker.tracked_objects:
            index = matched.get(id(obj.last_detection))
            if index is None:
                continue
            person = seen[index]
            if id(obj) not in self._records:
                if person.face is None and person.body is not None:
                    new.append((obj, person.body))
            elif person.body is not None:
                held_bodies.append(person.body)
        for obj, body in new:
            if _cut_at_side(body, frame_width) or any(
                    _overlap(body, other) > BIRTH_MAX_OVERLAP for other in held_bodies):
                self._drop(obj)

    def _advance(self, obj: object, person: _Seen | None,
                 obs: FrameObservation) -> TrackedFace | None:
        """Update the record of one norfair object; None when not (or no longer) reportable."""
        key = id(obj)
        rec = self._records.get(key)
        if person is not None:
            rec = self._measure(key, rec, person, obs)
        if rec is None:
            return None
        if obs.t - rec.last_seen_t > self.cfg.grace_s:
            self._drop(obj)
            return None
        obj.hit_counter = 1  # type: ignore[attr-defined]  # keep norfair from expiring it
        if rec.public_id is None:
            if rec.hits < self.cfg.min_hits:
                return None
            rec.public_id = self._next_public_id
            self._next_public_id += 1
        return TrackedFace(
            track_id=rec.public_id,
            face=person.face if person is not None else None,
            center_norm=rec.center_norm,
            head_position_m=rec.head_position_m,
            age_s=obs.t - rec.first_seen_t,
            body=person.body if person is not None else None,
        )

    def _measure(self, key: int, rec: _TrackRecord | None, person: _Seen,
                 obs: FrameObservation) -> _TrackRecord:
        """Fold one detection into the track's record (made on its first detection)."""
        face, body = person.face, person.body
        u, v = person.u, person.v
        if face is None and body is not None and rec is not None and rec.offset_bw is not None:
            u += rec.offset_bw[0] * body.width_px  # this person's own face-to-body offset
            v += rec.offset_bw[1] * body.width_px
        center = (u / obs.width, v / obs.height)
        if rec is None:
            head = face.head_position_m if face is not None else None
            rec = _TrackRecord(obs.t, obs.t, 0, center, head, person.log_width)
            self._records[key] = rec
        if face is not None:
            rec.log_width += _WIDTH_SMOOTHING * (person.log_width - rec.log_width)
            _follow_stillness(rec, u / obs.width * _SCALE, v / obs.width * _SCALE, obs.t)
            rec.head_position_m = face.head_position_m
            if body is not None and body.width_px > 0:
                hx, hy = body_head_point(body)
                off = ((u - hx) / body.width_px, (v - hy) / body.width_px)
                if rec.offset_bw is None:
                    rec.offset_bw = off
                else:
                    k = _OFFSET_SMOOTHING
                    rec.offset_bw = (rec.offset_bw[0] + k * (off[0] - rec.offset_bw[0]),
                                     rec.offset_bw[1] + k * (off[1] - rec.offset_bw[1]))
        if body is not None and not _cut_at_side(body, obs.width):
            log_bw = math.log(body.width_px / obs.width) * _SCALE
            if rec.body_log_width is None or obs.t - rec.body_seen_t > BODY_SIZE_MEMORY_S:
                rec.body_log_width = log_bw
            else:
                rec.body_log_width += _BODY_WIDTH_SMOOTHING * (log_bw - rec.body_log_width)
            rec.body_seen_t = obs.t
        rec.by_body = face is None
        rec.last_seen_t = obs.t
        rec.hits += 1
        rec.center_norm = center
        return rec

    def _drop(self, obj: object) -> None:
        self._records.pop(id(obj), None)
        self._tracker.tracked_objects = [o for o in self._tracker.tracked_objects if o is not obj]


def _follow_stillness(rec: _TrackRecord, x: float, y: float, t: float) -> None:
    """Fold a face centre (point units) into the track's stillness (see
    :data:`STILL_JUMP_FACE_WIDTHS`)."""
    radius = STILL_RADIUS_FACES * math.exp(rec.log_width / _SCALE) * _SCALE
    if rec.still_xy is None or math.hypot(x - rec.still_xy[0], y - rec.still_xy[1]) > radius:
        rec.still_xy, rec.still_since_t = (x, y), t
        return
    k = _STILL_SMOOTHING
    rec.still_xy = (rec.still_xy[0] + k * (x - rec.still_xy[0]),
                    rec.still_xy[1] + k * (y - rec.still_xy[1]))


def person_distance(candidates: np.ndarray, objects: np.ndarray) -> np.ndarray:
    """Distance matrix (candidates x objects) between stacked points (x, y, log width).

    Objects may carry two more columns: the measured log width and the seconds
    the track has been unseen (without them: the estimated log width, held long
    enough for the size gate). The centre distance, or ``_FAR`` where it exceeds
    :data:`MAX_JUMP_FACE_WIDTHS` widths of the tracked face, or where a track held
    for :data:`SIZE_GATE_AFTER_S` is wider than the candidate by more than :data:`MAX_SIZE_RATIO`.

    Candidates may be bodies seen without a face: they may carry two more columns,
    1.0 for a body-only detection and the body's width in point units. Objects may
    then carry two more: the track's learned offset of its face centre from its
    body's head point (x, y, body widths). A body-only candidate is moved by each
    track's own offset before the distance is taken, and the face size gate does
    not apply to it.

    The body size gate (candidates' sixth column: the log width of their body box,
    NaN when it has none or the box is cut at the frame's side; objects' eighth:
    the track's log body width of the last :data:`BODY_SIZE_MEMORY_S`, NaN for none,
    and ninth: 1.0 when the track was last seen by its body alone): where a body is
    all there is to go by (a body-only candidate, or any candidate with a body
    against a track last seen by its body alone), a body whose width differs by
    more than a factor :data:`MAX_BODY_SIZE_RATIO` either way from the track's is
    refused. It keeps apart two people crossing in the image at different depths:
    one walking up to the counter, one leaving with their back to the camera.
    Without bodies nothing is gated by it. The factor is allowed per
    :data:`BODY_GROWTH_S` since the track's body was measured (objects' tenth column).

    The kind penalty (:data:`KIND_PENALTY`): a face is measured far more precisely than
    a body's head point, so where a face can continue a face track it should. A body
    alone against a track last seen by its face costs more while a face candidate also
    fits that track; a face against a track last seen by its body alone costs more when
    a track last seen by its face, within the face's gates, was seen more recently.
    Without bodies every track is a face track and every candidate a face: nothing
    changes.

    The still gate (objects' eleventh column, 1.0 for a track standing still): a face
    farther than :data:`STILL_JUMP_FACE_WIDTHS` widths, plus what a person starting to
    walk covers in the time the track has been unseen, is refused. At any time, a face
    both narrower by :data:`STRANGER_SIZE_RATIO` and farther than
    :data:`STILL_JUMP_FACE_WIDTHS` widths is refused.
    """
    cand_xy = np.broadcast_to(candidates[:, None, :2], (len(candidates), len(objects), 2))
    if candidates.shape[1] >= 5 and objects.shape[1] >= 7:
        body = candidates[:, 3] > 0.5
        shift = candidates[:, None, 4:5] * objects[None, :, 5:7]
        cand_xy = cand_xy + np.where(body[:, None, None], shift, 0.0)
    else:
        body = np.zeros(len(candidates), dtype=bool)
    d = cand_xy - objects[None, :, :2]
    dist = np.sqrt(np.sum(d * d, axis=2))
    width = np.exp(objects[:, 2] / _SCALE) * _SCALE
    if objects.shape[1] >= 5:
        ref_log_width, held = objects[:, 3], objects[:, 4] >= SIZE_GATE_AFTER_S
    else:
        ref_log_width, held = objects[:, 2], np.ones(len(objects), dtype=bool)
    # Only a face much SMALLER than the held track is refused: someone walking
    # toward the camera while unseen comes back larger (rendered footage showed a
    # customer lost for 0.7 s on her way to the counter returning 1.6x wider).
    shrink = (ref_log_width[None, :] - candidates[:, None, 2]) / _SCALE
    face_jump = np.full(len(objects), MAX_JUMP_FACE_WIDTHS)  # the still gate: faces only
    if objects.shape[1] >= 11:
        gap = objects[:, 4]
        still_jump = STILL_JUMP_FACE_WIDTHS + 0.5 * START_ACCEL_FACE_WIDTHS_S2 * gap * gap
        face_jump = np.where(objects[:, 10] > 0.5, np.minimum(face_jump, still_jump), face_jump)
    jump = np.where(body[:, None], MAX_JUMP_FACE_WIDTHS, face_jump[None, :])
    stranger = (~body[:, None] & (shrink > _MAX_LOG_STRANGER_RATIO)
                & (dist > STILL_JUMP_FACE_WIDTHS * width[None, :]))
    gated = (dist > jump * width[None, :]) | stranger | (
        held[None, :] & ~body[:, None] & (shrink > _MAX_LOG_SIZE_RATIO))
    if candidates.shape[1] >= 6 and objects.shape[1] >= 9:
        # Bodies only where a body is all there is to go by: a body-only candidate, or
        # a track last seen by its body alone. A face's own width is too noisy far
        # away (a 40 px face varies by 30 %) to stand for a body.
        applies = body[:, None] | (objects[None, :, 8] > 0.5)
        with np.errstate(invalid="ignore"):  # NaN: no uncut box on either side
            ratio = np.abs(candidates[:, None, 5] - objects[None, :, 7]) / _SCALE
            limit = np.full(len(objects), _MAX_LOG_BODY_RATIO)
            if objects.shape[1] >= 10:  # a body last measured longer ago may have grown more
                limit = _MAX_LOG_BODY_RATIO * np.maximum(1.0, objects[:, 9] / BODY_GROWTH_S)
            gated |= applies & (ratio > limit[None, :])
        dist = dist + _kind_penalty(body, gated, objects[:, 4], objects[:, 8] > 0.5)
    return np.where(gated, _FAR, dist)


def _kind_penalty(body_only: np.ndarray, gated: np.ndarray, unseen: np.ndarray,
                  by_body: np.ndarray) -> np.ndarray:
    """:data:`KIND_PENALTY` on the pairs that a face could better make (see
    :func:`person_distance`): a body alone against a track last seen by its face that
    has a face candidate within its gates; a face against a track last seen by its body
    alone and unseen for longer than a track last seen by its face within the face's
    gates."""
    face_cand = ~body_only
    open_ = ~gated
    track_has_face = np.any(open_ & face_cand[:, None], axis=0) & ~by_body
    freshest_face_track = np.where(open_ & face_cand[:, None] & ~by_body[None, :],
                                   unseen[None, :], np.inf).min(axis=1)
    staler = unseen[None, :] > freshest_face_track[:, None] + 1e-6
    penalise = ((body_only[:, None] & track_has_face[None, :])
                | (face_cand[:, None] & staler & by_body[None, :]))
    return np.where(penalise, KIND_PENALTY, 0.0)


class _FaceDistance(Distance):
    """norfair distance: :func:`person_distance` on detections against each track's
    estimate plus its measured width, time unseen and face-to-body offset, which the
    adapter keeps."""

    def __init__(self, owner: PersonTracker):
        self._owner = owner

    def get_distances(self, objects, candidates):  # type: ignore[no-untyped-def,unused-ignore]
        out = np.full((len(candidates or []), len(objects)), np.inf, dtype=np.float64)
        if not objects or not candidates:
            return out
        cands = np.stack([_candidate_row(c) for c in candidates])
        objs = np.stack([np.concatenate([o.estimate.ravel()[:3], self._owner._object_columns(o)])
                         for o in objects])
        return person_distance(cands, objs)


def _candidate_row(c: object) -> np.ndarray:
    """(x, y, log width, body only, body width, log body width or NaN) of a detection
    (a track: not a body)."""
    if isinstance(c, Detection):
        point = np.asarray(c.points, dtype=float).ravel()[:3]
        _, body_only, body_width, body_log_width = c.data
        return np.array([*point, body_only, body_width, body_log_width], dtype=float)
    estimate = np.asarray(c.estimate, dtype=np.float64).ravel()[:3]  # type: ignore[attr-defined]
    return np.array([*estimate, 0.0, 0.0, math.nan], dtype=float)


_FAR = 1e9
_MAX_LOG_SIZE_RATIO = math.log(MAX_SIZE_RATIO)
_MAX_LOG_STRANGER_RATIO = math.log(STRANGER_SIZE_RATIO)
_MAX_LOG_BODY_RATIO = math.log(MAX_BODY_SIZE_RATIO)


def _overlap(a: BodyBox, b: BodyBox) -> float:
    """Intersection over the smaller box's area (1.0: one box inside the other)."""
    iw = min(a.x1, b.x1) - max(a.x0, b.x0)
    ih = min(a.y1, b.y1) - max(a.y0, b.y0)
    if iw <= 0 or ih <= 0:
        return 0.0
    smaller = min(a.width_px * a.height_px, b.width_px * b.height_px)
    return iw * ih / smaller if smaller > 0 else 0.0


def _cut_at_side(body: BodyBox, frame_width: float) -> bool:
    margin = _EDGE_FRACTION * frame_width
    return body.x0 <= margin or body.x1 >= frame_width - margin


def _log_width(face: Face, width: float) -> float:
    return math.log(max(face.size_px, 1.0) / width) * _SCALE


def _people(obs: FrameObservation, width: float) -> list[_Seen]:
    """This frame's detections of people: faces with their bodies, faces alone, bodies alone."""
    faces = obs.faces
    bodies = obs.bodies if obs.bodies_fresh else []
    if not bodies:
        return [_Seen(f, None, *f.center_px, _log_width(f, width)) for f in faces]
    pairs = {m.face_index: m.body_index for m in match_faces_to_bodies([f.bbox for f in faces],
                                                                        bodies)}
    out = [_Seen(f, bodies[pairs[i]] if i in pairs else None, *f.center_px,
                 _log_width(f, width)) for i, f in enumerate(faces)]
    taken = set(pairs.values())
    for j, b in enumerate(bodies):
        if j in taken or b.width_px <= 0:
            continue
        face_px = max(FACE_PER_BODY_WIDTH * b.width_px, 1.0)
        out.append(_Seen(None, b, *body_head_point(b), math.log(face_px / width) * _SCALE))
    return out


def _detection(person: _Seen, index: int, width: float, frame_width: float) -> Detection:
    point = [person.u / width * _SCALE, person.v / width * _SCALE, person.log_width]
    body = person.body
    body_log_width = math.nan
    if body is not None and body.width_px > 0 and not _cut_at_side(body, frame_width):
        body_log_width = math.log(body.width_px / width) * _SCALE
    if person.face is None and body is not None:
        data = (index, 1.0, body.width_px / width * _SCALE, body_log_width)
    else:
        data = (index, 0.0, 0.0, body_log_width)
    # data: (index, body only, body width, log body width or NaN)
    return Detection(np.array([point]), data=data)

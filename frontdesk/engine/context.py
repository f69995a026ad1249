"""Staff context: what the staff present were doing while a customer waited.

Pure and per frame. For one waiting customer at one counter, every staff member
present (role staff, measured or held in that counter's staff zone or one of its
focus zones) gets one *activity* this frame, the first that applies:

============== =====================================================================
focus_work     standing in a zone marked as focus work (``zones.focus``): a
               dispensing bench, a safe, a cash count; not expected to look up
talking        looking at a colleague's head while the colleague looks back (both
               within :data:`CONTEXT_CONE_DEG`), or while the colleague's face is
               hidden; or, face hidden, looked at by a colleague (two staff side
               by side along the counter face each other, and a camera beside the
               counter sees only the face turned toward it)
serving_other  looking at another customer of the counter (within the cone)
looking_down   gaze pitched down more than ``engine.looking_down_deg`` below the
               camera's horizontal (a till, paperwork, a screen); or a face only the
               detector reads, turned toward the camera (:data:`COARSE_FACING_MAX_DEG`)
attentive      gaze within :data:`ATTENTIVE_MAX_DEG` of the direction to the
               waiting customer (looking toward her side of the counter)
turned_away    anything else: the gaze points elsewhere, or the face is hidden
               while the body is seen (back to the counter)
============== =====================================================================

With nobody present the frame is ``absent``. The frame's *shares* split it evenly
among the staff present (two staff talking: all of it ``talking``; one talking
one attentive: half each). A :class:`ContextTally` adds the frames' shares up,
weighted by their duration, from arrival to acknowledgement (or departure); the
*dominant* context is the one with the largest share, ties broken by
:data:`CONTEXTS` order.

The cone test is the eye-contact one (:class:`~frontdesk.engine.contact.GazeCone`),
wider, without a dwell: a context is a share of time, not an event, and a frame
that misreads the gaze moves a share by one frame only.

The vocabulary (:class:`Context` values) is part of the MQTT contract and the
store: add words, never rename one.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np

from frontdesk.engine.contact import GazeCone
from frontdesk.engine.places import PRESENCE_MIN_FRACTION, CellMasks, place_cells
from frontdesk.engine.zones import Role, ZoneMap
from frontdesk.geometry import cos_angle_to_point, person_box_norm
from frontdesk.types import OccupancyGrid

if TYPE_CHECKING:
    from frontdesk.engine.tracks import TrackState
    from frontdesk.engine.visits import Visit

__all__ = [
    "Context",
    "CONTEXTS",
    "CONTEXT_CONE_DEG",
    "ATTENTIVE_MAX_DEG",
    "COARSE_FACING_MAX_DEG",
    "Head",
    "ContextRule",
    "activity",
    "frame_shares",
    "ContextTally",
    "ContextWatch",
]

Vec3 = tuple[float, float, float]


class Context(str, Enum):
    """What the staff present were doing (a stable vocabulary: MQTT and the store)."""

    ATTENTIVE = "attentive"
    TALKING = "talking"
    SERVING_OTHER = "serving_other"
    LOOKING_DOWN = "looking_down"
    TURNED_AWAY = "turned_away"
    ABSENT = "absent"
    FOCUS_WORK = "focus_work"


CONTEXTS: tuple[Context, ...] = tuple(Context)
"""Every context, in the order ties are broken and reports list them."""

CONTEXT_CONE_DEG = 20.0
"""Half-angle of the cone for "looking at a colleague" and "looking at another
customer". Wider than the eye-contact cone (12 degrees): with 5 degrees of gaze
noise per axis a 12-degree cone misses one frame in six, and a mutual look (two
gazes) one in three; no dwell is needed, so a wider cone costs little."""

ATTENTIVE_MAX_DEG = 45.0
"""A staff member whose gaze is within this of the direction to the waiting
customer's head is attentive (looking toward her side of the counter). A colleague
beside them (0.75 m along the counter) is about 58 degrees off that direction, the
back shelf 180."""


@dataclass(frozen=True)
class Head:
    """One person's head this frame, camera frame (metres).

    ``gaze`` is None when the face was not measured this frame (body only).
    ``coarse``: the gaze is the detector keypoints' head pose, not Face Mesh's (see
    :data:`COARSE_FACING_MAX_DEG`).
    """

    track_id: int
    position: Vec3
    gaze: Vec3 | None = None
    coarse: bool = False
    down_when_lost: bool = False
    """Face hidden (``gaze`` None), and its last measured gaze was looking down on the
    camera's side: a head bent over the till loses its face to the camera
    (Face Mesh and the detector give up on a strong pitch) and is still looking down;
    one that turned away from the camera to lose it is turned away."""


COARSE_FACING_MAX_DEG = 60.0
"""A staff face the detector finds but Face Mesh cannot read, turned at most this far
from the camera, is looking down. Face Mesh loses a head pitched far down (at a till
35 to 55 degrees below the horizontal, seen from a camera 1.9 m up) while the
detector still finds it, and the keypoints' pose then reads the pitch near level
(rendered footage: 3 to 6 degrees down for a head at the till); a face in profile
also loses its mesh but is turned further from the camera."""


class ContextRule:
    """The settings the activities are judged with.

    Args:
        looking_down_deg: a gaze pitched more than this below the camera's horizontal
            is looking down (``engine.looking_down_deg``).
        cone_deg: half-angle of the cone for looking at a colleague or another customer.
        attentive_max_deg: a gaze within this of the waiting customer is attentive.
    """

    __slots__ = ("looking_down_deg", "cone", "_sin_down", "_cos_attentive", "_cos_facing")

    def __init__(self, looking_down_deg: float = 25.0, cone_deg: float = CONTEXT_CONE_DEG,
                 attentive_max_deg: float = ATTENTIVE_MAX_DEG):
        self.looking_down_deg = looking_down_deg
        self.cone = GazeCone(cone_deg)
        self._sin_down = math.sin(math.radians(looking_down_deg))
        self._cos_attentive = math.cos(math.radians(attentive_max_deg))
        self._cos_facing = math.cos(math.radians(COARSE_FACING_MAX_DEG))

    def pitched_down(self, gaze: Vec3) -> bool:
        """Whether ``gaze`` points more than ``looking_down_deg`` below the horizontal
        (camera frame: y is down)."""
        gx, gy, gz = gaze
        norm = math.sqrt(gx * gx + gy * gy + gz * gz)
        return norm > 0.0 and gy / norm > self._sin_down

    def facing_camera(self, me: Head, gaze: Vec3) -> bool:
        """Whether ``gaze`` is within :data:`COARSE_FACING_MAX_DEG` of the camera."""
        return cos_angle_to_point(me.position, gaze, (0.0, 0.0, 0.0)) >= self._cos_facing

    def toward(self, me: Head, gaze: Vec3, target: Vec3) -> bool:
        """Whether ``gaze`` from ``me`` is within ``attentive_max_deg`` of ``target``."""
        return cos_angle_to_point(me.position, gaze, target) >= self._cos_attentive


def _looks_at(rule: ContextRule, me: Head, other: Head) -> bool:
    return me.gaze is not None and rule.cone.contains(me.position, me.gaze, other.position)


def activity(me: Head, customer: Head, colleagues: Sequence[Head], others: Sequence[Head],
             rule: ContextRule, in_focus: bool = False) -> Context:
    """What one staff member is doing with respect to the waiting ``customer``.

    ``colleagues``: the other staff present (``me`` may be among them);
    ``others``: the counter's other customers (the waiting one may be among them).
    """
    if in_focus:
        return Context.FOCUS_WORK
    gaze = me.gaze
    mates = [m for m in colleagues if m.track_id != me.track_id]
    if gaze is None:  # face hidden: turned to a colleague who looks at me, down, or away
        if any(_looks_at(rule, mate, me) for mate in mates):
            return Context.TALKING
        return Context.LOOKING_DOWN if me.down_when_lost else Context.TURNED_AWAY
    for mate in mates:
        if _looks_at(rule, me, mate) and (mate.gaze is None or _looks_at(rule, mate, me)):
            return Context.TALKING
    for other in others:
        if other.track_id != customer.track_id and _looks_at(rule, me, other):
            return Context.SERVING_OTHER
    if rule.pitched_down(gaze) or (me.coarse and rule.facing_camera(me, gaze)):
        return Context.LOOKING_DOWN
    if rule.toward(me, gaze, customer.position):
        return Context.ATTENTIVE
    return Context.TURNED_AWAY


def frame_shares(activities: Iterable[Context]) -> dict[Context, float]:
    """One frame's shares: the staff present's activities split evenly; none: absent."""
    acts = list(activities)
    if not acts:
        return {Context.ABSENT: 1.0}
    out: dict[Context, float] = {}
    for a in acts:
        out[a] = out.get(a, 0.0) + 1.0 / len(acts)
    return out


class ContextTally:
    """Context shares of one wait, added up frame by frame.

    :meth:`add` takes a frame's shares and how long the frame stands for;
    :attr:`focus_only` says whether, on the latest frame, staff were present and
    every one of them was in focus work (the alert hold, ``engine.focus_alert_after_s``).
    """

    __slots__ = ("seconds", "total_s", "focus_only", "last_t")

    def __init__(self) -> None:
        self.seconds: dict[Context, float] = {}
        self.total_s = 0.0
        self.focus_only = False
        self.last_t: float | None = None

    def add(self, t: float, shares: Mapping[Context, float], frame_s: float) -> None:
        """Add the frame at ``t``; it stands for the time since the previous one (at
        most ``frame_s`` on the first frame or after a stall of over 0.5 s)."""
        dt = frame_s if self.last_t is None else t - self.last_t
        if dt > 0.5 or dt <= 0.0:
            dt = frame_s
        self.last_t = t
        self.focus_only = shares.get(Context.FOCUS_WORK, 0.0) >= 1.0 - 1e-9
        if dt <= 0.0:
            return
        for ctx, share in shares.items():
            self.seconds[ctx] = self.seconds.get(ctx, 0.0) + share * dt
        self.total_s += dt

    def shares(self) -> dict[str, float]:
        """Share of the wait per context (every word, rounded to 0.001; empty: no time)."""
        if self.total_s <= 0.0:
            return {}
        return {c.value: round(self.seconds.get(c, 0.0) / self.total_s, 3) for c in CONTEXTS}

    def dominant(self) -> Context | None:
        """The context with the largest share (None before any time was added)."""
        if self.total_s <= 0.0:
            return None
        return max(CONTEXTS, key=lambda c: (self.seconds.get(c, 0.0), -CONTEXTS.index(c)))


TURNING_WINDOW_S = 0.4
TURNING_MIN_DEG = 15.0
"""A face lost while its gaze moved more than this over the last :data:`TURNING_WINDOW_S`
was turning (to the back shelf, to a colleague): it is not taken as looking down."""

UNSEEN_STAFF_MAX_S = 900.0
"""The longest a member of staff is kept present on their occupied place alone (as
``engine.presence_max_s`` for customers)."""

STAFF_ZONE_OCCUPIED_MIN = 0.08
"""With perception's occupancy grid: a counter with no staff present whose staff zone
has at least this share of its cells occupied (outside the customers seen) has
someone there whose face the camera never saw: turned away, not absent. A member of
staff 1.5 m from the camera covers 15 to 30 % of the default scene's staff zone; a
stray cell is 0.2 %."""


@dataclass
class _Staff:
    """A member of staff present at a counter this frame.

    ``head`` is None when held (neither face nor body measured, or a track just
    lost): the activity of the last frame with a head stands."""

    track_id: int
    head: Head | None
    in_focus: bool


@dataclass
class _Place:
    """Where a member of staff stood (steady face: x, y, width), at which counter."""

    counter_id: str
    in_focus: bool
    position: Vec3
    face: tuple[float, float, float]
    down: bool
    """Their last measured gaze was looking down."""
    lost_t: float = 0.0
    """When the track was lost (once unseen)."""


class ContextWatch:
    """The engine's glue: each frame, the staff context of every waiting customer.

    Staff present at a counter: tracks whose role is (likely) staff, measured or
    held, last measured in the counter's staff zone or one of its focus zones. A
    staff member held this frame keeps the activity of their last measured frame
    for that customer. With perception's occupancy grid a member of staff whose
    track was lost (turned to a colleague or the back shelf: the face gone) stays
    present, face hidden, while their place (head and upper body, as for an unseen
    customer: :func:`~frontdesk.engine.places.place_cells`) stays occupied; with
    nobody present, an occupied staff zone (:data:`STAFF_ZONE_OCCUPIED_MIN`) is
    someone turned away, else the counter is absent.
    """

    def __init__(self, rule: ContextRule, zones: ZoneMap):
        self.rule = rule
        self.zones = zones
        self._last: dict[tuple[int, str], Context] = {}
        self._masks = CellMasks()
        self._t = 0.0
        self._places: dict[int, _Place] = {}
        """The latest place of every staff track present, by track id."""
        self._unseen: dict[int, _Place] = {}
        """Staff whose track was lost while their place stays occupied."""
        self._gazes: dict[int, deque[tuple[float, Vec3]]] = {}
        """Each staff track's measured gazes over the last :data:`TURNING_WINDOW_S`."""
        self._cos_turning = math.cos(math.radians(TURNING_MIN_DEG))

    def step(self, tracks: Sequence[TrackState], visits: Iterable[Visit], t: float,
             frame_s: float, occupancy: OccupancyGrid | None = None,
             aspect: float = 1.0) -> None:
        self._t = t
        staff: dict[str, list[_Staff]] = {}
        customers: dict[str, list[Head]] = {}
        ids = set()
        for ts in tracks:
            ids.add(ts.track_id)
            likely = ts.role.likely
            if likely is Role.STAFF:
                self._place_staff(ts, staff)
            elif likely is Role.CUSTOMER and ts.visit is not None and ts.face_fresh:
                customers.setdefault(ts.visit.counter_id, []).append(_head(ts))
        self._keep_unseen(ids, staff, occupancy, aspect)
        waiting = [v for v in visits if v.confirmed and v.waiting()]
        if not waiting:
            self._last.clear()
            return
        keep: set[tuple[int, str]] = set()
        for visit in waiting:
            present = staff.get(visit.counter_id, [])
            heads = [p.head for p in present if p.head is not None]
            me_customer = _head(visit.track)
            others = customers.get(visit.counter_id, [])
            acts: list[Context] = []
            for p in present:
                key = (p.track_id, visit.visit_id)
                if p.head is not None:
                    act = activity(p.head, me_customer, heads, others, self.rule, p.in_focus)
                    self._last[key] = act
                else:
                    held = self._last.get(key)
                    if held is None:
                        continue
                    act = held
                keep.add(key)
                acts.append(act)
            if not acts and occupancy is not None and self._occupied(
                    occupancy, visit.counter_id, tracks, aspect):
                acts.append(Context.TURNED_AWAY)
            visit.context.add(t, frame_shares(acts), frame_s)
        for key in [k for k in self._last if k not in keep]:
            del self._last[key]

    def _place_staff(self, ts: TrackState, staff: dict[str, list[_Staff]]) -> None:
        placement = ts.placement
        if placement is None:
            return
        focus = self.zones.focus_counter(ts.x, ts.y)
        counter_id = focus if focus is not None else placement.staff_counter
        if counter_id is None:
            self._places.pop(ts.track_id, None)
            return
        in_focus = focus is not None
        staff.setdefault(counter_id, []).append(
            _Staff(ts.track_id, self._head(ts) if ts.fresh else None, in_focus))
        self._note_gaze(ts, self._t)
        face = ts.steady_face()
        if face is not None:
            self._places[ts.track_id] = _Place(counter_id, in_focus, ts.position, face,
                                               self._looked_down(ts))
        self._unseen.pop(ts.track_id, None)

    def _keep_unseen(self, ids: set[int], staff: dict[str, list[_Staff]],
                     grid: OccupancyGrid | None, aspect: float) -> None:
        """Staff lost this frame join the unseen; the unseen whose place is still
        occupied are present, face hidden."""
        for track_id in [k for k in self._places if k not in ids]:
            place = self._unseen[track_id] = self._places.pop(track_id)
            place.lost_t = self._t
        for track_id in [k for k in self._gazes if k not in ids]:
            del self._gazes[track_id]
        if grid is None:
            self._unseen.clear()
            return
        for track_id, place in list(self._unseen.items()):
            block = grid.cells[place_cells(grid, place.face, aspect)]
            if (block.size == 0 or float(block.mean()) < PRESENCE_MIN_FRACTION
                    or self._t - place.lost_t > UNSEEN_STAFF_MAX_S
                    or self._stands_there(place, aspect)):
                del self._unseen[track_id]
                continue
            staff.setdefault(place.counter_id, []).append(
                _Staff(track_id, Head(track_id, place.position, None,
                                      down_when_lost=place.down), place.in_focus))

    def _stands_there(self, place: _Place, aspect: float) -> bool:
        """Whether a member of staff seen now stands where the unseen one stood (within
        the wider face's width): the occupied place is theirs (the same person under a
        new track, or a colleague who stepped in), not a second person, face hidden."""
        x, y, w = place.face[:3]
        for seen in self._places.values():
            sx, sy, sw = seen.face[:3]
            if math.hypot(sx - x, (sy - y) * aspect) <= max(w, sw):
                return True
        return False

    def _looked_down(self, ts: TrackState) -> bool:
        """Whether the track's last measured gaze was looking down, on the camera's side
        (within 90 degrees of it: a face lost while turning away from the camera, to the
        back shelf, is turned away)."""
        if ts.gaze is None:
            return False
        head = Head(ts.track_id, ts.position, ts.gaze)
        toward_camera = cos_angle_to_point(head.position, ts.gaze, (0.0, 0.0, 0.0)) > 0.0
        down = self.rule.pitched_down(ts.gaze) or (
            not ts.gaze_from_mesh and self.rule.facing_camera(head, ts.gaze))
        return toward_camera and down and self._steady_gaze(ts.track_id)

    def _note_gaze(self, ts: TrackState, t: float) -> None:
        if not ts.face_fresh or ts.gaze is None:
            return
        recent = self._gazes.setdefault(ts.track_id, deque())
        recent.append((t, ts.gaze))
        while recent and recent[0][0] < t - TURNING_WINDOW_S:
            recent.popleft()

    def _steady_gaze(self, track_id: int) -> bool:
        """Whether the gaze held still over its last :data:`TURNING_WINDOW_S` measured
        (no turn under way when the face was lost)."""
        recent = self._gazes.get(track_id)
        if not recent:
            return False
        first, last = recent[0][1], recent[-1][1]
        return cos_angle_to_point((0.0, 0.0, 0.0), first, last) >= self._cos_turning

    def _head(self, ts: TrackState) -> Head:
        """The staff member's head this frame (face or body measured)."""
        if not ts.face_fresh:
            return Head(ts.track_id, ts.position, down_when_lost=self._looked_down(ts))
        return _head(ts)

    def _occupied(self, grid: OccupancyGrid, counter_id: str, tracks: Sequence[TrackState],
                  aspect: float) -> bool:
        """Whether the counter's staff zone is occupied by someone no customer explains."""
        mask = self._staff_mask(grid, counter_id)
        total = int(mask.sum())
        if total == 0:
            return False
        cells = grid.cells & mask
        if not cells.any():
            return False
        cells = cells.copy()
        for ts in tracks:
            if ts.role.likely is not Role.CUSTOMER or not ts.recent_faces:
                continue
            x0, y0, x1, y1 = person_box_norm(ts.x, ts.y, ts.recent_faces[-1][3], aspect)
            cells[grid.box_cells(x0, y0, x1, y1)] = False
        return int(cells.sum()) >= STAFF_ZONE_OCCUPIED_MIN * total

    def _staff_mask(self, grid: OccupancyGrid, counter_id: str) -> np.ndarray:
        return self._masks.get((id(self.zones), counter_id), grid.cells.shape,
                               self.zones.counters[counter_id].staff.contains)

def _head(ts: TrackState) -> Head:
    if not ts.face_fresh:
        return Head(ts.track_id, ts.position)
    return Head(ts.track_id, ts.position, ts.gaze, coarse=not ts.gaze_from_mesh)

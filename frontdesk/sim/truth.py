"""Ground truth: what really happened in a scene, in the engine's terms, and its file format.

Computed from the noise-free 3D scene on a fine time grid (``step_s``, 5 ms by
default), with the same definitions the engine uses (:mod:`frontdesk.engine.visits`):

* a visit is a customer whose face a detector could see (the noise-free
  detector of :mod:`frontdesk.sim.render`) while their head's image position is
  in the counter's ``approach`` or ``service`` zone, without a break, for at least
  ``role_hysteresis_s`` (+ :data:`FLEETING_MARGIN_S`): the engine takes a face
  for a customer only after that long, and a shorter glimpse is no visit;
* ``first_seen_t``: the first time the face could be detected;
* ``arrival_t``: the first time it is seen in the ``service`` zone, or the start of
  a stretch of standing still (head speed below ``STILL_SPEED_M_S``) while seen in
  the ``approach`` zone that lasts ``arrival_still_s``, whichever comes first.
  Between two sightings in the zones the person counts as seen even while the
  face is hidden (looking down at a phone, at a colleague, round the shop): a
  hidden face neither splits the visit nor restarts the stand.
  A stand lasting within two frames of ``arrival_still_s`` could count either
  way: ``arrival_alt_t`` is the arrival had it gone the other way (else None);
* ``ack_t``: the start of the first stretch, at or after ``first_seen_t``, during
  which a staff member's gaze ray (from between the eyes) passes within
  ``gaze_cone_deg`` of the customer's head *and both faces can be seen*, held for
  at least ``dwell_s`` (from its first to its last instant); shorter glances do
  not count. A look the camera cannot see cannot be measured, so it is not truth.
  Frames sample a look's ends, so a look lasting within two frames of the dwell
  may be seen as held or not: then ``ack_alt`` is true and ``ack_alt_t`` is the
  acknowledgement had it gone the other way (null: no acknowledgement);
* ``left_t``: the last time the face is seen in the counter's zones;
* ``gone_t``: the physical departure: the last time the head's image position is in
  the counter's ``approach`` or ``service`` zone, at the depth (from the camera) of
  the layout's approach or service area, while the person is there, seen or not (a
  customer who walks off facing away is gone later than she was last seen:
  ``gone_t`` >= ``left_t``). The depth is needed because the walkway runs along the
  camera's line of sight: walking back out, a head stays in the approach zone's image
  box until it vanishes at the entrance. A customer still there when the scene ends
  is gone at the end. It is what a departure is noticed against (``frontdesk eval``'s
  ``departure_delay_s``); absent (null) in truth files written before version 3
  and in labelled footage's;
* ``outcome``: ``acknowledged`` (arrived and acknowledged), ``abandoned`` (arrived,
  never acknowledged), ``passed_by`` (never arrived), ``interrupted`` (still
  there when the scene ends);
* ``alert``: an alert (``customer_waiting``) is due when the customer arrived,
  is still there at ``arrival_t + alert_after_s`` and no acknowledging look had
  started by then; ``escalation`` likewise with ``escalate_after_s`` (only after
  an alert). When the decision hinges on less than the engine can resolve (a
  look starting within two frames of the deadline, or a customer who left less
  than the tracker's ``grace_s`` before it, whom no causal system can yet know to be
  gone, or an alternative arrival that would decide otherwise), the field is
  ``null``: neither firing nor staying silent is an error.

:func:`judge_alerts` applies the alert rule to labelled times, for truth files
written from labelled footage. The file format is documented in docs/simulator.md.

Several cameras (issue 17): with ``views`` (the same scene through the counter's
other cameras), a face counts as seen when *any* camera's detector could see it;
image positions, zones and matching samples stay the first camera's. That is
the truth of the fused cameras (one engine in the first camera's frame).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from frontdesk.config import Config, CounterConfig
from frontdesk.engine.context import ContextRule, ContextTally, Head, activity, frame_shares
from frontdesk.geometry import points_in_polygon
from frontdesk.sim.layout import Area
from frontdesk.sim.render import BodyModel, DetectorModel, PersonSamples, body_boxes, sample_person
from frontdesk.sim.scene import Person, Scene
from frontdesk.sim.world import unit_rows

__all__ = [
    "TRUTH_FORMAT",
    "TRUTH_VERSION",
    "STILL_SPEED_M_S",
    "Glimpse",
    "TruthVisit",
    "Truth",
    "compute_truth",
    "judge_alerts",
    "runs",
]

log = logging.getLogger(__name__)

TRUTH_FORMAT = "frontdesk-truth"
TRUTH_VERSION = 4
"""2 added the staff context of each wait (``context``, ``context_shares``); 3 added
the physical departure (``gone_t``); 4 the glimpses (``glimpses``)."""
CONTEXT_STEP_S = 0.1
"""The staff context of a wait is judged on this grid (the engine's frames are 0.067 s)."""
STILL_SPEED_M_S = 0.02
"""A head slower than this stands still."""

SAMPLE_EVERY_S = 0.5
"""Spacing of the image positions a truth visit carries for matching."""

FLEETING_MARGIN_S = 0.25
"""A face must stay in the zones ``role_hysteresis_s`` plus this to make a visit: the
engine fixes a customer's role only after the hysteresis, counted from the track's
confirmation (a frame or two after the first sighting)."""


@dataclass
class TruthVisit:
    """One customer's visit as it really happened (times in seconds, source clock).

    ``samples`` are (t, x, y): the head's normalised image position every
    :data:`SAMPLE_EVERY_S` while seen in the zones, used to match engine visits.
    """

    visit: str
    counter_id: str
    first_seen_t: float
    left_t: float
    gone_t: float | None = None
    arrival_t: float | None = None
    arrival_by: str | None = None
    arrival_alt_t: float | None = None
    ack_t: float | None = None
    ack_staff: str | None = None
    ack_alt: bool = False
    ack_alt_t: float | None = None
    outcome: str = "passed_by"
    alert: bool | None = False
    escalation: bool | None = False
    person: str | None = None
    context: str | None = None
    context_shares: dict[str, float] | None = None
    samples: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def latency_s(self) -> float | None:
        if self.ack_t is None or self.arrival_t is None:
            return None
        return self.ack_t - self.arrival_t

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["latency_s"] = None if self.latency_s is None else round(self.latency_s, 4)
        for k in ("first_seen_t", "left_t", "gone_t", "arrival_t", "arrival_alt_t", "ack_t",
                  "ack_alt_t"):
            if d[k] is not None:
                d[k] = round(d[k], 4)
        d["samples"] = [[round(t, 3), round(x, 4), round(y, 4)] for t, x, y in self.samples]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TruthVisit:
        known = {f for f in cls.__dataclass_fields__}
        extra = set(d) - known - {"latency_s"}
        if extra:
            raise ValueError(f"unknown truth visit fields: {sorted(extra)}")
        kw = {k: v for k, v in d.items() if k in known}
        kw["samples"] = [tuple(s) for s in d.get("samples", [])]
        try:
            return cls(**kw)
        except TypeError as exc:
            raise ValueError(f"malformed truth visit: {exc}") from None


@dataclass
class Glimpse:
    """A customer seen in a counter's zones, but never for as long as
    ``role_hysteresis_s`` + :data:`FLEETING_MARGIN_S` at a stretch, so with no visit
    there in the truth: a real person there, whom the engine may take for a customer
    (docs/simulator.md, "Evaluation"). ``first_seen_t`` and ``left_t`` are the first
    and last time seen in the zones (across all of the brief stretches); ``samples``
    as :class:`TruthVisit`'s."""

    person: str
    counter_id: str
    first_seen_t: float
    left_t: float
    samples: list[tuple[float, float, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"person": self.person, "counter_id": self.counter_id,
                "first_seen_t": round(self.first_seen_t, 4), "left_t": round(self.left_t, 4),
                "samples": [[round(t, 3), round(x, 4), round(y, 4)]
                            for t, x, y in self.samples]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Glimpse:
        try:
            return cls(person=str(d["person"]), counter_id=str(d["counter_id"]),
                       first_seen_t=float(d["first_seen_t"]), left_t=float(d["left_t"]),
                       samples=[(float(t), float(x), float(y))
                                for t, x, y in d.get("samples", [])])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed truth glimpse: {exc!r}") from None


@dataclass
class Truth:
    """A truth file: the visits of one recording plus how they were judged."""

    visits: list[TruthVisit]
    duration_s: float
    engine: dict[str, float]
    source: dict[str, Any] = field(default_factory=dict)
    counters: list[str] = field(default_factory=list)
    glimpses: list[Glimpse] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": TRUTH_FORMAT,
            "version": TRUTH_VERSION,
            "duration_s": round(self.duration_s, 4),
            "counters": self.counters,
            "engine": self.engine,
            "source": self.source,
            "visits": [v.to_json() for v in self.visits],
            "glimpses": [g.to_json() for g in self.glimpses],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Truth:
        if d.get("format") != TRUTH_FORMAT:
            raise ValueError(f"not a truth file (format is {d.get('format')!r}, "
                             f"expected {TRUTH_FORMAT!r})")
        if int(d.get("version", 0)) > TRUTH_VERSION:
            raise ValueError(f"truth file version {d.get('version')} is newer than this "
                             f"frontdesk understands ({TRUTH_VERSION})")
        visits = [TruthVisit.from_json(v) for v in d.get("visits", [])]
        glimpses = [Glimpse.from_json(g) for g in d.get("glimpses", [])]
        return cls(visits=visits, duration_s=float(d.get("duration_s", 0.0)),
                   engine=dict(d.get("engine", {})), source=dict(d.get("source", {})),
                   counters=list(d.get("counters", [])), glimpses=glimpses)

    def save(self, path: str | os.PathLike[str]) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Truth:
        p = Path(path)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{p}: not valid JSON: {exc}") from None
        return cls.from_json(data)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) indices (inclusive) of each stretch of True in ``mask``."""
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return []
    padded = np.concatenate([[False], m, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def judge_alerts(arrival_t: float | None, ack_t: float | None, left_t: float,
                 after_s: float, grace_s: float, margin_s: float) -> bool | None:
    """Is an alert due ``after_s`` after arrival? None when too close to call.

    Due when the customer arrived, was still there at the deadline, and no
    acknowledging look had started by then. ``margin_s`` is the timing
    resolution (two frames); ``grace_s`` is how long the tracker holds a face it
    no longer sees, during which nobody can know the customer has gone.
    """
    if arrival_t is None:
        return False
    deadline = arrival_t + after_s
    if ack_t is not None and abs(ack_t - deadline) <= margin_s:
        return None
    if deadline - grace_s - margin_s <= left_t <= deadline + margin_s:
        return None
    if left_t < deadline:
        return False
    return ack_t is None or ack_t > deadline


def _judge_all(arrivals: list[float | None], acks: list[float | None], left_t: float,
               after_s: float, grace_s: float, margin_s: float) -> bool | None:
    """:func:`judge_alerts` over every alternative; undecided unless they all agree."""
    verdicts = {judge_alerts(a, k, left_t, after_s, grace_s, margin_s)
                for a in arrivals for k in acks}
    return verdicts.pop() if len(verdicts) == 1 else None


def _counter(config: Config, counter_id: str) -> CounterConfig:
    for c in config.counters:
        if c.id == counter_id:
            return c
    raise ValueError(f"the config has no counter {counter_id!r}")


def _grid(start: float, end: float, step: float) -> np.ndarray:
    n = int(math.floor((end - start) / step + 1e-9)) + 1
    return start + np.arange(n) * step


@dataclass
class _CustomerView:
    """A customer sampled on the truth grid, with zone membership."""

    s: PersonSamples
    in_service: np.ndarray
    in_approach: np.ndarray
    seen: np.ndarray
    """Seen at all: the face, or (with a person detector) the body."""
    held: np.ndarray
    """Seen, or there between two sightings in the zones (the face hidden, looking down or
    away): the visit goes on and its arrival is dated as if seen."""


View = tuple[Scene, DetectorModel]
"""The scene through another camera of the counter, and that camera's detector."""


def _sample(scene: Scene, person: Person, t: np.ndarray, detector: DetectorModel,
            views: Sequence[View] = ()) -> PersonSamples:
    """``sample_person`` through the scene's camera, seen when any camera sees the face."""
    s = sample_person(scene, person, t, detector)
    for other, other_detector in views:
        s.visible = s.visible | sample_person(other, person, t, other_detector).visible
    return s


def _customer_view(scene: Scene, person: Person, t: np.ndarray, counter: CounterConfig,
                   detector: DetectorModel, bodies: BodyModel | None = None,
                   views: Sequence[View] = ()) -> _CustomerView:
    s = _sample(scene, person, t, detector, views)
    seen = s.visible
    if bodies is not None:
        seen = seen | body_boxes(scene, s, bodies)[1]
    w, h = scene.layout.image_size
    pts = np.stack([s.u / w, s.v / h], axis=1)
    pts = np.nan_to_num(pts, nan=-1.0)
    zones = counter.zones
    in_service = points_in_polygon(pts, zones.service)
    in_approach = (points_in_polygon(pts, zones.approach) if zones.approach
                   else np.zeros(len(t), dtype=bool))
    return _CustomerView(s, in_service, in_approach, seen,
                         _between_sightings(seen & (in_service | in_approach), s.present) | seen)


def _between_sightings(seen_in_zones: np.ndarray, present: np.ndarray) -> np.ndarray:
    """The sightings in the zones with every gap between two of them filled where the person
    is present all through the gap: hidden faces (a look down at a phone, at a colleague,
    round the shop) do not end a visit, nor restart the stand that dates an arrival."""
    held = seen_in_zones.copy()
    stretches = runs(seen_in_zones)
    for (_, end), (start, _) in zip(stretches, stretches[1:], strict=False):
        if present[end + 1:start].all():
            held[end + 1:start] = True
    return held


def _depth_band(scene: Scene, area: Area) -> tuple[float, float]:
    """The depths (camera frame, along the optical axis) heads over ``area`` can take."""
    z = scene.layout.camera.to_camera(area.corners())[:, 2]
    return float(z.min()), float(z.max())


def _gone_t(scene: Scene, view: _CustomerView, t: np.ndarray, left_t: float) -> float:
    """The last time the person's head is in the counter's zones *and* at the depth of the
    counter's areas behind them (the layout's service and approach areas), seen or not.

    The depth matters: the walkway runs along the camera's line of sight, so a head
    walking back out to the shop's entrance stays inside the approach zone's image box
    all the way (it only shrinks): by the image alone, every customer would leave when
    she vanishes at the entrance, 8 m from the counter."""
    z = view.s.head_cam[:, 2]
    there = np.zeros(len(t), dtype=bool)
    for in_zone, area in ((view.in_service, scene.layout.service_area),
                          (view.in_approach, scene.layout.approach_area)):
        lo, hi = _depth_band(scene, area)
        there |= in_zone & (z >= lo) & (z <= hi)
    there &= view.s.present
    return max(float(t[np.flatnonzero(there)[-1]]), left_t) if there.any() else left_t


def _arrival(view: _CustomerView, person: Person, t: np.ndarray, still_s: float,
             margin_s: float) -> tuple[float | None, str | None, float | None]:
    """(arrival_t, arrival_by, arrival_alt_t).

    ``arrival_alt_t`` is the arrival had the first stand lasting within
    ``margin_s`` of ``still_s`` gone the other way (None when there is no such stand).
    """
    s = view.s
    in_zones = view.in_service | view.in_approach
    held = view.held
    if (s.visible & in_zones).any():
        service = np.flatnonzero(held & view.in_service)
        service_t = float(t[service[0]]) if len(service) else math.inf
        standing_zone = view.in_approach
    else:  # seen by the body alone: arrives only by standing still, in either zone
        service_t, standing_zone = math.inf, in_zones
    still = held & standing_zone & (person.path.speed(t) < STILL_SPEED_M_S)
    stands = [(float(t[a]), float(t[b] - t[a])) for a, b in runs(still) if t[a] < service_t]
    qualifying = [start for start, dur in stands if dur + 1e-9 >= still_s]
    arrival = min([service_t, *qualifying])
    alt: float | None = None
    for start, dur in stands:
        if start > arrival:
            break
        if abs(dur - still_s) <= margin_s:
            others = [x for x in (service_t, *qualifying) if x != start]
            alt = start if dur < still_s else min(others, default=math.inf)
            break
    alt = None if alt is None or math.isinf(alt) or alt == arrival else alt
    if math.isinf(arrival):
        return None, None, alt
    return arrival, ("service" if arrival == service_t else "still"), alt


@dataclass
class _Ack:
    """The acknowledgement and, for a look lasting about the dwell, the alternative."""

    t: float | None = None
    staff: str | None = None
    has_alt: bool = False
    alt_t: float | None = None


def _first_ack(scene: Scene, view: _CustomerView, t: np.ndarray, first_seen_t: float,
               detector: DetectorModel, cone_deg: float, dwell_s: float,
               margin_s: float, views: Sequence[View] = ()) -> _Ack:
    """The start of the first look held for the dwell (see the module docstring).

    A look lasting within ``margin_s`` of the dwell may be seen in frames as
    shorter or longer than it (frames sample its ends): the first such look
    before the acknowledgement gives the alternative.
    """
    looks: list[tuple[float, float, str]] = []  # (start, duration, staff id)
    cust = view.s
    cos_cone = math.cos(math.radians(cone_deg))
    for staff in scene.staff:
        if staff.path.end_t < t[0] or staff.path.start_t > t[-1]:
            continue
        ss = _sample(scene, staff, t, detector, views)
        to_cust = unit_rows(cust.head_world - ss.head_world)
        cos = np.sum(unit_rows(ss.gaze_world) * to_cust, axis=1)
        contact = ss.visible & cust.visible & (cos >= cos_cone) & (t >= first_seen_t - 1e-9)
        looks += [(float(t[a]), float(t[b] - t[a]), staff.id) for a, b in runs(contact)
                  if t[b] - t[a] + 1e-9 >= dwell_s - margin_s]
    looks.sort()
    held = [(start, who) for start, dur, who in looks if dur + 1e-9 >= dwell_s]
    ack = _Ack(*held[0]) if held else _Ack()
    for start, dur, _ in looks:
        if ack.t is not None and start > ack.t:
            break
        if abs(dur - dwell_s) <= margin_s:
            ack.has_alt = True
            if dur + 1e-9 >= dwell_s:  # seen as a glance, the next held look would count
                ack.alt_t = next((s for s, _ in held if s > start), None)
            else:  # seen as held, this look would count
                ack.alt_t = start
            break
    return ack


def _v3(a: np.ndarray) -> tuple[float, float, float]:
    return float(a[0]), float(a[1]), float(a[2])


AT_COUNTER_M = 0.5
"""A member of staff is at the counter (present) when their head is over the layout's
staff area widened by this much: one who walked to the back of the shop may still
appear inside the staff zone's image box, further along the camera's line of sight."""


def _at_counter(scene: Scene, head_world: np.ndarray) -> np.ndarray:
    area = scene.layout.staff_area
    x, y = head_world[:, 0], head_world[:, 1]
    m = AT_COUNTER_M
    return ((x >= area.x[0] - m) & (x <= area.x[1] + m) & (y >= area.y[0] - m)
            & (y <= area.y[1] + m))


def _context(scene: Scene, person: Person, counter: CounterConfig, start_t: float,
             end_t: float, detector: DetectorModel,
             rule: ContextRule) -> tuple[str, dict[str, float]] | None:
    """What the staff present were doing from ``start_t`` to ``end_t`` (a wait), judged
    by the engine's rules (:func:`frontdesk.engine.context.activity`) on the noise-free
    scene every :data:`CONTEXT_STEP_S`: staff present are those whose head's image
    position is in the counter's staff or focus zones and who stand at the counter
    (:data:`AT_COUNTER_M`); a staff face the camera cannot see has no gaze (turned
    away, or looking down when the true gaze is); other customers count when their
    face is seen in the counter's zones."""
    if end_t - start_t < CONTEXT_STEP_S:
        return None
    t = np.arange(start_t, end_t, CONTEXT_STEP_S)
    w, h = scene.layout.image_size
    zones = counter.zones

    def image_pts(ps: PersonSamples) -> np.ndarray:
        return np.nan_to_num(np.stack([ps.u / w, ps.v / h], axis=1), nan=-1.0)

    me = sample_person(scene, person, t, detector)
    staff = []
    for sp in scene.staff:
        if sp.path.end_t < t[0] or sp.path.start_t > t[-1]:
            continue
        ss = sample_person(scene, sp, t, detector)
        pts = image_pts(ss)
        focus = np.zeros(len(t), dtype=bool)
        for poly in zones.focus:
            focus |= points_in_polygon(pts, poly)
        here = ss.present & (points_in_polygon(pts, zones.staff) | focus) & _at_counter(
            scene, ss.head_world)
        down = np.array([rule.pitched_down(_v3(g)) for g in ss.gaze_cam])
        staff.append((sp.id, ss, here, focus, down))
    others = []
    for cp in scene.customers:
        if cp is person or cp.path.end_t < t[0] or cp.path.start_t > t[-1]:
            continue
        cs = sample_person(scene, cp, t, detector)
        pts = image_pts(cs)
        in_zones = points_in_polygon(pts, zones.service)
        if zones.approach:
            in_zones |= points_in_polygon(pts, zones.approach)
        others.append((cp.id, cs, cs.present & cs.visible & in_zones))
    tally = ContextTally()
    for k, tk in enumerate(t):
        customer = Head(-1, _v3(me.head_cam[k]))
        heads = [(Head(i, _v3(ss.head_cam[k]), _v3(ss.gaze_cam[k]) if ss.visible[k] else None,
                       down_when_lost=bool(down[k])), focus[k])
                 for i, (_, ss, here, focus, down) in enumerate(staff) if here[k]]
        mates = [hd for hd, _ in heads]
        seen = [Head(1000 + i, _v3(cs.head_cam[k])) for i, (_, cs, ok) in enumerate(others)
                if ok[k]]
        acts = [activity(hd, customer, mates, seen, rule, bool(in_focus))
                for hd, in_focus in heads]
        tally.add(float(tk), frame_shares(acts), CONTEXT_STEP_S)
    dominant = tally.dominant()
    return None if dominant is None else (dominant.value, tally.shares())


def _samples(view: _CustomerView, t: np.ndarray, image_size: tuple[int, int],
             seen: np.ndarray) -> list[tuple[float, float, float]]:
    w, h = image_size
    out: list[tuple[float, float, float]] = []
    next_t = -math.inf
    for i in np.flatnonzero(seen):
        if t[i] + 1e-9 >= next_t:
            out.append((float(t[i]), float(view.s.u[i] / w), float(view.s.v[i] / h)))
            next_t = t[i] + SAMPLE_EVERY_S
    return out


def compute_truth(scene: Scene, config: Config, fps: float, step_s: float = 0.005,
                  detector: DetectorModel | None = None,
                  bodies: BodyModel | None = None, views: Sequence[View] = ()) -> Truth:
    """The ground truth of ``scene`` judged with ``config``'s zones and engine settings.

    ``fps`` only sets the margin (two frames) inside which alert decisions are
    left open; every time is computed on the ``step_s`` grid. With ``bodies`` (a
    person detector), a customer whose body is seen is seen: visits, first
    sighting, arrival and leaving count body sightings too. Acknowledgement still
    needs both faces (no eye contact without a face; ``engine.ack_without_face``
    off). With ``views`` (the other cameras of the counter), a face is seen when any
    camera sees it.
    """
    detector = detector or DetectorModel()
    counter = _counter(config, scene.counter_id)
    ecfg = config.engine
    margin_s = 2.0 / fps
    rule = ContextRule(ecfg.looking_down_deg)
    visits: list[TruthVisit] = []
    glimpses: list[Glimpse] = []
    for person in sorted(scene.customers, key=lambda p: p.path.start_t):
        t = _grid(person.path.start_t, min(person.path.end_t, scene.duration_s), step_s)
        if len(t) < 2:
            continue
        view = _customer_view(scene, person, t, counter, detector, bodies, views)
        seen = view.seen & (view.in_service | view.in_approach)
        longest = max((t[b] - t[a] for a, b in runs(seen)), default=-1.0)
        if longest < config.engine.role_hysteresis_s + FLEETING_MARGIN_S:
            log.debug("%s is seen in the zones for %.2f s: too brief for a visit", person.id,
                      longest)
            if longest >= 0.0:
                shown = np.flatnonzero(seen)
                glimpses.append(Glimpse(
                    person=person.id, counter_id=counter.id, first_seen_t=float(t[shown[0]]),
                    left_t=float(t[shown[-1]]),
                    samples=_samples(view, t, scene.layout.image_size, seen)))
            continue
        first_seen_t = float(t[np.flatnonzero(view.seen)[0]])
        left_t = float(t[np.flatnonzero(seen)[-1]])
        gone_t = _gone_t(scene, view, t, left_t)
        arrival_t, arrival_by, arrival_alt_t = _arrival(view, person, t, ecfg.arrival_still_s,
                                                        margin_s)
        ack = _first_ack(scene, view, t, first_seen_t, detector, ecfg.gaze_cone_deg,
                         ecfg.dwell_s, margin_s, views)
        ack_t = ack.t
        interrupted = left_t > scene.duration_s - config.tracking.grace_s
        if interrupted:
            outcome = "interrupted"
        elif arrival_t is None:
            outcome = "passed_by"
        else:
            outcome = "acknowledged" if ack_t is not None else "abandoned"
        grace = config.tracking.grace_s
        arrivals = [arrival_t] + ([arrival_alt_t] if arrival_alt_t is not None else [])
        acks = [ack_t] + ([ack.alt_t] if ack.has_alt else [])
        alert = _judge_all(arrivals, acks, left_t, ecfg.alert_after_s, grace, margin_s)
        escalation = _judge_all(arrivals, acks, left_t, ecfg.escalate_after_s, grace, margin_s)
        if alert is False:
            escalation = False
        context = None
        if arrival_t is not None:
            wait_end_t = ack_t if ack_t is not None else left_t
            context = _context(scene, person, counter, arrival_t, wait_end_t, detector, rule)
        visits.append(TruthVisit(
            visit=f"v{len(visits) + 1:05d}", counter_id=counter.id, first_seen_t=first_seen_t,
            left_t=left_t, gone_t=gone_t, arrival_t=arrival_t, arrival_by=arrival_by,
            arrival_alt_t=arrival_alt_t, ack_t=ack_t, ack_staff=ack.staff,
            ack_alt=ack.has_alt, ack_alt_t=ack.alt_t, outcome=outcome, alert=alert,
            escalation=escalation,
            person=person.id, samples=_samples(view, t, scene.layout.image_size, seen),
            context=context[0] if context else None,
            context_shares=context[1] if context else None,
        ))
    engine = {
        "gaze_cone_deg": ecfg.gaze_cone_deg, "dwell_s": ecfg.dwell_s,
        "arrival_still_s": ecfg.arrival_still_s, "alert_after_s": ecfg.alert_after_s,
        "escalate_after_s": ecfg.escalate_after_s, "role_hysteresis_s": ecfg.role_hysteresis_s,
        "grace_s": config.tracking.grace_s,
    }
    return Truth(visits=visits, duration_s=scene.duration_s, engine=engine,
                 source=dict(scene.meta), counters=[counter.id], glimpses=glimpses)

"""Run the engine over observations and score its visits against a truth file.

Matching engine visits to true visits
-------------------------------------
A true visit and an engine visit are *candidates* when they belong to the same
counter and their spans ``[first_seen_t, left_t]`` overlap once each is widened by
``time_slack_s`` (the tracker's grace period: the engine closes a visit that long
after the last sighting). When both carry image positions (the truth's
``samples``; the engine's from its track view, sampled as it runs) the candidates
must also be in the same place: the median distance between the true head
position and the engine track's face centre, taken at the truth's sample times
(engine sample within half a second), must be at most ``max_distance_norm``
(normalised image units). Each candidate pair costs ``(1 - temporal IoU) +
distance / max_distance_norm``; a pair whose positions cannot be compared (one
side has no samples, or none near the other's times) costs ``(1 - temporal IoU)
+ 1``, as if its positions were at the gate: not knowing where a visit was must
never make a pair cheaper than one whose positions agree. The pairs are then
chosen together, not greedily: the assignment (each visit at most once) of least
total cost, where a visit left unmatched costs :data:`UNMATCHED_COST` (so any
candidate pair, whose cost is below 2, beats leaving both its visits
unmatched). Truth files without positions (labelled footage) are thus matched
on time alone.

Figures
-------
* ``visits_split``: true visits that, besides the engine visit matched to them,
  are a candidate of an engine visit left unmatched: the same person, place and
  time counted twice (a visit split, or re-dated by a second track); unless a
  glimpse of the truth (someone seen in the zones too briefly to make a visit,
  :class:`~frontdesk.sim.truth.Glimpse`) is a candidate of that engine visit at a
  lower cost and nearer in the picture: then it was that person's, not the
  true visit's counted twice (``engine_visits_glimpsed``);
  ``engine_visits_unmatched``: every engine visit left unmatched (splits, and
  faces no true visit explains, such as a passer-by's glimpse the truth does
  not count);
* ``latency_error_s``: over true visits with a latency (arrived and acknowledged)
  whose engine visit also has one: percentiles of ``|engine - true|`` (when the
  truth gives an alternative arrival, a stand at the threshold, the nearer one);
* ``within_0_25_s``: share of *all* true visits with a latency whose engine
  latency is within 0.25 s (unmatched or unacknowledged ones count as misses);
* ``ack_precision`` / ``ack_recall``: acknowledged or not, per visit; an
  acknowledged engine visit without a true match is a false positive. Where the
  truth offers an alternative (a stand lasting about ``arrival_still_s``, a look
  lasting about the dwell: see :mod:`frontdesk.sim.truth`) either answer is
  right: latencies are compared with the nearest, a visit whose only
  acknowledging look lasted about the dwell counts neither way, and is left out
  of ``within_0_25_s`` when the engine saw no acknowledgement;
* ``alert_precision`` / ``alert_recall``: ``customer_waiting`` raised or not, per
  visit; true visits whose alert is ``null`` (too close to call) are left out;
  likewise ``escalation_*``. A ratio with nothing to count is ``null``;
* ``outcome_agreement``: share of matched visits whose outcomes agree once both
  sides close the same way at the end of the recording. The engine closes a visit
  still open then as ``interrupted``; the truth calls a visit ``interrupted`` when
  its face was seen within ``grace_s`` of the end. The two need not agree (a
  customer still at the counter whose face was last seen 2 s before the end is
  ``acknowledged`` in the truth and ``interrupted`` by the engine), so both are
  compared as closed at the end: acknowledged (arrived, acknowledged), abandoned
  (arrived, not acknowledged) or passed_by (never arrived), from each side's own
  arrival and acknowledgement. A visit whose truth offers an alternative arrival
  or acknowledgement that would change its outcome is left out, as for
  ``ack_*``;
* ``departure_delay_s``: how soon a real departure is noticed: over matched visits
  whose customer arrived, the time of the engine's ``customer_left`` event (when it
  decided) minus the truth's ``gone_t`` (when her body last left the counter's
  zones, seen or not), as p50, p95, min, max (signed: negative is a visit closed
  while she was still there), ``count``, ``over_2_s`` (later than
  :data:`DEPARTURE_NOTICED_S`) and ``unnoticed``: visits the engine still held open
  at the end (closed as interrupted) though she had left more than 2 s before it;
  their delay counts as the end minus ``gone_t``, a lower bound; and
  ``over_2_s_held_by``: how many of the late ones each state held open longest
  between ``gone_t`` and the event (``VisitBook.hold_state``: ``walked off``,
  ``occupied``, ``emptying``, ``hidden``, ``no grid``, ``on her way``; ``seen``: a
  face followed as hers), each late visit's seconds by state in its details row
  (``late_departure_held_by``). Customers still in
  the zones when the recording ends, or gone less than 2 s before it while the engine
  held them, are left out; so are truths without ``gone_t`` (before version 3,
  labelled footage).
  ``departure_delay_passed_by_s``: the same over passers-by (never arrived). The
  engine's ``left_t`` is not this: it is the last frame she was measured in the
  zones, face or place, known only afterwards.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from frontdesk.config import Config
from frontdesk.engine.events import Event, EventType
from frontdesk.sim.truth import Glimpse, Truth, TruthVisit
from frontdesk.types import FrameObservation

__all__ = [
    "EngineVisit",
    "EngineRun",
    "run_engine",
    "match_visits",
    "evaluate",
    "score",
    "LATENCY_TOLERANCE_S",
    "UNMATCHED_COST",
]

log = logging.getLogger(__name__)

LATENCY_TOLERANCE_S = 0.25
UNMATCHED_COST = 1.0
"""What leaving one visit (true or engine) unmatched adds to the matching's total cost."""
_UNKNOWN_PLACE_COST = 1.0
"""Distance term of a pair whose positions cannot be compared: that of a pair at the gate."""
_POSITION_EVERY_S = 0.25


@dataclass
class EngineVisit:
    """One engine visit, assembled from its events (times on the source clock)."""

    visit_id: str
    counter_id: str
    track_id: int | None = None
    first_seen_t: float | None = None
    arrival_t: float | None = None
    ack_t: float | None = None
    ack_by: str | None = None
    left_t: float | None = None
    left_event_t: float | None = None
    """When the engine decided the customer had gone (its ``customer_left`` event)."""
    outcome: str | None = None
    alert: bool = False
    escalation: bool = False
    last_event_t: float = 0.0
    context: str | None = None
    samples: list[tuple[float, float, float]] = field(default_factory=list)
    holds: list[tuple[float, str]] = field(default_factory=list)
    """``(t, state)`` from each frame its state changed: ``seen`` while its face is
    followed, else what held it open unseen (``VisitBook.hold_state``)."""

    @property
    def latency_s(self) -> float | None:
        if self.ack_t is None or self.arrival_t is None:
            return None
        return self.ack_t - self.arrival_t

    @property
    def span(self) -> tuple[float, float]:
        start = self.first_seen_t if self.first_seen_t is not None else self.last_event_t
        end = self.left_t if self.left_t is not None else self.last_event_t
        return start, end

    def take(self, ev: Event) -> None:
        self.track_id = ev.track_id if ev.track_id is not None else self.track_id
        for name in ("first_seen_t", "arrival_t", "ack_t", "left_t"):
            value = getattr(ev, name)
            if value is not None:
                setattr(self, name, value)
        if ev.ack_by is not None:
            self.ack_by = ev.ack_by.value
        if ev.outcome is not None:
            self.outcome = ev.outcome.value
        if ev.context is not None:
            self.context = ev.context
        if ev.type is EventType.CUSTOMER_WAITING:
            self.alert = True
        elif ev.type is EventType.CUSTOMER_ESCALATED:
            self.escalation = True
        elif ev.type is EventType.CUSTOMER_LEFT:
            self.left_event_t = ev.t
        self.last_event_t = max(self.last_event_t, ev.t)

    def to_json(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "visit_id": self.visit_id, "counter_id": self.counter_id, "track_id": self.track_id,
            "first_seen_t": r(self.first_seen_t), "arrival_t": r(self.arrival_t),
            "ack_t": r(self.ack_t), "left_t": r(self.left_t),
            "left_event_t": r(self.left_event_t), "latency_s": r(self.latency_s),
            "outcome": self.outcome, "alert": self.alert, "escalation": self.escalation,
            "context": self.context,
        }


@dataclass
class EngineRun:
    """What one pass of the engine produced."""

    visits: list[EngineVisit]
    events: list[Event]
    frames: int
    end_t: float


def visit_samples(span: tuple[float, float], track_ids: set[int],
                  positions: dict[int, list[tuple[float, float, float]]]
                  ) -> list[tuple[float, float, float]]:
    """A visit's image positions ``(t, x, y)``: those sampled of the tracks its events
    name (``track_ids``; a face that continued her visit brings its own track),
    within its ``span``, in time order. ``positions``: by track id."""
    t0, t1 = span
    return sorted(sample for tid in track_ids for sample in positions.get(tid, [])
                  if t0 - _POSITION_EVERY_S <= sample[0] <= t1 + _POSITION_EVERY_S)


def run_engine(config: Config, observations: Iterable[FrameObservation]) -> EngineRun:
    """Feed every observation to a fresh engine, close it at the end, collect visits.

    Image positions of every measured track are sampled every 0.25 s from the
    engine's track view, for matching; a visit's samples are those of the tracks its
    events name, within its span. (Not only while its visit is confirmed: a face
    glimpsed for a second, its visit never confirmed, would have no place, and one
    with no place is a candidate of every true visit at that time, a "split" of a
    customer across the frame.)
    """
    from frontdesk.pipeline import FramePipeline

    ids = itertools.count(1)
    pipeline = FramePipeline(config, perceive=False, id_factory=lambda: f"e{next(ids):06d}")
    engine = pipeline.require_engine()
    events: list[Event] = []
    positions: dict[int, list[tuple[float, float, float]]] = {}  # by track id
    holds: dict[str, list[tuple[float, str]]] = {}  # by visit id
    next_sample_t = -math.inf
    last_t, last_wall, frames = 0.0, None, 0
    book = engine.visits
    for obs in observations:
        events += pipeline.update(obs)
        last_t, last_wall, frames = obs.t, obs.wall_time, frames + 1
        for visit in book.open.values():
            state = book.hold_state(visit) or "seen"
            changes = holds.setdefault(visit.visit_id, [])
            if not changes or changes[-1][1] != state:
                changes.append((obs.t, state))
        if obs.t + 1e-9 >= next_sample_t:
            next_sample_t = obs.t + _POSITION_EVERY_S
            for view in engine.tracks_view():
                if view.measured:
                    positions.setdefault(view.track_id, []).append(
                        (obs.t, view.center_norm[0], view.center_norm[1]))
    events += engine.finish(last_t, last_wall)
    visits: dict[str, EngineVisit] = {}
    track_ids: dict[str, set[int]] = {}
    for ev in events:
        if ev.visit_id is None:
            continue
        v = visits.get(ev.visit_id)
        if v is None:
            v = visits[ev.visit_id] = EngineVisit(ev.visit_id, ev.counter_id)
        v.take(ev)
        if ev.track_id is not None:
            track_ids.setdefault(ev.visit_id, set()).add(ev.track_id)
    for vid, v in visits.items():
        v.samples = visit_samples(v.span, track_ids.get(vid, set()), positions)
        v.holds = holds.get(vid, [])
    ordered = sorted(visits.values(), key=lambda v: v.span[0])
    return EngineRun(visits=ordered, events=events, frames=frames, end_t=last_t)


def _distance(truth: TruthVisit | Glimpse, ev: EngineVisit) -> float | None:
    """Median image distance at the truth's sample times, None without common samples."""
    if not truth.samples or not ev.samples:
        return None
    et = np.array([s[0] for s in ev.samples])
    exy = np.array([[s[1], s[2]] for s in ev.samples])
    dists = []
    for t, x, y in truth.samples:
        i = int(np.searchsorted(et, t))
        best = None
        for j in (i - 1, i):
            if 0 <= j < len(et) and abs(et[j] - t) <= 0.5 and (
                    best is None or abs(et[j] - t) < abs(et[best] - t)):
                best = j
        if best is not None:
            dists.append(math.hypot(exy[best, 0] - x, exy[best, 1] - y))
    return float(np.median(dists)) if dists else None


def match_visits(truth: list[TruthVisit], engine: list[EngineVisit],
                 time_slack_s: float = 1.0,
                 max_distance_norm: float = 0.08) -> list[tuple[int, int]]:
    """Pairs (truth index, engine index); see the module docstring for the rule."""
    return _assign(candidate_costs(truth, engine, time_slack_s, max_distance_norm))


def candidate_costs(truth: Sequence[TruthVisit | Glimpse], engine: list[EngineVisit],
                    time_slack_s: float = 1.0,
                    max_distance_norm: float = 0.08) -> dict[tuple[int, int], float]:
    """Every candidate pair (truth index, engine index) and its cost (module docstring)."""
    costs: dict[tuple[int, int], float] = {}
    for i, tv in enumerate(truth):
        t0, t1 = tv.first_seen_t - time_slack_s, tv.left_t + time_slack_s
        for j, ev in enumerate(engine):
            if ev.counter_id != tv.counter_id:
                continue
            e0, e1 = ev.span
            e0, e1 = e0 - time_slack_s, e1 + time_slack_s
            overlap = min(t1, e1) - max(t0, e0)
            if overlap <= 0:
                continue
            union = max(t1, e1) - min(t0, e0)
            iou = overlap / union if union > 0 else 1.0
            d = _distance(tv, ev)
            if d is not None and d > max_distance_norm:
                continue
            place = d / max_distance_norm if d is not None else _UNKNOWN_PLACE_COST
            costs[(i, j)] = (1.0 - iou) + place
    return costs


def _assign(costs: dict[tuple[int, int], float]) -> list[tuple[int, int]]:
    """The pairs of least total cost, each index at most once, an unmatched one
    costing :data:`UNMATCHED_COST`; solved per group of visits linked by candidates."""
    from scipy.optimize import linear_sum_assignment

    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def root(node: tuple[str, int]) -> tuple[str, int]:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for i, j in costs:
        a, b = root(("t", i)), root(("e", j))
        if a != b:
            parent[a] = b
    groups: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for i, j in costs:
        groups.setdefault(root(("t", i)), []).append((i, j))
    forbidden = 1e6
    pairs: list[tuple[int, int]] = []
    for links in groups.values():
        ts = sorted({i for i, _ in links})
        es = sorted({j for _, j in links})
        nt, ne = len(ts), len(es)
        row = {i: k for k, i in enumerate(ts)}
        col = {j: k for k, j in enumerate(es)}
        # Rows: true visits, then one "unmatched" row per engine visit; columns: engine
        # visits, then one "unmatched" column per true visit.
        m = np.full((nt + ne, ne + nt), forbidden)
        for i, j in links:
            m[row[i], col[j]] = costs[(i, j)]
        m[np.arange(nt), ne + np.arange(nt)] = UNMATCHED_COST
        m[nt + np.arange(ne), np.arange(ne)] = UNMATCHED_COST
        m[nt:, ne:] = 0.0
        rows, cols = linear_sum_assignment(m)
        for r, c in zip(rows, cols, strict=True):
            if r < nt and c < ne and m[r, c] < forbidden:
                pairs.append((ts[r], es[c]))
    return sorted(pairs)


def _arrivals(tv: TruthVisit) -> list[float]:
    """The true arrival and, for a stand at the threshold, the alternative."""
    return [a for a in (tv.arrival_t, tv.arrival_alt_t) if a is not None]


def _acks(tv: TruthVisit) -> list[float | None]:
    """The true acknowledgement and, for a look lasting about the dwell, the alternative."""
    return [tv.ack_t, tv.ack_alt_t] if tv.ack_alt else [tv.ack_t]


def _acknowledged(tv: TruthVisit) -> bool | None:
    """Acknowledged or not; None when the alternative says otherwise."""
    answers = {k is not None for k in _acks(tv)}
    return answers.pop() if len(answers) == 1 else None


def _closed_outcome(arrival_t: float | None, ack_t: float | None) -> str:
    """A visit's outcome once closed, open or not at the end of the recording."""
    if arrival_t is None:
        return "passed_by"
    return "acknowledged" if ack_t is not None else "abandoned"


def _true_outcome(tv: TruthVisit) -> str | None:
    """The true visit's closed outcome; None when an alternative (a stand or a look
    at a threshold) would change it."""
    arrivals = [tv.arrival_t] + ([tv.arrival_alt_t] if tv.arrival_alt_t is not None else [])
    outcomes = {_closed_outcome(a, k) for a in arrivals for k in _acks(tv)}
    return outcomes.pop() if len(outcomes) == 1 else None


def _latency_error(tv: TruthVisit, ev: EngineVisit) -> float:
    """Engine latency minus true latency (the nearest, when arrival or ack is ambiguous)."""
    assert ev.latency_s is not None
    latency = ev.latency_s
    options = [k - a for a in _arrivals(tv) for k in _acks(tv) if k is not None]
    return min((latency - x for x in options), key=abs)


def _ratio(num: int, den: int) -> float | None:
    return None if den == 0 else round(num / den, 4)


def _prf(pairs: list[tuple[bool | None, bool]], unmatched_engine_true: int,
         unmatched_truth_true: int) -> tuple[float | None, float | None]:
    """Precision and recall from matched (truth, engine) flags plus unmatched positives."""
    tp = sum(1 for t, e in pairs if t is True and e)
    fp = sum(1 for t, e in pairs if t is False and e) + unmatched_engine_true
    fn = sum(1 for t, e in pairs if t is True and not e) + unmatched_truth_true
    return _ratio(tp, tp + fp), _ratio(tp, tp + fn)


def _percentiles(errors: list[float], signed: bool = False) -> dict[str, float | None]:
    """p50, p95 and max of the errors' sizes; ``signed``: of the values themselves,
    with their min too."""
    keys = ("p50", "p95", "min", "max") if signed else ("p50", "p95", "max")
    if not errors:
        return dict.fromkeys(keys)
    a = np.asarray(errors) if signed else np.abs(np.asarray(errors))
    out = {"p50": round(float(np.percentile(a, 50)), 4),
           "p95": round(float(np.percentile(a, 95)), 4),
           "min": round(float(a.min()), 4), "max": round(float(a.max()), 4)}
    return {k: out[k] for k in keys}


def score(truth: Truth, run: EngineRun, time_slack_s: float | None = None,
          max_distance_norm: float = 0.08) -> dict[str, Any]:
    """The evaluation figures (see the module docstring) plus per-visit details."""
    slack = time_slack_s if time_slack_s is not None else float(truth.engine.get("grace_s", 1.0))
    tvs, evs = truth.visits, run.visits
    costs = candidate_costs(tvs, evs, slack, max_distance_norm)
    pairs = _assign(costs)
    matched_t = {i: j for i, j in pairs}
    matched_e = {j for _, j in pairs}
    # split: a true visit matched to one engine visit and a candidate of another the
    # matching left over (the same person, place and time, counted twice)
    split_of: dict[int, int] = {}  # unmatched engine visit -> the true visit it splits
    for (ti, ej), _cost in sorted(costs.items(), key=lambda kv: kv[1]):
        if ti in matched_t and ej not in matched_e:
            split_of.setdefault(ej, ti)
    glimpse_of = _glimpsed(truth.glimpses, tvs, evs, split_of, costs, slack,
                           max_distance_norm)
    for ej in glimpse_of:
        del split_of[ej]
    split = set(split_of.values())
    latency_errors: list[float] = []
    arrival_errors: list[float] = []
    within = 0
    with_latency = [i for i, tv in enumerate(tvs) if tv.latency_s is not None]
    for i in list(with_latency):
        j = matched_t.get(i)
        if j is not None and evs[j].ack_t is None and None in _acks(tvs[i]):
            with_latency.remove(i)  # a look at the dwell, seen as a glance: no latency is right
            continue
        if j is None or evs[j].latency_s is None:
            continue
        err = _latency_error(tvs[i], evs[j])
        latency_errors.append(err)
        if abs(err) <= LATENCY_TOLERANCE_S + 1e-9:
            within += 1
    for i, j in pairs:
        arrival = evs[j].arrival_t
        if tvs[i].arrival_t is not None and arrival is not None:
            arrival_errors.append(min((arrival - a for a in _arrivals(tvs[i])), key=abs))
    unmatched_e = [evs[j] for j in range(len(evs)) if j not in matched_e]
    unmatched_t = [tvs[i] for i in range(len(tvs)) if i not in matched_t]
    ack_p, ack_r = _prf([(_acknowledged(tvs[i]), evs[j].ack_t is not None) for i, j in pairs
                         if _acknowledged(tvs[i]) is not None],
                        sum(1 for e in unmatched_e if e.ack_t is not None),
                        sum(1 for t in unmatched_t if _acknowledged(t) is True))
    alert_p, alert_r = _prf([(tvs[i].alert, evs[j].alert) for i, j in pairs if tvs[i].alert
                             is not None],
                            sum(1 for e in unmatched_e if e.alert),
                            sum(1 for t in unmatched_t if t.alert is True))
    esc_p, esc_r = _prf([(tvs[i].escalation, evs[j].escalation) for i, j in pairs
                         if tvs[i].escalation is not None],
                        sum(1 for e in unmatched_e if e.escalation),
                        sum(1 for t in unmatched_t if t.escalation is True))
    outcome_pairs = [(i, j) for i, j in pairs if _true_outcome(tvs[i]) is not None]
    outcome_same = sum(1 for i, j in outcome_pairs
                       if _closed_outcome(evs[j].arrival_t, evs[j].ack_t) == _true_outcome(tvs[i]))
    figures: dict[str, Any] = {
        "visits": len(tvs),
        "visits_matched": len(pairs),
        "engine_visits": len(evs),
        "visits_split": len(split),
        "engine_visits_unmatched": len(evs) - len(matched_e),
        "engine_visits_glimpsed": len(glimpse_of),
        "latency_error_s": _percentiles(latency_errors),
        "within_0_25_s": _ratio(within, len(with_latency)),
        "alert_precision": alert_p,
        "alert_recall": alert_r,
        "ack_precision": ack_p,
        "ack_recall": ack_r,
        "escalation_precision": esc_p,
        "escalation_recall": esc_r,
        "arrival_error_s": _percentiles(arrival_errors),
        "outcome_agreement": _ratio(outcome_same, len(outcome_pairs)),
        "visits_with_latency": len(with_latency),
        "alerts_true": sum(1 for t in tvs if t.alert is True),
        "alerts_undecided": sum(1 for t in tvs if t.alert is None),
        "frames": run.frames,
    }
    figures.update(_context_figures([(tvs[i], evs[j]) for i, j in pairs]))
    figures.update(_departure_figures([(tvs[i], evs[j]) for i, j in pairs], truth.duration_s))
    details = []
    for i, tv in enumerate(tvs):
        j = matched_t.get(i)
        row: dict[str, Any] = {"truth": tv.to_json() | {"samples": None}}
        row["engine"] = evs[j].to_json() if j is not None else None
        if j is not None:
            want = _true_outcome(tv)
            row["outcome_agrees"] = None if want is None else \
                _closed_outcome(evs[j].arrival_t, evs[j].ack_t) == want
        if j is not None and tv.latency_s is not None and evs[j].latency_s is not None \
                and tv.arrival_t is not None:
            row["latency_error_s"] = round(_latency_error(tv, evs[j]), 4)
        delay = None if j is None else departure_delay(tv, evs[j], truth.duration_s)
        if delay is not None and j is not None:
            row["departure_delay_s"] = round(delay, 4)
            if _late(delay):
                row["late_departure_held_by"] = late_held_by(tv, evs[j], truth.duration_s)
        details.append(row)
    for ej, e in enumerate(evs):
        if ej not in matched_e:
            left_over: dict[str, Any] = {"truth": None, "engine": e.to_json()}
            if ej in split_of:
                left_over["split_of"] = tvs[split_of[ej]].visit
            if ej in glimpse_of:
                left_over["glimpse_of"] = glimpse_of[ej]
            details.append(left_over)
    figures["details"] = details
    return figures


DEPARTURE_NOTICED_S = 2.0
"""A person who really leaves is seen to leave within this (issue 14)."""


def _late(seconds: float) -> bool:
    """Whether ``seconds`` after her body left are more than
    :data:`DEPARTURE_NOTICED_S`: a departure noticed that long after is late, and a
    visit still open when the recording ends that long after was not noticed."""
    return seconds > DEPARTURE_NOTICED_S + 1e-9


def _glimpsed(glimpses: list[Glimpse], tvs: list[TruthVisit], evs: list[EngineVisit],
              split_of: dict[int, int], costs: dict[tuple[int, int], float], slack: float,
              max_distance_norm: float) -> dict[int, str]:
    """The left-over engine visits (among ``split_of``'s) that a glimpse explains better
    than the true visit they would split, and whose glimpse (its person): the engine
    visit is a candidate of the glimpse at a lower cost, with a known place, *and*
    nearer in the picture than the true visit when that place is known too (without
    it, the cost decides); each glimpse explains one engine visit at most (the
    cheapest). A glimpse is a real person the truth does not count (seen in the zones
    too briefly), so such a visit is someone else's, not the true visit's counted
    twice; it stays an unmatched engine visit (and a false alert or acknowledgement
    if it has one). It cannot tell a passer-by from the customer's own second track
    when the engine places her face nearer the passer-by than the truth's point
    between her eyes (a systematic offset of the face box)."""
    out: dict[int, str] = {}
    if not glimpses or not split_of:
        return out
    left = sorted(split_of)
    glimpse_costs = candidate_costs(glimpses, [evs[j] for j in left], slack, max_distance_norm)
    used: set[int] = set()  # one person, one engine visit
    for (gi, k), cost in sorted(glimpse_costs.items(), key=lambda kv: kv[1]):
        ej = left[k]
        if ej in out or gi in used:
            continue
        if cost >= costs[(split_of[ej], ej)]:
            continue
        d_glimpse = _distance(glimpses[gi], evs[ej])
        if d_glimpse is None:
            continue
        d_true = _distance(tvs[split_of[ej]], evs[ej])
        if d_true is None or d_glimpse < d_true:
            out[ej] = glimpses[gi].person
            used.add(gi)
    return out


def departure_delay(tv: TruthVisit, ev: EngineVisit, duration_s: float) -> float | None:
    """How long after the customer's body left the counter's zones for good (the truth's
    ``gone_t``) the engine decided she had gone (its ``customer_left`` event); None when
    either side does not say (a truth without ``gone_t``, a customer still in the zones
    when the recording ends). Negative: the engine closed the visit while she was still
    there. A visit the engine still held open at the end (closed as interrupted) though
    she left more than :data:`DEPARTURE_NOTICED_S` before it was not noticed at all: its
    delay is the end minus ``gone_t``, a lower bound; left out when
    she left less than that before the end (too soon to tell)."""
    if tv.gone_t is None or ev.left_event_t is None:
        return None
    if tv.gone_t >= duration_s - 1e-6:
        return None
    if ev.outcome == "interrupted" and not _late(duration_s - tv.gone_t):
        return None
    return ev.left_event_t - tv.gone_t


def late_held_by(tv: TruthVisit, ev: EngineVisit, duration_s: float) -> dict[str, float]:
    """Why a departure was noticed late: the seconds, from the truth's ``gone_t`` to
    the engine's ``customer_left`` event (the end, for one never noticed), that each
    state held the engine visit open (:attr:`EngineVisit.holds`; ``seen``: a face was
    followed as hers, her own beyond the counter's areas or someone else's)."""
    assert tv.gone_t is not None
    end = ev.left_event_t if ev.left_event_t is not None else duration_s
    out: dict[str, float] = {}
    holds = ev.holds
    for k, (t, state) in enumerate(holds):
        t_next = holds[k + 1][0] if k + 1 < len(holds) else end
        spent = min(t_next, end) - max(t, tv.gone_t)
        if spent > 0:
            out[state] = round(out.get(state, 0.0) + spent, 3)
    return out


def _signed_spread(values: list[float], unnoticed: int,
                   held_by: list[dict[str, float]] | None = None) -> dict[str, Any]:
    """p50, p95, min and max of signed values, their count, how many exceed
    :data:`DEPARTURE_NOTICED_S`, and how many were not noticed before the end;
    ``held_by`` (the late ones' :func:`late_held_by`): how many of those each state
    held longest (``over_2_s_held_by``)."""
    out: dict[str, Any] = {**_percentiles(values, signed=True), "count": len(values),
           "over_2_s": sum(_late(v) for v in values),
           "unnoticed": unnoticed}
    if held_by is not None:
        most = Counter(max(h, key=h.__getitem__) for h in held_by if h)
        out["over_2_s_held_by"] = dict(sorted(most.items()))
    return out


def _departure_figures(pairs: list[tuple[TruthVisit, EngineVisit]],
                       duration_s: float) -> dict[str, Any]:
    """How soon a real departure is noticed (:func:`departure_delay`): over matched
    visits whose customer arrived (``departure_delay_s``), and over passers-by
    (``departure_delay_passed_by_s``)."""
    arrived: list[float] = []
    passed: list[float] = []
    late: list[dict[str, float]] = []
    unnoticed = [0, 0]
    for tv, ev in pairs:
        delay = departure_delay(tv, ev, duration_s)
        if delay is not None:  # an interrupted visit with a delay was never noticed
            (arrived if tv.arrival_t is not None else passed).append(delay)
            unnoticed[tv.arrival_t is None] += int(ev.outcome == "interrupted")
            if tv.arrival_t is not None and _late(delay):
                late.append(late_held_by(tv, ev, duration_s))
    return {"departure_delay_s": _signed_spread(arrived, unnoticed[0], late),
            "departure_delay_passed_by_s": _signed_spread(passed, unnoticed[1])}


def _context_figures(pairs: list[tuple[TruthVisit, EngineVisit]]) -> dict[str, Any]:
    """How often the engine's dominant staff context is the truth's.

    Over matched visits whose truth has a context (an arrived customer who waited at
    least one truth step): ``context_right`` for the waits beyond target (the truth's
    alert is true), ``context_right_all`` for every wait, and, over the waits beyond
    target, precision and recall per context word (``context_per_word``: a word the
    engine said where the truth said another is a false positive for the one, a miss
    for the other). Truth files without contexts (version 1, labelled footage) give
    nulls and zero counts.
    """
    judged = [(tv, ev) for tv, ev in pairs if tv.context is not None]
    late = [(tv, ev) for tv, ev in judged if tv.alert is True]
    per_word: dict[str, dict[str, Any]] = {}
    words = {tv.context for tv, _ in late} | {ev.context for _, ev in late}
    for word in sorted(w for w in words if w is not None):
        tp = sum(1 for tv, ev in late if tv.context == word and ev.context == word)
        said = sum(1 for _, ev in late if ev.context == word)
        true = sum(1 for tv, _ in late if tv.context == word)
        per_word[word] = {"precision": _ratio(tp, said), "recall": _ratio(tp, true),
                          "truth": true, "engine": said}
    return {
        "context_right": _ratio(sum(1 for tv, ev in late if ev.context == tv.context),
                                len(late)),
        "context_right_all": _ratio(sum(1 for tv, ev in judged if ev.context == tv.context),
                                    len(judged)),
        "context_waits_beyond_target": len(late),
        "context_waits": len(judged),
        "context_per_word": per_word,
    }


def evaluate(truth: Truth, config: Config, observations: Iterable[FrameObservation],
             max_distance_norm: float = 0.08) -> dict[str, Any]:
    """Run the engine over ``observations`` and score it against ``truth``."""
    run = run_engine(config, observations)
    return score(truth, run, config.tracking.grace_s, max_distance_norm)


def evaluate_cameras(truth: Truth, configs: dict[str, Config],
                     streams: Mapping[str, Iterable[FrameObservation]],
                     max_distance_norm: float = 0.08) -> dict[str, Any]:
    """Several cameras of one counter (``configs``, the primary first, each with its
    pose): their observations fused into one stream in the primary's frame
    (:func:`frontdesk.fusion.fuse_streams`), the engine over it, scored against
    ``truth`` (the cameras' fused truth) as :func:`evaluate` does.

    Raises:
        FrontdeskError: a camera without a pose, counters that differ, a stream of
            an unknown camera.
    """
    from frontdesk.errors import FrontdeskError
    from frontdesk.fusion import FusionError, fuse_streams
    from frontdesk.pipeline import fusion_cameras

    cameras = fusion_cameras(configs)
    primary = configs[cameras[0].id]
    try:
        fused = fuse_streams(cameras, streams)
        run = run_engine(primary, fused)
    except FusionError as exc:
        raise FrontdeskError(f"fusion: {exc}") from None
    figures = score(truth, run, primary.tracking.grace_s, max_distance_norm)
    figures["cameras"] = list(configs)
    return figures

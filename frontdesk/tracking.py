"""Face tracking: stable anonymous ids across frames, an adapter over norfair.

norfair does the association (greedy global-minimum matching on a distance
matrix) and the constant-velocity Kalman prediction that carries a track
through an occlusion. This adapter adds what norfair counts in frames but we
need in seconds, because the frame rate of a live camera varies:

* a confirmed track survives ``grace_s`` seconds of observation time (``obs.t``)
  without a detection, then is dropped;
* a track is confirmed (and gets its public id) after ``min_hits`` detections;
* public ids are small integers counting up from 1, never reused by one tracker.

Distance (:func:`face_distance`): Euclidean between face centres, both axes
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
Everything is scaled by ``_SCALE`` so norfair's Kalman defaults (tuned for
pixels) stay sensible.
A held track reports its last *measured* centre and head position, not the
Kalman prediction: zone tests on a prediction would move people who stand
still behind an occluder.
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
from frontdesk.types import Face, FrameObservation, TrackedFace

__all__ = ["FaceTracker", "face_distance", "MAX_JUMP_FACE_WIDTHS", "MAX_SIZE_RATIO",
           "SIZE_GATE_AFTER_S"]

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
SIZE_GATE_AFTER_S = 0.3
"""The size gate applies only to a track unseen for at least this long. Shorter
gaps are detector dropouts, where the jump gate already keeps strangers out and
a noisy far face's width would otherwise split the track (four dropouts in a row
at 15 fps happen about once in 10,000 frames at a 10 % dropout rate)."""
_WIDTH_SMOOTHING = 0.3
"""Weight of a new detection in the running average of a track's log face width."""


@dataclass
class _TrackRecord:
    """What the adapter remembers about one norfair object."""

    first_seen_t: float
    last_seen_t: float
    hits: int
    center_norm: tuple[float, float]
    head_position_m: np.ndarray
    log_width: float
    """Running average of the measured face width's logarithm, in point units."""
    public_id: int | None = None


class FaceTracker:
    """Give each face a stable anonymous id across frames.

    Args:
        tracking_cfg: ``grace_s`` (longer keeps people through occlusions but
            lets a newcomer inherit a leaver's id), ``max_distance_norm`` (larger
            follows fast movers but swaps neighbours), ``min_hits`` (larger
            suppresses flickering false faces but delays first sight).
    """

    def __init__(self, tracking_cfg: TrackingConfig):
        self.cfg = tracking_cfg
        self._records: dict[int, _TrackRecord] = {}
        self._next_public_id = 1
        self._last_t: float | None = None
        self._now = 0.0
        self._tracker = self._new_tracker()

    def _new_tracker(self) -> Tracker:
        tracker = Tracker(
            distance_function="euclidean",  # replaced below by face_distance
            distance_threshold=self.cfg.max_distance_norm * _SCALE,
            hit_counter_max=1,  # lifetimes are managed here, in seconds
            initialization_delay=0,
            past_detections_length=0,
            filter_factory=OptimizedKalmanFilterFactory(),
        )
        tracker.distance_function = _FaceDistance(self)  # type: ignore[assignment]
        return tracker

    def _object_columns(self, obj: object) -> tuple[float, float]:
        """(measured log width, seconds unseen) of a norfair object, for the size gate."""
        rec = self._records.get(id(obj))
        if rec is None:
            return float(obj.estimate.ravel()[2]), 0.0  # type: ignore[attr-defined]
        return rec.log_width, self._now - rec.last_seen_t

    def reset(self) -> None:
        """Forget every track (e.g. after the camera went offline). Ids keep counting up."""
        self._records.clear()
        self._last_t = None
        self._tracker = self._new_tracker()

    def update(self, obs: FrameObservation) -> list[TrackedFace]:
        """Advance one frame (also with no faces) and return the confirmed tracks.

        Tracks held through a miss are returned with ``face=None``.
        """
        if self._last_t is not None and obs.t < self._last_t:
            log.warning("frame time went backwards (%.3f after %.3f): tracks reset", obs.t,
                        self._last_t)
            self.reset()
        self._last_t = obs.t
        self._now = obs.t
        width = float(obs.width) if obs.width > 0 else 1.0
        detections = [_detection(face, i, width) for i, face in enumerate(obs.faces)]
        self._tracker.update(detections=detections)
        matched = {id(d): d.data for d in detections}
        out: list[TrackedFace] = []
        for obj in list(self._tracker.tracked_objects):
            face_index = matched.get(id(obj.last_detection))
            face = obs.faces[face_index] if face_index is not None else None
            tracked = self._advance(obj, face, obs)
            if tracked is not None:
                out.append(tracked)
        return out

    def _advance(self, obj: object, face: Face | None, obs: FrameObservation) -> TrackedFace | None:
        """Update the record of one norfair object; None when not (or no longer) reportable."""
        key = id(obj)
        rec = self._records.get(key)
        if face is not None:
            center = (face.center_px[0] / obs.width, face.center_px[1] / obs.height)
            log_width = _log_width(face, float(obs.width) if obs.width > 0 else 1.0)
            if rec is None:
                rec = _TrackRecord(obs.t, obs.t, 0, center, face.head_position_m, log_width)
                self._records[key] = rec
            rec.log_width += _WIDTH_SMOOTHING * (log_width - rec.log_width)
            rec.last_seen_t = obs.t
            rec.hits += 1
            rec.center_norm = center
            rec.head_position_m = face.head_position_m
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
            face=face,
            center_norm=rec.center_norm,
            head_position_m=rec.head_position_m,
            age_s=obs.t - rec.first_seen_t,
        )

    def _drop(self, obj: object) -> None:
        self._records.pop(id(obj), None)
        self._tracker.tracked_objects = [o for o in self._tracker.tracked_objects if o is not obj]


def face_distance(candidates: np.ndarray, objects: np.ndarray) -> np.ndarray:
    """Distance matrix (candidates x objects) between stacked points (x, y, log width).

    Objects may carry two more columns: the measured log width and the seconds
    the track has been unseen (without them: the estimated log width, held long
    enough for the size gate). The centre distance, or ``_FAR`` where it exceeds
    :data:`MAX_JUMP_FACE_WIDTHS` widths of the tracked face, or where a track held
    for :data:`SIZE_GATE_AFTER_S` is wider than the candidate by more than :data:`MAX_SIZE_RATIO`.
    """
    d = candidates[:, None, :2] - objects[None, :, :2]
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
    gated = (dist > MAX_JUMP_FACE_WIDTHS * width[None, :]) | (
        held[None, :] & (shrink > _MAX_LOG_SIZE_RATIO))
    return np.where(gated, _FAR, dist)


class _FaceDistance(Distance):
    """norfair distance: :func:`face_distance` on detections against each track's
    estimate plus its measured width and time unseen, which the adapter keeps."""

    def __init__(self, owner: FaceTracker):
        self._owner = owner

    def get_distances(self, objects, candidates):  # type: ignore[no-untyped-def]
        out = np.full((len(candidates or []), len(objects)), np.inf, dtype=np.float64)
        if not objects or not candidates:
            return out
        cands = np.stack([np.asarray(c.points if isinstance(c, Detection) else c.estimate,
                                     dtype=float).ravel()[:3] for c in candidates])
        objs = np.stack([np.concatenate([o.estimate.ravel()[:3], self._owner._object_columns(o)])
                         for o in objects])
        return face_distance(cands, objs)


_FAR = 1e9
_MAX_LOG_SIZE_RATIO = math.log(MAX_SIZE_RATIO)


def _log_width(face: Face, width: float) -> float:
    return math.log(max(face.size_px, 1.0) / width) * _SCALE


def _detection(face: Face, index: int, width: float) -> Detection:
    cx, cy = face.center_px
    point = [cx / width * _SCALE, cy / width * _SCALE, _log_width(face, width)]
    return Detection(np.array([point]), data=index)

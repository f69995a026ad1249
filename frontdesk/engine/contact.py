"""Eye contact: the gaze cone, and looks held for a dwell despite noise and dropped frames.

The cone: a target's head is looked at when the angle between the observer's
gaze and the direction from the observer's head to the target's head is at most
the cone's half-angle (``engine.gaze_cone_deg``), edge included.
:class:`GazeCone` is the per-frame scalar test the engine runs on every pair;
:func:`in_cone` the vectorised one for batches, tools and tests.

One :class:`GazeRun` follows one ordered pair (observer looking at target). Each
frame it receives whether the target's head is inside the observer's gaze cone:
``True``, ``False`` or ``None`` (unknown: the observer's face was not measured
this frame).

A *run* starts at the first in-cone frame and continues while the gaps between
in-cone frames stay within ``gap_s``; out-of-cone and unknown frames inside a
gap do not end it, so one noisy or dropped frame never resets a dwell. The run
becomes a :class:`Contact` when

* it has lasted ``dwell_s``: from its first to its latest in-cone frame plus one
  frame period (each frame stands for one period of time; without it a look of
  exactly the dwell would, on average, measure one frame short), and
* at least ``min_fraction`` of its measured frames were in the cone.

A run that ends before that was a *glance* and is forgotten. The contact's
``start_t`` is the run's first in-cone frame: the moment a person labelling the
video would mark as "looked at the customer", not the moment the dwell was
satisfied (which is ``confirmed_t``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from frontdesk.geometry import angle_to_point_deg, cos_angle_to_point

__all__ = ["GazeCone", "in_cone", "Contact", "GazeRun", "DwellRule"]

_TIME_EPS_S = 1e-6


def in_cone(
    origin: np.ndarray, direction: np.ndarray, point: np.ndarray, half_angle_deg: float
) -> np.ndarray | bool:
    """True where ``point`` lies within ``half_angle_deg`` of the ray (boundary included).

    With ``origin`` the observer's head, ``direction`` their gaze and ``point`` the
    target's head: whether the observer looks at the target. Broadcasts like
    :func:`~frontdesk.geometry.angle_to_point_deg`; one point gives a bool.
    """
    inside = np.asarray(angle_to_point_deg(origin, direction, point)) <= half_angle_deg
    return bool(inside) if inside.ndim == 0 else inside


class GazeCone:
    """The gaze cone of half-angle ``half_angle_deg``, scalar fast path (no numpy).

    :meth:`contains` compares the cosine of the eye-contact angle with the
    half-angle's (a larger cosine is a smaller angle); the edge counts as inside.
    """

    __slots__ = ("half_angle_deg", "cos_half_angle")

    def __init__(self, half_angle_deg: float):
        self.half_angle_deg = half_angle_deg
        self.cos_half_angle = math.cos(math.radians(half_angle_deg))

    def contains(self, origin: Sequence[float], direction: Sequence[float],
                 point: Sequence[float]) -> bool:
        """Whether ``point`` lies in the cone around the ray (``origin``, ``direction``).

        ``direction`` need not be unit length; a zero one contains nothing.
        """
        return cos_angle_to_point(origin, direction, point) >= self.cos_half_angle

    def contains_within(self, origin: Sequence[float], direction: Sequence[float],
                        point: Sequence[float], point_uncertainty: float) -> bool:
        """:meth:`contains`, allowing for how far off the target head's distance may be.

        Positions are in the camera frame, so scaling one by a factor moves it
        along the camera's ray through it: the direction to the target head is
        precise (its place in the image), its range uncertain by the given
        fraction (:attr:`frontdesk.types.Face.range_uncertainty`). The look holds
        if some position within that range passes the test (sampled at the ends,
        the middle and between: the angle changes smoothly along the ray). A
        misread face size (dim light, darker skin, glasses) then does not move the
        target out of a look that is really at it. The observer's own distance is
        taken as measured: allowing for both would widen the cone twice over.
        """
        if self.contains(origin, direction, point):
            return True
        best = -1.0
        for b in _factors(point_uncertainty):
            if b == 1.0:
                continue
            best = max(best, cos_angle_to_point(origin, direction,
                                                (point[0] * b, point[1] * b, point[2] * b)))
        return best >= self.cos_half_angle


def _factors(uncertainty: float) -> tuple[float, ...]:
    """Range factors sampled across ``1 +/- uncertainty`` (just 1 when there is none)."""
    if uncertainty <= 0.0:
        return (1.0,)
    u = min(uncertainty, 0.9)
    return (1.0 - u, 1.0 - u / 2, 1.0, 1.0 + u / 2, 1.0 + u)


@dataclass(frozen=True)
class DwellRule:
    """When a run of in-cone frames counts as eye contact.

    Attributes:
        dwell_s: the run must span this long (first to latest in-cone frame).
        gap_s: the longest gap between in-cone frames that does not end the run.
        min_fraction: the least fraction of measured frames in the run that are in the cone.
    """

    dwell_s: float
    gap_s: float
    min_fraction: float = 0.5


@dataclass
class Contact:
    """A held look from ``observer_id`` at ``target_id``.

    ``end_t`` is the last in-cone frame once the look is over, None while it lasts.
    """

    observer_id: int
    target_id: int
    start_t: float
    confirmed_t: float
    end_t: float | None = None

    def overlaps(self, other: Contact, now_t: float) -> bool:
        """True when the two looks were held at the same time (open ends run to ``now_t``)."""
        self_end = self.end_t if self.end_t is not None else now_t
        other_end = other.end_t if other.end_t is not None else now_t
        return self.start_t <= other_end and other.start_t <= self_end


class GazeRun:
    """Dwell detector for one observer looking at one target."""

    __slots__ = ("observer_id", "target_id", "start_t", "last_in_t", "in_frames", "out_frames",
                 "contact")

    def __init__(self, observer_id: int, target_id: int):
        self.observer_id = observer_id
        self.target_id = target_id
        self.start_t: float | None = None
        self.last_in_t = 0.0
        self.in_frames = 0
        self.out_frames = 0
        self.contact: Contact | None = None

    @property
    def idle(self) -> bool:
        """No run in progress: the pair can be forgotten."""
        return self.start_t is None

    def pending_start_t(self) -> float | None:
        """Start of a run that may still become a contact (None if none or already one)."""
        if self.start_t is None or self.contact is not None:
            return None
        return self.start_t

    def step(self, t: float, in_cone: bool | None, rule: DwellRule,
             frame_s: float = 0.0) -> Contact | None:
        """Feed one frame (``frame_s``: the frame period); return the contact when confirmed."""
        if in_cone:
            return self._hit(t, rule, frame_s)
        if self.start_t is None:
            return None
        if t - self.last_in_t > rule.gap_s + _TIME_EPS_S:
            self.end()
            return None
        if in_cone is False:
            self.out_frames += 1
        return None

    def _hit(self, t: float, rule: DwellRule, frame_s: float) -> Contact | None:
        if self.start_t is None:
            self.start_t = t
            self.in_frames = 0
            self.out_frames = 0
        self.last_in_t = t
        self.in_frames += 1
        if self.contact is not None:
            return None
        held_s = t - self.start_t + frame_s
        fraction = self.in_frames / (self.in_frames + self.out_frames)
        if held_s + _TIME_EPS_S >= rule.dwell_s and fraction >= rule.min_fraction:
            self.contact = Contact(self.observer_id, self.target_id, self.start_t, t)
            return self.contact
        return None

    def end(self) -> None:
        """Close the run: a confirmed contact gets its end time, a glance is dropped."""
        if self.contact is not None:
            self.contact.end_t = self.last_in_t
        self.contact = None
        self.start_t = None

"""Per-track engine state: smoothed head and gaze, zones, role, looks given and received."""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING

import numpy as np

from frontdesk.engine.contact import Contact, GazeRun
from frontdesk.engine.zones import Placement, Role, RoleState
from frontdesk.geometry import blend_unit

if TYPE_CHECKING:
    from frontdesk.engine.visits import Visit

__all__ = ["TrackState", "Smoothing"]

Vec3 = tuple[float, float, float]


class Smoothing:
    """Exponential smoothing time constants, in seconds (0: no smoothing)."""

    __slots__ = ("gaze_s", "position_s")

    def __init__(self, gaze_s: float, position_s: float):
        self.gaze_s = gaze_s
        self.position_s = position_s

    @staticmethod
    def keep(dt_s: float, tau_s: float) -> float:
        """Weight of the previous value after ``dt_s`` for time constant ``tau_s``."""
        if tau_s <= 0.0 or dt_s <= 0.0:
            return 0.0
        return math.exp(-dt_s / tau_s)


BODY_RANGE_UNCERTAINTY = 0.3
"""How far off a head's range from a body box may be (fraction): the box's height
depends on the floor being in view and on posture."""

RECENT_FACE_S = 1.5
"""How far back :meth:`TrackState.steady_face` looks: long enough that a single
inflated first box or the alternating detector passes do not move the median,
short enough that a customer who stepped along the counter is placed where she is."""
MOVING_FACE_S = 0.4
"""... and how far back while the face moved more than its own width in that time
(walking up): the median of a walk lags behind where she stopped."""


LOOK_SNAPSHOTS = 20
"""How many past signatures of a track are kept (a minute at 15 fps)."""
LOOK_FRAMES = 45
"""The clothes' signature is a running mean over about this many frames (3 s at 15
fps): long enough to average out arms and passers-by, short enough to follow a
coat taken off."""


class TrackState:
    """Everything the engine remembers about one tracked person (face, body or both).

    Attributes:
        first_seen_t: when the tracker first detected this person.
        last_seen_t: the latest frame that measured the person, by face or body (not
            a held frame).
        fresh: True when this frame measured the person's head point (face or body).
        face_fresh: True when this frame measured the face (and so the gaze).
        last_face_t: the latest frame with a measured face (-inf: never).
        range_from_face: the head's range comes from a face (else from a body box).
        gaze_from_mesh: the latest face's gaze came from Face Mesh and the irises
            (else from the detector's keypoints alone: coarse).
        range_uncertainty: how far off ``range_m`` may be, as a fraction of it (the
            face's :attr:`~frontdesk.types.Face.range_uncertainty`, smoothed like
            the range; :data:`BODY_RANGE_UNCERTAINTY` from a body box).
        body_width_norm: width of the latest body box, fraction of the frame width.
        x, y: face centre, normalised image coordinates (last measured).
        born_x, born_y: face centre at the first measurement.
        born_width_norm: the face's width at its first measurement (fraction of
            the frame width; None before a face was seen).
        position: head position, metres, camera frame: the measured direction from the
            camera with a smoothed range (distance from the camera).
        gaze: smoothed unit gaze, or None before the first measurement.
        placement: zones at the last measured centre.
        home_counter: for staff, the counter whose staff zone they were last in.
        incoming: gaze runs of other tracks looking at this one, by observer id.
        acks: confirmed looks from staff at this track (customers only).
        looks: confirmed looks of this track at staff (customers only).
        visit: the open visit of a customer, if any.
        visits_closed: how many visits this track has finished.
        look: the mean colour signature of the clothes under the face
            (:mod:`frontdesk.perception.appearance`) over its latest
            :data:`LOOK_FRAMES` measurements, None before the first; ``look_n``
            how many were taken.
        recent_faces: ``(t, x, y, width)`` of the face over the last
            :data:`RECENT_FACE_S` seconds (normalised; width by the frame width), for
            :meth:`steady_face`.
    """

    __slots__ = ("track_id", "first_seen_t", "last_seen_t", "fresh", "face_fresh", "last_face_t",
                 "range_from_face", "body_width_norm", "x", "y", "born_x",
                 "born_y", "position",
                 "range_m", "gaze", "placement", "role", "home_counter", "incoming", "acks",
                 "looks", "visit", "visits_closed", "recent_faces", "born_width_norm",
                 "range_uncertainty", "gaze_from_mesh", "look", "look_n", "look_snapshots",
                 "_steady")

    def __init__(self, track_id: int, first_seen_t: float):
        self.track_id = track_id
        self.first_seen_t = first_seen_t
        self.last_seen_t = first_seen_t
        self.fresh = False
        self.face_fresh = False
        self.last_face_t = -math.inf
        self.range_from_face = False
        self.body_width_norm = 0.0
        self.x = 0.0
        self.y = 0.0
        self.born_x: float | None = None
        self.born_y = 0.0
        self.position: Vec3 = (0.0, 0.0, 0.0)
        self.range_m = 0.0
        self.gaze: Vec3 | None = None
        self.placement: Placement | None = None
        self.role = RoleState()
        self.home_counter: str | None = None
        self.incoming: dict[int, GazeRun] = {}
        self.acks: list[Contact] = []
        self.looks: list[Contact] = []
        self.visit: Visit | None = None
        self.visits_closed = 0
        self.recent_faces: deque[tuple[float, float, float, float]] = deque()
        self.born_width_norm: float | None = None
        self.range_uncertainty = BODY_RANGE_UNCERTAINTY
        self.gaze_from_mesh = False
        self.look: np.ndarray | None = None
        self.look_n = 0
        self.look_snapshots: list[np.ndarray] = []
        """:attr:`look` as it was every :data:`LOOK_FRAMES` measurements (at most
        :data:`LOOK_SNAPSHOTS`, the latest kept): the clothes as they showed over
        the whole track, some of it with nobody in front of them."""
        self._steady: tuple[float, tuple[float, float, float]] | None = None

    @property
    def likely_role(self) -> Role | None:
        return self.role.likely

    @property
    def face_seen(self) -> bool:
        """Whether this person's face was ever measured (not a body-only track)."""
        return self.last_face_t > -math.inf

    def measure(self, t: float, x: float, y: float, position: Vec3, gaze: Vec3,
                smoothing: Smoothing, range_uncertainty: float = 0.0,
                gaze_from_mesh: bool = True) -> None:
        """Take one frame's face measurement, smoothing position and gaze over time."""
        dt_s = t - self.last_seen_t
        self.gaze_from_mesh = gaze_from_mesh
        px, py, pz = position
        range_m = math.sqrt(px * px + py * py + pz * pz)
        self.face_fresh = True
        self.last_face_t = t
        if self.gaze is None or range_m <= 0.0 or not self.range_from_face:
            self.range_from_face = range_m > 0.0
            self.range_uncertainty = range_uncertainty
            self.range_m = range_m
            self.position = position
            self.gaze = blend_unit(gaze, gaze, 0.0)
            self._moved(t, x, y)
            return
        # The direction to the head comes from its image position (precise); its
        # range comes from the apparent size of the face (noisy): smooth the range only.
        k = Smoothing.keep(dt_s, smoothing.position_s)
        self.range_m = k * self.range_m + (1.0 - k) * range_m
        self.range_uncertainty = k * self.range_uncertainty + (1.0 - k) * range_uncertainty
        scale = self.range_m / range_m
        self.position = (px * scale, py * scale, pz * scale)
        if smoothing.gaze_s > 0.0:
            self.gaze = blend_unit(self.gaze, gaze, Smoothing.keep(dt_s, smoothing.gaze_s))
        else:
            self.gaze = gaze  # perception's gaze is unit length
        self._moved(t, x, y)

    def locate(self, t: float, x: float, y: float, position: Vec3,
               smoothing: Smoothing) -> None:
        """Take one frame's body-only measurement: a head point, no gaze.

        ``position`` is the head point's direction at a range from the track's
        face when it had one (kept as is), else from the body box (smoothed like
        a face's range).
        """
        px, py, pz = position
        range_m = math.sqrt(px * px + py * py + pz * pz)
        if self.range_from_face or self.range_m <= 0.0 or range_m <= 0.0:
            self.range_m = range_m
            self.position = position
        else:
            k = Smoothing.keep(t - self.last_seen_t, smoothing.position_s)
            self.range_m = k * self.range_m + (1.0 - k) * range_m
            scale = self.range_m / range_m
            self.position = (px * scale, py * scale, pz * scale)
        self._moved(t, x, y)

    def _moved(self, t: float, x: float, y: float) -> None:
        if self.born_x is None:
            self.born_x, self.born_y = x, y
        self.x, self.y = x, y
        self.last_seen_t = t
        self.fresh = True

    def note_face_box(self, t: float, x: float, y: float, width_norm: float) -> None:
        """Remember where the face was and how wide (see :meth:`steady_face`)."""
        if self.born_width_norm is None:
            self.born_width_norm = width_norm
        faces = self.recent_faces
        faces.append((t, x, y, width_norm))
        while faces and faces[0][0] < t - RECENT_FACE_S:
            faces.popleft()

    def note_look(self, signature: np.ndarray) -> None:
        """Take one frame's colour signature of the clothes (see :attr:`look`)."""
        self.look_n += 1
        if self.look is None:
            self.look = np.array(signature, dtype=np.float32)
        else:
            self.look += (signature - self.look) / min(self.look_n, LOOK_FRAMES)
        if self.look_n % LOOK_FRAMES == 0:
            self.look_snapshots.append(self.look.copy())
            del self.look_snapshots[:-LOOK_SNAPSHOTS]

    def steady_face(self) -> tuple[float, float, float] | None:
        """Median centre and width of the face over its last :data:`RECENT_FACE_S`
        seconds seen: where the person stood, robust to one inflated box or to the
        detector's passes disagreeing by a few pixels. None: never seen by a face."""
        if not self.recent_faces:
            return None
        last_t = self.recent_faces[-1][0]
        if self._steady is not None and self._steady[0] == last_t:
            return self._steady[1]  # asked again before a new face: the same answer
        faces = list(self.recent_faces)
        xs = [f[1] for f in faces]
        w_last = faces[-1][3]
        if max(xs) - min(xs) > w_last:  # walking: where she is now, not where she was
            last_t = faces[-1][0]
            faces = [f for f in faces if f[0] >= last_t - MOVING_FACE_S]
        xs = sorted(f[1] for f in faces)
        ys = sorted(f[2] for f in faces)
        ws = sorted(f[3] for f in faces)
        mid = len(faces) // 2
        steady = xs[mid], ys[mid], ws[mid]
        self._steady = (last_t, steady)
        return steady

    def contacts_since(self, contacts: list[Contact], since_t: float) -> list[Contact]:
        return [c for c in contacts if c.start_t >= since_t - 1e-9]

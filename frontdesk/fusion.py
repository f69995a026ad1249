"""Fusion (issue 17): heads from several cameras of one counter, in one world, fed to
one engine.

Two pure steps associate heads:

* :func:`heads_in_world`: one camera's faces of one frame as :class:`WorldHead`
  records: the head's position and gaze in the counter's floor frame (through
  the camera's :class:`~frontdesk.world.WorldPose`), the ray it was seen along,
  how far along that ray it may be off, and the frame's capture time.
* :func:`fuse_heads`: for one counter at time ``t``, the latest heads of every
  camera captured within ``max_age_s`` before ``t`` (capture timestamps, never
  arrival order: a camera running late or dropped out simply has no head in
  the window) associated across cameras into :class:`FusedPerson` records.

And the step that feeds the one engine (:class:`CounterFusion`, pure, no clock):
the latest observation of each of a counter's cameras becomes ONE
:class:`~frontdesk.types.FrameObservation` in the *primary* (first) camera's
frame, on which tracking, zones, eye contact, visits and alerts run unchanged.
:func:`fused_observation` is the one-instant form; :func:`merge_by_capture_time`
orders several cameras' observations by capture time; :func:`fuse_streams` does
both over whole streams. ``pipeline.CounterPipeline`` wires it to the engine.

Two cameras that see the same head see it along two rays that (nearly) meet;
the point where they meet is its position, far better than either camera's
distance from face size. So two heads are the same person when their rays pass
within ``ray_gap_m`` of each other at a point each camera's distance allows
(within its range uncertainty, plus ``range_slack_m``), and a person's position
is the point nearest all of its rays (least squares). A head seen by one
camera alone keeps that camera's position. Each person has at most one head
per camera.

What a fused person becomes in the primary camera's frame (:func:`fused_observation`):

* seen by the primary camera alone: its face, untouched (one camera: nothing changes);
* seen by several cameras: the primary's face, if it saw one, with the head
  moved along its ray to where the rays meet (triangulated, so its range is
  sure to a few centimetres); otherwise a face made where the person's head
  projects, its box as wide as a 0.15 m face at that distance;
* seen by another camera alone: on that camera's ray (its direction is precise),
  at the point nearest where someone was placed in the last
  :data:`ANCHOR_S` by another camera (the person a moment ago: seen by the
  primary, or by two cameras), when that point is within :data:`SNAP_GAP_M` of the ray and the
  camera's own reading (scaled by what was learnt of its misread of that person
  where two rays met) is within :data:`SNAP_RANGE_SD` deviations of it; the
  distance then moves toward the reading by their weights; else at the camera's
  own distance. Two meshed heads whose gazes differ by more than
  :data:`FUSED_MAX_GAZE_DEG` are never one person. A face's
  size misreads its distance by 10 % or more, which moves a head seen from across
  the counter by tens of centimetres, a jump in the primary camera's view that
  would break its track;
* the gaze (and ``has_mesh``) of the camera that saw the face best: meshed
  first, then the most frontal (gaze closest to pointing at that camera),
  rotated into the primary camera's frame;
* bodies and the occupancy grid are the primary camera's own (image things that
  do not move between views), and only while its frame is current.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.config import CameraConfig
from frontdesk.types import Face, FrameObservation
from frontdesk.world import WorldPose

__all__ = ["WorldHead", "FusedPerson", "heads_in_world", "fuse_heads", "nearest_point_to_rays",
           "FusionCamera", "CounterFusion", "fused_observation", "merge_by_capture_time",
           "FusionError", "Anchor", "fuse_streams"]

DEFAULT_MAX_AGE_S = 0.2
"""Heads captured longer ago than this before the fusion time are left out: three
frames at 15 fps; a head moves at most about 0.3 m in that time."""
DEFAULT_RAY_GAP_M = 0.15
"""Two cameras' rays to one head pass within this of each other (pose error, the
head's point seen from two sides, motion between their capture times)."""
DEFAULT_RANGE_SLACK_M = 0.2
"""Added to each camera's own range uncertainty when checking the meeting point."""
FUSED_MAX_GAZE_DEG = 60.0
"""The fusion step joins two cameras' meshed heads only when their gazes, in the
world, are within this of each other: one face has one gaze (5 degrees of noise
an axis, head pose errors to about 15; a face the detector alone saw, often in
profile, has a coarse gaze and is not held to it). Two people facing each other across the counter
can stand on one camera's line of sight to the other; their gazes are opposite."""
DEFAULT_DRIVER_TIMEOUT_S = 0.5
"""The primary camera drives the fused frames (one fused frame per primary frame);
when its latest frame is older than this, the next camera in order that is still
delivering drives instead: a camera that drops out leaves the counter running."""
FACE_BOX_WIDTH_M = 0.15
"""Width of the face box made for a head the primary camera did not see (the
simulator's and the placement check's face width)."""
FACE_BOX_ASPECT = 1.2
"""Its height over its width (the simulator's)."""
MIN_DEPTH_M = 0.3
"""A head closer than this in front of the primary camera (or behind it) is left
out of the fused frame: it cannot be drawn in that view."""
TRIANGULATED_RANGE_UNCERTAINTY = 0.03
"""Least relative range uncertainty of a head seen by two cameras or more (pose
error, motion between capture times); more when its rays spread further."""
SNAP_GAP_M = 0.3
"""A head seen by one secondary camera is put where its ray passes nearest a recent
position when the ray passes within this of it (a frame's motion and pose error)."""
SNAP_RANGE_SD = 3.0
"""The camera's reading may be this many of its standard deviations (plus the slack)
from the anchor's distance along the ray: the ray passing by the anchor is the
evidence; the reading only rules out someone far behind or before."""
ANCHOR_SD_M = 0.08
"""How far a head may have moved along the ray since its anchor (a frame's walk and
the anchor's own error), one standard deviation."""
ANCHOR_S = 1.0
"""How long a fused position stays a place to put a secondary camera's head."""
HISTORY_FRAMES = 8
"""Frames kept per camera: a camera delivering ahead of the others still has a
frame captured before the fusion time."""


class FusionError(ValueError):
    """Cameras that cannot be fused (no pose, repeated or unknown ids)."""


@dataclass(frozen=True)
class WorldHead:
    """One face seen by one camera, in the counter's floor frame.

    Attributes:
        camera_id: the camera that saw it.
        t: the frame's capture time (seconds, a clock shared by the counter's cameras).
        face_index: its index in that frame's ``faces``.
        position_m: the head (between the eyes) in the world, metres.
        origin_m: the camera's lens centre: the head lies on the ray from here.
        ray: unit world direction from the camera to the head.
        range_m: distance along the ray, from the face's size.
        range_sd_m: one standard deviation of ``range_m`` (half the face's
            ``range_uncertainty`` times the distance).
        gaze: unit world direction of the gaze.
        has_mesh: the face was meshed (pose and gaze from the mesh).
    """

    camera_id: str
    t: float
    face_index: int
    position_m: np.ndarray
    origin_m: np.ndarray
    ray: np.ndarray
    range_m: float
    range_sd_m: float
    gaze: np.ndarray
    has_mesh: bool


@dataclass(frozen=True)
class FusedPerson:
    """One person at the fusion time: their heads from each camera that saw them.

    Attributes:
        position_m: the point nearest all the heads' rays (one head: its own position).
        heads: one per camera, in camera order of the input.
        spread_m: the largest distance from ``position_m`` to a head's ray (0 for one).
    """

    position_m: np.ndarray
    heads: tuple[WorldHead, ...]
    spread_m: float

    @property
    def camera_ids(self) -> tuple[str, ...]:
        return tuple(h.camera_id for h in self.heads)

    @property
    def t(self) -> float:
        """The latest capture time among the heads."""
        return max(h.t for h in self.heads)


def heads_in_world(obs: FrameObservation, camera_id: str, pose: WorldPose) -> list[WorldHead]:
    """Every face of ``obs`` as a :class:`WorldHead` through the camera's ``pose``."""
    out = []
    for i, face in enumerate(obs.faces):
        p = face.head_position_m
        r = float(np.linalg.norm(p))
        if r <= 0:
            continue
        ray = pose.directions_to_world(p / r)[0]
        gaze = pose.directions_to_world(face.gaze)[0]
        out.append(WorldHead(
            camera_id=camera_id, t=obs.t, face_index=i, position_m=pose.to_world(p[None])[0],
            origin_m=pose.position_m.copy(), ray=ray, range_m=r,
            range_sd_m=r * face.range_uncertainty / 2.0, gaze=gaze, has_mesh=face.has_mesh))
    return out


def nearest_point_to_rays(origins: np.ndarray, rays: np.ndarray) -> np.ndarray | None:
    """The point with the least summed squared distance to the lines (origin, ray);
    None when the lines are (nearly) parallel."""
    a = np.zeros((3, 3))
    b = np.zeros(3)
    for o, d in zip(np.asarray(origins, float), np.asarray(rays, float), strict=True):
        m = np.eye(3) - np.outer(d, d)
        a += m
        b += m @ o
    if np.linalg.cond(a) > 1e8:
        return None
    return np.linalg.solve(a, b)


def _distance_to_ray(point: np.ndarray, head: WorldHead) -> float:
    v = point - head.origin_m
    return float(np.linalg.norm(v - (v @ head.ray) * head.ray))


def _range_allows(point: np.ndarray, head: WorldHead, slack_m: float) -> bool:
    along = float((point - head.origin_m) @ head.ray)
    return abs(along - head.range_m) <= 2.0 * head.range_sd_m + slack_m


def _pair_cost(a: WorldHead, b: WorldHead, ray_gap_m: float, slack_m: float,
               min_gaze_cos: float | None = None) -> float | None:
    """How far apart the two heads' rays pass, when they can be one person; else None."""
    if min_gaze_cos is not None and a.has_mesh and b.has_mesh \
            and float(a.gaze @ b.gaze) < min_gaze_cos:
        return None
    point = nearest_point_to_rays(np.stack([a.origin_m, b.origin_m]), np.stack([a.ray, b.ray]))
    if point is None:  # parallel rays: compare the positions themselves
        gap = float(np.linalg.norm(a.position_m - b.position_m))
        return gap if gap <= ray_gap_m else None
    gap = max(_distance_to_ray(point, a), _distance_to_ray(point, b))
    if gap > ray_gap_m or not (_range_allows(point, a, slack_m) and
                               _range_allows(point, b, slack_m)):
        return None
    return gap


def _latest_per_camera(heads: Sequence[WorldHead], t: float,
                       max_age_s: float) -> list[WorldHead]:
    """Each camera's heads from its latest frame captured in (t - max_age_s, t]."""
    latest: dict[str, float] = {}
    for h in heads:
        if t - max_age_s < h.t <= t:
            latest[h.camera_id] = max(latest.get(h.camera_id, -math.inf), h.t)
    return [h for h in heads if h.camera_id in latest and h.t == latest[h.camera_id]]


def fuse_heads(heads: Sequence[WorldHead], t: float, *, max_age_s: float = DEFAULT_MAX_AGE_S,
               ray_gap_m: float = DEFAULT_RAY_GAP_M,
               range_slack_m: float = DEFAULT_RANGE_SLACK_M,
               max_gaze_deg: float | None = None) -> list[FusedPerson]:
    """The people at the counter at time ``t`` from the heads of all its cameras.

    Heads are grouped greedily, the closest-meeting pair of rays first, never two
    heads of one camera in one person; with ``max_gaze_deg``, never two meshed heads
    whose gazes differ by more (a face seen by the detector alone has a coarse
    gaze). The result is ordered by the first head's position in the input.
    """
    min_gaze_cos = None if max_gaze_deg is None else math.cos(math.radians(max_gaze_deg))
    current = _latest_per_camera(heads, t, max_age_s)
    pairs = []
    for i, a in enumerate(current):
        for j in range(i + 1, len(current)):
            b = current[j]
            if a.camera_id == b.camera_id:
                continue
            cost = _pair_cost(a, b, ray_gap_m, range_slack_m, min_gaze_cos)
            if cost is not None:
                pairs.append((cost, i, j))
    group = list(range(len(current)))  # union-find over head indices

    def root(k: int) -> int:
        while group[k] != k:
            group[k] = group[group[k]]
            k = group[k]
        return k

    members: dict[int, set[str]] = {i: {h.camera_id} for i, h in enumerate(current)}
    for _, i, j in sorted(pairs):
        ri, rj = root(i), root(j)
        if ri == rj or members[ri] & members[rj]:
            continue
        group[rj] = ri
        members[ri] |= members.pop(rj)
    clusters: dict[int, list[int]] = {}
    for k in range(len(current)):
        clusters.setdefault(root(k), []).append(k)
    return [_person([current[k] for k in ks]) for ks in sorted(clusters.values(), key=min)]


def _person(heads: list[WorldHead]) -> FusedPerson:
    if len(heads) == 1:
        return FusedPerson(heads[0].position_m.copy(), (heads[0],), 0.0)
    point = nearest_point_to_rays(np.stack([h.origin_m for h in heads]),
                                  np.stack([h.ray for h in heads]))
    if point is None:
        point = np.mean([h.position_m for h in heads], axis=0)
    spread = max(_distance_to_ray(point, h) for h in heads)
    return FusedPerson(point, tuple(heads), spread)


# ---------------------------------------------------------------------- one engine


@dataclass(frozen=True)
class FusionCamera:
    """One camera of a counter: its id, pose in the counter's floor frame, and lens."""

    id: str
    pose: WorldPose
    camera: CameraConfig

    def intrinsics(self, width: int, height: int) -> Intrinsics:
        return Intrinsics.from_config(self.camera, width, height)


def _frontal_cos(head: WorldHead) -> float:
    """How straight the face looked at its camera: cos of the angle between its gaze
    and the direction from the head back to the lens."""
    return float(-(head.gaze @ head.ray))


def _best_head(person: FusedPerson) -> WorldHead:
    return max(person.heads, key=lambda h: (h.has_mesh, _frontal_cos(h)))


def _angles_deg(gaze_cam: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) of a face whose gaze is ``gaze_cam`` (frontdesk.types' conventions)."""
    g = gaze_cam
    yaw = math.degrees(math.atan2(float(g[0]), float(-g[2])))
    pitch = math.degrees(math.atan2(float(-g[1]), math.hypot(float(g[0]), float(g[2]))))
    return yaw, pitch


@dataclass(frozen=True)
class Anchor:
    """Where a person was placed in a fused frame, and what was learnt of each camera's
    distance to them.

    Attributes:
        t: the fused frame's time.
        position_m: the head in the world.
        range_scale: per camera id, the true distance over that camera's reading,
            learnt where two cameras' rays met, or where the primary placed the
            person (a face's size misreads its distance the same way frame after
            frame: dim light, skin, glasses).
        placed_by: see below. A head is kept only at an anchor some *other*
            camera placed: one camera's own misread would otherwise be kept
            for good.
    """

    t: float
    position_m: np.ndarray
    range_scale: Mapping[str, float]
    placed_by: frozenset[str] = frozenset()
    """The cameras whose readings fixed the position (the primary's, those whose rays
    met; carried over when a head is kept at an anchor)."""


def _nearest_anchor(point: np.ndarray, anchors: Sequence[Anchor]) -> Anchor | None:
    best, best_d = None, SNAP_GAP_M
    for anchor in anchors:
        d = float(np.linalg.norm(anchor.position_m - point))
        if d <= best_d:
            best, best_d = anchor, d
    return best


def _snapped(head: WorldHead, anchors: Sequence[Anchor]
             ) -> tuple[np.ndarray, dict[str, float], frozenset[str]]:
    """Where to put a head seen by one secondary camera alone (the module docstring):
    on its ray, its distance along it the anchor's and the camera's own reading (scaled
    by what was learnt of it), weighed by how sure each is (:data:`ANCHOR_SD_M`, the
    head's ``range_sd_m``); and the scales to remember."""
    best: tuple[float, Anchor] | None = None
    best_gap = SNAP_GAP_M
    for anchor in anchors:
        if not anchor.placed_by - {head.camera_id}:
            continue
        along = float((anchor.position_m - head.origin_m) @ head.ray)
        gap = float(np.linalg.norm(anchor.position_m - (head.origin_m + along * head.ray)))
        reading = head.range_m * anchor.range_scale.get(head.camera_id, 1.0)
        if gap <= best_gap and abs(along - reading) <= SNAP_RANGE_SD * head.range_sd_m + \
                DEFAULT_RANGE_SLACK_M:
            best, best_gap = (along, anchor), gap
    if best is None:
        return head.position_m, {}, frozenset({head.camera_id})
    along, anchor = best
    reading = head.range_m * anchor.range_scale.get(head.camera_id, 1.0)
    w = ANCHOR_SD_M ** 2 / (ANCHOR_SD_M ** 2 + max(head.range_sd_m, 1e-6) ** 2)
    along += w * (reading - along)
    scales = dict(anchor.range_scale)
    scales[head.camera_id] = along / head.range_m
    return head.origin_m + along * head.ray, scales, anchor.placed_by


def _placed(person: FusedPerson, primary_id: str, anchors: Sequence[Anchor]
            ) -> tuple[np.ndarray, dict[str, float], frozenset[str]]:
    """A person's head in the world, the distance scales learnt or carried, and the
    cameras that placed it."""
    if len(person.heads) > 1:
        p = person.position_m
        return p, {h.camera_id: float((p - h.origin_m) @ h.ray) / h.range_m
                   for h in person.heads}, frozenset(person.camera_ids)
    head = person.heads[0]
    if head.camera_id != primary_id:
        return _snapped(head, anchors)
    anchor = _nearest_anchor(head.position_m, anchors)
    scales = dict(anchor.range_scale) if anchor is not None else {}
    return head.position_m, scales, frozenset({primary_id})


def _place_all(people: Sequence[FusedPerson], primary_id: str, anchors: Sequence[Anchor]
               ) -> list[tuple[np.ndarray, dict[str, float], frozenset[str]]]:
    """Every person's place: first those the primary or two cameras placed; then the
    heads of one secondary camera alone, each at an anchor none of the others
    explains (an anchor is one person: someone placed near it this frame is that
    person, and a second head is not put there too)."""
    out: list[tuple[np.ndarray, dict[str, float], frozenset[str]] | None] = []
    for person in people:
        lone = len(person.heads) == 1 and person.heads[0].camera_id != primary_id
        out.append(None if lone else _placed(person, primary_id, anchors))
    taken = [p[0] for p in out if p is not None]
    free = [a for a in anchors if all(float(np.linalg.norm(a.position_m - q)) > SNAP_GAP_M
                                       for q in taken)]
    for i, person in enumerate(people):
        if out[i] is None:
            place = _snapped(person.heads[0], free)
            out[i] = place
            free = [a for a in free if float(np.linalg.norm(a.position_m - place[0])) > SNAP_GAP_M]
    return [p for p in out if p is not None]


def _fused_face(person: FusedPerson, position: np.ndarray, faces: Mapping[str, Face],
                primary: FusionCamera, intr: Intrinsics) -> Face | None:
    """``person`` as one face in the primary camera's frame (the module docstring)."""
    own = next((h for h in person.heads if h.camera_id == primary.id), None)
    if own is not None and len(person.heads) == 1:
        return faces[_key(own)]
    pose = primary.pose
    head_cam = pose.to_camera(position[None])[0]
    z = float(head_cam[2])
    if z < MIN_DEPTH_M:
        return None
    best = _best_head(person)
    best_face = faces[_key(best)]
    gaze = pose.rotation @ best.gaze
    gaze /= float(np.linalg.norm(gaze))
    rng = float(np.linalg.norm(head_cam))
    if len(person.heads) > 1:
        rel = max(TRIANGULATED_RANGE_UNCERTAINTY, 2.0 * person.spread_m / max(rng, 1e-6))
    else:
        rel = best_face.range_uncertainty
    if own is not None:  # the primary saw the face: keep its box (measured), move its head
        base = faces[_key(own)]
        if best is own:
            return replace(base, head_position_m=head_cam, range_uncertainty_rel=rel)
        yaw, pitch = _angles_deg(gaze)
        return replace(base, head_position_m=head_cam, gaze=gaze, yaw_deg=yaw, pitch_deg=pitch,
                       has_mesh=best_face.has_mesh, range_uncertainty_rel=rel, landmarks=None,
                       rotation=None)
    u, v = intr.project(head_cam[None])[0]
    w = intr.fx * FACE_BOX_WIDTH_M / z
    h = w * FACE_BOX_ASPECT
    yaw, pitch = _angles_deg(gaze)
    return Face(bbox=(float(u - w / 2), float(v - h / 2), float(u + w / 2), float(v + h / 2)),
                score=best_face.score, yaw_deg=yaw, pitch_deg=pitch, roll_deg=0.0, gaze=gaze,
                head_position_m=head_cam, has_mesh=best_face.has_mesh,
                range_uncertainty_rel=rel)


def _key(head: WorldHead) -> str:
    return f"{head.camera_id}/{head.face_index}"


def fused_observation(observations: Mapping[str, FrameObservation | None],
                      cameras: Sequence[FusionCamera], t: float, *, index: int,
                      size: tuple[int, int], wall_time: float | None = None,
                      max_age_s: float = DEFAULT_MAX_AGE_S, ray_gap_m: float = DEFAULT_RAY_GAP_M,
                      range_slack_m: float = DEFAULT_RANGE_SLACK_M,
                      anchors: Sequence[Anchor] = ()) -> FrameObservation:
    """One observation in the primary (first) camera's frame at time ``t`` from each
    camera's latest observation (None, or one captured more than ``max_age_s`` before
    ``t``: that camera is left out). ``size`` is the primary camera's frame size;
    ``anchors`` are where people were placed a moment ago (see :data:`SNAP_GAP_M`)."""
    return _fuse(observations, cameras, t, index=index, size=size, wall_time=wall_time,
                 max_age_s=max_age_s, ray_gap_m=ray_gap_m, range_slack_m=range_slack_m,
                 anchors=anchors)[0]


def _fuse(observations: Mapping[str, FrameObservation | None], cameras: Sequence[FusionCamera],
          t: float, *, index: int, size: tuple[int, int], wall_time: float | None,
          max_age_s: float, ray_gap_m: float, range_slack_m: float,
          anchors: Sequence[Anchor]) -> tuple[FrameObservation, list[Anchor]]:
    primary = cameras[0]
    heads: list[WorldHead] = []
    faces: dict[str, Face] = {}
    current: dict[str, FrameObservation] = {}
    for cam in cameras:
        obs = observations.get(cam.id)
        if obs is None or not (t - max_age_s < obs.t <= t):
            continue
        current[cam.id] = obs
        for head in heads_in_world(obs, cam.id, cam.pose):
            heads.append(head)
            faces[_key(head)] = obs.faces[head.face_index]
    people = fuse_heads(heads, t, max_age_s=max_age_s, ray_gap_m=ray_gap_m,
                        range_slack_m=range_slack_m, max_gaze_deg=FUSED_MAX_GAZE_DEG)
    intr = primary.intrinsics(*size)
    out_faces: list[Face] = []
    new_anchors: list[Anchor] = []
    placed = _place_all(people, primary.id, anchors)
    for person, (position, scales, placed_by) in zip(people, placed, strict=True):
        face = _fused_face(person, position, faces, primary, intr)
        if face is not None:
            out_faces.append(face)
            new_anchors.append(Anchor(t, position, scales, placed_by))
    own = current.get(primary.id)
    fused = FrameObservation(index=index, t=t, width=size[0], height=size[1], faces=out_faces,
                             wall_time=wall_time)
    if own is not None:
        fused.bodies = list(own.bodies)
        fused.bodies_fresh = own.bodies_fresh and own.t == t
        fused.occupancy = own.occupancy
    return fused, new_anchors


class CounterFusion:
    """The fusion step of one counter: observations of its cameras in, in capture-time
    order, one fused observation out per frame of the camera driving (pure: no clock).

    Args:
        cameras: the counter's cameras, the primary first (the engine reasons in
            its frame: zones are drawn in its view).
        max_age_s: a camera's frame older than this at the fusion time is left out.
        driver_timeout_s: the primary drives while its latest frame is at most
            this old; then the next camera in order that is delivering.

    Raises:
        FusionError: no camera, or a repeated id.
    """

    def __init__(self, cameras: Sequence[FusionCamera], *, max_age_s: float = DEFAULT_MAX_AGE_S,
                 driver_timeout_s: float = DEFAULT_DRIVER_TIMEOUT_S) -> None:
        if not cameras:
            raise FusionError("a counter needs at least one camera")
        ids = [c.id for c in cameras]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise FusionError(f"camera ids must differ; repeated: {', '.join(repeated)}")
        self.cameras = tuple(cameras)
        self.max_age_s = max_age_s
        self.driver_timeout_s = driver_timeout_s
        self._history: dict[str, deque[FrameObservation]] = {
            i: deque(maxlen=HISTORY_FRAMES) for i in ids}
        self._size: tuple[int, int] | None = None
        self._anchors: list[Anchor] = []
        self.frames = 0
        """Fused observations made so far."""
        self.skipped = 0
        """Observations left out: not after their camera's latest (out of order)."""

    @property
    def primary(self) -> FusionCamera:
        return self.cameras[0]

    def driver(self, t: float) -> str | None:
        """The camera whose frames make the fused frames at time ``t``."""
        for cam in self.cameras:
            hist = self._history[cam.id]
            if hist and hist[-1].t > t - self.driver_timeout_s:
                return cam.id
        return None

    def add(self, camera_id: str, obs: FrameObservation) -> FrameObservation | None:
        """Take one camera's observation; the fused observation when this camera
        drives (else None: its faces wait for the driver's next frame).

        Raises:
            FusionError: ``camera_id`` is not one of the counter's cameras.
        """
        hist = self._history.get(camera_id)
        if hist is None:
            raise FusionError(f"camera {camera_id!r} is not one of this counter's cameras "
                              f"({', '.join(c.id for c in self.cameras)})")
        if hist and obs.t <= hist[-1].t:
            self.skipped += 1
            return None
        hist.append(obs)
        if camera_id == self.primary.id:
            self._size = (obs.width, obs.height)
        if self._size is None or self.driver(obs.t) != camera_id:
            return None
        latest = {cid: _latest_before(h, obs.t) for cid, h in self._history.items()}
        fused, anchors = _fuse(latest, self.cameras, obs.t, index=self.frames,
                               size=self._size, wall_time=obs.wall_time,
                               max_age_s=self.max_age_s, ray_gap_m=DEFAULT_RAY_GAP_M,
                               range_slack_m=DEFAULT_RANGE_SLACK_M, anchors=self._anchors)
        self.frames += 1
        self._remember(fused.t, anchors)
        return fused

    def _remember(self, t: float, new: list[Anchor]) -> None:
        """The fused people's places, and older ones no newer one replaces."""
        if len(self.cameras) == 1:
            return
        kept = [a for a in self._anchors if t - a.t <= ANCHOR_S and all(
            float(np.linalg.norm(a.position_m - b.position_m)) > SNAP_GAP_M for b in new)]
        self._anchors = new + kept


def _latest_before(history: deque[FrameObservation], t: float) -> FrameObservation | None:
    for obs in reversed(history):
        if obs.t <= t:
            return obs
    return None


def merge_by_capture_time(streams: Mapping[str, Iterable[FrameObservation]],
                          primary: str | None = None
                          ) -> Iterator[tuple[str, FrameObservation]]:
    """Several cameras' observations as one stream ordered by capture time ``t``
    (each stream in its own order); at equal times the ``primary`` camera's last,
    so the frame it drives sees the others' frames of that instant."""
    import heapq

    def tagged(cid: str, it: Iterable[FrameObservation]
               ) -> Iterator[tuple[float, int, str, FrameObservation]]:
        rank = 1 if cid == primary else 0
        for obs in it:
            yield obs.t, rank, cid, obs

    merged = heapq.merge(*(tagged(cid, it) for cid, it in streams.items()),
                         key=lambda x: (x[0], x[1]))
    for _, _, cid, obs in merged:
        yield cid, obs


def fuse_streams(cameras: Sequence[FusionCamera],
                 streams: Mapping[str, Iterable[FrameObservation]]) -> Iterator[FrameObservation]:
    """Each camera's observations (by camera id, each in capture order) fused into one
    stream in the primary (first) camera's frame, in capture-time order.

    Raises:
        FusionError: a stream of a camera not in ``cameras`` (or cameras repeated).
    """
    fusion = CounterFusion(cameras)
    unknown = sorted(set(streams) - {c.id for c in cameras})
    if unknown:
        raise FusionError(f"observations of cameras {', '.join(unknown)} that are not this "
                          f"counter's ({', '.join(c.id for c in cameras)})")
    for cid, obs in merge_by_capture_time(streams, primary=cameras[0].id):
        fused = fusion.add(cid, obs)
        if fused is not None:
            yield fused

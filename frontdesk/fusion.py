"""The start of fusion (issue 17): heads from several cameras of one counter, in one world.

Two pure steps:

* :func:`heads_in_world`: one camera's faces of one frame as :class:`WorldHead`
  records: the head's position and gaze in the counter's floor frame (through
  the camera's :class:`~frontdesk.world.WorldPose`), the ray it was seen along,
  how far along that ray it may be off, and the frame's capture time.
* :func:`fuse_heads`: for one counter at time ``t``, the latest heads of every
  camera captured within ``max_age_s`` before ``t`` (capture timestamps, never
  arrival order: a camera running late or dropped out simply has no head in
  the window) associated across cameras into :class:`FusedPerson` records.

Two cameras that see the same head see it along two rays that (nearly) meet;
the point where they meet is its position, far better than either camera's
distance from face size. So two heads are the same person when their rays pass
within ``ray_gap_m`` of each other at a point each camera's distance allows
(within its range uncertainty, plus ``range_slack_m``), and a person's position
is the point nearest all of its rays (least squares). A head seen by one
camera alone keeps that camera's position. Each person has at most one head
per camera. The engine is not fed from here yet: its rules stay as they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from frontdesk.types import FrameObservation
from frontdesk.world import WorldPose

__all__ = ["WorldHead", "FusedPerson", "heads_in_world", "fuse_heads", "nearest_point_to_rays"]

DEFAULT_MAX_AGE_S = 0.2
"""Heads captured longer ago than this before the fusion time are left out: three
frames at 15 fps; a head moves at most about 0.3 m in that time."""
DEFAULT_RAY_GAP_M = 0.15
"""Two cameras' rays to one head pass within this of each other (pose error, the
head's point seen from two sides, motion between their capture times)."""
DEFAULT_RANGE_SLACK_M = 0.2
"""Added to each camera's own range uncertainty when checking the meeting point."""


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


def _pair_cost(a: WorldHead, b: WorldHead, ray_gap_m: float, slack_m: float) -> float | None:
    """How far apart the two heads' rays pass, when they can be one person; else None."""
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
               range_slack_m: float = DEFAULT_RANGE_SLACK_M) -> list[FusedPerson]:
    """The people at the counter at time ``t`` from the heads of all its cameras.

    Heads are grouped greedily, the closest-meeting pair of rays first, never two
    heads of one camera in one person. The result is ordered by the first head's
    position in the input.
    """
    current = _latest_per_camera(heads, t, max_age_s)
    pairs = []
    for i, a in enumerate(current):
        for j in range(i + 1, len(current)):
            b = current[j]
            if a.camera_id == b.camera_id:
                continue
            cost = _pair_cost(a, b, ray_gap_m, range_slack_m)
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

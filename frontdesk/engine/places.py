"""Where an unseen customer is, and who may be her: places, clothes, reach.

The pieces of :mod:`frontdesk.engine.visits` that hold a customer whose face is
gone (docs/engine.md, "Faces gone, places occupied"): the place her head and
upper body cover on perception's occupancy grid, how it follows her, the
colours of her clothes, how far she can have walked, and the constants and
evidence tiers by which a returning face is given her visit. Pure functions of
their arguments; the rules that use them are :class:`~frontdesk.engine.visits.VisitBook`'s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import cv2
import numpy as np

from frontdesk.geometry import person_box_norm
from frontdesk.types import (
    OccupancyGrid,
    signature_colour_share,
    signature_distance,
    signature_excess,
)

if TYPE_CHECKING:
    from frontdesk.engine.tracks import TrackState

__all__ = ["CellMasks", "clothes_unlike", "clothes_verdict", "colourful", "could_hold",
           "faceless_people", "follow_place", "heading", "lost_at", "place_cells", "place_radius"]

REACQUIRE_RADIUS_NORM = 0.06
"""A new face this close (fraction of the frame width) to where an unseen customer
was last measured, and staying there until its role is fixed, continues that
customer's visit."""
REACQUIRE_STAY_FRACTION = 0.25
"""A new face that moved farther than this fraction of ``REACQUIRE_RADIUS_NORM`` (0.015
of the frame width) from where it appeared before its role was fixed is walking: a
new person, not the lost customer turning back to the camera. On the simulator the
newcomers who inherited a visit had moved 0.024 to 0.031 in that second (walking up
from far away moves the face slowly on screen); a face standing still with 2 px
jitter moves about 0.002."""


PRESENCE_BELOW_FACES = 3.0
"""The place checked for a customer whose face is gone reaches this many face widths
below her face: head and upper body, what stays put while she looks at her phone
(her legs may be hidden by the counter)."""
SEEN_BELOW_FACES = 11.0
"""Someone the camera sees explains the cells of their whole body, down to the floor
(eyes about 1.6 m up, a face 0.15 m wide): legs nobody claims would otherwise keep an
unseen customer's place, dragged onto them, occupied long after she left."""
PRESENCE_MIN_FRACTION = 0.3
"""The place counts as occupied when at least this share of its cells is."""
PRESENCE_MAX_EXPLAINED = 0.5
"""A place more than this share of which lies inside other people's boxes tells
nothing of the customer who stood there."""
PRESENCE_SIZE_RATIO = 2.0
"""A face continuing an occupied place's visit is at most this factor wider or
narrower than the customer's steady face (she may have stepped up to the counter
meanwhile: her place is followed, her size is not)."""
FOLLOW_BELOW_FRACTION = 0.6
"""An unseen customer's place is followed only while less than this share of it is
occupied: she is moving out of it. A place she fills stays put, so people passing
close by do not drag it away."""
FOLLOW_STEP_FACES = 0.25
"""An unseen customer's place moves at most this many of her face widths a frame
toward the occupied cells around it (about 1.5 m/s at 15 fps for a face 16 cm
wide): she may step up to the counter while looking at her phone."""
PRESENCE_RADIUS_FACES = 1.0
"""... and its centre at most this many of her face widths from hers (at least
``REACQUIRE_RADIUS_NORM``)."""

MIN_LOOK_FRAMES = 5
"""A face's clothes are compared once their signature averages at least this many
frames (a third of a second at 15 fps)."""
LOOK_SAME = 0.25
"""Two clothes' signatures (Hellinger distance, :mod:`frontdesk.perception.appearance`)
at most this far apart are the same clothes. On rendered counters one person's
signature, half a track against the other half, differed by 0.01 to 0.31 (walking
moves background into the chest box) and the track means of different people by
0.59 to 0.85 (docs/perception.md, 'What a person wears')."""
LOOK_DIFFERENT = 0.5
"""... and at least this far apart, different clothes: someone else. Between the two
the clothes say nothing (dark coats, a bag in front of the chest)."""

PART_SHARE = 0.25
"""The least share of a queueing customer's own colours assumed in a signature of hers
measured behind someone (:func:`could_hold`). Perception leaves out the bodies of the
nearer faces it finds and gives no signature when less than a quarter of the chest is
left (:data:`frontdesk.perception.appearance.MIN_UNCOVERED`), but nothing bounds what
a coat wider than its estimate, or a body whose face it missed, leaves in: this is an
assumption, not a guarantee. Seed 104's customer-39 was about a third hers behind a
black coat."""

PART_SLACK = 0.3
"""The share of a person's colours a signature of hers measured behind someone may lack
(:func:`could_hold`): her grey or dark clothes fall in a neighbouring value bin
under another light (docs/perception.md, "What a person wears"), and the wall's
share of a chest box changes from frame to frame (the simulator's, a Beta with mean
16 %). Lax for dark clothes on purpose: a signature a fifth black can hold a black
coat at a quarter; alike dark coats are where the clothes tell least anyway, and a
face they let through must still have the place or the walk to be hers."""

LOOK_UNKNOWN = (LOOK_SAME + LOOK_DIFFERENT) / 2
"""The distance that ranks clothes not compared (too few frames, no signature kept):
after clothes alike, before clothes nearly unlike."""

COLOURFUL_SHARE = 0.5
"""A face is matched to a customer by her clothes alone, away from her place, only
when at least this share of her chest is in colour."""

ONSET_LOOKBACK_S = 60.0
"""A face first seen in the service zone arrived when its place became occupied, at
most this long before (the occupancy grids of that long are kept, about 2.6 MB at
15 fps with the default 48-column grid, in proportion to its cells): a customer may
walk up with her eyes on her phone and wait a minute before she looks up."""

MOVED_SINCE_S = (0.3, 0.6)
"""A cell occupied now and on none of the grids from 0.6 to 0.3 s ago is one a body
moved into: a walker's leading edge (about a body's width a second), not a standing
customer's body, whose cells the presence stage misses on a few grids in a row only
rarely."""

WALK_EVIDENCE_S = 1.0
"""Someone walking unseen is looked for over this long (the tracker's grace): the
cells a walker fills vary from frame to frame, and a customer lost while she stepped
up is known lost only when her track is dropped, about this long after."""

MAYBE_BACK_FOR_S = 3.0
"""A new face whose role is not fixed yet holds the unseen customer it may be for at
most this long after it appeared (a role is fixed in about ``role_hysteresis_s``
once the face is in a zone) ..."""
MAYBE_BACK_HOLD_S = 0.5
"""... and she is held while it was seen this recently (frames of the new face's
visit and of hers are stepped in no fixed order)."""

STAND_GAP_S = 0.5
"""A faceless person standing still who is missed for at most this long (the group
of cells broken by the grid's misses, or merged with someone walking past) still
stands there; found elsewhere for longer, they moved."""

WALK_HOLD_S = 3.0
"""An arrived customer whose place emptied while someone unseen walked in the counter's
zones is kept, silently, this much longer than ``presence_leave_s`` for her face
(walking up from the queue with her eyes on her phone), and no longer: one who
really leaves is still seen to leave soon after, with ``left_t`` the last moment her
place was occupied."""

TIER_PLACE_CLOTHES = 0
"""Evidence tiers of :meth:`VisitBook._adopt`, strongest first: in her place and her clothes,"""
TIER_CLOTHES = 1
"""in her clothes in her counter's zones,"""
TIER_WALKED = 2
"""where she was heading when her place emptied (or, waiting, in her clothes within
her reach),"""
TIER_PLACE = 3
"""in her place while it stayed occupied,"""
TIER_NEAR = 4
"""standing where she was last measured,"""
TIER_REACHED = 5
"""within her reach where she was heading, her place still held;"""
TIER_PLACE_WALKED_INTO = 6
"""in her place at the counter while it stayed occupied, when another customer, lost
on her way, can have walked into it (the next one stepping up as she turned to leave): her
place's occupancy then says nothing, and any evidence of the walker's comes first."""
PLACE_TIERS = (TIER_PLACE_CLOTHES, TIER_PLACE)
"""The tiers that rest on her place having stayed occupied until the face appeared."""
REACH_SPEED = 0.06
"""Frame widths a second an unseen customer may have walked, at least (about 0.25 m/s
for a face 2 m from a 90-degree camera, whose view is 4 m wide there)."""
REACH_FACES_S = 3.3
"""... or this many of her face widths a second, when more: a face is about 0.15 m
wide, so about 0.5 m/s, a slow walk, at any distance from the camera (a customer
near the camera crosses more of the frame in a step than one far off). A face
farther than that from where she was lost is someone else."""
REACH_S = 4.0
"""... for at most this long: a customer walking up from the queue with her eyes on
her phone covers it in a few seconds; a face that appears later, farther off, is
left to the other rules (two customers in alike clothes, one gone, one new)."""
MIN_WALK_SPEED = 0.02
"""Frame widths a second below which a lost face was standing, not walking."""
MIN_HEADING_COS = 0.5
"""A face appearing within 60 degrees of her heading is where she was going."""

FACELESS_MAX_BESIDE = 0.5
"""A group of unexplained occupied cells is someone standing faceless only when less
than this share of it lies within one cell of a seen person's body: the strips
beside and below a seen body (the person box explains a body of average build) are
not a person."""


def clothes_verdict(held: np.ndarray | None, ts: TrackState) -> tuple[bool | None, float]:
    """Whether the track ``ts`` wears the clothes of the signature ``held`` (an unseen
    customer's): True (alike), False (clearly not), None (cannot tell), and the
    signatures' distance (:data:`LOOK_UNKNOWN` when not compared, so that clothes
    alike rank before clothes unknown)."""
    look = ts.look
    if held is None or look is None or ts.look_n < MIN_LOOK_FRAMES:
        return None, LOOK_UNKNOWN
    d = signature_distance(held, look)
    if d <= LOOK_SAME:
        return True, d
    if d >= LOOK_DIFFERENT:
        return False, d
    return None, d


def look_rank(d: float) -> int:
    """How a clothes distance ranks a candidate: 0 alike (at most :data:`LOOK_SAME`),
    1 cannot tell, 2 unlike (at least :data:`LOOK_DIFFERENT`). Distances within one band
    do not rank: one person's own signature varies across the alike band."""
    return 0 if d <= LOOK_SAME else 1 if d < LOOK_DIFFERENT else 2


def heading(first: tuple[float, ...], last: tuple[float, ...], aspect: float
            ) -> tuple[float, float]:
    """Velocity from the sample ``first`` to ``last``, each ``(t, x, y, ...)`` in
    normalised image coordinates: frame widths a second, x and y (``aspect`` is
    height / width). ``last`` must be later than ``first``."""
    dt = last[0] - first[0]
    return (last[1] - first[1]) / dt, (last[2] - first[2]) * aspect / dt


def lost_at(held_path: list[tuple[float, float, float]], held: tuple[float, float, float]
            ) -> tuple[float, float]:
    """Where an unseen customer was lost: the first point of her place's path (her
    followed place ``held`` may since have been dragged by other people's bodies)."""
    return (held_path[0][1], held_path[0][2]) if held_path else held[:2]


def clothes_unlike(held: list[np.ndarray], ts: TrackState) -> bool:
    """Whether the clothes of track ``ts`` are clearly unlike every signature in
    ``held`` (a lost customer's, over her visit): a customer queueing behind someone
    whose face perception does not see (looking down at her phone) has that
    person's clothes mixed into her signature for a while, not all along."""
    look = ts.look
    if not held or look is None or ts.look_n < MIN_LOOK_FRAMES:
        return False
    return all(signature_distance(h, look) >= LOOK_DIFFERENT for h in held)


def could_hold(mixed: np.ndarray, look: np.ndarray) -> bool:
    """Whether the signature ``mixed`` may be the clothes ``look`` with someone else's in
    front of them: at most :data:`PART_SLACK` of the colours of ``look`` are missing
    from it, were only :data:`PART_SHARE` of it hers. One queueing behind a coat wider
    than perception's estimate of it has that coat in *every* signature, so a face
    :func:`clothes_unlike` all of them is still not someone else when one of them
    could hold its colours. For taking a face as hers with other evidence; not for
    keeping a lost customer held while such a face is about (a face that fits her only
    as part of a mixture is not reason enough). The person whose clothes fill the rest
    passes too: this tells a stranger from her, not her neighbour."""
    return signature_excess(mixed, look, PART_SHARE) <= PART_SLACK


def colourful(signature: np.ndarray) -> bool:
    """Whether at least :data:`COLOURFUL_SHARE` of the chest is in colour (not black,
    grey or white: many wear those, so alike signatures prove little)."""
    return signature_colour_share(signature) >= COLOURFUL_SHARE


def place_cells(grid: OccupancyGrid, face: tuple[float, float, float], aspect: float
                 ) -> tuple[slice, slice]:
    """The grid cells of the place (head and upper body) of a person with this face."""
    return grid.box_cells(*person_box_norm(*face, aspect, PRESENCE_BELOW_FACES))


def body_cells(grid: OccupancyGrid, face: tuple[float, float, float], aspect: float
               ) -> tuple[slice, slice]:
    """The grid cells of the whole body (down to :data:`SEEN_BELOW_FACES`) of a person
    with this face: what a person the camera sees explains on the grid."""
    return grid.box_cells(*person_box_norm(*face, aspect, SEEN_BELOW_FACES))


BODY_FACES = 3.0
"""A body on the occupancy grid is about this many face widths wide (shoulders and
arms: 0.45 m for a 0.15 m face)."""

FACELESS_MIN_PLACE = 0.5
"""... and at least this share of the cells of the place (head and upper body) of the
customer it may be, as she was lost: someone standing at the counter is nearer the
camera than on the walkway, or no farther."""


def faceless_people(grid: OccupancyGrid, unexplained: np.ndarray, seen: np.ndarray,
                    aspect: float, min_cells: float = 3
                    ) -> list[tuple[float, float, float, int]]:
    """People whose faces the camera does not see: each 8-connected group of
    ``unexplained`` (a mask of the occupied cells nobody seen or held explains) of at
    least ``min_cells`` cells (and 3) not mostly beside a seen body (``seen``, the
    cells the people seen explain; :data:`FACELESS_MAX_BESIDE`), as the face it would
    have (normalised x, y and width: a body is about :data:`BODY_FACES` face widths
    wide; the face is centred on the group's top two rows, 0.8 of a face width below
    its top) and its size in cells.

    The groups are sifted by size and by their cells beside a seen body in whole-grid
    passes; only those left (a few people's worth) are looked at one by one, so a
    noisy grid's hundreds of specks cost no more than one pass."""
    if not unexplained.any():
        return []
    count, labels, stats, _ = cv2.connectedComponentsWithStats(
        unexplained.astype(np.uint8), connectivity=8)
    beside = cv2.dilate(seen.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    beside_n = np.bincount(labels[beside], minlength=count)
    areas = stats[:, cv2.CC_STAT_AREA]
    kept = np.nonzero((areas >= max(3.0, min_cells))
                      & (beside_n < FACELESS_MAX_BESIDE * areas))[0]
    rows, cols = grid.cells.shape
    cell_h = aspect * cols / rows  # a cell's height over its width
    out = []
    for label in kept[kept > 0].tolist():
        x, y, w, _, area = (int(v) for v in stats[label])
        top_cols = np.nonzero(labels[y:y + 2, x:x + w] == label)[1]
        face_w = w / BODY_FACES  # in cells
        out.append(((x + top_cols.mean() + 0.5) / cols, (y + 0.8 * face_w / cell_h) / rows,
                    face_w / cols, area))
    return out


SAME_DEPTH_RATIO = 1.1
"""Two faces whose widths differ by less than this factor stand at about the same
distance from the camera (a face this much wider is nearer: perception's
``NEARER_FACE_RATIO``)."""


SAME_PLACE_FACES = 2.0
"""Two heads at the same distance from the camera nearer than this many face widths
across the picture cannot both be there: shoulders are 2.5 to 3 face widths wide (a
face about 16 cm, shoulders 40 to 48 cm), so people side by side stand at least that
far apart."""
HEAD_RANGE_FACES = (2.0 - 1.4) / 0.16
"""Up the picture, at one distance from the camera, a higher head is a taller person:
heads are 1.4 to 2.0 m above the floor (the default of perception's
``head_height_m``, which the engine does not read) and a face about 0.16 m wide, so
two people's faces at one spot lie at most this many face widths (3.75) apart up
the picture."""


def image_d2(x0: float, y0: float, x1: float, y1: float, aspect: float) -> float:
    """Squared distance, in frame widths, between two normalised image points (``y``
    scaled by the frame's height / width ``aspect``)."""
    return (x1 - x0) ** 2 + ((y1 - y0) * aspect) ** 2


def stands_in_place(other: tuple[float, float, float], face: tuple[float, float, float],
                    aspect: float) -> bool:
    """Whether a person with face ``other`` stands where the face ``face`` stood: her
    centre within :data:`SAME_PLACE_FACES` of her face widths of it across the
    picture and :data:`HEAD_RANGE_FACES` up or down it, at the same distance from the
    camera (widths within :data:`SAME_DEPTH_RATIO`). Two people cannot; someone
    nearer in front of a place, or farther behind it, can."""
    x, y, w = face
    ox, oy, ow = other
    if not (w / SAME_DEPTH_RATIO < ow < w * SAME_DEPTH_RATIO):
        return False
    return abs(ox - x) <= SAME_PLACE_FACES * w and abs(oy - y) * aspect <= HEAD_RANGE_FACES * w


def place_radius(face: tuple[float, float, float]) -> float:
    """How near her place (fraction of the frame width) a face must first appear to be
    the customer come back: one of her face widths, at least ``REACQUIRE_RADIUS_NORM``."""
    return max(REACQUIRE_RADIUS_NORM, PRESENCE_RADIUS_FACES * face[2])


def follow_place(grid: OccupancyGrid, unexplained: np.ndarray, face: tuple[float, float, float],
            aspect: float) -> tuple[float, float, float]:
    """One mean-shift step of an unseen customer's place over the occupied cells
    nobody else explains (``unexplained``, a mask of the grid): the place's box,
    widened by a quarter of its width each side, is moved toward the centroid of
    the occupied cells in it (at most :data:`FOLLOW_STEP_FACES` face widths)."""
    x, y, w = face
    x0, y0, x1, y1 = person_box_norm(x, y, w, aspect, PRESENCE_BELOW_FACES)
    pad = (x1 - x0) / 4
    rows, cols = grid.cells.shape
    rs, cs = grid.box_cells(x0 - pad, y0, x1 + pad, y1)
    window = grid.cells[rs, cs] & unexplained[rs, cs]
    if window.sum() < 3:
        return face
    r_idx, c_idx = np.nonzero(window)
    cx = (cs.start + c_idx.mean() + 0.5) / cols
    cy = (rs.start + r_idx.mean() + 0.5) / rows
    dx, dy = cx - (x0 + x1) / 2, cy - (y0 + y1) / 2
    step = FOLLOW_STEP_FACES * w
    dy_w = dy * aspect  # in frame widths, like dx
    size = math.hypot(dx, dy_w)
    if size > step:
        dx, dy_w = dx * step / size, dy_w * step / size
    return x + dx, y + dy_w / aspect if aspect > 0 else y, w


class CellMasks:
    """The grid cells whose centres lie inside a zone, cached per zone and grid shape
    (a zone map replaced by the editor gets new keys; at most 16 kept)."""

    def __init__(self) -> None:
        self._masks: dict[tuple[object, ...], np.ndarray] = {}

    def get(self, key: tuple[object, ...], shape: tuple[int, ...],
            inside: Callable[[float, float], bool]) -> np.ndarray:
        """The mask for ``key`` on a grid of ``shape`` (rows, cols): cells whose centre
        (normalised x, y) ``inside`` accepts."""
        full = (*key, shape)
        mask = self._masks.get(full)
        if mask is None:
            rows, cols = shape[0], shape[1]
            mask = np.array([[inside((c + 0.5) / cols, (r + 0.5) / rows) for c in range(cols)]
                             for r in range(rows)], dtype=bool)
            if len(self._masks) > 16:
                self._masks.clear()
            self._masks[full] = mask
        return mask

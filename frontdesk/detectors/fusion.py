"""Which face belongs to which body: the geometric half of face-body fusion.

A face and a body box are the same person when the face sits in the upper part
of the body box. This module only answers that question, frame by frame, and is
pure; how the tracker and the engine use the answer (a customer keeps a visit
while the face is hidden; arrivals from bodies alone) is described in
``docs/detectors.md``, "Fusion".

Rules for a face box F and a body box B (pixels):

* at least ``min_inside`` of F's area lies inside B (a face half outside the
  box belongs to someone else, or the box is wrong);
* F's centre lies in the top ``head_fraction`` of B's height (a face at the
  belly of a box is a person standing in front);
* F is no wider than ``max_face_to_body`` times B's width (a face much wider
  than the body is a nearer person whose own body box was missed).

Among the pairs that pass, the closest are matched first, one to one: the cost
is the distance from F's centre to B's head point (:func:`body_head_point`:
centred horizontally, :data:`HEAD_BELOW_TOP_WIDTHS` box widths below the top),
divided by B's width.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from frontdesk.detectors.base import BodyBox

__all__ = ["FaceBodyMatch", "FusionRules", "match_faces_to_bodies", "body_head_point",
           "HEAD_BELOW_TOP_WIDTHS", "FACE_PER_BODY_WIDTH"]

HEAD_BELOW_TOP_WIDTHS = 0.25
"""Where the point between the eyes lies below a body box's top edge, in box widths.
The eyes are about 0.12 m below the crown and shoulders about 0.45 to 0.5 m wide.
Measured from the top and in widths, it holds for a box cut at the counter top or
the frame's bottom edge; a fraction of the box *height* moves with the cut (the
matching cost used 12 % of the height at first, which put a tall, near box's head
point low: a customer queueing a step behind another, her face inside both boxes,
was given his). The tracker learns each person's own offset from the frames where
face and body are both seen."""
FACE_PER_BODY_WIDTH = 1.0 / 3.0
"""Face width (0.15 m) over shoulder width (0.45 m): the face size a body implies."""

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class FusionRules:
    """Thresholds of the face-in-body test; see the module docstring.

    Attributes:
        min_inside: share of the face box area inside the body box. Lower
            matches faces at the edge of a loose box, and faces of neighbours.
        head_fraction: the face centre must be this high up the body box (0 top,
            1 bottom). At a counter the box is often cut at the counter top, so
            the head can sit lower than on a full-length box; 0.6 allows that.
        max_face_to_body: largest face width as a share of the body width.
    """

    min_inside: float = 0.6
    head_fraction: float = 0.6
    max_face_to_body: float = 1.0


@dataclass(frozen=True)
class FaceBodyMatch:
    """Face ``face_index`` is the person of body ``body_index``; ``cost`` is how well."""

    face_index: int
    body_index: int
    cost: float


def body_head_point(body: BodyBox) -> tuple[float, float]:
    """Where a body's face centre (the point between the eyes) is expected, pixels."""
    return (body.center_px[0], body.y0 + HEAD_BELOW_TOP_WIDTHS * body.width_px)


def _pair_cost(face: BBox, body: BodyBox, rules: FusionRules) -> float | None:
    fx0, fy0, fx1, fy1 = face
    fw, fh = fx1 - fx0, fy1 - fy0
    if fw <= 0 or fh <= 0 or body.width_px <= 0 or body.height_px <= 0:
        return None
    if fw > rules.max_face_to_body * body.width_px:
        return None
    iw = min(fx1, body.x1) - max(fx0, body.x0)
    ih = min(fy1, body.y1) - max(fy0, body.y0)
    if iw <= 0 or ih <= 0 or (iw * ih) / (fw * fh) < rules.min_inside:
        return None
    cx, cy = (fx0 + fx1) / 2.0, (fy0 + fy1) / 2.0
    if (cy - body.y0) / body.height_px > rules.head_fraction:
        return None
    hx, hy = body_head_point(body)
    return float(np.hypot(cx - hx, cy - hy) / body.width_px)


def match_faces_to_bodies(faces: Sequence[BBox], bodies: Sequence[BodyBox],
                          rules: FusionRules | None = None) -> list[FaceBodyMatch]:
    """One-to-one matches of face boxes to body boxes, cheapest first.

    Faces and bodies left out of the result have no partner this frame: a body
    without a face is someone not facing the camera; a face without a body is
    someone the body detector missed (or skipped, on frames it does not run).
    """
    rules = rules or FusionRules()
    pairs: list[tuple[float, int, int]] = []
    for fi, face in enumerate(faces):
        for bi, body in enumerate(bodies):
            cost = _pair_cost(tuple(float(v) for v in face), body, rules)  # type: ignore[arg-type]
            if cost is not None:
                pairs.append((cost, fi, bi))
    pairs.sort()
    used_faces: set[int] = set()
    used_bodies: set[int] = set()
    out: list[FaceBodyMatch] = []
    for cost, fi, bi in pairs:
        if fi in used_faces or bi in used_bodies:
            continue
        used_faces.add(fi)
        used_bodies.add(bi)
        out.append(FaceBodyMatch(fi, bi, cost))
    return out

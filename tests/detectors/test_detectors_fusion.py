"""Which face belongs to which body: placed by hand in a 1280x720 frame."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from frontdesk.detectors.base import BodyBox
from frontdesk.detectors.fusion import FusionRules, match_faces_to_bodies

BODY = BodyBox(500, 100, 700, 700, 0.9)  # 200 wide, 600 tall


def _pairs(faces: Sequence[tuple[float, float, float, float]], bodies: list[BodyBox],
           rules: FusionRules | None = None) -> list[tuple[int, int]]:
    return [(m.face_index, m.body_index) for m in match_faces_to_bodies(faces, bodies, rules)]


def test_a_face_at_the_top_of_a_body_is_that_person() -> None:
    assert _pairs([(570, 110, 630, 180)], [BODY]) == [(0, 0)]


@pytest.mark.parametrize(
    ("face", "why"),
    [
        ((570, 500, 630, 560), "centre at 0.7 of the height: someone in front"),
        ((680, 110, 740, 180), "only a third of the face inside the box"),
        ((350, 110, 850, 400), "face wider than the body"),
        ((100, 110, 160, 180), "outside the box"),
        ((570, 110, 570, 180), "empty face box"),
    ],
)
def test_faces_that_are_not_this_body(face: tuple[float, float, float, float], why: str) -> None:
    assert _pairs([face], [BODY]) == [], why


def test_two_people_side_by_side_each_keep_their_own_face() -> None:
    left = BodyBox(100, 100, 400, 700, 0.9)
    right = BodyBox(350, 90, 650, 700, 0.8)  # overlapping the left body
    faces = [(460, 110, 540, 200), (210, 120, 290, 210)]
    assert sorted(_pairs(faces, [left, right])) == [(0, 1), (1, 0)]


def test_one_face_two_bodies_goes_to_the_closer_head_point() -> None:
    near = BodyBox(480, 100, 720, 700, 0.9)
    far = BodyBox(400, 50, 1000, 700, 0.9)
    matches = match_faces_to_bodies([(570, 120, 630, 180)], [far, near])
    assert [(m.face_index, m.body_index) for m in matches] == [(0, 1)]
    assert matches[0].cost < 0.1


def test_a_body_without_a_face_stays_unmatched() -> None:
    other = BodyBox(900, 100, 1100, 700, 0.9)  # turned away: no face
    assert _pairs([(570, 110, 630, 180)], [BODY, other]) == [(0, 0)]


def test_rules_are_adjustable() -> None:
    low_face = [(570, 440, 630, 500)]  # centre at 0.62 of the height
    assert _pairs(low_face, [BODY]) == []
    assert _pairs(low_face, [BODY], FusionRules(head_fraction=0.7)) == [(0, 0)]


def test_a_far_face_in_front_of_a_nearer_box_goes_to_its_own_box() -> None:
    """Seed 11 (12 customers), t = 88.2 s: a customer at 3.1 m queues behind and a little to
    the left of one at 2.4 m; her face lies inside both boxes. Measured by a fraction of the
    box *height* (12 %), the nearer, taller box's head point was the closer one, and her
    face went to his body; by the top edge plus a quarter width it goes to her own."""
    near = BodyBox(795.9, 210.6, 916.6, 705.3, 0.8)  # the customer in front, 121 px wide
    far = BodyBox(783.3, 237.3, 874.0, 609.3, 0.8)  # hers, 91 px wide
    assert _pairs([(818.8, 245.4, 847.1, 279.4)], [near, far]) == [(0, 1)]

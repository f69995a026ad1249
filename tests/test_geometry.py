"""Geometry with points placed by hand: eye-contact angles and the cone, polygons."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.engine.contact import in_cone
from frontdesk.geometry import (
    ZonePolygon,
    angle_between_deg,
    angle_to_point_deg,
    blend_unit,
    cos_angle_to_point,
    point_in_polygon,
    points_in_polygon,
    unit,
)

STAFF = np.array([-0.6, 0.0, 2.0])
CUSTOMER = np.array([0.6, 0.0, 2.0])
"""Staff and customer 1.2 m apart across a counter, 2 m in front of the camera."""


def test_gaze_straight_at_a_head_is_angle_zero() -> None:
    gaze = unit(CUSTOMER - STAFF)
    assert angle_to_point_deg(STAFF, gaze, CUSTOMER) == pytest.approx(0.0, abs=1e-9)
    assert cos_angle_to_point(STAFF, gaze, CUSTOMER) == pytest.approx(1.0)


def test_gaze_ninety_degrees_away_is_no_contact() -> None:
    gaze = np.array([0.0, 0.0, 1.0])  # staff looks away from the camera, along the counter
    assert angle_to_point_deg(STAFF, gaze, CUSTOMER) == pytest.approx(90.0)
    assert not in_cone(STAFF, gaze, CUSTOMER, 12.0)
    assert cos_angle_to_point(STAFF, gaze, CUSTOMER) == pytest.approx(0.0, abs=1e-12)


def test_looking_the_opposite_way_is_180_degrees() -> None:
    gaze = unit(STAFF - CUSTOMER)
    assert angle_to_point_deg(STAFF, gaze, CUSTOMER) == pytest.approx(180.0)


@pytest.mark.parametrize(("off_deg", "inside"), [(11.9, True), (12.0, True), (12.1, False)])
def test_cone_boundary_is_inclusive(off_deg: float, inside: bool) -> None:
    r = math.radians(off_deg)
    gaze = np.array([math.cos(r), math.sin(r), 0.0])  # the customer is straight along +x
    assert angle_to_point_deg(STAFF, gaze, CUSTOMER) == pytest.approx(off_deg)
    assert in_cone(STAFF, gaze, CUSTOMER, 12.0 + 1e-9) is inside


def test_angle_does_not_depend_on_gaze_length() -> None:
    gaze = np.array([1.0, 0.1, 0.0])
    assert angle_to_point_deg(STAFF, gaze, CUSTOMER) == pytest.approx(
        angle_to_point_deg(STAFF, 7.5 * gaze, CUSTOMER))


def test_degenerate_inputs_never_count_as_contact() -> None:
    assert angle_to_point_deg(STAFF, np.zeros(3), CUSTOMER) == 180.0
    assert angle_to_point_deg(STAFF, np.array([1.0, 0, 0]), STAFF) == 180.0
    assert cos_angle_to_point(STAFF, (0.0, 0.0, 0.0), CUSTOMER) == -1.0


def test_angles_broadcast_over_many_observers() -> None:
    origins = np.array([STAFF, STAFF, STAFF])
    gazes = np.array([[1.0, 0, 0], [0, 0, 1.0], [-1.0, 0, 0]])
    angles = angle_to_point_deg(origins, gazes, CUSTOMER)
    np.testing.assert_allclose(angles, [0.0, 90.0, 180.0], atol=1e-9)
    assert in_cone(origins, gazes, CUSTOMER, 12.0).tolist() == [True, False, False]


def test_angle_between_is_accurate_for_tiny_angles() -> None:
    tiny = 1e-7
    a = angle_between_deg(np.array([1.0, 0, 0]), np.array([1.0, tiny, 0]))
    assert a == pytest.approx(math.degrees(tiny), rel=1e-6)


@given(st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1),
       st.floats(-1, 1), st.floats(-1, 1), st.floats(-1, 1))
def test_scalar_cosine_matches_the_vectorised_angle(gx: float, gy: float, gz: float,
                                                    px: float, py: float, pz: float) -> None:
    gaze, point = np.array([gx, gy, gz]), np.array([px, py, pz]) + CUSTOMER
    if np.linalg.norm(gaze) < 1e-3 or np.linalg.norm(point - STAFF) < 1e-3:
        return
    cos = cos_angle_to_point(STAFF, gaze, point)
    angle = angle_to_point_deg(STAFF, gaze, point)
    assert math.degrees(math.acos(max(-1.0, min(1.0, cos)))) == pytest.approx(angle, abs=1e-5)


def test_blend_unit_keeps_unit_length_and_weights() -> None:
    assert blend_unit((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), 0.0) == pytest.approx((0.0, 1.0, 0.0))
    half = blend_unit((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), 0.5)
    assert half == pytest.approx((math.sqrt(0.5), math.sqrt(0.5), 0.0))
    # opposite directions cancel: the current one wins
    assert blend_unit((1.0, 0.0, 0.0), (-1.0, 0.0, 0.0), 0.5) == pytest.approx((-1.0, 0, 0))


SQUARE = [(0.2, 0.2), (0.6, 0.2), (0.6, 0.6), (0.2, 0.6)]
L_SHAPE = [(0.0, 0.0), (0.5, 0.0), (0.5, 0.2), (0.2, 0.2), (0.2, 0.5), (0.0, 0.5)]


@pytest.mark.parametrize(("point", "inside"), [
    ((0.4, 0.4), True), ((0.1, 0.4), False), ((0.7, 0.4), False), ((0.4, 0.1), False),
    ((0.4, 0.7), False), ((0.21, 0.59), True),
])
def test_point_in_square(point: tuple[float, float], inside: bool) -> None:
    assert point_in_polygon(*point, SQUARE) is inside
    assert ZonePolygon(SQUARE).contains(*point) is inside


@pytest.mark.parametrize(("point", "inside"), [
    ((0.1, 0.1), True), ((0.4, 0.1), True), ((0.1, 0.4), True),
    ((0.4, 0.4), False),  # in the L's bounding box but in the notch
])
def test_point_in_concave_polygon(point: tuple[float, float], inside: bool) -> None:
    assert point_in_polygon(*point, L_SHAPE) is inside
    assert ZonePolygon(L_SHAPE).contains(*point) is inside


@given(st.lists(st.tuples(st.floats(-0.2, 1.2), st.floats(-0.2, 1.2)), min_size=1, max_size=30))
def test_vectorised_polygon_test_matches_the_scalar_one(points: list[tuple[float, float]]) -> None:
    mask = points_in_polygon(np.array(points), L_SHAPE)
    assert mask.tolist() == [point_in_polygon(x, y, L_SHAPE) for x, y in points]


def test_zone_polygon_rejects_too_few_points() -> None:
    with pytest.raises(ValueError, match="at least 3 points"):
        ZonePolygon([(0.0, 0.0), (1.0, 1.0)])

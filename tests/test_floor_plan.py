"""Zones on the floor plan: a floor polygon to a camera's image and back."""

from __future__ import annotations

import pytest

from frontdesk.floor_plan import image_to_plan, layout_from_zones, plan_to_image
from frontdesk.geometry import point_in_polygon
from frontdesk.planner import SIDE_CAMERA, PlannedCamera

FRONT = PlannedCamera.looking_at("front", (-0.4, 2.6, 2.1), (-0.2, -0.6, 1.6))
SERVICE = [(-0.15, 0.5), (0.15, 0.5), (0.15, 0.75), (-0.15, 0.75)]


@pytest.mark.parametrize("cam", [SIDE_CAMERA, FRONT], ids=["side", "front"])
def test_a_plan_zone_goes_to_the_image_and_back(cam: PlannedCamera) -> None:
    image = plan_to_image(SERVICE, cam.pose, cam.intrinsics)
    assert image is not None and len(image) == 4
    assert all(0 <= u <= 1 and 0 <= v <= 1 for u, v in image)
    back = image_to_plan(image, cam.pose, cam.intrinsics)
    assert back is not None and len(back) == 4
    for (x, y), (bx, by) in zip(SERVICE, back, strict=True):
        assert abs(x - bx) < 0.02 and abs(y - by) < 0.02


def test_the_image_zone_is_where_the_head_is_seen() -> None:
    cam = SIDE_CAMERA
    image = plan_to_image(SERVICE, cam.pose, cam.intrinsics)
    assert image is not None
    inside = cam.pose.project([[0.0, 0.6, 1.7]], cam.intrinsics)[0]
    outside = cam.pose.project([[-1.0, 0.6, 1.7]], cam.intrinsics)[0]
    w, h = cam.intrinsics.width, cam.intrinsics.height
    assert point_in_polygon(inside[0] / w, inside[1] / h, image)
    assert not point_in_polygon(outside[0] / w, outside[1] / h, image)


def test_a_band_of_head_heights_covers_short_and_tall_people() -> None:
    cam = SIDE_CAMERA
    band = plan_to_image(SERVICE, cam.pose, cam.intrinsics, (1.4, 2.0))
    assert band is not None
    w, h = cam.intrinsics.width, cam.intrinsics.height
    for z in (1.45, 1.95):
        u, v = cam.pose.project([[0.0, 0.6, z]], cam.intrinsics)[0]
        assert point_in_polygon(u / w, v / h, band)
    one = plan_to_image(SERVICE, cam.pose, cam.intrinsics, (1.7,))
    assert one is not None
    u, v = cam.pose.project([[0.0, 0.6, 1.45]], cam.intrinsics)[0]
    assert not point_in_polygon(u / w, v / h, one)


def test_what_the_camera_cannot_see_is_cut_off() -> None:
    behind = [(2.0, -1.0), (3.0, -1.0), (3.0, 1.0), (2.0, 1.0)]  # behind the side camera
    assert plan_to_image(behind, SIDE_CAMERA.pose, SIDE_CAMERA.intrinsics) is None
    wide = [(-5.0, -3.0), (5.0, -3.0), (5.0, 3.0), (-5.0, 3.0)]
    image = plan_to_image(wide, SIDE_CAMERA.pose, SIDE_CAMERA.intrinsics)
    assert image is not None and all(0 <= u <= 1 and 0 <= v <= 1 for u, v in image)
    # Above the horizon nothing comes down to head height: cut, not sent to infinity.
    sky = [(0.1, 0.0), (0.9, 0.0), (0.9, 0.3), (0.1, 0.3)]
    assert image_to_plan(sky, SIDE_CAMERA.pose, SIDE_CAMERA.intrinsics) is None


def test_the_layout_is_read_from_the_zones_on_the_floor() -> None:
    layout = layout_from_zones([(-1.2, -0.75), (0.1, -0.75), (0.1, -0.45), (-1.2, -0.45)],
                               SERVICE, [(-5.0, 0.6), (-1.4, 0.6), (-1.4, 1.0), (-5.0, 1.0)])
    assert layout.staff_m[0] == pytest.approx((-0.55, -0.6))
    assert layout.service_m == pytest.approx((0.0, 0.625))
    assert layout.walkway_y_m == pytest.approx(0.8) and layout.approach_from == -1.0

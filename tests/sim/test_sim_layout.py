"""The default scene's geometry: zones derived from the 3D layout, and the face angles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from frontdesk.config import Config, default_config_dict
from frontdesk.geometry import points_in_polygon
from frontdesk.sim.layout import (
    DEFAULT_LAYOUT,
    DEFAULT_ZONES,
    CounterLayout,
    geometry_report,
    layout_zones,
)
from frontdesk.sim.runs import sim_config


def test_default_zones_are_the_projection_of_the_default_layout() -> None:
    assert layout_zones(DEFAULT_LAYOUT) == DEFAULT_ZONES


def test_default_config_uses_the_simulators_zones() -> None:
    zones = default_config_dict()["counters"][0]["zones"]
    assert {k: zones[k] for k in ("approach", "service", "staff")} == DEFAULT_ZONES
    cfg = Config.model_validate(default_config_dict())
    assert cfg.counters[0].zones.service == [tuple(p) for p in DEFAULT_ZONES["service"]]
    assert sim_config().counters[0].zones == cfg.counters[0].zones


def _box(poly: list[list[float]]) -> tuple[float, float, float, float]:
    xs = [p[0] for p in poly]
    ys = [p[1] for p in poly]
    return min(xs), min(ys), max(xs), max(ys)


@pytest.mark.parametrize("a,b", [("approach", "service"), ("approach", "staff"),
                                 ("service", "staff")])
def test_zones_do_not_overlap(a: str, b: str) -> None:
    ax0, ay0, ax1, ay1 = _box(DEFAULT_ZONES[a])
    bx0, by0, bx1, by1 = _box(DEFAULT_ZONES[b])
    assert ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0


@pytest.mark.parametrize("head_z", [1.5, 1.65, 1.9])
def test_named_spots_fall_in_their_zones(head_z: float) -> None:
    L = DEFAULT_LAYOUT
    w, h = L.image_size

    def norm(xy: tuple[float, float]) -> np.ndarray:
        px = L.project_world(np.array([[xy[0], xy[1], head_z]]))
        return px / np.array([w, h])

    for spot in L.service_spots:
        assert points_in_polygon(norm(spot), DEFAULT_ZONES["service"])[0]
    for spot in L.queue_spots:
        assert points_in_polygon(norm(spot), DEFAULT_ZONES["approach"])[0]
        assert not points_in_polygon(norm(spot), DEFAULT_ZONES["service"])[0]
    for spot in L.staff_spots:
        assert points_in_polygon(norm(spot), DEFAULT_ZONES["staff"])[0]


def test_both_faces_are_seen_within_face_mesh_limits_while_looking_at_each_other() -> None:
    r = geometry_report()
    # Plan view: camera 0.8 m from the line, heads 1.2 m apart: atan(0.8 / 0.6).
    assert r["plan_face_angle_deg"] == pytest.approx(math.degrees(math.atan2(0.8, 0.6)), abs=0.05)
    assert r["separation_m"] == pytest.approx(1.2)
    assert r["camera_offset_from_line_m"] == pytest.approx(0.8)
    # With the camera 0.25 m above the heads the 3D angle grows a little, and stays <= 60.
    assert r["plan_face_angle_deg"] < r["staff_face_angle_deg"] <= 60.0
    assert r["customer_face_angle_deg"] == pytest.approx(r["staff_face_angle_deg"], abs=0.05)
    # The two heads fit in the 90-degree view with room to spare.
    assert r["heads_span_deg"] == pytest.approx(2 * math.degrees(math.atan2(0.6, 0.8)), abs=0.05)
    assert r["heads_span_deg"] < r["horizontal_fov_deg"] - 10


def test_a_far_camera_would_not_see_the_faces() -> None:
    from frontdesk.sim.world import CameraPose

    far = CounterLayout(camera=CameraPose((2.5, 0.0, 1.9), 180.0, 10.0))
    r = geometry_report(far)
    assert r["staff_face_angle_deg"] > 65.0

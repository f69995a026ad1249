"""The face-size floor measurement (``python -m frontdesk.render.face_floor``): its
scene and its rule, without running perception (the measurement itself is in
docs/rendering.md)."""

from __future__ import annotations

import numpy as np

from frontdesk.render.clip import MIN_FACE_FRACTION, rendered_detector
from frontdesk.render.face_floor import _floor, floor_scene
from frontdesk.render.scene_file import render_scene_from_dict
from frontdesk.sim.render import DetectorModel, frame_times, sample_person


def test_the_walks_cover_faces_from_below_to_well_above_the_floor() -> None:
    rs = render_scene_from_dict(floor_scene(960), "face_floor")
    assert rs.settings.size == (960, 540)
    times = frame_times(rs.scene.duration_s, rs.settings.fps)
    model = DetectorModel(min_face_px=0.0)
    fractions = []
    for person in rs.scene.customers:
        s = sample_person(rs.scene, person, times, model)
        assert s.visible[s.present].mean() > 0.95  # in frame and facing the camera's end
        fractions.append(s.face_px[s.visible] / 960)
    every = np.concatenate(fractions)
    assert len(rs.scene.customers) == 6
    assert every.min() < 0.01 and every.max() > 0.07


def test_the_floor_is_where_every_wider_bin_holds() -> None:
    bins = [{"from": 0.01, "share": 0.2}, {"from": 0.015, "share": 0.9},
            {"from": 0.02, "share": 0.7}, {"from": 0.025, "share": 0.85},
            {"from": 0.03, "share": 1.0}]
    assert _floor(bins, "share") == 0.025
    assert _floor(bins[:2], "share") == 0.015
    assert _floor([{"from": 0.01, "share": 0.5}], "share") is None


def test_the_truth_uses_the_measured_share_of_the_width_at_any_size() -> None:
    for width in (640, 960, 1280, 1920):
        assert rendered_detector((width, width * 9 // 16)).min_face_px == MIN_FACE_FRACTION * width

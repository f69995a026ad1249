"""The placement check on the project's own demo footage agrees with the simulator.

``frontdesk simulate --geometry`` gives the angles at which the demo footage's
camera sees its staff member and customer while they look at each other, and
the camera's distance from the line between them. The placement check measures
the same from the heads it finds (MediaPipe on the footage); before, it took the
head's yaw in the camera's frame (about 84 degrees, "5.3 m from the line").
"""

from __future__ import annotations

import cv2

from frontdesk.config import load_config
from frontdesk.demo_footage import ensure_demo_clip
from frontdesk.pipeline import FramePipeline
from frontdesk.render.clip import clip_files
from frontdesk.sim.layout import geometry_report
from frontdesk.types import Frame
from frontdesk.web.placement_check import FrameSample, check_placement

FIRST_S, LAST_S = 43.4, 47.2
"""A stretch of the footage where the staff member and a customer are both at the counter."""


def test_the_placement_check_agrees_with_simulate_geometry_on_the_demo_footage() -> None:
    clip = ensure_demo_clip("counter")  # rendered once per machine, then cached
    config = load_config(clip_files(clip).config)
    truth = geometry_report()
    cap = cv2.VideoCapture(str(clip), cv2.CAP_FFMPEG)
    fps = cap.get(cv2.CAP_PROP_FPS)
    samples = []
    try:
        with FramePipeline(config, engine=False) as pipeline:
            i = 0
            while True:
                ok, image = cap.read()
                if not ok or i / fps > LAST_S:
                    break
                if i / fps >= FIRST_S:
                    obs = pipeline.perceive(Frame(image, i / fps, i, source="demo"))
                    samples.append(FrameSample.from_observation(obs))
                i += 1
    finally:
        cap.release()
    report = check_placement(samples, config, window_s=LAST_S - FIRST_S + 1)
    (view,) = report.mutual
    assert view.frames >= 20
    assert abs(view.staff_deg - truth["staff_face_angle_deg"]) <= 5.0, view
    assert abs(view.customer_deg - truth["customer_face_angle_deg"]) <= 5.0, view
    # 3D distance to the line; the simulator's is in plan (heads 0.25 m under the camera)
    assert abs(view.offset_m - truth["camera_offset_from_line_m"]) <= 0.15, view
    text = " ".join(report.warnings + report.notes)
    assert f"the camera {view.offset_m:.1f} m from the line" in text
    assert "84 degrees" not in text and "5.3 m" not in text
    service = next(z for z in report.zones if z.zone == "service")
    assert service.median_view_deg is not None and service.median_view_deg < 65

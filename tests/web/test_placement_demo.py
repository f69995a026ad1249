"""The placement check on the project's own demo footage agrees with the simulator.

``frontdesk simulate --geometry`` gives the angles at which the demo footage's
camera sees its staff member and customer while they look at each other, and
the camera's distance from the line between them. The placement check measures
the same from the heads it finds (MediaPipe on the footage); before, it took the
head's yaw in the camera's frame (about 84 degrees, "5.3 m from the line").

Only the stretch the test reads is rendered, frame by frame from the demo scene
(the same frames the demo clip holds, without the codec): the whole clip takes
about 45 s to render on a fresh machine, and the test must not write to the
user's cache.
"""

from __future__ import annotations

from frontdesk.demo_footage import demo_render_scene
from frontdesk.pipeline import FramePipeline
from frontdesk.render.clip import scene_config
from frontdesk.render.compose import SceneRenderer
from frontdesk.sim.layout import geometry_report
from frontdesk.types import Frame
from frontdesk.web.placement_check import FrameSample, check_placement

FIRST_S, LAST_S = 43.4, 47.2
"""A stretch of the footage where the staff member and a customer are both at the counter."""


def test_the_placement_check_agrees_with_simulate_geometry_on_the_demo_footage() -> None:
    scene = demo_render_scene("counter")
    config = scene_config(scene)  # the config the demo clip is written with
    truth = geometry_report()
    renderer = SceneRenderer(scene)
    fps = scene.settings.fps
    frames = [i for i in range(renderer.n_frames) if FIRST_S <= i / fps <= LAST_S]
    samples = []
    with FramePipeline(config, engine=False) as pipeline:
        for i in frames:
            obs = pipeline.perceive(Frame(renderer.frame(i), i / fps, i, source="demo"))
            samples.append(FrameSample.from_observation(obs))
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

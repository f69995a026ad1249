"""draw_overlays: zones, faces by role, gaze rays by contact state, timers, banners."""

from __future__ import annotations

import numpy as np
from web_scene import (
    CUSTOMER_AT,
    HEIGHT,
    INTO_LENS,
    LOOK_DOWN,
    STAFF_AT,
    WIDTH,
    StandInRunner,
    face,
    project,
    render,
    toward,
)

from frontdesk.config import Config
from frontdesk.engine.state import CounterState, WaitingCustomer
from frontdesk.types import FrameObservation
from frontdesk.web.overlay import ALERT, CONTACT, ZONE_COLORS, draw_overlays


def count_color(img: np.ndarray, bgr: tuple[int, int, int], tol: int = 25,
                box: tuple[int, int, int, int] | None = None) -> int:
    if box is not None:
        x0, y0, x1, y1 = box
        img = img[y0:y1, x0:x1]
    diff = np.abs(img.astype(int) - np.array(bgr)).max(axis=2)
    return int((diff <= tol).sum())


def test_input_is_not_changed_and_zones_are_drawn(config: Config) -> None:
    image = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    before = image.copy()
    out = draw_overlays(image, None, [], {}, config)
    assert np.array_equal(image, before) and out.shape == image.shape
    staff = config.counters[0].zones.staff  # outline along the staff zone's top edge
    y = round(staff[0][1] * (HEIGHT - 1))
    x0, x1 = round(staff[0][0] * (WIDTH - 1)) + 20, round(staff[1][0] * (WIDTH - 1)) - 20
    assert count_color(out, ZONE_COLORS["staff"], box=(x0, y - 1, x1, y + 2)) > 0.8 * (x1 - x0)
    assert count_color(out, ZONE_COLORS["service"], tol=10) > 500


def _scene(runner: StandInRunner, contact: bool) -> tuple[np.ndarray, FrameObservation]:
    staff_gaze = toward(STAFF_AT, CUSTOMER_AT) if contact else LOOK_DOWN
    cust_gaze = toward(CUSTOMER_AT, STAFF_AT) if contact else INTO_LENS
    faces = [face(STAFF_AT, staff_gaze), face(CUSTOMER_AT, cust_gaze)]
    for i in range(25):
        runner.step(i * 0.1, faces)
    obs = FrameObservation(99, 2.5, WIDTH, HEIGHT, faces)
    return render(faces), obs


def test_eye_contact_turns_the_gaze_rays_green(config: Config) -> None:
    runner = StandInRunner(config)
    image, obs = _scene(runner, contact=True)
    tracks = runner.engine.tracks_view()
    assert any(t.contact_with for t in tracks)
    out = draw_overlays(image, obs, tracks, runner.engine.counter_states(2.5), config)
    sx, sy = project(STAFF_AT)
    cx, _ = project(CUSTOMER_AT)
    between = (round(sx) + 30, round(sy) - 10, round(cx) - 30, round(sy) + 10)
    assert count_color(out, CONTACT, box=between) > 100

    runner2 = StandInRunner(config)
    image2, obs2 = _scene(runner2, contact=False)
    out2 = draw_overlays(image2, obs2, runner2.engine.tracks_view(),
                         runner2.engine.counter_states(2.5), config)
    assert count_color(out2, CONTACT, box=between) == 0


def test_waiting_timer_and_alert_banner(config: Config) -> None:
    image = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    f = face(CUSTOMER_AT, INTO_LENS)
    obs = FrameObservation(1, 12.0, WIDTH, HEIGHT, [f])

    class Track:
        track_id, role, center_norm = 7, "customer", (f.center_px[0] / WIDTH,
                                                      f.center_px[1] / HEIGHT)
        looking_at: tuple[int, ...] = ()
        contact_with: tuple[int, ...] = ()

    def state(alert: bool) -> dict[str, CounterState]:
        c = WaitingCustomer("v1", 7, True, 12.0, False, alert)
        return {"counter-1": CounterState("counter-1", 12.0, 1, 12.0, alert, False, True,
                                          False, customers=(c,))}

    calm = draw_overlays(image, obs, [Track()], state(False), config)
    alert = draw_overlays(image, obs, [Track()], state(True), config)
    x0, _, x1, y1 = (round(v) for v in f.bbox)
    under_face = (x0 - 5, y1, x1 + 120, y1 + 40)
    assert count_color(calm, ALERT, tol=10, box=under_face) == 0
    assert count_color(alert, ALERT, tol=10, box=under_face) > 200  # red timer label
    banner = (0, 0, 600, 40)
    assert count_color(alert, ALERT, tol=10, box=banner) > 1000
    assert count_color(calm, ALERT, tol=10, box=banner) == 0


def test_a_customer_seen_by_the_body_alone_is_drawn_with_its_timer(config: Config) -> None:
    from frontdesk.detectors.fusion import body_head_point
    from frontdesk.types import BodyBox
    from frontdesk.web.overlay import ROLE_COLORS

    image = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    body = BodyBox(WIDTH * 0.78, HEIGHT * 0.3, WIDTH * 0.95, HEIGHT, 0.8)
    hx, hy = body_head_point(body)
    obs = FrameObservation(1, 12.0, WIDTH, HEIGHT, [], bodies=[body], bodies_fresh=True)

    class Track:
        track_id, role, center_norm, seen_by = 4, "customer", (hx / WIDTH, hy / HEIGHT), "body"
        looking_at: tuple[int, ...] = ()
        contact_with: tuple[int, ...] = ()

    c = WaitingCustomer("v1", 4, True, 12.0, False, True)
    states = {"counter-1": CounterState("counter-1", 12.0, 1, 12.0, True, False, True,
                                        False, customers=(c,))}
    out = draw_overlays(image, obs, [Track()], states, config)
    left_edge = (round(body.x0) - 1, round(body.y0) + 20, round(body.x0) + 2, round(body.y1) - 5)
    assert count_color(out, ROLE_COLORS["customer"], tol=30, box=left_edge) > 100
    under_head = (round(hx) - 5, round(hy) + 5, round(hx) + 150, round(hy) + 60)
    assert count_color(out, ALERT, tol=10, box=under_head) > 200  # red timer at the head
    assert count_color(draw_overlays(image, None, [Track()], states, config), ALERT, tol=10,
                       box=under_head) == 0


def test_a_one_sided_look_is_not_eye_contact(config: Config) -> None:
    """The customer looks at the staff member, who looks at the desk: yellow, not green."""
    from frontdesk.web.overlay import LOOKING

    runner = StandInRunner(config)
    faces = [face(STAFF_AT, LOOK_DOWN), face(CUSTOMER_AT, toward(CUSTOMER_AT, STAFF_AT))]
    for i in range(30):
        runner.step(i * 0.1, faces)
    tracks = runner.engine.tracks_view()
    assert any(t.contact_with for t in tracks)  # the engine holds the customer's look
    obs = FrameObservation(99, 3.0, WIDTH, HEIGHT, faces)
    drawn: set[str] = set()
    out = draw_overlays(render(faces), obs, tracks, runner.engine.counter_states(3.0), config,
                        drawn)
    sx, sy = project(STAFF_AT)
    cx, _ = project(CUSTOMER_AT)
    between = (round(sx) + 30, round(sy) - 10, round(cx) - 30, round(sy) + 10)
    assert count_color(out, CONTACT, box=between) == 0
    assert count_color(out, LOOKING, tol=10) > 50
    assert "contact" not in drawn and {"looking", "neutral", "staff", "customer"} <= drawn


def test_a_customer_not_yet_waiting_is_approaching(config: Config) -> None:
    from frontdesk.web.overlay import APPROACHING

    image = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)
    f = face(CUSTOMER_AT, INTO_LENS)
    obs = FrameObservation(1, 2.0, WIDTH, HEIGHT, [f])

    class Track:
        track_id, role, center_norm = 7, "customer", (f.center_px[0] / WIDTH,
                                                      f.center_px[1] / HEIGHT)
        looking_at: tuple[int, ...] = ()
        contact_with: tuple[int, ...] = ()

    c = WaitingCustomer("v1", 7, False, 0.0, False, False)
    states = {"counter-1": CounterState("counter-1", 2.0, 0, 0.0, False, False, True, False,
                                        customers=(c,))}
    drawn: set[str] = set()
    out = draw_overlays(image, obs, [Track()], states, config, drawn)
    x0, _, x1, y1 = (round(v) for v in f.bbox)
    assert count_color(out, APPROACHING, tol=40, box=(x0 - 5, y1, x1 + 120, y1 + 40)) > 10
    assert "approaching" in drawn and "waiting" not in drawn

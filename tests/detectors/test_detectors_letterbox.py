"""Letterboxing: plans computed by hand, padding values, and the exact way back."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from frontdesk.detectors.letterbox import PAD_VALUE, Letterbox, letterbox


@pytest.mark.parametrize(
    ("frame", "inp", "pad", "resized", "offset"),
    [
        ((1280, 720), (640, 640), "center", (640, 360), (0, 140)),
        ((640, 480), (640, 640), "center", (640, 480), (0, 80)),
        ((480, 640), (640, 640), "center", (480, 640), (80, 0)),
        ((1920, 1080), (640, 384), "center", (640, 360), (0, 12)),
        ((1280, 720), (640, 640), "top_left", (640, 360), (0, 0)),
        ((320, 320), (640, 640), "center", (640, 640), (0, 0)),
        ((1000, 10), (640, 640), "center", (640, 6), (0, 317)),
    ],
)
def test_plan_matches_hand_computed_sizes(frame: tuple[int, int], inp: tuple[int, int], pad: str,
                                          resized: tuple[int, int],
                                          offset: tuple[int, int]) -> None:
    plan = Letterbox.plan(frame, inp, pad)  # type: ignore[arg-type]
    assert plan.resized_size == resized
    assert plan.offset == offset


def test_apply_pads_with_114_around_the_centred_picture() -> None:
    frame = np.full((720, 1280, 3), (10, 20, 30), np.uint8)
    boxed, plan = letterbox(frame, (640, 640))
    assert boxed.shape == (640, 640, 3)
    assert np.all(boxed[:140] == PAD_VALUE) and np.all(boxed[500:] == PAD_VALUE)
    assert np.all(boxed[140:500] == (10, 20, 30))
    assert plan.offset == (0, 140)


def test_apply_top_left_puts_the_picture_in_the_corner() -> None:
    frame = np.full((720, 1280, 3), 200, np.uint8)
    boxed, _ = letterbox(frame, (640, 640), "top_left")
    assert np.all(boxed[:360] == 200) and np.all(boxed[360:] == PAD_VALUE)


def test_apply_refuses_a_frame_of_another_size() -> None:
    plan = Letterbox.plan((640, 480), (640, 640))
    with pytest.raises(ValueError, match="640x480"):
        plan.apply(np.zeros((720, 1280, 3), np.uint8))


def test_to_frame_maps_a_box_back_by_hand() -> None:
    plan = Letterbox.plan((1280, 720), (640, 640))  # scale 0.5, 140 px bars above and below
    out = plan.to_frame(np.array([[270.0, 220.0, 370.0, 420.0]]))
    np.testing.assert_allclose(out, [[540.0, 160.0, 740.0, 560.0]])


def test_to_frame_clips_boxes_reaching_into_the_bars() -> None:
    plan = Letterbox.plan((1280, 720), (640, 640))
    out = plan.to_frame(np.array([[-10.0, 100.0, 700.0, 600.0]]))
    np.testing.assert_allclose(out, [[0.0, 0.0, 1280.0, 720.0]])


def test_the_whole_resized_picture_maps_to_the_whole_frame_despite_rounding() -> None:
    plan = Letterbox.plan((1000, 10), (640, 640))  # 6.4 px tall, rounded to 6
    left, top = plan.offset
    rw, rh = plan.resized_size
    out = plan.to_frame(np.array([[left, top, left + rw, top + rh]], dtype=float))
    np.testing.assert_allclose(out, [[0.0, 0.0, 1000.0, 10.0]])


@settings(max_examples=60, deadline=None)
@given(
    fw=st.integers(16, 4000), fh=st.integers(16, 4000),
    iw=st.sampled_from([320, 416, 640, 1280]), ih=st.sampled_from([320, 384, 640]),
    pad=st.sampled_from(["center", "top_left"]),
    u=st.floats(0, 1), v=st.floats(0, 1),
)
def test_frame_point_round_trips_through_the_input(fw: int, fh: int, iw: int, ih: int, pad: str,
                                                  u: float, v: float) -> None:
    plan = Letterbox.plan((fw, fh), (iw, ih), pad)  # type: ignore[arg-type]
    rw, rh = plan.resized_size
    assert rw <= iw and rh <= ih and (rw == iw or rh == ih)
    sx, sy = plan.scale_xy
    x, y = u * fw, v * fh
    x_in, y_in = x * sx + plan.offset[0], y * sy + plan.offset[1]
    back = plan.to_frame(np.array([[x_in, y_in, x_in, y_in]]))
    np.testing.assert_allclose(back[0, :2], [x, y], atol=1e-6 * max(fw, fh))

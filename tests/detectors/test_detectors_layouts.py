"""Decoding each YOLO output layout on arrays laid out by hand, and telling layouts apart."""

from __future__ import annotations

import math

import numpy as np
import pytest
from detector_models import yolo85_rows, yolov8_rows

from frontdesk.detectors.layouts import (
    LAYOUTS,
    LayoutMismatch,
    decode,
    default_preprocess,
    grid_cells,
    infer_layout,
    yolox_grid,
)

SIZE = (640, 640)


def test_grid_cells_at_640_is_8400() -> None:
    assert grid_cells(SIZE) == 80 * 80 + 40 * 40 + 20 * 20 == 8400
    assert grid_cells((640, 384)) == 80 * 48 + 40 * 24 + 20 * 12


def test_yolox_grid_rows_are_row_major_per_stride() -> None:
    gx, gy, gs = yolox_grid(SIZE)
    assert len(gx) == 8400
    assert (gx[0], gy[0], gs[0]) == (0, 0, 8)
    assert (gx[81], gy[81], gs[81]) == (1, 1, 8)  # second row of the stride-8 level
    assert (gx[6400], gy[6400], gs[6400]) == (0, 0, 16)
    assert (gx[8399], gy[8399], gs[8399]) == (19, 19, 32)


def test_yolov8_channels_first_decodes_person_boxes_over_threshold() -> None:
    out = yolov8_rows(5, {
        0: ((320, 320, 100, 200), {0: 0.9}),
        1: ((100, 100, 40, 80), {0: 0.25}),       # at the threshold: dropped (strictly above)
        2: ((500, 500, 20, 20), {2: 0.99}),       # a car
        4: ((50, 60, 10, 20), {0: 0.26, 2: 0.8}),  # person score counts, not the best class
    })
    c = decode(out, "yolov8", 80, SIZE, (0,), 0.25)
    np.testing.assert_allclose(c.xyxy, [[270, 220, 370, 420], [45, 50, 55, 70]])
    np.testing.assert_allclose(c.scores, [0.9, 0.26], rtol=1e-6)
    assert c.class_ids.tolist() == [0, 0]


def test_yolov8_transposed_gives_the_same_candidates() -> None:
    out = yolov8_rows(7, {3: ((320, 320, 100, 200), {0: 0.9}), 6: ((10, 20, 4, 6), {0: 0.5})})
    a = decode(out, "yolov8", 80, SIZE, (0,), 0.25)
    b = decode(np.ascontiguousarray(out.transpose(0, 2, 1)), "yolov8", 80, SIZE, (0,), 0.25)
    np.testing.assert_allclose(a.xyxy, b.xyxy)
    np.testing.assert_allclose(a.scores, b.scores)
    np.testing.assert_allclose(b.xyxy, [[270, 220, 370, 420], [8, 17, 12, 23]])


def test_yolov8_several_classes_take_the_best_of_them() -> None:
    out = yolov8_rows(2, {0: ((100, 100, 10, 10), {0: 0.4, 2: 0.7}),
                          1: ((200, 200, 10, 10), {0: 0.6, 2: 0.1})})
    c = decode(out, "yolov8", 80, SIZE, (0, 2), 0.25)
    assert c.class_ids.tolist() == [2, 0]
    np.testing.assert_allclose(c.scores, [0.7, 0.6], rtol=1e-6)


@pytest.mark.parametrize("layout", ["yolox", "yolov5"])
def test_decoded_85_layouts_multiply_objectness_by_class_score(layout: str) -> None:
    out = yolo85_rows(4, {
        0: ((320, 240, 64, 128), 0.9, {0: 0.8}),   # 0.72
        1: ((100, 100, 10, 10), 0.5, {0: 0.9}),    # 0.45
        2: ((100, 100, 10, 10), 0.3, {0: 0.9}),    # 0.27: below 0.3
        3: ((300, 300, 10, 10), 0.99, {15: 0.99}),  # a cat
    })
    c = decode(out, layout, 80, SIZE, (0,), 0.3)  # type: ignore[arg-type]
    np.testing.assert_allclose(c.scores, [0.72, 0.45], rtol=1e-6)
    np.testing.assert_allclose(c.xyxy, [[288, 176, 352, 304], [95, 95, 105, 105]])


def test_yolox_raw_decodes_grid_offsets_and_log_sizes_on_every_stride() -> None:
    rows = {
        30 * 80 + 40: ((0.5, 0.25, math.log(10), math.log(20)), 0.9, {0: 0.8}),  # stride 8
        6400 + 20 * 40 + 10: ((0.0, 0.0, 0.0, math.log(4)), 0.8, {0: 0.75}),     # stride 16
        8000 + 19 * 20 + 19: ((0.0, 0.0, math.log(2), math.log(2)), 0.7, {0: 0.9}),  # stride 32
    }
    out = yolo85_rows(8400, rows)
    c = decode(out, "yolox-raw", 80, SIZE, (0,), 0.25)
    np.testing.assert_allclose(c.xyxy, [
        [(40.5 * 8) - 40, (30.25 * 8) - 80, (40.5 * 8) + 40, (30.25 * 8) + 80],
        [160.0 - 8, 320.0 - 32, 160.0 + 8, 320.0 + 32],
        [608.0 - 32, 608.0 - 32, 608.0 + 32, 608.0 + 32],
    ], rtol=1e-5)
    np.testing.assert_allclose(c.scores, [0.72, 0.6, 0.63], rtol=1e-5)


def test_broken_rows_are_dropped_not_raised() -> None:
    rows = {0: ((0.0, 0.0, 1000.0, 0.0), 0.9, {0: 0.9}),     # exp(1000) overflows
            1: ((float("nan"), 0.0, 0.0, 0.0), 0.9, {0: 0.9}),
            2: ((1.0, 1.0, 0.0, 0.0), 0.9, {0: 0.9})}  # cell (2, 0): 8x8 box at (24, 8)
    c = decode(yolo85_rows(8400, rows), "yolox-raw", 80, SIZE, (0,), 0.25)
    np.testing.assert_allclose(c.xyxy, [[20, 4, 28, 12]])


def test_nothing_over_the_threshold_gives_empty_candidates() -> None:
    c = decode(yolov8_rows(10, {}), "yolov8", 80, SIZE, (0,), 0.25)
    assert len(c) == 0 and c.xyxy.shape == (0, 4)


@pytest.mark.parametrize(
    ("shape", "classes", "expected"),
    [
        ((1, 84, 8400), 80, "yolov8"),
        ((1, 8400, 84), 80, "yolov8"),
        ((1, 84, 6), 80, "yolov8"),
        ((1, 5, 8400), 1, "yolov8"),
        ((1, 25200, 85), 80, "yolov5"),
        ((1, 25200, 6), 1, "yolov5"),
    ],
)
def test_infer_layout_when_the_shape_decides(shape: tuple[int, ...], classes: int,
                                             expected: str) -> None:
    assert infer_layout(shape, classes, SIZE) == expected


@pytest.mark.parametrize(
    ("shape", "words"),
    [
        ((1, 8400, 85), "yolox-raw"),          # decoded and raw YOLOX look alike
        ((1, 1000, 85), "neither yolov5"),
        ((1, 8400, 90), "fits no known layout"),
        ((2, 84, 8400), "[1, A, B]"),
        ((84, 8400), "[1, A, B]"),
    ],
)
def test_infer_layout_refuses_what_the_shape_cannot_decide(shape: tuple[int, ...],
                                                           words: str) -> None:
    with pytest.raises(LayoutMismatch, match=None) as info:
        infer_layout(shape, 80, SIZE)
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("layout", "shape", "words"),
    [
        ("yolov8", (1, 8400, 85), "[1, 84, N] or [1, N, 84], got [1, 8400, 85]"),
        ("yolox", (1, 84, 8400), "[1, N, 85], got [1, 84, 8400]"),
        ("yolox-raw", (1, 100, 85), "N = 8400 rows"),
    ],
)
def test_decode_says_expected_versus_got_for_a_wrong_layout(layout: str, shape: tuple[int, ...],
                                                            words: str) -> None:
    with pytest.raises(LayoutMismatch) as info:
        decode(np.zeros(shape, np.float32), layout, 80, SIZE, (0,), 0.25)  # type: ignore[arg-type]
    assert words in str(info.value)


def test_default_preprocessing_per_family() -> None:
    assert {layout: default_preprocess(layout) for layout in LAYOUTS} == {  # type: ignore[arg-type]
        "yolov8": default_preprocess("yolov5"),
        "yolov5": default_preprocess("yolov8"),
        "yolox": default_preprocess("yolox-raw"),
        "yolox-raw": default_preprocess("yolox"),
    }
    assert default_preprocess("yolov8").channels == "rgb"
    assert default_preprocess("yolov8").scale == pytest.approx(1 / 255)
    assert default_preprocess("yolox").channels == "bgr"
    assert default_preprocess("yolox").scale == 1.0
    assert default_preprocess("yolox").pad == "top_left"

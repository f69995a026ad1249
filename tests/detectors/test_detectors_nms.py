"""NMS: hand-computed suppression, both implementations agree, classes kept apart."""

from __future__ import annotations

import numpy as np
import pytest

from frontdesk.detectors.nms import NUMPY_FROM, iou_matrix, nms, nms_numpy, nms_opencv

IMPLEMENTATIONS = [nms_numpy, nms_opencv, nms]


def test_iou_by_hand() -> None:
    a = np.array([[0.0, 0.0, 10.0, 10.0]])
    b = np.array([[5.0, 0.0, 15.0, 10.0], [20.0, 20.0, 30.0, 30.0], [0.0, 0.0, 10.0, 10.0]])
    np.testing.assert_allclose(iou_matrix(a, b), [[50.0 / 150.0, 0.0, 1.0]])


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_overlapping_lower_box_is_dropped_and_order_is_by_score(impl) -> None:
    boxes = np.array([
        [0, 0, 100, 200],      # 0.8
        [10, 0, 110, 200],     # 0.9, IoU with box 0 = 90*200 / (110*200) = 0.818
        [300, 0, 400, 200],    # 0.7, alone
        [0, 100, 100, 300],    # 0.6, IoU with box 1 = 90*100 / (2*20000 - 9000) = 0.29
    ], dtype=float)
    scores = np.array([0.8, 0.9, 0.7, 0.6])
    assert impl(boxes, scores, 0.5).tolist() == [1, 2, 3]
    assert impl(boxes, scores, 0.25).tolist() == [1, 2]
    assert impl(boxes, scores, 0.9).tolist() == [1, 0, 2, 3]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_iou_equal_to_the_threshold_is_kept(impl) -> None:
    boxes = np.array([[0, 0, 30, 10], [10, 0, 40, 10]], dtype=float)  # IoU 200/400 = 0.5
    scores = np.array([0.9, 0.8])
    assert impl(boxes, scores, 0.5).tolist() == [0, 1]
    assert impl(boxes, scores, 0.49).tolist() == [0]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_classes_do_not_suppress_each_other(impl) -> None:
    boxes = np.array([[0, 0, 100, 100], [0, 0, 100, 100], [2, 2, 100, 100]], dtype=float)
    scores = np.array([0.9, 0.8, 0.7])
    ids = np.array([0, 2, 0])
    assert impl(boxes, scores, 0.5, ids).tolist() == [0, 1]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_empty_input_and_max_keep(impl) -> None:
    assert impl(np.zeros((0, 4)), np.zeros(0), 0.5).tolist() == []
    boxes = np.array([[i * 20.0, 0.0, i * 20.0 + 10.0, 10.0] for i in range(5)])
    scores = np.array([0.5, 0.9, 0.6, 0.8, 0.7])
    assert impl(boxes, scores, 0.5, max_keep=3).tolist() == [1, 3, 4]


@pytest.mark.parametrize("seed", range(8))
def test_numpy_and_opencv_agree_on_random_crowds(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 2 * NUMPY_FROM))
    centres = rng.uniform(0, 640, (6, 2))  # a few people, many candidates each
    pick = rng.integers(0, 6, n)
    xy = centres[pick] + rng.normal(0, 12, (n, 2))
    wh = rng.uniform(60, 200, (n, 2))
    boxes = np.hstack([xy - wh / 2, xy + wh / 2])
    scores = rng.permutation(np.linspace(0.3, 0.99, n))  # distinct: ties order differently
    a = nms_numpy(boxes, scores, 0.45)
    b = nms_opencv(boxes, scores, 0.45)
    assert a.tolist() == b.tolist()
    kept = boxes[a]
    iou = iou_matrix(kept, kept)
    np.fill_diagonal(iou, 0.0)
    assert iou.max(initial=0.0) <= 0.45


def test_nms_gives_the_same_answer_either_side_of_the_switch() -> None:
    rng = np.random.default_rng(11)
    for n in (NUMPY_FROM - 1, NUMPY_FROM, 3 * NUMPY_FROM):
        xy = rng.uniform(0, 640, (n, 2))
        boxes = np.hstack([xy, xy + rng.uniform(30, 200, (n, 2))])
        scores = rng.permutation(np.linspace(0.3, 0.99, n))
        assert nms(boxes, scores, 0.5).tolist() == nms_opencv(boxes, scores, 0.5).tolist()

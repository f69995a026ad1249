"""Non-maximum suppression: keep the best box of every cluster of overlapping boxes.

Two implementations with the same contract (greedy, by descending score, a box
is dropped when its IoU with a kept box is *greater than* the threshold):

* :func:`nms_opencv` calls ``cv2.dnn.NMSBoxes``;
* :func:`nms_numpy` is a vectorised greedy loop: one Python iteration per
  *kept* box, each comparing it with every remaining box at once.

:func:`nms` is the one the detectors use, and it picks by size: OpenCV below
:data:`NUMPY_FROM` candidates, numpy from there on. Measured with
``nms_timings`` of ``frontdesk bench onnx`` on crowds of candidates around five
people (figures in ``docs/performance.md``, "ONNX detectors"): OpenCV costs
tens of microseconds for up to 100 candidates, where numpy's fixed cost per
kept box puts it at 0.1 to 0.3 ms; OpenCV's cost grows with the candidate
count (it converts every box to a ``Rect2d``) and passes numpy's between about
400 and 1000 candidates, reaching 3 to 4 ms at 3000 where numpy stays near
1 ms. Both give the same boxes in the same order (the tests compare them),
ties in score aside. Next to an inference of 60 ms or more the choice hardly
matters; the switch bounds the worst case (a low threshold on a noisy frame).

Boxes of different classes never suppress each other (the usual offset trick:
each class is shifted far away from the others before the overlap test).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["nms", "nms_opencv", "nms_numpy", "iou_matrix", "NUMPY_FROM"]

NUMPY_FROM = 600
"""Candidate count from which :func:`nms` uses the numpy implementation."""


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` (N, 4) with every box in ``b`` (M, 4), both x0, y0, x1, y1."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def _offset_by_class(xyxy: np.ndarray, class_ids: np.ndarray | None) -> np.ndarray:
    if class_ids is None or class_ids.size == 0 or np.all(class_ids == class_ids[0]):
        return xyxy
    span = float(np.max(xyxy) - min(float(np.min(xyxy)), 0.0)) + 1.0
    return xyxy + (class_ids.astype(np.float64) * 2.0 * span)[:, None]


def nms_numpy(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float,
              class_ids: np.ndarray | None = None, max_keep: int | None = None) -> np.ndarray:
    """Indices of the kept boxes, best score first (vectorised greedy NMS)."""
    n = len(scores)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    boxes = _offset_by_class(np.asarray(xyxy, dtype=np.float64), class_ids)
    order = np.argsort(-np.asarray(scores), kind="stable")
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        if max_keep is not None and len(keep) >= max_keep:
            break
        rest = order[1:]
        x0 = np.maximum(boxes[i, 0], boxes[rest, 0])
        y0 = np.maximum(boxes[i, 1], boxes[rest, 1])
        x1 = np.minimum(boxes[i, 2], boxes[rest, 2])
        y1 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        union = areas[i] + areas[rest] - inter
        iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        order = rest[iou <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def nms_opencv(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float,
               class_ids: np.ndarray | None = None, max_keep: int | None = None) -> np.ndarray:
    """Indices of the kept boxes, best score first (``cv2.dnn.NMSBoxes``)."""
    n = len(scores)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    boxes = _offset_by_class(np.asarray(xyxy, dtype=np.float64), class_ids)
    xywh = np.empty_like(boxes)
    xywh[:, :2] = boxes[:, :2]
    xywh[:, 2:] = boxes[:, 2:] - boxes[:, :2]
    # score_threshold 0 keeps every scored box: thresholding is the decoder's job.
    kept = cv2.dnn.NMSBoxes(xywh.tolist(), np.asarray(scores, dtype=np.float64).tolist(),
                            0.0, float(iou_threshold), top_k=int(max_keep or 0))
    return np.asarray(kept, dtype=np.int64).reshape(-1)


def nms(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float,
        class_ids: np.ndarray | None = None, max_keep: int | None = None) -> np.ndarray:
    """Indices of the boxes kept by greedy NMS, best score first. See the module docstring."""
    impl = nms_numpy if len(scores) >= NUMPY_FROM else nms_opencv
    return impl(xyxy, scores, iou_threshold, class_ids, max_keep)

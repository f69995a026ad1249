"""Output layouts of the common YOLO ONNX exports, and how to decode each.

Every layout is one output tensor of three dimensions, batch first. ``C`` is the
number of classes (80 for COCO) and ``N`` the number of candidate boxes.

``yolov8`` (YOLOv8 and YOLO11 as Ultralytics exports them)
    ``[1, 4 + C, N]`` (the Ultralytics export), or the transposed
    ``[1, N, 4 + C]``. Rows: box centre x, centre y, width, height in input
    pixels, then one score per class (already through a sigmoid). No objectness.
    N is 8400 at 640x640.
``yolov5``
    ``[1, N, 5 + C]``: cx, cy, w, h in input pixels, objectness, class scores,
    all decoded by the export (N = 3 anchors x (80² + 40² + 20²) = 25200 at 640).
``yolox``
    ``[1, N, 5 + C]`` decoded in the graph (YOLOX exported with
    ``--decode_in_inference``): same rows as ``yolov5``, N = 8400 at 640.
``yolox-raw``
    ``[1, N, 5 + C]`` as YOLOX's own ``export_onnx.py`` writes by default: the
    objectness and class scores are through a sigmoid but the boxes are not
    decoded. Row ``i`` belongs to grid cell (gx, gy) of stride s (8, 16, 32 in
    that order, rows of each level in row-major order, x fastest) and decodes to
    ``cx = (tx + gx) * s``, ``cy = (ty + gy) * s``, ``w = exp(tw) * s``,
    ``h = exp(th) * s``.

Score: the class score (``yolov8``) or objectness x class score (the others).

Auto-detection (:func:`infer_layout`) from the shape alone: a feature axis of
``4 + C`` is ``yolov8``; ``5 + C`` with N = 3 x the grid cells is ``yolov5``; ``5 + C``
with N = the grid cells is YOLOX, but decoded and raw YOLOX have the same shape,
so that case needs the layout written in the manifest.

Preprocessing differs by family, and the manifest can override it:
Ultralytics (``yolov8``, ``yolov5``) takes RGB scaled to 0..1, centred in the
padding; YOLOX takes BGR 0..255, placed at the top-left of the padding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from frontdesk.detectors.letterbox import PadPosition

__all__ = [
    "Layout",
    "LAYOUTS",
    "STRIDES",
    "Candidates",
    "Preprocess",
    "default_preprocess",
    "grid_cells",
    "infer_layout",
    "feature_axis",
    "LayoutMismatch",
    "decode",
    "yolox_grid",
]

Layout = Literal["yolov8", "yolov5", "yolox", "yolox-raw"]
LAYOUTS: tuple[str, ...] = get_args(Layout)
STRIDES: tuple[int, ...] = (8, 16, 32)
"""Strides of the three detection levels every layout here uses (P3, P4, P5)."""


class LayoutMismatch(ValueError):
    """The output shape does not fit the declared (or any known) layout."""


@dataclass(frozen=True)
class Preprocess:
    """How a frame becomes the model's input tensor.

    Attributes:
        channels: "rgb" or "bgr" order of the input's three channels.
        scale: multiplier from 0..255 pixel values (1/255 for 0..1 inputs).
        pad: where the letterboxed picture sits: "center" or "top_left".
    """

    channels: Literal["rgb", "bgr"]
    scale: float
    pad: PadPosition


def default_preprocess(layout: Layout) -> Preprocess:
    """The preprocessing each family trains with."""
    if layout in ("yolox", "yolox-raw"):
        return Preprocess("bgr", 1.0, "top_left")
    return Preprocess("rgb", 1.0 / 255.0, "center")


@dataclass(frozen=True)
class Candidates:
    """Boxes over the confidence threshold, before NMS, in model-input pixels.

    Attributes:
        xyxy: (K, 4) float64 corners x0, y0, x1, y1.
        scores: (K,) float64.
        class_ids: (K,) int64.
    """

    xyxy: np.ndarray
    scores: np.ndarray
    class_ids: np.ndarray

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @classmethod
    def empty(cls) -> Candidates:
        return cls(np.zeros((0, 4)), np.zeros(0), np.zeros(0, dtype=np.int64))


def grid_cells(input_size: tuple[int, int], strides: tuple[int, ...] = STRIDES) -> int:
    """Number of grid cells over all levels for an input of (w, h): 8400 at 640x640."""
    w, h = input_size
    return sum((w // s) * (h // s) for s in strides)


def yolox_grid(input_size: tuple[int, int],
               strides: tuple[int, ...] = STRIDES) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row grid x, grid y and stride of the raw YOLOX output, each (N,)."""
    w, h = input_size
    gx, gy, gs = [], [], []
    for s in strides:
        nx, ny = w // s, h // s
        ys, xs = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        gx.append(xs.reshape(-1))
        gy.append(ys.reshape(-1))
        gs.append(np.full(nx * ny, s))
    return (np.concatenate(gx).astype(np.float64), np.concatenate(gy).astype(np.float64),
            np.concatenate(gs).astype(np.float64))


def _features(layout: str, num_classes: int) -> int:
    return num_classes + (4 if layout == "yolov8" else 5)


def feature_axis(shape: tuple[int, ...], layout: Layout, num_classes: int,
                 input_size: tuple[int, int]) -> int:
    """Which axis (1 or 2) of ``shape`` holds the box features for ``layout``.

    Raises:
        LayoutMismatch: the shape cannot be this layout, with expected vs got.
    """
    features = _features(layout, num_classes)
    pretty = f"[{', '.join(str(d) for d in shape)}]"
    if len(shape) != 3 or shape[0] != 1:
        raise LayoutMismatch(
            f"layout {layout} needs one output of 3 dimensions with batch 1, got {pretty}")
    if layout == "yolov8":
        if shape[1] == features:
            return 1
        if shape[2] == features:
            return 2
        raise LayoutMismatch(
            f"layout yolov8 with {num_classes} classes needs an output [1, {features}, N] or "
            f"[1, N, {features}], got {pretty}")
    if shape[2] == features:
        axis = 2
    elif shape[1] == features:
        axis = 1
    else:
        raise LayoutMismatch(
            f"layout {layout} with {num_classes} classes needs an output [1, N, {features}], "
            f"got {pretty}")
    if layout == "yolox-raw":
        n = shape[3 - axis]
        cells = grid_cells(input_size)
        if n != cells:
            w, h = input_size
            raise LayoutMismatch(
                f"layout yolox-raw at {w}x{h} needs N = {cells} rows (strides "
                f"{', '.join(map(str, STRIDES))}), got {pretty}")
    return axis


def infer_layout(shape: tuple[int, ...], num_classes: int,
                 input_size: tuple[int, int]) -> Layout:
    """The layout an output of ``shape`` must be, when the shape alone says so.

    Raises:
        LayoutMismatch: no known layout fits, or more than one does (decoded and
            raw YOLOX look alike); the message says which to write in the manifest.
    """
    pretty = f"[{', '.join(str(d) for d in shape)}]"
    if len(shape) != 3 or shape[0] != 1:
        raise LayoutMismatch(f"expected one output of shape [1, A, B], got {pretty}")
    f8, f5 = num_classes + 4, num_classes + 5
    if f8 in shape[1:] and f5 not in shape[1:]:
        return "yolov8"
    if f5 in shape[1:]:
        n = shape[1] if shape[2] == f5 else shape[2]
        cells = grid_cells(input_size)
        if n == 3 * cells:
            return "yolov5"
        if n == cells:
            raise LayoutMismatch(
                f"output {pretty} is YOLOX-shaped, but decoded and raw YOLOX exports look "
                f"alike: set the layout to yolox (boxes decoded in the graph) or yolox-raw "
                f"(YOLOX's export_onnx.py default)")
        raise LayoutMismatch(
            f"output {pretty} has {f5} features (box, objectness, {num_classes} classes) but "
            f"{n} rows fit neither yolov5 ({3 * cells}) nor YOLOX ({cells}); set the layout "
            f"in the manifest")
    raise LayoutMismatch(
        f"output {pretty} fits no known layout for {num_classes} classes: yolov8 needs a "
        f"{f8}-long axis, yolov5/yolox a {f5}-long one")


def decode(output: np.ndarray, layout: Layout, num_classes: int, input_size: tuple[int, int],
           class_ids: tuple[int, ...], confidence: float,
           grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> Candidates:
    """Candidates over ``confidence`` among ``class_ids``, boxes in input pixels.

    Args:
        output: the model's output tensor, shape as :func:`feature_axis` accepts.
        layout: one of :data:`LAYOUTS`.
        num_classes: classes the model scores.
        input_size: (w, h) of the model input, for the raw YOLOX grid.
        class_ids: classes to keep (person is 0 for COCO).
        confidence: keep scores strictly above this.
        grid: :func:`yolox_grid` for ``input_size``, computed once by the caller
            (only ``yolox-raw`` uses it; computed here when not given).
    """
    axis = feature_axis(tuple(output.shape), layout, num_classes, input_size)
    rows = output[0] if axis == 1 else output[0].T  # (features, N), a view either way
    first_class = 4 if layout == "yolov8" else 5
    ids = np.asarray(class_ids, dtype=np.int64)
    class_scores = rows[first_class + ids]  # (len(ids), N)
    if len(ids) == 1:
        scores = class_scores[0].astype(np.float64)
        picked = np.zeros(scores.shape[0], dtype=np.int64)
    else:
        picked = np.argmax(class_scores, axis=0)
        scores = np.take_along_axis(class_scores, picked[None, :], axis=0)[0].astype(np.float64)
    if layout != "yolov8":
        scores = scores * rows[4]
    keep = np.flatnonzero(scores > confidence)
    if keep.size == 0:
        return Candidates.empty()
    box = rows[0:4, keep].astype(np.float64)  # cx, cy, w, h (raw offsets for yolox-raw)
    if layout == "yolox-raw":
        gx, gy, gs = grid if grid is not None else yolox_grid(input_size)
        s = gs[keep]
        with np.errstate(over="ignore"):
            box = np.stack([(box[0] + gx[keep]) * s, (box[1] + gy[keep]) * s,
                            np.exp(box[2]) * s, np.exp(box[3]) * s])
    half_w, half_h = box[2] / 2.0, box[3] / 2.0
    xyxy = np.stack([box[0] - half_w, box[1] - half_h, box[0] + half_w, box[1] + half_h], axis=1)
    # A broken model can emit NaN or overflow exp(); such rows are dropped, not raised.
    sane = np.all(np.isfinite(xyxy), axis=1) & (half_w >= 0) & (half_h >= 0)
    keep_scores, keep_ids = scores[keep], ids[picked[keep]]
    if not np.all(sane):
        xyxy, keep_scores, keep_ids = xyxy[sane], keep_scores[sane], keep_ids[sane]
    return Candidates(xyxy, keep_scores, keep_ids)

"""A person detector over any YOLO-family ONNX export, run by onnxruntime.

Per frame: letterbox to the model input (:mod:`frontdesk.detectors.letterbox`),
one inference, decode the layout (:mod:`frontdesk.detectors.layouts`), keep the
person class over the confidence threshold, greedy NMS
(:mod:`frontdesk.detectors.nms`), map the boxes back to frame pixels.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from frontdesk.detectors.base import PERSON_CLASS_ID, BodyBox, PersonDetector, boxes_from_array
from frontdesk.detectors.layouts import (
    STRIDES,
    Candidates,
    Layout,
    LayoutMismatch,
    Preprocess,
    decode,
    default_preprocess,
    feature_axis,
    infer_layout,
    yolox_grid,
)
from frontdesk.detectors.letterbox import Letterbox
from frontdesk.detectors.manifest import ModelEntry
from frontdesk.detectors.nms import nms
from frontdesk.detectors.onnx_model import OnnxModel
from frontdesk.errors import ModelError

__all__ = ["OnnxPersonDetector", "EveryNFrames", "resolve_layout"]

log = logging.getLogger(__name__)

_COCO_CLASSES = 80


def resolve_layout(declared: Layout | Literal["auto"], output_shape: tuple[int, ...],
                   num_classes: int | None, input_size: tuple[int, int],
                   where: str = "model") -> tuple[Layout, int]:
    """The layout and class count for a model whose output has ``output_shape``.

    ``num_classes`` None means COCO's 80, as an empty ``class_names`` does in the
    manifest; other models must name their classes (a single-class person model:
    ``class_names: [person]``).

    Raises:
        ModelError: the shape contradicts the declared layout, or "auto" cannot tell.
    """
    classes = _COCO_CLASSES if num_classes is None else num_classes
    try:
        if declared == "auto":
            return infer_layout(output_shape, classes, input_size), classes
        feature_axis(output_shape, declared, classes, input_size)
        return declared, classes
    except LayoutMismatch as exc:
        raise ModelError(f"{where}: {exc}") from None


@dataclass
class _StageTotals:
    preprocess_ms: float = 0.0
    inference_ms: float = 0.0
    postprocess_ms: float = 0.0
    frames: int = 0


class OnnxPersonDetector:
    """People in a frame from a YOLO-family ONNX model.

    Args:
        model_path: the ``.onnx`` file (already checked against the manifest by
            :func:`frontdesk.detectors.build_person_detector`).
        layout: one of ``yolov8``, ``yolov5``, ``yolox``, ``yolox-raw``, or
            ``auto`` to read it from the output shape where that is unambiguous.
        input_size: (width, height); default the graph's own (required when
            the graph leaves it dynamic).
        class_names: the model's classes in output order; default COCO's 80
            (person is class 0).
        preprocess: channel order, scale and padding; default the family's.
        provider, threads: see :mod:`frontdesk.detectors.providers`.
        confidence: keep scores strictly above this. Lower finds more
            half-hidden people and more false ones.
        nms_iou: drop a box overlapping a better one by more than this IoU.
            Higher keeps people who stand close, and more duplicates.
        class_ids: classes to report; default only person.
        max_candidates: best-scored candidates given to NMS (bounds its time on
            a noisy frame).
        max_detections: most boxes returned.

    Raises:
        ModelError: at construction, for any problem with the model (see
            :class:`~frontdesk.detectors.onnx_model.OnnxModel`) or its layout.

    ``detect`` never raises for a frame: an inference failure is logged, counted
    in ``failures`` and gives an empty list.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        layout: Layout | Literal["auto"] = "auto",
        input_size: tuple[int, int] | None = None,
        class_names: list[str] | tuple[str, ...] | None = None,
        preprocess: Preprocess | None = None,
        provider: str = "cpu",
        threads: int = 1,
        confidence: float = 0.35,
        nms_iou: float = 0.5,
        class_ids: tuple[int, ...] | None = None,
        max_candidates: int = 3000,
        max_detections: int = 100,
    ) -> None:
        if not 0.0 <= confidence < 1.0:
            raise ValueError(f"confidence must be in [0, 1), got {confidence}")
        if not 0.0 < nms_iou <= 1.0:
            raise ValueError(f"nms_iou must be in (0, 1], got {nms_iou}")
        self.model = OnnxModel(model_path, provider, threads)
        where = str(self.model.path)
        size = self._input_size(input_size, where)
        self.input_size = size
        output_shape = self.model.probe(size)
        known = len(class_names) if class_names else None
        self.layout, self.num_classes = resolve_layout(layout, output_shape, known, size, where)
        self.output_shape = output_shape
        if class_names and len(class_names) != self.num_classes:
            raise ModelError(f"{where}: {len(class_names)} class names for a model scoring "
                             f"{self.num_classes} classes")
        ids = class_ids if class_ids is not None else (PERSON_CLASS_ID,)
        bad = [c for c in ids if not 0 <= c < self.num_classes]
        if not ids or bad:
            raise ModelError(f"{where}: class ids {list(ids)} outside the model's "
                             f"{self.num_classes} classes")
        self.class_ids = tuple(int(c) for c in ids)
        self.preprocess = preprocess or default_preprocess(self.layout)
        self.confidence = float(confidence)
        self.nms_iou = float(nms_iou)
        self.max_candidates = int(max_candidates)
        self.max_detections = int(max_detections)
        self._grid = yolox_grid(size, STRIDES) if self.layout == "yolox-raw" else None
        self._plans: dict[tuple[int, int], Letterbox] = {}
        self._totals = _StageTotals()
        self.failures = 0
        log.info("person detector %s: layout %s, input %dx%d, %d classes, %s, %d thread(s)",
                 self.model.path.name, self.layout, size[0], size[1], self.num_classes,
                 provider, threads)

    @classmethod
    def from_entry(cls, entry: ModelEntry, path: str | os.PathLike[str], *, provider: str = "cpu",
                   threads: int = 1, confidence: float = 0.35,
                   nms_iou: float = 0.5) -> OnnxPersonDetector:
        """A detector for a manifest entry whose file has been checked."""
        return cls(
            path, layout=entry.layout, input_size=entry.input_size,
            class_names=list(entry.class_names) or None, preprocess=entry.preprocess,
            provider=provider, threads=threads, confidence=confidence, nms_iou=nms_iou,
            class_ids=(entry.person_class_id,),
        )

    def _input_size(self, requested: tuple[int, int] | None, where: str) -> tuple[int, int]:
        static = self.model.static_size
        if requested is None:
            if static is None:
                raise ModelError(f"{where}: the graph leaves its input size open; give "
                                 f"input_size (frontdesk models add --input-size W H)")
            return static
        requested = (int(requested[0]), int(requested[1]))
        if static is not None and static != requested:
            raise ModelError(f"{where}: input_size {list(requested)} differs from the graph's "
                             f"{list(static)}")
        return requested

    # ------------------------------------------------------------------ per frame

    def detect(self, image_bgr: np.ndarray) -> list[BodyBox]:
        """People in ``image_bgr`` (H, W, 3 uint8), best first, in its pixel coordinates."""
        t0 = time.perf_counter()
        tensor, plan = self.prepare(image_bgr)
        t1 = time.perf_counter()
        try:
            output = self.model.run(tensor)
        except Exception as exc:  # onnxruntime raises its own types; never kill the loop
            self.failures += 1
            if self.failures == 1 or self.failures % 100 == 0:
                log.error("person detector failed on a frame (%d so far): %s", self.failures, exc)
            return []
        t2 = time.perf_counter()
        boxes = self.postprocess(output, plan)
        t3 = time.perf_counter()
        tot = self._totals
        tot.preprocess_ms += (t1 - t0) * 1000.0
        tot.inference_ms += (t2 - t1) * 1000.0
        tot.postprocess_ms += (t3 - t2) * 1000.0
        tot.frames += 1
        return boxes

    def prepare(self, image_bgr: np.ndarray) -> tuple[np.ndarray, Letterbox]:
        """The input tensor (1, 3, H, W) for a frame, and the letterbox used."""
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3:
            raise ValueError(f"expected an (H, W, 3) BGR image, got shape {image_bgr.shape}")
        h, w = image_bgr.shape[:2]
        plan = self._plans.get((w, h))
        if plan is None:
            plan = Letterbox.plan((w, h), self.input_size, self.preprocess.pad)
            self._plans = {(w, h): plan}
        boxed = plan.apply(image_bgr)
        pre = self.preprocess
        tensor = cv2.dnn.blobFromImage(boxed, scalefactor=pre.scale, swapRB=pre.channels == "rgb")
        if tensor.dtype != self.model.input_dtype:
            tensor = tensor.astype(self.model.input_dtype)
        return tensor, plan

    def postprocess(self, output: np.ndarray, plan: Letterbox) -> list[BodyBox]:
        """Decode, threshold, NMS and map one output tensor back to frame pixels."""
        cands = decode(output, self.layout, self.num_classes, self.input_size, self.class_ids,
                       self.confidence, self._grid)
        if len(cands) == 0:
            return []
        cands = _best(cands, self.max_candidates)
        keep = nms(cands.xyxy, cands.scores, self.nms_iou,
                   cands.class_ids if len(self.class_ids) > 1 else None, self.max_detections)
        keep = keep[: self.max_detections]
        xyxy = plan.to_frame(cands.xyxy[keep])
        scores, ids = cands.scores[keep], cands.class_ids[keep]
        visible = (xyxy[:, 2] > xyxy[:, 0]) & (xyxy[:, 3] > xyxy[:, 1])
        return boxes_from_array(xyxy[visible], scores[visible], ids[visible])

    @property
    def stage_ms(self) -> dict[str, float]:
        """Mean milliseconds per detected frame: preprocess, inference, postprocess."""
        n = max(self._totals.frames, 1)
        return {
            "preprocess": self._totals.preprocess_ms / n,
            "inference": self._totals.inference_ms / n,
            "postprocess": self._totals.postprocess_ms / n,
        }

    def reset_stage_times(self) -> None:
        """Forget the stage times so far (after a warm-up)."""
        self._totals = _StageTotals()

    def close(self) -> None:
        """Release the session (the detector cannot be used afterwards)."""
        self.model.session = None


def _best(cands: Candidates, limit: int) -> Candidates:
    if len(cands) <= limit:
        return cands
    top = np.argpartition(-cands.scores, limit - 1)[:limit]
    return Candidates(cands.xyxy[top], cands.scores[top], cands.class_ids[top])


class EveryNFrames:
    """Run a detector on the first frame and then on one frame in ``n``.

    ``maybe_detect`` returns the boxes on frames it runs, and None on the
    frames in between (not the old boxes: stale boxes must not look fresh).
    Counting is by calls, not by frame index, so skipped frames do not starve it.
    """

    def __init__(self, detector: PersonDetector, n: int):
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        self.detector = detector
        self.n = n
        self._calls = 0

    def maybe_detect(self, image_bgr: np.ndarray) -> list[BodyBox] | None:
        run = self._calls % self.n == 0
        self._calls += 1
        return self.detector.detect(image_bgr) if run else None

    def close(self) -> None:
        self.detector.close()

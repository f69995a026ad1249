"""The detector plug-in interface: what every person detector returns and promises.

A :class:`PersonDetector` takes one BGR frame and returns :class:`BodyBox` records
in that frame's pixel coordinates (x right, y down, origin top-left), whatever
size the model itself runs at. Detectors are built and checked at start-up
(:func:`frontdesk.detectors.build_person_detector`) and never raise for an
ordinary frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["BodyBox", "PersonDetector", "PERSON_CLASS_ID"]

PERSON_CLASS_ID = 0
"""COCO's class id for "person", the first of the 80 classes YOLO exports carry."""


@dataclass(frozen=True)
class BodyBox:
    """One detected body (or any object of the model's classes) in frame pixels.

    Attributes:
        x0, y0, x1, y1: corners in pixels of the frame given to ``detect``, clipped
            to the frame, with ``x0 <= x1`` and ``y0 <= y1``.
        score: confidence 0 to 1 (class score, times objectness where the
            layout has one).
        class_id: index into the model's class names (0 is person for COCO).
    """

    x0: float
    y0: float
    x1: float
    y1: float
    score: float
    class_id: int = PERSON_CLASS_ID

    def __post_init__(self) -> None:
        values = (self.x0, self.y0, self.x1, self.y1, self.score)
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"BodyBox needs finite numbers, got {values}")
        if self.x1 < self.x0 or self.y1 < self.y0:
            raise ValueError(
                f"BodyBox corners must satisfy x0 <= x1 and y0 <= y1, got "
                f"({self.x0}, {self.y0}, {self.x1}, {self.y1})"
            )

    @property
    def width_px(self) -> float:
        return self.x1 - self.x0

    @property
    def height_px(self) -> float:
        return self.y1 - self.y0

    @property
    def center_px(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)

    @property
    def xyxy(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    def contains(self, x: float, y: float) -> bool:
        """True when the point (pixels) lies inside the box or on its edge."""
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1

    def to_json(self) -> dict:
        return {
            "bbox": [round(float(v), 1) for v in self.xyxy],
            "score": round(float(self.score), 3),
            "class_id": int(self.class_id),
        }


@runtime_checkable
class PersonDetector(Protocol):
    """Anything that finds people in a frame.

    ``detect`` receives a BGR uint8 image of shape (H, W, 3) and returns the
    people in it, best score first, in that image's pixel coordinates. It must
    not keep a reference to the image.
    """

    def detect(self, image_bgr: np.ndarray) -> list[BodyBox]: ...

    def close(self) -> None: ...


def boxes_from_array(xyxy: np.ndarray, scores: np.ndarray, class_ids: np.ndarray) -> list[BodyBox]:
    """BodyBox records from parallel arrays (N, 4), (N,), (N,)."""
    return [
        BodyBox(float(b[0]), float(b[1]), float(b[2]), float(b[3]), float(s), int(c))
        for b, s, c in zip(xyxy.tolist(), scores.tolist(), class_ids.tolist(), strict=True)
    ]

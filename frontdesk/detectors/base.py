"""The detector plug-in interface: what every person detector returns and promises.

A :class:`PersonDetector` takes one BGR frame and returns :class:`BodyBox` records
in that frame's pixel coordinates (x right, y down, origin top-left), whatever
size the model itself runs at. Detectors are built and checked at start-up
(:func:`frontdesk.detectors.build_person_detector`) and never raise for an
ordinary frame.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from frontdesk.types import BodyBox

__all__ = ["BodyBox", "PersonDetector", "PERSON_CLASS_ID"]

PERSON_CLASS_ID = 0
"""COCO's class id for "person", the first of the 80 classes YOLO exports carry."""


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

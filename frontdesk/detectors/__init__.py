"""Optional detectors beside the face pipeline: ONNX person detectors through onnxruntime.

Faces are seen only when people face the camera. A person detector finds bodies
too (customers half turned away, reading the menu board), from any YOLO-family
ONNX export listed in the models manifest. See ``docs/detectors.md``.

Start-up: :func:`build_person_detector` returns None when no person model is
configured (faces only), or a ready detector after checking the file's checksum,
the provider and the output layout, raising :class:`~frontdesk.errors.ModelError`
with a clear message for any problem. onnxruntime is imported only then.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from frontdesk.detectors.base import PERSON_CLASS_ID, BodyBox, PersonDetector
from frontdesk.detectors.fusion import FaceBodyMatch, body_head_point, match_faces_to_bodies
from frontdesk.detectors.layouts import LAYOUTS, Layout
from frontdesk.detectors.letterbox import Letterbox, letterbox
from frontdesk.detectors.manifest import (
    COCO_CLASSES,
    Manifest,
    ModelEntry,
    checked_model_path,
    load_manifest,
    save_manifest,
    sha256_file,
)
from frontdesk.detectors.nms import nms
from frontdesk.errors import ModelError

if TYPE_CHECKING:
    from frontdesk.config import DetectorsConfig
    from frontdesk.detectors.onnx_person import OnnxPersonDetector

__all__ = [
    "BodyBox",
    "PersonDetector",
    "PERSON_CLASS_ID",
    "Layout",
    "LAYOUTS",
    "Letterbox",
    "letterbox",
    "nms",
    "COCO_CLASSES",
    "Manifest",
    "ModelEntry",
    "load_manifest",
    "save_manifest",
    "sha256_file",
    "checked_model_path",
    "FaceBodyMatch",
    "match_faces_to_bodies",
    "body_head_point",
    "build_person_detector",
]

log = logging.getLogger(__name__)


def build_person_detector(detectors_cfg: DetectorsConfig) -> OnnxPersonDetector | None:
    """The configured person detector, or None when ``person.model`` is empty (faces only).

    Checks, in order, loudly: the manifest lists the model; its file exists and
    matches the recorded SHA-256; the provider is available; the file loads;
    its output fits the recorded layout.

    Raises:
        ModelError: any of those checks failed; the message says what to do.
    """
    person = detectors_cfg.person
    if person.model is None:
        log.info("no person detector configured: faces only")
        return None
    from frontdesk.detectors.onnx_person import OnnxPersonDetector

    try:
        entry, path = checked_model_path(person.model, detectors_cfg.models_dir)
        detector = OnnxPersonDetector.from_entry(
            entry, path, provider=person.provider, threads=person.threads,
            confidence=person.confidence, nms_iou=person.nms_iou,
        )
    except ModelError as exc:
        log.error("person detector %r cannot start: %s", person.model, exc)
        raise
    log.info("person detector %r ready (%s), every %d frame(s)", person.model, entry.layout,
             person.every_n_frames)
    return detector

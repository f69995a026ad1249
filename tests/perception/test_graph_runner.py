"""Calling MediaPipe's graphs directly (``GraphRunner``) gives what
``SolutionBase.process`` gives, on real photographs, and falls back to
``process`` when the solution lacks the members it uses."""

from __future__ import annotations

import cv2
import mediapipe as mp
import numpy as np
import pytest
from matplotlib import cbook

from frontdesk.perception.mediapipe_faces import (
    CROP_MIN_PX,
    GraphRunner,
    detections_from_list,
    detections_from_result,
    landmarks_array,
)


@pytest.fixture(scope="module")
def photos(astronaut_bgr: np.ndarray) -> list[np.ndarray]:
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        hopper = cv2.imdecode(np.frombuffer(f.read(), np.uint8), cv2.IMREAD_COLOR)
    return [cv2.cvtColor(img, cv2.COLOR_BGR2RGB) for img in (astronaut_bgr, hopper)]


def test_detector_direct_equals_process(photos: list[np.ndarray]) -> None:
    with (mp.solutions.face_detection.FaceDetection(model_selection=1) as a,
          mp.solutions.face_detection.FaceDetection(model_selection=1) as b):
        run = GraphRunner(a, "detections")
        assert run.direct  # the pinned release: the direct path is the one used
        for rgb in photos + photos:  # twice: timestamps keep advancing
            h, w = rgb.shape[:2]
            direct = detections_from_list(run(rgb), w, h)
            via_process = detections_from_result(b.process(rgb), w, h)
            assert len(direct) == len(via_process) == 1
            assert direct[0].bbox == pytest.approx(via_process[0].bbox, abs=1e-6)
            assert np.allclose(direct[0].keypoints_px, via_process[0].keypoints_px)
        # nothing found: None, as process() gives
        assert run(np.zeros((64, 64, 3), np.uint8)) is None


def test_mesh_direct_equals_process(photos: list[np.ndarray]) -> None:
    kw = dict(static_image_mode=True, max_num_faces=1, refine_landmarks=True)
    with mp.solutions.face_mesh.FaceMesh(**kw) as a, mp.solutions.face_mesh.FaceMesh(**kw) as b:
        run = GraphRunner(a, "multi_face_landmarks")
        assert run.direct
        for rgb in photos:
            crop = cv2.resize(rgb, (CROP_MIN_PX * 2, CROP_MIN_PX * 2))
            direct = run(crop)
            via_process = b.process(crop).multi_face_landmarks
            assert direct is not None and via_process is not None
            assert np.allclose(landmarks_array(direct[0]), landmarks_array(via_process[0]))


def test_falls_back_to_process_and_refuses_grey(photos: list[np.ndarray]) -> None:
    class Plain:
        """A solution with only the public ``process``."""

        def __init__(self) -> None:
            self.calls = 0

        def process(self, rgb: np.ndarray) -> object:
            self.calls += 1
            return type("Out", (), {"detections": ["found"]})

    plain = Plain()
    run = GraphRunner(plain, "detections")
    assert not run.direct
    assert run(photos[0]) == ["found"] and plain.calls == 1
    with (mp.solutions.face_detection.FaceDetection(model_selection=1) as det,
          pytest.raises(ValueError, match="three channel")):
        GraphRunner(det, "detections")(np.zeros((64, 64), np.uint8))

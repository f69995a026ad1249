"""FacePerceiver on real photographs: faces found, boxes, mesh, limits, errors, API."""

from __future__ import annotations

import sys
from collections.abc import Callable

import cv2
import numpy as np
import pytest

from frontdesk.config import CameraConfig, PerceptionConfig
from frontdesk.errors import ModelError
from frontdesk.perception import FacePerceiver
from frontdesk.perception import landmarks as L
from frontdesk.types import Face, Frame, FrameObservation


def test_astronaut_face_is_found_with_a_plausible_box(astronaut_face: Face) -> None:
    x0, y0, x1, y1 = astronaut_face.bbox
    # The portrait's face spans roughly x 175..275, y 70..175 (hairline to chin).
    assert 150 < x0 < 200 and 250 < x1 < 300
    assert 45 < y0 < 100 and 150 < y1 < 200
    assert 0.8 < (x1 - x0) / (y1 - y0) < 1.25
    assert astronaut_face.score > 0.8
    assert astronaut_face.has_mesh


def test_mesh_lands_on_the_face(astronaut_face: Face) -> None:
    lm = astronaut_face.landmarks
    assert lm is not None and lm.shape == (478, 3)
    x0, y0, x1, y1 = astronaut_face.bbox
    w = x1 - x0
    assert np.all((lm[:, 0] > x0 - 0.2 * w) & (lm[:, 0] < x1 + 0.2 * w))
    for center, contour in (
        (L.RIGHT_IRIS_CENTER, L.RIGHT_EYE_CONTOUR), (L.LEFT_IRIS_CENTER, L.LEFT_EYE_CONTOUR)
    ):
        eye = lm[list(contour), :2].astype(np.float32)
        inside = cv2.pointPolygonTest(eye, (float(lm[center, 0]), float(lm[center, 1])), False)
        assert inside > 0, f"iris {center} is outside its eye opening"
    # the subject's right eye is on the image's left
    assert lm[L.RIGHT_IRIS_CENTER, 0] < lm[L.LEFT_IRIS_CENTER, 0]


def test_astronaut_pose_and_position_are_sensible(astronaut_face: Face) -> None:
    f = astronaut_face
    # She faces the camera, which sees her from below (her face is near the top of
    # the frame), so her head points down in the camera frame.
    assert abs(f.yaw_deg) < 10 and -35 < f.pitch_deg < -15 and abs(f.roll_deg) < 8
    assert f.gaze[2] < -0.8 and f.gaze[1] > 0
    assert np.linalg.norm(f.gaze) == pytest.approx(1.0)
    # a 104 px face through a 60 degree lens on 512 px is about 0.6 m away, up and left
    assert 0.45 < f.head_position_m[2] < 0.8
    assert f.head_position_m[0] < 0 and f.head_position_m[1] < 0
    assert f.rotation is not None and np.allclose(f.rotation @ f.rotation.T, np.eye(3))


def test_no_face_in_the_coffee_cup(perceive: Callable[[np.ndarray], list[Face]],
                                   coffee_bgr: np.ndarray) -> None:
    assert perceive(coffee_bgr) == []


def _two_people(astronaut: np.ndarray) -> np.ndarray:
    """The astronaut, and a smaller mirrored copy of her to her left, on one canvas."""
    canvas = np.full((512, 1024, 3), 180, np.uint8)
    canvas[:, :512] = astronaut
    small = cv2.flip(cv2.resize(astronaut, (384, 384)), 1)
    canvas[60:444, 580:964] = small
    return canvas


def test_two_faces_largest_first(perceive: Callable[[np.ndarray], list[Face]],
                                 astronaut_bgr: np.ndarray) -> None:
    faces = perceive(_two_people(astronaut_bgr))
    assert len(faces) == 2
    assert faces[0].size_px > faces[1].size_px
    assert faces[0].center_px[0] < 512 < faces[1].center_px[0]
    assert all(f.has_mesh for f in faces)
    # the mirrored copy is the same face: mirrored yaw, the same roll mirrored
    assert faces[0].yaw_deg == pytest.approx(-faces[1].yaw_deg, abs=6)


def test_max_faces_limits_the_mesh_to_the_largest(camera_cfg: CameraConfig,
                                                  astronaut_bgr: np.ndarray) -> None:
    cfg = PerceptionConfig.model_validate({"max_faces": 1})
    with FacePerceiver(cfg, camera_cfg) as p:
        faces = p.process(Frame(_two_people(astronaut_bgr), 0.0, 0)).faces
    assert [f.has_mesh for f in faces] == [True, False]
    assert faces[1].landmarks is None
    assert np.linalg.norm(faces[1].gaze) == pytest.approx(1.0)


def test_faces_below_the_mesh_size_get_a_coarse_pose(camera_cfg: CameraConfig,
                                                     astronaut_bgr: np.ndarray,
                                                     astronaut_face: Face) -> None:
    cfg = PerceptionConfig.model_validate({"mesh_min_face_px": 200})
    with FacePerceiver(cfg, camera_cfg) as p:
        obs = p.process(Frame(astronaut_bgr, 1.5, 7))
    (coarse,) = obs.faces
    assert not coarse.has_mesh and coarse.landmarks is None
    assert coarse.bbox == pytest.approx(astronaut_face.bbox)
    # six keypoints give a rough but same-signed pose and a distance within 25 %
    assert abs(coarse.yaw_deg - astronaut_face.yaw_deg) < 15
    assert abs(coarse.pitch_deg - astronaut_face.pitch_deg) < 20
    ratio = coarse.head_position_m[2] / astronaut_face.head_position_m[2]
    assert 0.75 < ratio < 1.25
    assert np.allclose(coarse.gaze, coarse.rotation @ [0, 0, -1])
    assert (obs.index, obs.t, obs.width, obs.height) == (7, 1.5, 512, 512)


def test_observation_json_is_the_inspect_record(perceiver: FacePerceiver,
                                                astronaut_bgr: np.ndarray) -> None:
    obs = perceiver.process(Frame(astronaut_bgr, 2.25, 3))
    assert isinstance(obs, FrameObservation)
    record = obs.to_json()
    assert record["frame"] == 3 and record["t"] == 2.25
    (face,) = record["faces"]
    assert set(face) == {"bbox", "score", "yaw_deg", "pitch_deg", "roll_deg", "gaze",
                         "head_position_m", "range_uncertainty"}
    assert 0.05 <= face["range_uncertainty"] <= 0.2  # a meshed face in good light
    assert len(face["gaze"]) == 3 and len(face["bbox"]) == 4


def test_stage_timing_accumulates(perceiver: FacePerceiver, astronaut_bgr: np.ndarray) -> None:
    before = perceiver.timer.frames
    perceiver.process(Frame(astronaut_bgr, 0.0, 0))
    assert perceiver.timer.frames == before + 1
    stages = perceiver.stage_ms
    assert {"detect", "mesh", "pose"} <= set(stages)
    assert all(v > 0 for v in stages.values())


def test_missing_mediapipe_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    # A Python without MediaPipe: the import fails, and the perceiver says so at once.
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    with pytest.raises(ModelError, match="MediaPipe"):
        FacePerceiver(PerceptionConfig.model_validate({}), CameraConfig.model_validate({}))


def test_closed_perceiver_refuses_frames(camera_cfg: CameraConfig,
                                         astronaut_bgr: np.ndarray) -> None:
    with FacePerceiver(PerceptionConfig.model_validate({}), camera_cfg) as p:
        assert len(p.process(Frame(astronaut_bgr, 0.0, 0)).faces) == 1
    with pytest.raises(RuntimeError, match="after close"):
        p.process(Frame(astronaut_bgr, 0.0, 0))
    p.close()  # closing twice is harmless

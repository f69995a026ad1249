"""Fixtures for the perception tests: real photographs and real MediaPipe graphs.

Images come from scikit-image at test time (the public-domain NASA astronaut
portrait, the coffee cup); nothing is committed. MediaPipe graphs are built
once per session. Renders of the astronaut at known poses come from
:mod:`frontdesk.sim.face_render` and are cached per session as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import cv2
import numpy as np
import pytest
from perception_helpers import FOV_DEG, SWEEP_DEG, Render
from skimage import data

from frontdesk.camera_model import Intrinsics
from frontdesk.config import CameraConfig, PerceptionConfig
from frontdesk.perception import FacePerceiver
from frontdesk.sim.face_render import (
    FaceTexture,
    erase_face,
    render_face,
    turned_pose,
)
from frontdesk.types import Face, Frame


@pytest.fixture(scope="session")
def astronaut_bgr() -> np.ndarray:
    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="session")
def coffee_bgr() -> np.ndarray:
    return cv2.cvtColor(data.coffee(), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="session")
def camera_cfg() -> CameraConfig:
    return CameraConfig.model_validate({"horizontal_fov_deg": FOV_DEG})


@pytest.fixture(scope="session")
def intrinsics(camera_cfg: CameraConfig) -> Intrinsics:
    return Intrinsics.from_config(camera_cfg, 512, 512)


@pytest.fixture(scope="session")
def perceiver(camera_cfg: CameraConfig) -> Iterator[FacePerceiver]:
    with FacePerceiver(PerceptionConfig.model_validate({}), camera_cfg) as p:
        yield p


@pytest.fixture(scope="session")
def perceive(perceiver: FacePerceiver) -> Callable[[np.ndarray], list[Face]]:
    def run(image: np.ndarray) -> list[Face]:
        return perceiver.process(Frame(np.ascontiguousarray(image), 0.0, 0)).faces

    return run


@pytest.fixture(scope="session")
def astronaut_face(
    astronaut_bgr: np.ndarray, perceive: Callable[[np.ndarray], list[Face]]
) -> Face:
    faces = perceive(astronaut_bgr)
    assert len(faces) == 1
    return faces[0]


@pytest.fixture(scope="session")
def texture(astronaut_bgr: np.ndarray, astronaut_face: Face, intrinsics: Intrinsics) -> FaceTexture:
    assert astronaut_face.landmarks is not None
    return FaceTexture.from_landmarks(astronaut_bgr, astronaut_face.landmarks, intrinsics)


@pytest.fixture(scope="session")
def background(astronaut_bgr: np.ndarray, texture: FaceTexture) -> np.ndarray:
    return erase_face(astronaut_bgr, texture.uv_px)


@pytest.fixture(scope="session")
def render(
    texture: FaceTexture,
    background: np.ndarray,
    intrinsics: Intrinsics,
    perceive: Callable[[np.ndarray], list[Face]],
) -> Callable[..., Render]:
    """``render(yaw_deg=, pitch_deg=, roll_deg=, eyes=(yaw, pitch))`` -> :class:`Render`."""
    cache: dict[tuple, Render] = {}

    def make(
        yaw_deg: float = 0.0,
        pitch_deg: float = 0.0,
        roll_deg: float = 0.0,
        eyes: tuple[float, float] | None = None,
    ) -> Render:
        key = (yaw_deg, pitch_deg, roll_deg, eyes)
        if key not in cache:
            canvas = background.copy()
            rot, t = turned_pose(texture, yaw_deg, pitch_deg, roll_deg)
            truth = render_face(canvas, texture, rot, t, intrinsics, eye_rotation_deg=eyes)
            cache[key] = Render(canvas, truth, perceive(canvas))
        return cache[key]

    return make


@pytest.fixture(scope="session")
def yaw_sweep(render: Callable[..., Render]) -> dict[int, Render]:
    return {a: render(yaw_deg=a) for a in SWEEP_DEG}


@pytest.fixture(scope="session")
def pitch_sweep(render: Callable[..., Render]) -> dict[int, Render]:
    return {a: render(pitch_deg=a) for a in SWEEP_DEG}

"""The fast face and solid drawing against the face renderer and against geometry."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from skimage import data

from frontdesk.camera_model import Intrinsics
from frontdesk.perception.pose import rotation_from_euler
from frontdesk.render.raster import draw_face, ellipsoid, fill_solid, shade_ellipsoid
from frontdesk.sim.face_render import FaceTexture, render_face

K = Intrinsics.from_fov(640, 480, 70.0)


@pytest.fixture(scope="module")
def texture() -> FaceTexture:
    image = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    return FaceTexture.from_photo(image, Intrinsics.from_fov(512, 512, 60.0))


@pytest.mark.parametrize(("yaw", "pitch", "eyes"), [(0.0, 0.0, (0.0, 0.0)),
                                                    (45.0, -10.0, (12.0, 5.0)),
                                                    (-30.0, 15.0, (-15.0, 0.0))])
def test_draw_face_matches_render_face(texture: FaceTexture, yaw: float, pitch: float,
                                       eyes: tuple[float, float]) -> None:
    rot = rotation_from_euler(yaw, pitch, 0.0)
    t = np.array([0.05, 0.02, 0.9])
    ref = np.full((480, 640, 3), 90, np.uint8)
    ours = ref.copy()
    truth = render_face(ref, texture, rot, t, K, eye_rotation_deg=eyes)
    drawn = draw_face(ours, texture, rot, t, K, eye_rotation_deg=eyes)
    assert np.allclose(drawn.landmarks_px, truth.landmarks_px)
    assert np.allclose(drawn.gaze, truth.gaze)
    x0, y0, x1, y1 = (int(v) for v in drawn.bbox)
    diff = np.abs(ref.astype(int) - ours.astype(int)).max(axis=2)[y0:y1 + 1, x0:x1 + 1]
    painted = (ref[y0:y1 + 1, x0:x1 + 1] != 90).any(axis=2)
    assert drawn.pixels > 0.9 * painted.sum()
    # The two agree pixel for pixel except along edges, and where the nose hides part
    # of a cheek (a depth buffer here, far triangles painted first there).
    assert (diff[painted] <= 30).mean() > 0.94
    assert diff[painted].mean() < 5.0 and np.median(diff[painted]) <= 2


def test_a_face_turned_away_is_not_drawn(texture: FaceTexture) -> None:
    canvas = np.full((480, 640, 3), 90, np.uint8)
    drawn = draw_face(canvas, texture, rotation_from_euler(180.0, 0.0, 0.0),
                      np.array([0.0, 0.0, 1.0]), K)
    assert drawn.pixels == 0
    assert (canvas == 90).all()
    profile = draw_face(canvas, texture, rotation_from_euler(85.0, 0.0, 0.0),
                        np.array([0.0, 0.0, 1.0]), K)
    assert profile.pixels > 100 and (canvas != 90).any()


def test_shade_ellipsoid_draws_a_sphere_with_its_true_silhouette() -> None:
    canvas = np.zeros((480, 640, 3), np.uint8)
    radius_m, distance_m = 0.1, 1.0
    box = shade_ellipsoid(canvas, np.eye(3), np.array([0.0, 0.0, distance_m]), np.zeros(3),
                          np.full(3, radius_m), lambda u: np.full((len(u), 3), 200.0),
                          np.array([0.0, 0.0, 1.0]), K, ambient=1.0)
    assert box is not None
    painted = int((canvas > 0).any(axis=2).sum())
    # A sphere seen from its axis projects to a circle of radius f R / sqrt(d^2 - R^2).
    r_px = K.fx * radius_m / math.sqrt(distance_m**2 - radius_m**2)
    assert painted == pytest.approx(math.pi * r_px**2, rel=0.03)
    # Lit from the camera with no ambient light, the centre is brightest.
    cy, cx = int(K.cy), int(K.cx)
    assert canvas[cy, cx, 0] > canvas[cy, cx + int(0.9 * r_px), 0]


def test_fill_solid_draws_only_what_faces_the_camera() -> None:
    sphere = ellipsoid(16, 10)
    canvas = np.zeros((480, 640, 3), np.uint8)
    pts = sphere.vertices * 0.1 + np.array([0.0, 0.0, 1.0])
    colours = np.full((len(sphere.quads), 3), 255.0)
    fill_solid(canvas, pts, sphere, colours, np.array([0.0, 0.0, 1.0]), K, ambient=1.0)
    painted = (canvas > 0).any(axis=2)
    r_px = K.fx * 0.1 / math.sqrt(1.0 - 0.01)
    # The polygonal sphere is a little smaller than the true one, never larger.
    assert 0.85 * math.pi * r_px**2 < painted.sum() <= 1.02 * math.pi * r_px**2
    behind = np.zeros_like(canvas)
    fill_solid(behind, pts - np.array([0.0, 0.0, 1.5]), sphere, colours,
               np.array([0.0, 0.0, 1.0]), K)
    assert not behind.any()

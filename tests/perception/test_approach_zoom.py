"""Small-face windows over the approach zones (perception.approach_zoom).

A queue 2 to 3 m from the camera puts faces of 2 to 3 % of the frame width side
by side; the frame-high tiles shrink them to 8 or 9 px of the detector's 192 px
input and miss them. The real astronaut portrait, pasted small into a 1280x720
frame, is found in a window of half the frame's height over the zone and on no
frame-high tile; the windows' geometry and turns are checked by hand.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from frontdesk.config import CameraConfig, PerceptionConfig
from frontdesk.perception import FacePerceiver
from frontdesk.perception.mediapipe_faces import zoom_windows
from frontdesk.pipeline import FramePipeline, approach_boxes
from frontdesk.sim.runs import sim_config
from frontdesk.types import Frame

REGION = (0.4, 0.3, 0.6, 0.6)  # around the pasted portrait below


def _small_portrait(astronaut_bgr: np.ndarray, side: int) -> np.ndarray:
    canvas = np.full((720, 1280, 3), 120, np.uint8)
    canvas[200:200 + side, 600:600 + side] = cv2.resize(
        astronaut_bgr, (side, side), interpolation=cv2.INTER_AREA)
    return canvas


def _perception(zoom: float, every: int = 1) -> PerceptionConfig:
    return PerceptionConfig.model_validate({
        "approach_zoom": zoom, "approach_zoom_every_n_frames": every,
        "detection_tiles": 2, "tiles_per_frame": 2})


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        ([(500, 200, 700, 300)], [(420, 70, 360)]),              # fits: one, centred
        ([(0, 0, 40, 30)], [(0, 0, 360)]),                       # at a corner: kept inside
        ([(100, 100, 1200, 200)],
         [(100, 0, 360), (347, 0, 360), (593, 0, 360), (840, 0, 360)]),
        ([(500, 200, 700, 300), (500, 200, 700, 300)], [(420, 70, 360)]),  # no duplicates
    ],
)
def test_zoom_windows_cover_each_region_inside_the_frame(
        regions: list[tuple[float, float, float, float]],
        expected: list[tuple[int, int, int]]) -> None:
    windows = zoom_windows(1280, 720, regions, 0.5)
    assert windows == expected
    for x0, y0, side in windows:
        assert side == 360
        assert 0 <= x0 <= 1280 - side and 0 <= y0 <= 720 - side
    # a wide region: neighbours overlap by at least a quarter of a side
    xs = sorted(x for x, _, _ in windows)
    assert all(b - a <= 0.75 * 360 for a, b in zip(xs, xs[1:], strict=False))


def test_no_windows_when_they_would_not_be_smaller_than_a_tile() -> None:
    assert zoom_windows(1280, 720, [(500, 200, 700, 300)], 0.95) == []
    assert zoom_windows(1280, 720, [], 0.5) == []


@pytest.mark.parametrize("side", [130, 150])
def test_a_small_real_face_only_the_zoom_window_finds(
        astronaut_bgr: np.ndarray, side: int) -> None:
    image = _small_portrait(astronaut_bgr, side)
    camera = CameraConfig.model_validate({})
    with FacePerceiver(_perception(0.0), camera, zoom_regions=[REGION]) as plain:
        assert plain.process(Frame(image, 0.0, 0)).faces == []  # whole frame and both tiles
    with FacePerceiver(_perception(0.5), camera, zoom_regions=[REGION]) as zoomed:
        faces = zoomed.process(Frame(image, 0.0, 0)).faces
    assert len(faces) == 1
    x0, y0, x1, y1 = faces[0].bbox
    assert 600 + 0.25 * side < (x0 + x1) / 2 < 600 + 0.75 * side  # the astronaut's face
    assert 0.12 * side < x1 - x0 < 0.3 * side


def test_the_windows_run_one_frame_in_n_in_turn(astronaut_bgr: np.ndarray) -> None:
    """Two regions far apart, a window every other frame: each window once in four
    frames; a frame-high tile on every frame (one of two, in turn)."""
    cfg = PerceptionConfig.model_validate({"approach_zoom_every_n_frames": 2})
    with FacePerceiver(cfg, CameraConfig.model_validate({}),
                       zoom_regions=[(0.05, 0.3, 0.15, 0.4), (0.85, 0.3, 0.95, 0.4)]) as p:
        zoom = p.zoom_windows(1280, 720)
        assert len(zoom) == 2
        ran = []
        for i in range(8):
            planned = p.next_windows(1280, 720)
            assert p.next_windows(1280, 720) == planned  # looking does not move the turn
            p.process(Frame(np.full((720, 1280, 3), 120, np.uint8), i / 15.0, i))
            ran.append(planned)
    assert [len(w) for w in ran] == [2, 1] * 4
    assert [w[1] for w in ran[::2]] == [zoom[0], zoom[1], zoom[0], zoom[1]]
    assert [w[0][2] for w in ran] == [720] * 8


def test_zones_edited_live_move_the_windows() -> None:
    config = sim_config()
    with FramePipeline(config) as pipeline:
        assert pipeline.engine is not None and pipeline.perceiver is not None
        before = pipeline.perceiver.zoom_windows(1280, 720)
        assert before and approach_boxes(config.counters)
        counter = config.counters[0]
        moved = counter.model_copy(update={"zones": counter.zones.model_copy(
            update={"approach": [[0.05, 0.5], [0.2, 0.5], [0.2, 0.7], [0.05, 0.7]]})})
        pipeline.engine.set_zones([moved])
        pipeline.perceive(Frame(np.full((720, 1280, 3), 120, np.uint8), 0.0, 0))
        after = pipeline.perceiver.zoom_windows(1280, 720)
    assert after and after != before
    assert all(x0 < 0.3 * 1280 for x0, _, _ in after)


def test_a_zoom_window_the_gate_drops_runs_on_the_next_frame_with_windows(
        astronaut_bgr: np.ndarray) -> None:
    """Gated, the tiles (and the zoom window) run on some frames only: on a keep-alive
    every 30 frames, or here every other frame. A zoom window due on a frame without
    windows waits for the next frame that has them; before, its turn passed and a
    small face only the window finds was never found when the gate's frames fell
    on the other parity."""
    image = _small_portrait(astronaut_bgr, 130)
    with FacePerceiver(_perception(0.5, every=2), CameraConfig.model_validate({}),
                       zoom_regions=[REGION]) as p:
        found = []
        for i in range(6):  # the gate's tiles on every other frame, the zoom's parity off
            found.append(len(p.process(Frame(image, i / 15.0, i), tiles=i % 2 == 1).faces))
    # before: [0] * 6. Frame 0's window waits for frame 1; frame 2 runs its windows
    # for the known face the whole frame misses; frame 3's are tiles only (as ungated)
    assert found == [0, 1, 1, 0, 0, 1]

"""Detection on square tiles as well as the whole frame (perception.detection_tiles).

The full-range detector squeezes its whole input into 192 px; on a 16:9 frame a
face keeps only 192/width of its pixels. The real astronaut portrait, pasted at
shrinking sizes into a 1280x720 frame, shows what the tiles buy, and the pure
helpers are checked with boxes placed by hand.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import pytest

from frontdesk.config import CameraConfig, PerceptionConfig
from frontdesk.perception import FacePerceiver
from frontdesk.perception.mediapipe_faces import (
    Detection,
    MediaPipeFaces,
    _cut_by_edge,
    merge_detections,
    tile_windows,
)
from frontdesk.types import Frame


def _det(x0: float, y0: float, x1: float, y1: float, score: float = 0.9) -> Detection:
    return Detection((x0, y0, x1, y1), score, np.zeros((6, 2)))


@pytest.mark.parametrize(
    ("width", "height", "count", "expected"),
    [
        (1280, 720, 2, [(0, 0, 720), (560, 0, 720)]),
        (1280, 720, 3, [(0, 0, 720), (280, 0, 720), (560, 0, 720)]),
        (1280, 720, 1, [(280, 0, 720)]),
        (960, 540, 2, [(0, 0, 540), (420, 0, 540)]),
        (480, 640, 2, [(0, 0, 480), (0, 160, 480)]),  # portrait: tiles run down the frame
        (640, 640, 2, []),  # square: a tile is the frame
        (1280, 720, 0, []),
    ],
)
def test_tile_windows_are_squares_covering_the_long_side(
    width: int, height: int, count: int, expected: list[tuple[int, int, int]]
) -> None:
    windows = tile_windows(width, height, count)
    assert windows == expected
    for x0, y0, side in windows:
        assert side == min(width, height)
        assert x0 >= 0 and x0 + side <= width and y0 >= 0 and y0 + side <= height
    if count >= 2 and windows:
        covered = np.zeros(max(width, height), bool)
        for x0, y0, side in windows:
            start = x0 if width >= height else y0
            covered[start:start + side] = True
        assert covered.all()


def test_merge_keeps_the_best_scored_of_overlapping_boxes_and_orders_by_size() -> None:
    whole = _det(100, 100, 150, 150, score=0.6)
    tile = _det(102, 101, 151, 152, score=0.8)  # the same face seen in a tile
    other = _det(400, 100, 480, 180, score=0.7)
    small = _det(700, 100, 720, 120, score=0.95)
    merged = merge_detections([whole, tile, other, small])
    assert merged == [other, tile, small]


def test_merge_keeps_the_whole_frame_box_of_a_face_the_tiles_also_saw() -> None:
    """The whole frame runs every frame, the tiles in turn: one kind of box per face,
    or a standing face's box jumps between the two from frame to frame."""
    whole = _det(100, 100, 150, 150, score=0.6)
    tile = _det(102, 101, 151, 152, score=0.8)  # the same face, better scored in a tile
    only_tile = _det(700, 100, 720, 120, score=0.9)  # too small for the whole frame
    merged = merge_detections([whole, tile, only_tile], whole_frame=1)
    assert merged == [whole, only_tile]
    assert merge_detections([whole], whole_frame=1) == [whole]  # a frame without tiles


def test_merge_keeps_faces_that_only_touch() -> None:
    a, b = _det(0, 0, 50, 50), _det(40, 0, 90, 50)  # IoU 10/90
    assert len(merge_detections([a, b])) == 2


def test_a_face_cut_by_an_inner_tile_edge_is_left_to_the_other_runs() -> None:
    right_tile = (560, 0, 720)  # its left edge is inside a 1280-wide frame
    assert _cut_by_edge(_det(0, 300, 40, 340), right_tile, 1280, 720)
    assert not _cut_by_edge(_det(30, 300, 80, 340), right_tile, 1280, 720)
    # The frame's own right edge is not a cut.
    assert not _cut_by_edge(_det(680, 300, 720, 340), right_tile, 1280, 720)
    left_tile = (0, 0, 720)
    assert _cut_by_edge(_det(690, 300, 720, 340), left_tile, 1280, 720)
    assert not _cut_by_edge(_det(0, 300, 40, 340), left_tile, 1280, 720)


@pytest.fixture(scope="module")
def graphs() -> Iterator[MediaPipeFaces]:
    g = MediaPipeFaces(0.5)
    yield g
    g.close()


def _portrait_in_wide_frame(astronaut_bgr: np.ndarray, side: int, x0: int) -> np.ndarray:
    canvas = np.full((720, 1280, 3), 120, np.uint8)
    canvas[200:200 + side, x0:x0 + side] = cv2.resize(
        astronaut_bgr, (side, side), interpolation=cv2.INTER_AREA
    )
    return canvas


@pytest.mark.parametrize("side", [280, 240])
def test_tiles_find_a_small_real_face_the_whole_frame_misses(
    graphs: MediaPipeFaces, astronaut_bgr: np.ndarray, side: int
) -> None:
    rgb = cv2.cvtColor(_portrait_in_wide_frame(astronaut_bgr, side, 150), cv2.COLOR_BGR2RGB)
    assert graphs.detect(rgb) == []
    found = graphs.detect(rgb, tile_windows(1280, 720, 2))
    assert len(found) == 1
    x0, y0, x1, y1 = found[0].bbox
    # The astronaut's face sits in the upper middle of the portrait.
    assert 150 + 0.25 * side < (x0 + x1) / 2 < 150 + 0.75 * side
    assert 200 < (y0 + y1) / 2 < 200 + 0.5 * side
    assert 0.12 * side < x1 - x0 < 0.3 * side


def test_a_face_in_both_tiles_is_reported_once(
    graphs: MediaPipeFaces, astronaut_bgr: np.ndarray
) -> None:
    # Centred on x = 640: inside both tiles of a 1280x720 frame (their overlap is 560..720).
    rgb = cv2.cvtColor(_portrait_in_wide_frame(astronaut_bgr, 300, 490), cv2.COLOR_BGR2RGB)
    assert len(graphs.detect(rgb, tile_windows(1280, 720, 2))) == 1


def test_the_perceiver_runs_its_tiles_in_turn(astronaut_bgr: np.ndarray) -> None:
    """With one tile per frame, a face only the left tile sees is found on every
    other frame; with both tiles on every frame, on each frame; with none, never."""
    image = _portrait_in_wide_frame(astronaut_bgr, 260, 150)
    camera = CameraConfig.model_validate({})

    def faces_per_frame(tiles: int, per_frame: int) -> list[int]:
        cfg = PerceptionConfig.model_validate(
            {"detection_tiles": tiles, "tiles_per_frame": per_frame}
        )
        with FacePerceiver(cfg, camera) as perceiver:
            return [len(perceiver.process(Frame(image, i / 15, i)).faces) for i in range(4)]

    assert faces_per_frame(0, 1) == [0, 0, 0, 0]
    assert faces_per_frame(2, 2) == [1, 1, 1, 1]
    assert faces_per_frame(2, 1) == [1, 0, 1, 0]


def test_without_tiles_asked_the_perceiver_still_runs_them_for_a_face_it_knew(
        astronaut_bgr: np.ndarray) -> None:
    """Gating asks for the tiles only where faces are small or something new may be
    (``tiles=False`` otherwise); a face only the tiles hold is not dropped for it."""
    image = _portrait_in_wide_frame(astronaut_bgr, 260, 150)
    cfg = PerceptionConfig.model_validate({"detection_tiles": 2, "tiles_per_frame": 2})
    with FacePerceiver(cfg, CameraConfig.model_validate({})) as perceiver:
        assert perceiver.process(Frame(image, 0.0, 0), tiles=False).faces == []
        assert len(perceiver.process(Frame(image, 0.1, 1)).faces) == 1
        assert len(perceiver.process(Frame(image, 0.2, 2), tiles=False).faces) == 1
        blank = np.full_like(image, 120)
        assert perceiver.process(Frame(blank, 0.3, 3), tiles=False).faces == []
        assert perceiver.process(Frame(image, 0.4, 4), tiles=False).faces == []  # forgotten


def test_face_mesh_only_when_asked(astronaut_bgr: np.ndarray) -> None:
    image = _portrait_in_wide_frame(astronaut_bgr, 500, 400)
    seen: list[int] = []

    def nobody_new(detections: list[Detection]) -> bool:
        seen.append(len(detections))
        return False

    with FacePerceiver(PerceptionConfig(), CameraConfig.model_validate({})) as perceiver:
        meshed = perceiver.process(Frame(image, 0.0, 0)).faces
        bare = perceiver.process(Frame(image, 0.1, 1), mesh=False).faces
        asked = perceiver.process(Frame(image, 0.2, 2), mesh=nobody_new).faces
    assert [f.has_mesh for f in meshed] == [True]
    assert [f.has_mesh for f in bare] == [False] and bare[0].landmarks is None
    assert [f.has_mesh for f in asked] == [False] and seen == [1]
    assert bare[0].bbox == meshed[0].bbox  # the same detection, keypoint pose only


def test_a_skipped_frame_moves_the_tiles_turn_on(astronaut_bgr: np.ndarray) -> None:
    """Gated, a frame the gate skips still takes its turn: the frames that are
    perceived get the tile they would get ungated (left tile on even frames)."""
    image = _portrait_in_wide_frame(astronaut_bgr, 260, 150)
    cfg = PerceptionConfig.model_validate({"detection_tiles": 2, "tiles_per_frame": 1})
    with FacePerceiver(cfg, CameraConfig.model_validate({})) as perceiver:
        assert len(perceiver.process(Frame(image, 0.0, 0)).faces) == 1  # left tile
        perceiver.skip_frame(Frame(image, 0.1, 1))                       # right tile's turn
        assert len(perceiver.process(Frame(image, 0.2, 2)).faces) == 1  # left tile again
        assert perceiver.process(Frame(np.full_like(image, 120), 0.3, 3)).faces == []
        perceiver.skip_frame(Frame(image, 0.4, 4))
        assert perceiver.process(Frame(image, 0.5, 5)).faces == []      # right tile: missed


def test_one_face_boxed_twice_at_two_sizes_is_one_face() -> None:
    """A pass that inflates a small face's box (50 px around a 22 px face, seen on
    rendered footage) overlaps the right box by less than 0.2 IoU: nested, they are
    one face. Neighbours side by side, and boxes that merely touch, stay two."""
    inflated, small = _det(300, 200, 350, 250, 0.63), _det(314, 212, 336, 234, 0.78)
    assert len(merge_detections([inflated, small], whole_frame=1)) == 1
    assert merge_detections([inflated, small], whole_frame=1)[0].bbox == inflated.bbox
    assert len(merge_detections([small, inflated])) == 1  # tiles alone: the better score
    assert merge_detections([small, inflated])[0].bbox == small.bbox
    queue = [_det(558, 212, 583, 237), _det(594, 208, 627, 241), _det(650, 239, 701, 290)]
    assert len(merge_detections(queue)) == 3
    overlapping = [_det(100, 100, 150, 150), _det(140, 110, 190, 160)]  # a fifth of each
    assert len(merge_detections(overlapping)) == 2

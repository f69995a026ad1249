"""Perception's presence stage on real pixels: a photographed person on a plain scene."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from frontdesk.config import PresenceConfig
from frontdesk.perception.presence import PresenceStage
from frontdesk.types import Face, Frame, OccupancyGrid

W, H = 640, 360
PERSON = (380, 40, 560, 360)  # x0, y0, x1, y1: head and body of the astronaut photograph
FACE_BOX = (430.0, 60.0, 510.0, 150.0)


_PHOTO: list[np.ndarray] = []


def _person_photo() -> np.ndarray:
    if not _PHOTO:
        x0, y0, x1, y1 = PERSON
        photo = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[0:512, 60:420]
        _PHOTO.append(cv2.resize(photo, (x1 - x0, y1 - y0)).astype(np.float32))
    return _PHOTO[0]


def _scene(rng: np.random.Generator, noise: float = 3.0, person: bool = False,
           light: float = 1.0) -> np.ndarray:
    room = np.empty((H, W, 3), np.float32)
    room[:] = (120, 110, 100)
    room[200:, :] = (70, 80, 90)  # a counter
    if person:
        x0, y0, x1, y1 = PERSON
        room[y0:y1, x0:x1] = _person_photo()
    room *= light
    room += rng.standard_normal(room.shape, dtype=np.float32) * noise
    return np.clip(room, 0, 255).astype(np.uint8)


def _face() -> Face:
    return Face(bbox=FACE_BOX, score=0.9, yaw_deg=0.0, pitch_deg=0.0, roll_deg=0.0,
                gaze=np.array([0.0, 0.0, -1.0]), head_position_m=np.array([0.3, -0.2, 1.5]))


def _occupied(grid: OccupancyGrid, box: tuple[int, int, int, int]) -> float:
    x0, y0, x1, y1 = box
    return grid.fraction(x0 / W, y0 / H, x1 / W, y1 / H)


def _feed(stage: PresenceStage, t0: float, t1: float, fps: float, person: bool,
          with_face: bool, rng: np.random.Generator, **kw: float) -> OccupancyGrid:
    grid = None
    n = int(round((t1 - t0) * fps))
    for i in range(n):
        t = t0 + i / fps
        frame = Frame(_scene(rng, person=person, **kw), t, i)
        grid = stage.update(frame, [_face()] if with_face else [])
    assert grid is not None
    return grid


def test_a_person_occupies_their_cells_and_nothing_else() -> None:
    rng = np.random.default_rng(1)
    stage = PresenceStage(PresenceConfig())
    empty = _feed(stage, 0.0, 2.0, 10.0, person=False, with_face=False, rng=rng)
    assert not empty.cells.any()
    grid = _feed(stage, 2.0, 2.5, 10.0, person=True, with_face=True, rng=rng)
    assert _occupied(grid, PERSON) > 0.6
    assert _occupied(grid, (0, 0, 300, 360)) == 0.0  # the rest of the room is empty
    assert (grid.rows, grid.cols) == stage.grid_shape(W, H) == (27, 48)


def test_a_person_whose_face_was_seen_is_not_learned_away_while_she_looks_down() -> None:
    """Two minutes at the counter, the face seen only in the first second."""
    rng = np.random.default_rng(2)
    stage = PresenceStage(PresenceConfig(background_time_s=10.0))
    _feed(stage, 0.0, 1.0, 5.0, person=False, with_face=False, rng=rng)
    _feed(stage, 1.0, 2.0, 5.0, person=True, with_face=True, rng=rng)
    grid = _feed(stage, 2.0, 120.0, 2.0, person=True, with_face=False, rng=rng)
    assert _occupied(grid, PERSON) > 0.6
    # she leaves: her cells are empty again at once (her pixels were never learned)
    gone = _feed(stage, 120.0, 120.4, 5.0, person=False, with_face=False, rng=rng)
    assert _occupied(gone, PERSON) < 0.05


def test_a_change_nobody_stands_behind_is_learned_into_the_empty_scene() -> None:
    """The same picture with no face ever seen (a poster put up): learned in a few time
    constants, so it does not keep a place occupied forever."""
    rng = np.random.default_rng(3)
    stage = PresenceStage(PresenceConfig(background_time_s=5.0))
    _feed(stage, 0.0, 1.0, 5.0, person=False, with_face=False, rng=rng)
    first = _feed(stage, 1.0, 1.4, 5.0, person=True, with_face=False, rng=rng)
    assert _occupied(first, PERSON) > 0.6
    later = _feed(stage, 1.4, 40.0, 2.0, person=True, with_face=False, rng=rng)
    assert _occupied(later, PERSON) < 0.1


@pytest.mark.parametrize("light, noise", [(1.0, 3.0), (0.35, 9.0)], ids=["normal", "dim"])
def test_dim_light_and_its_noise_still_show_the_person_and_no_one_else(light: float,
                                                                       noise: float) -> None:
    rng = np.random.default_rng(4)
    stage = PresenceStage(PresenceConfig())
    _feed(stage, 0.0, 2.0, 10.0, person=False, with_face=False, rng=rng, light=light,
          noise=noise)
    grid = _feed(stage, 2.0, 2.5, 10.0, person=True, with_face=True, rng=rng, light=light,
                 noise=noise)
    assert _occupied(grid, PERSON) > 0.5
    assert _occupied(grid, (0, 0, 300, 360)) < 0.02


def test_lights_switched_on_restart_the_empty_scene_instead_of_filling_the_grid() -> None:
    rng = np.random.default_rng(5)
    stage = PresenceStage(PresenceConfig())
    _feed(stage, 0.0, 1.0, 10.0, person=False, with_face=False, rng=rng, light=0.4)
    grid = _feed(stage, 1.0, 1.2, 10.0, person=False, with_face=False, rng=rng, light=1.0)
    assert stage.restarts == 1 and not grid.cells.any()


def test_the_grid_round_trips_through_json_and_measures_boxes_by_cell_centres() -> None:
    cells = np.zeros((27, 48), dtype=bool)
    cells[10:20, 30:40] = True
    grid = OccupancyGrid(cells)
    back = OccupancyGrid.from_json(grid.to_json())
    assert np.array_equal(back.cells, cells)
    assert grid.fraction(30 / 48, 10 / 27, 40 / 48, 20 / 27) == 1.0
    assert grid.fraction(0.0, 0.0, 0.5, 1.0) == 0.0
    with pytest.raises(ValueError, match="2-D bool"):
        OccupancyGrid(np.zeros(5, dtype=bool))
    with pytest.raises(ValueError, match="needs 1296 bits"):
        OccupancyGrid.from_json({"cols": 48, "rows": 27, "bits": "ff"})


def test_between_two_runs_the_latest_grid_is_carried() -> None:
    """every_n_frames 3: a person who steps in is reported within three frames."""
    rng = np.random.default_rng(6)
    stage = PresenceStage(PresenceConfig(every_n_frames=3))
    _feed(stage, 0.0, 0.9, 10.0, person=False, with_face=False, rng=rng)  # frames 0 to 8
    grids = [stage.update(Frame(_scene(rng, person=True), 0.9 + i / 10.0, 9 + i), [])
             for i in range(3)]
    assert all(_occupied(g, PERSON) > 0.6 for g in grids)
    assert grids[1] is grids[0] and grids[2] is grids[0]  # frame 9 ran; 10 and 11 carry it
    gone = stage.update(Frame(_scene(rng, person=False), 1.2, 12), [])  # the next run
    assert _occupied(gone, PERSON) < 0.05

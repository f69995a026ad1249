"""The faceless people of an occupancy grid (``engine.places.faceless_people``): the
groups of unexplained occupied cells that may be a customer standing with her face
hidden, and where her face would be."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from frontdesk.engine.places import faceless_people
from frontdesk.types import OccupancyGrid

ROWS, COLS, ASPECT = 10, 16, 9 / 16
CELL_H = ASPECT * COLS / ROWS
"""A cell's height over its width."""


def people(mask: np.ndarray, seen: np.ndarray | None = None, min_cells: float = 3
           ) -> list[tuple[float, float, int]]:
    seen = np.zeros_like(mask) if seen is None else seen
    return faceless_people(OccupancyGrid(mask | seen), mask & ~seen, seen, ASPECT, min_cells)


def test_an_empty_mask_and_specks_are_nobody() -> None:
    mask = np.zeros((ROWS, COLS), dtype=bool)
    assert people(mask) == []
    mask[4, 4] = mask[7, 9] = mask[7, 10] = True  # one cell, and two
    assert people(mask) == []


def test_groups_touching_the_frame_edges_are_placed_within_the_frame() -> None:
    mask = np.zeros((ROWS, COLS), dtype=bool)
    mask[0:6, 13:16] = True  # the top right corner, 3 cells wide
    mask[7:10, 0:3] = True  # the bottom left corner
    found = sorted(people(mask))
    assert len(found) == 2
    (bx, by, _, barea), (tx, ty, _, tarea) = found
    assert (barea, tarea) == (9, 18)
    # the face: the centre of the top two rows, 0.8 of a face (a third of the
    # group's width: one cell) below the top
    assert tx == pytest.approx((13 + 1 + 0.5) / COLS)
    assert ty == pytest.approx(0.8 / CELL_H / ROWS)
    assert bx == pytest.approx(1.5 / COLS)
    assert by == pytest.approx((7 + 0.8 / CELL_H) / ROWS)
    assert all(0.0 <= v <= 1.0 for x, y, _, _ in found for v in (x, y))


def test_a_group_mostly_beside_a_seen_body_is_nobody_and_small_groups_are_left_out() -> None:
    mask = np.zeros((ROWS, COLS), dtype=bool)
    seen = np.zeros_like(mask)
    seen[2:10, 4:7] = True
    mask[2:10, 7:8] = True  # the strip beside a seen body
    mask[1:9, 10:14] = True  # someone standing apart: 32 cells
    found = people(mask, seen)
    assert [area for _, _, _, area in found] == [32]
    assert people(mask, seen, min_cells=32) == found
    assert people(mask, seen, min_cells=33) == []


def test_a_noisy_grid_costs_about_one_pass_whatever_its_number_of_specks() -> None:
    """The largest grid (256 columns) in dim light: thousands of specks and one person.
    Only groups as large as the smallest place sought are looked at one by one; before,
    every group was (about 24 times the cost of labelling the grid, 5 to 20 ms a frame
    while a customer walked off before arriving: now about 1.4 times)."""
    rng = np.random.default_rng(0)
    mask = rng.random((144, 256)) < 0.1
    mask[40:, 120:150] = True
    seen = np.zeros_like(mask)
    grid = OccupancyGrid(mask)
    assert len(faceless_people(grid, mask, seen, ASPECT, 500)) == 1
    as_uint8 = mask.astype(np.uint8)

    def fastest(run: object) -> float:
        assert callable(run)
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(5):
                run()
            best = min(best, time.perf_counter() - start)
        return best

    labelling = fastest(lambda: cv2.connectedComponentsWithStats(as_uint8, connectivity=8))
    sifting = fastest(lambda: faceless_people(grid, mask, seen, ASPECT, 500))
    assert sifting < 6.0 * labelling

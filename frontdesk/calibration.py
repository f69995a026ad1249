"""Camera intrinsics from photos of a printed checkerboard (OpenCV).

``frontdesk calibrate intrinsics`` and the web UI's camera page use this module:
find the board's inner corners in each photo (``findChessboardCorners`` refined
by ``cornerSubPix``), then solve for the camera matrix and distortion with
``calibrateCamera``. The RMS reprojection error says how well the model fits:
well under 1 pixel is good; more usually means blurred photos or a board that
was not flat.

A board is named by its **inner** corners, columns x rows: the common 10 x 7
squares board is ``9x6``. Only corner coordinates are kept, never the photos.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from frontdesk.errors import FrontdeskError

__all__ = [
    "MIN_BOARDS",
    "GOOD_RMS_PX",
    "BoardSpec",
    "parse_board",
    "find_board",
    "CalibrationResult",
    "calibrate_corners",
    "calibrate_images",
]

log = logging.getLogger(__name__)

MIN_BOARDS = 5
"""Fewest photos with a board found before a calibration is attempted."""
GOOD_RMS_PX = 1.0
"""An RMS reprojection error above this is reported as poor."""


@dataclass(frozen=True)
class BoardSpec:
    """A checkerboard: inner corners per row (``cols``) and per column (``rows``)."""

    cols: int
    rows: int
    square_mm: float = 25.0

    def __post_init__(self) -> None:
        if self.cols < 2 or self.rows < 2:
            raise FrontdeskError(f"a board needs at least 2x2 inner corners, got "
                                 f"{self.cols}x{self.rows}")
        if not (math.isfinite(self.square_mm) and self.square_mm > 0):
            raise FrontdeskError(f"the square size must be a positive number of millimetres, "
                                 f"got {self.square_mm}")

    @property
    def object_points(self) -> np.ndarray:
        """The corners on the board's plane (z = 0), millimetres, row by row."""
        grid = np.zeros((self.rows * self.cols, 3), np.float32)
        grid[:, :2] = np.mgrid[0:self.cols, 0:self.rows].T.reshape(-1, 2) * self.square_mm
        return grid


def parse_board(text: str, square_mm: float = 25.0) -> BoardSpec:
    """``"9x6"`` (inner corners, columns x rows) as a :class:`BoardSpec`."""
    parts = text.lower().replace("*", "x").split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise FrontdeskError(f"--board must be COLUMNSxROWS of inner corners, e.g. 9x6; got "
                             f"{text!r}")
    return BoardSpec(int(parts[0]), int(parts[1]), square_mm)


def _gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def find_board(image: np.ndarray, board: BoardSpec, fast: bool = False) -> np.ndarray | None:
    """The board's inner corners, (N, 1, 2) float32 pixels refined to subpixel, or None.

    ``fast`` adds OpenCV's quick rejection of images without a board (live frames).
    """
    gray = _gray(image)
    flags = cv2.CALIB_CB_ADAPTIVE_THRESH | cv2.CALIB_CB_NORMALIZE_IMAGE
    if fast:
        flags |= cv2.CALIB_CB_FAST_CHECK
    found, corners = cv2.findChessboardCorners(gray, (board.cols, board.rows), flags=flags)
    if not found or corners is None:
        return None
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.001)
    return cv2.cornerSubPix(gray, corners, (11, 11), (-1, -1), criteria)


@dataclass(frozen=True)
class CalibrationResult:
    matrix: list[list[float]]
    distortion: list[float]
    size: tuple[int, int]
    """(width, height) of the photos: ``camera.calibrated_size``."""
    rms_px: float
    boards: int
    per_view_rms_px: list[float] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    """Photos in which no board was found."""

    @property
    def fx(self) -> float:
        return self.matrix[0][0]

    @property
    def fy(self) -> float:
        return self.matrix[1][1]

    @property
    def horizontal_fov_deg(self) -> float:
        return math.degrees(2 * math.atan2(self.size[0] / 2, self.fx))

    @property
    def good(self) -> bool:
        return self.rms_px <= GOOD_RMS_PX

    def config_values(self) -> dict[str, object]:
        """The ``camera`` keys to store: matrix, distortion, calibrated_size."""
        return {"matrix": self.matrix, "distortion": self.distortion,
                "calibrated_size": [self.size[0], self.size[1]]}

    def summary(self) -> str:
        quality = "good" if self.good else (
            "poor: retake blurred photos, keep the board flat and fill more of the frame")
        return (f"{self.boards} boards, RMS reprojection error {self.rms_px:.3f} px ({quality}); "
                f"fx {self.fx:.1f} px, fy {self.fy:.1f} px, cx {self.matrix[0][2]:.1f}, "
                f"cy {self.matrix[1][2]:.1f} at {self.size[0]}x{self.size[1]} "
                f"(horizontal field of view {self.horizontal_fov_deg:.1f} degrees)")


def calibrate_corners(corners: Sequence[np.ndarray], size: tuple[int, int], board: BoardSpec,
                      *, min_boards: int = MIN_BOARDS,
                      missed: Sequence[str] = ()) -> CalibrationResult:
    """Solve the camera from boards already found (``find_board`` results).

    Raises:
        FrontdeskError: fewer than ``min_boards`` boards.
    """
    if len(corners) < min_boards:
        raise FrontdeskError(
            f"the board ({board.cols}x{board.rows} inner corners) was found in {len(corners)} "
            f"photo{'s' if len(corners) != 1 else ''}; calibration needs at least {min_boards}. "
            f"Take more photos with the whole board in view, tilted differently, from corner to "
            f"corner of the frame; check --board counts inner corners (a 10x7-square board is 9x6)"
        )
    obj: list[np.ndarray] = [board.object_points for _ in corners]
    img = [np.asarray(c, np.float32).reshape(-1, 1, 2) for c in corners]
    rms, matrix, dist, rvecs, tvecs = cv2.calibrateCamera(
        obj, img, size, np.eye(3), np.zeros(5))  # initial values are ignored (no flags)
    per_view = []
    for o, i, r, t in zip(obj, img, rvecs, tvecs, strict=True):
        proj, _ = cv2.projectPoints(o, r, t, matrix, dist)
        per_view.append(float(np.sqrt(np.mean(np.sum((proj - i) ** 2, axis=2)))))
    return CalibrationResult(
        matrix=[[float(v) for v in row] for row in matrix],
        distortion=[float(v) for v in np.asarray(dist).ravel()],
        size=(int(size[0]), int(size[1])),
        rms_px=float(rms),
        boards=len(corners),
        per_view_rms_px=per_view,
        missed=list(missed),
    )


def calibrate_images(paths: Sequence[str | os.PathLike[str]], board: BoardSpec, *,
                     min_boards: int = MIN_BOARDS) -> CalibrationResult:
    """Find the board in each photo and calibrate.

    Raises:
        FrontdeskError: an unreadable photo, photos of different sizes, or too
            few boards found.
    """
    if not paths:
        raise FrontdeskError("no photos given: pass the checkerboard photos as arguments")
    corners: list[np.ndarray] = []
    missed: list[str] = []
    size: tuple[int, int] | None = None
    for p in paths:
        path = Path(p)
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if image is None:
            raise FrontdeskError(f"{path}: cannot read this photo (missing or not an image)")
        here = (int(image.shape[1]), int(image.shape[0]))
        if size is None:
            size = here
        elif here != size:
            raise FrontdeskError(f"{path}: {here[0]}x{here[1]}, but the first photo is "
                                 f"{size[0]}x{size[1]}: use photos of one size from one camera")
        found = find_board(image, board)
        if found is None:
            missed.append(str(path))
            log.info("%s: no %dx%d board found", path, board.cols, board.rows)
        else:
            corners.append(found)
    assert size is not None
    return calibrate_corners(corners, size, board, min_boards=min_boards, missed=missed)

"""A camera's pose in its counter's floor frame, from a printed board or measured floor points.

``frontdesk calibrate pose`` and ``frontdesk calibrate board`` use this module.
Two ways to tie a camera to the floor frame (x along the counter, y across it
toward the customers, z up from the floor, metres; docs/installation.md, "The
camera's pose"):

* **A ChArUco board** (a chessboard whose white squares hold ArUco markers,
  printed by ``frontdesk calibrate board``) laid flat on the counter. Its
  markers name every corner, so the board is found even when partly hidden or
  seen at a slant. The installer measures where the board's first corner lies
  (``BoardPlacement.origin_m``: the top-left corner of the printed image, as the
  print is read) and which way its top edge runs; every camera that sees the
  board is then posed in the same frame.
* **Floor points**: four or more spots the installer marked on the floor (tape
  corners, tile joints), each measured in metres and found in the camera's view
  as a pixel.

Both end in ``solvePnP`` against the camera's intrinsics (its calibrated
matrix, or its field of view), and both report the RMS reprojection error: the
pixels between where the solved camera puts each point and where it was seen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.errors import FrontdeskError
from frontdesk.world import WorldPose

__all__ = [
    "CharucoSpec",
    "BoardPlacement",
    "FloorPoint",
    "PoseResult",
    "parse_squares",
    "parse_floor_point",
    "board_image",
    "find_charuco",
    "pose_from_board",
    "pose_from_points",
    "MIN_BOARD_CORNERS",
    "MIN_FLOOR_POINTS",
    "GOOD_POSE_RMS_PX",
    "MIN_CAMERA_HEIGHT_M",
]

MIN_BOARD_CORNERS = 6
"""Fewest ChArUco corners (not all on one line) a board pose is solved from."""
MIN_FLOOR_POINTS = 4
"""Fewest measured floor points a pose is solved from."""
GOOD_POSE_RMS_PX = 2.0
"""A reprojection error above this is reported as poor."""
MIN_CAMERA_HEIGHT_M = 0.05
"""A solved camera lower than this above the floor is refused (points mixed up)."""

_DICTIONARIES = {
    "4x4_50": cv2.aruco.DICT_4X4_50,
    "5x5_100": cv2.aruco.DICT_5X5_100,
    "6x6_250": cv2.aruco.DICT_6X6_250,
}
_BOARD_TO_WORLD = np.diag([1.0, -1.0, -1.0])
"""A board read upright lies face up: its x (the print's right) along the placement's
heading, its y (the print's down) toward the reader, its z into the counter."""


@dataclass(frozen=True)
class CharucoSpec:
    """A ChArUco board: squares across and down, square and marker sides, dictionary."""

    squares_x: int = 5
    squares_y: int = 4
    square_mm: float = 100.0
    marker_mm: float = 75.0
    dictionary: str = "5x5_100"

    def __post_init__(self) -> None:
        if self.squares_x < 3 or self.squares_y < 3:
            raise FrontdeskError(f"a ChArUco board needs at least 3x3 squares, got "
                                 f"{self.squares_x}x{self.squares_y}")
        if not (math.isfinite(self.square_mm) and self.square_mm > 0):
            raise FrontdeskError(f"the square size must be a positive number of millimetres, "
                                 f"got {self.square_mm}")
        if not 0 < self.marker_mm < self.square_mm:
            raise FrontdeskError(f"the marker ({self.marker_mm} mm) must be smaller than the "
                                 f"square ({self.square_mm} mm)")
        if self.dictionary not in _DICTIONARIES:
            raise FrontdeskError(f"unknown marker dictionary {self.dictionary!r}: one of "
                                 f"{', '.join(_DICTIONARIES)}")
        markers = (self.squares_x * self.squares_y) // 2
        capacity = int(self.dictionary.split("_")[1])
        if markers > capacity:
            raise FrontdeskError(f"a {self.squares_x}x{self.squares_y} board has {markers} "
                                 f"markers; the {self.dictionary} dictionary has {capacity}")

    @property
    def size_mm(self) -> tuple[float, float]:
        return (self.squares_x * self.square_mm, self.squares_y * self.square_mm)

    def board(self) -> cv2.aruco.CharucoBoard:
        d = cv2.aruco.getPredefinedDictionary(_DICTIONARIES[self.dictionary])
        return cv2.aruco.CharucoBoard((self.squares_x, self.squares_y), self.square_mm / 1000.0,
                                      self.marker_mm / 1000.0, d)


def parse_squares(text: str) -> tuple[int, int]:
    """``"7x5"`` (squares across x down) as two numbers."""
    parts = text.lower().replace("*", "x").split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise FrontdeskError(f"--squares must be ACROSSxDOWN, e.g. 7x5; got {text!r}")
    return int(parts[0]), int(parts[1])


@dataclass(frozen=True)
class BoardPlacement:
    """Where the board lies in the floor frame.

    Attributes:
        origin_m: the board's first corner (the print's top-left) in the world, metres;
            its z is the height of the counter top the board lies on.
        heading_deg: the direction of the print's top edge (left to right) in plan,
            degrees from +x toward +y.
    """

    origin_m: tuple[float, float, float] = (0.0, 0.0, 0.0)
    heading_deg: float = 0.0

    @property
    def rotation(self) -> np.ndarray:
        """Board-to-world rotation."""
        h = math.radians(self.heading_deg)
        rz = np.array([[math.cos(h), -math.sin(h), 0.0], [math.sin(h), math.cos(h), 0.0],
                       [0.0, 0.0, 1.0]])
        return rz @ _BOARD_TO_WORLD

    def to_world(self, board_points_m: np.ndarray) -> np.ndarray:
        p = np.asarray(board_points_m, dtype=np.float64).reshape(-1, 3)
        return p @ self.rotation.T + np.asarray(self.origin_m, dtype=np.float64)


@dataclass(frozen=True)
class FloorPoint:
    """A measured point (world, metres) and the pixel it is seen at."""

    pixel: tuple[float, float]
    world_m: tuple[float, float, float]


def parse_floor_point(text: str) -> FloorPoint:
    """``"U,V=X,Y"`` or ``"U,V=X,Y,Z"``: a pixel and its measured world point (z 0 when
    not given: on the floor)."""
    try:
        left, right = text.split("=")
        u, v = (float(a) for a in left.split(","))
        xyz = [float(a) for a in right.split(",")]
        if len(xyz) == 2:
            xyz.append(0.0)
        if len(xyz) != 3 or not all(math.isfinite(c) for c in (u, v, *xyz)):
            raise ValueError
    except ValueError:
        raise FrontdeskError(f"--point must be U,V=X,Y or U,V=X,Y,Z (pixel = metres), got "
                             f"{text!r}") from None
    return FloorPoint((u, v), (xyz[0], xyz[1], xyz[2]))


@dataclass(frozen=True)
class PoseResult:
    """A solved pose and how well it fits what was seen."""

    pose: WorldPose
    rms_px: float
    points: int
    method: str

    @property
    def good(self) -> bool:
        return self.rms_px <= GOOD_POSE_RMS_PX

    def config_values(self) -> dict[str, object]:
        return self.pose.config_values(self.rms_px)

    def summary(self) -> str:
        heading, tilt, roll = self.pose.angles_deg
        x, y, z = (float(c) for c in self.pose.position_m)
        quality = "good" if self.good else (
            "poor: check the measurements and that each point is where it was seen")
        return (f"{self.method}: {self.points} points, RMS reprojection error {self.rms_px:.2f} px "
                f"({quality}); camera at x {x:.3f}, y {y:.3f}, z {z:.3f} m, heading "
                f"{heading:.1f}, tilt down {tilt:.1f}, roll {roll:.1f} degrees")


def board_image(spec: CharucoSpec, px_per_mm: float = 300 / 25.4,
                margin_mm: float = 10.0) -> np.ndarray:
    """The board as a greyscale image, ``px_per_mm`` pixels a millimetre (300 dpi by
    default) with a white margin; printed at 100 % it has the spec's sizes."""
    w_mm, h_mm = spec.size_mm
    margin = int(round(margin_mm * px_per_mm))
    size = (int(round(w_mm * px_per_mm)) + 2 * margin, int(round(h_mm * px_per_mm)) + 2 * margin)
    return spec.board().generateImage(size, marginSize=margin, borderBits=1)


def find_charuco(image: np.ndarray, spec: CharucoSpec) -> tuple[np.ndarray, np.ndarray] | None:
    """The board's corners seen in ``image``: (N, 3) board points in metres and (N, 2)
    pixels, or None when fewer than :data:`MIN_BOARD_CORNERS` are found."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    board = spec.board()
    params = cv2.aruco.DetectorParameters()
    # A board on a counter seen from a camera 2 to 4 m away is small and slanted:
    # accept markers down to 1 % of the image's size around (OpenCV's default is 3 %).
    params.minMarkerPerimeterRate = 0.01
    detector = cv2.aruco.CharucoDetector(board, cv2.aruco.CharucoParameters(), params)
    corners, ids, _, _ = detector.detectBoard(gray)
    if ids is None or corners is None or len(ids) < MIN_BOARD_CORNERS:
        return None
    found: Any = corners  # an (N, 1, 2) array; OpenCV's stubs ask for a sequence
    obj, img = board.matchImagePoints(found, ids)
    return obj.reshape(-1, 3).astype(np.float64), img.reshape(-1, 2).astype(np.float64)


def pose_from_board(image: np.ndarray, spec: CharucoSpec, placement: BoardPlacement,
                    intrinsics: Intrinsics) -> PoseResult:
    """The camera's pose from one image of the board lying at ``placement``.

    Raises:
        FrontdeskError: the image's size differs from the intrinsics'; the board is
            not found, or too little of it; its corners lie on one line; the pose
            puts the camera under the floor.
    """
    h, w = image.shape[:2]
    if (w, h) != (intrinsics.width, intrinsics.height):
        raise FrontdeskError(f"the image is {w}x{h} but the camera's intrinsics are for "
                             f"{intrinsics.width}x{intrinsics.height}")
    found = find_charuco(image, spec)
    if found is None:
        raise FrontdeskError(
            f"no ChArUco board ({spec.squares_x}x{spec.squares_y} squares, {spec.dictionary} "
            f"markers) found, or fewer than {MIN_BOARD_CORNERS} of its corners: check "
            f"--squares and --dictionary match the print, that the whole board is in view, lit "
            f"evenly and without glare, and large enough (squares at least 10 pixels)")
    board_pts, pixels = found
    if _collinear(board_pts[:, :2]):
        raise FrontdeskError("the board's corners found lie on one line: show more of the board")
    return _solve(placement.to_world(board_pts), pixels, intrinsics, "ChArUco board")


def pose_from_points(points: Sequence[FloorPoint], intrinsics: Intrinsics) -> PoseResult:
    """The camera's pose from measured points and the pixels they are seen at.

    Raises:
        FrontdeskError: fewer than :data:`MIN_FLOOR_POINTS` points; two at one place;
            all on one line; a pixel outside the image; the pose puts the camera
            under the floor.
    """
    if len(points) < MIN_FLOOR_POINTS:
        raise FrontdeskError(f"{len(points)} floor point{'s' if len(points) != 1 else ''} "
                             f"given; a pose needs at least {MIN_FLOOR_POINTS}, spread over the "
                             f"view and not on one line")
    world = np.array([p.world_m for p in points], dtype=np.float64)
    pixels = np.array([p.pixel for p in points], dtype=np.float64)
    for p in points:
        u, v = p.pixel
        if not (0 <= u <= intrinsics.width and 0 <= v <= intrinsics.height):
            raise FrontdeskError(f"pixel ({u:g}, {v:g}) is outside the "
                                 f"{intrinsics.width}x{intrinsics.height} image")
    gaps = np.linalg.norm(world[:, None] - world[None], axis=2) + np.eye(len(world)) * 1e9
    if gaps.min() < 0.01:
        raise FrontdeskError("two floor points are less than 1 cm apart: each point once")
    if _collinear(world):
        raise FrontdeskError("the floor points lie on one line: add points off that line")
    return _solve(world, pixels, intrinsics, "floor points")


def _collinear(points: np.ndarray, tolerance_m: float = 0.01) -> bool:
    """True when every point lies within ``tolerance_m`` of one line."""
    centred = points - points.mean(axis=0)
    s = np.linalg.svd(centred, compute_uv=False)
    return bool(len(s) < 2 or s[1] / math.sqrt(len(points)) < tolerance_m)


def _solve(world: np.ndarray, pixels: np.ndarray, intrinsics: Intrinsics,
           method: str) -> PoseResult:
    """solvePnP on world points (a plane or not), refined, checked and scored."""
    obj = world.reshape(-1, 1, 3)
    img = pixels.reshape(-1, 1, 2)
    k, dist = intrinsics.matrix, intrinsics.dist_coeffs
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for flag in (cv2.SOLVEPNP_SQPNP, cv2.SOLVEPNP_IPPE, cv2.SOLVEPNP_ITERATIVE):
        try:
            ok, rvec, tvec = cv2.solvePnP(obj, img, k, dist, flags=flag)
        except cv2.error:
            continue  # IPPE wants a plane; the others take what they can
        if not ok:
            continue
        rvec, tvec = cv2.solvePnPRefineLM(obj, img, k, dist, rvec, tvec)
        err = _rms(obj, img, rvec, tvec, intrinsics)
        in_front = bool(np.all((cv2.Rodrigues(rvec)[0] @ world.T + tvec.reshape(3, 1))[2] > 0))
        if in_front and (best is None or err < best[0]):
            best = (err, rvec, tvec)
    if best is None:
        raise FrontdeskError(f"no camera pose fits these {method} (solvePnP found none with "
                             f"every point in front of the camera)")
    err, rvec, tvec = best
    pose = WorldPose.from_opencv(rvec, tvec)
    z = float(pose.position_m[2])
    if z < MIN_CAMERA_HEIGHT_M:
        where = f"{-z:.2f} m below" if z < 0 else "on"
        raise FrontdeskError(
            f"the solved pose puts the camera {where} the floor (z = {z:.2f} m): check the "
            f"coordinates (x along the counter, y across it toward the customers, z up) and, "
            f"for a board, --board-at and --board-heading")
    return PoseResult(pose, err, len(world), method)


def _rms(obj: np.ndarray, img: np.ndarray, rvec: np.ndarray, tvec: np.ndarray,
         intrinsics: Intrinsics) -> float:
    proj, _ = cv2.projectPoints(obj, rvec, tvec, intrinsics.matrix, intrinsics.dist_coeffs)
    return float(np.sqrt(np.mean(np.sum((proj.reshape(-1, 2) - img.reshape(-1, 2)) ** 2,
                                        axis=1))))

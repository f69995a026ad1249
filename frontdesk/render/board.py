"""A printed ChArUco board lying in a scene, as a camera of known pose sees it.

The tests of ``frontdesk calibrate pose`` draw the board this way: OpenCV's own
board image, at several pixels a millimetre, warped by the homography that the
board's plane makes through the camera (:class:`~frontdesk.world.WorldPose` and
:class:`~frontdesk.camera_model.Intrinsics`), over a plain counter, then
blurred a little and given sensor noise like the renderer's.

``python -m frontdesk.render.board`` prints how well the default board on the
counter poses issue 17's two example cameras (docs/performance.md).
"""

from __future__ import annotations

import cv2
import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.pose_calibration import BoardPlacement, CharucoSpec, board_image
from frontdesk.world import WorldPose

__all__ = ["render_board_view"]


def render_board_view(spec: CharucoSpec, placement: BoardPlacement, pose: WorldPose,
                      intrinsics: Intrinsics, *, px_per_mm: float = 4.0,
                      background: int = 110, noise: float = 2.0, blur_px: float = 0.7,
                      supersample: int = 3, seed: int = 0) -> np.ndarray:
    """A BGR frame of ``intrinsics``' size showing the board at ``placement``.

    Raises:
        ValueError: part of the board is behind the camera.
    """
    img = board_image(spec, px_per_mm=px_per_mm, margin_mm=0.0)
    h, w = img.shape[:2]
    mm = 0.001 / px_per_mm  # metres a board-image pixel
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float64)
    board_m = np.column_stack([src * mm, np.zeros(4)])
    dst = pose.project(placement.to_world(board_m), intrinsics)
    if np.isnan(dst).any():
        raise ValueError("part of the board is behind the camera")
    # Drawn at ``supersample`` times the size and shrunk by area, so each camera
    # pixel averages the board it covers. A pixel i spans [i, i + 1): coordinate x
    # of the board image is at x - 0.5 in pixel-centre terms, and likewise in the frame.
    k = supersample
    homography = cv2.getPerspectiveTransform((src - 0.5).astype(np.float32),
                                             (dst * k - 0.5).astype(np.float32))
    size = (intrinsics.width * k, intrinsics.height * k)
    warped = cv2.warpPerspective(img, homography, size, flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=(background,))
    shrunk = cv2.resize(warped, (intrinsics.width, intrinsics.height),
                        interpolation=cv2.INTER_AREA)
    frame = np.asarray(shrunk, dtype=np.float32)
    if blur_px > 0:
        frame = np.asarray(cv2.GaussianBlur(frame, (0, 0), blur_px), dtype=np.float32)
    rng = np.random.default_rng(seed)
    frame = frame + rng.normal(0.0, noise, frame.shape).astype(np.float32)
    gray = np.clip(frame, 0, 255).astype(np.uint8)
    return cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR)


def _accuracy_table() -> list[str]:
    """The default board on the counter seen by issue 17's two example cameras at two
    frame sizes: how well ``pose_from_board`` finds each camera."""
    from frontdesk.errors import FrontdeskError
    from frontdesk.pose_calibration import pose_from_board
    from frontdesk.world import rotation_angle_deg

    spec = CharucoSpec()
    placement = BoardPlacement((-0.95, 0.5, 0.9), 0.0)
    cameras = {"side": WorldPose.look_at((0.8, 0.0, 1.9), (-1.5, 0.3, 1.6)),
               "front": WorldPose.look_at((-0.4, 2.6, 2.1), (-0.2, -0.6, 1.6))}
    lines = ["| camera | frame | corners found | RMS px | position error cm | angle error deg |",
             "|---|---|---|---|---|---|"]
    for name, truth in cameras.items():
        for size in ((1280, 720), (1920, 1080)):
            intr = Intrinsics.from_fov(*size, 90.0)
            for seed in (0, 1, 2):
                frame = render_board_view(spec, placement, truth, intr, seed=seed)
                try:
                    r = pose_from_board(frame, spec, placement, intr)
                except FrontdeskError:
                    lines.append(f"| {name} | {size[0]}x{size[1]} (seed {seed}) | board not "
                                 f"found | - | - | - |")
                    continue
                dp = float(np.linalg.norm(r.pose.position_m - truth.position_m)) * 100
                da = rotation_angle_deg(r.pose.rotation, truth.rotation)
                lines.append(f"| {name} | {size[0]}x{size[1]} (seed {seed}) | {r.points} | "
                             f"{r.rms_px:.2f} | {dp:.2f} | {da:.2f} |")
    return lines


if __name__ == "__main__":
    print("\n".join(_accuracy_table()))

"""`frontdesk calibrate`: camera intrinsics and pose, and overlay snapshots.

* ``frontdesk calibrate intrinsics IMAGES... [--board 9x6] [--square-mm 25]
  [--config FILE --write]``: find the board in each photo, solve the camera
  matrix and distortion, print them with the RMS reprojection error, and with
  ``--write`` store them in the config (``camera.matrix``, ``distortion``,
  ``calibrated_size``; comments kept, a ``.bak`` made).
* ``frontdesk calibrate board --out BOARD.png``: a ChArUco board to print.
* ``frontdesk calibrate pose --config FILE [--image FRAME] [--board-at X,Y,Z
  --board-heading DEG | --point U,V=X,Y[,Z] ...] [--write]``: the camera's pose in
  the counter's floor frame (:mod:`frontdesk.pose_calibration`), printed with its
  reprojection error and, with ``--write``, stored as ``camera.pose``.
* ``frontdesk calibrate snapshot --config FILE [--source SRC] --out FILE.png``:
  grab frames, run perception and the engine, and write the last frame with the
  live view's overlays, plus the placement check, for installers working remotely.
"""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from frontdesk.commands import add_camera_option

if TYPE_CHECKING:
    import numpy as np

    from frontdesk.config import Config
    from frontdesk.pose_calibration import CharucoSpec

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="camera intrinsics and pose; overlay snapshots")
    cal = p.add_subparsers(dest="calibrate_command", metavar="SUBCOMMAND")

    i = cal.add_parser("intrinsics", help="camera matrix and distortion from checkerboard photos",
                       description="Photos of a flat printed checkerboard, 10 or more, tilted "
                       "and spread over the whole frame, all from the camera to calibrate.")
    i.add_argument("images", nargs="+", metavar="IMAGE", help="checkerboard photos")
    i.add_argument("--board", default="9x6",
                   help="inner corners, columns x rows (a 10x7-square board is 9x6; default 9x6)")
    i.add_argument("--square-mm", type=float, default=25.0,
                   help="side of one square in millimetres (default 25)")
    i.add_argument("--min-boards", type=int, default=None,
                   help="fewest photos with the board found (default 5)")
    i.add_argument("--config", "-c", metavar="FILE", help="config file to store the result in")
    i.add_argument("--write", action="store_true",
                   help="write camera.matrix, distortion and calibrated_size into --config")
    add_camera_option(i)
    i.set_defaults(func=run_intrinsics)

    s = cal.add_parser("snapshot", help="write one frame with the live view's overlays")
    s.add_argument("--config", "-c", required=True, metavar="FILE", help="YAML config file")
    s.add_argument("--source", help="override camera.source")
    add_camera_option(s)
    s.add_argument("--out", required=True, metavar="FILE.png", help="image to write (.png or .jpg)")
    s.add_argument("--frames", type=int, default=30,
                   help="frames to run before drawing (tracks and roles settle; default 30)")
    s.set_defaults(func=run_snapshot)

    b = cal.add_parser("board", help="write a ChArUco board image to print for `calibrate pose`",
                       description="A ChArUco board as a PNG at the given resolution: print it "
                       "at 100 %% (no fit-to-page) and check one square with a ruler.")
    b.add_argument("--out", required=True, metavar="FILE.png", help="image to write")
    _board_options(b)
    b.add_argument("--dpi", type=float, default=300.0, help="print resolution (default 300)")
    b.set_defaults(func=run_board)

    q = cal.add_parser(
        "pose", help="the camera's pose in the counter's floor frame, from a board or floor points",
        description="With a printed ChArUco board (frontdesk calibrate board) lying on the "
        "counter: give where its first corner lies (--board-at) and which way its top edge runs "
        "(--board-heading). Or, with --point, four or more measured floor points and the pixels "
        "they are seen at. World frame: x along the counter, y across it toward the customers, "
        "z up from the floor, metres. The camera's intrinsics come from the config.")
    q.add_argument("--config", "-c", required=True, metavar="FILE",
                   help="config file (the camera's intrinsics; --write stores the pose there)")
    add_camera_option(q)
    q.add_argument("--image", metavar="FILE",
                   help="a frame from the camera (default: one grabbed from camera.source)")
    _board_options(q)
    q.add_argument("--board-at", default="0,0,0", metavar="X,Y,Z",
                   help="the board's first corner (top-left of the print) in metres; Z is the "
                   "counter's height (default 0,0,0)")
    q.add_argument("--board-heading", type=float, default=0.0, metavar="DEG",
                   help="direction of the print's top edge, left to right, degrees from +x "
                   "toward +y (default 0)")
    q.add_argument("--point", action="append", default=[], metavar="U,V=X,Y[,Z]",
                   help="a pixel and the measured point it shows (Z 0: on the floor); four or "
                   "more replace the board")
    q.add_argument("--size", metavar="WxH",
                   help="with --point and no --image: the frame size the pixels belong to")
    q.add_argument("--write", action="store_true", help="write camera.pose into --config")
    q.set_defaults(func=run_pose)
    p.set_defaults(func=lambda args: _usage(p))


def _board_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--squares", default="5x4", metavar="XxY",
                        help="squares across x down (default 5x4)")
    parser.add_argument("--square-mm", type=float, default=100.0,
                        help="side of one square, millimetres (default 100: an A2 sheet)")
    parser.add_argument("--marker-mm", type=float, default=75.0,
                        help="side of one marker, millimetres (default 75)")
    parser.add_argument("--dictionary", default="5x5_100",
                        help="ArUco dictionary: 4x4_50, 5x5_100 or 6x6_250 (default 5x5_100)")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run_intrinsics(args: argparse.Namespace) -> int:
    from frontdesk.calibration import MIN_BOARDS, calibrate_images, parse_board
    from frontdesk.errors import FrontdeskError

    if args.write and not args.config:
        raise FrontdeskError("--write needs --config FILE (the config to store the result in)")
    camera_id = None
    if args.write:  # which camera section to write, checked before the slow part
        from frontdesk.config import load_camera_config

        camera_id = load_camera_config(args.config, args.camera).camera_id
    board = parse_board(args.board, args.square_mm)
    min_boards = args.min_boards if args.min_boards is not None else MIN_BOARDS
    result = calibrate_images(args.images, board, min_boards=max(1, min_boards))
    print(result.summary())
    for path in result.missed:
        print(f"  no board found in {path}")
    m, d = result.matrix, result.distortion
    print("camera:")
    print(f"  matrix: [[{m[0][0]:.4f}, 0.0, {m[0][2]:.4f}], [0.0, {m[1][1]:.4f}, {m[1][2]:.4f}], "
          f"[0.0, 0.0, 1.0]]")
    print(f"  distortion: [{', '.join(f'{v:.6f}' for v in d)}]")
    print(f"  calibrated_size: [{result.size[0]}, {result.size[1]}]")
    if not result.good:
        log.warning("RMS reprojection error %.2f px is high: check the photos", result.rms_px)
    if args.write:
        from frontdesk.web.config_file import ConfigFile, set_camera_keys

        saved = ConfigFile(args.config).update(
            lambda doc: set_camera_keys(doc, result.config_values(), camera_id))
        print(f"written to {saved.path} (backup {saved.backup.name})")
    return 0


def run_snapshot(args: argparse.Namespace) -> int:
    from frontdesk.config import load_camera_config
    from frontdesk.web.snapshot import check_image_path, take_snapshot, write_image

    config = load_camera_config(args.config, args.camera)
    check_image_path(args.out)
    snap = take_snapshot(config, args.source, frames=args.frames)
    path = write_image(args.out, snap.image)
    print(f"{path}: {snap.frames} frames, {snap.faces} face(s) in the last, "
          f"{len(snap.tracks)} track(s)")
    for cid, state in snap.states.items():
        print(f"  {cid}: {state.customers_waiting} waiting, staff "
              f"{'present' if state.staff_present else 'not seen'}")
    for warning in snap.placement.warnings:
        print(f"  placement: {warning}")
    for note in snap.placement.notes:
        print(f"  note: {note}")
    return 0


def _spec(args: argparse.Namespace) -> CharucoSpec:
    from frontdesk.pose_calibration import CharucoSpec, parse_squares

    sx, sy = parse_squares(args.squares)
    return CharucoSpec(sx, sy, args.square_mm, args.marker_mm, args.dictionary)


def run_board(args: argparse.Namespace) -> int:
    from frontdesk.errors import FrontdeskError
    from frontdesk.pose_calibration import board_image
    from frontdesk.web.snapshot import check_image_path

    spec = _spec(args)
    if not 72 <= args.dpi <= 1200:
        raise FrontdeskError(f"--dpi: 72 to 1200, got {args.dpi:g}")
    path = check_image_path(args.out)
    image = board_image(spec, px_per_mm=args.dpi / 25.4)
    try:  # Pillow (with matplotlib) records the resolution, so it prints at its size
        from PIL import Image

        Image.fromarray(image).save(path, dpi=(args.dpi, args.dpi))
    except OSError as exc:
        raise FrontdeskError(f"cannot write {path}: {exc}") from None
    w, h = spec.size_mm
    print(f"{path}: {spec.squares_x}x{spec.squares_y} squares of {spec.square_mm:g} mm "
          f"({spec.dictionary} markers of {spec.marker_mm:g} mm), {w:g} x {h:g} mm plus a "
          f"10 mm margin at {args.dpi:g} dpi; print at 100 %, measure one square")
    return 0


def _parse_xyz(text: str, option: str) -> tuple[float, float, float]:
    from frontdesk.errors import FrontdeskError

    try:
        x, y, z = (float(v) for v in text.split(","))
    except ValueError:
        raise FrontdeskError(f"{option} must be X,Y,Z in metres, got {text!r}") from None
    return (x, y, z)


def _parse_size(text: str) -> tuple[int, int]:
    from frontdesk.errors import FrontdeskError

    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts) or min(
            int(p) for p in parts) < 16:
        raise FrontdeskError(f"--size must be WIDTHxHEIGHT in pixels, e.g. 1280x720; got {text!r}")
    return int(parts[0]), int(parts[1])


def _frame(config: Config, image_path: str | None) -> np.ndarray:
    """The image to find the board in: ``--image``, or a frame grabbed from the camera."""
    import cv2

    from frontdesk.errors import FrontdeskError

    if image_path:
        image = cv2.imread(image_path, cv2.IMREAD_COLOR)
        if image is None:
            raise FrontdeskError(f"{image_path}: cannot read this image (missing or not an image)")
        return image
    from frontdesk.capture import open_source
    from frontdesk.demo_footage import resolve_source
    from frontdesk.types import Frame

    with open_source(resolve_source(config.camera.source), config.camera) as source:
        for item in source:
            if isinstance(item, Frame):
                return item.image
    raise FrontdeskError(f"{config.camera.source}: no frame could be read; pass --image FILE")


def run_pose(args: argparse.Namespace) -> int:
    from frontdesk.camera_model import Intrinsics
    from frontdesk.config import load_camera_config
    from frontdesk.pose_calibration import (
        BoardPlacement,
        parse_floor_point,
        pose_from_board,
        pose_from_points,
    )

    config = load_camera_config(args.config, args.camera)
    if args.point:
        points = [parse_floor_point(t) for t in args.point]
        if args.image or not args.size:
            h, w = _frame(config, args.image).shape[:2]
        else:
            w, h = _parse_size(args.size)
        result = pose_from_points(points, Intrinsics.from_config(config.camera, w, h))
    else:
        image = _frame(config, args.image)
        h, w = image.shape[:2]
        placement = BoardPlacement(_parse_xyz(args.board_at, "--board-at"), args.board_heading)
        result = pose_from_board(image, _spec(args), placement,
                                 Intrinsics.from_config(config.camera, w, h))
    print(result.summary())
    values = result.config_values()
    pos = values["position_m"]
    print("camera:")
    print(f"  pose: {{position_m: {pos}, heading_deg: {values['heading_deg']}, "
          f"tilt_down_deg: {values['tilt_down_deg']}, roll_deg: {values['roll_deg']}}}")
    if not result.good:
        log.warning("RMS reprojection error %.2f px is high: check the measurements",
                    result.rms_px)
    if args.write:
        from frontdesk.web.config_file import ConfigFile, set_camera_keys

        saved = ConfigFile(args.config).update(
            lambda doc: set_camera_keys(doc, {"pose": values}, config.camera_id))
        print(f"written to {saved.path} (backup {saved.backup.name})")
    return 0

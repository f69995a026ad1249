"""`frontdesk calibrate`: camera intrinsics from checkerboard photos, and overlay snapshots.

* ``frontdesk calibrate intrinsics IMAGES... [--board 9x6] [--square-mm 25]
  [--config FILE --write]``: find the board in each photo, solve the camera
  matrix and distortion, print them with the RMS reprojection error, and with
  ``--write`` store them in the config (``camera.matrix``, ``distortion``,
  ``calibrated_size``; comments kept, a ``.bak`` made).
* ``frontdesk calibrate snapshot --config FILE [--source SRC] --out FILE.png``:
  grab frames, run perception and the engine, and write the last frame with the
  live view's overlays, plus the placement check, for installers working remotely.
"""

from __future__ import annotations

import argparse
import logging

from frontdesk.commands import add_camera_option

log = logging.getLogger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="camera intrinsics from a checkerboard; overlay snapshots")
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
    p.set_defaults(func=lambda args: _usage(p))


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

"""Sub-commands. Each module has ``register(subparsers)`` adding its parser with
``set_defaults(func=...)``; the function takes the parsed args and returns an exit code."""

from __future__ import annotations

import argparse


def add_camera_option(parser: argparse.ArgumentParser) -> None:
    """``--camera ID``: which entry of a config's ``cameras:`` list a one-camera
    command works on (:func:`frontdesk.config.load_camera_config`)."""
    parser.add_argument(
        "--camera", metavar="ID", default=None,
        help="with a config that lists several cameras: the camera to use",
    )

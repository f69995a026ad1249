"""Demo footage the project makes on first use, so `demo://counter` works anywhere.

The clip is made from scikit-image's public-domain ``astronaut`` portrait (a NASA
photograph): the head and shoulders enter small from the left, grow as the person
approaches the counter, stay a while, then shrink and leave to the right. It is
written once to ``<data dir>/demo/`` and reused; a missing or unreadable clip is
made again. The data directory is ``$FRONTDESK_DATA_DIR``, default ``./data``.

Clips made here are never committed. A later renderer can replace the clip by
replacing :func:`ensure_demo_clip` (and bumping :data:`CLIP_VERSION`, which is part
of the file name, so old caches are not reused).
"""

from __future__ import annotations

import logging
import math
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from frontdesk.errors import SourceError

__all__ = [
    "DEMO_CLIPS",
    "CLIP_VERSION",
    "CLIP_FPS",
    "CLIP_SIZE",
    "CLIP_DURATION_S",
    "data_dir",
    "demo_clip_path",
    "ensure_demo_clip",
    "render_counter_frames",
]

log = logging.getLogger(__name__)

DEMO_CLIPS = ("counter",)
CLIP_VERSION = 1
CLIP_FPS = 15.0
CLIP_SIZE = (640, 480)  # width, height
CLIP_DURATION_S = 20.0

# (time s, centre x as a fraction of the width, portrait width px): the person walks
# in from the left, approaches, stays at the counter, steps back and leaves right.
_PATH = (
    (0.0, -0.20, 70.0),
    (1.5, -0.12, 70.0),
    (6.0, 0.50, 300.0),
    (14.0, 0.50, 300.0),
    (18.0, 1.15, 70.0),
    (20.0, 1.20, 70.0),
)
_PORTRAIT_BOX = (95, 0, 355, 300)  # x0, y0, x1, y1 in the 512 x 512 astronaut image


def data_dir() -> Path:
    """``$FRONTDESK_DATA_DIR`` or ``./data``."""
    return Path(os.environ.get("FRONTDESK_DATA_DIR") or "data")


def demo_clip_path(name: str = "counter") -> Path:
    return data_dir() / "demo" / f"{name}.v{CLIP_VERSION}.mp4"


def ensure_demo_clip(name: str = "counter") -> Path:
    """The path of demo clip ``name``, making it first when missing or unreadable.

    Raises:
        SourceError: an unknown clip name, or the clip cannot be written.
    """
    if name not in DEMO_CLIPS:
        known = ", ".join(f"demo://{n}" for n in DEMO_CLIPS)
        raise SourceError(f"unknown demo footage demo://{name} (known: {known})")
    path = demo_clip_path(name)
    if _clip_is_readable(path):
        return path
    log.info("making demo footage %s (first use)", path)
    try:
        _write_clip(path, render_counter_frames())
    except OSError as exc:
        raise SourceError(
            f"cannot write demo footage to {path}: {exc.strerror or exc} "
            f"(set FRONTDESK_DATA_DIR to a writable folder)"
        ) from None
    if not _clip_is_readable(path):
        raise SourceError(f"demo footage {path} was written but cannot be read back")
    return path


def _clip_is_readable(path: Path) -> bool:
    """True when ``path`` opens, announces the expected frames and size, and decodes."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            return False
        expected = round(CLIP_FPS * CLIP_DURATION_S)
        if int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) != expected:
            return False
        ok, image = cap.read()
        return bool(ok) and image is not None and image.shape[1::-1] == CLIP_SIZE
    finally:
        cap.release()


def _write_clip(path: Path, frames: Iterator[np.ndarray]) -> None:
    """Write frames to ``path`` through a temporary file, so readers never see half a clip."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}.mp4")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*"mp4v"), CLIP_FPS, CLIP_SIZE)
    try:
        if not writer.isOpened():
            raise OSError(f"OpenCV cannot write mp4v video to {tmp}")
        for frame in frames:
            writer.write(frame)
        writer.release()
        os.replace(tmp, path)
    finally:
        writer.release()
        tmp.unlink(missing_ok=True)


def _portrait() -> tuple[np.ndarray, np.ndarray]:
    """Head-and-shoulders crop of the astronaut portrait (BGR) and its soft alpha mask."""
    from skimage import data  # imported here: only the first demo run needs it

    x0, y0, x1, y1 = _PORTRAIT_BOX
    rgb = data.astronaut()[y0:y1, x0:x1]
    bgr = np.ascontiguousarray(rgb[:, :, ::-1])
    h, w = bgr.shape[:2]
    mask = np.zeros((h, w), np.float32)
    cv2.ellipse(mask, (w // 2, h // 2), (int(w * 0.46), int(h * 0.48)), 0, 0, 360, (1.0,), -1)
    soft = cv2.GaussianBlur(mask, (0, 0), sigmaX=w * 0.04)
    return bgr, np.asarray(soft, np.float32)


def _background() -> np.ndarray:
    """A wall with a darker counter top along the bottom of the picture."""
    w, h = CLIP_SIZE
    shade = np.linspace(200, 150, h, dtype=np.float32)[:, None, None]
    wall = np.broadcast_to(shade * np.array([0.92, 0.97, 1.0], np.float32), (h, w, 3))
    image = wall.astype(np.uint8).copy()
    cv2.rectangle(image, (0, int(h * 0.86)), (w, h), (52, 74, 96), -1)
    return image


def _position(t: float) -> tuple[float, float, float]:
    """Centre (x, y) in pixels and portrait width at time ``t``, eased between keyframes."""
    w, h = CLIP_SIZE
    for (t0, x0, s0), (t1, x1, s1) in zip(_PATH, _PATH[1:], strict=False):
        if t0 <= t <= t1:
            u = (t - t0) / (t1 - t0)
            u = u * u * (3 - 2 * u)
            x, size = x0 + (x1 - x0) * u, s0 + (s1 - s0) * u
            break
    else:
        x, size = _PATH[-1][1], _PATH[-1][2]
    sway_px = 4.0 * math.sin(2 * math.pi * t / 3.0) * (size / 300.0)
    near = (size - 70.0) / (300.0 - 70.0)  # 0 far away, 1 at the counter
    return x * w + sway_px, h * (0.34 + 0.16 * near), size


def _paste(canvas: np.ndarray, sprite: np.ndarray, alpha: np.ndarray, cx: float, cy: float) -> None:
    """Alpha-blend ``sprite`` centred at (cx, cy), clipped to the canvas."""
    sh, sw = sprite.shape[:2]
    x0, y0 = int(round(cx - sw / 2)), int(round(cy - sh / 2))
    cx0, cy0 = max(x0, 0), max(y0, 0)
    cx1, cy1 = min(x0 + sw, canvas.shape[1]), min(y0 + sh, canvas.shape[0])
    if cx1 <= cx0 or cy1 <= cy0:
        return
    src = sprite[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0].astype(np.float32)
    a = alpha[cy0 - y0:cy1 - y0, cx0 - x0:cx1 - x0, None]
    dst = canvas[cy0:cy1, cx0:cx1].astype(np.float32)
    canvas[cy0:cy1, cx0:cx1] = (a * src + (1.0 - a) * dst).astype(np.uint8)


def render_counter_frames() -> Iterator[np.ndarray]:
    """The frames of the counter demo clip, BGR, :data:`CLIP_SIZE`, at :data:`CLIP_FPS`."""
    portrait, mask = _portrait()
    background = _background()
    aspect = portrait.shape[0] / portrait.shape[1]
    for i in range(round(CLIP_FPS * CLIP_DURATION_S)):
        cx, cy, width = _position(i / CLIP_FPS)
        size = (max(2, round(width)), max(2, round(width * aspect)))
        sprite = cv2.resize(portrait, size, interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(mask, size, interpolation=cv2.INTER_AREA)
        frame = background.copy()
        _paste(frame, sprite, alpha, cx, cy)
        yield frame

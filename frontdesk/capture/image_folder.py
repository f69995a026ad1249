"""A folder of still images played as video.

Images are the folder's files whose extension is in :data:`IMAGE_EXTENSIONS`,
sorted by name with digit runs compared as numbers (``img2`` before ``img10``);
other files are ignored. Image ``i`` is timed at ``i / fps`` (default 10 fps).
Images that cannot be read or decoded are skipped and counted
(``stats.corrupt_skipped``) and keep their slot in time, so the images after them
are timed as if nothing was missing.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import cv2
import numpy as np

from frontdesk.capture.base import Clock, FrameSource, StatusChange, to_bgr
from frontdesk.errors import SourceError
from frontdesk.types import CameraStatus, Frame

__all__ = ["ImageFolderSource", "IMAGE_EXTENSIONS", "DEFAULT_FOLDER_FPS", "list_images"]

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm", ".jp2"}
)
DEFAULT_FOLDER_FPS = 10.0


def _natural_key(path: Path) -> list[str | int]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def list_images(folder: Path, name: str | None = None) -> list[Path]:
    """The folder's image files in play order; :class:`SourceError` when there are none."""
    label = name or str(folder)
    if not folder.is_dir():
        raise SourceError(f"image folder not found: {label}")
    try:
        entries = list(folder.iterdir())
    except OSError as exc:
        raise SourceError(f"{label}: cannot list the folder ({exc.strerror})") from None
    images = [p for p in entries if p.suffix.lower() in IMAGE_EXTENSIONS and not p.is_dir()]
    if not images:
        kinds = ", ".join(sorted(IMAGE_EXTENSIONS))
        raise SourceError(f"{label}: the folder holds no images ({kinds})")
    return sorted(images, key=_natural_key)


def read_image(path: Path) -> np.ndarray | None:
    """``path`` decoded as BGR uint8, or None when it cannot be read or decoded."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    return to_bgr(cv2.imdecode(data, cv2.IMREAD_COLOR))


class ImageFolderSource(FrameSource):
    """Still images at a fixed frame rate (also used for a single image file)."""

    kind = "folder"
    is_live = False

    def __init__(
        self,
        images: Sequence[Path],
        *,
        name: str,
        fps: float = DEFAULT_FOLDER_FPS,
        loop: bool = False,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        if not (math.isfinite(fps) and fps > 0):
            raise ValueError(f"fps must be a positive number, got {fps}")
        if not images:
            raise SourceError(f"{name}: no images to play")
        super().__init__(name, clock=clock, wall_clock=wall_clock)
        self.images = list(images)
        self.fps = float(fps)
        self.loop = loop

    def _release(self) -> None:
        """Nothing stays open between images."""

    def _items(self) -> Iterator[Frame | StatusChange]:
        change = self._change_status(CameraStatus.ONLINE, "folder opened", 0.0)
        if change:
            yield change
        n = len(self.images)
        lap, t = 0, 0.0
        while True:
            good = 0
            for i, path in enumerate(self.images):
                if self._closed.is_set():
                    return
                image = read_image(path)
                if image is None:
                    self._count("corrupt_skipped")
                    log.log(logging.WARNING if lap == 0 else logging.DEBUG,
                            "%s: skipped unreadable image %s", self.name, path.name)
                    continue
                good += 1
                t = (lap * n + i) / self.fps
                self._count_frame(t)
                yield Frame(image, t, lap * n + i, None, self.name)
            if not self.loop or good == 0:
                break
            lap += 1
            self._count("laps")
        detail = "end of folder" if good else "no image in the folder could be read"
        change = self._change_status(CameraStatus.ENDED, detail, t)
        if change:
            yield change

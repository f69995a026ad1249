"""Letterboxing: fit a frame into the model's input without changing its aspect.

The frame is scaled by one factor so that it fits inside the input, then padded
with grey (114, the value the YOLO family trains with) to the exact input size.
Ultralytics (YOLOv5, YOLOv8, YOLO11) centres the picture in the padding; YOLOX
places it at the top-left corner. Boxes the model returns are in input pixels;
:meth:`Letterbox.to_frame` maps them back to frame pixels.

The scale is ``min(input_w / frame_w, input_h / frame_h)``. Because the resized
size is rounded to whole pixels, the mapping back uses the exact per-axis ratios
``resized_w / frame_w`` and ``resized_h / frame_h``, so a box that covered the
whole resized picture maps to the whole frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

__all__ = ["Letterbox", "PadPosition", "PAD_VALUE", "letterbox"]

PAD_VALUE = 114
PadPosition = Literal["center", "top_left"]


@dataclass(frozen=True)
class Letterbox:
    """Where the frame went inside the model input.

    Attributes:
        frame_size: (width, height) of the original frame, pixels.
        input_size: (width, height) of the model input, pixels.
        resized_size: (width, height) the frame was resized to.
        offset: (left, top) padding before the picture, input pixels.
    """

    frame_size: tuple[int, int]
    input_size: tuple[int, int]
    resized_size: tuple[int, int]
    offset: tuple[int, int]

    @classmethod
    def plan(cls, frame_size: tuple[int, int], input_size: tuple[int, int],
             pad: PadPosition = "center") -> Letterbox:
        """The letterbox for a frame of ``frame_size`` into ``input_size`` (both (w, h))."""
        fw, fh = frame_size
        iw, ih = input_size
        if min(fw, fh, iw, ih) <= 0:
            raise ValueError(f"sizes must be positive, got frame {frame_size}, input {input_size}")
        scale = min(iw / fw, ih / fh)
        rw = min(iw, max(1, round(fw * scale)))
        rh = min(ih, max(1, round(fh * scale)))
        if pad == "center":
            offset = ((iw - rw) // 2, (ih - rh) // 2)
        elif pad == "top_left":
            offset = (0, 0)
        else:
            raise ValueError(f"pad must be 'center' or 'top_left', got {pad!r}")
        return cls((fw, fh), (iw, ih), (rw, rh), offset)

    @property
    def scale_xy(self) -> tuple[float, float]:
        """Input pixels per frame pixel along x and y."""
        (rw, rh), (fw, fh) = self.resized_size, self.frame_size
        return (rw / fw, rh / fh)

    def apply(self, image: np.ndarray) -> np.ndarray:
        """The letterboxed copy of ``image`` (H, W, C), uint8, of the input size."""
        h, w = image.shape[:2]
        if (w, h) != self.frame_size:
            raise ValueError(f"image is {w}x{h}, the letterbox was planned for "
                             f"{self.frame_size[0]}x{self.frame_size[1]}")
        iw, ih = self.input_size
        rw, rh = self.resized_size
        left, top = self.offset
        out = np.full((ih, iw) + image.shape[2:], PAD_VALUE, dtype=image.dtype)
        if (rw, rh) == (w, h):
            resized = image
        else:
            shrink = rw < w or rh < h
            interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
            resized = cv2.resize(image, (rw, rh), interpolation=interp)
        out[top:top + rh, left:left + rw] = resized
        return out

    def to_frame(self, xyxy: np.ndarray) -> np.ndarray:
        """Map (N, 4) boxes x0, y0, x1, y1 from input pixels to frame pixels, clipped."""
        sx, sy = self.scale_xy
        left, top = self.offset
        out = np.empty_like(xyxy, dtype=np.float64)
        out[:, 0::2] = (xyxy[:, 0::2] - left) / sx
        out[:, 1::2] = (xyxy[:, 1::2] - top) / sy
        fw, fh = self.frame_size
        np.clip(out[:, 0::2], 0.0, fw, out=out[:, 0::2])
        np.clip(out[:, 1::2], 0.0, fh, out=out[:, 1::2])
        return out


def letterbox(image: np.ndarray, input_size: tuple[int, int],
              pad: PadPosition = "center") -> tuple[np.ndarray, Letterbox]:
    """Letterbox ``image`` into ``input_size`` (w, h); return the picture and its plan."""
    h, w = image.shape[:2]
    plan = Letterbox.plan((w, h), input_size, pad)
    return plan.apply(image), plan

"""``camera:``: the video source, its optics and how to reconnect to it."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, field_validator

from frontdesk.config.base import ConfigModel

__all__ = ["CameraConfig", "CameraPoseConfig", "ReconnectConfig", "Source"]

Source = Literal["file", "folder", "camera", "url", "demo"]


class ReconnectConfig(ConfigModel):
    initial_s: float = Field(
        1.0, gt=0, le=60, description="First wait before reopening a live source."
    )
    max_s: float = Field(30.0, gt=0, le=3600, description="Longest wait between reopen attempts.")


class CameraPoseConfig(ConfigModel):
    """Where the camera is in its counter's floor frame (docs/installation.md, "The
    camera's pose"): x along the counter, y across it toward the customers, z up
    from the floor, metres. ``frontdesk calibrate pose`` measures and writes it."""

    position_m: tuple[float, float, float] = Field(
        description="The lens centre (x, y, z) in metres; z is its height above the floor."
    )
    heading_deg: float = Field(
        ge=-360, le=360,
        description="Where the lens points in plan, degrees from +x toward +y (180: along the "
        "counter toward -x).",
    )
    tilt_down_deg: float = Field(
        ge=-90, le=90, description="How far the lens points below horizontal, degrees."
    )
    roll_deg: float = Field(
        0.0, ge=-180, le=180,
        description="Turn of the camera about its lens axis, degrees (positive: the image's "
        "right edge lower).",
    )
    reprojection_error_px: float | None = Field(
        None, ge=0, le=1000,
        description="RMS reprojection error of the calibration that measured this pose, pixels "
        "(a record; not used).",
    )

    @field_validator("position_m")
    @classmethod
    def _above_floor(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if not all(math.isfinite(c) for c in v):
            raise ValueError(f"three finite numbers, got {list(v)}")
        if max(abs(v[0]), abs(v[1])) > 100:
            raise ValueError(f"x and y within 100 m of the counter, got {list(v)}")
        if not 0.05 <= v[2] <= 20:
            raise ValueError(f"the camera must be 0.05 to 20 m above the floor "
                             f"(z), got z = {v[2]}")
        return v


class CameraConfig(ConfigModel):
    source: str = Field(
        "demo://counter",
        description="Video file, folder of images, camera index or /dev/videoN, rtsp:// or "
        "http(s):// URL, or demo://counter for the bundled demo footage.",
    )
    horizontal_fov_deg: float = Field(
        90.0, gt=10, lt=180, description="Horizontal field of view; used when no matrix is given."
    )
    matrix: list[list[float]] | None = Field(
        None, description="Calibrated 3x3 camera matrix [[fx,0,cx],[0,fy,cy],[0,0,1]] in pixels."
    )
    distortion: list[float] | None = Field(
        None, description="OpenCV distortion coefficients (k1, k2, p1, p2[, k3...])."
    )
    calibrated_size: tuple[int, int] | None = Field(
        None, description="(width, height) the matrix was calibrated at; scaled to other sizes."
    )
    width: int | None = Field(None, ge=64, le=7680, description="Requested capture width (live).")
    height: int | None = Field(None, ge=48, le=4320, description="Requested capture height (live).")
    max_fps: float | None = Field(
        15.0, gt=0, le=240,
        description="Live sources (cameras, streams): process at most this many frames a "
        "second, whatever the camera delivers (also requested from the camera). The engine "
        "times arrivals and looks to the frames it sees, so its timings are resolved to "
        "about 1 / max_fps s (0.067 s at 15, the rate it is tested at); above that rate "
        "frames cost CPU and add nothing it needs. Files play at their own rate. null: "
        "every frame the camera delivers.",
    )
    decoder: Literal["auto", "pyav", "opencv"] = Field(
        "auto",
        description="What decodes video files and network streams: pyav keeps each frame "
        "in YUV and converts it to BGR only when something needs its colours (an idle "
        "counter's frames never are; docs/capture.md, \"Decoders\"); opencv is OpenCV's "
        "reader, BGR always; auto is pyav, or opencv when PyAV cannot read the file or "
        "stream. Local cameras are read by OpenCV.",
    )
    reconnect: ReconnectConfig = Field(default_factory=ReconnectConfig)
    pose: CameraPoseConfig | None = Field(
        None, description="The camera's pose in the counter's floor frame (null: unknown; "
        "everything works in the camera's own frame).",
    )

    @field_validator("matrix")
    @classmethod
    def _matrix_shape(cls, v: list[list[float]] | None) -> list[list[float]] | None:
        if v is None:
            return v
        if len(v) != 3 or any(len(row) != 3 for row in v):
            raise ValueError("the camera matrix must be 3 rows of 3 numbers")
        if v[0][0] <= 0 or v[1][1] <= 0:
            raise ValueError("focal lengths fx and fy must be positive")
        return v

    @field_validator("distortion")
    @classmethod
    def _distortion_len(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and len(v) not in (4, 5, 8, 12, 14):
            raise ValueError(f"distortion needs 4, 5, 8, 12 or 14 coefficients, got {len(v)}")
        return v

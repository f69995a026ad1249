"""``camera:``: the video source, its optics and how to reconnect to it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from frontdesk.config.base import ConfigModel

__all__ = ["CameraConfig", "ReconnectConfig", "Source"]

Source = Literal["file", "folder", "camera", "url", "demo"]


class ReconnectConfig(ConfigModel):
    initial_s: float = Field(
        1.0, gt=0, le=60, description="First wait before reopening a live source."
    )
    max_s: float = Field(30.0, gt=0, le=3600, description="Longest wait between reopen attempts.")


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
    reconnect: ReconnectConfig = Field(default_factory=ReconnectConfig)

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

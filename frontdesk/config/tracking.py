"""``tracking:``: how detections are joined into tracks of one person."""

from __future__ import annotations

from pydantic import Field

from frontdesk.config.base import ConfigModel

__all__ = ["TrackingConfig"]


class TrackingConfig(ConfigModel):
    grace_s: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Keep a track this long through missed detections or occlusion.",
    )
    max_distance_norm: float = Field(
        0.15,
        gt=0,
        le=1,
        description="Largest jump (fraction of frame width) matched to the same person.",
    )
    min_hits: int = Field(2, ge=1, le=30, description="Detections before a track is confirmed.")

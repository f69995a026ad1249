"""``perception:``: face detection and mesh settings, and the face sizes depth comes from."""

from __future__ import annotations

from pydantic import Field, field_validator

from frontdesk.config.base import ConfigModel
from frontdesk.config.gating import GatingConfig
from frontdesk.config.presence import PresenceConfig

__all__ = ["PerceptionConfig"]


class PerceptionConfig(ConfigModel):
    min_detection_confidence: float = Field(
        0.5, ge=0.05, le=0.99, description="Face detector threshold."
    )
    max_faces: int = Field(
        6, ge=1, le=32, description="Most faces meshed per frame (largest first)."
    )
    mesh_min_face_px: float = Field(
        24.0,
        ge=8,
        le=1000,
        description="Faces narrower than this get no mesh (pose from keypoints).",
    )
    detection_tiles: int = Field(
        2,
        ge=0,
        le=6,
        description=(
            "Square tiles along the frame's long side in which the face detector runs "
            "again, for faces too small or too turned for the whole-frame pass; 0 = off."
        ),
    )
    tiles_per_frame: int = Field(
        1,
        ge=1,
        le=6,
        description="How many of the tiles run on each frame (in turn when fewer than all).",
    )
    approach_zoom: float = Field(
        0.5,
        ge=0.0,
        le=0.8,
        description=(
            "Side of square windows, as a share of the frame's shorter side, over the counters' "
            "approach zones, in which the detector also runs (one a frame, in turn), for "
            "the small faces of a queue; 0 = off."
        ),
    )
    approach_zoom_every_n_frames: int = Field(
        2,
        ge=1,
        le=30,
        description="The small-face windows run on one frame in this many (1: every frame).",
    )
    iris_diameter_mm: float = Field(11.7, ge=9, le=14, description="Adult iris diameter for depth.")
    interocular_mm: float = Field(
        63.0, ge=50, le=80, description="Adult distance between pupils, for depth from eye spacing."
    )
    head_height_m: tuple[float, float] = Field(
        (1.4, 2.0),
        description="Heights above the floor (m) of the point between a standing person's eyes; "
        "with camera.pose, a head's distance read from its face size is held to them.",
    )
    presence: PresenceConfig = Field(
        default_factory=PresenceConfig,
        description="Presence without a face: the occupancy grid (docs/perception.md).",
    )
    gating: GatingConfig = Field(
        default_factory=GatingConfig,
        description="Face detection only when something changes in the zones or someone is "
        "in view (docs/perception.md, 'Gated detection').",
    )

    @field_validator("head_height_m")
    @classmethod
    def _height_band(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0.3 <= v[0] < v[1] <= 2.6:
            raise ValueError(f"two heights in metres, lowest first, within 0.3 to 2.6; got "
                             f"{list(v)}")
        return v

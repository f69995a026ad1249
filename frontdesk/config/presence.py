"""``perception.presence:``: keeping a person present when their face is gone."""

from __future__ import annotations

from pydantic import Field

from frontdesk.config.base import ConfigModel

__all__ = ["PresenceConfig"]


class PresenceConfig(ConfigModel):
    enabled: bool = Field(
        True,
        description="Compare each frame with a learned picture of the empty scene, so a "
        "customer who looks down, turns to a colleague or is too far for a face keeps her "
        "visit while she stays (docs/perception.md, 'Presence without a face').",
    )
    appearance: bool = Field(
        True,
        description="Measure the colours of the clothes under each face (28 numbers, kept "
        "in memory only), so a face that comes back after a while is matched to the right "
        "customer when two stood close (docs/perception.md, 'What a person wears').",
    )
    grid_cols: int = Field(
        48, ge=8, le=256,
        description="Columns of the occupancy grid (rows follow the frame's aspect). More "
        "cells separate people standing close; each cell must still hold a few pixels.",
    )
    background_time_s: float = Field(
        30.0, gt=0, le=3600,
        description="Time constant with which the empty scene's picture follows slow changes "
        "(daylight, a moved chair). Shorter adapts faster but forgets an unprotected person "
        "sooner.",
    )
    protect_s: float = Field(
        300.0, ge=0, le=7200,
        description="Where a face was seen within this long, what differs from the empty "
        "scene is not learned into it: a customer who looks at her phone for minutes is not "
        "absorbed into the background.",
    )
    every_n_frames: int = Field(
        2, ge=1, le=30,
        description="Compare one frame in this many with the empty scene; the frames "
        "between carry the latest grid. 2 halves the stage's cost (about 0.3 ms a frame "
        "at 720p); a place must stay empty for engine.presence_leave_s anyway.",
    )
    min_cell_fraction: float = Field(
        0.25, gt=0, lt=1,
        description="A cell is occupied when at least this share of its pixels differ.",
    )
    min_difference: float = Field(
        14.0, ge=1, le=255,
        description="Grey levels a pixel must differ by at least; the threshold rises with the "
        "picture's noise (dim light) above this floor.",
    )

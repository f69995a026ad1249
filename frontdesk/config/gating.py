"""``perception.gating:``: run the face detector only when something changes where
customers come, or someone is in view (docs/perception.md, "Gated detection")."""

from __future__ import annotations

from pydantic import Field

from frontdesk.config.base import ConfigModel

__all__ = ["GatingConfig"]


class GatingConfig(ConfigModel):
    enabled: bool = Field(
        True,
        description="Skip face detection and Face Mesh on frames where nothing changed in "
        "the counters' zones (plus margin) and nobody is in view; such frames report no "
        "faces. Off: every frame is perceived, every face meshed.",
    )
    idle_every_s: float = Field(
        1.0, ge=0.1, le=30.0,
        description="Keep-alive: with nothing changing and nobody in view, the detector "
        "still runs once in this long. The longest a face that appears without any change "
        "in the picture (a change too small to see) can go unnoticed.",
    )
    hold_s: float = Field(
        2.0, ge=0.0, le=60.0,
        description="After anyone was last in view (a face, an occupied place, a track), "
        "every frame is perceived for this long.",
    )
    margin: float = Field(
        0.1, ge=0.0, le=1.0,
        description="Around the zones (approach, service, staff), this share of the frame "
        "width is watched too, for someone walking in from outside them.",
    )
    width_px: int = Field(
        80, ge=16, le=640,
        description="Width of the small grey picture the change test compares (height "
        "follows the frame's aspect).",
    )
    min_difference: float = Field(
        10.0, ge=1.0, le=255.0,
        description="Grey levels a pixel of the small picture must differ by from the "
        "picture at the detector's last run to count as changed.",
    )
    min_changed_px: int = Field(
        3, ge=1, le=10_000,
        description="Changed pixels of the small picture, inside the watched region, that "
        "make the detector run on this frame.",
    )
    staff_every_s: float = Field(
        0.2, ge=0.0, le=0.9,
        description="With only settled staff in view (every track the engine holds is "
        "staff, no visit open) and nothing changing in the watched region outside their "
        "faces, the detector runs once in this long instead of on every frame: nobody's "
        "wait depends on those frames. Below tracking.grace_s, so staff tracks are kept. "
        "0: every frame, as with anyone else in view.",
    )
    mesh_staff_alone: bool = Field(
        False,
        description="Face Mesh on staff faces while no customer is in view. Off: with only "
        "settled staff seen and tracked, their faces get the detector's keypoint pose and "
        "no mesh (a staff gaze matters only to a customer); the first frame with any "
        "other face, track or open visit meshes every face again.",
    )
    tiles_every_s: float = Field(
        2.0, ge=0.0, le=30.0,
        description="With nobody or only settled staff tracked, the detector's tiles (for "
        "small faces) run when something changed outside the known faces, someone is in "
        "view whose face is not known, a known face is small (small_face) or the "
        "whole-frame pass missed one, or this long after they last ran: a small face that "
        "came without a visible change is found at most this late (the keep-alive runs them "
        "only then). With anyone else tracked they run as ungated. 0: whenever the "
        "detector runs.",
    )
    small_face: float = Field(
        0.07, ge=0.0, le=1.0,
        description="A known face narrower than this share of the frame width keeps the "
        "tiles running (the whole-frame pass holds faces from about 6.5 % of the width, "
        "the tiles from about 3.5 %).",
    )
    idle_presence_every: int = Field(
        4, ge=1, le=30,
        description="On frames the gate skips (nobody in view, nothing changed in the "
        "watched region), the presence stage runs on one in this many of its own runs "
        "(perception.presence.every_n_frames); the frames between carry its last grid. "
        "The frames it runs on are among those it runs on ungated, so the grids line up "
        "again the frame anyone comes. 1: as ungated.",
    )
    mesh_outside_zones: bool = Field(
        False,
        description="Face Mesh for every face the detector finds. Off: only for the faces "
        "the engine's work depends on, those whose centre lies in a zone (approach, "
        "service, staff, focus) widened by margin, and settled staff anywhere; the rest "
        "(passers-by, people out of the zones) get the detector's keypoint pose: a "
        "position and a coarse head direction, no gaze from the eyes.",
    )


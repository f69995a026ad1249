"""``engine:``: the timings and angles the decisions are made with (docs/engine.md)."""

from __future__ import annotations

from pydantic import Field, model_validator

from frontdesk.config.base import ConfigModel

__all__ = ["EngineConfig"]


class EngineConfig(ConfigModel):
    gaze_cone_deg: float = Field(
        12.0,
        gt=0,
        le=45,
        description="Half-angle of the cone around a staff gaze ray that counts as looking "
        "at a head.",
    )
    dwell_s: float = Field(0.5, ge=0, le=5, description="Eye contact must hold this long to count.")
    role_hysteresis_s: float = Field(
        1.0, ge=0, le=10, description="Time a new track must spend in a zone to take its role."
    )
    arrival_still_s: float = Field(
        3.0,
        ge=0,
        le=60,
        description="Standing this long in the approach zone also counts as arrival.",
    )
    alert_after_s: float = Field(10.0, gt=0, le=600, description="Raise an alert after this wait.")
    escalate_after_s: float = Field(30.0, gt=0, le=3600, description="Escalate after this wait.")
    unattended_after_s: float = Field(
        2.0,
        ge=0,
        le=600,
        description="A waiting customer with no staff visible this long: unattended.",
    )
    ack_target_s: float = Field(10.0, gt=0, le=600, description="Target latency used in reports.")
    contact_gap_s: float = Field(
        0.3,
        ge=0,
        le=2,
        description="Longest gap between in-cone frames (noisy gaze, dropped frames) that does not "
        "break a dwell; longer merges a look-away into one contact.",
    )
    gaze_smoothing_s: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Time constant of per-track gaze smoothing; 0 uses each frame's gaze as is. "
        "Longer suppresses noise but delays and blurs the start of a look.",
    )
    position_smoothing_s: float = Field(
        0.2,
        ge=0,
        le=2,
        description="Time constant of the per-track smoothing of each head's distance from the "
        "camera (from the eyes' spacing, the noisiest measurement; the direction is not "
        "smoothed); 0 uses each frame's. Longer steadies standing people, lags walking ones.",
    )
    visit_hold_s: float = Field(
        10.0,
        ge=0,
        le=120,
        description="Keep an arrived customer's visit open this long after their face was lost "
        "in the zones (turned away; a face appearing where they stood continues it) or while "
        "they are outside the zones. Longer bridges longer turns but delays customer_left.",
    )
    presence_leave_s: float = Field(
        1.0,
        ge=0.1,
        le=30,
        description="A customer whose face is gone is kept while the place where she stood "
        "stays occupied (perception.presence); she has left once it has been empty this long. "
        "Longer rides out gaps in the occupancy; shorter reports departures sooner.",
    )
    presence_max_s: float = Field(
        900.0,
        ge=1,
        le=7200,
        description="The longest a customer is kept without her face on occupancy alone.",
    )
    still_radius_norm: float = Field(
        0.02,
        gt=0,
        le=0.5,
        description="Standing still in the approach zone: the face centre stays within this "
        "fraction of the frame width.",
    )
    ack_without_face: bool = Field(
        False,
        description="With a person detector: a staff look held at the head of a customer seen "
        "only by their body (no face) acknowledges them. Off: such a customer is acknowledged "
        "by a look once their face is seen again, or by the button (docs/engine.md).",
    )

    looking_down_deg: float = Field(
        25.0,
        ge=5,
        le=80,
        description="Staff context: a staff gaze pitched more than this below the camera's "
        "horizontal is looking down (a till, paperwork, a screen). Lower counts a glance at "
        "the counter top; higher misses a screen at chest height. A camera tilted down "
        "shifts level gazes up by up to its tilt: keep this above the tilt.",
    )
    focus_alert_after_s: float = Field(
        60.0,
        gt=0,
        le=3600,
        description="While every staff member present works in a focus-work zone "
        "(counters[].zones.focus), the waiting alert (and escalation, by the same amount) is "
        "held until this wait instead of alert_after_s. At or below alert_after_s: no hold.",
    )

    @model_validator(mode="after")
    def _escalate_after_alert(self) -> EngineConfig:
        if self.escalate_after_s <= self.alert_after_s:
            raise ValueError(
                f"escalate_after_s ({self.escalate_after_s}) must be greater than "
                f"alert_after_s ({self.alert_after_s})"
            )
        return self

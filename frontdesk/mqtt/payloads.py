"""Payload builders: the bytes that go on each topic of the contract."""

from __future__ import annotations

import json
from typing import Any, TypedDict

from frontdesk.engine.events import Event
from frontdesk.engine.state import CounterState

__all__ = [
    "STATE_SCHEMA_VERSION",
    "camera_signature",
    "Health",
    "encode_json",
    "event_payload",
    "state_payload",
    "alert_payload",
    "alert_on",
    "significant_state",
]

STATE_SCHEMA_VERSION = 3
"""3: ``camera`` may be ``degraded`` and ``cameras`` gives each camera's status (a
counter several cameras share); 2: ``last_frame_age_s`` and ``camera_id`` added
(docs/mqtt.md, "state")."""

CAMERA_STATES = ("online", "offline", "ended", "unknown", "degraded")


class Health(TypedDict, total=False):
    """What the runner knows about the pipeline, passed to ``publish_state``.

    Every key is optional; missing ones are published as null (``camera``: "unknown").
    """

    fps: float | None
    """Frames processed per second recently."""
    last_frame_time: float | None
    """Unix time (seconds) of the last processed frame."""
    last_frame_age_s: float | None
    """Seconds since the last frame was processed, on this machine's monotonic clock
    (the publisher adds the time since the health was handed over); None before the
    first frame."""
    camera: str
    """``online``, ``offline`` or ``ended`` (see ``frontdesk.types.CameraStatus``);
    ``degraded`` for a counter several cameras share while some of them are down."""
    cameras: dict[str, str]
    """A shared counter's cameras and each one's status (``starting`` before it
    delivered), absent with one camera."""


def encode_json(data: Any) -> bytes:
    """Compact UTF-8 JSON (non-ASCII kept as is)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode(
        "utf-8"
    )


def event_payload(event: Event) -> bytes:
    """The event stream payload: exactly ``Event.to_json()``."""
    return encode_json(event.to_json())


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def state_payload(
    state: CounterState,
    *,
    site_id: str,
    name: str | None,
    health: Health | dict[str, Any],
    outbox_depth: int,
    published_at: float,
    camera_id: str | None = None,
) -> dict[str, Any]:
    """The retained state: ``CounterState.to_json()`` plus the publisher's health fields."""
    data = state.to_json()
    fps = _finite_or_none(health.get("fps"))
    age = _finite_or_none(health.get("last_frame_age_s"))
    camera = health.get("camera")
    data.update(
        schema_version=STATE_SCHEMA_VERSION,
        site_id=site_id,
        camera_id=camera_id,
        name=name,
        published_at=round(published_at, 3),
        fps=None if fps is None else round(max(fps, 0.0), 2),
        last_frame_time=_finite_or_none(health.get("last_frame_time")),
        last_frame_age_s=None if age is None else round(max(age, 0.0), 3),
        camera=camera if camera in CAMERA_STATES else "unknown",
        outbox_depth=int(outbox_depth),
    )
    cameras = health.get("cameras")
    if isinstance(cameras, dict) and cameras:
        data["cameras"] = {str(k): str(v) for k, v in cameras.items()}
    return data


def camera_signature(health: Health | dict[str, Any]) -> Any:
    """The camera part of a state's signature: its status and, for a shared counter,
    each camera's (a change publishes the state at once)."""
    cameras = health.get("cameras")
    if isinstance(cameras, dict) and cameras:
        return (health.get("camera"), tuple(sorted(cameras.items())))
    return health.get("camera")


def alert_on(state: CounterState) -> bool:
    """Whether the counter's plain alert topic should say ON."""
    return bool(state.alert and state.enabled)


def alert_payload(on: bool) -> bytes:
    return b"ON" if on else b"OFF"


def significant_state(state: CounterState, camera: Any) -> tuple[Any, ...]:
    """Everything in a state except times and wait lengths: a change here is published at once."""
    return (
        state.customers_waiting,
        state.alert,
        state.escalated,
        state.staff_present,
        state.unattended,
        state.enabled,
        state.snoozed_until_t,
        state.last_ack_latency_s,
        tuple((c.visit_id, c.arrived, c.acknowledged, c.alert) for c in state.customers),
        camera,
    )

"""``fusion:``: how the cameras of one counter feed its one engine in a live run
(``frontdesk run`` with cameras naming the same counter; docs/deployment.md,
"Several cameras of one counter")."""

from __future__ import annotations

from pydantic import Field

from frontdesk.config.base import ConfigModel

__all__ = ["FusionConfig"]


class FusionConfig(ConfigModel):
    reorder_delay_s: float = Field(
        0.3,
        ge=0.0,
        le=5.0,
        description="Live cameras: an observation waits at most this long (in capture time "
        "behind the newest one) for the other cameras' frames of the same instant before "
        "it goes to the engine. Longer: fewer frames fused without another camera's late "
        "one; shorter: less delay before events. File sources are ordered exactly.",
    )
    camera_timeout_s: float = Field(
        2.0,
        gt=0.0,
        le=60.0,
        description="A camera silent this long (its worker died, a stuck loop) is marked "
        "offline and the counter runs on the others (its state shows degraded).",
    )
    join_timeout_s: float = Field(
        30.0,
        ge=0.0,
        le=600.0,
        description="At start-up, how long the counter waits for a camera that has not "
        "delivered yet (models loading) before running without it.",
    )
    socket_dir: str | None = Field(
        None,
        description="Folder of the counters' local sockets (one per counter, "
        "<dir>/counter-<id>.sock). Null: the supervisor's own folder, or "
        "$XDG_RUNTIME_DIR/frontdesk (else /tmp/frontdesk-<uid>) when run by hand.",
    )

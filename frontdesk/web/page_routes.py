"""Routes of the dashboard and the live view kept out of ``app.py``.

The dashboard's buttons: acknowledge, snooze and enable, as engine commands.

Each button is a POST to ``/api/counters/{id}/...``; the command is queued on
the :class:`~frontdesk.web.hub.LiveHub` and the frame loop applies it before
its next frame (the same commands the MQTT buttons send). The routes need a
login like every other API route, and a same-origin request (the app's guard).

The live view's legend: ``GET /api/legend``, made from
:data:`frontdesk.web.overlay.LEGEND`, so it lists exactly the colours drawn.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from frontdesk.engine.commands import Acknowledge, SetEnabled, Snooze

if TYPE_CHECKING:
    from frontdesk.web.app import WebContext

__all__ = ["add_command_routes", "add_legend_route", "MAX_SNOOZE_S"]

MAX_SNOOZE_S = 4 * 3600.0


class SnoozeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(..., ge=0, le=MAX_SNOOZE_S)


class EnabledIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool


def _answer(status: int, message: str, **extra: Any) -> JSONResponse:
    key = "message" if status < 400 else "error"
    return JSONResponse({key: message, **extra}, status_code=status,
                        headers={"Cache-Control": "no-store"})


def add_command_routes(app: FastAPI, ctx: WebContext) -> None:
    """``POST /api/counters/{id}/acknowledge``, ``.../snooze`` and ``.../enabled``."""

    def counter_name(counter_id: str) -> str | None:
        for c in ctx.hub.config.counters:
            if c.id == counter_id:
                return c.name or c.id
        return None

    def live_state(counter_id: str) -> Any:
        snap = ctx.hub.snapshot()
        return None if snap is None else snap.states.get(counter_id)

    @app.post("/api/counters/{counter_id}/acknowledge")
    def acknowledge(counter_id: str) -> JSONResponse:
        name = counter_name(counter_id)
        if name is None:
            return _answer(404, f"no counter {counter_id!r} on this camera")
        state = live_state(counter_id)
        if state is None or state.customers_waiting == 0:
            return _answer(409, f"nobody is waiting at {name}: nothing to acknowledge")
        ctx.hub.send_command(Acknowledge(counter_id))
        return _answer(200, f"acknowledged at {name}")

    @app.post("/api/counters/{counter_id}/snooze")
    def snooze(counter_id: str, body: SnoozeIn) -> JSONResponse:
        name = counter_name(counter_id)
        if name is None:
            return _answer(404, f"no counter {counter_id!r} on this camera")
        ctx.hub.send_command(Snooze(counter_id, body.seconds))
        if body.seconds == 0:
            return _answer(200, f"snooze ended at {name}")
        return _answer(200, f"no alerts at {name} for {math.ceil(body.seconds / 60)} min")

    @app.post("/api/counters/{counter_id}/enabled")
    def enabled(counter_id: str, body: EnabledIn) -> JSONResponse:
        name = counter_name(counter_id)
        if name is None:
            return _answer(404, f"no counter {counter_id!r} on this camera")
        ctx.hub.send_command(SetEnabled(counter_id, body.enabled))
        return _answer(200, f"alerts {'on' if body.enabled else 'off'} at {name}")


def add_legend_route(app: FastAPI) -> None:
    """``GET /api/legend``: every colour the overlays draw, and what it means."""
    from frontdesk.web.overlay import legend_json

    @app.get("/api/legend")
    def legend() -> dict[str, Any]:
        return {"items": legend_json()}

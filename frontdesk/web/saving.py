"""Writing the config file from the web UI: one path for every save.

Each save edits the file's YAML document in place (comments kept), validates the
whole result, keeps a backup and replaces the file (:class:`ConfigFile.update`);
zone edits are also applied to the running pipeline from its next frame. Errors
come back as JSON with the reason, never as a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi.responses import JSONResponse

from frontdesk.config import Config, ConfigError
from frontdesk.errors import FrontdeskError
from frontdesk.web.config_file import SaveResult

if TYPE_CHECKING:
    from frontdesk.web.app import WebContext

__all__ = ["error", "save_zones", "update_config"]


def error(status: int, message: str, **extra: Any) -> JSONResponse:
    """A JSON error (``{"error": message, ...}``), never cached."""
    return JSONResponse({"error": message, **extra}, status_code=status,
                        headers={"Cache-Control": "no-store"})


def update_config(ctx: WebContext, edit: Callable[[Any], None]) -> SaveResult | JSONResponse:
    """Apply ``edit`` to the config file's document and save it, or the error to answer
    with: 400 when the result would not be a valid config (naming each problem), 409
    when the file cannot be written (locked, changed on disk, missing). The caller
    checks first that frontdesk was started with a config file."""
    assert ctx.config_file is not None
    try:
        return ctx.config_file.update(edit)
    except ConfigError as exc:
        return error(400, "the config would not be valid: " + "; ".join(exc.problems),
                     problems=exc.problems)
    except FrontdeskError as exc:
        return error(409, str(exc))


def save_zones(ctx: WebContext, edit: Callable[[Any], None]
               ) -> tuple[SaveResult, Config, int] | JSONResponse:
    """Save zone edits (:func:`update_config`) and apply this camera's counters to the
    running pipeline from its next frame: the save, the running config and the
    version the pipeline will report once it has applied it (or the error)."""
    result = update_config(ctx, edit)
    if isinstance(result, JSONResponse):
        return result
    saved = result.config if ctx.camera_id is None else result.config.for_camera(ctx.camera_id)
    running = ctx.hub.config.model_copy(update={"counters": saved.counters})
    return result, running, ctx.hub.request_config(running)

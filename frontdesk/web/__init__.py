"""The installer's and managers' web UI: live view, zone editor, camera page, dashboard.

Served by the running edge process (``frontdesk run`` with ``web.enabled`` or
``--web HOST:PORT``)::

    from frontdesk.web import start_web

    web = start_web(runner, config, "127.0.0.1:8080", config_path="frontdesk.yaml")
    try:
        runner.run()
    finally:
        web.stop()

See docs/web.md for the installer's steps, the security model and the API.
FastAPI and uvicorn are imported only when the server starts; the overlays and
the placement check are importable on their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from frontdesk.config import Config
    from frontdesk.web.server import WebServer

__all__ = ["start_web", "draw_overlays", "check_placement"]


def start_web(runner: Any, config: Config, bind: str | None = None, **kwargs: Any) -> WebServer:
    """Start the web UI; see :func:`frontdesk.web.server.start_web`."""
    from frontdesk.web.server import start_web as _start

    return _start(runner, config, bind, **kwargs)


def __getattr__(name: str) -> Any:
    if name == "draw_overlays":
        from frontdesk.web.overlay import draw_overlays

        return draw_overlays
    if name == "check_placement":
        from frontdesk.web.placement_check import check_placement

        return check_placement
    raise AttributeError(name)

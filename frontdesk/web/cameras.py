"""Which camera a web UI serves, and where the other cameras' web UIs are.

With a ``cameras:`` list every camera's worker serves the web UI: camera number
``i`` (from 0, in file order) on ``web.bind``'s port + ``i``
(:meth:`frontdesk.config.Config.for_camera` makes the cut). A worker knows the
whole config, so each page can link to the other cameras' pages on the host the
browser used. Imported by ``frontdesk check-config`` and the supervisor too: no
FastAPI here.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontdesk.config import Config

__all__ = ["CameraPeer", "camera_peers", "bind_url", "url_for_host"]


@dataclass(frozen=True)
class CameraPeer:
    """One camera's web UI: its id, its counters and the port it listens on."""

    id: str
    counters: tuple[str, ...]
    bind: str
    """``HOST:PORT`` this camera's worker listens on."""
    served_by: str | None = None
    """For a camera that feeds a counter another camera's address serves (several
    cameras, one counter: docs/web.md), that camera's id: its own worker only
    perceives, and its pages are the counter's. None: it serves its own UI."""

    @property
    def port(self) -> int | None:
        """The port; None for port 0 (a free port each worker picks, so unknown here)."""
        port = int(self.bind.rpartition(":")[2])
        return port or None


def camera_peers(config: Config) -> list[CameraPeer]:
    """Every camera's web UI for the whole (multi-camera) ``config``; [] for one camera.
    The cameras of a fused counter after its primary are served by the primary's
    address (the counter's worker), so they carry the primary's bind."""
    primary = {cid: ids[0] for ids in config.fused_counters().values() for cid in ids[1:]}
    peers = []
    for camera_id in config.camera_ids:
        cut = config.for_camera(camera_id)
        served_by = primary.get(camera_id)
        bind = config.for_camera(served_by).web.bind if served_by else cut.web.bind
        peers.append(CameraPeer(camera_id, tuple(c.id for c in cut.counters), bind, served_by))
    return peers


def _host_for_url(host: str) -> str:
    host = host.strip("[]")
    return f"[{host}]" if ":" in host else host


def bind_url(bind: str) -> str:
    """A URL for ``HOST:PORT`` to print: ``http://127.0.0.1:8081/``; a wildcard host
    (``0.0.0.0``, ``::``) is written ``BOX`` (any address of this box)."""
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    if host in ("0.0.0.0", "::", ""):
        host = "BOX"
    return f"http://{_host_for_url(host)}:{port}/"


def url_for_host(scheme: str, host: str, port: int | None, path: str = "/") -> str | None:
    """``scheme://host:port/path`` for a browser that reached this UI by ``host``."""
    if port is None or not host:
        return None
    return f"{scheme}://{_host_for_url(host)}:{port}{path}"

"""Serve the web UI from the running edge process: uvicorn in a background thread.

``start_web(runner, config)`` checks the bind address against the configured
secrets (refusing a non-loopback address without a password), binds the socket
itself (so a busy port is a clear start-up error, and port 0 picks a free one),
attaches a :class:`~frontdesk.web.hub.LiveHub` to the runner and starts uvicorn
in a daemon thread. ``WebServer.stop()`` shuts it down.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

import uvicorn

from frontdesk.config import Config
from frontdesk.errors import FrontdeskError
from frontdesk.web.app import WebContext, create_app
from frontdesk.web.auth import AuthSettings, resolve_auth
from frontdesk.web.cameras import CameraPeer, camera_peers
from frontdesk.web.connection_guard import ConnectionGuard, concurrency_limit, guarded_protocol
from frontdesk.web.hub import LiveHub

__all__ = ["WebServer", "start_web"]

log = logging.getLogger(__name__)


def _bind_socket(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise FrontdeskError(f"web UI: cannot resolve {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise FrontdeskError(f"web UI: cannot listen on {host}:{port}: "
                             f"{exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


class WebServer:
    """A running web UI. ``url`` is where it listens; ``stop()`` ends it."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, sock: socket.socket,
                 hub: LiveHub, ctx: WebContext, auth: AuthSettings) -> None:
        self._server = server
        self._thread = thread
        self._sock = sock
        self.hub = hub
        self.ctx = ctx
        self.auth = auth
        self.guard: ConnectionGuard | None = None
        host, port = sock.getsockname()[:2]
        self.host, self.port = str(host), int(port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Close event streams, stop uvicorn and wait for its thread."""
        self.hub.close()
        self._server.should_exit = True
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(1.0)
        self._sock.close()
        log.info("web UI stopped")


def start_web(runner: Any, config: Config, bind: str | None = None, *,
              config_path: str | None = None, env: dict[str, str] | None = None,
              hub: LiveHub | None = None, start_timeout_s: float = 10.0,
              whole_config: Config | None = None) -> WebServer:
    """Start the web UI for ``runner`` (anything with ``add_sink`` and ``health``).

    Args:
        runner: the frame loop whose events and states the hub receives; None
            serves zones and settings without a live view (frames answer 503).
        config: the running configuration (``web`` section for bind and secrets).
        bind: ``HOST:PORT`` overriding ``config.web.bind`` (``frontdesk run --web``).
        config_path: the YAML file the zone editor and camera page save to; None:
            read-only.
        env: environment to read secrets from (default ``os.environ``).
        hub: an existing hub (tests); default a new one attached to ``runner``.
        whole_config: with a ``cameras:`` list, the whole config ``config`` was cut from
            (:meth:`~frontdesk.config.Config.for_camera`): the pages name this camera
            (``config.camera_id``) and link to the others, and saves go to this
            camera's entry of ``config_path``.

    Raises:
        FrontdeskError: a non-loopback address without a password or token, a
            named secret variable that is unset, or an address that cannot be bound.
    """
    auth = resolve_auth(config.web, bind, env)
    sock = _bind_socket(auth.host, auth.port)
    if hub is None:
        hub = LiveHub(config)
        if runner is not None:
            hub.attach(runner)
    camera_id = config.camera_id
    peers: Sequence[CameraPeer] = ()
    if camera_id is not None:
        if whole_config is None or camera_id not in whole_config.camera_ids:
            raise FrontdeskError(f"web UI for camera {camera_id!r}: the whole config (with its "
                                 f"cameras list) is needed")
        peers = camera_peers(whole_config)
    ctx = WebContext(hub, auth, config_path, camera_id=camera_id, cameras=peers)
    app = create_app(ctx)
    guard = ConnectionGuard()
    server = uvicorn.Server(uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", http=guarded_protocol(guard),
        ws="none", timeout_graceful_shutdown=2, timeout_keep_alive=5,
        limit_concurrency=concurrency_limit(guard), server_header=False, proxy_headers=False,
    ))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                              name="frontdesk-web", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise FrontdeskError(f"web UI did not start on {auth.host}:{auth.port}")
        time.sleep(0.02)
    web = WebServer(server, thread, sock, hub, ctx, auth)
    web.guard = guard
    mode = "open to this machine" if auth.open else "login required"
    which = "" if camera_id is None else f" for camera {camera_id}"
    log.info("web UI%s on %s/ (%s)", which, web.url, mode)
    return web

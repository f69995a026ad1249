"""A local HTTP camera for the capture tests: one video file served over HTTP."""

from __future__ import annotations

import base64
import contextlib
import http.server
import threading
from collections.abc import Iterator

__all__ = ["serve_video"]


@contextlib.contextmanager
def serve_video(body: bytes, credentials: str | None = None) -> Iterator[int]:
    """Serve ``body`` (an AVI) to every GET on 127.0.0.1; yields the port. With
    ``credentials`` ("user:password") a request without them gets 401, as a camera
    asking for basic auth answers."""
    wanted = None if credentials is None else \
        "Basic " + base64.b64encode(credentials.encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if wanted is not None and self.headers.get("Authorization") != wanted:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="camera"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "video/x-msvideo")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()

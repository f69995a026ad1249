"""Issue 15's web figures (docs/deployment.md, "Security"), for the tree on PYTHONPATH.

    PYTHONPATH=TREE python tests/measure/security_web.py

Starts the real web server as the tests do and prints one line per attack:
Bearer guessing from one address, a lock-out tried from 40 addresses, 100
half-open connections, and one connection trickling its headers.
"""

from __future__ import annotations

import logging
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from web_scene import CONFIG_YAML, ENV, PASSWORD, StandInRunner  # noqa: E402

from frontdesk.config import load_config  # noqa: E402
from frontdesk.web.server import start_web  # noqa: E402


def server() -> Any:
    path = Path(tempfile.mkdtemp()) / "frontdesk.yaml"
    path.write_text(CONFIG_YAML, encoding="utf-8")
    config = load_config(path)
    return start_web(StandInRunner(config), config, config_path=str(path), env=ENV)


def client(web: Any, address: str) -> httpx.Client:
    return httpx.Client(base_url=web.url, transport=httpx.HTTPTransport(local_address=address),
                        timeout=10)


def bearer_guesses() -> None:
    web = server()
    codes: dict[int, int] = {}
    with client(web, "127.0.0.2") as c:
        start = time.monotonic()
        for i in range(300):
            status = c.get("/api/state", headers={"Authorization": f"Bearer guess-{i}"}).status_code
            codes[status] = codes.get(status, 0) + 1
        took = time.monotonic() - start
        right = c.get("/api/state", headers={"Authorization": f"Bearer {PASSWORD}"}).status_code
    print(f"1 bearer: 300 guesses in {took:.2f} s: {codes}; then the right password: {right}")
    web.stop()


def lock_out() -> None:
    web = server()
    for i in range(40):
        with client(web, f"127.0.1.{i + 1}") as c:
            c.post("/login", data={"password": "guess"})
    with client(web, "127.0.0.1") as c:
        status = c.post("/login", data={"password": PASSWORD}).status_code
    print(f"2 lockout: 40 wrong passwords from 40 addresses, then the real user: {status}")
    web.stop()


def slow_headers() -> None:
    web = server()
    socks = []
    for _ in range(100):
        s = socket.create_connection((web.host, web.port), source_address=("127.0.0.5", 0))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(s)
    time.sleep(0.5)
    results = []
    for address in ("127.0.0.1", "127.0.0.5", "127.0.0.1"):
        start = time.monotonic()
        try:
            with client(web, address) as c:
                status: object = c.get("/healthz", timeout=5).status_code
        except httpx.HTTPError as exc:
            status = type(exc).__name__
        results.append(f"{status} in {(time.monotonic() - start) * 1000:.0f} ms")
    print("3 slow headers: 100 half-open connections held; /healthz:", "; ".join(results))
    for s in socks:
        s.close()
    s = socket.create_connection((web.host, web.port))
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    s.settimeout(0.5)
    start, closed = time.monotonic(), None
    while closed is None and time.monotonic() - start < 25:
        try:
            s.sendall(b"X-A: b\r\n")
            if s.recv(1) == b"":
                closed = time.monotonic() - start
        except TimeoutError:
            pass
        except OSError:
            closed = time.monotonic() - start
    print(f"3b trickling headers: closed after {closed} s")
    s.close()
    web.stop()


if __name__ == "__main__":
    logging.disable(logging.WARNING)
    bearer_guesses()
    lock_out()
    slow_headers()

"""Issue 15, the web UI: password guessing, lock-outs and slow connections, on a real server.

Clients come from several loopback addresses (127.0.0.2, 127.0.1.N...): Linux routes
all of 127/8 to this machine, so one test plays the attacker and the real user.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from web_scene import PASSWORD, StandInRunner

from frontdesk.config import Config
from frontdesk.web.config_file import KEEP_BACKUPS, backups_of
from frontdesk.web.server import WebServer, start_web

REPO = Path(__file__).resolve().parents[2]


def client_from(server: WebServer, address: str, **kwargs: object) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.url, transport=transport, timeout=10.0, **kwargs)  # type: ignore[arg-type]


def test_bearer_guesses_share_the_login_limit_and_are_logged(
        server: WebServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "frontdesk.web.auth")
    with client_from(server, "127.0.0.2") as attacker:
        codes = [attacker.get("/api/state", headers={"Authorization": f"Bearer guess-{i}"}
                              ).status_code for i in range(8)]
        assert codes == [401] * 5 + [429] * 3
        locked = attacker.get("/api/state", headers={"Authorization": f"Bearer {PASSWORD}"})
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
        form = attacker.post("/login", data={"password": PASSWORD})
        assert form.status_code == 429  # one count for every way in
    assert caplog.text.count("wrong Bearer token from 127.0.0.2") == 5
    assert "locked out for" in caplog.text
    with client_from(server, "127.0.0.3") as user:  # another address is not affected
        assert user.get("/api/state", headers={"Authorization": f"Bearer {PASSWORD}"}
                        ).status_code == 200


def test_form_guesses_then_bearer_is_locked_too(server: WebServer) -> None:
    with client_from(server, "127.0.0.4") as attacker:
        codes = [attacker.post("/login", data={"password": f"guess-{i}"}).status_code
                 for i in range(5)]
        assert codes == [401] * 5
        r = attacker.get("/api/state", headers={"Authorization": f"Bearer {PASSWORD}"})
        assert r.status_code == 429


def test_nobody_can_lock_the_real_user_out(server: WebServer) -> None:
    for i in range(40):  # more failures, from more addresses, than the old global limit (30)
        with client_from(server, f"127.0.1.{i + 1}") as attacker:
            assert attacker.post("/login", data={"password": "guess"}).status_code == 401
    with client_from(server, "127.0.2.1") as attacker:
        for _ in range(10):
            attacker.post("/login", data={"password": "guess"})
    with client_from(server, "127.0.0.1") as user:
        r = user.post("/login", data={"password": PASSWORD, "next": "/live"})
        assert r.status_code == 303 and r.headers["location"] == "/live"


@pytest.fixture
def slow_clients(server: WebServer) -> Iterator[list[socket.socket]]:
    """100 connections from 127.0.0.5 that have sent half a request's headers."""
    socks = []
    for _ in range(100):
        s = socket.create_connection((server.host, server.port), source_address=("127.0.0.5", 0))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(s)
    yield socks
    for s in socks:
        s.close()


def test_healthz_answers_within_a_second_while_100_half_open_connections_are_held(
        server: WebServer, slow_clients: list[socket.socket]) -> None:
    time.sleep(0.3)  # let the server take them all in
    for s in slow_clients:  # keep them alive: a byte more of header each
        with contextlib.suppress(OSError):  # closed by the server: it is allowed to
            s.sendall(b"a")
    for address in ("127.0.0.5", "127.0.0.1"):  # the attacker's own address too
        start = time.monotonic()
        with client_from(server, address) as c:
            r = c.get("/healthz", timeout=1.0)
        assert r.status_code == 200 and time.monotonic() - start < 1.0
    assert server.guard is not None and server.guard.waiting <= server.guard.per_client_waiting


def test_a_request_that_never_finishes_its_headers_is_closed(server: WebServer) -> None:
    assert server.guard is not None
    server.guard.request_timeout_s = 0.5
    s = socket.create_connection((server.host, server.port))
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        s.settimeout(1.5)
        start = time.monotonic()
        for _ in range(10):  # trickling bytes does not extend the deadline
            s.sendall(b"X-A: b\r\n")
            time.sleep(0.05)
        assert s.recv(100) == b""  # closed by the server
        assert time.monotonic() - start < 1.5
    finally:
        s.close()


def test_zone_saves_keep_only_the_newest_backups(server: WebServer, config_path: Path) -> None:
    with httpx.Client(base_url=server.url, timeout=10.0) as c:
        assert c.post("/login", data={"password": PASSWORD}).status_code == 303
        texts = []
        for i in range(KEEP_BACKUPS + 4):
            texts.append(config_path.read_text())
            x = 0.1 + i * 0.01
            zones = {"approach": [[0.55, 0.3], [0.74, 0.3], [0.74, 0.5], [0.55, 0.5]],
                     "service": [[0.76, 0.27], [1.0, 0.27], [1.0, 0.85], [0.76, 0.85]],
                     "staff": [[0.0, 0.2], [x, 0.2], [x, 0.8], [0.0, 0.8]], "ignore": []}
            r = c.put("/api/zones", json={"counters": [{"id": "counter-1", "zones": zones}]})
            assert r.status_code == 200, r.text
    backups = backups_of(config_path)
    assert len(backups) == KEEP_BACKUPS
    assert [b.read_text() for b in backups] == texts[-KEEP_BACKUPS:]  # the newest, in order


def test_hash_password_command_makes_a_hash_the_server_accepts(
        runner: StandInRunner, config: Config, config_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "frontdesk", "hash-password", "--stdin"],
                          input="a-new-long-password\n", capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    stored = proc.stdout.strip()
    assert stored.startswith("scrypt:14:8:1:") and "a-new-long-password" not in proc.stdout
    web = start_web(runner, config, config_path=str(config_path),
                    env={"FD_TEST_WEB_PASSWORD": stored})
    try:
        with httpx.Client(base_url=web.url, timeout=10.0) as c:
            assert c.post("/login", data={"password": "a-new-long-password"}).status_code == 303
            assert c.post("/login", data={"password": stored}).status_code == 401  # not the hash
    finally:
        web.stop()
    bad = subprocess.run([sys.executable, "-m", "frontdesk", "hash-password", "--stdin"],
                         input="short\n", capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    assert bad.returncode == 2 and "at least 8 characters" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_a_body_trickled_after_the_headers_is_cut_off_too(server: WebServer) -> None:
    assert server.guard is not None
    server.guard.request_timeout_s = 0.5
    s = socket.create_connection((server.host, server.port))
    try:
        s.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-"
                  b"urlencoded\r\nContent-Length: 200\r\n\r\npassword=")
        s.settimeout(1.5)
        start = time.monotonic()
        with contextlib.suppress(OSError):
            for _ in range(10):
                s.sendall(b"a")
                time.sleep(0.05)
        reply = b""
        with contextlib.suppress(OSError):
            while chunk := s.recv(4096):
                reply += chunk
        assert time.monotonic() - start < 1.5  # closed, not waited for
        assert b"303" not in reply.split(b"\r\n", 1)[0]
    finally:
        s.close()

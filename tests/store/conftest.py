"""A real PostgreSQL server for the store and collector tests.

``postgres_server`` (session): initdb into a temporary folder and start postgres
on a free loopback port (as the ``postgres`` user when the tests run as root:
postgres refuses to run as root). ``pg_url`` gives each test a fresh database.
Without the server binaries the fixtures fail with a message saying how to
install them (``make test`` does).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def _bindir() -> Path | None:
    for pattern in ("/usr/lib/postgresql/*/bin",):
        found = sorted(glob.glob(pattern), key=lambda p: int(p.split("/")[-2]), reverse=True)
        for d in found:
            if (Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists():
                return Path(d)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int
    as_user: list[str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.as_user, str(self.bindir / tool), *args],
                              capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bindir = _bindir()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's "
                    "postgresql package (make test does)", pytrace=False)
    root = Path(tempfile.mkdtemp(prefix="frontdesk-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root needs the 'postgres' user to start the server",
                        pytrace=False)
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    server = PostgresServer(bindir, root, _free_port(), as_user)
    init = server.run("initdb", "-D", str(server.data), "-U", "postgres", "--auth=trust",
                      "--no-sync", "-E", "UTF8", "--no-locale")
    if init.returncode != 0:
        pytest.fail(f"initdb failed: {init.stderr[-1500:]}", pytrace=False)
    opts = (f"-p {server.port} -h 127.0.0.1 -k {root} -F -c max_connections=40 "
            "-c shared_buffers=32MB -c full_page_writes=off -c synchronous_commit=off")
    start = server.run("pg_ctl", "-D", str(server.data), "-l", str(root / "server.log"),
                       "-o", opts, "-w", "-t", "60", "start")
    if start.returncode != 0:
        log = (root / "server.log").read_text(errors="replace")[-1500:] if (
            root / "server.log").exists() else ""
        pytest.fail(f"postgres did not start: {start.stderr[-800:]}\n{log}", pytrace=False)
    try:
        yield server
    finally:
        server.run("pg_ctl", "-D", str(server.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


_db_numbers = itertools.count(1)


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> str:
    """A fresh, empty database on the test server."""
    import psycopg

    name = f"frontdesk_t{os.getpid()}_{next(_db_numbers)}"
    with psycopg.connect(postgres_server.url(), autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.url(name)

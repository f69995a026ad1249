"""A private mosquitto broker on a free loopback port, for tests and benchmarks.

Starts Debian's ``mosquitto`` with a generated config (plain, or TLS with a
password file and an ACL), waits until it says it is running (by reading its
log, not by sleeping), and can stop, kill (SIGKILL) and restart it on the same
port, which is what the outage tests need.
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from frontdesk.errors import FrontdeskError

__all__ = [
    "MosquittoNotInstalled",
    "MosquittoBroker",
    "TlsFiles",
    "find_mosquitto",
    "free_port",
    "make_tls_files",
]

_SEARCH = ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto", "/opt/homebrew/sbin/mosquitto")


class MosquittoNotInstalled(FrontdeskError):
    """Debian's mosquitto broker is needed (``make test`` installs it)."""


def find_mosquitto() -> str:
    """Path of the mosquitto binary; raises :class:`MosquittoNotInstalled`."""
    found = shutil.which("mosquitto")
    if found:
        return found
    for path in _SEARCH:
        if os.access(path, os.X_OK):
            return path
    raise MosquittoNotInstalled(
        "the mosquitto MQTT broker is not installed: `make test` installs it "
        "(or: sudo apt-get install mosquitto)"
    )


def _find_tool(name: str) -> str:
    found = shutil.which(name) or next(
        (p for p in (f"/usr/bin/{name}", f"/usr/sbin/{name}") if os.access(p, os.X_OK)), None
    )
    if not found:
        raise MosquittoNotInstalled(f"{name} is needed and not installed")
    return found


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of a throwaway CA, a broker certificate for 127.0.0.1/localhost
    and a client certificate, all signed by that CA."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(
        [_find_tool("openssl"), *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()[:500]}")


def make_tls_files(directory: Path) -> TlsFiles:
    """Create a CA, a server and a client certificate (EC P-256, valid 2 days)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=frontdesk test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash",
        cwd=d,
    )
    for name, cn, usage, san in (
        ("server", "localhost", "serverAuth", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"),
        ("client", "frontdesk-test-client", "clientAuth", ""),
    ):
        (d / f"{name}.ext").write_text(
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            f"extendedKeyUsage={usage}\n"
            "subjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid,issuer\n" + san
        )
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={cn}", cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", f"{name}.crt", "-days", "2",
                 "-extfile", f"{name}.ext", cwd=d)
    for key in ("ca.key", "server.key", "client.key"):
        os.chmod(d / key, 0o600)
    return TlsFiles(d / "ca.crt", d / "server.crt", d / "server.key",
                    d / "client.crt", d / "client.key")


class MosquittoBroker:
    """One mosquitto process on 127.0.0.1, restartable on the same port.

    Args:
        workdir: folder for its config, log and persistence files.
        tls: serve TLS with these files (``mqtts://``).
        require_client_cert: with ``tls``, refuse clients without a certificate
            signed by the CA.
        users: user name -> password; when given, anonymous clients are refused.
        acl: text of a mosquitto ACL file (``user``/``topic``/``pattern`` lines).
        persistence: keep retained messages and sessions across a restart
            (written on a clean stop, or on :meth:`save`).
        max_queued_messages: per-client queue while a persistent client is away.
    """

    host = "127.0.0.1"

    def __init__(
        self,
        workdir: Path,
        *,
        tls: TlsFiles | None = None,
        require_client_cert: bool = False,
        users: dict[str, str] | None = None,
        acl: str | None = None,
        persistence: bool = False,
        max_queued_messages: int = 100_000,
    ):
        self.binary = find_mosquitto()
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.tls = tls
        self.require_client_cert = require_client_cert
        self.users = dict(users or {})
        self.acl = acl
        self.persistence = persistence
        self.max_queued_messages = max_queued_messages
        self.port = 0
        self.log_path = self.workdir / "mosquitto.log"
        self._proc: subprocess.Popen[str] | None = None
        self._lines: deque[str] = deque(maxlen=400)
        self._cond = threading.Condition()
        self._reader: threading.Thread | None = None

    # ------------------------------------------------------------------ addresses
    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # ------------------------------------------------------------------ config
    def _write_config(self) -> Path:
        lines = [f"listener {self.port} {self.host}"]
        if getattr(os, "geteuid", lambda: 1)() == 0:
            lines.append(f"user {getpass.getuser()}")  # do not drop to the 'mosquitto' user
        lines += [
            "log_dest stderr",
            "log_type error", "log_type warning", "log_type notice", "log_type information",
            "connection_messages true",
            f"max_queued_messages {self.max_queued_messages}",
            "max_inflight_messages 0",
        ]
        if self.persistence:
            lines += ["persistence true", f"persistence_location {self.workdir}/",
                      "autosave_interval 3600"]
        else:
            lines.append("persistence false")
        if self.tls is not None:
            lines += [f"cafile {self.tls.ca_cert}", f"certfile {self.tls.server_cert}",
                      f"keyfile {self.tls.server_key}",
                      f"require_certificate {'true' if self.require_client_cert else 'false'}"]
        if self.users:
            passwd = self.workdir / "passwd"
            passwd.write_text("")
            tool = _find_tool("mosquitto_passwd")
            for user, password in self.users.items():
                subprocess.run([tool, "-b", str(passwd), user, password], check=True,
                               capture_output=True)
            os.chmod(passwd, 0o600)
            lines += [f"password_file {passwd}", "allow_anonymous false"]
        else:
            lines.append("allow_anonymous true")
        if self.acl is not None:
            acl_path = self.workdir / "acl"
            acl_path.write_text(self.acl)
            os.chmod(acl_path, 0o600)
            lines.append(f"acl_file {acl_path}")
        path = self.workdir / "mosquitto.conf"
        path.write_text("\n".join(lines) + "\n")
        return path

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout_s: float = 10.0) -> None:
        """Start on a free port (the first time) or on the same port (after a stop)."""
        if self.running:
            return
        attempts = 3 if self.port == 0 else 1
        for attempt in range(attempts):
            if self.port == 0 or attempt > 0:
                self.port = free_port(self.host)
            if self._spawn(timeout_s):
                return
        raise RuntimeError(f"mosquitto did not start:\n{self.log_tail()}")

    def _spawn(self, timeout_s: float) -> bool:
        config = self._write_config()
        with self._cond:
            self._lines.clear()
        self._proc = subprocess.Popen(
            [self.binary, "-c", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace",
        )
        self._reader = threading.Thread(target=self._read_log, args=(self._proc,),
                                        name="mosquitto-log", daemon=True)
        self._reader.start()
        ok = self.wait_for_log(" running", timeout_s)
        if not ok:
            self.kill()
        return ok

    def _read_log(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        with open(self.log_path, "a", encoding="utf-8") as out:
            for line in proc.stderr:
                out.write(line)
                out.flush()
                with self._cond:
                    self._lines.append(line.rstrip("\n"))
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for_log(self, fragment: str, timeout_s: float, since: int = 0) -> bool:
        """Wait until a log line (after the first ``since`` of this run) contains ``fragment``.

        Returns False on timeout or when the broker exits first.
        """
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                if any(fragment in line for line in list(self._lines)[since:]):
                    return True
                if self._proc is None or self._proc.poll() is not None:
                    return False
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.2))

    def log_count(self) -> int:
        with self._cond:
            return len(self._lines)

    def log_tail(self, n: int = 40) -> str:
        with self._cond:
            return "\n".join(list(self._lines)[-n:])

    def save(self, timeout_s: float = 5.0) -> None:
        """Write the persistence database now (SIGUSR1) and wait until it is written."""
        if not self.persistence or self._proc is None:
            raise RuntimeError("save() needs a running broker with persistence=True")
        mark = self.log_count()
        self._proc.send_signal(signal.SIGUSR1)
        if not self.wait_for_log("Saving in-memory database", timeout_s, since=mark):
            raise RuntimeError(f"mosquitto did not save its database:\n{self.log_tail()}")

    def stop(self, timeout_s: float = 5.0) -> None:
        """Clean stop (SIGTERM): retained messages are saved when persistence is on."""
        self._end(signal.SIGTERM, timeout_s)

    def kill(self) -> None:
        """Crash the broker (SIGKILL): nothing is saved."""
        self._end(signal.SIGKILL, 5.0)

    def _end(self, sig: int, timeout_s: float) -> None:
        proc = self._proc
        if proc is None:
            return
        deadline = time.monotonic() + timeout_s
        while proc.poll() is None:
            # A SIGTERM that arrives while mosquitto is still setting up can go
            # unnoticed: repeat it every half second until the deadline.
            proc.send_signal(sig)
            try:
                proc.wait(timeout=min(0.5, max(deadline - time.monotonic(), 0.01)))
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    proc.kill()
                    proc.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=2)
        if proc.stderr is not None:
            proc.stderr.close()

    def restart(self, timeout_s: float = 10.0) -> None:
        """Start again on the same port (after :meth:`stop` or :meth:`kill`)."""
        self._end(signal.SIGTERM, timeout_s)
        self.start(timeout_s)

    def __enter__(self) -> MosquittoBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

"""Who may use the web UI: bind rules, secrets, signed session cookies, login rate limits.

The security model (docs/web.md):

* On a loopback address (127.0.0.0/8, ::1, localhost) with no password and no
  token configured, the UI is **open**: anyone on this machine may use it.
* Configured with a password (``web.password_env``) or a token
  (``web.token_env``), every page and API call except ``/healthz``, the login
  page and the static files needs a session cookie (from the login form) or
  ``Authorization: Bearer TOKEN``, on loopback too.
* Bound to any other address without a password or token, frontdesk refuses to
  start (:class:`~frontdesk.errors.FrontdeskError`).

Session cookies are ``EXPIRY.NONCE.SIGNATURE`` with an HMAC-SHA256 signature
under a key made at start-up, so every session ends when frontdesk restarts;
logging out forgets the nonce. Secrets are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from frontdesk.config import WebConfig
from frontdesk.errors import FrontdeskError

__all__ = [
    "AuthSettings",
    "SessionSigner",
    "LoginLimiter",
    "is_loopback",
    "split_bind",
    "resolve_auth",
    "secret_matches",
]

log = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 8


def split_bind(bind: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) as (host, port)."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise FrontdeskError(f"web bind must be HOST:PORT, got {bind!r}")
    return host.strip("[]"), int(port)


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def secret_matches(given: str, expected: str) -> bool:
    """Constant-time comparison (hashed first, so lengths do not leak either)."""
    a = hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest()
    b = hashlib.sha256(expected.encode("utf-8", "surrogatepass")).digest()
    return hmac.compare_digest(a, b)


@dataclass(frozen=True)
class AuthSettings:
    """The resolved secrets (from the environment) and the bind they protect."""

    host: str
    port: int
    password: str | None
    token: str | None
    session_s: float
    cookie_secure: bool

    @property
    def open(self) -> bool:
        """No password and no token: every request is let in (loopback only)."""
        return self.password is None and self.token is None


def _read_env(kind: str, name: str | None, env: dict[str, str]) -> str | None:
    if name is None:
        return None
    value = env.get(name, "")
    if not value:
        raise FrontdeskError(
            f"web.{kind}_env names the environment variable {name}, but it is not set or empty: "
            f"set it (e.g. in the service's environment file) or remove web.{kind}_env"
        )
    return value


def resolve_auth(web: WebConfig, bind: str | None = None,
                 env: dict[str, str] | None = None) -> AuthSettings:
    """Read the secrets named by ``web`` and check they fit the bind address.

    Raises:
        FrontdeskError: a named variable is unset, or the address is not loopback
            and neither a password nor a token is configured.
    """
    environ = dict(os.environ) if env is None else env
    host, port = split_bind(bind or web.bind)
    password = _read_env("password", web.password_env, environ)
    token = _read_env("token", web.token_env, environ)
    if password is None and token is None and not is_loopback(host):
        raise FrontdeskError(
            f"refusing to serve the web UI on {host}:{port} without a password: anyone who can "
            f"reach that address would see the camera. Set web.password_env (and the variable "
            f"it names), or bind to 127.0.0.1 and use an SSH tunnel (docs/web.md)"
        )
    if password is not None and len(password) < MIN_PASSWORD_CHARS:
        log.warning("the web UI password is shorter than %d characters", MIN_PASSWORD_CHARS)
    if password is None and token is None:
        log.warning("web UI on %s:%d is open to anyone on this machine (no password set)",
                    host, port)
    return AuthSettings(host, port, password, token, web.session_hours * 3600.0,
                        web.cookie_secure)


class SessionSigner:
    """Makes and checks ``EXPIRY.NONCE.SIGNATURE`` session values; logout revokes a nonce.

    Args:
        max_age_s: how long a session lasts.
        clock: Unix seconds (injectable for tests).
        key: signing key; default 32 random bytes made now.
    """

    def __init__(self, max_age_s: float, clock: Callable[[], float] = time.time,
                 key: bytes | None = None) -> None:
        self.max_age_s = max_age_s
        self._clock = clock
        self._key = key or secrets.token_bytes(32)
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

    def _sign(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).hexdigest()

    def issue(self) -> str:
        expiry = int(self._clock() + self.max_age_s)
        payload = f"{expiry}.{secrets.token_urlsafe(18)}"
        return f"{payload}.{self._sign(payload)}"

    def valid(self, value: str | None) -> bool:
        if not value or len(value) > 200:
            return False
        payload, _, signature = value.rpartition(".")
        expiry_text, _, nonce = payload.partition(".")
        if not expiry_text.isdigit() or not nonce:
            return False
        if not hmac.compare_digest(self._sign(payload), signature):
            return False
        if int(expiry_text) < self._clock():
            return False
        with self._lock:
            return nonce not in self._revoked

    def revoke(self, value: str | None) -> None:
        if not self.valid(value):
            return
        assert value is not None
        expiry_text, nonce, _ = value.split(".", 2)
        now = self._clock()
        with self._lock:
            self._revoked = {n: e for n, e in self._revoked.items() if e >= now}
            self._revoked[nonce] = float(expiry_text)


class LoginLimiter:
    """Failed logins allowed per client and in total within a sliding window.

    After ``per_client`` failures from one address within ``window_s``, that
    address must wait; after ``total`` failures from all addresses, everyone
    must (a slow brute force from many addresses). A success clears the
    client's own failures.
    """

    def __init__(self, per_client: int = 5, total: int = 30, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_client = per_client
        self.total = total
        self.window_s = window_s
        self._clock = clock
        self._by_client: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()
        self._lock = threading.Lock()

    def _trim(self, q: deque[float], now: float) -> None:
        while q and q[0] <= now - self.window_s:
            q.popleft()

    def retry_after_s(self, client: str) -> float:
        """0 when ``client`` may try now, else seconds to wait."""
        now = self._clock()
        with self._lock:
            self._trim(self._all, now)
            waits = []
            if len(self._all) >= self.total:
                waits.append(self._all[0] + self.window_s - now)
            q = self._by_client.get(client)
            if q is not None:
                self._trim(q, now)
                if len(q) >= self.per_client:
                    waits.append(q[0] + self.window_s - now)
            return max(waits, default=0.0)

    def failed(self, client: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._by_client) > 10_000:  # bound memory under a spray of addresses
                self._by_client.clear()
            self._by_client.setdefault(client, deque()).append(now)
            self._all.append(now)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._by_client.pop(client, None)

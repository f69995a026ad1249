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

import base64
import binascii
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
    "PasswordHash",
    "SecretGate",
    "hash_password",
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


SCRYPT_LOG_N = 14
"""scrypt cost 2**14, r 8, p 1: about 16 MiB and 50 ms a check (Django's default)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(password: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=2 ** log_n,
                          r=r, p=p, dklen=32, maxmem=256 * 1024 * 1024)


def hash_password(password: str, *, log_n: int = SCRYPT_LOG_N) -> str:
    """``scrypt:LOG_N:R:P:SALT:HASH`` (URL-safe base64): what ``web.password_env`` may hold.

    No ``$`` in it, so shells, systemd environment files and Docker Compose leave it alone.
    """
    salt = secrets.token_bytes(16)
    return f"scrypt:{log_n}:8:1:{_b64(salt)}:{_b64(_scrypt(password, salt, log_n, 8, 1))}"


class PasswordHash:
    """A salted scrypt hash of the web password, and a check of a given password against it.

    Args:
        stored: ``hash_password``'s ``scrypt:...`` text, or (older setups) the password
            itself, which is hashed here at start-up and not kept.
        name: the environment variable it came from, for messages.

    Raises:
        FrontdeskError: a ``scrypt:`` value that is malformed.
    """

    def __init__(self, stored: str, name: str = "the password variable") -> None:
        self.was_plain = not stored.startswith("scrypt:")
        if self.was_plain:
            stored = hash_password(stored)
        parts = stored.split(":")
        try:
            if len(parts) != 6:
                raise ValueError("expected scrypt:LOG_N:R:P:SALT:HASH")
            self._log_n, self._r, self._p = (int(x) for x in parts[1:4])
            self._salt, self._digest = _unb64(parts[4]), _unb64(parts[5])
            if not (10 <= self._log_n <= 20 and 1 <= self._r <= 32 and 1 <= self._p <= 16):
                raise ValueError("cost out of range (LOG_N 10 to 20, R 1 to 32, P 1 to 16)")
            if len(self._salt) < 8 or len(self._digest) < 16:
                raise ValueError("salt or hash too short")
        except (ValueError, binascii.Error) as exc:
            raise FrontdeskError(
                f"{name} holds a malformed password hash ({exc}): make a new one with "
                f"`frontdesk hash-password`") from None
        self._seen_key = secrets.token_bytes(32)
        self._seen: set[bytes] = set()
        self._lock = threading.Lock()

    def matches(self, given: str) -> bool:
        """Whether ``given`` is the password (slow the first time, remembered after)."""
        if not given or len(given) > 1024:
            return False
        tag = hmac.new(self._seen_key, given.encode("utf-8", "surrogatepass"),
                       hashlib.sha256).digest()
        with self._lock:
            if tag in self._seen:  # a Bearer client sends it with every call
                return True
        ok = hmac.compare_digest(_scrypt(given, self._salt, self._log_n, self._r, self._p),
                                 self._digest)
        if ok:
            with self._lock:
                self._seen.add(tag)
        return ok


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
    password: PasswordHash | None
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
    plain = _read_env("password", web.password_env, environ)
    token = _read_env("token", web.token_env, environ)
    password = None if plain is None else PasswordHash(plain, f"${web.password_env}")
    if plain is None and token is None and not is_loopback(host):
        raise FrontdeskError(
            f"refusing to serve the web UI on {host}:{port} without a password: anyone who can "
            f"reach that address would see the camera. Set web.password_env (and the variable "
            f"it names), or bind to 127.0.0.1 and use an SSH tunnel (docs/web.md)"
        )
    if plain is not None and password is not None and password.was_plain:
        if len(plain) < MIN_PASSWORD_CHARS:
            log.warning("the web UI password is shorter than %d characters", MIN_PASSWORD_CHARS)
        log.warning("$%s holds the web password in plain text: store its hash instead "
                    "(`frontdesk hash-password` prints one)", web.password_env)
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
    """Failed attempts allowed per client address within a sliding window.

    One limiter serves every way of presenting a secret (the login form and
    ``Authorization: Bearer``). :meth:`attempt` counts an attempt as failed
    *before* the secret is checked, so a burst of parallel guesses cannot slip
    past the count; :meth:`succeeded` then forgets the client's failures. After
    ``per_client`` failures within ``window_s`` the address waits until the
    oldest leaves the window. Only that address: others, the real user among
    them, are not locked out (a lock-out anyone can trigger is a denial of
    service). IPv6 clients count per /64, the block one host usually holds.
    """

    def __init__(self, per_client: int = 5, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_client = per_client
        self.window_s = window_s
        self._clock = clock
        self._by_client: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(client: str) -> str:
        """The address a client is counted under (an IPv6 address's /64)."""
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return client
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
            return str(ipaddress.IPv6Network((address, 64), strict=False))
        return str(address.ipv4_mapped or address) if isinstance(
            address, ipaddress.IPv6Address) else str(address)

    def _wait(self, key: str, now: float) -> float:
        q = self._by_client.get(key)
        if q is None:
            return 0.0
        while q and q[0] <= now - self.window_s:
            q.popleft()
        if not q:
            del self._by_client[key]
            return 0.0
        return q[0] + self.window_s - now if len(q) >= self.per_client else 0.0

    def retry_after_s(self, client: str) -> float:
        """0 when ``client`` may try now, else seconds to wait."""
        with self._lock:
            return self._wait(self.key(client), self._clock())

    def attempt(self, client: str) -> float:
        """Seconds to wait (nothing counted), or 0: the attempt is counted as a failure."""
        now = self._clock()
        key = self.key(client)
        with self._lock:
            wait = self._wait(key, now)
            if wait > 0:
                return wait
            if len(self._by_client) > 10_000:  # bound memory under a spray of addresses
                for k in list(self._by_client):
                    self._wait(k, now)
            self._by_client.setdefault(key, deque()).append(now)
            return 0.0

    def failed(self, client: str) -> None:
        """Count a failure (:meth:`attempt` already counts one; this is for other callers)."""
        now = self._clock()
        with self._lock:
            self._by_client.setdefault(self.key(client), deque()).append(now)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._by_client.pop(self.key(client), None)


class SecretGate:
    """Checks a presented secret (form password or Bearer value) under the per-address limit.

    Every way in goes through :meth:`check`, so guesses share one count per
    address; each failure is logged, and so is the start of a lock-out.
    """

    def __init__(self, auth: AuthSettings, limiter: LoginLimiter) -> None:
        self.auth = auth
        self.limiter = limiter

    def check(self, client: str, given: str, how: str) -> tuple[bool, float]:
        """(accepted, seconds the client must wait: 0 unless locked out). Slow: scrypt."""
        wait_s = self.limiter.attempt(client)
        if wait_s > 0:
            return False, wait_s
        token, password = self.auth.token, self.auth.password
        ok = bool(given) and ((token is not None and secret_matches(given, token))
                              or (password is not None and password.matches(given)))
        if ok:
            self.limiter.succeeded(client)
            return True, 0.0
        locked_s = self.limiter.retry_after_s(client)
        if locked_s > 0:
            log.warning("wrong %s from %s: %d failures, locked out for %d s", how, client,
                        self.limiter.per_client, round(locked_s))
        else:
            log.warning("wrong %s from %s", how, client)
        return False, 0.0

"""Bind rules, session signing and login rate limits, with injected clocks."""

from __future__ import annotations

import pytest

from frontdesk.config import WebConfig
from frontdesk.errors import FrontdeskError
from frontdesk.web.auth import (
    LoginLimiter,
    PasswordHash,
    SessionSigner,
    hash_password,
    is_loopback,
    resolve_auth,
    secret_matches,
    split_bind,
)


class Clock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("shop-box.local", False),
])
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_split_bind_handles_ipv6() -> None:
    assert split_bind("[::1]:8080") == ("::1", 8080)
    assert split_bind("0.0.0.0:80") == ("0.0.0.0", 80)
    with pytest.raises(FrontdeskError):
        split_bind("8080")


@pytest.mark.parametrize("bind", ["0.0.0.0:8080", "192.168.1.20:8080", "[::]:8080",
                                  "shop-box.local:8080"])
def test_off_loopback_without_secrets_is_refused(bind: str) -> None:
    with pytest.raises(FrontdeskError, match="refusing to serve the web UI"):
        resolve_auth(WebConfig(bind=bind), env={})


def test_secrets_come_from_the_named_variables() -> None:
    web = WebConfig(bind="0.0.0.0:8080", password_env="PW", token_env="TOKEN")
    auth = resolve_auth(web, env={"PW": "a-long-password", "TOKEN": "t0ken-for-scripts"})
    assert auth.password is not None and auth.password.matches("a-long-password")
    assert not auth.password.matches("a-long-passwore") and auth.token == "t0ken-for-scripts"
    assert not auth.open and (auth.host, auth.port) == ("0.0.0.0", 8080)
    token_only = resolve_auth(WebConfig(bind="0.0.0.0:8080", token_env="TOKEN"),
                              env={"TOKEN": "t0ken-for-scripts"})
    assert token_only.password is None and not token_only.open


def test_an_empty_variable_is_an_error_not_an_open_ui() -> None:
    with pytest.raises(FrontdeskError, match="PW, but it is not set or empty"):
        resolve_auth(WebConfig(password_env="PW"), env={"PW": ""})


def test_loopback_without_secrets_is_open() -> None:
    assert resolve_auth(WebConfig(), env={}).open


def test_web_config_rejects_bad_variable_names() -> None:
    with pytest.raises(ValueError):
        WebConfig(password_env="not a name")


def test_secret_comparison() -> None:
    assert secret_matches("s3cret-pass", "s3cret-pass")
    assert not secret_matches("s3cret-pas", "s3cret-pass")
    assert not secret_matches("", "s3cret-pass")


def test_sessions_expire_and_resist_tampering() -> None:
    clock = Clock()
    signer = SessionSigner(max_age_s=60, clock=clock)
    value = signer.issue()
    assert signer.valid(value)
    expiry, nonce, sig = value.split(".")
    assert not signer.valid(f"{int(expiry) + 3600}.{nonce}.{sig}")  # longer life: bad signature
    assert not signer.valid(value.replace(nonce, nonce[::-1]))
    assert not SessionSigner(60, clock=clock).valid(value)  # another process's key
    assert not signer.valid("") and not signer.valid(None) and not signer.valid("x" * 500)
    clock.t += 61
    assert not signer.valid(value)


def test_revoked_sessions_stay_revoked() -> None:
    signer = SessionSigner(max_age_s=60, clock=Clock())
    a, b = signer.issue(), signer.issue()
    signer.revoke(a)
    assert not signer.valid(a) and signer.valid(b)


def test_limiter_per_client_window() -> None:
    clock = Clock()
    limiter = LoginLimiter(per_client=3, window_s=60, clock=clock)
    for _ in range(3):
        assert limiter.attempt("10.0.0.1") == 0
        clock.t += 1
    assert limiter.retry_after_s("10.0.0.1") == pytest.approx(57.0)
    assert limiter.attempt("10.0.0.1") == pytest.approx(57.0)  # refused, not counted
    assert limiter.retry_after_s("10.0.0.2") == 0  # others are not locked out
    clock.t += 58
    assert limiter.retry_after_s("10.0.0.1") == 0  # the first failure left the window


def test_limiter_has_no_global_lock_out_and_success_clears() -> None:
    clock = Clock()
    limiter = LoginLimiter(per_client=2, window_s=60, clock=clock)
    for i in range(200):  # a spray from many addresses locks out only those addresses
        limiter.attempt(f"10.0.{i // 250}.{i % 250}")
        limiter.attempt(f"10.0.{i // 250}.{i % 250}")
    assert limiter.retry_after_s("10.0.0.7") > 0
    assert limiter.retry_after_s("192.168.1.20") == 0
    limiter.attempt("a")
    limiter.succeeded("a")
    limiter.attempt("a")
    assert limiter.retry_after_s("a") == 0


def test_limiter_counts_an_ipv6_client_by_its_64() -> None:
    limiter = LoginLimiter(per_client=2, window_s=60, clock=Clock())
    limiter.attempt("2001:db8:1:2::10")
    limiter.attempt("2001:db8:1:2:ffff::99")  # same /64, another address
    assert limiter.retry_after_s("2001:db8:1:2::1") > 0
    assert limiter.retry_after_s("2001:db8:1:3::1") == 0
    assert LoginLimiter.key("::ffff:10.0.0.1") == "10.0.0.1"


def test_password_hash_round_trip_and_malformed_values() -> None:
    stored = hash_password("correct-horse-battery", log_n=10)
    assert stored.startswith("scrypt:10:8:1:") and "$" not in stored
    assert "correct-horse-battery" not in stored
    check = PasswordHash(stored)
    assert not check.was_plain
    assert check.matches("correct-horse-battery")
    assert check.matches("correct-horse-battery")  # remembered: fast the second time
    assert not check.matches("correct-horse-batterz") and not check.matches("")
    assert hash_password("same", log_n=10) != hash_password("same", log_n=10)  # salted
    for bad in ("scrypt:14:8:1:abc", "scrypt:99:8:1:c2FsdHNhbHQ:aGFzaGhhc2hoYXNoaGFzaA",
                "scrypt:x:8:1:c2FsdHNhbHQ:aGFzaGhhc2hoYXNoaGFzaA"):
        with pytest.raises(FrontdeskError, match=r"\$PW holds a malformed password hash"):
            PasswordHash(bad, "$PW")


def test_a_hashed_password_variable_is_accepted_without_a_warning(
        caplog: pytest.LogCaptureFixture) -> None:
    web = WebConfig(bind="0.0.0.0:8080", password_env="PW")
    auth = resolve_auth(web, env={"PW": hash_password("a-long-password", log_n=10)})
    assert auth.password is not None and auth.password.matches("a-long-password")
    assert "plain text" not in caplog.text
    resolve_auth(web, env={"PW": "a-long-password"})
    assert "$PW holds the web password in plain text" in caplog.text

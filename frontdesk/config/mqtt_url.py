"""Broker URLs: ``mqtt://HOST:PORT`` (plain) and ``mqtts://HOST:PORT`` (TLS).

Credentials never go in the URL: the user name is ``mqtt.username`` and the
password is read from the environment variable named by ``mqtt.password_env``,
so neither ends up in a shell history, a process list or a log line.

Pure parsing, used both to validate ``mqtt.url`` and by the MQTT client
(:mod:`frontdesk.mqtt.url` re-exports it).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["DEFAULT_PORTS", "BrokerUrl", "parse_mqtt_url", "redact_url"]

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


@dataclass(frozen=True)
class BrokerUrl:
    """Where the broker is: host, port and whether to use TLS."""

    host: str
    port: int
    tls: bool

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'mqtts' if self.tls else 'mqtt'}://{host}:{self.port}"


def redact_url(url: str) -> str:
    """``url`` with any user information replaced by ``***``, safe to print."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    netloc, slash, path = rest.partition("/")
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    return f"{scheme}://{netloc}{slash}{path}"


def parse_mqtt_url(url: str) -> BrokerUrl:
    """Parse ``mqtt://HOST[:PORT]`` or ``mqtts://HOST[:PORT]``.

    The port defaults to 1883 (mqtt) or 8883 (mqtts). IPv6 hosts go in
    brackets: ``mqtt://[::1]:1883``.

    Raises:
        ValueError: with a message naming the problem (the URL is redacted, so
            a password typed into it is never echoed).
    """
    shown = redact_url(url)
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"{shown}: the broker URL must start with mqtt:// or mqtts://")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"{shown}: put no user name or password in the URL; use mqtt.username and the "
            "environment variable named by mqtt.password_env"
        )
    if not parts.hostname:
        raise ValueError(f"{shown}: the broker URL has no host (mqtt://HOST:PORT)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{shown}: the port must be a number from 1 to 65535") from None
    if port is None:
        port = DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise ValueError(f"{shown}: the port must be a number from 1 to 65535")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{shown}: the broker URL takes no path or query (mqtt://HOST:PORT)")
    return BrokerUrl(host=parts.hostname, port=port, tls=scheme == "mqtts")

"""``mqtt:``: the broker, the topic prefix, TLS and the outbox."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from frontdesk.config.base import ConfigModel
from frontdesk.config.mqtt_url import parse_mqtt_url
from frontdesk.config.topic_names import topic_prefix_problem

__all__ = ["MqttConfig"]


class MqttConfig(ConfigModel):
    url: str | None = Field(
        None,
        description="mqtt://HOST:PORT or mqtts://HOST:PORT (TLS); empty keeps events in the "
        "outbox. No user name or password in the URL: see username and password_env.",
    )
    topic_prefix: str = Field(
        "frontdesk",
        min_length=1,
        max_length=200,
        description="Topics: PREFIX/SITE/COUNTER/...; may hold several levels (shop/frontdesk).",
    )
    client_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="Stable client id; default frontdesk-SITE. Unique per broker.",
    )
    username: str | None = Field(None, max_length=256, description="Broker user name.")
    password_env: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the environment variable holding the password (never the password).",
    )
    ca_file: str | None = Field(
        None, description="CA certificate (PEM) for TLS; empty uses the system's CAs."
    )
    cert_file: str | None = Field(None, description="Client certificate (PEM) for TLS.")
    key_file: str | None = Field(None, description="Client private key (PEM, no passphrase).")
    protocol: Literal["3.1.1", "5"] = Field(
        "5",
        description="MQTT version. 5 lets the broker refuse a message visibly (PUBACK "
        "reason); 3.1.1 for old brokers.",
    )
    keepalive_s: int = Field(30, ge=5, le=3600, description="MQTT keepalive.")
    reconnect_min_s: int = Field(
        1, ge=1, le=60, description="First wait before reconnecting; doubles on each failure."
    )
    reconnect_max_s: int = Field(60, ge=1, le=3600, description="Longest wait between reconnects.")
    max_inflight: int = Field(
        32,
        ge=1,
        le=1000,
        description="Events sent and not yet acknowledged by the broker. More is faster on slow "
        "links; order is kept either way.",
    )
    state_interval_s: float = Field(
        10.0,
        ge=1,
        le=3600,
        description="Heartbeat: republish each counter's retained state at least this often.",
    )
    outbox_path: str = Field(
        "data/outbox.db", description="SQLite outbox of events not yet acknowledged."
    )
    outbox_max_events: int = Field(
        100_000,
        ge=100,
        le=10_000_000,
        description="Outbox bound; when full the oldest are dropped.",
    )
    outbox_fsync: bool = Field(
        False,
        description="fsync every outbox write: survives a power cut, but slower and wears "
        "SD cards. Off: survives a crash of frontdesk.",
    )
    home_assistant: bool = Field(True, description="Announce Home Assistant MQTT discovery.")
    discovery_prefix: str = Field(
        "homeassistant",
        min_length=1,
        max_length=200,
        description="Home Assistant discovery prefix.",
    )
    ha_configuration_url: str | None = Field(
        None,
        max_length=500,
        pattern=r"^https?://",
        description="The web UI's address as Home Assistant's users reach it (the device "
        "page's 'Visit' link), e.g. http://frontdesk.local:8080/dashboard. Default: made "
        "from web.bind when the web UI is on and not bound to loopback.",
    )

    @field_validator("url")
    @classmethod
    def _url_form(cls, v: str | None) -> str | None:
        if not v:
            return None
        parse_mqtt_url(v)  # raises ValueError with a readable, redacted message
        return v

    @field_validator("topic_prefix", "discovery_prefix")
    @classmethod
    def _topic_prefix_form(cls, v: str) -> str:
        problem = topic_prefix_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _tls_consistent(self) -> MqttConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together: set both or neither")
        tls_files = [k for k in ("ca_file", "cert_file", "key_file") if getattr(self, k)]
        if self.url and self.url.startswith("mqtt://") and tls_files:
            raise ValueError(
                f"{', '.join(tls_files)} set but the URL is mqtt:// (no TLS): use mqtts://"
            )
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError(
                f"reconnect_max_s ({self.reconnect_max_s}) must not be less than "
                f"reconnect_min_s ({self.reconnect_min_s})"
            )
        return self

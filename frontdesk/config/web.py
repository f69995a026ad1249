"""``web:``: the installer and dashboard web UI, and who may use it."""

from __future__ import annotations

from pydantic import Field, field_validator

from frontdesk.config.base import ConfigModel

__all__ = ["WebConfig"]


class WebConfig(ConfigModel):
    """The installer and dashboard web UI (docs/web.md).

    On a loopback address without a password or token the UI is open to anyone
    on this machine. Any other address needs ``password_env`` or ``token_env``:
    frontdesk refuses to start otherwise.
    """

    enabled: bool = Field(False, description="Serve the installer and dashboard web UI.")
    bind: str = Field(
        "127.0.0.1:8080",
        description="HOST:PORT to listen on. Loopback by default; any other address needs a "
        "password or a token.",
    )
    password_env: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the environment variable holding the UI password's scrypt hash "
        "(`frontdesk hash-password`) or the password itself (never the password here); "
        "required off loopback unless token_env is set.",
    )
    token_env: str | None = Field(
        None,
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="Name of the environment variable holding a bearer token for API clients "
        "(Authorization: Bearer TOKEN).",
    )
    session_hours: float = Field(
        12.0,
        gt=0,
        le=720,
        description="A login lasts this long (and ends when frontdesk restarts).",
    )
    cookie_secure: bool = Field(
        False,
        description="Mark the session cookie Secure: set it when a TLS reverse proxy serves the "
        "UI over https.",
    )
    reports_dir: str | None = Field(
        None,
        description="Folder of daily reports linked from the dashboard; empty: "
        "<data dir>/reports ($FRONTDESK_DATA_DIR or ./data).",
    )

    @field_validator("bind")
    @classmethod
    def _bind_form(cls, v: str) -> str:
        host, sep, port = v.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"bind must be HOST:PORT, got {v!r}")
        if not 0 <= int(port) < 65536:
            raise ValueError(f"the port in {v!r} must be 0 to 65535 (0: any free port), "
                             f"got {int(port)}")
        return v

"""``buzzer:``: the staff-side client that turns alerts into sound or light."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from frontdesk.config.base import ConfigModel

__all__ = [
    "BuzzerAction",
    "BuzzerCommandAction",
    "BuzzerConfig",
    "BuzzerGpioAction",
    "BuzzerTasmotaAction",
    "BuzzerWledAction",
]


class BuzzerCommandAction(ConfigModel):
    type: Literal["command"]
    on_command: list[str] = Field(
        ...,
        min_length=1,
        description="Program and arguments run (no shell) when an alert turns on, e.g. "
        "[aplay, /usr/share/sounds/alert.wav].",
    )
    off_command: list[str] | None = Field(
        None, min_length=1, description="Run when the alert turns off (after stopping on_command)."
    )
    repeat_s: float | None = Field(
        None, ge=1, le=3600, description="Run on_command again this often while the alert stays on."
    )
    timeout_s: float = Field(
        30.0, gt=0, le=600, description="Kill a command still running after this."
    )


class BuzzerGpioAction(ConfigModel):
    type: Literal["gpio"]
    pin: int = Field(
        ..., ge=0, le=53, description="BCM GPIO number driving a buzzer, LED or relay."
    )
    active_high: bool = Field(True, description="False when the device is on at a low level.")


class BuzzerTasmotaAction(ConfigModel):
    type: Literal["tasmota"]
    device: str = Field(
        ...,
        min_length=1,
        max_length=100,
        pattern=r"^[^/+#]+$",
        description="The Tasmota device's topic: frontdesk sends cmnd/DEVICE/POWER ON|OFF.",
    )
    relay: int | None = Field(
        None, ge=1, le=32, description="Relay number (POWER2, ...); empty: POWER."
    )


class BuzzerWledAction(ConfigModel):
    type: Literal["wled"]
    device_topic: str = Field(
        ...,
        min_length=1,
        max_length=200,
        pattern=r"^[^+#]+$",
        description="WLED's MQTT device topic (Sync settings), e.g. wled/counter-light.",
    )
    color: tuple[int, int, int] | None = Field(
        None,
        description="RGB 0-255 while alerting (sent through DEVICE_TOPIC/api); empty: plain "
        "ON/OFF.",
    )
    brightness: int = Field(
        255, ge=1, le=255, description="Brightness while alerting (with color)."
    )

    @field_validator("color")
    @classmethod
    def _rgb(cls, v: tuple[int, int, int] | None) -> tuple[int, int, int] | None:
        if v is not None and any(not 0 <= c <= 255 for c in v):
            raise ValueError("color components run from 0 to 255")
        return v


BuzzerAction = Annotated[
    BuzzerCommandAction | BuzzerGpioAction | BuzzerTasmotaAction | BuzzerWledAction,
    Field(discriminator="type"),
]


class BuzzerConfig(ConfigModel):
    """`frontdesk buzzer`: the staff-side client that turns alerts into sound or light."""

    counters: list[str] = Field(
        default_factory=list,
        description="Counter ids to watch; empty watches every counter of the site.",
    )
    client_id: str | None = Field(
        None,
        min_length=1,
        max_length=128,
        description="Stable client id; default frontdesk-buzzer-HOSTNAME.",
    )
    actions: list[BuzzerAction] = Field(
        default_factory=list,
        description="What to do while any watched counter alerts: command, gpio, tasmota, wled.",
    )
    button_pin: int | None = Field(
        None, ge=0, le=53, description="BCM GPIO number of an acknowledge button (needs gpiozero)."
    )
    button_pull_up: bool = Field(
        True, description="The button connects the pin to ground (True) or to 3.3 V (False)."
    )
    off_when_offline: bool = Field(
        True, description="Treat frontdesk going offline as alerts off (a stale ON is not kept)."
    )

    @field_validator("counters")
    @classmethod
    def _counter_ids(cls, v: list[str]) -> list[str]:
        for c in v:
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", c):
                raise ValueError(f"counter id {c!r}: letters, digits, - _ . only")
        return v

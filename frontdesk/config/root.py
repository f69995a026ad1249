"""The whole file: :class:`Config`, its sections, the ``cameras:`` entries of a
multi-camera box, and the checks that span several sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, field_validator, model_validator

from frontdesk.config.base import ConfigError, ConfigModel, LocatedError
from frontdesk.config.buzzer import BuzzerConfig
from frontdesk.config.camera import CameraConfig
from frontdesk.config.detectors import DetectorsConfig
from frontdesk.config.engine import EngineConfig
from frontdesk.config.mqtt import MqttConfig
from frontdesk.config.perception import PerceptionConfig
from frontdesk.config.store import StoreConfig
from frontdesk.config.tracking import TrackingConfig
from frontdesk.config.web import WebConfig
from frontdesk.config.zones import CounterConfig
from frontdesk.validation import reject_duplicates

__all__ = ["CameraEntryConfig", "Config"]


class CameraEntryConfig(ConfigModel):
    """One camera of a multi-camera box (``cameras:``), run in its own worker process."""

    id: str = Field(
        ...,
        min_length=1,
        max_length=32,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="Camera id (lower-case slug): names its worker, MQTT client id, outbox file "
        "and availability topic.",
    )
    camera: CameraConfig = Field(default_factory=CameraConfig)
    counters: list[CounterConfig] = Field(
        ..., min_length=1, description="Counters this camera sees (ids unique across cameras)."
    )
    perception: PerceptionConfig | None = Field(
        None, description="Overrides the top-level perception section for this camera."
    )
    tracking: TrackingConfig | None = Field(
        None, description="Overrides the top-level tracking section for this camera."
    )
    engine: EngineConfig | None = Field(
        None, description="Overrides the top-level engine section for this camera."
    )

    @field_validator("counters")
    @classmethod
    def _unique_counter_ids(cls, v: list[CounterConfig]) -> list[CounterConfig]:
        reject_duplicates((c.id for c in v), "counter id")
        return v


class Config(ConfigModel):
    site_id: str = Field(
        "site-1",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Site (shop) id used in topics and reports.",
    )
    timezone: str | None = Field(
        None, description="IANA time zone for reports; default the system's."
    )
    camera: CameraConfig = Field(default_factory=CameraConfig)
    perception: PerceptionConfig = Field(default_factory=PerceptionConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    counters: list[CounterConfig] = Field(
        default_factory=list,
        description="Counters this camera sees (required unless cameras is set).",
    )
    cameras: list[CameraEntryConfig] | None = Field(
        None,
        min_length=1,
        description="Several cameras, one worker process each (docs/deployment.md); replaces "
        "the top-level camera and counters. Empty: one camera.",
    )
    engine: EngineConfig = Field(default_factory=EngineConfig)
    mqtt: MqttConfig = Field(default_factory=MqttConfig)
    buzzer: BuzzerConfig = Field(default_factory=BuzzerConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    detectors: DetectorsConfig = Field(default_factory=DetectorsConfig)

    _camera_id: str | None = PrivateAttr(None)

    @field_validator("counters")
    @classmethod
    def _unique_counter_ids(cls, v: list[CounterConfig]) -> list[CounterConfig]:
        reject_duplicates((c.id for c in v), "counter id")
        return v

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r} (use an IANA name such as Europe/London)"
            ) from None
        return v

    @model_validator(mode="after")
    def _cameras_or_one_camera(self) -> Config:
        if self.cameras is None:
            if not self.counters:
                if "counters" in self.model_fields_set:
                    raise LocatedError(("counters",), "at least one counter is needed")
                raise LocatedError(("counters",), "required key is missing")
            return self
        for key in ("camera", "counters"):
            if key in self.model_fields_set:
                raise LocatedError(
                    (key,),
                    f"a top-level {key} section cannot be used together with cameras: move it "
                    f"into an entry of cameras (each entry has its own camera and counters)",
                )
        camera_at: dict[str, int] = {}
        counter_at: dict[str, tuple[int, int]] = {}
        for i, entry in enumerate(self.cameras):
            if entry.id in camera_at:
                raise LocatedError(
                    ("cameras", i, "id"),
                    f"camera id {entry.id!r} is used twice (also cameras[{camera_at[entry.id]}])",
                )
            camera_at[entry.id] = i
            for j, counter in enumerate(entry.counters):
                if counter.id in counter_at:
                    ci, cj = counter_at[counter.id]
                    if entry.camera.pose is not None and self.cameras[ci].camera.pose is not None:
                        continue  # one counter seen by several cameras, in one floor frame
                    raise LocatedError(
                        ("cameras", i, "counters", j, "id"),
                        f"counter id {counter.id!r} is also used by camera "
                        f"{self.cameras[ci].id!r} (cameras[{ci}].counters[{cj}]): counter ids "
                        "must be unique across cameras, unless the cameras see one counter: "
                        "then each needs camera.pose (frontdesk calibrate board|pose)",
                    )
                counter_at[counter.id] = (i, j)
        return self

    # ------------------------------------------------------------------ several cameras

    @property
    def camera_id(self) -> str | None:
        """The camera this config was cut for by :meth:`for_camera`; None for a one-camera
        config (and for the whole multi-camera config)."""
        return self._camera_id

    @property
    def camera_ids(self) -> list[str]:
        """The ids of ``cameras``, in file order; empty for a one-camera config."""
        return [c.id for c in self.cameras or []]

    @property
    def shared_counters(self) -> dict[str, list[str]]:
        """Counters seen by several cameras (each with ``camera.pose``): counter id to
        camera ids, in file order."""
        seen: dict[str, list[str]] = {}
        for entry in self.cameras or []:
            for counter in entry.counters:
                seen.setdefault(counter.id, []).append(entry.id)
        return {cid: ids for cid, ids in seen.items() if len(ids) > 1}

    def for_camera(self, camera_id: str) -> Config:
        """The one-camera config a worker runs for ``camera_id``.

        The entry's camera, counters and overrides replace the top-level sections;
        the MQTT client id becomes ``<client id>-<camera id>`` (default client id
        ``frontdesk-SITE``) and the outbox ``<outbox stem>-<camera id><suffix>``, so
        no two workers share either; the store is shared (SQLite WAL, each write one
        short transaction). The web UI of camera number i (from 0) listens on
        ``web.bind``'s port + i.

        Raises:
            ConfigError: no camera with that id (or no cameras at all).
        """
        if not self.cameras:
            raise ConfigError([f"--camera {camera_id}: the config has no cameras section"])
        ids = self.camera_ids
        if camera_id not in ids:
            raise ConfigError([f"--camera {camera_id}: no such camera (cameras: "
                               f"{', '.join(ids)})"])
        index = ids.index(camera_id)
        entry = self.cameras[index]
        base_client = self.mqtt.client_id or f"frontdesk-{self.site_id}"
        outbox = Path(self.mqtt.outbox_path)
        mqtt = self.mqtt.model_copy(update={
            "client_id": f"{base_client}-{camera_id}"[:128],
            "outbox_path": str(outbox.with_name(f"{outbox.stem}-{camera_id}{outbox.suffix}")),
        })
        update: dict[str, Any] = {
            "camera": entry.camera, "counters": entry.counters, "cameras": None, "mqtt": mqtt,
        }
        for key in ("perception", "tracking", "engine"):
            override = getattr(entry, key)
            if override is not None:
                update[key] = override
        if index > 0:  # every camera serves the web UI, camera i on web.bind's port + i
            host, _, port = self.web.bind.rpartition(":")
            if int(port) != 0:  # port 0 (tests): each worker picks a free port
                if int(port) + index > 65535:
                    raise ConfigError([f"web.bind: port {port} + {index} for camera "
                                       f"{camera_id!r} is beyond 65535"])
                update["web"] = self.web.model_copy(update={"bind": f"{host}:{int(port) + index}"})
        cut = self.model_copy(update=update)
        cut._camera_id = camera_id
        return cut

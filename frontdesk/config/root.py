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
from frontdesk.config.fusion import FusionConfig
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
        ..., min_length=1, description="Counters this camera sees. A counter id listed by "
        "several cameras (each with camera.pose) makes them one counter: one engine fed by "
        "every camera (docs/deployment.md, \"Several cameras of one counter\")."
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
    box: str | None = Field(
        None,
        min_length=1,
        max_length=32,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="The box (computer) this camera is wired to, when the cameras of one "
        "config sit on several boxes: each box runs `frontdesk run --box NAME` (or "
        "FRONTDESK_BOX=NAME) and starts only its own cameras; a counter whose cameras are "
        "on two boxes runs its engine on its primary camera's box, fed through the broker "
        "(docs/deployment.md, \"Cameras on two boxes\"). Null on every camera: all local.",
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
    fusion: FusionConfig = Field(default_factory=FusionConfig)
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
        counter_at: dict[str, list[tuple[int, int]]] = {}
        for i, entry in enumerate(self.cameras):
            if entry.id in camera_at:
                raise LocatedError(
                    ("cameras", i, "id"),
                    f"camera id {entry.id!r} is used twice (also cameras[{camera_at[entry.id]}])",
                )
            camera_at[entry.id] = i
            if (entry.box is None) != (self.cameras[0].box is None):
                named = next(k for k, c in enumerate(self.cameras) if c.box is not None)
                raise LocatedError(
                    ("cameras", i if entry.box is None else 0, "box"),
                    f"camera {self.cameras[named].id!r} (cameras[{named}]) names its box "
                    f"{self.cameras[named].box!r}: then every camera names its box (or none "
                    f"does, and all are on this box)")
            for j, counter in enumerate(entry.counters):
                counter_at.setdefault(counter.id, []).append((i, j))
        for counter_id, places in counter_at.items():
            if len(places) > 1:
                self._check_fused_counter(counter_id, places)
        return self

    def _check_fused_counter(self, counter_id: str, places: list[tuple[int, int]]) -> None:
        """Cameras naming one counter id are one counter (one engine): each needs its
        pose, and they must agree on the counters they list, on the counter's name and
        enabled flag, and on the kinds of customer and staff zones drawn (service,
        staff, approach; each camera draws them in its own view). Focus and ignore
        zones are per view: the engine uses the primary camera's."""
        assert self.cameras is not None
        (pi, pj), others = places[0], places[1:]
        primary = self.cameras[pi]
        first = primary.counters[pj]
        missing = [self.cameras[i].id for i, _ in places if self.cameras[i].camera.pose is None]
        if missing:
            # Most likely a counter id typed twice: say so first, then how to fuse.
            i, j = others[0]
            raise LocatedError(
                ("cameras", i, "counters", j, "id"),
                f"counter id {counter_id!r} is also used by camera {primary.id!r} "
                f"(cameras[{pi}].counters[{pj}]): counter ids must be unique across cameras, "
                f"unless the cameras see one counter: then each needs camera.pose (camera "
                f"{', '.join(repr(m) for m in missing)} {'has' if len(missing) == 1 else 'have'}"
                f" none; frontdesk calibrate board|pose; docs/deployment.md, \"Several cameras "
                f"of one counter\")")
        for i, j in others:
            entry = self.cameras[i]
            theirs, ours = [c.id for c in entry.counters], [c.id for c in primary.counters]
            if sorted(theirs) != sorted(ours):
                raise LocatedError(
                    ("cameras", i, "counters"),
                    f"camera {entry.id!r} shares counter {counter_id!r} with camera "
                    f"{primary.id!r} but lists counters {', '.join(theirs)} where "
                    f"{primary.id!r} lists {', '.join(ours)}: cameras fused into one engine "
                    f"must list the same counters")
            counter = entry.counters[j]
            for key in ("name", "enabled"):
                if getattr(counter, key) != getattr(first, key):
                    raise LocatedError(
                        ("cameras", i, "counters", j, key),
                        f"counter {counter_id!r} has {key} {getattr(counter, key)!r} here "
                        f"but {getattr(first, key)!r} under camera {primary.id!r} "
                        f"(cameras[{pi}].counters[{pj}]): one counter, one {key}")
            mine, primary_kinds = _zone_kinds(counter), _zone_kinds(first)
            for kind in sorted(mine ^ primary_kinds):
                raise LocatedError(
                    ("cameras", i, "counters", j, "zones", kind),
                    f"counter {counter_id!r}: camera {entry.id!r} "
                    f"{'draws' if kind in mine else 'does not draw'} {kind} zones and camera "
                    f"{primary.id!r} {'does' if kind in primary_kinds else 'does not'}: "
                    f"each camera of one counter draws the same kinds of zones, in its own "
                    f"view")

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

    def fused_counters(self) -> dict[str, list[str]]:
        """Counters several cameras share, by the first such counter's id: the camera
        ids of each, in file order (the first is the primary: the engine reasons in its
        view, with its zones). Empty when no camera shares a counter."""
        groups: dict[str, list[str]] = {}
        seen: dict[str, str] = {}
        for entry in self.cameras or []:
            for counter in entry.counters:
                owner = seen.get(counter.id)
                if owner is None:
                    seen[counter.id] = entry.id
                    continue
                key = next(c.id for c in self._entry(owner).counters)
                members = groups.setdefault(key, [owner])
                if entry.id not in members:
                    members.append(entry.id)
        return groups

    def fused_group_of(self, camera_id: str) -> str | None:
        """The key of the fused counter camera ``camera_id`` feeds (see
        :meth:`fused_counters`), None when its counters are its own."""
        return next((key for key, ids in self.fused_counters().items() if camera_id in ids),
                    None)

    @property
    def boxes(self) -> list[str]:
        """The boxes the cameras are on (``cameras[].box``), in file order; empty when
        every camera is on this box."""
        return list(dict.fromkeys(c.box for c in self.cameras or [] if c.box is not None))

    def box_of(self, camera_id: str) -> str | None:
        """The box of camera ``camera_id`` (None: this box, no boxes named)."""
        return self._entry(camera_id).box

    def cameras_on_box(self, box: str | None) -> list[str]:
        """The cameras a box runs: those naming ``box``; every camera with None."""
        return [c.id for c in self.cameras or [] if box is None or c.box == box]

    def remote_cameras(self, counter_key: str) -> list[str]:
        """The cameras of fused counter ``counter_key`` (a key of :meth:`fused_counters`)
        on another box than its primary's: they send their observations through the
        broker."""
        ids = self.fused_counters()[counter_key]
        home = self.box_of(ids[0])
        return [cid for cid in ids[1:] if self.box_of(cid) != home]

    def _entry(self, camera_id: str) -> CameraEntryConfig:
        return next(c for c in self.cameras or [] if c.id == camera_id)

    def for_counter(self, counter_id: str) -> dict[str, Config]:
        """The configs of the cameras of a fused counter (any of its counter ids), the
        primary first, each cut by :meth:`for_camera`. The counter's engine process
        publishes as its primary camera (that camera's MQTT client id, outbox,
        availability topic and web UI address).

        Raises:
            ConfigError: no camera shares that counter.
        """
        for ids in self.fused_counters().values():
            counters = {c.id for c in self._entry(ids[0]).counters}
            if counter_id in counters:
                return {cid: self.for_camera(cid) for cid in ids}
        shared = ", ".join(self.fused_counters()) or "none"
        raise ConfigError([f"--counter {counter_id}: no counter of that id is shared by "
                           f"several cameras (shared counters: {shared})"])

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


def _zone_kinds(counter: CounterConfig) -> set[str]:
    z = counter.zones
    kinds = {"service", "staff"}
    if z.approach is not None:
        kinds.add("approach")
    return kinds  # focus and ignore zones are per view: the engine takes the primary's


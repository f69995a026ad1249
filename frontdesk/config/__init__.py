"""Configuration: one YAML file, validated at start-up.

Every model forbids unknown keys, every field has a description and bounds, and
errors come back as :class:`ConfigError` with the key path and the YAML line, e.g.::

    config/frontdesk.yaml:42: counters[0].zones.service: a polygon needs at least 3 points, got 2

Zones are polygons in normalised image coordinates (0 to 1), so a change of
camera resolution breaks nothing.

One module per section (``camera``, ``perception``, ``tracking``, ``zones``,
``engine``, ``mqtt``, ``buzzer``, ``store``, ``web``, ``detectors``) on the shared
base in ``base``; ``root`` holds :class:`Config` and the checks spanning
sections, ``loading`` reads files. This package imports nothing of frontdesk
above it, so every other part can import it.
"""

from __future__ import annotations

from frontdesk.config.base import ConfigError, polygon_problem
from frontdesk.config.buzzer import (
    BuzzerAction,
    BuzzerCommandAction,
    BuzzerConfig,
    BuzzerGpioAction,
    BuzzerTasmotaAction,
    BuzzerWledAction,
)
from frontdesk.config.camera import CameraConfig, CameraPoseConfig, ReconnectConfig, Source
from frontdesk.config.detectors import DetectorsConfig, PersonDetectorConfig
from frontdesk.config.engine import EngineConfig
from frontdesk.config.fusion import FusionConfig
from frontdesk.config.gating import GatingConfig
from frontdesk.config.loading import (
    default_config_dict,
    key_lines,
    load_camera_config,
    load_config,
    parse_config,
)
from frontdesk.config.mqtt import MqttConfig
from frontdesk.config.overrides import apply_mqtt_override, apply_web_override
from frontdesk.config.perception import PerceptionConfig
from frontdesk.config.presence import PresenceConfig
from frontdesk.config.root import CameraEntryConfig, Config
from frontdesk.config.store import StoreConfig
from frontdesk.config.tracking import TrackingConfig
from frontdesk.config.web import WebConfig
from frontdesk.config.zones import CounterConfig, ZonesConfig

__all__ = [
    "BuzzerAction",
    "BuzzerCommandAction",
    "BuzzerConfig",
    "BuzzerGpioAction",
    "BuzzerTasmotaAction",
    "BuzzerWledAction",
    "CameraConfig",
    "CameraPoseConfig",
    "CameraEntryConfig",
    "Config",
    "FusionConfig",
    "ConfigError",
    "CounterConfig",
    "DetectorsConfig",
    "EngineConfig",
    "GatingConfig",
    "MqttConfig",
    "PerceptionConfig",
    "PersonDetectorConfig",
    "PresenceConfig",
    "ReconnectConfig",
    "Source",
    "StoreConfig",
    "TrackingConfig",
    "WebConfig",
    "ZonesConfig",
    "apply_mqtt_override",
    "apply_web_override",
    "default_config_dict",
    "key_lines",
    "load_camera_config",
    "load_config",
    "parse_config",
    "polygon_problem",
]

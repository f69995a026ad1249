"""Configuration: one YAML file, validated at start-up.

Every model forbids unknown keys, every field has a description and bounds, and
errors come back as :class:`ConfigError` with the key path and the YAML line, e.g.::

    config/frontdesk.yaml:42: counters[0].zones.service: a polygon needs at least 3 points, got 2

Zones are polygons in normalised image coordinates (0 to 1), so a change of
camera resolution breaks nothing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from frontdesk.validation import reject_duplicates

__all__ = [
    "ConfigError",
    "Config",
    "load_camera_config",
    "CameraConfig",
    "CameraEntryConfig",
    "PerceptionConfig",
    "TrackingConfig",
    "ZonesConfig",
    "CounterConfig",
    "EngineConfig",
    "MqttConfig",
    "BuzzerConfig",
    "StoreConfig",
    "WebConfig",
    "apply_web_override",
    "load_config",
    "parse_config",
    "polygon_problem",
]

Point = tuple[float, float]
Polygon = list[Point]


class ConfigError(Exception):
    """A configuration problem a person can fix: the message names key and line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class _LocatedError(ValueError):
    """A cross-field problem found by a model validator, with the key path it concerns.

    Pydantic reports a model validator's error at the model itself; ``parse_config``
    appends ``loc`` so the message names the offending key and its line.
    """

    def __init__(self, loc: tuple[str | int, ...], message: str):
        self.loc = loc
        super().__init__(message)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


# --------------------------------------------------------------------------- geometry helpers


def _segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    """True when segment ab properly crosses segment cd (touching ends excluded)."""

    def orient(p: Point, q: Point, r: Point) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    o1, o2 = orient(a, b, c), orient(a, b, d)
    o3, o4 = orient(c, d, a), orient(c, d, b)
    return o1 * o2 < 0 and o3 * o4 < 0


def polygon_problem(points: list[Point]) -> str | None:
    """Why ``points`` is not a usable zone polygon, or None when it is.

    Checks: at least 3 points, every coordinate inside the frame (0 to 1), not
    self-intersecting, and a non-zero area.
    """
    if len(points) < 3:
        return f"a polygon needs at least 3 points, got {len(points)}"
    for i, (x, y) in enumerate(points):
        if not (math.isfinite(x) and math.isfinite(y)):
            return f"point {i} is not a finite number"
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            return f"point {i} ({x}, {y}) is outside the frame: coordinates run from 0 to 1"
    n = len(points)
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbours share a vertex
            if _segments_cross(*edges[i], *edges[j]):
                return f"the polygon crosses itself (edge {i} crosses edge {j})"
    area = 0.5 * abs(
        sum(
            points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
            for i in range(n)
        )
    )
    if area < 1e-6:
        return "the polygon has no area"
    return None


def _check_polygon(v: Polygon | None) -> Polygon | None:
    if v is None:
        return v
    problem = polygon_problem(v)
    if problem:
        raise ValueError(problem)
    return v


# --------------------------------------------------------------------------- sections


class ReconnectConfig(_Model):
    initial_s: float = Field(
        1.0, gt=0, le=60, description="First wait before reopening a live source."
    )
    max_s: float = Field(30.0, gt=0, le=3600, description="Longest wait between reopen attempts.")


class CameraConfig(_Model):
    source: str = Field(
        "demo://counter",
        description="Video file, folder of images, camera index or /dev/videoN, rtsp:// or "
        "http(s):// URL, or demo://counter for the bundled demo footage.",
    )
    horizontal_fov_deg: float = Field(
        90.0, gt=10, lt=180, description="Horizontal field of view; used when no matrix is given."
    )
    matrix: list[list[float]] | None = Field(
        None, description="Calibrated 3x3 camera matrix [[fx,0,cx],[0,fy,cy],[0,0,1]] in pixels."
    )
    distortion: list[float] | None = Field(
        None, description="OpenCV distortion coefficients (k1, k2, p1, p2[, k3...])."
    )
    calibrated_size: tuple[int, int] | None = Field(
        None, description="(width, height) the matrix was calibrated at; scaled to other sizes."
    )
    width: int | None = Field(None, ge=64, le=7680, description="Requested capture width (live).")
    height: int | None = Field(None, ge=48, le=4320, description="Requested capture height (live).")
    max_fps: float | None = Field(
        None, gt=0, le=240, description="Process at most this many frames a second (live sources)."
    )
    reconnect: ReconnectConfig = Field(default_factory=ReconnectConfig)

    @field_validator("matrix")
    @classmethod
    def _matrix_shape(cls, v: list[list[float]] | None) -> list[list[float]] | None:
        if v is None:
            return v
        if len(v) != 3 or any(len(row) != 3 for row in v):
            raise ValueError("the camera matrix must be 3 rows of 3 numbers")
        if v[0][0] <= 0 or v[1][1] <= 0:
            raise ValueError("focal lengths fx and fy must be positive")
        return v

    @field_validator("distortion")
    @classmethod
    def _distortion_len(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and len(v) not in (4, 5, 8, 12, 14):
            raise ValueError(f"distortion needs 4, 5, 8, 12 or 14 coefficients, got {len(v)}")
        return v


class PerceptionConfig(_Model):
    min_detection_confidence: float = Field(
        0.5, ge=0.05, le=0.99, description="Face detector threshold."
    )
    max_faces: int = Field(
        6, ge=1, le=32, description="Most faces meshed per frame (largest first)."
    )
    mesh_min_face_px: float = Field(
        24.0,
        ge=8,
        le=1000,
        description="Faces narrower than this get no mesh (pose from keypoints).",
    )
    detection_tiles: int = Field(
        2,
        ge=0,
        le=6,
        description=(
            "Square tiles along the frame's long side in which the face detector runs "
            "again, for faces too small or too turned for the whole-frame pass; 0 = off."
        ),
    )
    tiles_per_frame: int = Field(
        1,
        ge=1,
        le=6,
        description="How many of the tiles run on each frame (in turn when fewer than all).",
    )
    iris_diameter_mm: float = Field(11.7, ge=9, le=14, description="Adult iris diameter for depth.")
    interocular_mm: float = Field(
        63.0, ge=50, le=80, description="Adult distance between pupils, for depth from eye spacing."
    )


class TrackingConfig(_Model):
    grace_s: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Keep a track this long through missed detections or occlusion.",
    )
    max_distance_norm: float = Field(
        0.15,
        gt=0,
        le=1,
        description="Largest jump (fraction of frame width) matched to the same person.",
    )
    min_hits: int = Field(2, ge=1, le=30, description="Detections before a track is confirmed.")


class ZonesConfig(_Model):
    approach: Polygon | None = Field(None, description="Where customers walk toward the counter.")
    service: Polygon = Field(..., description="Where a customer stands at the counter.")
    staff: Polygon = Field(..., description="Behind the counter, where staff stand.")
    ignore: list[Polygon] = Field(
        default_factory=list, description="Masks: faces here are ignored (posters, screens)."
    )

    _v_approach = field_validator("approach")(classmethod(lambda cls, v: _check_polygon(v)))
    _v_service = field_validator("service")(classmethod(lambda cls, v: _check_polygon(v)))
    _v_staff = field_validator("staff")(classmethod(lambda cls, v: _check_polygon(v)))

    @field_validator("ignore")
    @classmethod
    def _v_ignore(cls, v: list[Polygon]) -> list[Polygon]:
        for i, poly in enumerate(v):
            problem = polygon_problem(poly)
            if problem:
                raise ValueError(f"ignore[{i}]: {problem}")
        return v


class CounterConfig(_Model):
    id: str = Field(
        ...,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Counter id used in topics, the store and reports.",
    )
    name: str | None = Field(None, max_length=120, description="Human name for dashboards.")
    zones: ZonesConfig
    enabled: bool = Field(True, description="A disabled counter raises no alerts.")


class EngineConfig(_Model):
    gaze_cone_deg: float = Field(
        12.0,
        gt=0,
        le=45,
        description="Half-angle of the cone around a staff gaze ray that counts as looking "
        "at a head.",
    )
    dwell_s: float = Field(0.5, ge=0, le=5, description="Eye contact must hold this long to count.")
    role_hysteresis_s: float = Field(
        1.0, ge=0, le=10, description="Time a new track must spend in a zone to take its role."
    )
    arrival_still_s: float = Field(
        3.0,
        ge=0,
        le=60,
        description="Standing this long in the approach zone also counts as arrival.",
    )
    alert_after_s: float = Field(10.0, gt=0, le=600, description="Raise an alert after this wait.")
    escalate_after_s: float = Field(30.0, gt=0, le=3600, description="Escalate after this wait.")
    unattended_after_s: float = Field(
        2.0,
        ge=0,
        le=600,
        description="A waiting customer with no staff visible this long: unattended.",
    )
    ack_target_s: float = Field(10.0, gt=0, le=600, description="Target latency used in reports.")
    contact_gap_s: float = Field(
        0.3,
        ge=0,
        le=2,
        description="Longest gap between in-cone frames (noisy gaze, dropped frames) that does not "
        "break a dwell; longer merges a look-away into one contact.",
    )
    gaze_smoothing_s: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Time constant of per-track gaze smoothing; 0 uses each frame's gaze as is. "
        "Longer suppresses noise but delays and blurs the start of a look.",
    )
    position_smoothing_s: float = Field(
        0.2,
        ge=0,
        le=2,
        description="Time constant of the per-track smoothing of each head's distance from the "
        "camera (from the eyes' spacing, the noisiest measurement; the direction is not "
        "smoothed); 0 uses each frame's. Longer steadies standing people, lags walking ones.",
    )
    visit_hold_s: float = Field(
        10.0,
        ge=0,
        le=120,
        description="Keep an arrived customer's visit open this long after their face was lost "
        "in the zones (turned away; a face appearing where they stood continues it) or while "
        "they are outside the zones. Longer bridges longer turns but delays customer_left.",
    )
    still_radius_norm: float = Field(
        0.02,
        gt=0,
        le=0.5,
        description="Standing still in the approach zone: the face centre stays within this "
        "fraction of the frame width.",
    )
    ack_without_face: bool = Field(
        False,
        description="With a person detector: a staff look held at the head of a customer seen "
        "only by their body (no face) acknowledges them. Off: such a customer is acknowledged "
        "by a look once their face is seen again, or by the button (docs/engine.md).",
    )

    @model_validator(mode="after")
    def _escalate_after_alert(self) -> EngineConfig:
        if self.escalate_after_s <= self.alert_after_s:
            raise ValueError(
                f"escalate_after_s ({self.escalate_after_s}) must be greater than "
                f"alert_after_s ({self.alert_after_s})"
            )
        return self


class MqttConfig(_Model):
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

    @field_validator("url")
    @classmethod
    def _url_form(cls, v: str | None) -> str | None:
        if not v:
            return None
        from frontdesk.mqtt.url import parse_mqtt_url

        parse_mqtt_url(v)  # raises ValueError with a readable, redacted message
        return v

    @field_validator("topic_prefix", "discovery_prefix")
    @classmethod
    def _topic_prefix_form(cls, v: str) -> str:
        from frontdesk.mqtt.topics import topic_prefix_problem

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


class BuzzerCommandAction(_Model):
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


class BuzzerGpioAction(_Model):
    type: Literal["gpio"]
    pin: int = Field(
        ..., ge=0, le=53, description="BCM GPIO number driving a buzzer, LED or relay."
    )
    active_high: bool = Field(True, description="False when the device is on at a low level.")


class BuzzerTasmotaAction(_Model):
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


class BuzzerWledAction(_Model):
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


class BuzzerConfig(_Model):
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
        import re

        for c in v:
            if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", c):
                raise ValueError(f"counter id {c!r}: letters, digits, - _ . only")
        return v


class StoreConfig(_Model):
    path: str = Field("data/frontdesk.db", description="SQLite file, or a postgresql:// URL.")
    retention_days: int = Field(
        90, ge=1, le=3650, description="Visits older than this are deleted."
    )


class WebConfig(_Model):
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
        description="Name of the environment variable holding the UI password (never the "
        "password); required off loopback unless token_env is set.",
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
        if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
            raise ValueError(f"bind must be HOST:PORT, got {v!r}")
        return v


def apply_web_override(config: Config, bind: str) -> Config:
    """A copy of ``config`` serving the web UI on ``bind`` (``frontdesk run --web HOST:PORT``).

    Raises:
        ConfigError: naming ``--web`` and the problem.
    """
    data = config.web.model_dump()
    data.update(enabled=True, bind=bind)
    try:
        web = WebConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([f"--web: {_describe(dict(err))}" for err in exc.errors()]) from None
    return config.model_copy(update={"web": web})


class PersonDetectorConfig(_Model):
    """An optional ONNX person detector: bodies for customers who do not face the camera."""

    model: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Name of a model in the models manifest (frontdesk models list); empty: "
        "faces only.",
    )
    provider: Literal["cpu", "cuda", "openvino"] = Field(
        "cpu",
        description="onnxruntime execution provider; cuda needs onnxruntime-gpu, "
        "openvino needs onnxruntime-openvino.",
    )
    threads: int = Field(
        1,
        ge=1,
        le=64,
        description="onnxruntime intra-op threads. More is faster per frame but takes cores "
        "from face perception; 1 on a 2-core box.",
    )
    confidence: float = Field(
        0.35,
        ge=0.01,
        le=0.99,
        description="Keep people scored above this (class score x objectness where the layout "
        "has one). Lower finds more half-hidden people and more false ones.",
    )
    nms_iou: float = Field(
        0.5,
        ge=0.05,
        le=0.95,
        description="Boxes overlapping a better one by more than this IoU are dropped. Higher "
        "keeps people standing close together, and more duplicates.",
    )
    every_n_frames: int = Field(
        3,
        ge=1,
        le=300,
        description="Run the person detector on one frame in this many (faces run on all). "
        "Larger saves CPU; bodies update less often.",
    )


class DetectorsConfig(_Model):
    """Optional detectors beside the face pipeline, run through onnxruntime."""

    models_dir: str = Field(
        "models",
        min_length=1,
        description="Directory holding manifest.yaml and the ONNX files it lists.",
    )
    person: PersonDetectorConfig = Field(default_factory=PersonDetectorConfig)


class CameraEntryConfig(_Model):
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


class Config(_Model):
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
                    raise _LocatedError(("counters",), "at least one counter is needed")
                raise _LocatedError(("counters",), "required key is missing")
            return self
        for key in ("camera", "counters"):
            if key in self.model_fields_set:
                raise _LocatedError(
                    (key,),
                    f"a top-level {key} section cannot be used together with cameras: move it "
                    f"into an entry of cameras (each entry has its own camera and counters)",
                )
        camera_at: dict[str, int] = {}
        counter_at: dict[str, tuple[int, int]] = {}
        for i, entry in enumerate(self.cameras):
            if entry.id in camera_at:
                raise _LocatedError(
                    ("cameras", i, "id"),
                    f"camera id {entry.id!r} is used twice (also cameras[{camera_at[entry.id]}])",
                )
            camera_at[entry.id] = i
            for j, counter in enumerate(entry.counters):
                if counter.id in counter_at:
                    ci, cj = counter_at[counter.id]
                    raise _LocatedError(
                        ("cameras", i, "counters", j, "id"),
                        f"counter id {counter.id!r} is also used by camera "
                        f"{self.cameras[ci].id!r} (cameras[{ci}].counters[{cj}]): counter ids "
                        "must be unique across cameras",
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


# --------------------------------------------------------------------------- loading


def _line_index(node: yaml.Node, path: tuple = (), out: dict | None = None) -> dict[tuple, int]:
    """Map every key path in a composed YAML document to its 1-based line."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[path + (key,)] = key_node.start_mark.line + 1
            _line_index(value_node, path + (key,), out)
            out[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, path + (i,), out)
    return out


def _format_loc(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


def _line_for(loc: tuple, lines: dict[tuple, int]) -> int | None:
    # Strip pydantic's internal markers (e.g. function-after) and walk up until found.
    loc = tuple(p for p in loc if isinstance(p, int) or not str(p).startswith("function-"))
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _describe(err: Mapping[str, Any]) -> str:
    msg = str(err.get("msg", "invalid"))
    if err.get("type") == "extra_forbidden":
        return "unknown key (check the spelling; see config/frontdesk.yaml for every key)"
    if err.get("type") == "missing":
        return "required key is missing"
    return msg.removeprefix("Value error, ")


def parse_config(text: str, filename: str = "<config>") -> Config:
    """Parse and validate YAML text; raise :class:`ConfigError` naming key and line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{filename}:{mark.line + 1}" if mark else filename
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{where}: not valid YAML: {problem}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{filename}:1: the file must be a mapping of keys (site_id:, camera:, ...)"]
        )
    lines = _line_index(node) if node is not None else {}
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            located = (err.get("ctx") or {}).get("error")
            if isinstance(located, _LocatedError):
                loc = tuple(p for p in loc if isinstance(p, int)
                            or not str(p).startswith("function-")) + located.loc
            line = _line_for(loc, lines)
            where = f"{filename}:{line}" if line else filename
            problems.append(f"{where}: {_format_loc(loc)}: {_describe(err)}")
        raise ConfigError(problems) from None


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a config file; raise :class:`ConfigError` on any problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{p}: config file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{p}: cannot read config file: {exc}"]) from None
    return parse_config(text, str(p))


def load_camera_config(path: str | os.PathLike[str], camera_id: str | None = None) -> Config:
    """A config for the commands that work on one camera's footage (inspect,
    simulate, eval, demo, render-scene, calibrate snapshot): the file as it is, or,
    when it lists ``cameras``, the entry ``camera_id`` names (:meth:`Config.for_camera`;
    the only one when there is one).

    Raises:
        ConfigError: the file is invalid; several cameras and no ``camera_id``; an
            unknown ``camera_id``; a ``camera_id`` for a file without cameras.
    """
    config = load_config(path)
    if camera_id is not None:
        return config.for_camera(camera_id)
    ids = config.camera_ids
    if not ids:
        return config
    if len(ids) == 1:
        return config.for_camera(ids[0])
    raise ConfigError([f"{path}: the config lists several cameras ({', '.join(ids)}); "
                       "say which one with --camera ID"])


def default_config_dict(**overrides: Any) -> dict[str, Any]:
    """A minimal valid config as a dict (one counter), for tests and tools."""
    base: dict[str, Any] = {
        "site_id": "site-1",
        "counters": [
            {
                "id": "counter-1",
                # The simulator's default scene (frontdesk/sim/layout.py, DEFAULT_ZONES):
                # camera beside the counter, staff on the image's left, customers
                # walking up toward the camera on the right. tests/sim/test_layout.py
                # keeps these numbers equal to the layout's.
                "zones": {
                    "approach": [[0.552, 0.322], [0.732, 0.322], [0.732, 0.505], [0.552, 0.505]],
                    "service": [[0.759, 0.272], [1.0, 0.272], [1.0, 0.852], [0.759, 0.852]],
                    "staff": [[0.0, 0.277], [0.39, 0.277], [0.39, 0.819], [0.0, 0.819]],
                },
            }
        ],
    }
    base.update(overrides)
    return base


Source = Literal["file", "folder", "camera", "url", "demo"]

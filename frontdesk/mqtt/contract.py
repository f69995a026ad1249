"""JSON Schemas of every MQTT payload, and validation against them.

The schema files live in ``frontdesk/schemas/mqtt/``. Each names its payload
form with ``x-payload``: ``"json"`` (the payload is UTF-8 JSON) or ``"text"``
(the payload is a UTF-8 string, validated as a JSON string). Schemas may refer
to each other, and to the engine's ``frontdesk/schemas/event.schema.json``, by
relative file name.

Inbound commands are checked with these same files, so the documented
contract and the code that enforces it cannot disagree.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "SCHEMA_ROOT",
    "MQTT_SCHEMA_DIR",
    "PAYLOAD_SCHEMAS",
    "PayloadError",
    "decode_payload",
    "validate_payload",
    "schema_path",
    "validator_for",
]

SCHEMA_ROOT = Path(__file__).resolve().parent.parent / "schemas"
MQTT_SCHEMA_DIR = SCHEMA_ROOT / "mqtt"

PAYLOAD_SCHEMAS = (
    "availability",
    "alert",
    "state",
    "event",
    "command-ack",
    "command-snooze",
    "command-enabled",
    "ha-device-discovery",
    "ha-status",
)
"""Every payload of the contract, by schema name (file ``<name>.schema.json``)."""


class PayloadError(ValueError):
    """A payload that does not meet its schema; the message says why, briefly."""


def schema_path(name: str) -> Path:
    return MQTT_SCHEMA_DIR / f"{name}.schema.json"


@lru_cache(maxsize=1)
def _registry() -> Registry:
    """Every schema file under ``frontdesk/schemas``, by file URI and by ``$id``."""
    resources: list[tuple[str, Resource]] = []
    for path in sorted(SCHEMA_ROOT.rglob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        resources.append((path.as_uri(), resource))
        if isinstance(contents, dict) and isinstance(contents.get("$id"), str):
            resources.append((contents["$id"], resource))
    return Registry().with_resources(resources)


@cache
def _schema(name: str) -> dict[str, Any]:
    path = schema_path(name)
    if not path.exists():
        raise FileNotFoundError(f"no MQTT payload schema {name!r} ({path})")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def validator_for(name: str) -> Draft202012Validator:
    """A validator for payload schema ``name``; references resolve across files."""
    _schema(name)  # a clear error for an unknown name
    uri = schema_path(name).as_uri()
    return Draft202012Validator({"$ref": uri}, registry=_registry())


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not a JSON number")


MAX_JSON_DEPTH = 16
"""Deeper nesting is refused before parsing (no payload of ours nests past 4)."""


def json_depth(text: str) -> int:
    """How deeply ``[`` and ``{`` nest in ``text`` (outside strings); no recursion."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def decode_payload(name: str, payload: bytes) -> Any:
    """Decode ``payload`` the way schema ``name`` says (JSON or text).

    Raises:
        PayloadError: not UTF-8, nested deeper than :data:`MAX_JSON_DEPTH`, or not
            JSON (NaN and Infinity are refused too).
    """
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("the payload is not UTF-8 text") from None
    schema = _schema(name)
    if schema.get("x-payload") == "text":
        return text
    if not text.strip() and "x-empty-payload" in schema:
        return schema["x-empty-payload"]
    if json_depth(text) > MAX_JSON_DEPTH:
        raise PayloadError(f"the payload nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise PayloadError(f"the payload is not JSON ({exc})") from None


def validate_payload(name: str, payload: bytes | str | Any) -> Any:
    """Check a payload against schema ``name`` and return its decoded value.

    ``payload`` may be the raw bytes off the wire, a str, or an already
    decoded value (dict, list, ...).

    Raises:
        PayloadError: naming the first problem found and where.
    """
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    value = decode_payload(name, payload) if isinstance(payload, bytes) else payload
    error = next(iter(validator_for(name).iter_errors(value)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        raise PayloadError(f"{where}: {message}")
    return value

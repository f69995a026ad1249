"""Every event any engine test makes is checked against the JSON Schema when the test ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from frontdesk.engine.emit import EventFactory
from frontdesk.engine.events import Event

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "frontdesk" / "schemas" / "event.schema.json"


@pytest.fixture(scope="session")
def event_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(autouse=True)
def emitted_events_match_the_schema(
    monkeypatch: pytest.MonkeyPatch, event_validator: jsonschema.Draft202012Validator
) -> Iterator[list[Event]]:
    made: list[Event] = []
    original = EventFactory.counter_event

    def recording(self: EventFactory, *args: Any, **kwargs: Any) -> Event:
        event = original(self, *args, **kwargs)
        made.append(event)
        return event

    monkeypatch.setattr(EventFactory, "counter_event", recording)
    yield made
    for event in made:
        payload = event.to_json()
        errors = sorted(event_validator.iter_errors(payload), key=str)
        assert not errors, f"{payload} breaks the schema: {errors[0].message}"
        assert Event.from_json(json.loads(json.dumps(payload))).to_json() == payload

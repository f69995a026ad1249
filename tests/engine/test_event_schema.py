"""The event JSON Schema accepts what the engine emits and rejects what it must not."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from frontdesk.engine.events import Event

ACK: dict[str, Any] = {
    "type": "customer_acknowledged", "event_id": "e1", "site_id": "site-1",
    "counter_id": "counter-1", "t": 5.5, "visit_id": "v1", "track_id": 2,
    "first_seen_t": 0.5, "arrival_t": 2.0, "ack_t": 5.0, "latency_s": 3.0,
    "ack_by": "eye_contact", "staff_track_id": 1, "mutual_gaze": False, "schema_version": 1,
}


def test_a_complete_acknowledgement_is_valid(
        event_validator: jsonschema.Draft202012Validator) -> None:
    assert event_validator.is_valid(ACK)
    assert Event.from_json(ACK).to_json() == ACK


@pytest.mark.parametrize("missing", ["latency_s", "ack_t", "visit_id", "staff_track_id", "t"])
def test_an_acknowledgement_missing_a_field_is_rejected(
        event_validator: jsonschema.Draft202012Validator, missing: str) -> None:
    payload = {k: v for k, v in ACK.items() if k != missing}
    assert not event_validator.is_valid(payload)


@pytest.mark.parametrize(("field", "value"), [
    ("type", "customer_teleported"), ("ack_by", "telepathy"), ("counter_id", "has space"),
    ("latency_s", None), ("schema_version", 3), ("surprise", 1), ("context", "napping"),
    ("context_shares", {"talking": 1.0}),
])
def test_bad_values_are_rejected(event_validator: jsonschema.Draft202012Validator,
                                 field: str, value: Any) -> None:
    assert not event_validator.is_valid({**ACK, field: value})


def test_outcomes_must_match_the_timings(
        event_validator: jsonschema.Draft202012Validator) -> None:
    left = {"type": "customer_left", "event_id": "e2", "site_id": "s", "counter_id": "c",
            "t": 9.0, "visit_id": "v", "track_id": 3, "first_seen_t": 1.0, "left_t": 8.0,
            "schema_version": 1}
    assert event_validator.is_valid({**left, "outcome": "passed_by"})
    assert not event_validator.is_valid({**left, "outcome": "passed_by", "arrival_t": 2.0})
    assert not event_validator.is_valid({**left, "outcome": "abandoned", "arrival_t": 2.0})
    assert event_validator.is_valid({**left, "outcome": "abandoned", "arrival_t": 2.0,
                                     "waited_s": 6.0})


def test_counter_events_carry_no_visit(event_validator: jsonschema.Draft202012Validator) -> None:
    unattended = {"type": "counter_unattended", "event_id": "e3", "site_id": "s",
                  "counter_id": "c", "t": 4.0, "waited_s": 2.0, "schema_version": 1}
    assert event_validator.is_valid(unattended)
    assert not event_validator.is_valid({**unattended, "visit_id": "v"})

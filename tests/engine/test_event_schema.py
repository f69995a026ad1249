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
    ("latency_s", None), ("schema_version", 4), ("surprise", 1), ("context", "napping"),
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


@pytest.mark.parametrize("version", [1, 2, 3])
def test_every_released_version_is_accepted(
        event_validator: jsonschema.Draft202012Validator, version: int) -> None:
    payload = {**ACK, "schema_version": version}
    if version == 3:
        payload["ack_before_arrival"] = False
    assert event_validator.is_valid(payload)
    assert Event.from_json(payload).to_json() == payload


def test_version_3_carries_whether_the_acknowledgement_came_before_arrival(
        event_validator: jsonschema.Draft202012Validator) -> None:
    early = {**ACK, "ack_t": 1.2, "latency_s": -0.8, "schema_version": 3}
    assert not event_validator.is_valid(early)  # version 3 with a latency needs the flag
    assert event_validator.is_valid({**early, "ack_before_arrival": True})
    assert not event_validator.is_valid({**early, "ack_before_arrival": False})
    assert not event_validator.is_valid({**ACK, "schema_version": 3, "ack_before_arrival": True})
    no_latency = {k: v for k, v in ACK.items() if k not in ("latency_s", "ack_t", "ack_by",
                                                            "staff_track_id", "mutual_gaze")}
    assert not event_validator.is_valid({**no_latency, "type": "customer_arrived",
                                         "ack_before_arrival": False})


def test_the_engine_flags_an_acknowledgement_during_the_approach() -> None:
    """The factory sets the flag from the visit's latency, the sign the report's
    "greeted before arriving" counts (report.figures: latency < 0)."""
    from frontdesk.engine.emit import EventFactory, before_arrival
    from frontdesk.engine.events import SCHEMA_VERSION, EventType

    assert SCHEMA_VERSION == 3
    assert before_arrival(-0.8) is True and before_arrival(0.0) is False
    assert before_arrival(2.5) is False and before_arrival(None) is None
    assert before_arrival(-0.00001) is False  # rounds to 0.0 in to_json: not before
    factory = EventFactory("site-1", iter(f"e{i}" for i in range(9)).__next__)
    last = {**ACK, "ack_t": 1.2, "latency_s": -0.8, "schema_version": 2}  # stored before v3
    closed = factory.left_open("counter-1", "v1", last, 100.0, "left open")
    assert closed.type == EventType.CUSTOMER_LEFT and closed.ack_before_arrival is True
    assert closed.to_json()["schema_version"] == 3

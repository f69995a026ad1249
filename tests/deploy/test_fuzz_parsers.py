"""Fuzzing the parsers that take outside input: the config file, inbound MQTT
commands and event payloads. Whatever arrives, the answer is a clear rejection
(ConfigError, CommandRejected, ValueError), never another exception."""

from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from frontdesk.config import ConfigError, default_config_dict, parse_config
from frontdesk.engine.events import Event
from frontdesk.mqtt.commands import CommandKind, CommandRejected, parse_command
from frontdesk.mqtt.topics import Topics

TOPICS = Topics("frontdesk", "shop")
COUNTERS = frozenset({"till"})
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                 max_size=4),
    max_leaves=12,
)


def _config_or_error(text: str) -> None:
    try:
        parse_config(text, "fuzz.yaml")
    except ConfigError as exc:
        assert exc.problems, "a ConfigError must say what is wrong"
        for problem in exc.problems:
            assert problem.startswith("fuzz.yaml"), problem


@FUZZ
@given(st.text(max_size=300))
def test_any_text_as_config_gives_a_config_or_a_config_error(text: str) -> None:
    _config_or_error(text)


@FUZZ
@given(st.sampled_from(["site_id", "camera", "counters", "engine", "mqtt", "web", "store",
                        "tracking", "perception", "buzzer", "detectors"]), json_values)
def test_any_value_under_a_known_key_is_accepted_or_named(key: str, value: object) -> None:
    data = default_config_dict()
    data[key] = value
    _config_or_error(yaml.safe_dump(data, allow_unicode=True))


@FUZZ
@given(st.lists(st.tuples(st.floats(allow_nan=True, allow_infinity=True),
                          st.floats(allow_nan=True, allow_infinity=True)), max_size=7))
def test_any_zone_polygon_is_accepted_or_named(points: list[tuple[float, float]]) -> None:
    data = default_config_dict()
    data["counters"][0]["zones"]["service"] = [list(p) for p in points]
    try:
        parse_config(yaml.safe_dump(data), "fuzz.yaml")
    except ConfigError as exc:
        assert any("counters[0].zones.service" in p for p in exc.problems), exc.problems


@FUZZ
@given(st.sampled_from([k.value for k in CommandKind] + ["reboot", ""]),
       st.sampled_from(["till", "other", "", "till/x"]),
       st.binary(max_size=2000) | json_values.map(lambda v: json.dumps(v).encode()),
       st.booleans())
def test_any_inbound_command_is_parsed_or_rejected(kind: str, counter: str, payload: bytes,
                                                   retain: bool) -> None:
    topic = f"frontdesk/shop/{counter}/cmd/{kind}"
    try:
        cmd = parse_command(topic, payload, retain=retain, topics=TOPICS, counters=COUNTERS,
                            now=0.0, now_monotonic=0.0)
    except CommandRejected as exc:
        assert str(exc)
        return
    assert cmd.counter_id == "till" and not retain
    if cmd.kind is CommandKind.SNOOZE:
        assert cmd.seconds is not None and cmd.seconds >= 0


@FUZZ
@given(st.dictionaries(st.sampled_from(["type", "event_id", "site_id", "counter_id", "t",
                                        "latency_s", "ack_by", "outcome", "bogus"]),
                       json_values, max_size=8))
def test_any_event_record_is_read_or_refused(data: dict) -> None:
    try:
        event = Event.from_json(data)
    except ValueError as exc:
        assert str(exc)
        return
    assert event.to_json()["type"] == data["type"]

"""Command-line overrides of one section (``frontdesk run --mqtt URL --web HOST:PORT``),
validated like the file."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from frontdesk.config.base import ConfigError, ConfigModel, describe_problem
from frontdesk.config.mqtt import MqttConfig
from frontdesk.config.root import Config
from frontdesk.config.web import WebConfig

__all__ = ["apply_mqtt_override", "apply_web_override"]


def _override(config: Config, section: str, model: type[ConfigModel], option: str,
              **values: Any) -> Config:
    """A copy of ``config`` with ``values`` set in ``section``, the whole section
    validated again; ConfigError naming ``option`` and the problem."""
    data = getattr(config, section).model_dump()
    data.update(values)
    try:
        checked = model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([f"{option}: {describe_problem(err)}" for err in exc.errors()]) from None
    return config.model_copy(update={section: checked})


def apply_web_override(config: Config, bind: str) -> Config:
    """A copy of ``config`` serving the web UI on ``bind`` (``frontdesk run --web HOST:PORT``).

    Raises:
        ConfigError: naming ``--web`` and the problem.
    """
    return _override(config, "web", WebConfig, "--web", enabled=True, bind=bind)


def apply_mqtt_override(config: Config, url: str) -> Config:
    """A copy of ``config`` publishing to ``url`` (what ``frontdesk run --mqtt URL`` does).

    The whole ``mqtt`` section is validated again, so a TLS setting that does
    not fit the new URL is reported.

    Raises:
        ConfigError: naming ``--mqtt`` and the problem.
    """
    return _override(config, "mqtt", MqttConfig, "--mqtt", url=url)

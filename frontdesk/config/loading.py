"""Reading the config file: YAML with line numbers, validation, and problems
reported as ``FILE:LINE: KEY.PATH: PROBLEM`` (:class:`ConfigError`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from frontdesk.config.base import ConfigError, LocatedError, describe_problem
from frontdesk.config.root import Config
from frontdesk.yaml_io import YamlFileError, format_key_path, parse_yaml, read_text

__all__ = ["default_config_dict", "key_lines", "load_camera_config", "load_config",
           "parse_config"]


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


def key_lines(path: str | os.PathLike[str]) -> dict[tuple, int]:
    """Every key path of a (valid) config file and its 1-based line, for messages
    about values the file holds (``("web", "bind") -> 12``)."""
    document = parse_yaml(read_text(Path(path), "config file"), str(path), unique_keys=True)
    return _line_index(document.node) if document.node is not None else {}


def _without_markers(loc: tuple) -> tuple:
    """``loc`` without pydantic's internal markers (e.g. function-after)."""
    return tuple(p for p in loc if isinstance(p, int) or not str(p).startswith("function-"))


def _line_for(loc: tuple, lines: dict[tuple, int]) -> int | None:
    # Walk up until a key with a known line is found.
    loc = _without_markers(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def parse_config(text: str, filename: str = "<config>") -> Config:
    """Parse and validate YAML text; raise :class:`ConfigError` naming key and line."""
    try:
        document = parse_yaml(text, filename, unique_keys=True)
    except YamlFileError as exc:
        raise ConfigError([str(exc)]) from None
    data = {} if document.data is None else document.data
    if not isinstance(data, dict):
        raise ConfigError(
            [f"{filename}:1: the file must be a mapping of keys (site_id:, camera:, ...)"]
        )
    lines = _line_index(document.node) if document.node is not None else {}
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err.get("loc", ()))
            located = (err.get("ctx") or {}).get("error")
            if isinstance(located, LocatedError):
                loc = _without_markers(loc) + located.loc
            line = _line_for(loc, lines)
            where = f"{filename}:{line}" if line else filename
            problems.append(f"{where}: {format_key_path(loc)}: {describe_problem(err)}")
        raise ConfigError(problems) from None


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a config file; raise :class:`ConfigError` on any problem."""
    p = Path(path)
    try:
        text = read_text(p, "config file")
    except YamlFileError as exc:
        raise ConfigError([str(exc)]) from None
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

"""Reading YAML files, with errors a person can act on.

Every file frontdesk reads as YAML (the config, scene scripts, the model
manifest) goes through here, so a missing file, an unreadable one and a syntax
error read the same everywhere and name the file and, when known, the line::

    scenes/tiny.yaml:4: not valid YAML: expected ',' or ']', but got '<stream end>'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from frontdesk.errors import FrontdeskError

__all__ = [
    "YamlDocument",
    "YamlFileError",
    "format_key_path",
    "load_yaml",
    "parse_yaml",
    "read_text",
]

_MERGE_TAG = "tag:yaml.org,2002:merge"

MAX_YAML_BYTES = 256 * 1024
"""Larger files are refused unread (the commented example config is 12 KB; PyYAML
reads dense YAML at about 0.23 MB a second, so this bounds a load to about a second)."""

MAX_YAML_VALUES = 200_000
"""A document whose values, with every alias expanded, number more is refused (a
"billion laughs" alias bomb is a few hundred bytes that expand to billions)."""


class YamlFileError(FrontdeskError):
    """A YAML file cannot be read or parsed.

    The message is ``FILE[:LINE]: PROBLEM``; ``missing`` tells a file that does
    not exist from other problems (some callers treat it as empty).
    """

    def __init__(self, filename: str, problem: str, line: int | None = None, *,
                 missing: bool = False):
        self.filename = filename
        self.problem = problem
        self.line = line
        self.missing = missing
        super().__init__(f"{self.where}: {problem}")

    @property
    def where(self) -> str:
        """``FILE:LINE``, or ``FILE`` when the line is not known."""
        return f"{self.filename}:{self.line}" if self.line else self.filename


@dataclass(frozen=True)
class YamlDocument:
    """A parsed document: the data, and the node tree it came from (for lines)."""

    data: Any
    node: yaml.Node | None


def format_key_path(path: tuple[str | int, ...]) -> str:
    """``("counters", 0, "zones")`` as ``counters[0].zones``; ``(top level)`` when empty."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(top level)"


def read_text(path: str | os.PathLike[str], what: str) -> str:
    """The UTF-8 text of ``path``, a ``what`` (e.g. "config file").

    Raises:
        YamlFileError: "``what`` not found" (``missing`` set), or "cannot read
            ``what``: REASON".
    """
    p = Path(path)
    try:
        size = p.stat().st_size if p.is_file() else 0
        if size > MAX_YAML_BYTES:
            raise YamlFileError(str(p), f"{what} is {size / 1e6:.1f} MB, larger than frontdesk "
                                f"reads ({MAX_YAML_BYTES // 1024} KB at most)")
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise YamlFileError(str(p), f"{what} not found", missing=True) from None
    except OSError as exc:
        raise YamlFileError(str(p), f"cannot read {what}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise YamlFileError(
            str(p), f"cannot read {what}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None


def parse_yaml(text: str, filename: str, *, unique_keys: bool = False) -> YamlDocument:
    """Parse one YAML document (safely: plain data only).

    With ``unique_keys`` a mapping that gives a key twice is refused (YAML itself
    says keys are unique; PyYAML would silently keep the last). Text over
    :data:`MAX_YAML_BYTES`, aliases expanding past :data:`MAX_YAML_VALUES` values
    and nesting deeper than Python can follow are refused before anything is built.

    Raises:
        YamlFileError: "not valid YAML: PROBLEM" at the line of the problem, or
            "KEY.PATH: the key is given twice ..." at the line of the second one.
    """
    if len(text) > MAX_YAML_BYTES:
        raise YamlFileError(filename, f"{len(text) / 1e6:.1f} MB of YAML, more than frontdesk "
                            f"reads ({MAX_YAML_BYTES // 1024} KB at most)")
    try:
        loader = yaml.SafeLoader(text)  # already refuses unprintable characters
        try:
            node = loader.get_single_node()
            if node is not None:
                _refuse_alias_bombs(node, filename)
            if unique_keys and node is not None:
                _refuse_duplicate_keys(node, filename)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        raise YamlFileError(filename, "not valid YAML here: nested too deeply") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        problem = str(exc).partition("\n")[0]
        raise YamlFileError(filename, f"not valid YAML: {problem}",
                            text.count("\n", 0, exc.position) + 1) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise YamlFileError(filename, f"not valid YAML: {problem}",
                            mark.line + 1 if mark else None) from None
    return YamlDocument(data, node)


def load_yaml(path: str | os.PathLike[str], what: str) -> Any:
    """The data of the YAML file ``path``, a ``what`` (e.g. "scene file").

    Raises:
        YamlFileError: see :func:`read_text` and :func:`parse_yaml`.
    """
    return parse_yaml(read_text(path, what), str(path)).data


def _refuse_alias_bombs(root: yaml.Node, filename: str) -> None:
    """YamlFileError when the document, aliases expanded, holds over MAX_YAML_VALUES values.

    Counted without expanding: each node's size once (children first, iteratively).
    """
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in size:
            continue
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            size[id(node)] = 1
            continue
        if not children_done:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in size)
            continue
        total = 1 + sum(size[id(c)] for c in children)
        if total > MAX_YAML_VALUES:
            raise YamlFileError(
                filename, f"aliases (*name) expand this document to more than "
                f"{MAX_YAML_VALUES:,} values; is it an alias bomb?", node.start_mark.line + 1)
        size[id(node)] = total


def _refuse_duplicate_keys(node: yaml.Node, filename: str,
                           path: tuple[str | int, ...] = (),
                           done: set[int] | None = None) -> None:
    """YamlFileError at the first key (in file order) a mapping gives twice."""
    done = set() if done is None else done
    if id(node) in done:  # an alias of a node already checked
        return
    done.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_line: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                _refuse_duplicate_keys(value_node, filename, path, done)
                continue
            line = key_node.start_mark.line + 1
            key = (key_node.tag, key_node.value)
            if key in first_line:
                raise YamlFileError(
                    filename,
                    f"{format_key_path((*path, key_node.value))}: the key is given twice "
                    f"(also on line {first_line[key]}); keep one",
                    line,
                )
            first_line[key] = line
            _refuse_duplicate_keys(value_node, filename, (*path, key_node.value), done)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _refuse_duplicate_keys(item, filename, (*path, i), done)

"""Which parts of frontdesk may import which: the layering, read from the source.

Every module of the ``frontdesk`` package is parsed with :mod:`ast`; imports at
module level and inside functions count alike, imports under ``if TYPE_CHECKING:``
do not (they never run). A module is one ``.py`` file; ``from frontdesk.x import y``
depends on ``frontdesk/x/__init__.py`` when ``x`` is a package, and also on
``frontdesk/x/y.py`` when ``y`` is a submodule. Imports made at run time with
:mod:`importlib` (the CLI's commands, ``frontdesk.mqtt``'s lazy names) are not seen.

The rules:

* the config package imports nothing of frontdesk but itself and a few leaf helpers
  (:data:`CONFIG_MAY_IMPORT`), so every other part can import the config;
* capture (live sources) knows nothing of the renderer, the simulator or the demo
  footage;
* the engine (pure decisions) knows nothing of capture, perception, MQTT, the store
  or the web UI;
* no import circles.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "frontdesk"

CONFIG_MAY_IMPORT = frozenset({"frontdesk", "frontdesk.validation", "frontdesk.yaml_io"})
"""The only frontdesk modules outside itself the config package may import: leaf
helpers that import nothing of frontdesk but :mod:`frontdesk.errors` (and the
package's own ``__init__``, which holds only the version)."""

CAPTURE_MUST_NOT_IMPORT = ("frontdesk.render", "frontdesk.sim", "frontdesk.demo_footage")
ENGINE_MUST_NOT_IMPORT = (
    "frontdesk.capture",
    "frontdesk.perception",
    "frontdesk.mqtt",
    "frontdesk.store",
    "frontdesk.web",
)


# ---------------------------------------------------------------------- the import graph


@dataclass(frozen=True)
class Import:
    """One import statement of a frontdesk module, resolved to frontdesk modules."""

    module: str  # the importing module, e.g. frontdesk.mqtt.url
    file: str  # its path relative to the package's parent, e.g. frontdesk/mqtt/url.py
    line: int
    targets: tuple[str, ...]  # the frontdesk modules it depends on

    def shown(self, target: str) -> str:
        return f"{self.file}:{self.line} -> {target}"


def _modules(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file for every .py file of ``package`` under ``root``."""
    found: dict[str, Path] = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(nodes: Iterable[ast.AST]) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import in or under ``nodes`` except those in an ``if TYPE_CHECKING:`` body."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _import_nodes(node.orelse)
        else:
            yield from _import_nodes(ast.iter_child_nodes(node))


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute name of the module a (possibly relative) ``from`` import names."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def collect_imports(root: Path, package: str = PACKAGE) -> list[Import]:
    """Every import from one module of ``package`` (under ``root``) to another."""
    modules = _modules(root, package)
    imports: list[Import] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        is_package = path.name == "__init__.py"
        file = path.relative_to(root).as_posix()
        for node in _import_nodes([tree]):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                source = _resolve(node, name, is_package)
                targets = [source] + [f"{source}.{alias.name}" for alias in node.names]
            known = tuple(t for t in dict.fromkeys(targets) if t in modules and t != name)
            if known:
                imports.append(Import(name, file, node.lineno, known))
    return imports


def _within(target: str, prefixes: Iterable[str]) -> bool:
    return any(target == p or target.startswith(p + ".") for p in prefixes)


def _imports_from(imports: Iterable[Import], importers: str,
                  wrong: Callable[[str], bool]) -> list[str]:
    """``file:line -> target`` for every import from ``importers`` (a module or
    package) to a target ``wrong`` refuses."""
    return [
        imp.shown(t)
        for imp in imports
        if _within(imp.module, [importers])
        for t in imp.targets
        if wrong(t)
    ]


def forbidden(imports: Iterable[Import], importers: str, targets: Iterable[str]) -> list[str]:
    """Imports from ``importers`` into any of ``targets`` (modules or packages)."""
    targets = tuple(targets)
    return _imports_from(imports, importers, lambda t: _within(t, targets))


def outside(imports: Iterable[Import], importers: str, allowed: Iterable[str]) -> list[str]:
    """Imports from ``importers`` to anything but itself and the modules ``allowed``
    (exact names: a package allows its ``__init__`` only)."""
    allowed = frozenset(allowed)
    return _imports_from(
        imports, importers, lambda t: t not in allowed and not _within(t, [importers])
    )


def cycles(imports: Iterable[Import]) -> list[str]:
    """Import circles, each as ``a -> b -> a`` with the file and line of every step.

    For every import edge inside a strongly connected part of the graph, the
    shortest circle through that edge; circles found twice are reported once.
    """
    edges: dict[str, dict[str, Import]] = {}
    for imp in imports:
        for t in imp.targets:
            edges.setdefault(imp.module, {}).setdefault(t, imp)
    found: dict[tuple[str, ...], str] = {}
    for a, outs in sorted(edges.items()):
        for b in sorted(outs):
            path = _shortest_path(edges, b, a)
            if path is None:
                continue
            circle = [a, *path]
            # the same circle entered at another module is reported once
            turn = circle[:-1].index(min(circle[:-1]))
            key = tuple(circle[turn:-1] + circle[:turn])
            if key not in found:
                steps = [edges[x][y] for x, y in zip(circle, circle[1:], strict=False)]
                where = ", ".join(f"{step.file}:{step.line}" for step in steps)
                found[key] = " -> ".join(circle) + f"  ({where})"
    return sorted(found.values())


def _shortest_path(edges: dict[str, dict[str, Import]], start: str, goal: str) -> list[str] | None:
    """The shortest import path from ``start`` to ``goal`` (both included), or None."""
    previous: dict[str, str | None] = {start: None}
    queue = [start]
    for node in queue:
        if node == goal:
            path = [node]
            while (step := previous[path[-1]]) is not None:
                path.append(step)
            return path[::-1]
        for nxt in sorted(edges.get(node, {})):
            if nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    return None


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return collect_imports(REPO)


def _report(problems: list[str]) -> str:
    return "\n".join(["", *problems])


# ---------------------------------------------------------------------- the rules


def test_config_imports_only_leaf_helpers(imports: list[Import]) -> None:
    problems = forbidden(imports, "frontdesk.config", ["frontdesk.mqtt"])
    assert not problems, _report(problems)
    problems = outside(imports, "frontdesk.config", CONFIG_MAY_IMPORT)
    assert not problems, _report(problems)


def test_capture_knows_nothing_of_render_sim_or_demo_footage(imports: list[Import]) -> None:
    problems = forbidden(imports, "frontdesk.capture", CAPTURE_MUST_NOT_IMPORT)
    assert not problems, _report(problems)


def test_engine_knows_nothing_of_io(imports: list[Import]) -> None:
    problems = forbidden(imports, "frontdesk.engine", ENGINE_MUST_NOT_IMPORT)
    assert not problems, _report(problems)


def test_no_import_circles(imports: list[Import]) -> None:
    problems = cycles(imports)
    assert not problems, _report(problems)


# ---------------------------------------------------------------------- the checker itself


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_checker_reports_forbidden_imports_and_circles(tmp_path: Path) -> None:
    _write(tmp_path, {
        "frontdesk/__init__.py": "",
        "frontdesk/validation.py": "",
        "frontdesk/config/__init__.py": "from frontdesk.config.base import Base\n",
        "frontdesk/config/base.py": (
            "from frontdesk import validation\n"
            "def url():\n"
            "    from frontdesk.mqtt.url import parse\n"
        ),
        "frontdesk/mqtt/__init__.py": "",
        "frontdesk/mqtt/url.py": "from frontdesk.config import Base\n",
        "frontdesk/engine/__init__.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n"
            "    from frontdesk.web import app\n"
            "from .rules import x\n"
        ),
        "frontdesk/engine/rules.py": "import frontdesk.store.db\n",
        "frontdesk/store/__init__.py": "",
        "frontdesk/store/db.py": "",
        "frontdesk/web/__init__.py": "",
        "frontdesk/web/app.py": "",
    })
    found = collect_imports(tmp_path)
    assert outside(found, "frontdesk.config", CONFIG_MAY_IMPORT) == [
        "frontdesk/config/base.py:3 -> frontdesk.mqtt.url",
    ]
    assert forbidden(found, "frontdesk.engine", ENGINE_MUST_NOT_IMPORT) == [
        "frontdesk/engine/rules.py:1 -> frontdesk.store.db",
    ]
    assert cycles(found) == [
        "frontdesk.config -> frontdesk.config.base -> frontdesk.mqtt.url -> frontdesk.config"
        "  (frontdesk/config/__init__.py:1, frontdesk/config/base.py:3, "
        "frontdesk/mqtt/url.py:1)",
    ]

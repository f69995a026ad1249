"""Config file edits: comments kept, only the changed lines differ, validated, backed up."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from web_scene import CONFIG_YAML

from frontdesk.config import ConfigError, load_config
from frontdesk.errors import FrontdeskError
from frontdesk.web.config_file import (
    ConfigFile,
    backups_of,
    guess_indent,
    lock_path,
    set_camera_keys,
    set_counter_zones,
)

REPO_EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "frontdesk.yaml"
NEW_STAFF = [[0.0, 0.25], [0.333333, 0.25], [0.3, 0.8], [0.0, 0.8]]


def changed_lines(old: str, new: str) -> list[tuple[str, str]]:
    a, b = old.splitlines(), new.splitlines()
    assert len(a) == len(b), "lines were added or removed"
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


@pytest.mark.parametrize(("text", "expected"), [
    ("a:\n  b: 1\nlist:\n  - x: 1\n", (2, 4, 2)),
    ("a:\n    b: 1\nlist:\n- x: 1\n", (4, 2, 0)),
    ("a:\n  b: 1\nlist:\n    - 1\n", (2, 6, 4)),
    ("a: 1\n", (2, 4, 2)),
])
def test_guess_indent(text: str, expected: tuple[int, int, int]) -> None:
    assert guess_indent(text) == expected


def test_the_repo_example_changes_only_the_edited_line(tmp_path: Path) -> None:
    path = tmp_path / "frontdesk.yaml"
    shutil.copy(REPO_EXAMPLE, path)
    original = path.read_text(encoding="utf-8")
    counter_id = load_config(path).counters[0].id
    result = ConfigFile(path).update(lambda doc: set_counter_zones(doc, counter_id,
                                                                   {"staff": NEW_STAFF}))
    diff = changed_lines(original, path.read_text(encoding="utf-8"))
    assert len(diff) == 1
    assert diff[0][1].strip() == "staff: [[0.0, 0.25], [0.3333, 0.25], [0.3, 0.8], [0.0, 0.8]]"
    assert result.config.counters[0].zones.staff[1] == (0.3333, 0.25)
    assert result.backup.read_text(encoding="utf-8") == original


def test_removing_the_approach_zone_and_adding_a_mask(config_path: Path) -> None:
    ConfigFile(config_path).update(lambda doc: set_counter_zones(doc, "counter-1", {
        "approach": None, "ignore": [[[0.4, 0.0], [0.5, 0.0], [0.5, 0.1]]]}))
    text = config_path.read_text(encoding="utf-8")
    diff = changed_lines(CONFIG_YAML, text)
    assert [" ".join(b.split()) for _, b in diff] == [  # the comment stays on its line
        "approach: null",
        "ignore: [[[0.4, 0.0], [0.5, 0.0], [0.5, 0.1]]] # masks",
    ]
    cfg = load_config(config_path)
    assert cfg.counters[0].zones.approach is None and len(cfg.counters[0].zones.ignore) == 1


def test_an_invalid_result_writes_nothing(config_path: Path) -> None:
    cf = ConfigFile(config_path)
    with pytest.raises(ConfigError) as exc:
        cf.update(lambda doc: set_counter_zones(doc, "counter-1",
                                                {"staff": [[0, 0], [1, 1], [1, 0], [0, 1]]}))
    assert "crosses itself" in str(exc.value) and "frontdesk.yaml:" in str(exc.value)
    assert config_path.read_text(encoding="utf-8") == CONFIG_YAML
    assert backups_of(config_path) == []
    with pytest.raises(FrontdeskError, match="counter 'nope' is not in the config file"):
        cf.update(lambda doc: set_counter_zones(doc, "nope", {"staff": NEW_STAFF}))


def test_backups_get_distinct_names_and_the_mode_is_kept(config_path: Path) -> None:
    os.chmod(config_path, 0o640)
    cf = ConfigFile(config_path, clock=lambda: 1_700_000_000.0)
    first = cf.update(lambda doc: set_counter_zones(doc, "counter-1", {"staff": NEW_STAFF}))
    second = cf.update(lambda doc: set_counter_zones(doc, "counter-1", {"approach": None}))
    assert first.backup != second.backup
    assert backups_of(config_path) == [first.backup, second.backup]  # oldest first
    assert second.backup.read_text() == first.path.read_text().replace(
        "approach: null", "approach: [[0.55, 0.3], [0.74, 0.3], [0.74, 0.5], [0.55, 0.5]]")
    assert (config_path.stat().st_mode & 0o777) == 0o640
    # No temporary file left; only the lock file, kept (removing it would race with a
    # process about to lock it).
    leftovers = [p for p in config_path.parent.iterdir() if p.name.startswith(".frontdesk")]
    assert leftovers == [lock_path(config_path)]


def test_camera_keys(config_path: Path) -> None:
    matrix = [[536.07, 0.0, 342.37], [0.0, 536.02, 235.54], [0.0, 0.0, 1.0]]
    ConfigFile(config_path).update(lambda doc: set_camera_keys(doc, {
        "matrix": matrix, "distortion": [-0.265, -0.0467, 0.0018, -0.0003, 0.2523],
        "calibrated_size": [640, 480]}))
    cam = load_config(config_path).camera
    assert cam.matrix == matrix and cam.calibrated_size == (640, 480)
    text = config_path.read_text()
    assert "  matrix: [[536.07, 0.0, 342.37], [0.0, 536.02, 235.54], [0.0, 0.0, 1.0]]" in text
    assert "# A 90 degree lens." in text

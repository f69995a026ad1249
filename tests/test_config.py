"""Config loading: a valid example, and bad input that names the key and the line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from frontdesk.config import ConfigError, load_config, parse_config, polygon_problem

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "frontdesk.yaml"

GOOD = """\
site_id: shop-7
camera:
  source: demo://counter
  horizontal_fov_deg: 100
counters:
  - id: main
    zones:
      service: [[0.5, 0.3], [0.9, 0.3], [0.9, 0.9], [0.5, 0.9]]
      staff: [[0.0, 0.2], [0.4, 0.2], [0.4, 0.9], [0.0, 0.9]]
engine:
  alert_after_s: 10
  escalate_after_s: 30
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "f.yaml")
    return info.value.problems


def test_example_config_is_valid_and_uses_demo_footage() -> None:
    cfg = load_config(EXAMPLE)
    assert cfg.camera.source == "demo://counter"
    assert cfg.counters, "the example must define at least one counter"
    assert cfg.engine.alert_after_s == 10


def test_good_config_parses_with_defaults() -> None:
    cfg = parse_config(GOOD)
    assert cfg.site_id == "shop-7"
    assert cfg.counters[0].zones.approach is None
    assert cfg.tracking.grace_s == 1.0
    assert cfg.web.bind == "127.0.0.1:8080"


def test_unknown_key_names_key_and_line() -> None:
    text = GOOD.replace("  horizontal_fov_deg: 100", "  horizontal_fov_deg: 100\n  exposure: 3")
    (problem,) = _problems(text)
    assert problem.startswith("f.yaml:5: camera.exposure: unknown key")


def test_wrong_type_names_key_and_line() -> None:
    text = GOOD.replace("alert_after_s: 10", "alert_after_s: soon")
    (problem,) = _problems(text)
    assert problem.startswith("f.yaml:11: engine.alert_after_s:")
    assert "number" in problem


def test_zone_with_two_points_names_key_and_line() -> None:
    text = GOOD.replace(
        "service: [[0.5, 0.3], [0.9, 0.3], [0.9, 0.9], [0.5, 0.9]]",
        "service: [[0.5, 0.3], [0.9, 0.3]]",
    )
    (problem,) = _problems(text)
    assert problem.startswith("f.yaml:8: counters[0].zones.service:")
    assert "at least 3 points, got 2" in problem


def test_self_intersecting_zone_is_refused() -> None:
    bow_tie = "[[0.1, 0.1], [0.9, 0.9], [0.9, 0.1], [0.1, 0.9]]"
    text = GOOD.replace("[[0.0, 0.2], [0.4, 0.2], [0.4, 0.9], [0.0, 0.9]]", bow_tie)
    (problem,) = _problems(text)
    assert "counters[0].zones.staff" in problem and "crosses itself" in problem


def test_impossible_values_are_refused() -> None:
    text = GOOD.replace("escalate_after_s: 30", "escalate_after_s: 5")
    (problem,) = _problems(text)
    assert "engine" in problem and "escalate_after_s (5.0) must be greater" in problem
    (problem,) = _problems(GOOD.replace("horizontal_fov_deg: 100", "horizontal_fov_deg: 200"))
    assert problem.startswith("f.yaml:4: camera.horizontal_fov_deg:")


def test_duplicate_counter_ids_and_missing_counters() -> None:
    doubled = GOOD.replace(
        "engine:", GOOD[GOOD.index("  - id: main") : GOOD.index("engine:")] + "engine:"
    )
    (problem,) = _problems(doubled)
    assert "'main' is used twice" in problem
    (problem,) = _problems("site_id: x\n")
    assert "counters: required key is missing" in problem


def test_staff_context_keys_name_key_and_line() -> None:
    text = GOOD.replace("  escalate_after_s: 30", "  escalate_after_s: 30\n  looking_down_deg: 95")
    (problem,) = _problems(text)
    assert problem.startswith("f.yaml:13: engine.looking_down_deg:")
    text = GOOD.replace("      staff: [[0.0, 0.2], [0.4, 0.2], [0.4, 0.9], [0.0, 0.9]]",
                        "      staff: [[0.0, 0.2], [0.4, 0.2], [0.4, 0.9], [0.0, 0.9]]\n"
                        "      focus: [[[0.1, 0.3], [0.2, 0.3]]]")
    (problem,) = _problems(text)
    assert problem.startswith("f.yaml:10: counters[0].zones.focus")
    assert "at least 3 points" in problem
    good = parse_config(GOOD.replace(
        "      staff: [[0.0, 0.2], [0.4, 0.2], [0.4, 0.9], [0.0, 0.9]]",
        "      staff: [[0.0, 0.2], [0.4, 0.2], [0.4, 0.9], [0.0, 0.9]]\n"
        "      focus: [[[0.1, 0.3], [0.2, 0.3], [0.2, 0.5]]]"))
    assert len(good.counters[0].zones.focus) == 1
    assert good.engine.looking_down_deg == 25.0 and good.engine.focus_alert_after_s == 60.0


def test_yaml_syntax_error_has_line() -> None:
    (problem,) = _problems("site_id: x\ncounters: [\n  - id: a\n")
    assert problem.startswith("f.yaml:")
    assert "not valid YAML" in problem


def test_duplicate_key_names_key_and_both_lines() -> None:
    # PyYAML alone would keep the second value without a word.
    (problem,) = _problems(GOOD.replace("  escalate_after_s: 30", "  escalate_after_s: 30\n"
                                        "  alert_after_s: 5"))
    assert problem == (
        "f.yaml:13: engine.alert_after_s: the key is given twice (also on line 11); keep one"
    )
    (problem,) = _problems("site_id: a\n" + GOOD)
    assert problem.startswith("f.yaml:2: site_id: the key is given twice (also on line 1)")
    doubled_zone = GOOD.replace("      staff:", "      service: [[0, 0], [1, 0], [1, 1]]\n"
                                "      staff:")
    (problem,) = _problems(doubled_zone)
    assert problem.startswith("f.yaml:9: counters[0].zones.service: the key is given twice")


def test_same_key_in_different_mappings_is_fine() -> None:
    text = GOOD.replace("engine:", "perception:\n  max_faces: 3\nengine:")
    assert parse_config(text).perception.max_faces == 3
    # A merged mapping's keys may be given again: the local value wins, as YAML says.
    merged = GOOD.replace("engine:\n", "engine:\n  <<: {alert_after_s: 20, dwell_s: 1}\n")
    config = parse_config(merged)
    assert (config.engine.alert_after_s, config.engine.dwell_s) == (10, 1)


def test_unreadable_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nowhere.yaml")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("site_id: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.yaml: cannot read config file: not UTF-8"):
        load_config(latin1)


@pytest.mark.parametrize(
    ("points", "fragment"),
    [
        ([(0.1, 0.1), (0.2, 0.2)], "at least 3 points"),
        ([(0.1, 0.1), (1.2, 0.2), (0.5, 0.9)], "outside the frame"),
        ([(0.1, 0.1), (0.2, 0.2), (0.3, 0.3)], "no area"),
        ([(0.1, 0.1), (0.9, 0.9), (0.9, 0.1), (0.1, 0.9)], "crosses itself"),
    ],
)
def test_polygon_problems(points: list[tuple[float, float]], fragment: str) -> None:
    problem = polygon_problem(points)
    assert problem is not None and fragment in problem


def test_convex_and_concave_polygons_are_fine() -> None:
    assert polygon_problem([(0.1, 0.1), (0.9, 0.1), (0.9, 0.9), (0.1, 0.9)]) is None
    assert polygon_problem([(0.1, 0.1), (0.9, 0.1), (0.5, 0.4), (0.9, 0.9), (0.1, 0.9)]) is None


def test_check_config_cli_reports_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("  horizontal_fov_deg: 100", "  horizontal_fov_deg: wide"))
    proc = subprocess.run(
        [sys.executable, "-m", "frontdesk", "check-config", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert f"{bad}:4: camera.horizontal_fov_deg:" in proc.stderr
    assert "Traceback" not in proc.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "frontdesk", "check-config", str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout


def _missing_keys(model: type, data: dict, path: str) -> list[str]:
    """Schema keys that the example YAML does not list, recursively."""
    import typing

    from pydantic import BaseModel

    missing = [f"{path}{name}" for name in model.model_fields if name not in data]
    for name, field in model.model_fields.items():
        value = data.get(name)
        candidates = [field.annotation, *typing.get_args(field.annotation)]
        for ann in candidates:
            if isinstance(ann, type) and issubclass(ann, BaseModel) and isinstance(value, dict):
                missing += _missing_keys(ann, value, f"{path}{name}.")
            inner = typing.get_args(ann)
            if (
                inner
                and isinstance(inner[0], type)
                and issubclass(inner[0], BaseModel)
                and isinstance(value, list)
                and value
                and isinstance(value[0], dict)
            ):
                missing += _missing_keys(inner[0], value[0], f"{path}{name}[0].")
    return missing


def test_example_config_lists_every_key() -> None:
    import yaml

    from frontdesk.config import Config

    data = yaml.safe_load(EXAMPLE.read_text())
    assert _missing_keys(Config, data, "") == []


def test_example_zones_match_the_demo_scene_layout() -> None:
    from frontdesk.sim.layout import DEFAULT_ZONES

    zones = load_config(EXAMPLE).counters[0].zones
    for name in ("approach", "service", "staff"):
        assert [list(p) for p in getattr(zones, name)] == DEFAULT_ZONES[name], name


def test_an_alias_bomb_config_is_refused_quickly(tmp_path) -> None:
    from frontdesk.config import ConfigError, load_config

    path = tmp_path / "bomb.yaml"
    lol = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for x, y in zip("abcdefgh", "bcdefghi", strict=True):
        lol += f"{y}: &{y} [" + ", ".join([f"*{x}"] * 9) + "]\n"
    path.write_text(lol, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bomb.yaml:6: aliases \(\*name\) expand"):
        load_config(path)

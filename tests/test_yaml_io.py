"""Reading YAML files: one set of messages, naming the file and the line, for every reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.detectors.manifest import load_manifest
from frontdesk.errors import FrontdeskError, ModelError
from frontdesk.render.scene_file import load_render_scene
from frontdesk.sim.script import ScriptError, load_scene
from frontdesk.yaml_io import (
    MAX_YAML_BYTES,
    MAX_YAML_VALUES,
    YamlFileError,
    format_key_path,
    load_yaml,
    parse_yaml,
)

BROKEN = "people:\n  - id: a\n    path: [[0, 1]\n"


def test_syntax_error_names_file_and_line() -> None:
    with pytest.raises(YamlFileError) as info:
        parse_yaml(BROKEN, "s.yaml")
    assert str(info.value).startswith("s.yaml:4: not valid YAML: ")
    assert info.value.line == 4
    assert not info.value.missing


def test_character_yaml_refuses_names_its_line() -> None:
    with pytest.raises(YamlFileError) as info:
        parse_yaml("a: 1\nb: \x1f\n", "s.yaml")
    assert str(info.value) == (
        "s.yaml:2: not valid YAML: unacceptable character #x001f: special characters are "
        "not allowed"
    )


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(YamlFileError, match="nope.yaml: scene file not found") as info:
        load_yaml(tmp_path / "nope.yaml", "scene file")
    assert info.value.missing
    with pytest.raises(YamlFileError, match=": cannot read scene file: ") as info:
        load_yaml(tmp_path, "scene file")  # a directory
    assert not info.value.missing
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"a: \xff\n")
    with pytest.raises(YamlFileError, match="b.yaml: cannot read scene file: not UTF-8"):
        load_yaml(binary, "scene file")


def test_duplicate_keys_are_refused_only_when_asked() -> None:
    text = "a:\n  b: 1\n  c: [{d: 1, d: 2}]\n"
    assert parse_yaml(text, "f.yaml").data == {"a": {"b": 1, "c": [{"d": 2}]}}
    with pytest.raises(YamlFileError) as info:
        parse_yaml(text, "f.yaml", unique_keys=True)
    assert str(info.value) == (
        "f.yaml:3: a.c[0].d: the key is given twice (also on line 3); keep one"
    )
    # 1 and "1" are different keys; a merged mapping may be overridden
    assert parse_yaml("1: a\n'1': b\n", "f.yaml", unique_keys=True).data == {1: "a", "1": "b"}
    merged = "base: &b {x: 1}\nother:\n  <<: *b\n  x: 2\n"
    assert parse_yaml(merged, "f.yaml", unique_keys=True).data["other"] == {"x": 2}


def test_empty_document_has_no_data() -> None:
    document = parse_yaml("# nothing\n", "f.yaml")
    assert document.data is None and document.node is None


def test_key_path_format() -> None:
    assert format_key_path(("counters", 0, "zones", "service")) == "counters[0].zones.service"
    assert format_key_path(()) == "(top level)"


def test_scene_and_manifest_readers_share_the_messages(tmp_path: Path) -> None:
    scene = tmp_path / "scene.yaml"
    scene.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(ScriptError, match=r"scene\.yaml:4: not valid YAML"):
        load_scene(scene)
    with pytest.raises(FrontdeskError, match=r"scene\.yaml:4: not valid YAML"):
        load_render_scene(scene)
    with pytest.raises(ScriptError, match="scene file not found"):
        load_scene(tmp_path / "none.yaml")
    (tmp_path / "manifest.yaml").write_text("models: [\n", encoding="utf-8")
    with pytest.raises(ModelError, match=r"manifest\.yaml:2: not valid YAML"):
        load_manifest(tmp_path)
    assert load_manifest(tmp_path / "empty").models == []


# ---------------------------------------------------------------- issue 15: hostile files


def billion_laughs(levels: int = 9) -> str:
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    names = "abcdefghijklmnop"
    for x, y in zip(names[: levels - 1], names[1:levels], strict=True):
        text += f"{y}: &{y} [" + ", ".join([f"*{x}"] * 9) + "]\n"
    return text


def test_an_alias_bomb_is_refused_at_its_line_before_it_grows() -> None:
    with pytest.raises(YamlFileError) as caught:
        parse_yaml(billion_laughs(), "bomb.yaml")
    assert str(caught.value) == ("bomb.yaml:6: aliases (*name) expand this document to more "
                                 f"than {MAX_YAML_VALUES:,} values; is it an alias bomb?")
    small = parse_yaml(billion_laughs(3), "ok.yaml").data  # aliases themselves are fine
    assert len(small["c"]) == 9 and small["c"][0][0][0] == "lol"


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("site_id: x\n" + "# padding\n" * 1_100_000, encoding="utf-8")
    with pytest.raises(YamlFileError, match=r"huge.yaml: config file is 11.0 MB, larger than "
                                            r"frontdesk reads \(256 KB at most\)"):
        load_yaml(path, "config file")
    with pytest.raises(YamlFileError, match="more than frontdesk reads"):
        parse_yaml("x: 1\n" + " " * MAX_YAML_BYTES, "posted.yaml")


def test_nesting_too_deep_for_python_is_a_message_not_a_traceback() -> None:
    with pytest.raises(YamlFileError, match="deep.yaml: not valid YAML here: nested too deeply"):
        parse_yaml("a: " + "[" * 3000 + "]" * 3000 + "\n", "deep.yaml")

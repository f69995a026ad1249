"""The models manifest and `frontdesk models list|verify|add`, and the start-up checks."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
from detector_models import constant_model, yolo85_rows, yolov8_rows

from frontdesk.cli import main
from frontdesk.commands.models import LAYOUT_CHOICES
from frontdesk.config import DetectorsConfig, load_config, parse_config
from frontdesk.detectors import build_person_detector
from frontdesk.detectors.layouts import LAYOUTS
from frontdesk.detectors.manifest import (
    Manifest,
    ModelEntry,
    entry_problem,
    load_manifest,
    save_manifest,
    sha256_file,
)
from frontdesk.errors import ModelError

REPO = Path(__file__).resolve().parents[2]
PERSON_ROW = {0: ((320, 320, 100, 200), {0: 0.9})}


@pytest.fixture()
def exported(tmp_path: Path) -> Path:
    """A YOLOv8-shaped model as someone exported it, outside the models directory."""
    (tmp_path / "export").mkdir()
    return constant_model(tmp_path / "export" / "tiny-v8.onnx", yolov8_rows(8400, PERSON_ROW))


def _add(models: Path, file: Path, *extra: str) -> int:
    return main(["models", "add", str(file), "--models-dir", str(models), *extra])


def test_layout_choices_of_the_cli_match_the_decoders() -> None:
    assert (*LAYOUTS, "auto") == LAYOUT_CHOICES


def test_the_shipped_manifest_is_empty_and_valid() -> None:
    assert load_manifest(REPO / "models").models == []
    text = (REPO / "models" / "manifest.yaml").read_text(encoding="utf-8")
    assert "yolo11n" in text  # the commented example entry


def test_the_example_config_runs_faces_only() -> None:
    cfg = load_config(REPO / "config" / "frontdesk.yaml")
    assert cfg.detectors.person.model is None
    assert cfg.detectors.person.provider == "cpu" and cfg.detectors.person.threads == 1
    assert build_person_detector(cfg.detectors) is None


def test_models_add_round_trip(tmp_path: Path, exported: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "models"
    rc = _add(models, exported, "--name", "tiny", "--layout", "auto", "--licence", "Apache-2.0",
              "--source", "https://example.invalid/tiny")
    assert rc == 0
    out = capsys.readouterr().out
    assert "added tiny" in out and "yolov8" in out and "[1, 84, 8400]" in out
    copy = models / "tiny-v8.onnx"
    assert copy.read_bytes() == exported.read_bytes()
    entry = load_manifest(models).get("tiny")
    assert entry.sha256 == hashlib.sha256(exported.read_bytes()).hexdigest()
    assert entry.input_size == (640, 640)
    assert entry.layout == "yolov8"  # auto resolved and written down
    assert (entry.licence, entry.source) == ("Apache-2.0", "https://example.invalid/tiny")
    assert main(["models", "verify", "--models-dir", str(models)]) == 0
    assert main(["models", "list", "--models-dir", str(models)]) == 0
    listed = capsys.readouterr().out
    assert "OK   tiny" in listed and "tiny: tiny-v8.onnx" in listed and "Apache-2.0" in listed


def test_added_model_starts_from_config(tmp_path: Path, exported: Path) -> None:
    models = tmp_path / "models"
    assert _add(models, exported, "--name", "tiny", "--layout", "yolov8") == 0
    cfg = DetectorsConfig.model_validate(
        {"models_dir": str(models), "person": {"model": "tiny", "confidence": 0.5}})
    det = build_person_detector(cfg)
    assert det is not None
    frame = np.zeros((720, 1280, 3), np.uint8)
    assert [b.xyxy for b in det.detect(frame)] == [(540.0, 160.0, 740.0, 560.0)]


def test_add_reads_input_size_from_the_graph(tmp_path: Path) -> None:
    src = constant_model(tmp_path / "wide.onnx", yolov8_rows(5040, {}), input_size=(640, 384))
    models = tmp_path / "models"
    assert _add(models, src, "--name", "wide", "--layout", "yolov8") == 0
    assert load_manifest(models).get("wide").input_size == (640, 384)


def test_add_dynamic_graph_needs_input_size(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    src = constant_model(tmp_path / "dyn.onnx", yolov8_rows(8400, {}), dynamic=True)
    models = tmp_path / "models"
    assert _add(models, src, "--name", "dyn", "--layout", "yolov8") == 2
    assert "--input-size" in capsys.readouterr().err
    assert _add(models, src, "--name", "dyn", "--layout", "yolov8", "--input-size", "640",
                "640") == 0
    assert load_manifest(models).get("dyn").input_size == (640, 640)


def test_add_with_class_names_for_a_one_class_model(tmp_path: Path) -> None:
    out = np.zeros((1, 8400, 6), np.float32)
    src = constant_model(tmp_path / "p.onnx", out)
    models = tmp_path / "models"
    assert _add(models, src, "--name", "p", "--layout", "yolox-raw", "--classes", "person") == 0
    assert load_manifest(models).get("p").class_names == ["person"]


def test_add_refuses_a_duplicate_name_unless_replace(tmp_path: Path, exported: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "models"
    assert _add(models, exported, "--name", "tiny", "--layout", "yolov8") == 0
    assert _add(models, exported, "--name", "tiny", "--layout", "yolov8") == 2
    assert "already in the manifest" in capsys.readouterr().err
    other = constant_model(tmp_path / "other.onnx", yolo85_rows(8400, {}))
    assert _add(models, other, "--name", "tiny", "--layout", "yolox", "--replace") == 0
    manifest = load_manifest(models)
    assert manifest.names() == ["tiny"] and manifest.get("tiny").layout == "yolox"


def test_add_garbage_gives_a_message_not_a_traceback(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "garbage.onnx"
    bad.write_bytes(b"\x08\x01this is not a model" * 50)
    models = tmp_path / "models"
    assert _add(models, bad, "--name", "bad", "--layout", "yolov8") == 2
    err = capsys.readouterr().err
    assert err.startswith(f"frontdesk: {bad}: not a usable ONNX model")
    assert "Traceback" not in err
    assert not (models / "garbage.onnx").exists()  # nothing copied
    assert load_manifest(models).models == []


def test_add_ambiguous_auto_layout_says_what_to_choose(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    src = constant_model(tmp_path / "yx.onnx", yolo85_rows(8400, {}))
    assert _add(tmp_path / "models", src, "--name", "yx", "--layout", "auto") == 2
    err = capsys.readouterr().err
    assert "set the layout to yolox" in err and "yolox-raw" in err


def test_verify_reports_a_wrong_checksum_and_a_missing_file(
        tmp_path: Path, exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "models"
    assert _add(models, exported, "--name", "a", "--layout", "yolov8") == 0
    second = shutil.copy(exported, tmp_path / "second.onnx")
    assert _add(models, Path(second), "--name", "b", "--layout", "yolov8") == 0
    capsys.readouterr()
    with open(models / "tiny-v8.onnx", "ab") as f:
        f.write(b"\0")  # a changed file
    (models / "second.onnx").unlink()  # a lost file
    assert main(["models", "verify", "--models-dir", str(models)]) == 2
    captured = capsys.readouterr()
    assert "FAIL a:" in captured.out and "does not match its checksum" in captured.out
    assert "FAIL b:" in captured.out and "is missing" in captured.out
    assert "2 of 2 model(s) failed verification" in captured.err


def test_verify_load_catches_a_layout_that_no_longer_fits(
        tmp_path: Path, exported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "models"
    assert _add(models, exported, "--name", "a", "--layout", "yolov8") == 0
    manifest = load_manifest(models)
    wrong = manifest.get("a").model_copy(update={"layout": "yolox"})
    save_manifest(Manifest(models=[wrong]), models)
    assert main(["models", "verify", "--models-dir", str(models)]) == 0  # checksum still fine
    assert main(["models", "verify", "--load", "--models-dir", str(models)]) == 2
    assert "layout yolox" in capsys.readouterr().out


def test_verify_notes_onnx_files_not_in_the_manifest(tmp_path: Path, exported: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "models"
    models.mkdir()
    shutil.copy(exported, models / "stray.onnx")
    assert main(["models", "verify", "--models-dir", str(models)]) == 0
    assert "note stray.onnx: not in the manifest" in capsys.readouterr().out


def test_start_up_fails_loudly_on_a_missing_model(tmp_path: Path, exported: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    models = tmp_path / "models"
    assert _add(models, exported, "--name", "tiny", "--layout", "yolov8") == 0
    (models / "tiny-v8.onnx").unlink()
    cfg = DetectorsConfig.model_validate({"models_dir": str(models), "person": {"model": "tiny"}})
    with pytest.raises(ModelError, match="tiny-v8.onnx is missing"):
        build_person_detector(cfg)
    assert any(r.levelname == "ERROR" and "cannot start" in r.getMessage() for r in caplog.records)


def test_start_up_fails_on_a_changed_file(tmp_path: Path, exported: Path) -> None:
    models = tmp_path / "models"
    assert _add(models, exported, "--name", "tiny", "--layout", "yolov8") == 0
    (models / "tiny-v8.onnx").write_bytes(b"replaced")
    cfg = DetectorsConfig.model_validate({"models_dir": str(models), "person": {"model": "tiny"}})
    with pytest.raises(ModelError, match="does not match its checksum"):
        build_person_detector(cfg)


def test_start_up_fails_on_an_unknown_model_name(tmp_path: Path, exported: Path) -> None:
    models = tmp_path / "models"
    assert _add(models, exported, "--name", "tiny", "--layout", "yolov8") == 0
    cfg = DetectorsConfig.model_validate({"models_dir": str(models), "person": {"model": "big"}})
    with pytest.raises(ModelError, match=r"'big' is not in .*known: tiny"):
        build_person_detector(cfg)


def test_manifest_round_trip_keeps_the_header_and_every_field(tmp_path: Path) -> None:
    entry = ModelEntry(name="m", file="m.onnx", sha256="a" * 64, input_size=(640, 384),
                       layout="yolox-raw", licence="MIT", source="https://example.invalid",
                       class_names=["person", "bag"], channels="rgb", input_scale=1 / 255,
                       pad="center")
    path = save_manifest(Manifest(models=[entry]), tmp_path)
    assert path.read_text(encoding="utf-8").startswith("# frontdesk model manifest")
    again = load_manifest(tmp_path).get("m")
    assert again == entry
    assert again.preprocess.channels == "rgb" and again.preprocess.pad == "center"
    assert again.person_class_id == 0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("models: [{name: m, file: ../m.onnx, sha256: " + "a" * 64
         + ", input_size: [640, 640], layout: yolov8}]", "plain file name"),
        ("models: [{name: m, file: m.onnx, sha256: abc, input_size: [640, 640], "
         "layout: yolov8}]", "sha256"),
        ("models: [{name: m, file: m.onnx, sha256: " + "a" * 64
         + ", input_size: [640, 640], layout: yolov9}]", "layout"),
        ("models: [{name: m, file: m.onnx, sha256: " + "a" * 64
         + ", input_size: [640, 640], layout: yolov8, colour: rgb}]", "unknown key"),
        ("models: [", "not valid YAML"),
        ("- just a list", "mapping"),
    ],
)
def test_bad_manifest_is_a_model_error_naming_the_file(tmp_path: Path, text: str,
                                                       words: str) -> None:
    (tmp_path / "manifest.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as info:
        load_manifest(tmp_path)
    assert str(info.value).startswith(str(tmp_path / "manifest.yaml"))
    assert words in str(info.value)


def test_entry_without_person_class_is_refused() -> None:
    entry = ModelEntry(name="m", file="m.onnx", sha256="a" * 64, input_size=(640, 640),
                       layout="yolov8", class_names=["car", "bus"])
    with pytest.raises(ModelError, match="no 'person' class"):
        _ = entry.person_class_id


def test_entry_problem_is_none_for_a_good_file(tmp_path: Path, exported: Path) -> None:
    entry = ModelEntry(name="m", file=exported.name, sha256=sha256_file(exported),
                       input_size=(640, 640), layout="yolov8")
    assert entry_problem(entry, exported.parent) is None


@pytest.mark.parametrize(
    ("person", "words"),
    [
        ({"provider": "tpu"}, "provider"),
        ({"threads": 0}, "threads"),
        ({"confidence": 1.5}, "confidence"),
        ({"every_n_frames": 0}, "every_n_frames"),
        ({"model": "../x"}, "model"),
        ({"modle": "x"}, "unknown key"),
    ],
)
def test_detectors_config_is_validated_with_line_numbers(person: dict, words: str) -> None:
    import yaml

    from frontdesk.config import ConfigError, default_config_dict

    text = yaml.safe_dump(default_config_dict(detectors={"person": person}))
    with pytest.raises(ConfigError) as info:
        parse_config(text, "f.yaml")
    problem = info.value.problems[0]
    assert problem.startswith("f.yaml:") and "detectors.person" in problem and words in problem

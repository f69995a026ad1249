"""`frontdesk render-scene`, `eval --video` and `demo`, run as the CLI runs them."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import yaml
from render_helpers import tiny_scene

from frontdesk import demo_footage
from frontdesk.cli import main
from frontdesk.render.demo_scene import demo_scene_dict
from frontdesk.render.scene_file import render_scene_from_dict


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    scene = folder / "tiny.yaml"
    scene.write_text(yaml.safe_dump(tiny_scene()), encoding="utf-8")
    return folder / "tiny.mp4"


def test_render_scene_writes_the_clip_and_prints_its_truth(
        clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render-scene", str(clip.with_suffix(".yaml")), "--out", str(clip),
                 "--size", "800x450", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["clip"] == str(clip) and clip.is_file()
    assert Path(out["truth"]).is_file() and Path(out["config"]).is_file()
    assert out["size"] == [800, 450] and out["frames"] == 91
    (visit,) = out["visits"]
    assert visit["person"] == "bob" and visit["outcome"] == "interrupted"


def test_eval_video_runs_the_chain_and_scores_it(
        clip: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 800x450 from the test above: perception, the engine, the truth.
    obs = clip.with_name("obs.jsonl")
    assert main(["eval", "--video", str(clip), "--save-observations", str(obs), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["visits"] == 1 and figures["frames"] == 91
    assert len(obs.read_text().splitlines()) == 91
    # The saved observations are what `frontdesk eval DIR` reads back: same figures.
    truth = clip.with_name("tiny.truth.json")
    config = clip.with_name("tiny.config.yaml")
    assert main(["eval", str(clip.parent), "--observations", str(obs), "--truth", str(truth),
                 "--config", str(config), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["visits"], again["visits_matched"]) == (figures["visits"],
                                                          figures["visits_matched"])
    # Equal to the rounding of observations.jsonl (0.1 ms of video time).
    assert again["latency_error_s"]["p50"] == pytest.approx(figures["latency_error_s"]["p50"],
                                                            abs=1e-3)


def test_eval_wants_a_folder_or_a_video(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    assert main(["eval"]) == 2
    assert "give a run folder DIR, or --video CLIP" in capsys.readouterr().err
    assert main(["eval", str(tmp_path), "--video", "x.mp4"]) == 2
    assert "--video runs perception itself" in capsys.readouterr().err
    assert main(["eval", "--video", str(tmp_path / "none.mp4")]) == 2
    assert "no truth file" in capsys.readouterr().err


def test_render_scene_prints_the_demo_scene_and_names_bad_input(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["render-scene", "--print-demo"]) == 0
    assert yaml.safe_load(capsys.readouterr().out) == demo_scene_dict()
    bad = tmp_path / "bad.yaml"
    bad.write_text("people: [{id: x, role: visitor, path: []}]\n", encoding="utf-8")
    assert main(["render-scene", str(bad), "--out", str(tmp_path / "x.mp4")]) == 2
    assert "role must be staff or customer" in capsys.readouterr().err
    assert main(["render-scene", str(bad)]) == 2
    assert "--out" in capsys.readouterr().err


def test_demo_runs_the_pipeline_on_the_demo_footage_and_writes_a_report(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    # The real demo scene takes about a minute to render; the demo's wiring is the
    # same for a short scene (the full scene's story is checked in test_demo_scene.py).
    short = render_scene_from_dict(tiny_scene(8.0), "tiny")
    monkeypatch.setattr(demo_footage, "demo_render_scene", lambda name="counter": short)
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path))
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "rendering the demo footage 100 %" in out
    assert "customer_arrived" in out and "customer_acknowledged" in out
    # Each event is printed once: the runner's log line would repeat it.
    assert out.count("customer_arrived") == 1
    assert not [r for r in caplog.records if "customer_arrived" in r.getMessage()]
    assert "what really happened" in out and "bob" in out
    report = tmp_path / "demo-run" / "report.html"
    assert report.is_file() and "report written to" in out
    assert (tmp_path / "demo" / demo_footage.demo_clip_path().name).is_file()
    # A second run reuses the footage.
    made = demo_footage.demo_clip_path().stat().st_mtime_ns
    assert main(["demo"]) == 0
    assert "rendering the demo footage" not in capsys.readouterr().out
    assert demo_footage.demo_clip_path().stat().st_mtime_ns == made

"""Two cameras of one counter on the simulator (issue 17): `frontdesk simulate` writes
one run per camera and the truth of the cameras together; `frontdesk eval` fuses
the runs into one engine and scores it with the same figures as one camera's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from frontdesk.cli import main
from frontdesk.sim.truth import Truth

SCENE = Path(__file__).parent / "scenes" / "two_cameras_greeting.yaml"
ONE_CAMERA_KEYS = {"visits", "visits_matched", "engine_visits", "latency_error_s",
                   "within_0_25_s", "alert_precision", "alert_recall", "ack_precision",
                   "ack_recall", "escalation_precision", "escalation_recall"}


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["-q", *argv]) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for noise, seed in (("none", 0), ("realistic", 2), ("realistic", 7)):
        folder = tmp_path_factory.mktemp(f"{noise}{seed}")
        assert main(["-q", "simulate", "--scene", str(SCENE), "--noise", noise, "--seed",
                     str(seed), "--out", str(folder)]) == 0
        out[f"{noise}{seed}"] = folder
    return out


def test_the_truth_of_the_cameras_together_has_the_greeting_before_arrival(
        runs: dict[str, Path]) -> None:
    """Only the front camera sees the staff member look up the walkway: together, the
    greeting comes 0.8 s before the arrival; the side camera's own truth only has
    the second look, at the counter."""
    (together,) = Truth.load(runs["none0"] / "truth.json").visits
    (side,) = Truth.load(runs["none0"] / "side" / "truth.json").visits
    assert together.latency_s is not None and -1.2 < together.latency_s < -0.4
    assert side.latency_s is not None and side.latency_s > 5.0
    assert Truth.load(runs["none0"] / "front" / "truth.json").visits == []
    assert Truth.load(runs["none0"] / "truth.json").source["cameras"] == ["side", "front"]


@pytest.mark.parametrize("run", ["none0", "realistic2", "realistic7"])
def test_eval_scores_the_fused_cameras_with_one_cameras_figures(
        runs: dict[str, Path], run: str, capsys: pytest.CaptureFixture[str]) -> None:
    fused = _cli(capsys, "eval", str(runs[run]), "--json")
    assert set(fused) >= ONE_CAMERA_KEYS and fused["cameras"] == ["side", "front"]
    assert fused["visits_matched"] == fused["engine_visits"] == 1
    assert fused["ack_precision"] == fused["ack_recall"] == 1.0
    assert fused["latency_error_s"]["max"] <= 0.25  # the negative latency, measured
    # The side camera alone, scored against the same truth, misses the greeting
    alone = _cli(capsys, "eval", str(runs[run] / "side"), "--truth",
                 str(runs[run] / "truth.json"), "--json")
    assert alone["latency_error_s"]["max"] > 5.0


def test_a_camera_without_a_pose_or_another_counter_is_named(
        runs: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    folder = tmp_path / "copy"
    shutil.copytree(runs["none0"], folder)
    cfg_file = folder / "front" / "config.yaml"
    cfg = yaml.safe_load(cfg_file.read_text(encoding="utf-8"))
    cfg["counters"][0]["id"] = "counter-9"
    cfg_file.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    assert main(["eval", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "camera front sees counters counter-9" in err and "Traceback" not in err
    del cfg["camera"]["pose"]
    cfg_file.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    assert main(["eval", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "camera front has no camera.pose" in err and "Traceback" not in err
    assert main(["eval", str(folder), "--camera", "side"]) == 2
    assert "do not apply" in capsys.readouterr().err
    shutil.rmtree(folder / "front")
    assert main(["eval", str(folder)]) == 2
    assert "no config file for camera front" in capsys.readouterr().err


@pytest.mark.parametrize("dropped, at_s", [("side", 9.0), ("front", 5.0)])
def test_a_camera_dropped_mid_visit_keeps_the_visit(
        runs: dict[str, Path], dropped: str, at_s: float) -> None:
    """The realistic run with one camera's observations cut off mid-visit (the side
    camera at 9 s, the customer waiting at the counter; the front camera at 5 s,
    after the greeting it saw): still one visit, its greeting kept."""
    from itertools import takewhile

    from frontdesk.sim.evaluate import evaluate_cameras
    from frontdesk.sim.runs import load_camera_runs

    cams = load_camera_runs(runs["realistic7"])
    assert cams is not None
    streams = cams.observations()
    streams[dropped] = takewhile(lambda o: o.t < at_s, streams[dropped])
    figures = evaluate_cameras(cams.truth, cams.configs, streams)
    assert figures["visits_matched"] == figures["engine_visits"] == 1
    assert figures["ack_recall"] == 1.0
    assert figures["latency_error_s"]["max"] <= 0.25

"""One-camera commands on a config that lists several cameras: they take --camera ID,
use that camera's settings, and say so clearly when it is missing or unknown."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from skimage import data

from frontdesk.cli import main
from frontdesk.config import ConfigError, default_config_dict, load_camera_config


def _two_cameras(tmp_path: Path) -> Path:
    raw = default_config_dict()
    counter = raw.pop("counters")[0]
    raw["cameras"] = [
        {"id": "front", "camera": {"horizontal_fov_deg": 60},
         "counters": [dict(counter, id="front-desk")]},
        {"id": "back", "camera": {"horizontal_fov_deg": 110},
         "counters": [dict(counter, id="back-desk")],
         "engine": {"alert_after_s": 25}},
    ]
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_load_camera_config_cuts_the_named_camera(tmp_path: Path) -> None:
    path = _two_cameras(tmp_path)
    back = load_camera_config(path, "back")
    assert [c.id for c in back.counters] == ["back-desk"]
    assert back.camera.horizontal_fov_deg == 110 and back.engine.alert_after_s == 25
    assert back.camera_id == "back"
    with pytest.raises(ConfigError, match=r"several cameras \(front, back\).*--camera ID"):
        load_camera_config(path)
    unknown = r"--camera side: no such camera \(cameras: front, back\)"
    with pytest.raises(ConfigError, match=unknown):
        load_camera_config(path, "side")


def test_a_single_listed_camera_needs_no_flag_and_a_plain_config_takes_none(
    tmp_path: Path,
) -> None:
    raw = yaml.safe_load(_two_cameras(tmp_path).read_text(encoding="utf-8"))
    raw["cameras"] = raw["cameras"][:1]
    one = tmp_path / "one.yaml"
    one.write_text(yaml.safe_dump(raw), encoding="utf-8")
    assert [c.id for c in load_camera_config(one).counters] == ["front-desk"]

    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump(default_config_dict()), encoding="utf-8")
    assert load_camera_config(plain).camera_id is None
    with pytest.raises(ConfigError, match="the config has no cameras section"):
        load_camera_config(plain, "front")


def test_simulate_without_camera_says_which_to_choose_and_with_it_uses_that_camera(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _two_cameras(tmp_path)
    out = tmp_path / "run"
    assert main(["simulate", "--config", str(path), "--out", str(out), "--visits", "2"]) == 2
    err = capsys.readouterr().err
    assert "several cameras (front, back); say which one with --camera ID" in err
    assert "Traceback" not in err and not out.exists()

    assert main(["simulate", "--config", str(path), "--camera", "back", "--out", str(out),
                 "--visits", "2", "--seed", "4"]) == 0
    written = yaml.safe_load((out / "config.yaml").read_text(encoding="utf-8"))
    assert [c["id"] for c in written["counters"]] == ["back-desk"]
    assert written["engine"]["alert_after_s"] == 25
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert {v["counter_id"] for v in truth["visits"]} == {"back-desk"}


def test_inspect_takes_the_chosen_camera_lens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _two_cameras(tmp_path)
    image = tmp_path / "astronaut.png"
    cv2.imwrite(str(image), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    depth = {}
    for camera in ("front", "back"):
        assert main(["-q", "inspect", str(image), "--json", "--config", str(path),
                     "--camera", camera]) == 0
        record = json.loads(capsys.readouterr().out.strip().splitlines()[0])
        depth[camera] = record["faces"][0]["head_position_m"][2]
    # The same face through a 60-degree lens looks nearer-focal, so it is placed further
    # away than through a 110-degree one: f = (w/2) / tan(fov/2), distance grows with f.
    ratio = depth["front"] / depth["back"]
    expected = np.tan(np.radians(55)) / np.tan(np.radians(30))
    assert ratio == pytest.approx(expected, rel=0.1)


def test_eval_and_demo_name_the_missing_camera_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _two_cameras(tmp_path)
    run = tmp_path / "run"
    assert main(["simulate", "--config", str(path), "--camera", "front", "--out", str(run),
                 "--visits", "2"]) == 0
    capsys.readouterr()
    assert main(["eval", str(run), "--config", str(path)]) == 2
    assert "say which one with --camera ID" in capsys.readouterr().err
    assert main(["eval", str(run), "--config", str(path), "--camera", "front", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["visits"] == 2 and figures["visits_matched"] == 2
    assert main(["demo", "--config", str(path), "--out", str(tmp_path / "demo")]) == 2
    assert "say which one with --camera ID" in capsys.readouterr().err

"""`frontdesk calibrate snapshot`: perception and the engine on a real photo, overlays to a file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage import data
from web_scene import CONFIG_YAML

from frontdesk.cli import main
from frontdesk.web.overlay import ZONE_COLORS

# The astronaut portrait (scikit-image, public domain): her face is at about
# x 0.35..0.55, y 0.15..0.35 of the 512x512 image; the staff zone covers it.
STAFF_AROUND_THE_FACE = "staff: [[0.25, 0.05], [0.7, 0.05], [0.7, 0.5], [0.25, 0.5]]"


def test_snapshot_draws_the_live_view_overlays(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    photo = tmp_path / "counter.png"
    cv2.imwrite(str(photo), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    cfg = tmp_path / "frontdesk.yaml"
    text = CONFIG_YAML.replace("staff: [[0.0, 0.28], [0.39, 0.28], [0.39, 0.82], [0.0, 0.82]]",
                               STAFF_AROUND_THE_FACE)
    assert STAFF_AROUND_THE_FACE in text
    # the approach zone would lie inside that staff zone, which the config refuses
    text = text.replace("approach: [[0.55, 0.3], [0.74, 0.3], [0.74, 0.5], [0.55, 0.5]]",
                        "approach: null")
    cfg.write_text(text, encoding="utf-8")
    out = tmp_path / "snapshot.png"
    rc = main(["calibrate", "snapshot", "--config", str(cfg), "--source", str(photo),
               "--out", str(out), "--frames", "20"])
    printed = capsys.readouterr().out
    assert rc == 0, printed
    assert "20 frames, 1 face(s) in the last, 1 track(s)" in printed
    assert "counter-1: 0 waiting, staff present" in printed
    image = cv2.imread(str(out))
    original = cv2.imread(str(photo))
    assert image.shape == original.shape
    assert np.abs(image.astype(int) - original.astype(int)).max() > 100  # something drawn
    blue = np.abs(image.astype(int) - np.array(ZONE_COLORS["staff"])).max(axis=2) <= 20
    assert blue.sum() > 500  # the staff zone and the staff member's box


def test_snapshot_refuses_an_unknown_image_type(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "frontdesk.yaml"
    cfg.write_text(CONFIG_YAML, encoding="utf-8")
    photo = tmp_path / "counter.png"
    cv2.imwrite(str(photo), np.zeros((48, 64, 3), np.uint8))
    rc = main(["calibrate", "snapshot", "--config", str(cfg), "--source", str(photo),
               "--out", str(tmp_path / "out.gif"), "--frames", "1"])
    assert rc == 2
    assert "--out must end in .png or .jpg" in capsys.readouterr().err

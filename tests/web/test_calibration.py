"""Checkerboard intrinsics: OpenCV's own sample photos, boards rendered with a known camera,
and the `frontdesk calibrate` commands."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from web_scene import CONFIG_YAML, MULTI_CAMERA_YAML, render_board

from frontdesk.calibration import BoardSpec, calibrate_images, find_board, parse_board
from frontdesk.cli import main
from frontdesk.config import load_config
from frontdesk.errors import FrontdeskError
from frontdesk.web.config_file import backups_of

DATA = Path("/usr/share/doc/opencv-doc/examples/data")
LEFT = sorted(DATA.glob("left[0-9][0-9].jpg"))  # left01..left14 (no left10): 13 photos


def opencv_reference_fx() -> float:
    """fx that OpenCV's calibration sample computed for these photos (left_intrinsics.yml).

    It fixed the aspect ratio (fx = fy), so a free calibration should land within a
    fraction of a percent of it; 536 px at 640 px wide is a 61.7 degree lens.
    """
    fs = cv2.FileStorage(str(DATA / "left_intrinsics.yml"), cv2.FILE_STORAGE_READ)
    try:
        return float(fs.getNode("camera_matrix").mat()[0, 0])
    finally:
        fs.release()


def test_opencv_sample_photos() -> None:
    assert len(LEFT) == 13, "opencv-doc's left01..left14 photos are needed (apt install opencv-doc)"
    reference = opencv_reference_fx()
    assert 530 < reference < 542
    result = calibrate_images(LEFT, parse_board("9x6", 25))
    assert result.boards == 13 and result.missed == []
    assert abs(result.fx - reference) / reference < 0.02
    assert abs(result.fy - result.fx) / result.fx < 0.01  # square pixels
    assert abs(result.matrix[0][2] - 320) < 40 and abs(result.matrix[1][2] - 240) < 40
    assert result.rms_px < 0.6 and result.good
    assert result.size == (640, 480) and len(result.distortion) == 5
    assert 55 < result.horizontal_fov_deg < 68
    # left02 is the blurred one: OpenCV's sample also finds it the worst view
    assert max(result.per_view_rms_px) == result.per_view_rms_px[1]


def test_boards_rendered_with_a_known_camera(tmp_path: Path) -> None:
    fx, size = 900.0, (1280, 720)
    k = np.array([[fx, 0, 650.0], [0, fx, 350.0], [0, 0, 1]])
    board = BoardSpec(9, 6, 25.0)
    rng = np.random.default_rng(7)
    paths = []
    for i in range(9):
        rvec = np.array([rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(-0.3, 0.3)])
        tvec = np.array([rng.uniform(-150, 20), rng.uniform(-90, 0), rng.uniform(450, 700)])
        path = tmp_path / f"board{i}.png"
        cv2.imwrite(str(path), render_board(k, rvec, tvec, board, size))
        paths.append(path)
    result = calibrate_images(paths, board)
    assert result.boards == 9
    assert abs(result.fx - fx) / fx < 0.01 and abs(result.fy - fx) / fx < 0.01
    assert abs(result.matrix[0][2] - 650) < 10 and abs(result.matrix[1][2] - 350) < 10
    assert result.rms_px < 0.5
    assert math.isclose(result.horizontal_fov_deg,
                        math.degrees(2 * math.atan(640 / result.fx)), rel_tol=1e-9)


def test_too_few_boards_is_refused_with_advice(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640), 128, np.uint8))
    with pytest.raises(FrontdeskError) as exc:
        calibrate_images([*LEFT[:4], blank], parse_board("9x6"))
    message = str(exc.value)
    assert "found in 4 photos; calibration needs at least 5" in message
    assert "a 10x7-square board is 9x6" in message
    assert find_board(cv2.imread(str(blank)), parse_board("9x6")) is None
    with pytest.raises(FrontdeskError, match="found in 0 photos"):
        calibrate_images(LEFT[:5], parse_board("10x7"))  # counted squares, not corners


def test_photos_of_different_sizes_and_bad_arguments(tmp_path: Path) -> None:
    other = tmp_path / "other.png"
    cv2.imwrite(str(other), np.zeros((100, 200), np.uint8))
    with pytest.raises(FrontdeskError, match="200x100, but the first photo is 640x480"):
        calibrate_images([LEFT[0], other], parse_board("9x6"))
    with pytest.raises(FrontdeskError, match="cannot read this photo"):
        calibrate_images([tmp_path / "missing.jpg"], parse_board("9x6"))
    with pytest.raises(FrontdeskError, match="COLUMNSxROWS"):
        parse_board("9by6")
    with pytest.raises(FrontdeskError, match="positive number of millimetres"):
        parse_board("9x6", -1)


def test_intrinsics_command_writes_the_config(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "frontdesk.yaml"
    cfg.write_text(CONFIG_YAML, encoding="utf-8")
    rc = main(["calibrate", "intrinsics", *map(str, LEFT), "--board", "9x6",
               "--square-mm", "25", "--config", str(cfg), "--write"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "13 boards, RMS reprojection error 0.4" in out and "written to" in out
    camera = load_config(cfg).camera
    assert camera.matrix is not None and abs(camera.matrix[0][0] - opencv_reference_fx()) < 10
    assert camera.calibrated_size == (640, 480) and len(camera.distortion or []) == 5
    assert "# A 90 degree lens." in cfg.read_text()
    assert backups_of(cfg)[0].read_text() == CONFIG_YAML


def test_intrinsics_command_writes_into_the_chosen_camera_of_several(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "frontdesk.yaml"
    text = MULTI_CAMERA_YAML.replace("PORT", "8080")
    cfg.write_text(text, encoding="utf-8")
    args = ["calibrate", "intrinsics", *map(str, LEFT), "--config", str(cfg), "--write"]
    assert main(args) == 2  # which camera? asked before calibrating, nothing written
    assert "several cameras (front, pharmacy)" in capsys.readouterr().err
    assert cfg.read_text() == text
    assert main([*args, "--camera", "pharmacy"]) == 0
    config = load_config(cfg)
    front, pharmacy = (config.for_camera(c).camera for c in ("front", "pharmacy"))
    assert front.matrix is None and front.horizontal_fov_deg == 90
    assert pharmacy.matrix is not None and pharmacy.calibrated_size == (640, 480)
    assert abs(pharmacy.matrix[0][0] - opencv_reference_fx()) < 10
    assert "# Pharmacy staff." in cfg.read_text() and "# pharmacy lens" in cfg.read_text()


def test_intrinsics_command_refuses_too_few(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["calibrate", "intrinsics", *map(str, LEFT[:3])])
    assert rc == 2
    assert "found in 3 photos; calibration needs at least 5" in capsys.readouterr().err

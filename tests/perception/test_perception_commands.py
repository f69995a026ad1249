"""`frontdesk inspect` and `frontdesk bench perception`, run through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from frontdesk.cli import main
from frontdesk.commands.inspect import camera_and_perception
from frontdesk.sim.observations import observation_from_json

FACE_KEYS = {"bbox", "score", "yaw_deg", "pitch_deg", "roll_deg", "gaze", "head_position_m",
             "range_uncertainty", "appearance"}


def _write_clip(path: Path, frames: list[np.ndarray], fps: float) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened()
    for f in frames:
        writer.write(f)
    writer.release()
    return path


def test_inspect_image_json(tmp_path: Path, astronaut_bgr: np.ndarray,
                            capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "astronaut.png"
    cv2.imwrite(str(image), astronaut_bgr)
    assert main(["-q", "inspect", str(image), "--json", "--fov", "60"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    # occupancy: the presence stage's grid (perception.presence, on by default)
    assert set(record) == {"frame", "t", "faces", "width", "height", "occupancy"}
    assert record["frame"] == 0 and record["t"] == 0.0
    assert (record["width"], record["height"]) == astronaut_bgr.shape[1::-1]
    # The line is what `frontdesk eval` and `run --observations` read, no --size needed.
    assert observation_from_json(record).faces[0].bbox == tuple(record["faces"][0]["bbox"])
    (face,) = record["faces"]
    assert set(face) == FACE_KEYS
    assert 0.45 < face["head_position_m"][2] < 0.8  # as the 60 degree lens says
    # The clothes' colour signature (perception.presence.appearance): 28 shares, hex.
    assert len(bytes.fromhex(face["appearance"])) == 28
    assert face["gaze"][2] < -0.8


def test_inspect_fov_changes_the_distance(tmp_path: Path, astronaut_bgr: np.ndarray,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "astronaut.png"
    cv2.imwrite(str(image), astronaut_bgr)
    z = {}
    for fov in ("60", "90"):
        assert main(["-q", "inspect", str(image), "--json", "--fov", fov]) == 0
        z[fov] = json.loads(capsys.readouterr().out)["faces"][0]["head_position_m"][2]
    # focal length 443 px vs 256 px: the same face is 443/256 times further
    assert z["60"] / z["90"] == pytest.approx(443.4 / 256.0, rel=0.05)


def test_inspect_video_times_frames_from_the_file(tmp_path: Path, astronaut_bgr: np.ndarray,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    shifted = [np.roll(astronaut_bgr, 4 * i, axis=1) for i in range(3)]
    clip = _write_clip(tmp_path / "clip.avi", shifted, fps=10.0)
    assert main(["-q", "inspect", str(clip), "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["frame"] for r in records] == [0, 1, 2]
    assert [r["t"] for r in records] == pytest.approx([0.0, 0.1, 0.2], abs=1e-3)
    xs = [r["faces"][0]["bbox"][0] for r in records]
    assert xs[0] < xs[1] < xs[2]  # the face moves right by 4 px a frame


def test_inspect_readable_output(
    tmp_path: Path, astronaut_bgr: np.ndarray, coffee_bgr: np.ndarray,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "stills"
    folder.mkdir()
    cv2.imwrite(str(folder / "1.png"), astronaut_bgr)
    cv2.imwrite(str(folder / "2.png"), coffee_bgr)
    assert main(["-q", "inspect", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "frame 0" in out and "1 face" in out and "mesh" in out
    assert "frame 1" in out and "0 faces" in out


@pytest.mark.parametrize("content", [None, b"not a video at all"])
def test_inspect_missing_or_unreadable_file(tmp_path: Path, content: bytes | None,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "clip.mp4"
    if content is not None:
        path.write_bytes(content)
    assert main(["-q", "inspect", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "frontdesk:" in captured.err and "clip.mp4" in captured.err
    assert "Traceback" not in captured.err


def test_inspect_settings_from_a_config(tmp_path: Path) -> None:
    config = tmp_path / "frontdesk.yaml"
    config.write_text(
        "counters:\n"
        "  - id: c1\n"
        "    zones:\n"
        "      service: [[0.2, 0.3], [0.8, 0.3], [0.8, 0.8], [0.2, 0.8]]\n"
        "      staff: [[0, 0], [1, 0], [1, 0.3], [0, 0.3]]\n"
        "camera:\n"
        "  matrix: [[500, 0, 320], [0, 500, 240], [0, 0, 1]]\n"
        "perception:\n"
        "  max_faces: 2\n"
    )
    camera, perception = camera_and_perception(str(config), None)
    assert camera.matrix is not None and perception.max_faces == 2
    camera, _ = camera_and_perception(str(config), 75.0)
    assert camera.matrix is None and camera.horizontal_fov_deg == 75.0
    camera, perception = camera_and_perception(None, None)
    assert camera.horizontal_fov_deg == 90.0 and perception.max_faces == 6


def test_bench_perception_json(capsys: pytest.CaptureFixture[str]) -> None:
    # --no-pin: pinning would confine the whole test process to one core.
    assert main(["-q", "bench", "perception", "--frames", "3", "--json", "--no-pin"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["frames"] == 3 and (result["width"], result["height"]) == (640, 480)
    assert result["faces_per_frame"] == 2.0 and result["meshed_per_frame"] == 2.0
    assert list(result["stage_ms"]) == ["decode", "detect", "mesh", "pose"]
    assert all(v > 0 for v in result["stage_ms"].values())
    assert result["bare_total_ms"] > 0 and result["frontdesk_ms"] > 0
    assert result["overhead_ratio"] == pytest.approx(
        result["frontdesk_ms"] / result["bare_total_ms"], rel=1e-2
    )
    assert result["fps"] > 0 and result["cpu"] is None
    assert set(result["goals"]) == {
        "overhead <= 15%", "fps >= 30", "overhead <= 15% (CPU time)", "fps >= 30 (CPU time)"
    }
    assert result["overhead_ratio_cpu"] > 0 and result["fps_cpu"] > 0


def test_bench_needs_a_target(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["bench"])
    assert exc.value.code == 2
    assert "perception" in capsys.readouterr().err

"""Smaller messages a person reads: each says what is wrong, where, and never with a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from frontdesk.stderr_filter import is_noise

REPO = Path(__file__).resolve().parents[1]


def frontdesk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "frontdesk", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=env)


def test_inspect_on_a_file_that_is_no_image_fails(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.jpg"
    garbage.write_bytes(b"not an image")
    proc = frontdesk("inspect", str(garbage))
    assert proc.returncode == 2
    assert f"{garbage}: no image or video frame could be read from it" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_web_port_out_of_range_is_named_as_such() -> None:
    proc = frontdesk("run", "-c", str(REPO / "config" / "frontdesk.yaml"),
                     "--web", "127.0.0.1:99999", "--max-frames", "1")
    assert proc.returncode == 2
    assert "the port in '127.0.0.1:99999' must be 0 to 65535" in proc.stderr
    assert "must be HOST:PORT" not in proc.stderr


def test_native_library_chatter_is_recognised_and_nothing_else() -> None:
    noise = [
        "W0000 00:00:1796504127.569406    3402 inference_feedback_manager.cc:114] Feedback "
        "manager requires a model with a single signature inference.\n",
        "I0000 00:00:1796504127.5 3402 gl_context.cc:357] GL version: 3.2\n",
        "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n",
        "WARNING: All log messages before absl::InitializeLog() is called are written to "
        "STDERR\n",
        "[mpeg4 @ 0x55d5c0a1b2c0] ac-tex damaged at 12 30\n",
    ]
    kept = [
        "frontdesk: config error: shop.yaml:3: camera.source: nowhere.mp4 does not exist\n",
        "21:01:27 WARNING frontdesk.capture.base: rtsp://***@cam/: offline\n",
        "E0000 00:00:1796504127.5 3402 calculator_graph.cc:12] a real MediaPipe error\n",
        "Fatal Python error: Segmentation fault\n",
    ]
    assert all(is_noise(line) for line in noise)
    assert not any(is_noise(line) for line in kept)

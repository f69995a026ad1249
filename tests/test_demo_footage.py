"""Demo footage on first use: one cache for every folder, progress, and a prompt stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from frontdesk import demo_footage
from frontdesk.config import Config, default_config_dict
from frontdesk.web.hub import LiveHub

REPO = Path(__file__).resolve().parents[1]


def test_the_clip_lives_in_the_user_cache_shared_by_every_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONTDESK_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        monkeypatch.chdir(tmp_path / folder)
        assert demo_footage.demo_clip_path() == (
            tmp_path / "cache" / "frontdesk" / "demo" / f"counter.v{demo_footage.CLIP_VERSION}.mp4")
    # a clip an earlier version left in ./data/demo is used where it is
    legacy = Path("data") / "demo" / f"counter.v{demo_footage.CLIP_VERSION}.mp4"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"x")
    assert demo_footage.demo_clip_path() == legacy
    # FRONTDESK_DATA_DIR (the service, the tests) still decides when set
    monkeypatch.setenv("FRONTDESK_DATA_DIR", str(tmp_path / "data-dir"))
    assert demo_footage.demo_clip_path().parent == tmp_path / "data-dir" / "demo"


def test_the_web_ui_says_the_footage_is_being_rendered() -> None:
    hub = LiveHub(Config.model_validate(default_config_dict()))
    assert "preparing" not in hub.health()
    demo_footage._set_progress((225, 901))
    try:
        assert hub.health()["preparing"] == ("rendering the demo footage, 24 % "
                                             "(first use only)")
        assert hub.no_frame_reason() == ("no frame yet: rendering the demo footage, 24 % "
                                         "(first use only)")
    finally:
        demo_footage._set_progress(None)
    assert hub.no_frame_reason() == "no frame from the camera yet (is it online?)"


def test_sigterm_while_rendering_stops_at_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "FRONTDESK_DATA_DIR"}
    env.update(PYTHONPATH=str(REPO), XDG_CACHE_HOME=str(tmp_path / "cache"))
    proc = subprocess.Popen([sys.executable, "-m", "frontdesk", "demo", "--out",
                             str(tmp_path / "run")], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + 60
    for line in proc.stdout:  # the first progress line: rendering has started
        seen.append(line)
        if "rendering the demo footage" in line or time.monotonic() > deadline:
            break
    assert any("rendering the demo footage" in s for s in seen), seen
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    took = time.monotonic() - sent
    assert took < 5.0, took
    assert proc.returncode == 0, out
    assert "stopped by SIGTERM while rendering the demo footage" in out
    assert "Traceback" not in out
    clips = list((tmp_path / "cache" / "frontdesk" / "demo").glob("*.mp4"))
    assert clips == []  # no half clip left to be mistaken for a whole one

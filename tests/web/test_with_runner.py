"""The web UI on the real Runner: MediaPipe on a looping photo, frames and state over HTTP."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import httpx
import numpy as np
from skimage import data
from web_scene import CONFIG_YAML, ENV, PASSWORD

from frontdesk.config import load_config
from frontdesk.runner import Runner
from frontdesk.web import start_web


def test_live_view_from_the_real_runner(tmp_path: Path) -> None:
    photo = tmp_path / "counter.png"
    cv2.imwrite(str(photo), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    cfg_path = tmp_path / "frontdesk.yaml"
    cfg_path.write_text(CONFIG_YAML, encoding="utf-8")
    config = load_config(cfg_path)
    runner = Runner(config, source=str(photo), loop=True, use_store=False, use_mqtt=False)
    web = start_web(runner, config, config_path=str(cfg_path), env=ENV)
    loop = threading.Thread(target=runner.run, daemon=True)
    loop.start()
    try:
        auth = {"Authorization": f"Bearer {PASSWORD}"}
        with httpx.Client(base_url=web.url, headers=auth, timeout=10.0) as c:
            deadline = time.monotonic() + 30
            while c.get("/healthz").json()["frames"] < 3 and time.monotonic() < deadline:
                time.sleep(0.2)
            health = c.get("/healthz").json()
            assert health["frames"] >= 3 and health["camera"] == "online"
            frame = c.get("/api/frame.jpg")
            assert frame.status_code == 200 and frame.headers["content-type"] == "image/jpeg"
            image = cv2.imdecode(np.frombuffer(frame.content, np.uint8), cv2.IMREAD_COLOR)
            assert image.shape == (512, 512, 3)
            state = c.get("/api/state").json()
            assert state["counters"][0]["counter_id"] == "counter-1"
            placement = c.get("/api/placement").json()
            assert placement["frames"] >= 3
    finally:
        runner.stop()
        loop.join(15)
        web.stop()
    assert not loop.is_alive()

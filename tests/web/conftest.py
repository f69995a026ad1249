"""Fixtures for the web UI: a config file, a stand-in runner, a real server, a real browser.

* ``config_path`` / ``config``: ``web_scene.CONFIG_YAML`` (with comments) in a temp dir.
* ``runner``: :class:`web_scene.StandInRunner` on that config (real Engine, no camera).
* ``server``: ``start_web`` on 127.0.0.1, a free port, password required.
* ``browser``: Debian's chromium driven by Playwright (one per session).
* ``screenshot_dir``: ``$FRONTDESK_WEB_SCREENSHOTS`` when set (to look at them), else a temp dir.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_scene import CONFIG_YAML, ENV, StandInRunner

from frontdesk.config import Config, load_config
from frontdesk.web.server import WebServer, start_web

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "frontdesk.yaml"
    path.write_text(CONFIG_YAML, encoding="utf-8")
    return path


@pytest.fixture
def config(config_path: Path) -> Config:
    return load_config(config_path)


@pytest.fixture
def runner(config: Config) -> StandInRunner:
    return StandInRunner(config)


@pytest.fixture
def server(runner: StandInRunner, config: Config, config_path: Path,
           tmp_path: Path) -> Iterator[WebServer]:
    reports = tmp_path / "reports"
    reports.mkdir()
    cfg = config.model_copy(update={
        "web": config.web.model_copy(update={"reports_dir": str(reports)}),
        "store": config.store.model_copy(update={"path": str(tmp_path / "visits.db")}),
    })
    web = start_web(runner, cfg, config_path=str(config_path), env=ENV)
    yield web
    web.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    yield pg
    context.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("FRONTDESK_WEB_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


"""Fixtures for the rendered-footage tests.

Scenes are rendered at test time from the scene files in ``tests/scenes/`` into
a temporary folder, once per session; nothing rendered is committed.
``e2e_results`` renders a scene, runs the real perception and engine over the
clip and scores them against the truth, caching the result per scene so the
suite-wide figures reuse the per-scene runs; ``scene_dict_results`` does the same
for scenes built in the tests (the fairness matrix's variants).

``FRONTDESK_TEST_GATING=0`` runs every scene with ``perception.gating`` off,
``FRONTDESK_TEST_GATING=1`` with it on (the scenes' configs have the default, on):
the same scenes must pass both ways (docs/performance.md, "Gated perception (issue
19)" and "Issue 19, third pass").
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from render_helpers import SCENE_FILES, SCENES_DIR, SceneRun

PREFETCH = 2
"""Scenes rendered ahead, in a process of their own, while this one perceives the
current scene (with at least two cores): rendering is about 60 % of the suite's
time, and the two overlap."""


@pytest.fixture(scope="session")
def e2e_results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], SceneRun]]:
    """``run(name)``: the end-to-end result of ``tests/scenes/NAME.yaml`` (cached per
    session). The next :data:`PREFETCH` scenes in file order are rendered meanwhile in
    a spawned process (the tests run in that order), so that rendering and perception
    share the two cores; the results are the same as rendering inline (the renderer
    is seeded by the scene)."""
    from frontdesk.render.clip import render_scene_file
    from frontdesk.render.scene_file import load_render_scene

    out = tmp_path_factory.mktemp("rendered")
    cache: dict[str, SceneRun] = {}
    names = [f.stem for f in SCENE_FILES]
    pool = (ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            if (os.cpu_count() or 1) >= 2 else None)
    rendering: dict[str, Future[Any]] = {}

    def prefetch(after: str) -> None:
        if pool is None or after not in names:
            return
        i = names.index(after)
        for name in names[i + 1:i + 1 + PREFETCH]:
            if name not in cache and name not in rendering:
                # a function of the package, not of this conftest: the spawned process
                # imports it by its module's name, and "conftest" is ambiguous there
                rendering[name] = pool.submit(render_scene_file, SCENES_DIR / f"{name}.yaml",
                                              out / f"{name}.mp4")

    def run(name: str) -> SceneRun:
        if name not in cache:
            future = rendering.pop(name, None)
            prefetch(name)
            rendered = future.result() if future is not None else None
            rs = load_render_scene(SCENES_DIR / f"{name}.yaml")
            cache[name] = run_render_scene(rs, name, out, rendered)
        return cache[name]

    yield run
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def greeting_clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The two-camera greeting scene (``tests/scenes/two_cameras/``) rendered once per
    session by ``render-scene``: its folder and what the command printed. Read-only
    for the tests of one counter's two cameras, live and over the broker."""
    from fusion_run_helpers import GREETING

    from frontdesk.cli import main

    out = tmp_path_factory.mktemp("two-camera-greeting") / "out"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["-q", "render-scene", str(GREETING), "--out", str(out), "--json"]) == 0
    return out, json.loads(buf.getvalue())


@pytest.fixture(scope="session")
def scene_dict_results(tmp_path_factory: pytest.TempPathFactory
                       ) -> Callable[[str, dict[str, Any]], SceneRun]:
    """``run(name, data)``: the end-to-end result of a scene given as a parsed scene file
    (cached per session by ``name``)."""
    from frontdesk.render.scene_file import render_scene_from_dict

    out = tmp_path_factory.mktemp("rendered-variants")
    cache: dict[str, SceneRun] = {}

    def run(name: str, data: dict[str, Any]) -> SceneRun:
        if name not in cache:
            cache[name] = run_render_scene(render_scene_from_dict(data, name), name, out)
        return cache[name]

    return run


def run_render_scene(rs: Any, name: str, out: Path, rendered: Any = None) -> SceneRun:
    """Render ``rs`` (unless ``rendered``, its :func:`render_clip` result, is given), run
    the real perception and engine over the clip, score against the truth."""
    from frontdesk.config import load_config
    from frontdesk.render.clip import render_clip
    from frontdesk.render.evaluate import evaluate_observations, perceive_clip

    result = rendered if rendered is not None else render_clip(rs, out / f"{name}.mp4")
    config = with_test_gating(load_config(result.files.config))
    perception = perceive_clip(result.files.video, config)
    figures = evaluate_observations(perception.observations, result.truth, config)
    details = figures.pop("details")
    return SceneRun(name, rs.expect, result.truth, figures, details, result.frames,
                    result.seconds, perception.seconds)


def with_test_gating(config: Any) -> Any:
    """``config`` with ``perception.gating`` on when ``FRONTDESK_TEST_GATING=1``, off
    when ``0``, as the scene's config has it (the default) otherwise."""
    wanted = os.environ.get("FRONTDESK_TEST_GATING")
    if wanted not in ("0", "1"):
        return config
    gating = config.perception.gating.model_copy(update={"enabled": wanted == "1"})
    return config.model_copy(update={
        "perception": config.perception.model_copy(update={"gating": gating})})

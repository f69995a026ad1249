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
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from render_helpers import SCENE_FILES, SCENES_DIR, RenderAhead, SceneRun

PREFETCH = 2
"""Scenes rendered ahead (:class:`~render_helpers.RenderAhead`) while this process
perceives the current one: rendering is about 60 % of the suite's time, and the two
overlap on two cores."""


@pytest.fixture(scope="session")
def render_ahead() -> Iterator[RenderAhead]:
    """The session's one :class:`RenderAhead` (the end-to-end scenes, the fairness
    matrix and the gated clips queue their renders on it)."""
    ahead = RenderAhead()
    yield ahead
    ahead.close()


@pytest.fixture(scope="session")
def e2e_results(tmp_path_factory: pytest.TempPathFactory, render_ahead: RenderAhead
                ) -> Callable[[str], SceneRun]:
    """``run(name)``: the end-to-end result of ``tests/scenes/NAME.yaml`` (cached per
    session). The next :data:`PREFETCH` scenes in file order are rendered meanwhile
    (:class:`RenderAhead`; the tests run in that order)."""
    from frontdesk.render.clip import render_scene_file
    from frontdesk.render.scene_file import load_render_scene

    out = tmp_path_factory.mktemp("rendered")
    cache: dict[str, SceneRun] = {}
    names = [f.stem for f in SCENE_FILES]

    def run(name: str) -> SceneRun:
        if name not in cache:
            rendered = render_ahead.take(name)
            i = names.index(name)
            for after in names[i + 1:i + 1 + PREFETCH]:
                if after not in cache:
                    render_ahead.submit(after, render_scene_file, SCENES_DIR / f"{after}.yaml",
                                        out / f"{after}.mp4")
            rs = load_render_scene(SCENES_DIR / f"{name}.yaml")
            cache[name] = run_render_scene(rs, name, out, rendered)
        return cache[name]

    return run


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
def scene_dict_results(tmp_path_factory: pytest.TempPathFactory, render_ahead: RenderAhead
                       ) -> Callable[..., SceneRun]:
    """``run(name, data, upcoming=())``: the end-to-end result of a scene given as a
    parsed scene file (cached per session by ``name``); ``upcoming``, the (name, data)
    of scenes the next tests will ask for, are rendered meanwhile
    (:class:`RenderAhead`)."""
    from frontdesk.render.clip import render_scene_data
    from frontdesk.render.scene_file import render_scene_from_dict

    out = tmp_path_factory.mktemp("rendered-variants")
    cache: dict[str, SceneRun] = {}

    def run(name: str, data: dict[str, Any],
            upcoming: Sequence[tuple[str, dict[str, Any]]] = ()) -> SceneRun:
        if name not in cache:
            rendered = render_ahead.take(f"dict:{name}")
            for after, after_data in upcoming[:PREFETCH]:
                if after not in cache:
                    render_ahead.submit(f"dict:{after}", render_scene_data, after_data, after,
                                        out / f"{after}.mp4")
            cache[name] = run_render_scene(render_scene_from_dict(data, name), name, out,
                                           rendered)
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

"""Fixtures for the rendered-footage tests.

Scenes are rendered at test time from the scene files in ``tests/scenes/`` into
a temporary folder, once per session; nothing rendered is committed.
``e2e_results`` renders a scene, runs the real perception and engine over the
clip and scores them against the truth, caching the result per scene so the
suite-wide figures reuse the per-scene runs.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from render_helpers import SCENES_DIR, SceneRun


@pytest.fixture(scope="session")
def e2e_results(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], SceneRun]:
    """``run(name)``: the end-to-end result of ``tests/scenes/NAME.yaml`` (cached per session)."""
    from frontdesk.config import load_config
    from frontdesk.render.clip import render_clip
    from frontdesk.render.evaluate import evaluate_observations, perceive_clip
    from frontdesk.render.scene_file import load_render_scene

    out = tmp_path_factory.mktemp("rendered")
    cache: dict[str, SceneRun] = {}

    def run(name: str) -> SceneRun:
        if name not in cache:
            rs = load_render_scene(SCENES_DIR / f"{name}.yaml")
            result = render_clip(rs, out / f"{name}.mp4")
            config = load_config(result.files.config)
            perception = perceive_clip(result.files.video, config)
            figures = evaluate_observations(perception.observations, result.truth, config)
            details = figures.pop("details")
            cache[name] = SceneRun(name, rs.expect, result.truth, figures, details, result.frames,
                                   result.seconds, perception.seconds)
        return cache[name]

    return run

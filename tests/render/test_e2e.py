"""End to end on rendered footage: render each scene, run the real perception and
engine, and compare with the scene's ground truth.

Per scene (``render_helpers.end_to_end_failures``): the truth tells the story
the scene file's ``expect:`` describes (a check on the scene itself); every true
visit is found and no other; each engine latency is within
``LATENCY_TOLERANCE_S`` (0.5 s) of the truth; the alert is raised exactly when
the truth says it is due. Over the whole suite: the
latency error's median and 95th percentile, and alert precision and recall,
against the targets in docs/performance.md ("End-to-end (rendered footage)").

Slow (about three minutes on two busy cores); run serially, each scene
rendered once per session (``e2e_results`` in conftest.py).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from render_helpers import SCENE_FILES, SceneRun, end_to_end_failures

pytestmark = pytest.mark.slow

TARGET_P50_S = 0.2
TARGET_P95_S = 0.5

KNOWN_GAPS: dict[str, str] = {}
"""Scenes that fail for a known cause, marked strict xfail (they fail the run the day
they pass), and left out of the suite-wide figures until then. ``two_customers``
was one until detection also ran on square tiles (perception.detection_tiles;
docs/rendering.md); ``queue_three`` until it also ran on small windows over the
approach zone (perception.approach_zoom: the third in the queue, a 25 px face
beside another, was found on no frame-high tile). The issue-14 scenes measure
what a face lost for seconds, small faces and a darker skin in dim light do to
the engine (docs/performance.md, "Issue 14 scenes")."""


def _scene_params() -> list:
    params = []
    for f in SCENE_FILES:
        marks = []
        if f.stem in KNOWN_GAPS:
            marks.append(pytest.mark.xfail(reason=KNOWN_GAPS[f.stem], strict=True))
        params.append(pytest.param(f.stem, marks=marks, id=f.stem))
    return params


@pytest.mark.parametrize("name", _scene_params())
def test_scene_end_to_end(name: str, e2e_results: Callable[[str], SceneRun]) -> None:
    run = e2e_results(name)
    failures = end_to_end_failures(run)
    assert not failures, "; ".join(failures)


def test_suite_meets_the_accuracy_targets(e2e_results: Callable[[str], SceneRun]) -> None:
    """Over every scene but the known gaps: all visits found, latency error p50/p95, alert
    precision/recall."""
    runs = [e2e_results(f.stem) for f in SCENE_FILES if f.stem not in KNOWN_GAPS]
    assert len(runs) >= 10
    visits = sum(r.figures["visits"] for r in runs)
    matched = sum(r.figures["visits_matched"] for r in runs)
    assert matched == visits, f"{visits - matched} of {visits} true visits not found"
    errors = np.abs([row["latency_error_s"] for r in runs for row in r.details
                     if row.get("latency_error_s") is not None])
    with_latency = sum(r.figures["visits_with_latency"] for r in runs)
    assert with_latency >= 10 and len(errors) >= with_latency - 1
    p50, p95 = float(np.percentile(errors, 50)), float(np.percentile(errors, 95))
    assert p50 <= TARGET_P50_S, f"latency error p50 {p50:.3f} s"
    assert p95 <= TARGET_P95_S, f"latency error p95 {p95:.3f} s"
    tp = fp = fn = 0
    for r in runs:
        for row in r.details:
            truth, engine = row["truth"], row["engine"]
            due = None if truth is None else truth["alert"]
            raised = bool(engine and engine["alert"])
            if due is None and truth is not None:
                continue
            tp += int(bool(due) and raised)
            fp += int(not due and raised)
            fn += int(bool(due) and not raised)
    assert tp >= 3, f"only {tp} alerts due in the suite"
    # Staff context of the alerts both sides raised: the engine's against the truth's.
    contexts = [(row["truth"].get("context"), row["engine"].get("context"))
                for r in runs for row in r.details
                if row["truth"] and row["engine"] and row["truth"]["alert"]
                and row["engine"]["alert"]]
    right = sum(1 for t, e in contexts if t == e)
    print(f"\nstaff context of the alerts: {right} of {len(contexts)} right: "
          + ", ".join(f"{t}->{e}" for t, e in contexts))
    print(f"end-to-end over {len(runs)} scenes: {matched}/{visits} visits found, latency error "
          f"p50 {p50:.3f} s p95 {p95:.3f} s max {errors.max():.3f} s over {len(errors)} of "
          f"{with_latency} visits with a latency, alerts {tp} right {fp} false {fn} missed, "
          f"render {sum(r.render_s for r in runs):.0f} s, perception "
          f"{sum(r.perception_s for r in runs):.0f} s for {sum(r.frames for r in runs)} frames")
    assert fp == 0 and fn == 0, f"alerts: {tp} right, {fp} false, {fn} missed"

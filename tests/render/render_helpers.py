"""Shared pieces of the rendered-footage tests (a module of its own, so test files can
import them whatever order pytest loads the suite's conftest files in)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SCENES_DIR", "SCENE_FILES", "LATENCY_TOLERANCE_S", "SceneRun", "RenderAhead",
           "tiny_scene", "end_to_end_failures"]

SCENES_DIR = Path(__file__).resolve().parents[1] / "scenes"
SCENE_FILES = sorted(SCENES_DIR.glob("*.yaml"))

LATENCY_TOLERANCE_S = 0.5
"""Largest acknowledgement-latency error accepted for any one visit (the suite's p95 target)."""


@dataclass
class SceneRun:
    """One scene rendered and evaluated end to end."""

    name: str
    expect: dict[str, Any]
    truth: Any
    figures: dict[str, Any]
    details: list[dict[str, Any]]
    frames: int
    render_s: float
    perception_s: float


class RenderAhead:
    """Clips rendered ahead in one spawned process while this process perceives
    others (with at least two cores; with one, nothing is rendered ahead and
    :meth:`take` gives None). Results are the same as rendering inline: the
    renderer is seeded by the scene."""

    def __init__(self) -> None:
        self.pool = (ProcessPoolExecutor(max_workers=1,
                                         mp_context=multiprocessing.get_context("spawn"))
                     if (os.cpu_count() or 1) >= 2 else None)
        self.pending: dict[str, Future[Any]] = {}

    def submit(self, key: str, render: Callable[..., Any], *args: Any) -> None:
        """Render ``render(*args)`` ahead under ``key`` (a function of the package, not
        of a conftest: the spawned process imports it by its module's name)."""
        if self.pool is not None and key not in self.pending:
            self.pending[key] = self.pool.submit(render, *args)

    def take(self, key: str) -> Any:
        """The result rendered ahead under ``key`` (waiting for it), or None."""
        future = self.pending.pop(key, None)
        return None if future is None else future.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def tiny_scene(duration_s: float = 6.0, size: tuple[int, int] = (640, 360)) -> dict[str, Any]:
    """A short scene for fast tests: a customer at the counter, looked at from t = 3 s."""
    return {
        "render": {"size": list(size), "fps": 15, "seed": 1},
        "duration_s": duration_s,
        "people": [
            {"id": "anna", "role": "staff",
             "path": [{"t": 0, "at": "staff"}, {"t": duration_s, "at": "staff"}],
             "gaze": [{"t": 0, "till": True}, {"t": 3.0, "person": "bob", "turn_s": 0.3},
                      {"t": 4.5, "till": True}]},
            {"id": "bob", "role": "customer",
             "path": [{"t": 0.3, "at": [-0.6, 0.62, 1.7]}, {"t": 0.9, "at": "service"},
                      {"t": duration_s, "at": "service"}],
             "gaze": [{"t": 0.3, "person": "anna", "turn_s": 0.4}]},
        ],
    }


def _truth_story_failures(run: SceneRun) -> list[str]:
    """Where the truth does not tell the story the scene's ``expect:`` describes."""
    expect = run.expect
    visits = sorted(run.truth.visits, key=lambda v: v.first_seen_t)
    if len(visits) != expect["visits"]:
        return [f"{run.name}: the truth has {len(visits)} visits, the scene expects "
                f"{expect['visits']}"]
    out = []
    latencies = [v.latency_s for v in visits if v.latency_s is not None]
    if len(latencies) != len(expect["latency_s"]):
        out.append(f"{run.name}: the truth has {len(latencies)} latencies, the scene expects "
                   f"{len(expect['latency_s'])}")
    for lat, (lo, hi) in zip(latencies, expect["latency_s"], strict=False):
        if not lo <= lat <= hi:
            out.append(f"{run.name}: true latency {lat:.2f} s outside [{lo}, {hi}]")
    alerts = sum(1 for v in visits if v.alert is True)
    if alerts != expect["alerts"]:
        out.append(f"{run.name}: the truth has {alerts} alerts, the scene expects "
                   f"{expect['alerts']}")
    if "context" in expect:  # the staff context of each wait beyond the target
        contexts = [v.context for v in visits if v.alert is True]
        if contexts != expect["context"]:
            out.append(f"{run.name}: the truth's late waits have staff context {contexts}, the "
                       f"scene expects {expect['context']}")
    if "abandoned" in expect:
        abandoned = sum(1 for v in visits if v.outcome == "abandoned")
        if abandoned != expect["abandoned"]:
            out.append(f"{run.name}: {abandoned} abandoned, the scene expects "
                       f"{expect['abandoned']}")
    return out


def end_to_end_failures(run: SceneRun) -> list[str]:
    """Every way ``run`` breaks the end-to-end rules (empty: it passes).

    The truth tells the story the scene file's ``expect:`` describes (a check on
    the scene itself); every true visit is found and no other; each engine
    latency is within :data:`LATENCY_TOLERANCE_S` of the truth; the alert is
    raised exactly when the truth says it is due.
    """
    out = _truth_story_failures(run)
    fig = run.figures
    name = run.name
    if fig["frames"] != run.frames:
        out.append(f"{name}: {fig['frames']} frames scored of {run.frames}")
    if fig["visits_matched"] != fig["visits"]:
        out.append(f"{name}: {fig['visits'] - fig['visits_matched']} of {fig['visits']} true "
                   f"visits not found")
    if fig["engine_visits"] != fig["visits"]:
        out.append(f"{name}: the engine made {fig['engine_visits']} visits for "
                   f"{fig['visits']} true ones")
    for row in run.details:
        truth, engine = row["truth"], row["engine"]
        if truth is None or engine is None:
            continue
        who = truth["person"]
        if (engine["latency_s"] is None) != (truth["latency_s"] is None):
            out.append(f"{name}/{who}: true latency {truth['latency_s']}, engine "
                       f"{engine['latency_s']}")
        elif truth["latency_s"] is not None and abs(row["latency_error_s"]) > LATENCY_TOLERANCE_S:
            out.append(f"{name}/{who}: latency error {row['latency_error_s']:+.2f} s")
        if truth["alert"] is not None and engine["alert"] != truth["alert"]:
            out.append(f"{name}/{who}: alert {engine['alert']}, due {truth['alert']}")
        if "context" in run.expect and truth["alert"] and engine.get("context") != \
                truth.get("context"):
            out.append(f"{name}/{who}: staff context {engine.get('context')}, truly "
                       f"{truth.get('context')}")
    return out

"""Shared pieces of the rendered-footage tests (a module of its own, so test files can
import them whatever order pytest loads the suite's conftest files in)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["SCENES_DIR", "SCENE_FILES", "SceneRun", "tiny_scene"]

SCENES_DIR = Path(__file__).resolve().parents[1] / "scenes"
SCENE_FILES = sorted(SCENES_DIR.glob("*.yaml"))


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

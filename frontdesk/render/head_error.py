"""How far perception places heads from where the renderer put them, with and without
the camera's pose (the head-height prior, :mod:`frontdesk.perception.height_prior`).

For each scene: render it once (:func:`~frontdesk.render.clip.render_clip`, whose
config carries the renderer's camera pose), run perception over the clip twice,
with that pose and with ``camera.pose`` removed, and score both runs end to end
(:func:`~frontdesk.render.evaluate.evaluate_observations`). The head error of a
face is the distance between its ``head_position_m`` and the true head (the
scene's path at the frame's time, in the camera frame), for each person whose
projected head lies inside a detected face's box.

::

    python -m frontdesk.render.head_error tests/scenes/dark_skin_dim_ack.yaml \\
        --cells tests/scenes/fairness/counter_ack.yaml --out runs/head-error

``--cells BASE --person ID`` adds the fairness matrix of ``tests/render/test_fairness.py``:
``BASE`` with person ``ID``'s skin tone set to light, medium and dark, under normal
and dim light. One JSON line per scene and run; a Markdown table at the end.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from frontdesk.config import Config
from frontdesk.render.scene_file import RenderScene, render_scene_from_dict
from frontdesk.types import FrameObservation
from frontdesk.yaml_io import load_yaml

__all__ = ["head_errors_m", "measure_scene", "main"]

TONES = ("light", "medium", "dark")
LEVELS = ("normal", "dim")


def head_errors_m(rs: RenderScene, observations: list[FrameObservation]) -> dict[str, list[float]]:
    """Per person, the head-position error (m) of the face found over their true head."""
    scene = rs.scene
    camera = scene.layout.camera
    out: dict[str, list[float]] = {p.id: [] for p in scene.people}
    for obs in observations:
        if not obs.faces:
            continue
        t = np.array([obs.t])
        for person in scene.people:
            if not person.path.present(t)[0]:
                continue
            head_world = person.path.position(t)
            head_cam = camera.to_camera(head_world)[0]
            if head_cam[2] <= 0:
                continue
            u, v = scene.layout.project_world(head_world)[0]
            inside = [f for f in obs.faces
                      if f.bbox[0] <= u <= f.bbox[2] and f.bbox[1] <= v <= f.bbox[3]]
            if not inside:
                continue
            face = min(inside, key=lambda f: (f.center_px[0] - u) ** 2 + (f.center_px[1] - v) ** 2)
            out[person.id].append(float(np.linalg.norm(face.head_position_m - head_cam)))
    return out


def _without_pose(config: Config) -> Config:
    return config.model_copy(update={"camera": config.camera.model_copy(update={"pose": None})})


@dataclass
class SceneFigures:
    scene: str
    run: str
    latency_error_s: list[float]
    passed_visits: str
    head_error_p50_m: float | None
    head_error_p95_m: float | None
    faces: int

    def to_json(self) -> dict[str, Any]:
        return self.__dict__


def _figures(name: str, run: str, rs: RenderScene, observations: list[FrameObservation],
             config: Config, truth: Any) -> SceneFigures:
    from frontdesk.render.evaluate import evaluate_observations

    figures = evaluate_observations(observations, truth, config)
    errors = [e for v in head_errors_m(rs, observations).values() for e in v]
    latency = [round(float(d["latency_error_s"]), 3) for d in figures.get("details", [])
               if d.get("latency_error_s") is not None]
    p50 = round(float(np.percentile(errors, 50)), 3) if errors else None
    p95 = round(float(np.percentile(errors, 95)), 3) if errors else None
    return SceneFigures(name, run, latency,
                        f"{figures['visits_matched']}/{figures['visits']} "
                        f"(engine {figures['engine_visits']})", p50, p95, len(errors))


def measure_scene(name: str, data: dict[str, Any], out_dir: Path) -> list[SceneFigures]:
    """Render ``data`` once; perceive and score it with and without the camera's pose."""
    from frontdesk.render.clip import render_clip, scene_config
    from frontdesk.render.evaluate import perceive_clip

    rs = render_scene_from_dict(data, name)
    result = render_clip(rs, out_dir / f"{name}.mp4")
    with_pose = scene_config(rs)
    runs = []
    for run, config in (("no pose", _without_pose(with_pose)), ("pose", with_pose)):
        observations = perceive_clip(result.files.video, config).observations
        runs.append(_figures(name, run, rs, observations, config, result.truth))
    return runs


def _cells(base: Path, person: str) -> list[tuple[str, dict[str, Any]]]:
    raw = load_yaml(base, "scene file")
    cells = []
    for tone in TONES:
        for level in LEVELS:
            data = copy.deepcopy(raw)
            data.setdefault("render", {})["lighting"] = {"level": level}
            for p in data["people"]:
                if p["id"] == person:
                    p["look"] = {**p.get("look", {}), "tone": tone}
            cells.append((f"{base.stem}-{tone}-{level}", data))
    return cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m frontdesk.render.head_error",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("scenes", nargs="*", help="scene files")
    parser.add_argument("--cells", help="a scene to expand into the fairness matrix")
    parser.add_argument("--person", default="fay", help="with --cells: whose tone varies")
    parser.add_argument("--out", required=True, help="folder for the clips")
    args = parser.parse_args(argv)
    todo = [(Path(s).stem, load_yaml(Path(s), "scene file")) for s in args.scenes]
    if args.cells:
        todo += _cells(Path(args.cells), args.person)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for name, data in todo:
        for fig in measure_scene(name, data, out):
            print(json.dumps(fig.to_json()), flush=True)
            rows.append(fig)
    print("| scene | run | visits matched | latency error s | head error p50 / p95 m "
          "| face readings |")
    print("|---|---|---|---|---|---|")
    for f in rows:
        print(f"| {f.scene} | {f.run} | {f.passed_visits} | "
              f"{', '.join(f'{e:+.2f}' for e in f.latency_error_s) or '-'} | "
              f"{f.head_error_p50_m} / {f.head_error_p95_m} | {f.faces} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A simulation run on disk: observations.jsonl, truth.json and config.yaml in one folder.

``frontdesk simulate`` writes a run with :func:`write_run`; ``frontdesk eval`` reads
one with :func:`load_run` (the folder may also hold observations from ``frontdesk
inspect --json`` and a truth file written from labelled footage).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from frontdesk.config import Config, load_camera_config
from frontdesk.errors import FrontdeskError
from frontdesk.sim.layout import DEFAULT_COUNTER_ID, DEFAULT_ZONES
from frontdesk.sim.observations import read_observations, write_observations
from frontdesk.sim.render import (
    BodyModel,
    DetectorModel,
    NoiseModel,
    PresenceModel,
    body_model_for,
    render_frames,
)
from frontdesk.sim.scene import Scene
from frontdesk.sim.truth import Truth, compute_truth
from frontdesk.types import FrameObservation

__all__ = [
    "OBSERVATIONS_FILE",
    "TRUTH_FILE",
    "CONFIG_FILE",
    "sim_config",
    "config_yaml",
    "write_run",
    "Run",
    "load_run",
]

log = logging.getLogger(__name__)

OBSERVATIONS_FILE = "observations.jsonl"
TRUTH_FILE = "truth.json"
CONFIG_FILE = "config.yaml"


def sim_config(counter_id: str = DEFAULT_COUNTER_ID,
               zones: dict[str, list[list[float]]] | None = None, **sections: Any) -> Config:
    """The default scene's config: one counter with :data:`DEFAULT_ZONES` (or ``zones``),
    defaults elsewhere.

    Keyword arguments replace whole top-level sections, e.g. ``engine={"dwell_s": 0.4}``.
    """
    zones = {k: [list(p) for p in v] for k, v in (zones or DEFAULT_ZONES).items()}
    data: dict[str, Any] = {"site_id": "sim", "counters": [{"id": counter_id, "zones": zones}]}
    data.update(sections)
    return Config.model_validate(data)


def camera_config(scene: Scene, camera_id: str) -> Config:
    """The config of camera ``camera_id`` of a scene that lists ``cameras:``: the counter's
    zones as that camera sees its areas, its pose and lens.

    Raises:
        ValueError: no such camera, the camera cannot see the counter's areas, or
            its zones break the config's rules (the message names the camera).
    """
    from frontdesk.config import ConfigError
    from frontdesk.sim.cameras import camera_zones

    seen = scene if scene.cameras and scene.cameras[0].id == camera_id else (
        scene.for_camera(camera_id))
    layout = seen.layout
    zones = camera_zones(layout, camera_id)
    try:
        return sim_config(scene.counter_id, zones=zones,
                          camera={"horizontal_fov_deg": layout.horizontal_fov_deg,
                                  "pose": layout.camera.config_dict()})
    except (ConfigError, ValueError) as exc:
        raise ValueError(f"camera {camera_id}: its view of the counter makes zones the config "
                         f"refuses: {exc}") from None


def config_yaml(config: Config) -> str:
    """The config as YAML that :func:`frontdesk.config.load_config` reads back."""
    data = config.model_dump(mode="json", exclude_none=True)
    return yaml.safe_dump(data, sort_keys=False)


def write_run(out_dir: str | os.PathLike[str], scene: Scene, config: Config, noise: NoiseModel,
              seed: int, detector: DetectorModel | None = None,
              bodies: BodyModel | bool | None = None,
              presence: PresenceModel | None = None) -> dict[str, Any]:
    """Render ``scene`` with ``noise`` and write the run's three files; return a summary.

    ``bodies``: None renders body boxes when the scene asks for them
    (:func:`~frontdesk.sim.render.body_model_for`); False never; True or a model always.
    The truth is judged with the same bodies (a person seen only by their body is
    seen), so a faces-only run of a scene can be scored against the truth of a
    run with bodies (``frontdesk eval --truth``).
    ``presence``: also write the occupancy grid of perception's presence stage
    (None: no grid).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if bodies is None or bodies is True:
        bodies = body_model_for(scene) or (BodyModel() if bodies is True else None)
    body_model = bodies if isinstance(bodies, BodyModel) else None
    truth = compute_truth(scene, config, noise.fps, detector=detector, bodies=body_model)
    truth.source = {**truth.source, "noise": noise.to_json(), "render_seed": seed,
                    "bodies": body_model is not None, "presence": presence is not None,
                    "appearance": presence is not None and presence.clothes is not None}
    (out / CONFIG_FILE).write_text(config_yaml(config), encoding="utf-8")
    truth.save(out / TRUTH_FILE)
    frames = write_observations(out / OBSERVATIONS_FILE,
                                render_frames(scene, noise, seed, detector, body_model,
                                              presence))
    summary = {
        "out": str(out),
        "frames": frames,
        "duration_s": round(scene.duration_s, 3),
        "visits": len(truth.visits),
        "arrived": sum(1 for v in truth.visits if v.arrival_t is not None),
        "acknowledged": sum(1 for v in truth.visits if v.ack_t is not None),
        "alerts": sum(1 for v in truth.visits if v.alert is True),
        "noise": noise.name,
        "fps": noise.fps,
        "bodies": body_model is not None,
    }
    log.info("wrote %d frames (%.0f s) and %d true visits to %s", frames, scene.duration_s,
             len(truth.visits), out)
    return summary


@dataclass
class Run:
    """A run folder read back: truth, config and a way to stream the observations."""

    folder: Path
    truth: Truth
    config: Config
    observations_path: Path
    size: tuple[int, int] | None = None

    def observations(self) -> Iterator[FrameObservation]:
        w, h = self.size if self.size else (None, None)
        return read_observations(self.observations_path, w, h)


def load_run(folder: str | os.PathLike[str], config_path: str | None = None,
             truth_path: str | None = None, observations_path: str | None = None,
             size: tuple[int, int] | None = None, camera_id: str | None = None) -> Run:
    """Read a run folder; any of its three files can be given elsewhere instead.
    ``camera_id`` picks the camera of a config that lists several."""
    d = Path(folder)
    if not d.is_dir():
        raise FrontdeskError(f"{d}: not a folder")
    cfg_file = Path(config_path) if config_path else d / CONFIG_FILE
    truth_file = Path(truth_path) if truth_path else d / TRUTH_FILE
    obs_file = Path(observations_path) if observations_path else d / OBSERVATIONS_FILE
    for f, what in ((truth_file, "truth"), (obs_file, "observations")):
        if not f.is_file():
            raise FrontdeskError(f"{f}: no {what} file")
    config = load_camera_config(cfg_file, camera_id)
    try:
        truth = Truth.load(truth_file)
    except ValueError as exc:
        raise FrontdeskError(f"{truth_file}: {exc}") from None
    return Run(d, truth, config, obs_file, size)

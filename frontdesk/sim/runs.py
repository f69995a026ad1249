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
    "CameraRuns",
    "write_fused_truth",
    "load_camera_runs",
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


def write_fused_truth(out_dir: str | os.PathLike[str], scene: Scene, configs: dict[str, Config],
                      fps: float, bodies: BodyModel | None = None) -> Truth:
    """``OUT/truth.json`` of a scene listing cameras: what the cameras together see (a
    face seen by any of them is seen), judged with the first camera's config (its
    zones, its image positions); ``source.cameras`` lists the cameras, the first
    the primary. ``frontdesk eval OUT`` fuses ``OUT/<id>/`` and scores against it."""
    from frontdesk.sim.render import DetectorModel

    ids = [c.id for c in scene.cameras]
    first = scene if scene.cameras[0].id == ids[0] else scene.for_camera(ids[0])
    views = [(scene.for_camera(cid), DetectorModel()) for cid in ids[1:]]
    truth = compute_truth(first, configs[ids[0]], fps, bodies=bodies, views=views)
    truth.source = {**truth.source, "cameras": ids, "bodies": bodies is not None}
    truth.save(Path(out_dir) / TRUTH_FILE)
    return truth


@dataclass
class CameraRuns:
    """A folder of one run per camera (``OUT/<id>/``) with the fused truth ``OUT/truth.json``."""

    folder: Path
    truth: Truth
    configs: dict[str, Config]
    """Each camera's config, the primary first."""
    observations_paths: dict[str, Path]

    def observations(self) -> dict[str, Iterator[FrameObservation]]:
        return {cid: read_observations(p) for cid, p in self.observations_paths.items()}


def load_camera_runs(folder: str | os.PathLike[str],
                     truth_path: str | None = None) -> CameraRuns | None:
    """The camera runs in ``folder`` (``frontdesk simulate --scene`` with ``cameras:``),
    or None when it is a one-camera run folder.

    Raises:
        FrontdeskError: a camera's run folder or file is missing.
    """
    d = Path(folder)
    truth_file = Path(truth_path) if truth_path else d / TRUTH_FILE
    if (d / OBSERVATIONS_FILE).exists() or not truth_file.is_file():
        return None
    try:
        truth = Truth.load(truth_file)
    except ValueError as exc:
        raise FrontdeskError(f"{truth_file}: {exc}") from None
    ids = truth.source.get("cameras")
    if not ids:
        return None
    configs: dict[str, Config] = {}
    paths: dict[str, Path] = {}
    for cid in ids:
        run = d / str(cid)
        for f, what in ((run / CONFIG_FILE, "config"), (run / OBSERVATIONS_FILE, "observations")):
            if not f.is_file():
                raise FrontdeskError(f"{f}: no {what} file for camera {cid} (the truth "
                                     f"{truth_file} lists cameras {', '.join(map(str, ids))})")
        configs[str(cid)] = load_camera_config(run / CONFIG_FILE)
        paths[str(cid)] = run / OBSERVATIONS_FILE
    return CameraRuns(d, truth, configs, paths)

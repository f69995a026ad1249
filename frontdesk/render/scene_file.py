"""Scene files for rendered footage: the simulator's scripted scene plus how to draw it.

A scene file is a scripted scene of :mod:`frontdesk.sim.script` (people, paths,
gaze actions: docs/simulator.md) with three optional additions, which are
taken out before the simulator reads the rest:

* top-level ``render:``: frame size, frame rate, noise seed, lighting, occluders;
* per person ``look:``: which face and how it is varied (:class:`~frontdesk.render.faces.Look`);
* top-level ``expect:``: what the scene is meant to show (used by the tests;
  rendering ignores it).

::

    render:
      size: [1280, 720]          # default
      fps: 15                    # default
      seed: 0                    # sensor noise
      lighting: {gain: 1.0, gamma: 1.0, noise: 2.0, shot: 0.0, tint: [1.0, 1.0, 1.0]}
                                 # or {level: dim} (LIGHTING_LEVELS), keys beside it override
      occluders:                 # boxes that move along a path (centre, metres)
        - {size: [0.6, 0.4, 1.8], colour: [60, 60, 160],
           path: [{t: 3, at: [-1.0, 1.6, 0.9]}, {t: 6, at: [0.4, 1.6, 0.9]}]}
    duration_s: 20
    people:
      - id: anna
        role: staff
        look: {face: hopper}
        path: [...]
        gaze: [...]

The layout is the simulator's default (:data:`frontdesk.sim.layout.DEFAULT_LAYOUT`)
at the chosen frame size, so zones, spots and the camera are the simulator's.
"""

from __future__ import annotations

import copy
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from frontdesk.errors import FrontdeskError
from frontdesk.render.faces import Look, default_look, look_from_dict
from frontdesk.sim.layout import DEFAULT_LAYOUT, CounterLayout
from frontdesk.sim.scene import HeadPath, Scene, Waypoint
from frontdesk.sim.script import ScriptError, scene_from_dict
from frontdesk.yaml_io import load_yaml

__all__ = [
    "Lighting",
    "LIGHTING_LEVELS",
    "Occluder",
    "RenderSettings",
    "RenderScene",
    "render_scene_from_dict",
    "load_render_scene",
    "DEFAULT_SIZE",
    "DEFAULT_FPS",
]

log = logging.getLogger(__name__)

DEFAULT_SIZE = (1280, 720)
DEFAULT_FPS = 15.0


@dataclass(frozen=True)
class Lighting:
    """Global light and sensor: out = 255 * (in / 255) ** gamma * gain * tint, plus noise.

    The noise is Gaussian with variance ``noise**2 + shot * out`` (grey levels): the
    sensor's read noise, and photon (shot) noise that grows with the signal and
    with the camera's gain.

    Attributes:
        gain: overall brightness (0.2 to 2); below 0.5 is a dim shop.
        gamma: contrast curve; above 1 darkens the shadows further.
        noise: read noise, grey levels (Gaussian sigma); dim scenes want more.
        tint: (blue, green, red) multipliers: a colour cast.
        shot: photon noise, variance per grey level of signal (0: none).
    """

    gain: float = 1.0
    gamma: float = 1.0
    noise: float = 2.0
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    shot: float = 0.0


LIGHTING_LEVELS: dict[str, dict[str, float]] = {
    "normal": {},
    "dim": {"gain": 0.45, "gamma": 1.15, "noise": 5.0, "shot": 1.2},
}
"""Named light levels (``lighting: {level: dim}``); keys given beside ``level`` override.

``dim``: a shop at about a quarter of the normal light, seen by a camera that has
raised its gain to make up part of it: the picture at 45 % of its normal
brightness, shadows deeper (gamma 1.15), read noise 2.5 times the normal 2 grey
levels, and photon noise that grows with the signal (variance 1.2 per grey
level: 7 grey levels on a face at 40, 11 on a wall at 100)."""


@dataclass(frozen=True)
class Occluder:
    """A box (size: along x, y, z in metres) moving along ``path`` (its centre)."""

    size: tuple[float, float, float]
    colour: tuple[int, int, int]
    path: HeadPath


@dataclass(frozen=True)
class RenderSettings:
    size: tuple[int, int] = DEFAULT_SIZE
    fps: float = DEFAULT_FPS
    seed: int = 0
    lighting: Lighting = field(default_factory=Lighting)
    occluders: tuple[Occluder, ...] = ()


@dataclass
class RenderScene:
    """A scene ready to render: the simulator's scene, the looks and the settings.

    Attributes:
        scene: the simulator's :class:`~frontdesk.sim.scene.Scene` (layout at ``settings.size``).
        looks: person id to look.
        settings: frame size, rate, lighting, occluders.
        expect: the scene file's ``expect:`` mapping (empty when none).
        name: the file's name, for provenance.
    """

    scene: Scene
    looks: dict[str, Look]
    settings: RenderSettings
    expect: dict[str, Any] = field(default_factory=dict)
    name: str = "<scene>"


def _xyz(value: Any, where: str) -> tuple[float, float, float]:
    x, y, z = _floats(value, 3, where)
    return (x, y, z)


def _floats(value: Any, n: int, where: str) -> tuple[float, ...]:
    if not (isinstance(value, (list, tuple)) and len(value) == n):
        raise FrontdeskError(f"{where}: expected {n} numbers, got {value!r}")
    try:
        return tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise FrontdeskError(f"{where}: expected {n} numbers, got {value!r}") from None


_LIGHTING_KEYS = ("level", "gain", "gamma", "noise", "shot", "tint")


def _lighting(d: Any, where: str) -> Lighting:
    if d is None:
        return Lighting()
    if isinstance(d, str):
        d = {"level": d}
    if not isinstance(d, dict) or set(d) - set(_LIGHTING_KEYS):
        extra = sorted(set(d) - set(_LIGHTING_KEYS)) if isinstance(d, dict) else d
        raise FrontdeskError(f"{where}: lighting takes {', '.join(_LIGHTING_KEYS)}; got {extra}")
    level = d.get("level", "normal")
    if level not in LIGHTING_LEVELS:
        raise FrontdeskError(f"{where}.level: one of {', '.join(LIGHTING_LEVELS)}, got {level!r}")
    kw: dict[str, Any] = dict(LIGHTING_LEVELS[level])
    for k, v in d.items():
        if k in ("level", "tint"):
            continue
        try:
            kw[k] = float(v)
        except (TypeError, ValueError):
            raise FrontdeskError(f"{where}.{k}: a number, got {v!r}") from None
    if "tint" in d:
        kw["tint"] = _floats(d["tint"], 3, f"{where}.tint")
    light = Lighting(**kw)
    if not (0.1 <= light.gain <= 3.0 and 0.3 <= light.gamma <= 3.0 and 0 <= light.noise <= 40
            and 0 <= light.shot <= 10):
        raise FrontdeskError(f"{where}: gain 0.1-3, gamma 0.3-3, noise 0-40, shot 0-10, "
                             f"got {light}")
    return light


def _occluder(d: Any, where: str) -> Occluder:
    if not isinstance(d, dict) or set(d) - {"size", "colour", "path"} or "path" not in d:
        raise FrontdeskError(f"{where}: an occluder is {{size: [x, y, z], colour: [b, g, r], "
                             f"path: [{{t, at: [x, y, z]}}, ...]}}")
    size = _xyz(d.get("size", [0.5, 0.5, 1.8]), f"{where}.size")
    colour = _xyz(d.get("colour", [80, 80, 80]), f"{where}.colour")
    raw = d["path"]
    if not isinstance(raw, list):
        raise FrontdeskError(f"{where}.path: a list of {{t, at: [x, y, z]}}")
    points = []
    for j, w in enumerate(raw):
        if not isinstance(w, dict) or set(w) != {"t", "at"}:
            raise FrontdeskError(f"{where}.path[{j}]: a waypoint is {{t: SECONDS, at: [x, y, z]}}")
        points.append(Waypoint(float(w["t"]), _xyz(w["at"], f"{where}.path[{j}].at")))
    try:
        path = HeadPath(points)
    except ValueError as exc:
        raise FrontdeskError(f"{where}.path: {exc}") from None
    return Occluder(size, (int(colour[0]), int(colour[1]), int(colour[2])), path)


def _settings(d: Any, where: str) -> RenderSettings:
    if d is None:
        return RenderSettings()
    known = {"size", "fps", "seed", "lighting", "occluders"}
    if not isinstance(d, dict) or set(d) - known:
        extra = sorted(set(d) - known) if isinstance(d, dict) else d
        raise FrontdeskError(f"{where}: render takes {', '.join(sorted(known))}; got {extra}")
    size = DEFAULT_SIZE
    if "size" in d:
        w, h = _floats(d["size"], 2, f"{where}.size")
        size = (int(w), int(h))
        if not (160 <= size[0] <= 3840 and 90 <= size[1] <= 2160):
            raise FrontdeskError(f"{where}.size: 160x90 to 3840x2160, got {size}")
    fps = float(d.get("fps", DEFAULT_FPS))
    if not 1.0 <= fps <= 60.0:
        raise FrontdeskError(f"{where}.fps: 1 to 60, got {fps}")
    occ = tuple(_occluder(o, f"{where}.occluders[{i}]")
                for i, o in enumerate(d.get("occluders") or []))
    return RenderSettings(size, fps, int(d.get("seed", 0)),
                          _lighting(d.get("lighting"), f"{where}.lighting"), occ)


def render_scene_from_dict(data: Any, name: str = "<scene>",
                           layout: CounterLayout = DEFAULT_LAYOUT) -> RenderScene:
    """Split a parsed scene file into the simulator's scene, looks and render settings."""
    if not isinstance(data, dict):
        raise FrontdeskError(f"{name}: a scene is a mapping with people:")
    data = copy.deepcopy(data)
    settings = _settings(data.pop("render", None), f"{name}: render")
    expect = data.pop("expect", None) or {}
    if not isinstance(expect, dict):
        raise FrontdeskError(f"{name}: expect must be a mapping")
    raw_people = data.get("people")
    raw_looks: dict[str, Any] = {}
    if isinstance(raw_people, list):
        for p in raw_people:
            if isinstance(p, dict) and "look" in p:
                raw_looks[str(p.get("id"))] = p.pop("look")
    sized = replace(layout, image_size=settings.size)
    try:
        scene = scene_from_dict(data, sized, name)
    except ScriptError as exc:
        raise FrontdeskError(str(exc)) from None
    if scene.cameras:  # the first camera's frame size is the scene's
        settings = replace(settings, size=scene.layout.image_size)
    looks: dict[str, Look] = {}
    counts = {"staff": 0, "customer": 0}
    for i, person in enumerate(scene.people):
        base = default_look(counts[person.role], person.role)
        counts[person.role] += 1
        looks[person.id] = look_from_dict(raw_looks.get(person.id), base,
                                          f"{name}: people[{i}].look")
    return RenderScene(scene, looks, settings, expect, name)


def load_render_scene(path: str | os.PathLike[str]) -> RenderScene:
    """Read a scene file (see the module docstring)."""
    p = Path(path)
    return render_scene_from_dict(load_yaml(p, "scene file"), p.name)

"""Hand-placed people for engine tests: heads in metres, gazes you aim, frames at a fixed rate.

The camera is a 1280x720 pinhole with a 90 degree field of view (focal length
640 px) standing beside the counter: staff on the image's left, the service zone
in the middle, the approach zone on the right. Heads at 2 m depth:

    x = -1.0 m  -> u = 0.25   (staff zone, 0 to 0.35)
    x = +0.2 m  -> u = 0.55   (service zone, 0.35 to 0.65)
    x = +1.2 m  -> u = 0.85   (approach zone, 0.65 to 1)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from frontdesk.config import Config
from frontdesk.engine import Engine, Event
from frontdesk.types import Face, FrameObservation, TrackedFace

WIDTH, HEIGHT, FOCAL_PX = 1280, 720, 640.0

STAFF_ZONE = [[0.0, 0.1], [0.35, 0.1], [0.35, 0.9], [0.0, 0.9]]
SERVICE_ZONE = [[0.35, 0.1], [0.65, 0.1], [0.65, 0.9], [0.35, 0.9]]
APPROACH_ZONE = [[0.65, 0.1], [1.0, 0.1], [1.0, 0.9], [0.65, 0.9]]

STAFF_AT = (-1.0, 0.0, 2.0)
SERVICE_AT = (0.2, 0.0, 2.0)
APPROACH_AT = (1.2, 0.0, 2.0)
OUTSIDE_AT = (2.5, 0.0, 2.0)
"""Right of the frame's edge (u > 1): not in any zone (and not drawn)."""

AWAY = (0.0, 1.0, 0.0)
"""Looking down at the counter top: at nobody."""
INTO_LENS = (0.0, 0.0, -1.0)


def zones(x0: float = 0.0, x1: float = 1.0, ignore: list | None = None) -> dict[str, Any]:
    """The three zones squeezed into the horizontal band [x0, x1] of the image."""

    def band(a: float, b: float) -> list[list[float]]:
        u0, u1 = x0 + a * (x1 - x0), x0 + b * (x1 - x0)
        return [[u0, 0.1], [u1, 0.1], [u1, 0.9], [u0, 0.9]]

    out: dict[str, Any] = {"staff": band(0.0, 0.35), "service": band(0.35, 0.65),
                           "approach": band(0.65, 1.0)}
    if ignore:
        out["ignore"] = ignore
    return out


def make_config(counters: list[dict[str, Any]] | None = None, **engine: Any) -> Config:
    """A config with one counter (``counter-1``) over the whole image unless given.

    Scripted customers vanish where they stand at ``end_t``; so that their visit
    ends then, ``visit_hold_s`` is 0 unless a test sets it.
    """
    counters = counters or [{"id": "counter-1", "zones": zones()}]
    engine.setdefault("visit_hold_s", 0.0)
    return Config.model_validate({"site_id": "site-1", "counters": counters, "engine": engine})


def make_engine(config: Config | None = None, **engine: Any) -> Engine:
    ids = itertools.count(1)
    return Engine(config or make_config(**engine), id_factory=lambda: f"id{next(ids)}")


def project(p: Sequence[float]) -> tuple[float, float]:
    """Pixel (u, v) of a camera-frame point."""
    return (FOCAL_PX * p[0] / p[2] + WIDTH / 2, FOCAL_PX * p[1] / p[2] + HEIGHT / 2)


def face(p: Sequence[float], gaze: Sequence[float], range_uncertainty: float = 0.0,
         meshed: bool = True) -> Face:
    """A face at ``p`` looking along ``gaze``; its distance known to
    ``range_uncertainty`` (a fraction; 0: exactly, as hand-placed heads are)."""
    u, v = project(p)
    half = 0.08 * FOCAL_PX / p[2]  # a 16 cm face
    g = np.asarray(gaze, dtype=np.float64)
    return Face(bbox=(u - half, v - half, u + half, v + half), score=0.9, yaw_deg=0.0,
                pitch_deg=0.0, roll_deg=0.0, gaze=g / np.linalg.norm(g),
                head_position_m=np.asarray(p, dtype=np.float64),
                range_uncertainty_rel=range_uncertainty, has_mesh=meshed)


def toward(a: Sequence[float], b: Sequence[float], off_deg: float = 0.0) -> tuple[float, ...]:
    """Unit gaze from ``a`` toward ``b``, turned ``off_deg`` about the vertical axis."""
    d = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    r = np.radians(off_deg)
    x, z = d[0] * np.cos(r) - d[2] * np.sin(r), d[0] * np.sin(r) + d[2] * np.cos(r)
    v = np.array([x, d[1], z])
    return tuple(v / np.linalg.norm(v))


Gaze = Sequence[float] | None
"""A gaze vector, or None for a frame where this face was not detected."""


@dataclass
class Actor:
    """One person: present from ``start_t`` to ``end_t``, where ``at(t)`` says, looking ``gaze(t)``.

    ``gaze(t)`` may return None: the face is missed that frame (the track is held).
    ``look_at`` lets a gaze function aim at another actor's head at time t.
    """

    track_id: int
    at: Callable[[float], Sequence[float]]
    gaze: Callable[[float], Gaze]
    start_t: float = 0.0
    end_t: float = 1e9
    first_seen_t: float | None = None
    range_uncertainty: float = 0.0
    """How far off perception says this head's distance may be (a fraction)."""
    meshed: bool = True
    """Whether perception meshed this face (else gaze from the detector's keypoints)."""
    clothes: np.ndarray | None = None
    """The colour signature perception measures under this face (None: none)."""
    clothes_from: tuple[float, np.ndarray] | None = None
    """From this time on, this signature instead (someone in front of her chest left)."""

    def present(self, t: float) -> bool:
        return self.start_t <= t <= self.end_t

    def clothes_at(self, t: float) -> np.ndarray | None:
        if self.clothes_from is not None and t >= self.clothes_from[0]:
            return self.clothes_from[1]
        return self.clothes


NAVY_BGR, RED_BGR = (90, 30, 20), (40, 40, 200)
"""Two clothes colours whose signatures are clearly different (BGR)."""


def clothes_signature(*colours: tuple[int, int, int]) -> np.ndarray:
    """The signature perception measures of a chest in these colours (BGR), side by
    side (one: a solid colour)."""
    from frontdesk.perception.appearance import patch_signatures

    patch = np.zeros((1, 6, 6, 3), dtype=np.uint8)
    for i, colour in enumerate(colours):
        patch[0, :, i * 6 // len(colours):(i + 1) * 6 // len(colours)] = colour
    return patch_signatures(patch)[0]


def still(p: Sequence[float]) -> Callable[[float], Sequence[float]]:
    return lambda t: p


def walk(a: Sequence[float], b: Sequence[float], t0: float, t1: float
         ) -> Callable[[float], Sequence[float]]:
    """From ``a`` (until t0) to ``b`` (from t1), linearly."""
    pa, pb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)

    def at(t: float) -> Sequence[float]:
        w = min(max((t - t0) / (t1 - t0), 0.0), 1.0)
        return tuple(pa + w * (pb - pa))

    return at


def looks(default: Gaze, *spans: tuple[float, float, Gaze | Callable[[float], Gaze]]
          ) -> Callable[[float], Gaze]:
    """``default`` gaze except inside spans (t0, t1, gaze or gaze(t)), t0 <= t < t1."""

    def gaze(t: float) -> Gaze:
        for t0, t1, g in spans:
            if t0 <= t < t1:
                return g(t) if callable(g) else g
        return default

    return gaze


def at_actor(observer: Callable[[float], Sequence[float]],
             target: Callable[[float], Sequence[float]], off_deg: float = 0.0
             ) -> Callable[[float], Gaze]:
    return lambda t: toward(observer(t), target(t), off_deg)


def tracked(actor: Actor, t: float) -> TrackedFace:
    p = actor.at(t)
    g = actor.gaze(t)
    u, v = project(p)
    first = actor.first_seen_t if actor.first_seen_t is not None else actor.start_t
    return TrackedFace(track_id=actor.track_id,
                       face=(face(p, g, actor.range_uncertainty, actor.meshed)
                             if g is not None else None),
                       center_norm=(u / WIDTH, v / HEIGHT),
                       head_position_m=np.asarray(p, dtype=np.float64), age_s=t - first)


@dataclass
class Run:
    """Events of a scripted run, with helpers to pick them out."""

    events: list[Event] = field(default_factory=list)

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type.value == kind]

    def one(self, kind: str) -> Event:
        found = self.of(kind)
        assert len(found) == 1, f"expected one {kind}, got {len(found)}: {self.kinds()}"
        return found[0]

    def kinds(self) -> list[str]:
        return [e.type.value for e in self.events]


def frame_times(t0: float, t1: float, fps: float) -> list[float]:
    n = int(round((t1 - t0) * fps))
    return [round(t0 + i / fps, 9) for i in range(n + 1)]


def run_tracks(engine: Engine, actors: list[Actor], t1: float, fps: float = 15.0,
               t0: float = 0.0, wall0: float | None = 1_700_000_000.0,
               between: Callable[[Engine, float], list[Event]] | None = None,
               finish: bool = False) -> Run:
    """Feed the engine tracked faces directly (no tracker), frame by frame.

    ``between(engine, t)`` runs after each frame (commands such as a button press).
    """
    run = Run()
    for t in frame_times(t0, t1, fps):
        tracks = [tracked(a, t) for a in actors if a.present(t)]
        wall = wall0 + t if wall0 is not None else None
        run.events += engine.update_tracks(t, wall, tracks, WIDTH, HEIGHT)
        if between is not None:
            run.events += between(engine, t)
    if finish:
        run.events += engine.finish(t1 + 1.0 / fps)
    return run


def observation(actors: list[Actor], t: float, index: int) -> FrameObservation:
    faces = []
    for a in actors:
        g = a.gaze(t) if a.present(t) else None
        if g is not None:
            f = face(a.at(t), g)
            f.appearance = a.clothes_at(t)
            faces.append(f)
    return FrameObservation(index=index, t=t, width=WIDTH, height=HEIGHT, faces=faces,
                            wall_time=1_700_000_000.0 + t)


def run_observations(engine: Engine, actors: list[Actor], t1: float, fps: float = 15.0) -> Run:
    """Feed the engine whole observations, through its tracker."""
    run = Run()
    for i, t in enumerate(frame_times(0.0, t1, fps)):
        run.events += engine.update(observation(actors, t, i))
    return run

"""observations.jsonl: one :class:`FrameObservation` per line, written and read back.

Each line is ``FrameObservation.to_json()`` (``frame``, ``t``, ``faces``: each
``Face.to_json()``) plus the keys that record needs to be read back into a
:class:`FrameObservation`: ``width`` and ``height`` (pixels) and, when known,
``wall_time``; a face that has no mesh adds ``"has_mesh": false``. With a
person detector, ``bodies`` (each ``BodyBox.to_json()``: ``bbox``, ``score``,
``class_id``) and ``bodies_fresh`` (did the detector run on this frame).

The reader also takes lines without ``width``/``height`` (written by hand or by
an older ``frontdesk inspect --json``) when the caller passes the frame size. ``rotation`` is
rebuilt from the pose angles (:func:`frontdesk.sim.world.rotation_from_euler`,
the convention of :mod:`frontdesk.perception.pose`); landmarks are not stored.
Values are rounded as ``to_json`` rounds them (0.1 px, 0.1 mm of gaze per metre,
1 mm, 0.1 ms), so a round trip is exact to that rounding.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from frontdesk.errors import FrontdeskError
from frontdesk.sim.world import rotation_from_euler
from frontdesk.types import BodyBox, Face, FrameObservation, OccupancyGrid, signature_from_hex

__all__ = [
    "observation_to_json",
    "observation_from_json",
    "write_observations",
    "read_observations",
]

log = logging.getLogger(__name__)


def observation_to_json(obs: FrameObservation) -> dict[str, Any]:
    """``obs.to_json()`` with the frame size, wall time and mesh flags added."""
    d = obs.to_json()
    d.setdefault("width", int(obs.width))
    d.setdefault("height", int(obs.height))
    if obs.wall_time is not None:
        d.setdefault("wall_time", round(float(obs.wall_time), 4))
    for face, fd in zip(obs.faces, d["faces"], strict=True):
        if not face.has_mesh:
            fd.setdefault("has_mesh", False)
    return d


def _face_from_json(d: dict[str, Any]) -> Face:
    yaw, pitch, roll = float(d["yaw_deg"]), float(d["pitch_deg"]), float(d["roll_deg"])
    bbox = d["bbox"]
    if len(bbox) != 4:
        raise ValueError(f"bbox must have 4 numbers, got {len(bbox)}")
    return Face(
        bbox=(float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3])),
        score=float(d["score"]),
        yaw_deg=yaw,
        pitch_deg=pitch,
        roll_deg=roll,
        gaze=np.asarray(d["gaze"], dtype=np.float64),
        head_position_m=np.asarray(d["head_position_m"], dtype=np.float64),
        landmarks=None,
        rotation=rotation_from_euler(yaw, pitch, roll),
        has_mesh=bool(d.get("has_mesh", True)),
        range_uncertainty_rel=(None if d.get("range_uncertainty") is None
                               else float(d["range_uncertainty"])),
        appearance=(None if d.get("appearance") is None
                    else signature_from_hex(str(d["appearance"]))),
    )


def _body_from_json(d: dict[str, Any]) -> BodyBox:
    bbox = d["bbox"]
    if len(bbox) != 4:
        raise ValueError(f"body bbox must have 4 numbers, got {len(bbox)}")
    return BodyBox(float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3]),
                   float(d.get("score", 1.0)), int(d.get("class_id", 0)))


def observation_from_json(d: dict[str, Any], width: int | None = None,
                          height: int | None = None) -> FrameObservation:
    """Inverse of :func:`observation_to_json`; ``width``/``height`` fill in missing sizes."""
    w = d.get("width", width)
    h = d.get("height", height)
    if w is None or h is None:
        raise ValueError("the record has no width/height and none was given "
                         "(frontdesk eval --size WxH)")
    index = d.get("frame", d.get("index"))
    if index is None:
        raise ValueError("the record has no frame number")
    wall = d.get("wall_time")
    return FrameObservation(
        index=int(index), t=float(d["t"]), width=int(w), height=int(h),
        faces=[_face_from_json(f) for f in d.get("faces", [])],
        wall_time=None if wall is None else float(wall),
        bodies=[_body_from_json(b) for b in d.get("bodies", [])],
        bodies_fresh=bool(d.get("bodies_fresh", False)),
        occupancy=None if d.get("occupancy") is None else OccupancyGrid.from_json(d["occupancy"]),
    )


def write_observations(path: str | os.PathLike[str], frames: Iterable[FrameObservation]) -> int:
    """Write one JSON line per frame; return the number of frames written."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for obs in frames:
            fh.write(json.dumps(observation_to_json(obs), separators=(",", ":")))
            fh.write("\n")
            n += 1
    return n


def read_observations(path: str | os.PathLike[str], width: int | None = None,
                      height: int | None = None) -> Iterator[FrameObservation]:
    """Read observations.jsonl lazily; a malformed line raises :class:`FrontdeskError`.

    Blank lines are skipped. ``width``/``height`` are used for lines without them.
    """
    p = Path(path)
    if not p.is_file():
        raise FrontdeskError(f"{p}: no observations file")
    with open(p, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield observation_from_json(json.loads(line), width, height)
            except (ValueError, KeyError, TypeError) as exc:
                raise FrontdeskError(f"{p}:{lineno}: not an observation record: {exc}") from None

"""Measure the smallest face the real perception finds on rendered footage.

``python -m frontdesk.render.face_floor`` renders, at each frame width asked
for (16:9), customers walking one after another along the walkway from 8.8 m
to 1.0 m from the camera toward the counter, looking where they walk (toward
the camera's end of the counter), a staff member at the till in view; the
clip is written as mp4v and decoded, as the end-to-end suite does. Every frame
goes through two :class:`~frontdesk.perception.FacePerceiver`\\ s:

* ``default``: the default perception settings (the whole frame every frame,
  ``detection_tiles`` square tiles, ``tiles_per_frame`` of them a frame, in turn);
* ``whole``: the same with ``detection_tiles: 0`` (the whole frame only).

A customer counts as found on a frame when a reported face's box centre lies
within ``max(0.6 x its width, 8 px)`` of the projected point between the eyes.
Faces are binned by the width of the truth's face box (0.15 m,
:class:`~frontdesk.sim.render.DetectorModel`) as a fraction of the frame width,
the unit of :data:`frontdesk.render.clip.MIN_FACE_FRACTION`. Per bin: the share
of frames the face is found with ``whole``; with ``default``; and with
``default`` on the frames where a tile containing the face ran (``tile
frames``: every other frame with two tiles, one a frame).

Floors reported per width (the smallest width from which every wider bin
holds the share, :data:`HOLD_SHARE`):

* ``whole_floor``: found on 80 % of all frames by the whole-frame pass;
* ``floor``: found by the default settings on 80 % of the frames on which a
  pass able to see it runs: the whole frame, or a tile containing it (so on at
  least 40 % of all frames when only a tile sees it). This is the truth's
  floor: the tracker holds a track through a missed frame and the
  eye-contact rule through ``engine.contact_gap_s`` (0.3 s, more than the two
  frames between tile runs at 15 fps), so a face found every other frame is
  seen without a break by the engine.

See docs/rendering.md, "The smallest face the truth counts".
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["HOLD_SHARE", "FloorResult", "floor_scene", "measure_width", "main"]

HOLD_SHARE = 0.8
EDGES = tuple(round(0.0025 * k, 4) for k in range(12)) + (0.03, 0.04, 0.05, 0.06, 0.08)
"""Bin edges, in fractions of the frame width: 0.25 % steps to 3 %, then wider
(the walk passes the larger sizes faster, so they get fewer frames)."""
MIN_FRAMES_PER_BIN = 12

_LINES_Y = (0.64, 0.95)
_START_X, _END_X = -8.0, -0.2
_LOOKS_PER_LINE = 3


def floor_scene(width: int, speed_m_s: float = 1.2, fps: float = 15.0,
                seed: int = 0) -> dict[str, Any]:
    """The measurement scene at ``width`` x ``width * 9 / 16``, as a scene file's mapping."""
    height = int(round(width * 9 / 16))
    walk_s = (_END_X - _START_X) / speed_m_s
    people: list[dict[str, Any]] = []
    t = 0.2
    n = 0
    for line_y in _LINES_Y:
        for _ in range(_LOOKS_PER_LINE):
            z = 1.72
            people.append({
                "id": f"c{n}", "role": "customer", "z": z,
                "path": [{"t": round(t, 3), "at": [_START_X, line_y, z]},
                         {"t": round(t + walk_s, 3), "at": [_END_X, line_y, z]}],
                "gaze": [{"t": round(t, 3), "walk": True, "turn_s": 0}],
            })
            t += walk_s + 0.4
            n += 1
    duration = round(t + 0.2, 3)
    people.insert(0, {"id": "staff", "role": "staff",
                      "path": [{"t": 0, "at": "staff"}, {"t": duration, "at": "staff"}],
                      "gaze": [{"t": 0, "till": True}]})
    return {"render": {"size": [width, height], "fps": fps, "seed": seed},
            "duration_s": duration, "people": people}


@dataclass
class FloorResult:
    width: int
    height: int
    frames: int
    seconds: float
    bins: list[dict[str, Any]] = field(default_factory=list)
    whole_floor: float | None = None
    floor: float | None = None
    smallest_found: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height, "frames": self.frames,
                "seconds": round(self.seconds, 1), "whole_floor": self.whole_floor,
                "floor": self.floor, "smallest_found": self.smallest_found, "bins": self.bins}


def _found(faces: list[Any], u: float, v: float, face_px: float) -> bool:
    for f in faces:
        x0, y0, x1, y1 = f.bbox
        w = x1 - x0
        if math.hypot((x0 + x1) / 2 - u, (y0 + y1) / 2 - v) <= max(0.6 * max(w, face_px), 8.0):
            return True
    return False


def _floor(bins: list[dict[str, Any]], key: str) -> float | None:
    """Lower edge of the first bin from which every bin holds ``HOLD_SHARE`` on ``key``."""
    ok = [b for b in bins if b[key] is not None]
    floor = None
    for b in reversed(ok):
        if b[key] >= HOLD_SHARE:
            floor = b["from"]
        else:
            break
    return floor


def measure_width(width: int, folder: Path, speed_m_s: float = 1.2,
                  progress: bool = False) -> FloorResult:
    """Render the measurement scene at ``width``, run perception, bin the detections."""
    import cv2

    from frontdesk.perception import FacePerceiver
    from frontdesk.perception.mediapipe_faces import tile_windows
    from frontdesk.render.clip import render_clip
    from frontdesk.render.scene_file import render_scene_from_dict
    from frontdesk.sim.render import DetectorModel, frame_times, sample_person
    from frontdesk.sim.runs import sim_config
    from frontdesk.types import Frame

    started = time.monotonic()
    rs = render_scene_from_dict(floor_scene(width, speed_m_s), f"face_floor_{width}")
    w, h = rs.settings.size
    clip = folder / f"face_floor_{w}.mp4"
    render_clip(rs, clip)
    config = sim_config()
    whole_cfg = config.perception.model_copy(update={"detection_tiles": 0})
    tiles = tile_windows(w, h, config.perception.detection_tiles)
    per_frame = config.perception.tiles_per_frame
    scene = rs.scene
    times = frame_times(scene.duration_s, rs.settings.fps)
    model = DetectorModel(min_face_px=0.0)
    samples = [sample_person(scene, p, times, model) for p in scene.customers]
    rows: list[tuple[float, bool, bool, bool]] = []  # (fraction, whole, default, tile frame)
    cap = cv2.VideoCapture(str(clip))
    try:
        with FacePerceiver(config.perception, config.camera) as default, \
                FacePerceiver(whole_cfg, config.camera) as whole:
            i = 0
            while True:
                ok, image = cap.read()
                if not ok:
                    break
                frame = Frame(image=image, t=float(times[min(i, len(times) - 1)]), index=i)
                faces_default = default.process(frame).faces
                faces_whole = whole.process(frame).faces
                # The default perceiver runs tiles[(i * per_frame + j) % n], j < per_frame.
                ran = ([tiles[(i * per_frame + j) % len(tiles)] for j in range(per_frame)]
                       if len(tiles) > per_frame else tiles)
                for s in samples:
                    if i >= len(s.t) or not s.present[i] or not s.visible[i]:
                        continue
                    u, v, px = float(s.u[i]), float(s.v[i]), float(s.face_px[i])
                    if not (px / w < 0.2):
                        continue
                    in_tile = any(x0 + px / 2 <= u <= x0 + side - px / 2
                                  and y0 + px / 2 <= v <= y0 + side - px / 2
                                  for x0, y0, side in ran)
                    rows.append((px / w, _found(faces_whole, u, v, px),
                                 _found(faces_default, u, v, px), in_tile))
                i += 1
                if progress and i % 100 == 0:
                    print(f"  {w}x{h}: {i} frames", file=sys.stderr, flush=True)
    finally:
        cap.release()
    result = FloorResult(w, h, i, 0.0)
    if rows:
        a = np.array(rows, dtype=np.float64)
        for lo, hi in zip(EDGES[:-1], EDGES[1:], strict=True):
            sel = (a[:, 0] >= lo) & (a[:, 0] < hi)
            n = int(sel.sum())
            if n < MIN_FRAMES_PER_BIN:
                continue
            tile_sel = sel & (a[:, 3] > 0)
            nt = int(tile_sel.sum())
            share_whole = float(a[sel, 1].mean())
            share_default = float(a[sel, 2].mean())
            share_tile = float(a[tile_sel, 2].mean()) if nt else None
            # Seen by a pass that runs on every frame, or by the tiles when they run.
            able = max(share_whole, share_default, share_tile or 0.0)
            result.bins.append({
                "from": lo, "to": hi, "frames": n,
                "px_from": round(lo * w, 1), "whole": round(share_whole, 3),
                "default": round(share_default, 3),
                "default_tile_frames": None if share_tile is None else round(share_tile, 3),
                "seen_when_a_pass_can": round(able, 3),
            })
        result.whole_floor = _floor(result.bins, "whole")
        result.floor = _floor(result.bins, "seen_when_a_pass_can")
        found = a[a[:, 2] > 0, 0]
        result.smallest_found = round(float(found.min()), 4) if len(found) else None
    result.seconds = time.monotonic() - started
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m frontdesk.render.face_floor",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--widths", default="960,1280,1920",
                        help="frame widths (16:9), comma-separated (default 960,1280,1920)")
    parser.add_argument("--speed", type=float, default=1.2, help="walking speed, m/s (default 1.2)")
    parser.add_argument("--keep", help="folder for the clips (default: a temporary folder)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    widths = [int(x) for x in args.widths.split(",") if x.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        results = [measure_width(wd, folder, args.speed, progress=True) for wd in widths]
    if args.json:
        print(json.dumps([r.to_json() for r in results], indent=1))
        return 0
    for r in results:
        print(f"{r.width}x{r.height}: {r.frames} frames, {r.seconds:.0f} s; floor "
              f"{_pct(r.floor)} of the width (whole frame only: {_pct(r.whole_floor)}); "
              f"smallest face found {_pct(r.smallest_found)}")
        print("  face width (share of frame)  frames  whole  default  default on tile frames")
        for b in r.bins:
            tile = "-" if b["default_tile_frames"] is None else f"{b['default_tile_frames']:.2f}"
            print(f"  {100 * b['from']:5.2f}-{100 * b['to']:5.2f} % ({b['px_from']:6.1f} px)"
                  f"  {b['frames']:5d}  {b['whole']:.2f}   {b['default']:.2f}     {tile}")
    return 0


def _pct(x: float | None) -> str:
    return "none" if x is None else f"{100 * x:.2f} %"


if __name__ == "__main__":
    raise SystemExit(main())

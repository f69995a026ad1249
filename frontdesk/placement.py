"""Where the camera can be: the arithmetic behind the mounting advice.

Two people looking at each other gaze in opposite directions, so a camera far
behind either of them sees only one face. The camera sees a person at a yaw
equal to the angle between their gaze and their direction to the camera, and
Face Mesh holds to roughly 60 degrees of yaw. This module computes, for a camera
beside the counter, the yaw at which it sees each of two people in mutual gaze,
and the field of view it needs to have both in frame.

Plan view (metres), staff S at the origin, customer C on the x axis:

          S ------------- C        y = 0   (the line between them)
           \\             /
            \\  yaw_S    /  yaw_C
             \\         /
              [camera]             y = offset_m, x = along_m

``python -m frontdesk.placement`` prints that table; with cameras (``--camera``,
``--side``, ``--config``) it prints what one camera or a pair measures at each
moment of a counter's layout, and with ``--recommend`` where one more camera
should go (:mod:`frontdesk.planner`; ``--json`` for either).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from frontdesk.planner import FACE_MESH_MAX_YAW_DEG

__all__ = ["FACE_MESH_MAX_YAW_DEG", "PlacementView", "mutual_gaze_view", "placement_table",
           "main"]


@dataclass(frozen=True)
class PlacementView:
    separation_m: float
    offset_m: float
    along_m: float
    staff_yaw_deg: float
    """Angle between the staff member's gaze (toward the customer) and their direction
    to the camera."""
    customer_yaw_deg: float
    needed_fov_deg: float
    """Horizontal angle the two heads span as seen from the camera."""

    @property
    def both_faces_seen(self) -> bool:
        return max(self.staff_yaw_deg, self.customer_yaw_deg) <= FACE_MESH_MAX_YAW_DEG

    def fits(self, horizontal_fov_deg: float, margin_deg: float = 5.0) -> bool:
        return self.needed_fov_deg + 2 * margin_deg <= horizontal_fov_deg


def _angle_deg(ax: float, ay: float, bx: float, by: float) -> float:
    dot = ax * bx + ay * by
    norm = math.hypot(ax, ay) * math.hypot(bx, by)
    return math.degrees(math.acos(max(-1.0, min(1.0, dot / norm))))


def mutual_gaze_view(
    separation_m: float, offset_m: float, along_m: float | None = None
) -> PlacementView:
    """How a camera ``offset_m`` from the staff-customer line sees both faces.

    Args:
        separation_m: distance between the two heads across the counter.
        offset_m: camera's distance from the line between them (beside the counter).
        along_m: camera's position along that line from the staff member
            (default: midway).
    """
    if separation_m <= 0 or offset_m <= 0:
        raise ValueError("separation_m and offset_m must be positive")
    along = separation_m / 2.0 if along_m is None else along_m
    cam = (along, offset_m)
    staff_yaw = _angle_deg(separation_m, 0.0, cam[0], cam[1])
    customer_yaw = _angle_deg(-separation_m, 0.0, cam[0] - separation_m, cam[1])
    needed = _angle_deg(-cam[0], -cam[1], separation_m - cam[0], -cam[1])
    return PlacementView(separation_m, offset_m, along, staff_yaw, customer_yaw, needed)


def placement_table(
    separation_m: float = 1.2,
    offsets_m: tuple[float, ...] = (0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2, 1.5, 2.0),
) -> list[PlacementView]:
    return [mutual_gaze_view(separation_m, d) for d in offsets_m]



def _triple(text: str) -> tuple[float, float, float]:
    parts = [float(v) for v in text.split(",")]
    if len(parts) != 3:
        raise ValueError(f"three numbers x,y,z expected, got {text!r}")
    return parts[0], parts[1], parts[2]


def _pair(text: str) -> tuple[float, float]:
    parts = [float(v) for v in text.split(",")]
    if len(parts) != 2:
        raise ValueError(f"two numbers x,y expected, got {text!r}")
    return parts[0], parts[1]


def _camera_arg(text: str, index: int, hfov: float, size: tuple[int, int]) -> Any:
    """``[ID=]X,Y,Z@TX,TY,TZ``: a camera at X,Y,Z looking at TX,TY,TZ."""
    from frontdesk.planner import PlannedCamera

    cid, _, rest = text.rpartition("=")
    at, sep, target = rest.partition("@")
    if not sep:
        raise ValueError(f"--camera {text!r}: write X,Y,Z@TX,TY,TZ (position, then the point "
                         f"it looks at), optionally ID= before it")
    return PlannedCamera.looking_at(cid or ("side", "front", "third")[min(index, 2)],
                                    _triple(at), _triple(target), hfov, size)


def _config_cameras(path: str, counter: str | None, size: tuple[int, int]) -> list[Any]:
    """The cameras of one counter in a config file (each needs camera.pose)."""
    from frontdesk.config import load_config
    from frontdesk.planner import cameras_of_counter

    cfg = load_config(path)
    return cameras_of_counter(cfg, counter, size)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m frontdesk.placement``: the table of one camera beside the counter, or,
    with cameras (``--camera`` or ``--config``), what one camera or a pair measures."""
    import argparse
    import json
    import sys

    ap = argparse.ArgumentParser(
        prog="python -m frontdesk.placement",
        description="Where the cameras can be. Without --camera or --config: the angles of one "
        "camera beside the counter (1.2 m between the heads). With cameras: for each moment "
        "that matters (a greeting on the walkway, the customer at the counter, the staff "
        "acknowledging), which camera sees the staff face and the customer face (within "
        f"{FACE_MESH_MAX_YAW_DEG:g} degrees, at a usable size); with --recommend, the best "
        "position for one more camera (frontdesk/planner.py, docs/installation.md).")
    ap.add_argument("--camera", action="append", default=[], metavar="[ID=]X,Y,Z@TX,TY,TZ",
                    help="a camera at X,Y,Z (metres, counter's floor frame) looking at TX,TY,TZ; "
                    "give it twice for a pair")
    ap.add_argument("--config", metavar="FILE",
                    help="take the cameras of a counter (with camera.pose) from a config file")
    ap.add_argument("--counter", help="with --config: which counter (default the first)")
    ap.add_argument("--side", action="store_true",
                    help="add issue 17's camera beside the counter (0.8,0,1.9 looking at "
                    "-1.5,0.3,1.6)")
    ap.add_argument("--hfov", type=float, default=90.0, help="horizontal field of view, degrees")
    ap.add_argument("--size", default="1280x720", help="image size WxH")
    ap.add_argument("--staff", action="append", default=[], metavar="X,Y",
                    help="a staff position (repeat for several; default 0,-0.6)")
    ap.add_argument("--service", default="0,0.6", metavar="X,Y",
                    help="where a customer stands at the counter")
    ap.add_argument("--walkway-y", type=float, default=0.85, help="the walkway's line (y)")
    ap.add_argument("--approach-from", type=float, choices=(-1.0, 1.0), default=-1.0,
                    help="the side (along x) customers come from")
    ap.add_argument("--distances", default="0.8,1.5,2.5",
                    help="greeting distances before the counter, metres")
    ap.add_argument("--min-face-px", type=float, default=24.0,
                    help="faces narrower get no mesh (perception.mesh_min_face_px)")
    ap.add_argument("--recommend", action="store_true",
                    help="search positions in plan, 1.9 to 2.3 m up, for one more camera")
    ap.add_argument("--step", type=float, default=0.1, help="the search's grid step, metres")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args(argv)

    if not (args.camera or args.config or args.side or args.recommend):
        if args.json:
            print(json.dumps([asdict(v) | {"both_faces_seen": v.both_faces_seen}
                              for v in placement_table()], indent=2))
            return 0
        print("offset_m  staff_yaw  customer_yaw  needed_fov  both_seen")
        for v in placement_table():
            print(f"{v.offset_m:8.1f}  {v.staff_yaw_deg:9.1f}  {v.customer_yaw_deg:12.1f}  "
                  f"{v.needed_fov_deg:10.1f}  {v.both_faces_seen}")
        return 0

    from frontdesk.config import ConfigError
    from frontdesk.errors import FrontdeskError
    from frontdesk.planner import SIDE_CAMERA, CounterLayout, describe, plan, recommend_camera

    try:
        w, _, h = args.size.partition("x")
        size = (int(w), int(h))
        layout = CounterLayout(
            staff_m=tuple(_pair(s) for s in args.staff) or ((0.0, -0.6),),
            service_m=_pair(args.service), walkway_y_m=args.walkway_y,
            approach_from=args.approach_from,
            distances_m=tuple(float(d) for d in args.distances.split(",")))
        cameras = [SIDE_CAMERA] if args.side else []
        if args.config:
            cameras += _config_cameras(args.config, args.counter, size)
        cameras += [_camera_arg(c, len(cameras) + i, args.hfov, size)
                    for i, c in enumerate(args.camera)]
        out: dict[str, Any] = {}
        if cameras:
            result = plan(layout, cameras, min_face_px=args.min_face_px)
            out["plan"] = result.to_json()
            text = describe(result)
        else:
            text = ""
        if args.recommend:
            ids = {c.id for c in cameras}
            new_id = next(n for n in ("front", "second", "third", "fourth") if n not in ids) \
                if cameras else "single"
            rec = recommend_camera(layout, cameras, camera_id=new_id, hfov_deg=args.hfov,
                                   size=size, step_m=args.step, min_face_px=args.min_face_px)
            out["recommendation"] = rec.to_json()
            j = rec.camera.to_json()
            text += ("\n\n" if text else "") + (
                f"recommended {'second ' if cameras else ''}camera ({rec.candidates} positions "
                f"tried): at {tuple(j['position_m'])} m, heading {j['heading_deg']} degrees, "
                f"tilt down {j['tilt_down_deg']}\n\n" + describe(rec.result))
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except (ValueError, FrontdeskError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2) if args.json else text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

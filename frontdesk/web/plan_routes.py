"""The floor plan page's API: a counter's cameras and zones in metres, the planner.

* ``GET /api/plan``: for each counter of this camera, every camera that sees it
  (this one, and with a ``cameras:`` list the others naming the same counter
  id), its pose, its zones in its image and on the floor (at head height,
  :mod:`frontdesk.floor_plan`), what it sees of the floor, and what the cameras
  measure together and each alone (:mod:`frontdesk.planner`, with the layout
  read from the zones on the floor).
* ``GET /api/plan/recommend?counter=ID``: the planner's search for one more
  camera, for the cameras the counter has.
* ``PUT /api/plan/zones``: zones drawn on the plan (metres) projected into the
  image of every camera of the counter with a pose and saved in the existing
  zone format, each into its camera's entry of the config file; this camera's
  engine takes them from the next frame, the others' at their next restart.

Every route is behind the app's login and same-origin guard like the rest of
``/api/``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from fastapi import FastAPI, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from frontdesk.camera_model import Intrinsics
from frontdesk.config import CameraConfig, Config, ConfigError, CounterConfig
from frontdesk.config.base import polygon_problem
from frontdesk.errors import FrontdeskError
from frontdesk.floor_plan import (
    floor_area,
    image_to_plan,
    layout_from_spots,
    plan_to_image,
    zone_spot,
)
from frontdesk.planner import CounterLayout, PlannedCamera, plan, recommend_camera
from frontdesk.web.config_file import set_counter_zones
from frontdesk.web.saving import error as _error
from frontdesk.web.saving import save_zones
from frontdesk.world import WorldPose

if TYPE_CHECKING:
    from frontdesk.web.app import WebContext

__all__ = ["add_plan_routes", "PlanZonesIn"]

KINDS = ("staff", "service", "approach")
DEFAULT_SIZE = (1280, 720)
SEARCH_MAX_POSITIONS = 1000
"""The most positions in plan the web's search tries (6 cameras each, 2 to 3 s on the
2-core box); a wider layout gets a coarser grid, not minutes of search."""


class PlanZonesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    counter: str = Field(..., min_length=1, max_length=64)
    service: list[tuple[float, float]] = Field(..., min_length=3, max_length=64)
    staff: list[tuple[float, float]] = Field(..., min_length=3, max_length=64)
    approach: list[tuple[float, float]] | None = Field(None, max_length=64)

    @field_validator("service", "staff", "approach")
    @classmethod
    def _metres(cls, v: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        for x, y in v or []:
            if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > 100:
                raise ValueError("points are (x, y) in metres, within 100 m of the counter")
        return v


@dataclass(frozen=True)
class _Cam:
    id: str
    section: CameraConfig
    counter: CounterConfig
    current: bool
    size: tuple[int, int]

    @property
    def planned(self) -> PlannedCamera | None:
        pose = self.section.pose
        if pose is None:
            return None
        return PlannedCamera(self.id, WorldPose.from_config(pose),
                             Intrinsics.from_config(self.section, *self.size))


def _whole(ctx: WebContext) -> Config | None:
    if ctx.config_file is None:
        return None
    from frontdesk.config.loading import parse_config

    try:
        return parse_config(ctx.config_file.read_text(), str(ctx.config_file.path))
    except (ConfigError, FrontdeskError):
        return None


def _this_size(ctx: WebContext) -> tuple[int, int]:
    snap = ctx.hub.snapshot()
    if snap is not None:
        return (snap.width, snap.height)
    cam = ctx.hub.config.camera
    return (cam.width or DEFAULT_SIZE[0], cam.height or DEFAULT_SIZE[1])


def _counter_cameras(ctx: WebContext, whole: Config | None, counter: CounterConfig) -> list[_Cam]:
    """This camera first (its running config), then the file's other cameras of the counter."""
    this_id = ctx.camera_id or "camera"
    out = [_Cam(this_id, ctx.hub.config.camera, counter, True, _this_size(ctx))]
    if whole is None or not whole.cameras:
        return out
    for entry in whole.cameras:
        if entry.id == ctx.camera_id:
            continue
        for c in entry.counters:
            if c.id == counter.id:
                size = (entry.camera.width or DEFAULT_SIZE[0],
                        entry.camera.height or DEFAULT_SIZE[1])
                out.append(_Cam(entry.id, entry.camera, c, False, size))
    return out


def _band(config: Config) -> tuple[float, float]:
    lo, hi = config.perception.head_height_m
    return float(lo), float(hi)


def _image_zones(counter: CounterConfig) -> dict[str, Any]:
    z = counter.zones
    return {"staff": [list(p) for p in z.staff], "service": [list(p) for p in z.service],
            "approach": [list(p) for p in z.approach] if z.approach else None}


def _floor_zones(cam: _Cam, pc: PlannedCamera, band: tuple[float, float]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind, poly in _image_zones(cam.counter).items():
        back = floor_area(poly, pc.pose, pc.intrinsics, band) if poly else None
        out[kind] = [list(p) for p in back] if back else None
    return out


def _layout(cams: list[tuple[_Cam, PlannedCamera]], height: float) -> CounterLayout | None:
    """The planner's layout from every posed camera's zones: each zone's spot (where a
    head is seen at the zone's middle), averaged over the cameras that place it."""
    spots: dict[str, list[tuple[float, float]]] = {k: [] for k in KINDS}
    for cam, pc in cams:
        for kind, poly in _image_zones(cam.counter).items():
            if poly:
                p = zone_spot(poly, pc.pose, pc.intrinsics, height)
                if p is not None:
                    spots[kind].append(p)

    def mean(points: list[tuple[float, float]]) -> tuple[float, float] | None:
        if not points:
            return None
        return (round(sum(p[0] for p in points) / len(points), 3),
                round(sum(p[1] for p in points) / len(points), 3))

    staff, service = mean(spots["staff"]), mean(spots["service"])
    if staff is None or service is None:
        return None
    return layout_from_spots(staff, service, mean(spots["approach"]))


def _view_on_floor(pc: PlannedCamera, height: float) -> list[list[float]] | None:
    frame = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
    back = image_to_plan(frame, pc.pose, pc.intrinsics, height)
    return [list(p) for p in back] if back else None


def _spots(layout: CounterLayout) -> list[tuple[str, tuple[float, float, float]]]:
    """Where the layout's people stand (heads), labelled for the drawings."""
    out = [(f"staff{'' if len(layout.staff_m) == 1 else ' ' + str(i + 1)}",
            (x, y, layout.staff_head_m)) for i, (x, y) in enumerate(layout.staff_m)]
    out.append(("customer", (*layout.service_m, layout.customer_head_m)))
    for d in layout.distances_m:
        out.append((f"{d:g} m", (*layout.walkway_point(d), layout.customer_head_m)))
    return out


def _spots_in_view(spots: list[tuple[str, tuple[float, float, float]]], pc: PlannedCamera
                   ) -> list[dict[str, Any]]:
    px = pc.pose.project(np.array([p for _n, p in spots]), pc.intrinsics)
    w, h = pc.intrinsics.width, pc.intrinsics.height
    out = []
    for (name, _p), (u, v) in zip(spots, px, strict=True):
        if math.isfinite(u) and math.isfinite(v) and 0 <= u < w and 0 <= v < h:
            out.append({"label": name, "at": [round(u / w, 4), round(v / h, 4)]})
    return out


def _counter_json(ctx: WebContext, whole: Config | None, counter: CounterConfig) -> dict[str, Any]:
    band = _band(ctx.hub.config)
    mid = (band[0] + band[1]) / 2
    cams = _counter_cameras(ctx, whole, counter)
    posed_cams: list[tuple[_Cam, PlannedCamera]] = []
    cameras = []
    planned: list[PlannedCamera] = []
    for cam in cams:
        pc = cam.planned
        entry: dict[str, Any] = {"id": cam.id, "current": cam.current, "has_pose": pc is not None,
                                 "size": list(cam.size), "zones": _image_zones(cam.counter),
                                 "floor_zones": None, "view_on_floor": None, "pose": None,
                                 "spots": []}
        if pc is not None:
            planned.append(pc)
            posed_cams.append((cam, pc))
            entry["pose"] = pc.to_json()
            entry["floor_zones"] = _floor_zones(cam, pc, band)
            entry["view_on_floor"] = _view_on_floor(pc, mid)
        cameras.append(entry)
    out: dict[str, Any] = {"id": counter.id, "name": counter.name or counter.id,
                           "cameras": cameras, "layout": None, "plan": None, "plan_error": None}
    if not planned:
        out["plan_error"] = (f"camera {cams[0].id} has no pose over the floor: measure it on the "
                             f"Camera page (Pose over the floor) to draw on the plan")
        return out
    layout = _layout(posed_cams, mid)
    if layout is None:
        out["plan_error"] = ("no camera places a head in the middle of the staff and the service "
                             "zones: draw them on the plan")
        return out
    out["layout"] = layout.to_json()
    spots = _spots(layout)
    for entry, pc in zip((c for c in cameras if c["has_pose"]), planned, strict=True):
        entry["spots"] = _spots_in_view(spots, pc)
    out["plan"] = plan(layout, planned, min_face_px=ctx.hub.config.perception.mesh_min_face_px
                       ).to_json()
    return out


def _find_counter(ctx: WebContext, counter_id: str) -> CounterConfig | None:
    return next((c for c in ctx.hub.config.counters if c.id == counter_id), None)


def add_plan_routes(app: FastAPI, ctx: WebContext) -> None:
    searching = threading.Lock()  # one search at a time: each takes a core for seconds

    @app.get("/api/plan")
    def get_plan() -> dict[str, Any]:
        whole = _whole(ctx)
        lo, hi = _band(ctx.hub.config)
        return {"camera": ctx.camera_id or "camera", "head_height_m": (lo + hi) / 2,
                "head_band_m": [lo, hi], "can_save": ctx.config_file is not None,
                "counters": [_counter_json(ctx, whole, c) for c in ctx.hub.config.counters]}

    @app.get("/api/plan/recommend")
    def get_recommendation(counter: str = Query(..., max_length=64),
                           step: float = Query(0.2, ge=0.1, le=1.0)) -> JSONResponse:
        found = _find_counter(ctx, counter)
        if found is None:
            return _error(404, f"no counter {counter!r} on this camera")
        if not searching.acquire(blocking=False):
            busy = _error(429, "a search for another camera is already running: try again "
                          "when it has answered")
            busy.headers["Retry-After"] = "5"
            return busy
        try:
            return _recommend(counter, found, step)
        finally:
            searching.release()

    def _recommend(counter: str, found: CounterConfig, step: float) -> JSONResponse:
        info = _counter_json(ctx, _whole(ctx), found)
        if info["layout"] is None:
            return _error(409, info["plan_error"])
        lay = info["layout"]
        layout = CounterLayout(staff_m=tuple(tuple(p) for p in lay["staff_m"]),
                               service_m=tuple(lay["service_m"]),
                               walkway_y_m=lay["walkway_y_m"], approach_from=lay["approach_from"],
                               distances_m=tuple(lay["distances_m"]),
                               counter_m=((lay["counter_m"][0][0], lay["counter_m"][0][1]),
                                          (lay["counter_m"][1][0], lay["counter_m"][1][1])))
        cams = [c.planned for c in _counter_cameras(ctx, _whole(ctx), found)]
        placed = [c for c in cams if c is not None]
        new_id = ("single", "second", "third")[min(len(placed), 2)]
        rec = recommend_camera(layout, placed, camera_id=new_id,
                               step_m=step, max_positions=SEARCH_MAX_POSITIONS,
                               min_face_px=ctx.hub.config.perception.mesh_min_face_px)
        return JSONResponse({"counter": counter, **rec.to_json()})

    @app.put("/api/plan/zones")
    def put_plan_zones(body: PlanZonesIn) -> JSONResponse:
        counter = _find_counter(ctx, body.counter)
        if counter is None:
            return _error(404, f"no counter {body.counter!r} on this camera")
        if ctx.config_file is None:
            return _error(409, "frontdesk was started without a config file: zones cannot be "
                          "saved")
        whole = _whole(ctx)
        band = _band(ctx.hub.config)
        drawn = {"service": body.service, "staff": body.staff, "approach": body.approach}
        problems: list[str] = []
        for kind, poly in drawn.items():
            if poly is not None:  # checked on a 200 m square mapped to 0..1 (1 cm2: no area)
                problem = polygon_problem([((float(x) + 100) / 200, (float(y) + 100) / 200)
                                           for x, y in poly])
                if problem and "outside the frame" in problem:
                    problem = None  # a point beyond 100 m is refused by PlanZonesIn already
                if problem:
                    problems.append(f"{kind} on the plan: {problem}")
        if problems:
            return _error(400, "; ".join(problems), problems=problems)
        per_camera: dict[str, dict[str, Any]] = {}
        notes: list[str] = []
        for cam in _counter_cameras(ctx, whole, counter):
            pc = cam.planned
            if pc is None:
                if cam.current:
                    return _error(409, f"camera {cam.id} has no pose over the floor: measure it "
                                  f"on the Camera page first")
                notes.append(f"camera {cam.id} has no pose: its zones are unchanged")
                continue
            zones: dict[str, Any] = {}
            for kind, poly in drawn.items():
                image = plan_to_image(poly, pc.pose, pc.intrinsics, band) if poly else None
                if image is None and kind != "approach":
                    problems.append(f"camera {cam.id}: the {kind} zone drawn on the plan is out "
                                    f"of its view")
                if poly is not None and image is None and kind == "approach":
                    notes.append(f"camera {cam.id} does not see the approach zone: none for it")
                zones[kind] = [list(p) for p in image] if image else None
            per_camera[cam.id] = zones
        if problems:
            return _error(400, "; ".join(problems), problems=problems)
        this_id = ctx.camera_id

        def edit(doc: Any) -> None:
            for cid, zones in per_camera.items():
                file_id = this_id if cid == (this_id or "camera") else cid
                set_counter_zones(doc, counter.id, zones, file_id)

        saved = save_zones(ctx, edit)
        if isinstance(saved, JSONResponse):
            return saved
        result, running, version = saved
        others = [cid for cid in per_camera if cid != (this_id or "camera")]
        message = (f"saved to {result.path.name} (backup {result.backup.name}); this camera "
                   f"uses them from the next frame")
        if others:
            message += f"; camera {', '.join(others)} at its next restart"
        return JSONResponse({"saved": True, "version": version, "message": message,
                             "notes": notes, "image_zones": per_camera,
                             "counter": _counter_json(ctx, result.config, next(
                                 c for c in running.counters if c.id == counter.id))})

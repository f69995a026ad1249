"""The installer's placement check: does this camera see the faces it must see?

A pure function over a window of per-frame face samples (the last minute of the
live view). For each zone of each counter: the share of frames in which a face
was found in it, the median face width in pixels, and the median angle at which
faces there are seen (between where the face points and its direction to the
camera; not the head's yaw in the camera's frame, which for a face near the
image's edge is off by the face's angle from the optical axis). Warnings come in
plain words, with the numbers of :mod:`frontdesk.placement`:

* Face Mesh holds to about 60 degrees of yaw. A person looking at someone across
  the counter is seen at the angle between their gaze and their direction to the
  camera; that angle grows as the camera moves away from the line between staff
  and customer. When a staff member and a customer are both seen (with a mesh,
  so with a measured 3D head position), that angle is computed from where their
  heads are, whatever they are looking at during the check, as ``frontdesk
  simulate --geometry`` computes it for the simulated scene; and so is the
  camera's distance from the line between them. Otherwise the zone's median
  viewing angle stands in for it.
* A face narrower than ``perception.mesh_min_face_px`` gets no mesh, hence no
  gaze. With focal length ``fx`` (pixels), a face ``TYPICAL_FACE_WIDTH_M`` wide
  is that narrow beyond ``fx * TYPICAL_FACE_WIDTH_M / mesh_min_face_px`` metres.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from frontdesk.camera_model import Intrinsics
from frontdesk.config import Config
from frontdesk.geometry import ZonePolygon
from frontdesk.placement import FACE_MESH_MAX_YAW_DEG, mutual_gaze_view
from frontdesk.planner import TYPICAL_FACE_WIDTH_M  # cheek to cheek, metres
from frontdesk.types import FrameObservation

__all__ = [
    "FaceSample",
    "MutualView",
    "mutual_view",
    "FrameSample",
    "ZoneCheck",
    "PlacementReport",
    "check_placement",
    "TYPICAL_FACE_WIDTH_M",
    "YAW_WARN_DEG",
    "SEPARATION_M",
]

YAW_WARN_DEG = 50.0
"""Typical yaw above which the check warns: 10 degrees of margin under Face Mesh's limit."""
SEPARATION_M = 1.2
"""Distance between staff and customer heads across a counter, for the advice."""
MIN_FRAMES = 15
SMALL_FACE_MARGIN = 1.25
"""Warn when the median face is narrower than this many times ``mesh_min_face_px``."""
LOW_SHARE = 0.5


@dataclass(frozen=True)
class FaceSample:
    """What the check needs of one face: where, how big, how turned. No image."""

    center_norm: tuple[float, float]
    size_px: float
    yaw_deg: float
    has_mesh: bool
    depth_m: float | None = None
    view_deg: float | None = None
    """Angle between where the face points and its direction to the camera (None: no
    head pose); the angle Face Mesh's limit of about 60 degrees applies to."""
    position_m: tuple[float, float, float] | None = None
    """Head position in the camera frame (metres), when measured."""

    @property
    def seen_at_deg(self) -> float:
        """The viewing angle, else the head's absolute yaw."""
        return self.view_deg if self.view_deg is not None else abs(self.yaw_deg)


def _angle_deg(a: Sequence[float], b: Sequence[float]) -> float | None:
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(x * x for x in b))
    if na < 1e-9 or nb < 1e-9:
        return None
    cos = sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def _view_deg(face: Any) -> float | None:
    """Angle between the head's forward direction and its direction to the camera."""
    rot = getattr(face, "rotation", None)
    p = face.head_position_m
    if rot is None or not all(math.isfinite(float(x)) for x in p) or float(p[2]) <= 0:
        return None
    from frontdesk.perception.pose import forward_vector

    forward = [float(x) for x in forward_vector(rot)]
    return _angle_deg(forward, [-float(x) for x in p])


@dataclass(frozen=True)
class FrameSample:
    t: float
    width: int
    height: int
    faces: tuple[FaceSample, ...] = ()

    @classmethod
    def from_observation(cls, obs: FrameObservation) -> FrameSample:
        w, h = float(max(obs.width, 1)), float(max(obs.height, 1))
        faces = []
        for f in obs.faces:
            cx, cy = f.center_px
            p = tuple(float(x) for x in f.head_position_m)
            good = all(math.isfinite(x) for x in p) and p[2] > 0
            faces.append(FaceSample((cx / w, cy / h), f.size_px, float(f.yaw_deg),
                                    bool(f.has_mesh), p[2] if good else None, _view_deg(f),
                                    (p[0], p[1], p[2]) if good else None))
        return cls(float(obs.t), int(obs.width), int(obs.height), tuple(faces))


@dataclass(frozen=True)
class ZoneCheck:
    counter_id: str
    zone: str
    """staff, service or approach."""
    frames: int
    frames_with_face: int
    faces: int
    face_share: float | None
    """Share of frames with at least one face in the zone."""
    median_face_px: float | None
    median_view_deg: float | None
    """Median angle at which the camera sees the faces in the zone
    (:attr:`FaceSample.seen_at_deg`)."""
    meshed_share: float | None
    """Share of those faces that got a mesh (pose and gaze)."""
    median_depth_m: float | None
    counter_name: str = ""
    """The counter's name (its id when it has none), for messages."""


@dataclass(frozen=True)
class MutualView:
    """How the camera sees a counter's staff and customer while they look at each other,
    from their measured head positions (medians over the frames with both)."""

    counter_id: str
    frames: int
    staff_deg: float
    """Angle between the staff member's direction to the customer and to the camera."""
    customer_deg: float
    separation_m: float
    """Distance between the two heads."""
    offset_m: float
    """The camera's distance from the line through the two heads."""
    counter_name: str = ""


@dataclass(frozen=True)
class PlacementReport:
    window_s: float
    frames: int
    mesh_range_m: float | None
    """Distance beyond which faces are too small for a mesh (no gaze)."""
    zones: list[ZoneCheck] = field(default_factory=list)
    mutual: list[MutualView] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.frames >= MIN_FRAMES and not self.warnings

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["ok"] = self.ok
        return d


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _camera_offset_for_yaw(yaw_deg: float, separation_m: float = SEPARATION_M) -> float:
    """Offset from the staff-customer line at which a camera midway sees both at ``yaw_deg``."""
    lo, hi = 0.01, 50.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if mutual_gaze_view(separation_m, mid).staff_yaw_deg < yaw_deg:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _advised_offset(separation_m: float = SEPARATION_M) -> tuple[float, float]:
    """The largest offset (to 0.1 m) at which both faces are seen at YAW_WARN_DEG or less."""
    best = (0.1, mutual_gaze_view(separation_m, 0.1).staff_yaw_deg)
    for tenth in range(1, 31):
        view = mutual_gaze_view(separation_m, tenth / 10)
        if max(view.staff_yaw_deg, view.customer_yaw_deg) <= YAW_WARN_DEG:
            best = (tenth / 10, max(view.staff_yaw_deg, view.customer_yaw_deg))
    return best


def _zones_of(config: Config) -> list[tuple[str, str, ZonePolygon, str]]:
    out = []
    for c in config.counters:
        name = c.name or c.id
        out.append((c.id, "staff", ZonePolygon(c.zones.staff), name))
        out.append((c.id, "service", ZonePolygon(c.zones.service), name))
        if c.zones.approach:
            out.append((c.id, "approach", ZonePolygon(c.zones.approach), name))
    return out


def _zone_check(counter_id: str, kind: str, poly: ZonePolygon,
                frames: Sequence[FrameSample], name: str = "") -> ZoneCheck:
    with_face = 0
    sizes: list[float] = []
    yaws: list[float] = []
    depths: list[float] = []
    meshed = 0
    for fs in frames:
        inside = [f for f in fs.faces if poly.contains(*f.center_norm)]
        if inside:
            with_face += 1
        for f in inside:
            sizes.append(f.size_px)
            yaws.append(f.seen_at_deg)
            meshed += int(f.has_mesh)
            if f.depth_m is not None:
                depths.append(f.depth_m)
    n = len(frames)
    return ZoneCheck(
        counter_id=counter_id, zone=kind, frames=n, frames_with_face=with_face, faces=len(sizes),
        face_share=with_face / n if n else None, median_face_px=_median(sizes),
        median_view_deg=_median(yaws), meshed_share=meshed / len(sizes) if sizes else None,
        median_depth_m=_median(depths), counter_name=name or counter_id,
    )


def _pair_view(p: Sequence[float], q: Sequence[float]
               ) -> tuple[float, float, float, float] | None:
    """(staff angle, customer angle, separation, camera's distance from their line)
    for heads ``p`` (staff) and ``q`` (customer) in the camera frame."""
    d = [b - a for a, b in zip(p, q, strict=True)]
    sep = math.sqrt(sum(x * x for x in d))
    a_s = _angle_deg(d, [-x for x in p])
    a_c = _angle_deg([-x for x in d], [-x for x in q])
    if a_s is None or a_c is None or sep < 0.2:
        return None
    cross = (p[1] * d[2] - p[2] * d[1], p[2] * d[0] - p[0] * d[2], p[0] * d[1] - p[1] * d[0])
    offset = math.sqrt(sum(x * x for x in cross)) / sep
    return a_s, a_c, sep, offset


def mutual_view(counter_id: str, staff: ZonePolygon, service: ZonePolygon,
                frames: Sequence[FrameSample]) -> MutualView | None:
    """The counter's staff-customer geometry from frames where both heads were measured
    with a mesh (the most central face of each zone); None when no frame has both."""
    views = []
    for fs in frames:
        s = [f for f in fs.faces if f.has_mesh and f.position_m and staff.contains(*f.center_norm)]
        c = [f for f in fs.faces if f.has_mesh and f.position_m
             and service.contains(*f.center_norm)]
        if not s or not c:
            continue
        p, q = s[0].position_m, c[0].position_m
        assert p is not None and q is not None
        view = _pair_view(p, q)
        if view is not None:
            views.append(view)
    if not views:
        return None
    med = [float(statistics.median(v[i] for v in views)) for i in range(4)]
    return MutualView(counter_id, len(views), med[0], med[1], med[2], med[3])


def _mutual_warnings(m: MutualView, warnings: list[str], notes: list[str]) -> None:
    worst = max(m.staff_deg, m.customer_deg)
    seen = (f"{m.counter_name or m.counter_id}: staff and customer heads "
            f"{m.separation_m:.1f} m apart, the camera "
            f"{m.offset_m:.1f} m from the line between them: while they look at each other "
            f"the camera sees the staff member at {m.staff_deg:.0f} degrees and the customer "
            f"at {m.customer_deg:.0f}")
    if worst <= YAW_WARN_DEG:
        notes.append(seen + f" ({m.frames} frames with both)")
        return
    good_offset, good_yaw = _advised_offset(m.separation_m)
    limit = "beyond" if worst > FACE_MESH_MAX_YAW_DEG else "close to"
    warnings.append(f"{seen}, {limit} what Face Mesh holds (about "
                    f"{FACE_MESH_MAX_YAW_DEG:.0f}): move the camera toward the end of the "
                    f"counter; within {good_offset:.1f} m of that line both faces are seen at "
                    f"about {good_yaw:.0f} degrees")


def _who(z: ZoneCheck) -> str:
    return "staff faces" if z.zone == "staff" else f"customers in the {z.zone} zone"


def _zone_warnings(z: ZoneCheck, min_face_px: float, mesh_range_m: float | None,
                   warnings: list[str], notes: list[str], geometry_known: bool = False) -> None:
    where = f"{z.counter_name or z.counter_id} {z.zone}"
    if z.frames_with_face == 0:
        warnings.append(f"{where}: no face was seen there during the check: have someone stand "
                        f"there, facing the counter, and check the zone covers where they stand")
        return
    seen = z.median_view_deg
    if seen is not None and seen > YAW_WARN_DEG and not geometry_known:
        offset = _camera_offset_for_yaw(min(seen, 89.0))
        good_offset, good_yaw = _advised_offset()
        limit = "beyond" if seen > FACE_MESH_MAX_YAW_DEG else "close to"
        warnings.append(
            f"{where}: {_who(z)} are seen at {seen:.0f} degrees, {limit} what Face "
            f"Mesh holds (about {FACE_MESH_MAX_YAW_DEG:.0f}): move the camera toward the end of "
            f"the counter. With {SEPARATION_M:g} m across the counter this view puts the camera "
            f"about {offset:.1f} m from the line between staff and customer; within "
            f"{good_offset:.1f} m of it both faces are seen at about {good_yaw:.0f} degrees")
    if z.median_face_px is not None and z.median_face_px < SMALL_FACE_MARGIN * min_face_px:
        beyond = f" beyond {mesh_range_m:.1f} m" if mesh_range_m is not None else ""
        who = "staff" if z.zone == "staff" else "customers"
        warnings.append(
            f"{where}: {who} are too small to track{beyond}: faces there are {z.median_face_px:.0f}"
            f" px wide (median) and faces under {min_face_px:.0f} px get no gaze. Move the camera "
            f"closer, use a narrower lens or a higher resolution")
    if z.face_share is not None and z.face_share < LOW_SHARE:
        notes.append(f"{where}: a face was found in {100 * z.face_share:.0f} % of frames; if "
                     f"someone stood there all along, check the light and the camera's view")


def check_placement(samples: Sequence[FrameSample], config: Config, *,
                    window_s: float = 60.0, now_t: float | None = None) -> PlacementReport:
    """Judge the camera's placement from the frames of the last ``window_s`` seconds.

    Args:
        samples: frames in time order (older ones are left out).
        config: zones, camera model and ``perception.mesh_min_face_px``.
        window_s: how far back to look from ``now_t``.
        now_t: end of the window (default: the last sample's time).
    """
    if samples:
        end = samples[-1].t if now_t is None else now_t
        frames = [s for s in samples if end - window_s < s.t <= end]
    else:
        frames = []
    min_px = config.perception.mesh_min_face_px
    mesh_range_m = None
    if frames:
        intr = Intrinsics.from_config(config.camera, frames[-1].width, frames[-1].height)
        mesh_range_m = intr.fx * TYPICAL_FACE_WIDTH_M / min_px
    report = PlacementReport(window_s=window_s, frames=len(frames), mesh_range_m=mesh_range_m)
    if len(frames) < MIN_FRAMES:
        report.notes.append(f"only {len(frames)} frames in the last {window_s:.0f} s: the check "
                            f"needs at least {MIN_FRAMES}; wait for the camera")
        return report
    known: set[str] = set()
    for c in config.counters:
        m = mutual_view(c.id, ZonePolygon(c.zones.staff), ZonePolygon(c.zones.service), frames)
        if m is not None:
            m = replace(m, counter_name=c.name or c.id)
            report.mutual.append(m)
            known.add(c.id)
            _mutual_warnings(m, report.warnings, report.notes)
    for counter_id, kind, poly, name in _zones_of(config):
        z = _zone_check(counter_id, kind, poly, frames, name)
        report.zones.append(z)
        _zone_warnings(z, min_px, mesh_range_m, report.warnings, report.notes,
                       geometry_known=counter_id in known)
    if mesh_range_m is not None:
        report.notes.append(f"faces get a mesh (pose and gaze) up to about {mesh_range_m:.1f} m "
                            f"from the camera ({TYPICAL_FACE_WIDTH_M * 100:.0f} cm faces at "
                            f"{min_px:.0f} px)")
    return report

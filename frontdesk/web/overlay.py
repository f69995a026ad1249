"""The live view's overlays, drawn server-side with OpenCV.

One function, :func:`draw_overlays`, serves the web UI's live frame and
``frontdesk calibrate snapshot``, so what an installer sees remotely is what the
browser shows. It draws on a copy; the frame itself is never changed.

Drawn:

* every counter's zones (approach violet, service teal, staff blue like the
  staff's boxes, ignore grey), labelled with the counter's name;
* every face: its box coloured by role (staff blue, customer orange, unknown
  grey), the anonymous track id, and a gaze ray 0.6 m long projected through the
  camera model: green ("eye contact") only while two people look at each other
  and both looks have held for the dwell, yellow while the person looks at
  someone (one way, or not held yet), white otherwise;
* each customer's timer under their face: "approaching" (grey) before they
  wait, "waiting 12 s" (white on black), white on red once alerting;
* with a person detector, every body box (thin, coloured by the role of the track
  it belongs to); a person seen by their body alone is labelled "(no face)" at
  the box's head point and gets their timer there;
* a banner per counter: customers waiting, longest wait, alert state, staff.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import cv2
import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.config import Config
from frontdesk.detectors.fusion import body_head_point
from frontdesk.engine.state import CounterState
from frontdesk.types import BodyBox, Face, FrameObservation

__all__ = ["draw_overlays", "ZONE_COLORS", "ROLE_COLORS", "LEGEND", "legend_json"]

log = logging.getLogger(__name__)

# BGR
ZONE_COLORS: dict[str, tuple[int, int, int]] = {
    "approach": (200, 70, 160),
    "service": (170, 160, 0),
    "staff": (230, 140, 40),
    "ignore": (150, 150, 150),
}
ROLE_COLORS: dict[str | None, tuple[int, int, int]] = {
    "staff": (230, 140, 40),
    "customer": (0, 140, 255),
    None: (170, 170, 170),
}
CONTACT = (60, 220, 60)
LOOKING = (0, 230, 255)
NEUTRAL = (235, 235, 235)
ALERT = (40, 40, 230)
WAITING_BG = (0, 0, 0)
APPROACHING = (200, 200, 200)
BANNER_BG = (40, 40, 40)
WHITE = (255, 255, 255)

LEGEND: dict[str, tuple[tuple[int, int, int], str]] = {
    "zone-approach": (ZONE_COLORS["approach"], "approach zone"),
    "zone-service": (ZONE_COLORS["service"], "service zone (where customers wait)"),
    "staff": (ROLE_COLORS["staff"], "staff: face box and staff zone"),
    "zone-ignore": (ZONE_COLORS["ignore"], "ignored area"),
    "customer": (ROLE_COLORS["customer"], "customer: face box"),
    "unknown": (ROLE_COLORS[None], "face not yet staff or customer"),
    "contact": (CONTACT, "gaze ray: eye contact (both look at each other, held)"),
    "looking": (LOOKING, "gaze ray: looking at someone (one way, or not held yet)"),
    "neutral": (NEUTRAL, "gaze ray: looking at nobody"),
    "approaching": (APPROACHING, "customer approaching, not waiting yet"),
    "waiting": (WAITING_BG, "customer waiting: seconds since arrival"),
    "alert": (ALERT, "waiting past the alert threshold; counter alerting"),
    "banner": (BANNER_BG, "counter status line"),
}
"""Everything :func:`draw_overlays` draws, by key: its colour (BGR) and what it means."""


def legend_json() -> list[dict[str, str]]:
    """The legend for the live view's page: key, CSS colour and text, in drawing order."""
    return [{"key": k, "color": f"#{c[2]:02x}{c[1]:02x}{c[0]:02x}", "text": text}
            for k, (c, text) in LEGEND.items()]


class _Drawn:
    """The legend keys one drawing used (tests compare them with the page's legend)."""

    def __init__(self, into: set[str] | None) -> None:
        self.keys = into if into is not None else set()

    def add(self, key: str) -> None:
        self.keys.add(key)
GAZE_RAY_M = 0.6
_MATCH_DISTANCE_NORM = 0.08
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _scale(image: np.ndarray) -> float:
    """Line and text scale for this image size (1.0 at 720 px high)."""
    return max(0.5, min(image.shape[:2]) / 720.0)


def _label(img: np.ndarray, text: str, org: tuple[int, int], color: tuple[int, int, int],
           scale: float, bg: tuple[int, int, int] | None = (0, 0, 0)) -> None:
    """Text with a dark box behind it, kept inside the image."""
    fs = 0.55 * scale
    th = max(1, round(1.4 * scale))
    (w, h), base = cv2.getTextSize(text, _FONT, fs, th)
    x = int(min(max(org[0], 0), max(0, img.shape[1] - w - 4)))
    y = int(min(max(org[1], h + 4), img.shape[0] - base - 2))
    if bg is not None:
        cv2.rectangle(img, (x - 2, y - h - 4), (x + w + 2, y + base + 2), bg, -1)
    cv2.putText(img, text, (x, y), _FONT, fs, color, th, cv2.LINE_AA)


def _poly_px(points: Sequence[Sequence[float]], w: int, h: int) -> np.ndarray:
    return np.array([[round(x * (w - 1)), round(y * (h - 1))] for x, y in points], dtype=np.int32)


def _draw_zones(img: np.ndarray, config: Config, scale: float, drawn: _Drawn) -> None:
    h, w = img.shape[:2]
    fill = img.copy()
    th = max(1, round(2 * scale))
    outlines: list[tuple[np.ndarray, tuple[int, int, int], str]] = []
    for counter in config.counters:
        z = counter.zones
        kinds: list[tuple[str, Any]] = [("staff", z.staff), ("service", z.service)]
        if z.approach:
            kinds.append(("approach", z.approach))
        kinds += [("ignore", poly) for poly in z.ignore]
        for kind, poly in kinds:
            pts = _poly_px(poly, w, h)
            cv2.fillPoly(fill, [pts], ZONE_COLORS[kind])
            outlines.append((pts, ZONE_COLORS[kind], f"{counter.name or counter.id} {kind}"))
            drawn.add("staff" if kind == "staff" else f"zone-{kind}")
    cv2.addWeighted(fill, 0.18, img, 0.82, 0.0, dst=img)
    for pts, color, text in outlines:
        cv2.polylines(img, [pts], True, color, th, cv2.LINE_AA)
        top = pts[np.argmin(pts[:, 1] * 10_000 + pts[:, 0])]
        _label(img, text, (int(top[0]) + 4, int(top[1]) + round(18 * scale)), color, scale * 0.8)


def _nearest(point_px: tuple[float, float], radius_norm: float, w: int, h: int,
             tracks: Sequence[Any]) -> Any | None:
    """The track whose head point is nearest ``point_px``, within ``radius_norm``."""
    px, py = point_px[0] / w, point_px[1] / h
    best, best_d = None, radius_norm
    for tv in tracks:
        tx, ty = tv.center_norm
        d = float(np.hypot(tx - px, ty - py))
        if d < best_d:
            best, best_d = tv, d
    return best


def _nearest_track(face: Face, w: int, h: int, tracks: Sequence[Any]) -> Any | None:
    return _nearest(face.center_px, _MATCH_DISTANCE_NORM, w, h, tracks)


def _body_track(body: BodyBox, w: int, h: int, tracks: Sequence[Any]) -> Any | None:
    """The track a body belongs to: the nearest head point within the body's width."""
    return _nearest(body_head_point(body), max(body.width_px / w, _MATCH_DISTANCE_NORM),
                    w, h, tracks)


def _draw_timer(img: np.ndarray, timer: tuple[float, bool, bool, bool], xy: tuple[int, int],
                scale: float, drawn: _Drawn) -> None:
    """A customer's state: "approaching" (not waiting yet), "waiting 12 s" (white on
    red once alerting) or "acknowledged"."""
    waited_s, alert, acknowledged, arrived = timer
    if acknowledged:
        _label(img, "acknowledged", xy, WHITE, scale, WAITING_BG)
        drawn.add("waiting")
    elif not arrived:
        _label(img, "approaching", xy, APPROACHING, scale, WAITING_BG)
        drawn.add("approaching")
    else:
        _label(img, f"waiting {waited_s:.0f} s", xy, WHITE, scale,
               ALERT if alert else WAITING_BG)
        drawn.add("alert" if alert else "waiting")


def _role_key(role: str | None) -> str:
    return role if role in ("staff", "customer") else "unknown"


def _draw_body(img: np.ndarray, body: BodyBox, track: Any | None, timers: dict,
               scale: float, drawn: _Drawn) -> None:
    role = getattr(track, "role", None)
    color = ROLE_COLORS.get(role, ROLE_COLORS[None])
    drawn.add(_role_key(role))
    x0, y0, x1, y1 = (round(v) for v in body.xyxy)
    cv2.rectangle(img, (x0, y0), (x1, y1), color, 1, cv2.LINE_AA)
    if track is None or getattr(track, "seen_by", None) != "body":
        return  # the face draws the label, or nobody is tracked here
    hx, hy = (round(v) for v in body_head_point(body))
    cv2.circle(img, (hx, hy), max(3, round(5 * scale)), color, -1, cv2.LINE_AA)
    _label(img, f"#{track.track_id} {role or '?'} (no face)", (x0, y0 - 6), color, scale)
    timer = timers.get(track.track_id)
    if timer is not None:
        _draw_timer(img, timer, (hx, hy + round(30 * scale)), scale, drawn)


def _gaze_end(face: Face, intr: Intrinsics) -> tuple[int, int] | None:
    """Pixel where the gaze ray ends, 0.6 m from the head (None: behind the camera)."""
    p = face.head_position_m
    if not np.all(np.isfinite(p)) or p[2] <= 0.05:
        return None
    end = p + GAZE_RAY_M * face.gaze
    if end[2] <= 0.05:  # the ray comes toward the lens: clip it in front of the camera
        s = (p[2] - 0.05) / max(p[2] - end[2], 1e-9)
        end = p + s * GAZE_RAY_M * face.gaze
    u, v = intr.project(end[None, :])[0]
    if not (np.isfinite(u) and np.isfinite(v)):
        return None
    lim = 4 * max(intr.width, intr.height)
    return int(np.clip(u, -lim, lim)), int(np.clip(v, -lim, lim))


def _customer_timers(states: Mapping[str, CounterState]
                     ) -> dict[int, tuple[float, bool, bool, bool]]:
    """track id -> (waited_s, alert, acknowledged, arrived) for every customer."""
    out: dict[int, tuple[float, bool, bool, bool]] = {}
    for state in states.values():
        for c in state.customers:
            out[c.track_id] = (c.waited_s, c.alert, c.acknowledged, c.arrived)
    return out


def _mutual_contact(track: Any, by_id: Mapping[int, Any]) -> bool:
    """Eye contact: this track holds a look at someone who holds a look back at it."""
    for other_id in getattr(track, "contact_with", ()) or ():
        other = by_id.get(other_id)
        if other is not None and track.track_id in (getattr(other, "contact_with", ()) or ()):
            return True
    return False


def _draw_face(img: np.ndarray, face: Face, track: Any | None, timers: dict,
               intr: Intrinsics, scale: float, by_id: Mapping[int, Any],
               drawn: _Drawn) -> None:
    role = getattr(track, "role", None)
    color = ROLE_COLORS.get(role, ROLE_COLORS[None])
    drawn.add(_role_key(role))
    x0, y0, x1, y1 = (round(v) for v in face.bbox)
    th = max(1, round(2 * scale))
    cv2.rectangle(img, (x0, y0), (x1, y1), color, th, cv2.LINE_AA)
    contact = track is not None and _mutual_contact(track, by_id)
    looking = bool(track is not None and (track.looking_at or track.contact_with))
    ray = "contact" if contact else "looking" if looking else "neutral"
    start = (round(face.center_px[0]), round(face.center_px[1]))
    end = _gaze_end(face, intr)
    if end is not None:
        cv2.arrowedLine(img, start, end, LEGEND[ray][0], th + (1 if contact else 0),
                        cv2.LINE_AA, tipLength=0.15)
        drawn.add(ray)
    name = f"#{track.track_id} {role or '?'}" if track is not None else "face"
    if contact:
        name += " eye contact"
    _label(img, name, (x0, y0 - 6), color, scale)
    timer = timers.get(track.track_id) if track is not None else None
    if timer is not None:
        _draw_timer(img, timer, (x0, y1 + round(22 * scale)), scale, drawn)


def _draw_banners(img: np.ndarray, config: Config, states: Mapping[str, CounterState],
                  scale: float, drawn: _Drawn) -> None:
    y = round(26 * scale)
    for counter in config.counters:
        s = states.get(counter.id)
        if s is None:
            continue
        if not s.enabled:
            status = "disabled"
        elif s.escalated:
            status = "ESCALATED"
        elif s.alert:
            status = "ALERT"
        elif s.customers_waiting:
            status = "waiting"
        else:
            status = "ok"
        text = (f"{counter.name or counter.id}: {status}, {s.customers_waiting} waiting"
                + (f", longest {s.longest_wait_s:.0f} s" if s.customers_waiting else "")
                + (", staff here" if s.staff_present else ", no staff seen"))
        alerting = s.alert or s.escalated
        _label(img, text, (8, y), WHITE, scale, ALERT if alerting else BANNER_BG)
        drawn.add("alert" if alerting else "banner")
        y += round(28 * scale)


def draw_overlays(image: np.ndarray, obs: FrameObservation | None, tracks_view: Sequence[Any],
                  counter_states: Mapping[str, CounterState], config: Config,
                  drawn: set[str] | None = None) -> np.ndarray:
    """A copy of ``image`` with zones, faces, gaze rays, eye contact and timers drawn.

    Args:
        image: BGR uint8 frame.
        obs: that frame's faces (None: draw zones and banners only).
        tracks_view: ``Engine.tracks_view()`` (items with ``track_id``, ``center_norm``,
            ``role``, ``looking_at``, ``contact_with``); faces are matched to the
            nearest track centre.
        counter_states: ``Engine.counter_states(t)``.
        config: zones and the camera model (for projecting gaze rays).
        drawn: if given, receives the :data:`LEGEND` keys of everything drawn.
    """
    img = np.ascontiguousarray(image).copy()
    h, w = img.shape[:2]
    scale = _scale(img)
    used = _Drawn(drawn)
    _draw_zones(img, config, scale, used)
    if obs is not None:
        intr = Intrinsics.from_config(config.camera, w, h)
        timers = _customer_timers(counter_states)
        by_id: dict[int, Any] = {int(tv.track_id): tv for tv in tracks_view}
        sx, sy = w / max(obs.width, 1), h / max(obs.height, 1)
        same_size = abs(sx - 1) <= 1e-6 and abs(sy - 1) <= 1e-6
        # (an observation from a different frame size: nothing sensible to draw)
        for body in obs.bodies if same_size else ():
            _draw_body(img, body, _body_track(body, w, h, tracks_view), timers, scale, used)
        for face in obs.faces if same_size else ():
            _draw_face(img, face, _nearest_track(face, w, h, tracks_view), timers, intr, scale,
                       by_id, used)
    _draw_banners(img, config, counter_states, scale, used)
    return img

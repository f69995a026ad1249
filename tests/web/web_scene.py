"""A stand-in for the runner: hand-placed faces fed to the real Engine, no camera.

The camera is a 1280x720 pinhole with a 90 degree field of view (focal length
640 px). Heads stand 2 to 2.5 m away: staff on the image's left, customers at
the counter on the right, inside the zones of ``CONFIG_YAML``. Frames are drawn
as flat grey images with a disc per head, so the live view has something to show.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import cv2
import numpy as np

from frontdesk.calibration import BoardSpec
from frontdesk.config import Config
from frontdesk.engine import Engine, Event
from frontdesk.pipeline import PipelineStep
from frontdesk.sinks import StateUpdate, apply_commands
from frontdesk.types import Face, Frame, FrameObservation

WIDTH, HEIGHT, FOCAL_PX = 1280, 720, 640.0

STAFF_AT = (-1.4, 0.0, 2.5)  # u = 0.22: staff zone
CUSTOMER_AT = (1.1, 0.0, 2.0)  # u = 0.775: service zone
LOOK_DOWN = (0.0, 1.0, 0.0)
INTO_LENS = (0.0, 0.0, -1.0)

CONFIG_YAML = """\
# frontdesk test configuration.
#
# Comments like this one must survive every save from the web UI.
site_id: web-test   # the shop

camera:
  # A 90 degree lens.
  source: demo://counter
  horizontal_fov_deg: 90
  matrix: null
  distortion: null
  calibrated_size: null

# Counters this camera sees.
counters:
  - id: counter-1
    name: Main counter
    zones:
      # Where customers walk toward the counter (optional).
      approach: [[0.55, 0.3], [0.74, 0.3], [0.74, 0.5], [0.55, 0.5]]
      # Where a customer stands at the counter.
      service: [[0.76, 0.27], [1.0, 0.27], [1.0, 0.85], [0.76, 0.85]]
      # Behind the counter, where staff stand.
      staff: [[0.0, 0.28], [0.39, 0.28], [0.39, 0.82], [0.0, 0.82]]
      ignore: []   # masks

engine:
  # Short, so the tests wait little.
  alert_after_s: 3.0
  escalate_after_s: 20.0

web:
  enabled: true
  bind: 127.0.0.1:0
  # The password's variable; the tests set it.
  password_env: FD_TEST_WEB_PASSWORD
"""

PASSWORD = "correct-horse-battery"
ENV = {"FD_TEST_WEB_PASSWORD": PASSWORD}


def project(p: Sequence[float]) -> tuple[float, float]:
    return (FOCAL_PX * p[0] / p[2] + WIDTH / 2, FOCAL_PX * p[1] / p[2] + HEIGHT / 2)


def face(p: Sequence[float], gaze: Sequence[float], yaw_deg: float = 0.0) -> Face:
    u, v = project(p)
    half = 0.08 * FOCAL_PX / p[2]
    g = np.asarray(gaze, dtype=np.float64)
    return Face(bbox=(u - half, v - half, u + half, v + half), score=0.9, yaw_deg=yaw_deg,
                pitch_deg=0.0, roll_deg=0.0, gaze=g / np.linalg.norm(g),
                head_position_m=np.asarray(p, dtype=np.float64))


def toward(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    d = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
    d /= np.linalg.norm(d)
    return (float(d[0]), float(d[1]), float(d[2]))


def render(faces: list[Face]) -> np.ndarray:
    """A flat grey frame with a skin-coloured disc for each face."""
    img = np.full((HEIGHT, WIDTH, 3), 96, np.uint8)
    cv2.rectangle(img, (0, int(0.62 * HEIGHT)), (WIDTH, HEIGHT), (60, 80, 110), -1)  # counter
    for f in faces:
        cx, cy = f.center_px
        cv2.circle(img, (round(cx), round(cy)), round(f.size_px / 2), (150, 180, 220), -1)
    return img


def render_board(k: np.ndarray, rvec: np.ndarray, tvec_mm: np.ndarray, board: BoardSpec,
                 size: tuple[int, int]) -> np.ndarray:
    """A photo of a flat checkerboard seen by an ideal camera ``k`` (no distortion)."""
    px_per_mm = 4
    sq = int(board.square_mm * px_per_mm)
    cols, rows = board.cols + 1, board.rows + 1  # squares
    margin = sq
    flat = np.full((rows * sq + 2 * margin, cols * sq + 2 * margin), 255, np.uint8)
    for r in range(rows):
        for c in range(cols):
            if (r + c) % 2 == 0:
                y, x = margin + r * sq, margin + c * sq
                flat[y:y + sq, x:x + sq] = 0
    rot, _ = cv2.Rodrigues(rvec)
    # board pixel (u, v) -> board mm (x, y, 0) with the first inner corner at the origin
    to_mm = np.array([[1 / px_per_mm, 0, -(margin + sq) / px_per_mm],
                      [0, 1 / px_per_mm, -(margin + sq) / px_per_mm], [0, 0, 1]])
    h = k @ np.column_stack([rot[:, 0], rot[:, 1], tvec_mm]) @ to_mm
    return cv2.warpPerspective(flat, h, size, flags=cv2.INTER_AREA, borderValue=200)


class StandInRunner:
    """What the web UI needs of ``frontdesk.runner.Runner``, fed by hand.

    ``step(t, faces)`` runs the real engine on one frame, applies the sinks'
    commands and hands events and state to the sinks in the caller's thread, as
    the runner's loop does.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.engine = Engine(config)
        self.health: dict[str, Any] = {"camera": "online", "fps": 0.0, "last_frame_age_s": None}
        self._sinks: list[Any] = []
        self.events: list[Event] = []
        self.index = 0

    def add_sink(self, sink: Any) -> None:
        self._sinks.append(sink)

    def step(self, t: float, faces: list[Face], image: np.ndarray | None = None) -> list[Event]:
        """One frame at ``t``; ``image`` (BGR, 1280x720) replaces the drawn one."""
        obs = FrameObservation(self.index, t, WIDTH, HEIGHT, faces, wall_time=1.7e9 + t)
        frame = Frame(render(faces) if image is None else image, t, self.index,
                      wall_time=1.7e9 + t, source="stand-in")
        events = self.engine.update(obs)
        events += apply_commands(self._sinks, self.engine, t, 1.7e9 + t)
        self.events += events
        step = PipelineStep(frame, obs, events)
        for sink in list(self._sinks):
            if events:
                sink.emit(events)
            sink.state(StateUpdate(t, self.health, step, self.engine))
        self.index += 1
        return events

    def run_scene(self, t0: float, t1: float, fps: float = 10.0,
                  faces: Callable[[float], list[Face]] | None = None) -> float:
        """Frames from ``t0`` up to ``t1``; staff looking down, a customer looking at the lens."""
        make = faces or (lambda _t: [face(STAFF_AT, LOOK_DOWN), face(CUSTOMER_AT, INTO_LENS)])
        n = int(round((t1 - t0) * fps))
        t = t0
        for i in range(n + 1):
            t = t0 + i / fps
            self.step(t, make(t))
        return t


@contextmanager
def feeding(runner: StandInRunner, t0: float, fps: float = 10.0,
            faces: Callable[[float], list[Face]] | None = None) -> Iterator[list[float]]:
    """Feed frames in real time from a thread (as the runner's loop does) until the block ends.

    Yields a one-item list holding the time of the last frame fed.
    """
    stop = threading.Event()
    last = [t0]

    def loop() -> None:
        t = t0
        while not stop.is_set():
            t += 1.0 / fps
            runner.run_scene(t, t, fps, faces)
            last[0] = t
            time.sleep(1.0 / fps)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield last
    finally:
        stop.set()
        thread.join(5.0)


# Two cameras of one box: each worker serves its own web UI (docs/web.md, "Several cameras").
MULTI_CAMERA_YAML = """\
# frontdesk test configuration: two cameras on one box.
#
# Comments like this one must survive every save from any camera's web UI.
site_id: web-multi   # the shop

cameras:
  # The front door camera.
  - id: front
    camera:
      source: demo://counter
      horizontal_fov_deg: 90   # front lens
    counters:
      - id: front-desk
        zones:
          # Where a customer stands at the front desk.
          service: [[0.76, 0.27], [1.0, 0.27], [1.0, 0.85], [0.76, 0.85]]
          # Front desk staff.
          staff: [[0.0, 0.28], [0.39, 0.28], [0.39, 0.82], [0.0, 0.82]]
  # The pharmacy camera.
  - id: pharmacy
    camera:
      source: demo://counter
      horizontal_fov_deg: 100   # pharmacy lens
    counters:
      - id: pharmacy-desk
        zones:
          # Where a customer stands at the pharmacy.
          service: [[0.76, 0.27], [1.0, 0.27], [1.0, 0.85], [0.76, 0.85]]
          # Pharmacy staff.
          staff: [[0.0, 0.28], [0.39, 0.28], [0.39, 0.82], [0.0, 0.82]]

engine:
  alert_after_s: 3.0
  escalate_after_s: 20.0

web:
  enabled: true
  bind: 127.0.0.1:PORT   # the first camera; the next on PORT + 1
  password_env: FD_TEST_WEB_PASSWORD
"""

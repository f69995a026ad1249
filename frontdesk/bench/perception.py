"""``frontdesk bench perception``: frames per second and the cost of frontdesk's code.

The clip is made at run time: two copies of the public-domain astronaut portrait
from scikit-image (one mirrored and smaller, so they look like two people)
composited on a plain shop-like background at 640x480, drifting a few pixels
each frame, written as MJPEG to a temporary file and decoded back through
:func:`frontdesk.capture.open_source`, so the decode stage is real.

Every frame is measured twice, interleaved so that load from other processes
hits both alike:

* **frontdesk**: ``FacePerceiver.process`` (colour conversion, detection, crops,
  Face Mesh, landmark mapping, solvePnP, gaze, distance),
* **bare MediaPipe**: only the MediaPipe calls the perceiver makes, on the same
  frame and the same crops (prepared outside the timed region): the full-range
  detector on the RGB frame and on as many square tiles as the perceiver runs
  per frame (``perception.detection_tiles``), and Face Mesh on each crop.

Which of the two runs first alternates from frame to frame.

The overhead ratio is frontdesk's mean time per frame over bare MediaPipe's.
By default the process is pinned to the least busy core (all its threads,
including MediaPipe's), so the figures are for one core.

Wall-clock figures suffer when other processes share that core. Process CPU
time (all threads) is reported beside them: frames per second from CPU time is
what the core could do if it were ours alone, and the CPU-time overhead ratio is
steadier under load. The load average at the end of the run is printed too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from frontdesk.bench.cpu import add_output_and_pinning_args, positive_int

__all__ = [
    "register",
    "run",
    "PerceptionBenchResult",
    "make_two_face_clip",
    "run_perception_bench",
    "format_result",
    "GOAL_FPS",
    "GOAL_OVERHEAD",
]

log = logging.getLogger(__name__)

GOAL_FPS = 30.0
GOAL_OVERHEAD = 0.15
WARMUP_FRAMES = 10
CLIP_SIZE = (640, 480)
CLIP_FPS = 30.0


def register(targets: argparse._SubParsersAction) -> None:
    p = targets.add_parser(
        "perception",
        help="frames per second of perception on a two-face clip, against bare MediaPipe",
    )
    p.add_argument("--frames", type=positive_int, default=300, metavar="N",
                   help=f"frames to measure (default 300, after {WARMUP_FRAMES} warm-up frames)")
    p.add_argument("--detection-tiles", type=int, default=None, metavar="N",
                   choices=range(0, 7),
                   help="perception.detection_tiles (default: the config default, 2; "
                        "0: whole frame only)")
    add_output_and_pinning_args(p)
    p.set_defaults(func=run)


@dataclass
class PerceptionBenchResult:
    """What one run of the perception benchmark measured (milliseconds per frame)."""

    frames: int
    width: int
    height: int
    cpu: int | None
    load_average: float | None
    faces_per_frame: float
    meshed_per_frame: float
    stage_ms: dict[str, float]
    frontdesk_ms: float
    frontdesk_ms_median: float
    frontdesk_ms_min: float
    bare_ms: dict[str, float]
    bare_total_ms: float
    bare_total_ms_median: float
    bare_total_ms_min: float
    overhead_ratio: float
    overhead_ratio_median: float
    overhead_ratio_cpu: float
    fps: float
    cpu_ms_per_frame: float
    fps_cpu: float
    goals: dict[str, bool] = field(default_factory=dict)

    def to_json(self) -> dict:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = round(value, 3)
            elif isinstance(value, dict):
                out[key] = {k: round(v, 3) if isinstance(v, float) else v for k, v in value.items()}
        return out


def make_two_face_clip(path: Path, frames: int, size: tuple[int, int] = CLIP_SIZE) -> Path:
    """Write the benchmark clip (MJPEG in AVI) to ``path`` and return it."""
    import cv2
    from skimage import data

    width, height = size
    portrait = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
    head = portrait[0:300, 90:370]
    ellipse = np.zeros(head.shape[:2], np.float32)
    cv2.ellipse(ellipse, (135, 120), (105, 125), 0, 0, 360, (1.0,), -1)
    mask = cv2.GaussianBlur(ellipse, (0, 0), 8)
    people = [
        (cv2.resize(head, None, fx=0.75, fy=0.75), cv2.resize(mask, None, fx=0.75, fy=0.75)),
        (cv2.flip(cv2.resize(head, None, fx=0.6, fy=0.6), 1),
         cv2.flip(cv2.resize(mask, None, fx=0.6, fy=0.6), 1)),
    ]
    background = _background(width, height)
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter.fourcc(*"MJPG"), CLIP_FPS, (width, height)
    )
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write MJPEG video here")
    try:
        for i in range(frames):
            img = background.copy()
            for k, (face, alpha) in enumerate(people):
                phase = 2.0 * math.pi * i / 90.0 + k * 1.7
                x = int(90 + 290 * k + 18 * math.sin(phase))
                y = int(70 + 40 * k + 6 * math.sin(2 * phase))
                _paste(img, face, alpha, x, y)
            writer.write(img)
    finally:
        writer.release()
    return path


def _background(width: int, height: int) -> np.ndarray:
    ramp = np.linspace(200, 150, height, dtype=np.float32)[:, None]
    img = np.repeat(np.repeat(ramp, width, axis=1)[:, :, None], 3, axis=2)
    img *= np.array([0.95, 1.0, 1.05], np.float32)
    img[int(height * 0.72):] = (60, 90, 130)  # the counter
    rng = np.random.default_rng(7)
    img += rng.normal(0, 3, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _paste(img: np.ndarray, face: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    h, w = face.shape[:2]
    region = img[y:y + h, x:x + w]
    h, w = region.shape[:2]
    a = alpha[:h, :w, None]
    region[:] = (face[:h, :w] * a + region * (1.0 - a)).astype(np.uint8)


def run_perception_bench(
    frames: int, pin: bool = True, cpu: int | None = None, detection_tiles: int | None = None
) -> PerceptionBenchResult:
    """Run the benchmark over ``frames`` frames (plus warm-up) and return the figures.
    ``detection_tiles`` overrides ``perception.detection_tiles`` (None: its default)."""
    from frontdesk.bench.cpu import least_busy_cpu, pin_to_cpu
    from frontdesk.capture import open_source
    from frontdesk.config import CameraConfig, PerceptionConfig
    from frontdesk.perception import FacePerceiver
    from frontdesk.perception.mediapipe_faces import MESH_DETECTION_CONFIDENCE

    pinned: int | None = None
    if pin:
        core = least_busy_cpu() if cpu is None else cpu
        if pin_to_cpu(core):
            pinned = core
    overrides = {} if detection_tiles is None else {"detection_tiles": detection_tiles}
    camera = CameraConfig.model_validate({})
    perception = PerceptionConfig.model_validate(overrides)
    tally = _Tally()
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-") as tmp:
        clip = make_two_face_clip(Path(tmp) / "two-faces.avi", frames + WARMUP_FRAMES)
        with (
            open_source(str(clip), camera) as source,
            FacePerceiver(perception, camera) as perceiver,
            bare_graphs(perception.min_detection_confidence, MESH_DETECTION_CONFIDENCE) as bare,
        ):
            it = iter(source)
            for i in range(frames + WARMUP_FRAMES):
                if i == WARMUP_FRAMES:
                    perceiver.timer.reset()
                    perceiver.faces_meshed = 0
                    tally = _Tally()
                _measure_frame(it, perceiver, bare, perception, tally)
            stage = perceiver.stage_ms
            meshed = perceiver.faces_meshed
    return _result(tally, stage, meshed, pinned)


@dataclass
class _Tally:
    """Per-frame measurements (milliseconds) of the measured frames."""

    ours: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    bare_detect: list[float] = field(default_factory=list)
    ours_cpu: list[float] = field(default_factory=list)
    bare_cpu: list[float] = field(default_factory=list)
    decode_cpu: list[float] = field(default_factory=list)
    faces: int = 0


def _measure_frame(
    it: Iterator[Any], perceiver: Any, bare: tuple[Any, Any, Any], cfg: Any, tally: _Tally
) -> None:
    """Decode one frame, run bare MediaPipe and frontdesk on it, and record the times."""
    import cv2

    detector, mesh, prep = bare
    c0, td = time.process_time(), time.perf_counter()
    frame = next(it)
    decode_ms = (time.perf_counter() - td) * 1000.0
    tally.decode_cpu.append((time.process_time() - c0) * 1000.0)
    images, crops = bare_inputs(prep, cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB), cfg)

    def timed_bare() -> tuple[float, float, float]:
        c0, t0 = time.process_time(), time.perf_counter()
        detect_ms = run_bare(detector, mesh, images, crops)
        t2, c2 = time.perf_counter(), time.process_time()
        return (t2 - t0) * 1000.0, detect_ms, (c2 - c0) * 1000.0

    def run_ours() -> tuple[float, float, int]:
        c0, t0 = time.process_time(), time.perf_counter()
        obs = perceiver.process(frame)
        t1, c1 = time.perf_counter(), time.process_time()
        return (t1 - t0) * 1000.0, (c1 - c0) * 1000.0, len(obs.faces)

    # Alternate which goes first, so neither always runs on caches the other warmed.
    if len(tally.ours) % 2:
        bare_ms, bare_detect_ms, bare_cpu_ms = timed_bare()
        ours_ms, ours_cpu_ms, faces = run_ours()
    else:
        ours_ms, ours_cpu_ms, faces = run_ours()
        bare_ms, bare_detect_ms, bare_cpu_ms = timed_bare()
    perceiver.timer.add("decode", decode_ms)
    tally.ours.append(ours_ms)
    tally.bare.append(bare_ms)
    tally.bare_detect.append(bare_detect_ms)
    tally.ours_cpu.append(ours_cpu_ms)
    tally.bare_cpu.append(bare_cpu_ms)
    tally.faces += faces


def _result(
    tally: _Tally, stage: dict[str, float], meshed: int, pinned: int | None
) -> PerceptionBenchResult:
    n = len(tally.ours)
    frontdesk = sum(tally.ours) / n
    bare_total = sum(tally.bare) / n
    bare_detect = sum(tally.bare_detect) / n
    ratio = frontdesk / bare_total
    ratio_cpu = sum(tally.ours_cpu) / max(sum(tally.bare_cpu), 1e-9)
    wall_ms = stage.get("decode", 0.0) + frontdesk
    cpu_ms = (sum(tally.ours_cpu) + sum(tally.decode_cpu)) / n
    result = PerceptionBenchResult(
        frames=n, width=CLIP_SIZE[0], height=CLIP_SIZE[1], cpu=pinned,
        load_average=os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        faces_per_frame=tally.faces / n, meshed_per_frame=meshed / n, stage_ms=stage,
        frontdesk_ms=frontdesk, frontdesk_ms_median=statistics.median(tally.ours),
        frontdesk_ms_min=min(tally.ours),
        bare_ms={"detect": bare_detect, "mesh": bare_total - bare_detect},
        bare_total_ms=bare_total, bare_total_ms_median=statistics.median(tally.bare),
        bare_total_ms_min=min(tally.bare), overhead_ratio=ratio,
        overhead_ratio_median=statistics.median(tally.ours) / statistics.median(tally.bare),
        overhead_ratio_cpu=ratio_cpu, fps=1000.0 / wall_ms, cpu_ms_per_frame=cpu_ms,
        fps_cpu=1000.0 / cpu_ms if cpu_ms > 0 else 0.0,
    )
    result.goals = {
        f"overhead <= {GOAL_OVERHEAD:.0%}": ratio - 1.0 <= GOAL_OVERHEAD,
        f"fps >= {GOAL_FPS:.0f}": result.fps >= GOAL_FPS,
        f"overhead <= {GOAL_OVERHEAD:.0%} (CPU time)": ratio_cpu - 1.0 <= GOAL_OVERHEAD,
        f"fps >= {GOAL_FPS:.0f} (CPU time)": result.fps_cpu >= GOAL_FPS,
    }
    return result


@contextlib.contextmanager
def bare_graphs(
    min_detection_confidence: float, mesh_detection_confidence: float
) -> Iterator[tuple[Any, Any, Any]]:
    """The perceiver's two MediaPipe graphs built straight from MediaPipe, and a
    second detector that prepares the crops outside the timing."""
    import mediapipe as mp

    def detector() -> Any:
        return mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_detection_confidence
        )

    graphs = (
        detector(),
        mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=1, refine_landmarks=True,
            min_detection_confidence=mesh_detection_confidence,
        ),
        detector(),
    )
    try:
        yield graphs
    finally:
        for graph in graphs:
            graph.close()


def bare_inputs(prep: Any, rgb: Any, cfg: Any,
                windows: list[tuple[int, int, int]] | None = None) -> tuple[list[Any], list[Any]]:
    """What bare MediaPipe is given for one RGB frame, made outside any timing:
    the detector's images (the frame, then ``windows``, the square windows the
    perceiver runs on this frame; by default as many frame-high tiles as it runs
    per frame) and Face Mesh's crops of the faces found on them (found by
    ``prep``, a detector of its own, so the timed one does not run twice).
    Before the sixth session the crops came from the whole frame alone, so the
    faces only a tile found were meshed by the perceiver and not by the
    baseline (docs/performance.md, "Small faces in the approach")."""
    import numpy as np

    from frontdesk.perception.mediapipe_faces import (
        add_windows,
        detections_from_result,
        mesh_crop,
        tile_windows,
    )

    h, w = rgb.shape[:2]
    if windows is None:
        windows = tile_windows(w, h, cfg.detection_tiles)[: cfg.tiles_per_frame]
    images = [rgb] + [np.ascontiguousarray(rgb[y:y + s, x:x + s]) for x, y, s in windows]
    dets = add_windows(lambda image: prep.process(image).detections, rgb,
                       detections_from_result(prep.process(rgb), w, h),
                       windows)[: cfg.max_faces]
    crops = [mesh_crop(d.bbox).cut(rgb) for d in dets if d.width_px >= cfg.mesh_min_face_px]
    return images, crops


def run_bare(detector: Any, mesh: Any, images: list[Any], crops: list[Any]) -> float:
    """Bare MediaPipe on :func:`bare_inputs`; returns the detector's share in ms."""
    t0 = time.perf_counter()
    for image in images:
        detector.process(image)
    t1 = time.perf_counter()
    for crop in crops:
        mesh.process(crop)
    return (t1 - t0) * 1000.0


def format_result(r: PerceptionBenchResult) -> str:
    core = f"pinned to core {r.cpu}" if r.cpu is not None else "not pinned"
    if r.load_average is not None:
        core += f", load average {r.load_average:.1f}"
    lines = [
        f"perception benchmark: {r.frames} frames {r.width}x{r.height}, "
        f"{r.faces_per_frame:.2f} faces/frame ({r.meshed_per_frame:.2f} meshed), {core}",
        f"  frames per second       {r.fps:7.1f}   (decode + perception, wall clock)",
        f"  frames per second (CPU) {r.fps_cpu:7.1f}   (from process CPU time)",
        "  ms per frame by stage   " + "  ".join(f"{k} {v:.2f}" for k, v in r.stage_ms.items()),
        f"  frontdesk perception    {r.frontdesk_ms:7.2f} ms "
        f"(median {r.frontdesk_ms_median:.2f}, min {r.frontdesk_ms_min:.2f})",
        f"  bare MediaPipe          {r.bare_total_ms:7.2f} ms "
        f"(median {r.bare_total_ms_median:.2f}, min {r.bare_total_ms_min:.2f}; "
        f"detect {r.bare_ms['detect']:.2f}, mesh {r.bare_ms['mesh']:.2f})",
        f"  overhead ratio          {r.overhead_ratio:7.3f}   "
        f"(+{(r.overhead_ratio - 1) * 100:.1f} %; median-based {r.overhead_ratio_median:.3f}, "
        f"CPU-time {r.overhead_ratio_cpu:.3f})",
    ]
    for goal, ok in r.goals.items():
        lines.append(f"  goal {goal:<29} {'met' if ok else 'NOT met'}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    result = run_perception_bench(args.frames, pin=not args.no_pin, cpu=args.cpu,
                                  detection_tiles=args.detection_tiles)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json()) + "\n")
    else:
        sys.stdout.write(format_result(result) + "\n")
    return 0

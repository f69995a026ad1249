"""The frame pipeline: one frame in, one observation and the engine's events out.

Every command that needs perception or the engine goes through
:class:`FramePipeline` (``run``, ``demo``, ``calibrate snapshot``, ``eval
--video``, ``inspect``, ``bench chain``), so a stage added here reaches all of
them at once. The stages, in order::

    Frame ──► perceive ──────────────────────► FrameObservation ──► update ──► Event[]
              faces (FacePerceiver; gated)                          tracking, zones,
              + bodies (person detector, at its cadence)            eye contact, visits
              + occupancy (presence without a face)                 (Engine)

``perceive`` and ``update`` can be called apart: ``eval --video`` keeps the
observations and scores them with a fresh engine of its own; ``run
--observations`` replays recorded observations straight into ``update``.

Several cameras of one counter (issue 17) feed one engine through
:class:`CounterPipeline`: each camera's observations (its own ``perceive``) go to
``update(camera_id, obs)`` in capture-time order; the fusion step
(:class:`~frontdesk.fusion.CounterFusion`) turns them into one observation in
the primary camera's frame, and the engine runs on that, unchanged.

Start-up is loud and the frame loop is not: a missing or altered model raises
here, in the constructor; what one frame does wrong is the caller's to skip and
count.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

from frontdesk.config import Config, CounterConfig
from frontdesk.engine import Engine
from frontdesk.engine.events import Event
from frontdesk.errors import FrontdeskError
from frontdesk.fusion import CounterFusion, FusionCamera
from frontdesk.types import BodyBox, Frame, FrameObservation
from frontdesk.world import WorldPose

Box = tuple[float, float, float, float]

if TYPE_CHECKING:
    from frontdesk.detectors.onnx_person import EveryNFrames, OnnxPersonDetector
    from frontdesk.engine import TrackView
    from frontdesk.perception import FacePerceiver
    from frontdesk.perception.gate import DetectionGate, Focus
    from frontdesk.perception.mediapipe_faces import Detection
    from frontdesk.perception.presence import PresenceStage

__all__ = ["FramePipeline", "PipelineStep", "BodyCadence", "BODIES_GAP_CHECK_FRAME", "focus_of",
           "CounterPipeline", "fusion_cameras"]

log = logging.getLogger(__name__)

BODIES_GAP_CHECK_FRAME = 10
"""The engine frame at which the person detector's interval is checked against the
grace period (the engine's frame period has settled by then)."""


@dataclass
class PipelineStep:
    """What one frame gave: the frame (None for a replayed observation), what
    perception saw, and the engine's events."""

    frame: Frame | None
    observation: FrameObservation
    events: list[Event] = field(default_factory=list)


class BodyCadence:
    """The optional person detector, run on one frame in ``every_n_frames``.

    Adds its boxes to each observation: fresh on the frames it runs, the latest
    run's carried (``bodies_fresh`` False) on the frames between.
    """

    def __init__(self, detector: OnnxPersonDetector, every_n_frames: int) -> None:
        from frontdesk.detectors.onnx_person import EveryNFrames

        self.detector = detector
        self.every_n_frames = every_n_frames
        self._every: EveryNFrames = EveryNFrames(detector, every_n_frames)
        self._last: list[BodyBox] = []

    def add_bodies(self, frame: Frame, obs: FrameObservation) -> None:
        boxes = self._every.maybe_detect(frame.image)
        if boxes is not None:
            self._last = boxes
        obs.bodies = list(self._last)
        obs.bodies_fresh = boxes is not None

    def close(self) -> None:
        self._every.close()


class FramePipeline:
    """Perception, the person detector at its cadence, tracking and the engine.

    Args:
        config: the validated configuration (camera, perception, detectors,
            tracking, zones, engine).
        perceive: load the perception models (False when only replayed
            observations will come: ``run --observations``).
        engine: run the engine (False for perception only: ``inspect``, ``eval
            --video``, which scores its observations with a pipeline of its own).
        id_factory: the engine's event and visit ids (default random; evaluation
            passes a counter for reproducible runs).

    Raises:
        ModelError: the configured person detector's model is missing, altered or
            does not load (checked before MediaPipe's models are loaded).
    """

    def __init__(self, config: Config, *, perceive: bool = True, engine: bool = True,
                 id_factory: Callable[[], str] | None = None) -> None:
        self.config = config
        self.bodies: BodyCadence | None = None
        self.perceiver: FacePerceiver | None = None
        self.presence: PresenceStage | None = None
        self.gate: DetectionGate | None = None
        """Skips face detection on idle frames (``perception.gating``), None when off."""
        self.engine: Engine | None = Engine(config, id_factory) if engine else None
        self._gap_checked = False
        self._gated_counters: list[CounterConfig] | None = None
        self._zoom_counters: list[CounterConfig] | None = None
        self._focus: Focus | None = None
        self._closed = False
        self._signature: Callable[[np.ndarray, Box, Sequence[Box]],
                                  np.ndarray | None] | None = None
        self._opencv_threads: int | None = None
        if perceive:
            self._opencv_threads = _single_threaded_opencv()
            self.bodies = _open_body_cadence(config)
            try:
                from frontdesk.perception import FacePerceiver
                from frontdesk.perception.appearance import torso_signature
                from frontdesk.perception.presence import PresenceStage

                self.perceiver = FacePerceiver(config.perception, config.camera,
                                               zoom_regions=approach_boxes(config.counters))
                self._zoom_counters = config.counters
                if config.perception.presence.enabled:
                    self.presence = PresenceStage(config.perception.presence)
                if config.perception.presence.appearance:
                    self._signature = torso_signature
                if config.perception.gating.enabled:
                    from frontdesk.perception.gate import DetectionGate

                    self.gate = DetectionGate(config.perception.gating, config.counters)
                    self._gated_counters = config.counters
                    log.info("gated face detection on: with nothing changing in the zones "
                             "and nobody in view, the detector runs once in %g s; with "
                             "staff alone, once in %g s", self.gate.detector_period_s,
                             config.perception.gating.staff_every_s)
            except BaseException:
                self.close()
                raise
            _freeze_loaded_objects()

    # ------------------------------------------------------------------ stages

    @property
    def person_detector(self) -> OnnxPersonDetector | None:
        """The person detector (``detectors.person``), None without one."""
        return None if self.bodies is None else self.bodies.detector

    def perceive(self, frame: Frame) -> FrameObservation:
        """Faces (and bodies, at the detector's cadence) in ``frame``.

        With ``perception.gating`` on, a frame the gate skips has no faces (what
        the detector's last run saw: nobody); the other stages run as always.
        """
        if self.perceiver is None:
            raise RuntimeError("this pipeline was opened without perception")
        gate = self.gate
        if gate is not None and self.engine is not None \
                and self.engine.config.counters is not self._gated_counters:
            self._gated_counters = self.engine.config.counters  # zones edited live
            gate.set_counters(self._gated_counters)
        if self.engine is not None and self.engine.config.counters is not self._zoom_counters:
            self._zoom_counters = self.engine.config.counters  # zones edited live
            self.perceiver.set_zoom_regions(approach_boxes(self._zoom_counters))
        idle = False
        if gate is None:
            obs = self.perceiver.process(frame)
        else:
            obs = self._perceive_gated(gate, frame)
            idle = gate.idle
        if self._signature is not None and obs.faces:
            boxes = [face.bbox for face in obs.faces]  # nearer people hide chests behind
            for face in obs.faces:
                if face.appearance is None:
                    face.appearance = self._signature(frame.image, face.bbox, boxes)
        if self.bodies is not None:
            self.bodies.add_bodies(frame, obs)
        if self.presence is not None:
            slower = self.config.perception.gating.idle_presence_every if idle else 1
            obs.occupancy = self.presence.update(frame, obs.faces, slower=slower)
        if gate is not None:
            gate.saw(obs.t, faces=obs.faces, occupancy=obs.occupancy)
        return obs

    def _perceive_gated(self, gate: DetectionGate, frame: Frame) -> FrameObservation:
        """The work the gate's plan asks for: nothing, the detector alone, with its
        tiles, with Face Mesh; the focus is what the engine knew after the previous
        frame (None when this pipeline has no engine: full work)."""
        assert self.perceiver is not None
        focus = self._focus
        plan = gate.plan(frame, focus)
        if not plan.detect:
            self.perceiver.skip_frame(frame)
            return FrameObservation(index=frame.index, t=frame.t, width=frame.width,
                                    height=frame.height, wall_time=frame.wall_time)

        def mesh_wanted(detections: list[Detection]) -> list[bool]:
            """Face Mesh for the faces the engine's work depends on (the gate's zones)."""
            return gate.mesh_wanted([d.bbox for d in detections], frame.width, frame.height,
                                    focus)

        def staff_alone(detections: list[Detection]) -> bool | list[bool]:
            """No Face Mesh for staff alone; someone new: as with customers."""
            assert focus is not None
            if focus.only_staff([d.bbox for d in detections], frame.width, frame.height):
                return False
            return mesh_wanted(detections)

        mesh = staff_alone if not plan.mesh and focus is not None else mesh_wanted
        obs = self.perceiver.process(frame, tiles=plan.tiles, mesh=mesh)
        gate.detected(obs.faces, frame.width, frame.height)
        return obs

    def update(self, obs: FrameObservation) -> list[Event]:
        """Tracking and the engine on one observation; the events it raised.

        With gating on, what the engine now knows (who is staff, who else is there,
        open visits) is kept as the next frame's :class:`Focus`."""
        engine = self.require_engine()
        events = engine.update(obs)
        if self.gate is not None:
            views = engine.tracks_view()
            self.gate.saw(obs.t, tracked=bool(views))
            self._focus = focus_of(views, len(engine.visits.open))
        if not self._gap_checked and engine.frames >= BODIES_GAP_CHECK_FRAME:
            self._gap_checked = True
            self._check_bodies_gap(engine.frame_s)
        return events

    def step(self, frame: Frame) -> PipelineStep:
        """:meth:`perceive`, then :meth:`update` when the pipeline has an engine."""
        obs = self.perceive(frame)
        events = self.update(obs) if self.engine is not None else []
        return PipelineStep(frame, obs, events)

    def require_engine(self) -> Engine:
        if self.engine is None:
            raise RuntimeError("this pipeline was opened without the engine")
        return self.engine

    # ------------------------------------------------------------------ checks

    def _check_bodies_gap(self, frame_s: float) -> None:
        """Once, early on: warn when the person detector's runs are further apart in
        source time than ``tracking.grace_s`` (from the engine's smoothed frame
        period, which ignores start-up stalls): people seen only by their body are
        then dropped by the tracker between two runs."""
        if self.bodies is None:
            return
        n = self.bodies.every_n_frames
        gap, grace = n * frame_s, self.config.tracking.grace_s
        if frame_s <= 0 or gap <= grace + 1e-9:
            return
        fps = 1.0 / frame_s
        log.warning(
            "detectors.person.every_n_frames %d at %.1f fps runs the person detector "
            "every %.2f s, longer than tracking.grace_s %.2f s: people seen only by "
            "their body are dropped between runs; set every_n_frames to at most %d "
            "(or raise tracking.grace_s)", n, fps, gap, grace,
            max(1, math.floor(grace * fps + 1e-9)))

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Release the models, each even if another fails to close; once."""
        if self._closed:
            return
        self._closed = True
        if self.gate is not None and self.gate.stats.frames:
            st = self.gate.stats
            log.info("gated face detection: the detector ran on %d of %d frames (%d with "
                     "someone in view, %d on a change, %d keep-alive; %d with tiles, %d without "
                     "Face Mesh), skipped %d (%d with staff alone); %d faces out of the zones "
                     "got no Face Mesh",
                     st.detected, st.frames, st.in_view, st.changed, st.keep_alive, st.tiles,
                     st.unmeshed, st.skipped, st.staff_alone, st.out_of_zones)
        for name, part in (("perception", self.perceiver), ("person detector", self.bodies)):
            if part is None:
                continue
            try:
                part.close()
            except Exception:
                log.exception("closing the %s failed", name)
        if self._opencv_threads is not None:
            import cv2

            cv2.setNumThreads(self._opencv_threads)

    def __enter__(self) -> FramePipeline:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def fusion_cameras(configs: dict[str, Config]) -> list[FusionCamera]:
    """The cameras of one counter from each camera's config (the primary first).

    Raises:
        FrontdeskError: fewer than one camera, a camera without ``camera.pose``,
            or configs whose counters differ (they must be the same counters,
            each camera's zones drawn in its own view).
    """
    if not configs:
        raise FrontdeskError("fusion: a counter needs at least one camera")
    ids = list(configs)
    primary_counters = [c.id for c in configs[ids[0]].counters]
    missing = [cid for cid, cfg in configs.items() if cfg.camera.pose is None]
    if missing:
        raise FrontdeskError(
            f"fusion: camera {', '.join(missing)} has no camera.pose; cameras of one counter "
            f"need their pose in the counter's floor frame (frontdesk calibrate board|pose)")
    for cid, cfg in configs.items():
        counters = [c.id for c in cfg.counters]
        if sorted(counters) != sorted(primary_counters):
            raise FrontdeskError(
                f"fusion: camera {cid} sees counters {', '.join(counters)} but camera {ids[0]} "
                f"sees {', '.join(primary_counters)}; cameras fused into one engine must "
                f"see the same counters (the same ids)")
    out = []
    for cid, cfg in configs.items():
        pose = cfg.camera.pose
        assert pose is not None
        out.append(FusionCamera(cid, WorldPose.from_config(pose), cfg.camera))
    return out


class CounterPipeline:
    """Several cameras of one counter feeding one engine (issue 17).

    ``update(camera_id, obs)`` takes each camera's observations in capture-time
    order (:func:`~frontdesk.fusion.merge_by_capture_time`); one fused observation
    is made per frame of the driving camera (the primary, the first of
    ``configs``, while it delivers; else the next one in order) and goes through
    a :class:`FramePipeline` without perception opened with the primary's
    config, so tracking, zones, eye contact, visits and alerts run unchanged
    in the primary camera's frame.

    Args:
        configs: each camera's config by camera id, the primary first; each with
            ``camera.pose`` and the same counters (zones in its own view).
        id_factory: as :class:`FramePipeline`'s.

    Raises:
        FrontdeskError: as :func:`fusion_cameras`.
    """

    def __init__(self, configs: dict[str, Config], *,
                 id_factory: Callable[[], str] | None = None) -> None:
        cameras = fusion_cameras(configs)
        self.config = configs[cameras[0].id]
        self.fusion = CounterFusion(cameras)
        self.pipeline = FramePipeline(self.config, perceive=False, id_factory=id_factory)

    @property
    def engine(self) -> Engine:
        return self.pipeline.require_engine()

    def fuse(self, camera_id: str, obs: FrameObservation) -> FrameObservation | None:
        """The fusion step alone: the fused observation this one completes, or None.

        Raises:
            FrontdeskError: an unknown camera id.
        """
        from frontdesk.fusion import FusionError

        try:
            return self.fusion.add(camera_id, obs)
        except FusionError as exc:
            raise FrontdeskError(f"fusion: {exc}") from None

    def update(self, camera_id: str, obs: FrameObservation) -> PipelineStep | None:
        """Fusion, then tracking and the engine when this observation completes a
        fused frame (else None)."""
        fused = self.fuse(camera_id, obs)
        if fused is None:
            return None
        return PipelineStep(None, fused, self.pipeline.update(fused))

    def close(self) -> None:
        self.pipeline.close()

    def __enter__(self) -> CounterPipeline:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _freeze_loaded_objects() -> None:
    """Leave what is loaded so far (modules, models, config) out of garbage collection.

    The models and libraries put several hundred thousand objects on the heap;
    every full collection walked them all, about 0.35 ms a frame on the demo
    clip (measured with cProfile: the time landed in whichever function was
    running). Objects made per frame are still collected as before.
    """
    import gc

    gc.collect()
    gc.freeze()


def _single_threaded_opencv() -> int:
    """Run OpenCV on one thread while the pipeline is open; returns the former count.

    Every OpenCV call of a frame (colour conversion, the presence grid, crops,
    head pose) works on images too small for its thread pool to pay: on this
    2-core box the pool doubled the presence stage's CPU time (1.0 against
    0.57 ms a frame at 720p) and made the frame's colour conversion slower
    (0.39 against 0.23 ms), and switching it off and on around one stage cost
    0.24 ms a frame in waiting for its threads. MediaPipe and the video
    decoder keep their own threads.
    """
    import cv2

    threads = int(cv2.getNumThreads())
    cv2.setNumThreads(1)
    return threads


def approach_boxes(counters: list[CounterConfig]) -> list[tuple[float, float, float, float]]:
    """The box (``x0, y0, x1, y1``, fractions of the frame) of each approach zone of
    ``counters``: where perception looks closer for the small faces of a queue
    (``perception.approach_zoom``)."""
    boxes = []
    for counter in counters:
        poly = counter.zones.approach
        if poly:
            xs, ys = [p[0] for p in poly], [p[1] for p in poly]
            boxes.append((min(xs), min(ys), max(xs), max(ys)))
    return boxes


def focus_of(views: list[TrackView], visits_open: int) -> Focus:
    """The hint perception gets for the next frame: the settled staff's face
    centres, how many other tracks there are, and how many visits are open."""
    from frontdesk.perception.gate import Focus

    staff = tuple(v.center_norm for v in views if v.role == "staff" and v.role_fixed)
    return Focus(staff, len(views) - len(staff), visits_open)


def _open_body_cadence(config: Config) -> BodyCadence | None:
    """The person detector configured in ``detectors.person``, or None: nothing is
    loaded without one and each frame costs nothing more."""
    person = config.detectors.person
    if person.model is None:
        return None
    from frontdesk.detectors import build_person_detector

    detector = build_person_detector(config.detectors)
    return None if detector is None else BodyCadence(detector, person.every_n_frames)

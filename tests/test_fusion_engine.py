"""Fusion feeding the one engine (issue 17): hand-placed people at the default counter,
seen by the default (side) camera and a second camera facing the staff from the
customers' side; each camera reads distances a little off, in its own way, and
delivers frames at its own times. The engine, its zones (drawn in the side
camera's view) and its rules are the single-camera ones."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from frontdesk.camera_model import Intrinsics
from frontdesk.config import Config
from frontdesk.engine.events import Event
from frontdesk.errors import FrontdeskError
from frontdesk.fusion import (
    CounterFusion,
    FusionCamera,
    FusionError,
    fused_observation,
    merge_by_capture_time,
)
from frontdesk.pipeline import CounterPipeline, FramePipeline
from frontdesk.sim.layout import DEFAULT_LAYOUT
from frontdesk.sim.runs import sim_config
from frontdesk.types import Face, FrameObservation
from frontdesk.world import WorldPose

W, H = 1280, 720
INTR = Intrinsics.from_fov(W, H, 90.0)
SIDE_POSE = DEFAULT_LAYOUT.camera.config_dict()
FRONT_POSE = WorldPose.look_at((-0.4, 2.6, 2.1), (-0.2, -0.6, 1.6)).config_values()
POSES = {"side": WorldPose.from_config(sim_config(camera={"pose": SIDE_POSE}).camera.pose),  # type: ignore[arg-type]
         "front": WorldPose.from_config(sim_config(camera={"pose": FRONT_POSE}).camera.pose)}  # type: ignore[arg-type]
RANGE_MISREAD = {"side": 0.93, "front": 1.08}
"""Each camera reads every distance this much off (the front camera too far, the side
one too near): heads seen by one camera alone are placed off their true spot."""
FPS = 15.0
OFFSET_S = {"side": 0.0, "front": 0.031}
"""The cameras' frames are captured at different times."""

STAFF = np.array([0.0, -0.6, 1.62])
SERVICE = np.array([0.0, 0.6, 1.68])
TILL = np.array([0.35, -0.25, 1.0])


def _configs() -> dict[str, Config]:
    return {"side": sim_config(camera={"horizontal_fov_deg": 90, "pose": SIDE_POSE}),
            "front": sim_config(camera={"horizontal_fov_deg": 90, "pose": FRONT_POSE})}


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _face(camera: str, head: np.ndarray, gaze_world: np.ndarray) -> Face:
    pose = POSES[camera]
    cam = pose.to_camera(head[None])[0]
    u, v = INTR.project(cam[None])[0]
    w = INTR.fx * 0.15 / cam[2]
    gaze = pose.rotation @ _unit(gaze_world)
    return Face(bbox=(u - w / 2, v - 0.6 * w, u + w / 2, v + 0.6 * w), score=0.9, yaw_deg=0.0,
                pitch_deg=0.0, roll_deg=0.0, gaze=gaze,
                head_position_m=cam * RANGE_MISREAD[camera], range_uncertainty_rel=0.12)


Person = Callable[[float], tuple[np.ndarray, np.ndarray, set[str]] | None]
"""t -> (head, gaze in the world, the cameras that see the face) or None (not there)."""


def _stream(camera: str, people: list[Person], end_s: float, start_s: float = 0.0,
            stop_s: float | None = None) -> Iterator[FrameObservation]:
    for i in itertools.count():
        t = i / FPS + OFFSET_S[camera]
        if t > end_s or (stop_s is not None and t >= stop_s):
            return
        if t < start_s:
            continue
        faces = []
        for person in people:
            seen = person(t)
            if seen is not None and camera in seen[2]:
                faces.append(_face(camera, seen[0], seen[1]))
        yield FrameObservation(index=i, t=t, width=W, height=H, faces=faces)


def _walker(arrive_t: float, seen_by: Callable[[float], set[str]],
            looks_at: np.ndarray | None = None, leave_t: float = 17.0) -> Person:
    """A customer walking along the walkway from x = -3.5 to the service spot at 1 m/s,
    arriving at ``arrive_t``, then standing there until ``leave_t`` (then gone)."""
    start = np.array([-3.5, 0.85, 1.68])
    length = float(np.linalg.norm(SERVICE - start))

    def at(t: float) -> tuple[np.ndarray, np.ndarray, set[str]] | None:
        walked = length - (arrive_t - t)
        if walked < 0 or t >= leave_t:
            return None
        head = start + min(walked / length, 1.0) * (SERVICE - start)
        gaze = (STAFF - head) if looks_at is None else (looks_at - head)
        return head, gaze, seen_by(t)
    return at


def _staff(looks: list[tuple[float, float]], seen_by: Callable[[float, bool], set[str]],
           target: Person) -> Person:
    """A staff member at her spot looking at the till, and at ``target`` during ``looks``."""
    def at(t: float) -> tuple[np.ndarray, np.ndarray, set[str]]:
        looking = any(a <= t < b for a, b in looks)
        seen = target(t)
        goal = seen[0] if looking and seen is not None else TILL
        return STAFF, goal - STAFF, seen_by(t, looking)
    return at


def _fused_events(streams: dict[str, Iterator[FrameObservation]],
                  configs: dict[str, Config] | None = None) -> list[Event]:
    ids = itertools.count(1)
    events: list[Event] = []
    last_t = 0.0
    with CounterPipeline(configs or _configs(), id_factory=lambda: f"e{next(ids)}") as pipe:
        for cid, obs in merge_by_capture_time(streams, primary="side"):
            step = pipe.update(cid, obs)
            if step is not None:
                events += step.events
                last_t = step.observation.t
        events += pipe.engine.finish(last_t)
    return events


def _single_events(stream: Iterator[FrameObservation]) -> list[Event]:
    ids = itertools.count(1)
    events: list[Event] = []
    last_t = 0.0
    pipe = FramePipeline(_configs()["side"], perceive=False, id_factory=lambda: f"e{next(ids)}")
    for obs in stream:
        events += pipe.update(obs)
        last_t = obs.t
    return events + pipe.require_engine().finish(last_t)


def _of(events: list[Event], kind: str) -> list[Event]:
    return [e for e in events if e.type == kind]


# ---------------------------------------------------------------------- the fusion step


def test_one_camera_alone_passes_its_faces_untouched() -> None:
    cams = [FusionCamera("side", POSES["side"], _configs()["side"].camera)]
    obs = FrameObservation(0, 1.0, W, H, faces=[_face("side", SERVICE, STAFF - SERVICE)])
    fused = fused_observation({"side": obs}, cams, 1.0, index=0, size=(W, H))
    assert fused.faces[0] is obs.faces[0]


def test_a_head_seen_by_the_second_camera_alone_is_drawn_where_the_first_would_see_it() -> None:
    cfg = _configs()
    cams = [FusionCamera(c, POSES[c], cfg[c].camera) for c in ("side", "front")]
    front = FrameObservation(0, 0.95, W, H, faces=[_face("front", STAFF, SERVICE - STAFF)])
    side = FrameObservation(0, 1.0, W, H, faces=[])
    (face,) = fused_observation({"side": side, "front": front}, cams, 1.0, index=0,
                                size=(W, H)).faces
    # The front camera's head (8 % too far along its ray), as the side camera would see it
    head_world = POSES["front"].to_world(front.faces[0].head_position_m[None])
    expected = POSES["side"].to_camera(head_world)[0]
    assert np.allclose(face.head_position_m, expected)
    assert np.allclose(face.center_px, INTR.project(expected[None])[0])
    assert face.size_px == pytest.approx(INTR.fx * 0.15 / expected[2])
    # Seen from the side, 0.27 m along the front camera's ray moves her over 150 px
    u, _ = INTR.project(POSES["side"].to_camera(STAFF[None]))[0]
    assert abs(face.center_px[0] - u) > 150
    # Its gaze, rotated into the side camera's frame, points at the customer's head
    to_customer = _unit(POSES["side"].to_camera(SERVICE[None])[0] - face.head_position_m)
    assert float(face.gaze @ to_customer) > np.cos(np.radians(5))
    # The front camera's frame is older than max_age: left out
    stale = FrameObservation(0, 0.7, W, H, faces=front.faces)
    assert fused_observation({"side": side, "front": stale}, cams, 1.0, index=0,
                             size=(W, H)).faces == []


def test_a_head_seen_by_the_second_camera_alone_stays_where_it_was_placed_a_moment_ago(
        ) -> None:
    """The staff member seen by both cameras, then (looking at the customer, away from
    the side camera) by the front camera alone: she stays where the rays met, not
    0.27 m off along the front camera's ray, and its misread is learnt."""
    cfg = _configs()
    fusion = CounterFusion([FusionCamera(c, POSES[c], cfg[c].camera) for c in ("side", "front")])
    both = _face("front", STAFF, SERVICE - STAFF)
    fusion.add("front", FrameObservation(0, 0.95, W, H, faces=[both]))
    fusion.add("side", FrameObservation(0, 1.0, W, H,
                                        faces=[_face("side", STAFF, SERVICE - STAFF)]))
    truth = POSES["side"].to_camera(STAFF[None])[0]
    for i in range(1, 30):  # two seconds seen by the front camera alone
        fusion.add("front", FrameObservation(i, 0.95 + i / FPS, W, H, faces=[both]))
        fused = fusion.add("side", FrameObservation(i, 1.0 + i / FPS, W, H))
        assert fused is not None
        (face,) = fused.faces
        assert np.linalg.norm(face.head_position_m - truth) < 0.05
    alone = POSES["side"].to_camera(POSES["front"].to_world(both.head_position_m[None]))[0]
    assert np.linalg.norm(alone - truth) > 0.2


def test_a_second_cameras_own_misread_is_not_kept() -> None:
    """The front camera alone sees the staff member, reading her 30 %, then 15 % too
    near, then right: her head follows its readings. A place only that camera
    ever fixed is no anchor for it (its first misread would be kept for good)."""
    cfg = _configs()
    fusion = CounterFusion([FusionCamera(c, POSES[c], cfg[c].camera) for c in ("side", "front")])
    fused = None
    for i, factor in enumerate((0.7 / 1.08, 0.85 / 1.08, 1.0)):
        face = _face("front", STAFF, TILL - STAFF)
        face.head_position_m = face.head_position_m * factor
        fusion.add("front", FrameObservation(i, 0.95 + i / FPS, W, H, faces=[face]))
        fused = fusion.add("side", FrameObservation(i, 1.0 + i / FPS, W, H))
    assert fused is not None
    expected = POSES["side"].to_camera(POSES["front"].to_world(face.head_position_m[None]))[0]
    assert np.allclose(fused.faces[0].head_position_m, expected)


def test_an_anchor_someone_else_explains_is_not_taken() -> None:
    """The customer, placed by the side camera, stands near the front camera's line of
    sight to the staff member, whom only the front camera sees: her head is not
    pulled onto his place (he is explained by the side camera's head)."""
    cfg = _configs()
    fusion = CounterFusion([FusionCamera(c, POSES[c], cfg[c].camera) for c in ("side", "front")])
    front_pose = POSES["front"]
    near_line = front_pose.position_m + 0.55 * (STAFF - front_pose.position_m)
    near_line[2] = 1.75
    customer = _face("side", near_line, STAFF - near_line)
    staff = _face("front", STAFF, TILL - STAFF)
    staff.has_mesh = False
    staff.range_uncertainty_rel = 0.30
    for i in range(3):
        fusion.add("front", FrameObservation(i, 0.95 + i / FPS, W, H, faces=[staff]))
        fused = fusion.add("side", FrameObservation(i, 1.0 + i / FPS, W, H, faces=[customer]))
        assert fused is not None and len(fused.faces) == 2
    her = POSES["side"].to_world(fused.faces[1].head_position_m[None])[0]
    assert np.linalg.norm(her - near_line) > 0.8


def test_two_cameras_seeing_one_head_make_one_face_at_the_rays_meeting_point() -> None:
    cfg = _configs()
    cams = [FusionCamera(c, POSES[c], cfg[c].camera) for c in ("side", "front")]
    obs = {c: FrameObservation(0, 1.0, W, H, faces=[_face(c, STAFF, SERVICE - STAFF)])
           for c in ("side", "front")}
    (face,) = fused_observation(obs, cams, 1.0, index=0, size=(W, H)).faces
    truth = POSES["side"].to_camera(STAFF[None])[0]
    assert np.linalg.norm(face.head_position_m - truth) < 0.02
    assert np.linalg.norm(obs["side"].faces[0].head_position_m - truth) > 0.05
    assert face.bbox == obs["side"].faces[0].bbox and face.range_uncertainty < 0.05


def test_heads_on_one_line_of_sight_facing_each_other_are_two_people() -> None:
    """The customer at the counter stands on the front camera's line of sight to the
    staff member; the front camera reads the staff member's distance 0.6 m short,
    where the customer is. Their gazes are opposite: two people, the staff
    member's gaze kept hers."""
    cfg = _configs()
    cams = [FusionCamera(c, POSES[c], cfg[c].camera) for c in ("side", "front")]
    front_pose = POSES["front"]
    on_line = front_pose.position_m + 0.8 * (STAFF - front_pose.position_m)
    short = _face("front", STAFF, SERVICE - STAFF)
    short.head_position_m = front_pose.to_camera(on_line[None])[0]
    customer = _face("side", on_line, STAFF - on_line)
    obs = {"front": FrameObservation(0, 1.0, W, H, faces=[short]),
           "side": FrameObservation(0, 1.0, W, H, faces=[customer])}
    faces = fused_observation(obs, cams, 1.0, index=0, size=(W, H)).faces
    assert len(faces) == 2
    assert faces[0].gaze @ customer.gaze > 0.99  # the customer keeps her own gaze


def test_capture_time_decides_who_drives_and_bad_ids_are_named() -> None:
    cfg = _configs()
    fusion = CounterFusion([FusionCamera(c, POSES[c], cfg[c].camera) for c in ("side", "front")])
    assert fusion.add("front", FrameObservation(0, 0.03, W, H)) is None  # primary not seen yet
    assert fusion.add("side", FrameObservation(0, 0.0, W, H)) is not None
    assert fusion.add("front", FrameObservation(1, 0.1, W, H)) is None  # the side drives
    assert fusion.add("side", FrameObservation(1, 0.0, W, H)) is None  # not after its latest
    assert fusion.skipped == 1
    # The side camera stops: from 0.5 s after its last frame the front camera drives.
    assert fusion.add("front", FrameObservation(2, 0.4, W, H)) is None
    assert fusion.add("front", FrameObservation(3, 0.6, W, H)) is not None
    with pytest.raises(FusionError, match="'back' is not one of this counter's cameras"):
        fusion.add("back", FrameObservation(0, 1.0, W, H))
    streams = {"front": iter([FrameObservation(0, t, W, H) for t in (0.0, 0.2)]),
               "side": iter([FrameObservation(0, t, W, H) for t in (0.0, 0.1)])}
    assert [(c, o.t) for c, o in merge_by_capture_time(streams, primary="side")] == [
        ("front", 0.0), ("side", 0.0), ("side", 0.1), ("front", 0.2)]


def test_cameras_without_a_pose_or_with_other_counters_are_refused() -> None:
    cfg = _configs()
    no_pose = sim_config()
    with pytest.raises(FrontdeskError, match="camera front has no camera.pose"):
        CounterPipeline({"side": cfg["side"], "front": no_pose})
    other = sim_config("counter-2", camera={"pose": FRONT_POSE})
    with pytest.raises(FrontdeskError, match="must see the same counters"):
        CounterPipeline({"side": cfg["side"], "front": other})
    with CounterPipeline(cfg) as pipe, pytest.raises(FrontdeskError, match="'back'"):
        pipe.update("back", FrameObservation(0, 0.0, W, H))


# ---------------------------------------------------------------------- the engine on it


def _handed_over(t: float) -> set[str]:
    """The customer's face: the side camera's alone as she walks up toward it; the
    front camera's alone from 8 to 13 s (at the counter she turns toward the shop
    behind her, her face away from the side camera); the side camera's again after."""
    return {"front"} if 8.0 <= t < 13.0 else {"side"}


def test_a_customer_handed_over_between_cameras_is_one_visit() -> None:
    """The staff member greets her at 10 s, while the front camera alone sees her:
    its head, 8 % too far along its ray, sits 0.17 m (113 px, more than her face's
    width, in the side camera's view) from where the side camera saw her a frame
    before; the hand-overs keep her track, her visit and the greeting."""
    customer = _walker(6.0, _handed_over)
    staff = _staff([(10.0, 11.5)], lambda t, looking: {"side"}, customer)
    streams = {c: _stream(c, [staff, customer], 32.0) for c in ("side", "front")}
    events = _fused_events(streams)
    arrived, acked, left = (_of(events, k) for k in (
        "customer_arrived", "customer_acknowledged", "customer_left"))
    assert len(arrived) == 1 and len(left) == 1, [(e.type, e.t) for e in events]
    assert len({e.visit_id for e in events if e.visit_id}) == 1
    assert len({e.track_id for e in events if e.visit_id}) == 1  # not even a new track
    assert left[0].outcome == "acknowledged"
    assert acked[0].ack_t == pytest.approx(10.0, abs=0.1)
    assert arrived[0].arrival_t == pytest.approx(5.6, abs=0.7)
    # first seen as she came into view on the walkway (x = -3.5 m)
    came_in_t = 6.0 - float(np.linalg.norm(SERVICE - np.array([-3.5, 0.85, 1.68])))
    assert left[0].first_seen_t == pytest.approx(came_in_t, abs=0.2)
    assert left[0].left_t == pytest.approx(17.0, abs=0.2)


def test_a_camera_dropped_mid_visit_keeps_the_visit() -> None:
    """Both cameras see both people until the side camera (the primary) dies at
    9 s; the front camera carries on alone and sees the greeting at 12 s."""
    customer = _walker(6.0, lambda t: {"side", "front"})
    staff = _staff([(12.0, 13.5)], lambda t, looking: {"side", "front"}, customer)
    streams = {"side": _stream("side", [staff, customer], 32.0, stop_s=9.0),
               "front": _stream("front", [staff, customer], 32.0)}
    events = _fused_events(streams)
    left = _of(events, "customer_left")
    assert len(_of(events, "customer_arrived")) == 1 and len(left) == 1
    assert len({e.visit_id for e in events if e.visit_id}) == 1
    assert left[0].outcome == "acknowledged"
    assert left[0].ack_t == pytest.approx(12.0, abs=0.1)
    assert not _of(events, "customer_waiting")


def test_the_second_camera_dropped_mid_visit_leaves_the_side_cameras_visit() -> None:
    customer = _walker(6.0, lambda t: {"side", "front"})
    staff = _staff([(12.0, 13.5)], lambda t, looking: {"side"}, customer)
    streams = {"side": _stream("side", [staff, customer], 32.0),
               "front": _stream("front", [staff, customer], 32.0, stop_s=8.0)}
    events = _fused_events(streams)
    left = _of(events, "customer_left")
    assert len(left) == 1 and left[0].outcome == "acknowledged"
    assert left[0].ack_t == pytest.approx(12.0, abs=0.1)


def _staff_seen(t: float, looking: bool) -> set[str]:
    """Looking at the customer, the staff member's face is turned from the side camera
    and seen by the front camera alone; at the till, by the side camera alone."""
    return {"front"} if looking else {"side"}


def test_a_look_seen_by_one_camera_at_a_customer_seen_by_the_other_acknowledges() -> None:
    customer = _walker(6.0, lambda t: {"side"}, leave_t=20.0)
    staff = _staff([(12.0, 13.5)], _staff_seen, customer)
    streams = {c: _stream(c, [staff, customer], 32.0) for c in ("side", "front")}
    fused = _fused_events(streams)
    (acked,) = _of(fused, "customer_acknowledged")
    assert acked.ack_t == pytest.approx(12.0, abs=0.1) and acked.ack_by == "eye_contact"
    assert not _of(fused, "customer_waiting")
    # The side camera alone never sees the look: no acknowledgement, an alert instead
    alone = _single_events(_stream("side", [staff, customer], 32.0))
    assert not _of(alone, "customer_acknowledged")
    assert len(_of(alone, "customer_waiting")) == 1


def test_a_greeting_during_the_approach_is_a_negative_latency() -> None:
    """The staff member looks up the walkway at the customer 1.5 m before she reaches
    the counter (seen by the front camera only); she arrives 1.5 s later."""
    customer = _walker(8.0, lambda t: {"side"} if t >= 5.0 else {"front", "side"})
    staff = _staff([(6.5, 7.6)], _staff_seen, customer)
    streams = {c: _stream(c, [staff, customer], 32.0) for c in ("side", "front")}
    events = _fused_events(streams)
    (acked,) = _of(events, "customer_acknowledged")
    assert acked.ack_t == pytest.approx(6.5, abs=0.1)
    assert acked.latency_s is not None and acked.latency_s < -0.5
    assert acked.arrival_t is not None and acked.ack_t < acked.arrival_t


def test_one_camera_through_the_counter_pipeline_gives_the_same_events(
        tmp_path: Path) -> None:
    """Without a second camera nothing changes: a realistic simulated run through
    CounterPipeline with its one camera gives the events FramePipeline gives."""
    from frontdesk.cli import main
    from frontdesk.sim.runs import load_run

    assert main(["-q", "simulate", "--seed", "3", "--visits", "6", "--noise", "realistic",
                 "--out", str(tmp_path)]) == 0
    run = load_run(tmp_path)
    config = run.config.model_copy(update={"camera": run.config.camera.model_copy(
        update={"pose": _configs()["side"].camera.pose})})
    alone = _single_run(config, run.observations())
    ids = itertools.count(1)
    fused: list[Event] = []
    last_t = 0.0
    with CounterPipeline({"side": config}, id_factory=lambda: f"e{next(ids)}") as pipe:
        for obs in run.observations():
            step = pipe.update("side", obs)
            assert step is not None
            fused += step.events
            last_t = obs.t
        fused += pipe.engine.finish(last_t)
    assert len(alone) > 10
    assert [e.to_json() for e in fused] == [e.to_json() for e in alone]


def _single_run(config: Config, observations: Iterator[FrameObservation]) -> list[Event]:
    ids = itertools.count(1)
    pipe = FramePipeline(config, perceive=False, id_factory=lambda: f"e{next(ids)}")
    events: list[Event] = []
    last_t = 0.0
    for obs in observations:
        events += pipe.update(obs)
        last_t = obs.t
    return events + pipe.require_engine().finish(last_t)

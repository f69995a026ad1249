"""The engine on people seen by their bodies: arrivals, held visits, depth, no gaze."""

from __future__ import annotations

import numpy as np
import pytest
from engine_scenes import STAFF_AT, face, make_engine, project, toward

from frontdesk.camera_model import Intrinsics
from frontdesk.engine.engine import PERSON_HEIGHT_M, SHOULDER_WIDTH_M, body_depth_m
from frontdesk.engine.events import EventType
from frontdesk.types import BodyBox, TrackedFace

W, H = 1280, 720
INTR = Intrinsics.from_fov(W, H, 90.0)  # focal length 640 px
CUSTOMER_HEAD = (0.2, 0.0, 2.0)


def test_body_depth_from_a_full_length_box_and_from_a_cut_one() -> None:
    full = BodyBox(600, 100, 700, 100 + 640 * PERSON_HEIGHT_M / 4.0, 0.8)  # 1.7 m tall at 4 m
    assert body_depth_m(full, INTR) == pytest.approx(4.0)
    cut = BodyBox(500, 200, 500 + 640 * SHOULDER_WIDTH_M / 1.5, H, 0.8)  # cut by the bottom edge
    assert body_depth_m(cut, INTR) == pytest.approx(1.5)


def _body_only(track_id: int, head: tuple[float, float, float]) -> TrackedFace:
    u, v = project(head)
    half = 640 * SHOULDER_WIDTH_M / 2 / head[2]
    body = BodyBox(u - half, v - 40, u + half, H, 0.8)
    return TrackedFace(track_id=track_id, face=None, center_norm=(u / W, v / H),
                       head_position_m=None, body=body)


def _staff(look_at: tuple[float, float, float] | None) -> TrackedFace:
    f = face(STAFF_AT, toward(STAFF_AT, look_at) if look_at else (0.0, 1.0, 0.0))
    u, v = f.center_px
    return TrackedFace(track_id=1, face=f, center_norm=(u / W, v / H),
                       head_position_m=f.head_position_m)


@pytest.mark.parametrize("ack_without_face", [False, True])
def test_a_faceless_customer_arrives_waits_and_is_acknowledged_only_if_configured(
        ack_without_face: bool) -> None:
    engine = make_engine(alert_after_s=5.0, ack_without_face=ack_without_face)
    events = []
    for i in range(int(10 * 15)):
        t = i / 15
        look = CUSTOMER_HEAD if 7.0 <= t < 8.5 else None
        events += engine.update_tracks(t, None, [_staff(look), _body_only(2, CUSTOMER_HEAD)],
                                       W, H)
    kinds = [e.type for e in events]
    assert EventType.CUSTOMER_ARRIVED in kinds and EventType.CUSTOMER_WAITING in kinds
    view = {v.track_id: v for v in engine.tracks_view()}
    assert view[2].seen_by == "body" and view[2].gaze is None and view[1].seen_by == "face"
    acks = [e for e in events if e.type is EventType.CUSTOMER_ACKNOWLEDGED]
    if ack_without_face:
        assert len(acks) == 1 and acks[0].ack_t == pytest.approx(7.0)
        assert acks[0].mutual_gaze is False
    else:
        assert acks == []


def test_the_head_of_a_faceless_track_uses_the_range_of_its_last_face() -> None:
    engine = make_engine()
    f = face(CUSTOMER_HEAD, (0.0, 0.0, -1.0))
    u, v = f.center_px
    with_face = TrackedFace(track_id=2, face=f, center_norm=(u / W, v / H),
                            head_position_m=f.head_position_m)
    for i in range(5):
        engine.update_tracks(i / 15, None, [with_face], W, H)
    moved = (0.3, 0.0, 3.0)  # the body seen elsewhere: its direction, the face's range
    mu, mv = project(moved)
    body = BodyBox(mu - 50, mv - 20, mu + 50, mv + 400, 0.8)
    engine.update_tracks(5 / 15, None, [TrackedFace(2, None, (mu / W, mv / H),
                                                    f.head_position_m, body=body)], W, H)
    ts = engine._tracks[2]
    assert ts.fresh and not ts.face_fresh
    assert np.linalg.norm(ts.position) == pytest.approx(np.linalg.norm(CUSTOMER_HEAD), rel=1e-6)
    assert ts.position[0] / ts.position[2] == pytest.approx(moved[0] / moved[2], rel=1e-6)


def _with_face(track_id: int, head: tuple[float, float, float]) -> TrackedFace:
    f = face(head, (0.0, 0.0, -1.0))
    u, v = f.center_px
    return TrackedFace(track_id=track_id, face=f, center_norm=(u / W, v / H),
                       head_position_m=f.head_position_m)


@pytest.mark.parametrize("by_face", [True, False])
def test_a_faceless_walker_that_never_arrives_is_no_visit(by_face: bool) -> None:
    """Walking through the approach zone without stopping: a face is a passer-by, a body
    alone (someone leaving with their back to the camera) is nobody's visit."""
    engine = make_engine()
    events = []
    for i in range(int(25 * 15)):
        t = i / 15
        tracks = [_staff(None)]
        if t < 3.0:
            head = (2.0 - 0.4 * t, 0.0, 2.0)  # u 1.0 -> 0.73, never still
            tracks.append(_with_face(2, head) if by_face else _body_only(2, head))
        events += engine.update_tracks(t, None, tracks, W, H)
    mine = [e for e in events if e.track_id == 2]
    if by_face:
        assert [e.type for e in mine] == [EventType.CUSTOMER_LEFT]
        assert mine[0].outcome is not None and mine[0].outcome.value == "passed_by"
    else:
        assert mine == []


@pytest.mark.parametrize("lost_by", ["face", "body"])
def test_a_face_where_a_customer_was_lost_continues_the_visit_only_if_lost_by_face(
        lost_by: str) -> None:
    """Lost while seen by the face alone: turned away, the next face there is them. Lost
    while the body was still seen: they walked off, the next face there is someone else."""
    engine = make_engine(visit_hold_s=10.0)
    events = []
    for i in range(int(12 * 15)):
        t = i / 15
        tracks = [_staff(None)]
        if t < 4.0:
            tracks.append(_with_face(2, CUSTOMER_HEAD))
        elif t < 5.0 and lost_by == "body":
            tracks.append(_body_only(2, CUSTOMER_HEAD))
        elif t >= 6.5:
            tracks.append(_with_face(3, CUSTOMER_HEAD))
        events += engine.update_tracks(t, None, tracks, W, H)
    arrived = [e for e in events if e.type is EventType.CUSTOMER_ARRIVED]
    if lost_by == "face":
        assert [e.track_id for e in arrived] == [2]  # track 3 took the visit over
        assert engine.tracks_view()[-1].visit_id == arrived[0].visit_id
    else:
        assert [e.track_id for e in arrived] == [2, 3]
        assert arrived[0].visit_id != arrived[1].visit_id

"""The tracker with faces and bodies: people keep their track while the face is hidden."""

from __future__ import annotations

import numpy as np
import pytest

from frontdesk.config import TrackingConfig
from frontdesk.detectors.fusion import HEAD_BELOW_TOP_WIDTHS, body_head_point
from frontdesk.tracking import BODY_GROWTH_S, KIND_PENALTY, PersonTracker, person_distance
from frontdesk.types import BodyBox, Face, FrameObservation

W, H = 1280, 720
FPS = 15.0


def face_at(u: float, v: float, size_px: float = 60.0) -> Face:
    h = size_px / 2
    return Face(bbox=(u - h, v - h, u + h, v + h), score=0.9, yaw_deg=0.0, pitch_deg=0.0,
                roll_deg=0.0, gaze=np.array([0.0, 0.0, -1.0]),
                head_position_m=np.array([(u - W / 2) / 640 * 2, 0.0, 2.0]))


def body_under(u: float, v: float, width: float = 180.0, drop: float = 0.0) -> BodyBox:
    """A body box whose head point is ``drop`` px above the face centre (u, v)."""
    top = v - HEAD_BELOW_TOP_WIDTHS * width - drop
    return BodyBox(u - width / 2, top, u + width / 2, min(top + 3.5 * width, H), 0.8)


def frame(i: int, faces: list[Face], bodies: list[BodyBox], fresh: bool = True
          ) -> FrameObservation:
    return FrameObservation(index=i, t=i / FPS, width=W, height=H, faces=faces, bodies=bodies,
                            bodies_fresh=fresh)


def test_the_track_survives_the_face_turning_away_while_the_body_stays() -> None:
    tracker = PersonTracker(TrackingConfig(min_hits=2, grace_s=1.0))
    u, v = 900.0, 300.0
    ids: set[int] = set()
    for i in range(15):  # face and body together: the offset is learned (20 px here)
        out = tracker.update(frame(i, [face_at(u, v)], [body_under(u, v, drop=20.0)]))
        ids |= {tr.track_id for tr in out}
    for i in range(15, 15 + 5 * int(FPS)):  # 5 s turned away: body only
        out = tracker.update(frame(i, [], [body_under(u + 0.5 * (i - 15), v, drop=20.0)]))
        assert [tr.track_id for tr in out] == [1]
        tr = out[0]
        assert tr.face is None and tr.body is not None
        # the head point corrected by the learned offset lands on the face centre
        assert tr.center_norm[0] * W == pytest.approx(u + 0.5 * (i - 15), abs=0.5)
        assert tr.center_norm[1] * H == pytest.approx(v, abs=0.5)
        assert tr.head_position_m is not None  # the last face-derived position
    back = tracker.update(frame(200, [face_at(u + 40, v)], [body_under(u + 40, v, drop=20.0)]))
    assert ids == {1} and [tr.track_id for tr in back] == [1] and back[0].face is not None


def test_without_bodies_the_same_turn_loses_the_track() -> None:
    tracker = PersonTracker(TrackingConfig(min_hits=2, grace_s=1.0))
    for i in range(15):
        tracker.update(frame(i, [face_at(900, 300)], [], fresh=False))
    for i in range(15, 15 + 2 * int(FPS)):
        out = tracker.update(frame(i, [], [], fresh=False))
    assert out == []
    back = tracker.update(frame(100, [face_at(900, 300)], [], fresh=False))
    back = tracker.update(frame(101, [face_at(900, 300)], [], fresh=False))
    assert [tr.track_id for tr in back] == [2]  # a new person as far as faces can tell


def test_a_person_who_never_faces_the_camera_gets_a_track() -> None:
    tracker = PersonTracker(TrackingConfig(min_hits=2))
    body = BodyBox(1000, 200, 1180, 720, 0.8)
    out = []
    for i in range(3):
        out = tracker.update(frame(i, [], [body]))
    assert len(out) == 1
    tr = out[0]
    assert tr.face is None and tr.body == body and tr.head_position_m is None
    hx, hy = body_head_point(body)
    assert tr.center_norm == pytest.approx((hx / W, hy / H))


def test_carried_bodies_are_not_measurements() -> None:
    """Between detector runs the boxes are old: the body-only track is held, not measured."""
    tracker = PersonTracker(TrackingConfig(min_hits=1, grace_s=1.0))
    body = BodyBox(1000, 200, 1180, 720, 0.8)
    seen = []
    for i in range(int(3 * FPS)):
        fresh = i == 0  # the detector ran once, then its box was only carried
        out = tracker.update(frame(i, [], [body], fresh=fresh))
        seen.append((len(out), out[0].body is not None if out else None))
    assert seen[0] == (1, True)
    assert all(s == (1, False) for s in seen[1:int(FPS)])  # held within the grace
    assert seen[-1] == (0, None)  # then gone: stale boxes never keep a track alive


def test_face_and_body_of_one_person_make_one_track_and_a_neighbour_another() -> None:
    tracker = PersonTracker(TrackingConfig(min_hits=1))
    out = []
    for i in range(10):
        out = tracker.update(frame(i, [face_at(300, 300)],
                                   [body_under(300, 300), body_under(900, 320)]))
    assert len(out) == 2
    by_x = sorted(out, key=lambda tr: tr.center_norm[0])
    assert by_x[0].face is not None and by_x[0].body is not None
    assert by_x[1].face is None and by_x[1].body is not None


def test_body_candidates_are_moved_by_each_tracks_own_offset() -> None:
    # candidates: (x, y, log width, body only, body width); objects add the size-gate
    # columns and the learned offset in body widths.
    cands = np.array([[500.0, 300.0, -3000.0, 1.0, 100.0],
                      [500.0, 300.0, -3000.0, 0.0, 0.0]])
    objs = np.array([[500.0, 320.0, -3000.0, -3000.0, 0.0, 0.0, 0.2]])
    d = person_distance(cands, objs)
    assert d[0, 0] == pytest.approx(0.0)   # the body's head point + 0.2 widths down = the face
    assert d[1, 0] == pytest.approx(20.0)  # a face is where it is


def test_a_body_twice_as_wide_does_not_take_a_track_last_seen_by_its_body() -> None:
    """One person leaving with their back turned (a far, narrow body), another walking up
    (a near, wide one) crossing at the same head point: the size gate keeps them apart."""
    tracker = PersonTracker(TrackingConfig(min_hits=2, grace_s=1.0))
    leaving = BodyBox(800, 200, 900, 550, 0.8)  # 100 px wide
    for i in range(0, 9, 3):
        out = tracker.update(frame(i, [], [leaving]))
    assert [tr.track_id for tr in out] == [1]
    hx, hy = body_head_point(leaving)
    near = body_under(hx, hy, width=200.0)  # same head point, twice as wide
    for i in range(9, 15, 3):
        out = tracker.update(frame(i, [face_at(hx, hy, 66.0)], [near]))
    by_id = {tr.track_id: tr for tr in out}
    assert by_id[1].face is None and by_id[1].body is None  # held, not taken over
    assert 1 not in {tr.track_id for tr in out if tr.face is not None}
    # a body only 30 % wider is the same person
    tracker = PersonTracker(TrackingConfig(min_hits=2, grace_s=1.0))
    for i in range(0, 9, 3):
        tracker.update(frame(i, [], [leaving]))
    closer = BodyBox(785, 185, 915, 640, 0.8)
    out = tracker.update(frame(9, [], [closer]))
    assert [(tr.track_id, tr.body) for tr in out] == [(1, closer)]


def test_the_body_size_gate_needs_bodies() -> None:
    cand = np.array([[500.0, 200.0, np.log(0.05) * 1000, 0.0, 0.0, np.nan]])
    objs = np.array([[500.0, 200.0, np.log(0.05) * 1000, np.log(0.05) * 1000, 0.0, 0.0, 0.0,
                      np.log(0.3) * 1000, 1.0]])
    assert person_distance(cand, objs)[0, 0] == pytest.approx(0.0)  # a face alone: no body
    wide = cand.copy()
    wide[0, 5] = np.log(0.3 * 2.0) * 1000  # a body twice the track's body
    assert person_distance(wide, objs)[0, 0] > 1e6
    wide[0, 5] = np.log(0.3 * 1.5) * 1000
    assert person_distance(wide, objs)[0, 0] == pytest.approx(0.0)


def test_a_body_alone_inside_a_tracked_persons_body_starts_no_track() -> None:
    tracker = PersonTracker(TrackingConfig(min_hits=2, grace_s=1.0))
    u, v = 700.0, 300.0
    big = body_under(u, v, width=300.0)
    behind = BodyBox(640, 250, 760, 600, 0.8)  # a leaver passing behind, inside the box
    clear = BodyBox(200, 250, 320, 600, 0.8)  # someone standing clear of everyone
    for i in range(0, 6, 3):  # the customer is tracked first
        tracker.update(frame(i, [face_at(u, v, 100.0)], [big]))
    out = []
    for i in range(6, 21, 3):
        out = tracker.update(frame(i, [face_at(u, v, 100.0)], [big, behind, clear]))
    bodies_only = [tr for tr in out if tr.face is None]
    assert [tr.body for tr in bodies_only] == [clear]
    assert len(out) == 2


def test_a_body_cut_at_the_frames_side_starts_no_track_until_it_is_in_view() -> None:
    tracker = PersonTracker(TrackingConfig(min_hits=2, grace_s=1.0))
    for i in range(0, 15, 3):
        out = tracker.update(frame(i, [], [BodyBox(1150, 200, 1280, 720, 0.8)]))
        assert out == []
    inside = BodyBox(1000, 200, 1200, 720, 0.8)
    for i in range(15, 24, 3):
        out = tracker.update(frame(i, [], [inside]))
    assert [tr.body for tr in out] == [inside]


def _objs(rows: list[tuple[float, float, float, bool]]) -> np.ndarray:
    """Tracks (x, y, seconds unseen, last seen by the body alone) with a 0.05-wide face,
    no learned offset and no recent body: only the kind rule differs between them."""
    lw = np.log(0.05) * 1000
    return np.array([[x, y, lw, lw, unseen, 0.0, 0.0, np.nan, 1.0 if by_body else 0.0]
                     for x, y, unseen, by_body in rows])


def _cands(rows: list[tuple[float, float, bool]]) -> np.ndarray:
    """Candidates (x, y, body alone) with a 0.05-wide face (implied, for a body)."""
    lw = np.log(0.05) * 1000
    return np.array([[x, y, lw, 1.0 if body else 0.0, 150.0 if body else 0.0, np.nan]
                     for x, y, body in rows])


def test_a_body_alone_yields_a_face_track_to_its_face() -> None:
    """Seed 11 (12 customers): a customer walking up, her face missed on a detector frame,
    was taken by the body of a customer leaving with his back turned, 6 units from her
    track's prediction against her face's 17 (she was speeding up); her face then started
    a second visit."""
    track = _objs([(812.0, 208.0, 0.13, False)])
    both = person_distance(_cands([(829.0, 207.5, False), (816.6, 202.0, True)]), track)
    assert both[0, 0] == pytest.approx(np.hypot(17.0, 0.5))
    assert both[1, 0] == pytest.approx(np.hypot(4.6, 6.0) + KIND_PENALTY)
    assert both[0, 0] < both[1, 0]
    # her face missed this frame: her own body alone (turned away) takes the track as before
    alone = person_distance(_cands([(816.6, 202.0, True)]), track)
    assert alone[0, 0] == pytest.approx(np.hypot(4.6, 6.0))


def test_a_face_goes_to_the_face_track_before_a_held_body_only_track() -> None:
    """Seed 11: a track held for 0.7 s after its body was last seen drifted (a constant-
    velocity prediction from boxes every third frame) onto the face of a customer whose own
    face track saw her the frame before, and took her face."""
    tracks = _objs([(886.0, 205.0, 0.73, True), (898.5, 197.5, 0.07, False)])
    d = person_distance(_cands([(881.1, 197.6, False)]), tracks)
    assert d[0, 1] == pytest.approx(17.4, abs=0.1)
    assert d[0, 0] == pytest.approx(np.hypot(4.9, 7.4) + KIND_PENALTY)
    # a body-only track seen as recently as the face track: no penalty (a queue, one
    # person's face missed once, their body seen: the face comes back to them)
    fresh = _objs([(886.0, 205.0, 0.07, True), (898.5, 197.5, 0.07, False)])
    assert person_distance(_cands([(881.1, 197.6, False)]), fresh)[0, 0] == pytest.approx(
        np.hypot(4.9, 7.4))
    # and with no face track near, the face is that person turning back: no penalty
    alone = person_distance(_cands([(881.1, 197.6, False)]), tracks[:1])
    assert alone[0, 0] == pytest.approx(np.hypot(4.9, 7.4))


def test_faces_only_nothing_is_penalised() -> None:
    tracks = _objs([(500.0, 200.0, 0.0, False), (520.0, 200.0, 0.5, False)])
    d = person_distance(_cands([(505.0, 200.0, False), (515.0, 200.0, False)]), tracks)
    assert d == pytest.approx(np.array([[5.0, 15.0], [15.0, 5.0]]))


def test_a_crossing_leavers_body_does_not_take_a_face_track() -> None:
    """Tracker level: a customer walks right (face every frame, her body on detector
    frames) and speeds up; on a detector frame a leaver's body crosses where her track
    predicts her, nearer that prediction than her own face. Before: her track took the
    leaver's body and her face started a second track (a second visit)."""
    tracker = PersonTracker(TrackingConfig(min_hits=2, grace_s=1.0))
    out = []
    for i in range(12):
        u = 700.0 + 4.0 * i
        bodies = [body_under(u, 300.0, width=200.0)] if i % 3 == 0 else []
        out = tracker.update(frame(i, [face_at(u, 300.0, 66.0)], bodies, fresh=i % 3 == 0))
    assert [tr.track_id for tr in out] == [1]
    predicted = 700.0 + 4.0 * 12
    u = predicted + 20.0  # she speeds up
    leaver = body_under(predicted, 300.0, width=140.0)  # within the body size gate (1.43)
    out = tracker.update(frame(12, [face_at(u, 300.0, 66.0)],
                               [body_under(u, 300.0, width=200.0), leaver]))
    assert [tr.track_id for tr in out if tr.face is not None] == [1]
    for i in range(13, 20):
        u += 8.0
        out = tracker.update(frame(i, [face_at(u, 300.0, 66.0)], [], fresh=False))
        assert [tr.track_id for tr in out if tr.face is not None] == [1], i


def test_the_body_size_gate_widens_with_the_time_since_the_body_was_measured() -> None:
    """Seed 102: a customer walking up to the counter at 1 m, her body missed on one
    detector run, came back 1.68 times wider 0.4 s later; refused, her track was lost and
    her face started a second visit."""
    lw = np.log(0.05) * 1000
    body = np.log(0.16) * 1000

    def track(body_age_s: float) -> np.ndarray:
        return np.array([[500.0, 200.0, lw, lw, 0.07, 0.0, 0.0, body, 0.0, body_age_s]])

    cand = np.array([[500.0, 200.0, lw, 1.0, 269.0, np.log(0.16 * 1.68) * 1000]])
    assert person_distance(cand, track(0.2))[0, 0] > 1e6  # one run ago: the gate holds
    assert person_distance(cand, track(2 * BODY_GROWTH_S))[0, 0] == pytest.approx(0.0)

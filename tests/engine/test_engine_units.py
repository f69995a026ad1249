"""Unit tests of the engine's parts: the gaze cone, dwell runs, stillness, roles, zones."""

from __future__ import annotations

import numpy as np
import pytest
from engine_scenes import NAVY_BGR as NAVY
from engine_scenes import RED_BGR as RED
from engine_scenes import clothes_signature

from frontdesk.config import CounterConfig
from frontdesk.engine.contact import Contact, DwellRule, GazeCone, GazeRun, in_cone
from frontdesk.engine.stillness import StillDetector
from frontdesk.engine.zones import Placement, Role, RoleState, ZoneMap

RULE = DwellRule(dwell_s=0.5, gap_s=0.3)
FPS = 15.0


@pytest.mark.parametrize("off_deg", [0.0, 5.0, 11.9, 12.1, 30.0, 90.0, 179.0])
def test_the_engines_cone_test_agrees_with_the_vectorised_one(off_deg: float) -> None:
    staff, customer = (-0.6, 0.0, 2.0), (0.6, 0.0, 2.0)
    r = np.radians(off_deg)
    gaze = (float(np.cos(r)), 0.0, float(np.sin(r)))  # the customer is straight along +x
    cone = GazeCone(12.0)
    assert cone.contains(staff, gaze, customer) is bool(in_cone(
        np.array(staff), np.array(gaze), np.array(customer), 12.0))
    assert cone.contains(staff, gaze, customer) is (off_deg < 12.0)
    assert not cone.contains(staff, (0.0, 0.0, 0.0), customer)  # no gaze: at nobody


def feed(run: GazeRun, pattern: str, t0: float = 0.0) -> tuple[list[Contact], float]:
    """'1' in cone, '0' out of cone, '.' unknown, one character per frame at 15 fps."""
    confirmed = []
    t = t0
    for i, ch in enumerate(pattern):
        t = t0 + i / FPS
        c = run.step(t, {"1": True, "0": False, ".": None}[ch], RULE)
        if c is not None:
            confirmed.append(c)
    return confirmed, t


def test_a_held_look_is_confirmed_when_the_dwell_is_reached_and_dated_from_its_start() -> None:
    run = GazeRun(1, 2)
    confirmed, _ = feed(run, "00" + "1" * 10, t0=1.0)
    (contact,) = confirmed
    assert contact.start_t == pytest.approx(1.0 + 2 / FPS)
    assert contact.confirmed_t == pytest.approx(contact.start_t + 8 / FPS)  # 8 frames >= 0.5 s


def test_a_glance_is_forgotten_and_a_later_look_starts_afresh() -> None:
    run = GazeRun(1, 2)
    confirmed, _ = feed(run, "11110000000" + "1" * 9)
    (contact,) = confirmed
    assert contact.start_t == pytest.approx(11 / FPS)


@pytest.mark.parametrize("pattern", ["1111.11111", "111101111", "11..1111111", "110.0111111"])
def test_gaps_within_the_tolerance_do_not_break_a_dwell(pattern: str) -> None:
    confirmed, _ = feed(GazeRun(1, 2), pattern)
    assert len(confirmed) == 1 and confirmed[0].start_t == 0.0


def test_a_gap_longer_than_the_tolerance_breaks_it() -> None:
    confirmed, _ = feed(GazeRun(1, 2), "1111" + "00000" + "1111")
    assert confirmed == []


def test_mostly_out_of_cone_runs_never_confirm() -> None:
    confirmed, _ = feed(GazeRun(1, 2), "1001001001001001001001")
    assert confirmed == []


def test_the_contact_gets_its_end_when_the_look_stops() -> None:
    run = GazeRun(1, 2)
    confirmed, _ = feed(run, "1" * 12 + "0" * 6)
    assert confirmed[0].end_t == pytest.approx(11 / FPS)
    assert run.idle


def test_a_pending_run_reports_its_start_until_confirmed() -> None:
    run = GazeRun(1, 2)
    feed(run, "0111")
    assert run.pending_start_t() == pytest.approx(1 / FPS)
    feed(run, "1" * 10, t0=4 / FPS)
    assert run.pending_start_t() is None


def test_contacts_overlap_only_when_held_at_the_same_time() -> None:
    a = Contact(1, 2, 1.0, 1.5, 2.0)
    assert a.overlaps(Contact(2, 1, 1.8, 2.3, 3.0), now_t=5.0)
    assert not a.overlaps(Contact(2, 1, 2.1, 2.6, 3.0), now_t=5.0)
    assert a.overlaps(Contact(2, 1, 0.0, 0.5, None), now_t=5.0)  # still open


# ---------------------------------------------------------------------- stillness


def walk_then_stand(stop_t: float, speed: float, jitter: float, seed: int = 0,
                    fps: float = 15.0) -> float | None:
    """x moves at ``speed`` (width/s) until ``stop_t``, then stands; returns the detected start."""
    rng = np.random.default_rng(seed)
    det = StillDetector(still_s=3.0, radius=0.02)
    for i in range(int(10 * fps)):
        t = i / fps
        x = 0.3 + speed * min(t, stop_t)
        found = det.update(t, x + rng.normal(0, jitter), 0.4 + rng.normal(0, jitter))
        if found is not None:
            assert t >= found + 3.0 - 1e-9
            return found
    return None


@pytest.mark.parametrize("stop_t", [2.0, 2.03, 2.05])
def test_the_stop_is_dated_between_frames_without_noise(stop_t: float) -> None:
    assert walk_then_stand(stop_t, 0.05, 0.0) == pytest.approx(stop_t, abs=1e-9)


def test_a_slow_walk_toward_the_camera_with_jitter_is_dated_within_the_latency_tolerance() -> None:
    # 0.03 of the width a second is about 38 px/s at 1280 px (2.6 px a frame); jitter 1.4 px.
    errors = [abs(walk_then_stand(2.0 + 0.01 * s, 0.03, 0.0011, seed=s) - (2.0 + 0.01 * s))
              for s in range(30)]
    assert max(errors) < 0.25
    assert float(np.median(errors)) < 0.06


def test_standing_from_the_first_frame_arrives_at_the_first_frame() -> None:
    det = StillDetector(still_s=1.0, radius=0.02)
    found = [det.update(i / 10, 0.5, 0.5) for i in range(12)]
    assert found[9] is None and found[10] == 0.0


def test_a_steady_walk_never_counts_as_standing() -> None:
    assert walk_then_stand(99.0, 0.05, 0.0011) is None


# ---------------------------------------------------------------------- zones and roles


def counter(cid: str, x0: float, x1: float) -> CounterConfig:
    def band(a: float, b: float) -> list[tuple[float, float]]:
        u0, u1 = x0 + a * (x1 - x0), x0 + b * (x1 - x0)
        return [(u0, 0.1), (u1, 0.1), (u1, 0.9), (u0, 0.9)]

    return CounterConfig.model_validate({"id": cid, "zones": {
        "staff": band(0, 0.4), "service": band(0.4, 0.7), "approach": band(0.6, 1.0),
        "ignore": [[(x0, 0.0), (x1, 0.0), (x1, 0.05), (x0, 0.05)]]}})


def test_zone_map_locates_points_per_counter() -> None:
    zones = ZoneMap([counter("a", 0.0, 0.5), counter("b", 0.5, 1.0)])
    p = zones.locate(0.1, 0.5)
    assert (p.staff_counter, p.customer_counter, p.evidence) == ("a", None, Role.STAFF)
    p = zones.locate(0.82, 0.5)  # counter b: service (0.7-0.85) and approach (0.8-1)
    assert (p.staff_counter, p.service_counter, p.approach_counter) == (None, "b", "b")
    p = zones.locate(0.33, 0.5)  # counter a: service and approach overlap, service wins
    assert (p.service_counter, p.approach_counter, p.customer_counter) == ("a", "a", "a")
    assert p.evidence is Role.CUSTOMER
    assert zones.is_ignored(0.7, 0.02) and not zones.is_ignored(0.7, 0.5)


def test_role_is_fixed_after_the_hysteresis_and_then_stays() -> None:
    staff_here, customer_here = Placement("a", None, None), Placement(None, "a", None)
    role = RoleState()
    assert not role.update(0.0, staff_here, 1.0)
    assert role.likely is Role.STAFF and role.role is None
    assert not role.update(0.5, customer_here, 1.0)  # evidence changed: the clock restarts
    assert not role.update(1.4, customer_here, 1.0)
    assert role.update(1.5, customer_here, 1.0)
    assert role.role is Role.CUSTOMER
    assert not role.update(9.0, staff_here, 1.0)
    assert role.role is Role.CUSTOMER


def test_overlapping_zones_neither_reset_nor_decide_a_role() -> None:
    both = Placement("a", "a", None)
    role = RoleState()
    role.update(0.0, Placement(None, "a", None), 1.0)
    role.update(0.6, both, 1.0)
    assert role.update(1.0, both, 1.0) and role.role is Role.CUSTOMER
    fresh = RoleState()
    assert not fresh.update(0.0, both, 0.0) and fresh.likely is None


def test_a_track_keeps_a_signature_every_look_window() -> None:
    from frontdesk.engine.tracks import LOOK_FRAMES, LOOK_SNAPSHOTS, TrackState

    ts = TrackState(1, 0.0)
    navy, red = clothes_signature(NAVY), clothes_signature(RED)
    for _ in range(LOOK_FRAMES):
        ts.note_look(navy)
    for _ in range(3 * LOOK_FRAMES):
        ts.note_look(red)
    assert len(ts.look_snapshots) == 4
    assert np.allclose(ts.look_snapshots[0], navy, atol=1e-5)  # before the red came
    for _ in range(LOOK_SNAPSHOTS * LOOK_FRAMES):
        ts.note_look(red)
    assert len(ts.look_snapshots) == LOOK_SNAPSHOTS  # the latest only


def test_clothes_are_unlike_only_when_unlike_every_signature_she_showed() -> None:
    """Seeds 103 and 104: a queueing customer's signature as she was lost was half
    her own clothes, half those of someone in front of her whose face perception
    did not see; at the counter her own clothes were "clearly different" from it.
    They were not from what she showed before that person stood there; nor, when
    every signature of hers was such a mixture, from one that can hold her colours
    at a quarter (``could_hold``, which adoption asks besides; keeping a lost customer
    held does not)."""
    from frontdesk.engine.places import (
        LOOK_DIFFERENT,
        MIN_LOOK_FRAMES,
        clothes_unlike,
        could_hold,
    )
    from frontdesk.engine.tracks import TrackState
    from frontdesk.types import signature_distance

    navy, red = clothes_signature(NAVY), clothes_signature(RED)
    mixed = clothes_signature(NAVY, RED)
    assert signature_distance(mixed, navy) >= LOOK_DIFFERENT
    at_counter = TrackState(2, 0.0)
    for _ in range(MIN_LOOK_FRAMES):
        at_counter.note_look(navy)
    assert clothes_unlike([mixed], at_counter)  # the signature as she was lost, alone
    assert could_hold(mixed, navy)  # ... but half of it can be hers
    assert not clothes_unlike([navy, mixed], at_counter)  # and before
    assert clothes_unlike([red, red], at_counter)  # someone else's, all along
    assert not any(could_hold(h, navy) for h in (red, red))
    assert not clothes_unlike([], at_counter)  # nothing to compare
    early = TrackState(3, 0.0)
    early.note_look(red)
    assert not clothes_unlike([navy], early)  # too few frames to say


def test_a_mixture_holds_a_look_at_a_quarter_with_a_little_slack() -> None:
    """``could_hold``: her own colours at least ``PART_SHARE`` of a signature, at most
    ``PART_SLACK`` of them missing; measured on the boundary both ways."""
    from frontdesk.engine.places import PART_SHARE, PART_SLACK, could_hold
    from frontdesk.types import signature_excess

    navy, red = clothes_signature(NAVY), clothes_signature(RED)
    black = clothes_signature((35, 35, 38))

    def mix(a: np.ndarray, b: np.ndarray, share_b: float) -> np.ndarray:
        return (1.0 - share_b) * a + share_b * b

    assert could_hold(mix(navy, red, PART_SHARE + 0.05), red)  # a third of it hers
    assert not could_hold(mix(navy, red, PART_SHARE * (1.0 - PART_SLACK) - 0.05), red)
    assert signature_excess(mix(navy, red, 0.1), red, PART_SHARE) == pytest.approx(0.6)
    assert not could_hold(navy, red) and could_hold(red, red)
    # A black coat at a quarter fits under a signature a fifth black, not a tenth.
    assert could_hold(mix(red, black, 0.2), black)
    assert not could_hold(mix(red, black, 0.1), black)
    assert signature_excess(navy, np.zeros_like(navy), PART_SHARE) == 1.0  # nothing shown
    with pytest.raises(ValueError, match="share"):
        signature_excess(navy, red, 0.0)


def test_clothes_rank_alike_before_unknown_and_not_by_distance_within_alike() -> None:
    """Seed 103 at 640 s and 18182 s, seed 104 at 6879 s: two lost customers could
    each be the face come back. One wore clothes alike to it; the other's could not
    be compared (too few frames), which ranked first as distance 0. And between two
    customers in alike dark clothes the nearer signature (0.16 against 0.22, within
    one person's own variation) decided, where the customer lost last should."""
    from frontdesk.engine.places import (
        LOOK_DIFFERENT,
        LOOK_SAME,
        MIN_LOOK_FRAMES,
        clothes_verdict,
        look_rank,
    )
    from frontdesk.engine.tracks import TrackState

    navy = clothes_signature(NAVY)
    face = TrackState(2, 0.0)
    for _ in range(MIN_LOOK_FRAMES):
        face.note_look(navy)
    same, alike_d = clothes_verdict(navy, face)
    unknown, unknown_d = clothes_verdict(None, face)  # no signature kept for her
    assert same is True and unknown is None
    assert look_rank(alike_d) < look_rank(unknown_d)  # alike first
    assert look_rank(0.16) == look_rank(0.22) == look_rank(LOOK_SAME)  # alike is alike
    assert look_rank(LOOK_SAME + 0.01) == look_rank(unknown_d) < look_rank(LOOK_DIFFERENT)
    early = TrackState(3, 0.0)
    early.note_look(navy)  # one frame: too few to compare
    assert clothes_verdict(navy, early)[0] is None
    assert look_rank(clothes_verdict(navy, early)[1]) == look_rank(unknown_d)


@pytest.mark.parametrize("first_d, last_d, winner", [
    (0.16, 0.22, "last"),  # both alike: the customer lost last, not the nearer signature
    (0.24, None, "first"),  # alike before "cannot tell", though lost earlier
    (None, 0.30, "last"),  # two "cannot tell": the customer lost last
])
def test_equal_evidence_ranks_clothes_by_band_then_the_customer_lost_last(
        first_d: float | None, last_d: float | None, winner: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two lost customers each "where she was heading" for one new face: which visit
    the face continues (``VisitBook._adopt``), with the evidence given."""
    from engine_scenes import make_engine

    from frontdesk.engine.places import LOOK_UNKNOWN, TIER_WALKED
    from frontdesk.engine.tracks import TrackState
    from frontdesk.engine.visits import Visit, VisitBook

    book = make_engine().visits
    lost = {}
    for name, track_id, lost_t in (("first", 1, 5.0), ("last", 2, 6.0)):
        visit = Visit(name, TrackState(track_id, 0.0), "counter-1", 0.0, lost_t)
        visit.unseen_since_t = lost_t
        book.open[track_id] = lost[name] = visit
    face = TrackState(3, 8.0)
    face.born_x, face.born_y, face.x, face.y = 0.5, 0.5, 0.5, 0.5
    new = Visit("new", face, "counter-1", 8.0, 8.0)
    book.open[3] = face.visit = new
    looks = {"first": first_d, "last": last_d}

    def continues(self: VisitBook, visit: Visit, ts: TrackState, walked: bool, aspect: float
                  ) -> tuple[int, float, float] | None:
        if visit.visit_id not in looks:
            return None  # the new face's own visit
        d = looks[visit.visit_id]
        return TIER_WALKED, LOOK_UNKNOWN if d is None else d, 0.0

    monkeypatch.setattr(VisitBook, "_continues", continues)
    assert book._adopt(new, 0.5625) is lost[winner]
    loser = lost["first" if winner == "last" else "last"]
    assert face.visit is lost[winner] and lost[winner].unseen_since_t is None
    assert loser.unseen_since_t is not None  # still held, for a face of her own


def test_a_faceless_stand_is_kept_through_a_speck_and_restarts_after_a_gap() -> None:
    """The clock of a faceless person standing where a walked-off customer may have
    stopped (``VisitBook._stands_faceless``), in the approach zone: a speck elsewhere
    for a frame or two (the group broken by the grid's misses, seed 104 at 5500 s)
    does not restart it; nobody found there for longer than ``STAND_GAP_S`` does
    (seed 102 at 739 s: someone walking across stopped the clock's restart, and
    whoever stood there later arrived a passer-by at once)."""
    from engine_scenes import make_engine

    from frontdesk.engine.places import STAND_GAP_S
    from frontdesk.engine.tracks import TrackState
    from frontdesk.engine.visits import Visit
    from frontdesk.types import OccupancyGrid

    engine = make_engine(arrival_still_s=3.0)
    book = engine.visits
    book.occupancy = OccupancyGrid(np.zeros((27, 48), dtype=bool))
    visit = Visit("v1", TrackState(1, 0.0), "counter-1", 0.0, 0.0)
    visit.held_face, visit.held_path = (0.80, 0.5, 0.03), [(0.0, 0.80, 0.5)]
    visit.unseen_since_t = visit.present_t = 0.0
    visit.walked_off, visit.heading = True, (-0.1, 0.0)  # walking left, toward the counter
    stand, speck = (0.78, 0.5, 0.03, 60), (0.70, 0.5, 0.01, 5)

    def frame(t: float, *people: tuple[float, float, float, int]) -> bool:
        book._faceless = {"counter-1": list(people)}
        return book._stands_faceless(visit, t)

    assert frame(0.5, stand) and frame(0.9, stand)
    assert visit.standing_since is not None and visit.standing_since[2] == 0.5
    assert frame(1.0, speck) and frame(1.1, speck)  # the stand missed, a speck elsewhere
    assert frame(1.2, stand, speck)
    assert visit.standing_since[2] == 0.5  # still standing since 0.5 s
    assert not frame(1.3)  # nobody ...
    assert frame(1.2 + STAND_GAP_S + 0.1, stand)  # ... for longer than a gap: anew
    assert visit.standing_since[2] == pytest.approx(1.2 + STAND_GAP_S + 0.1)


def _face_track(xs: list[float], ys: list[float], width: float, fps: float = 15.0
                ) -> list[tuple[float, float, float, float]]:
    return [(i / fps, x, y, width) for i, (x, y) in enumerate(zip(xs, ys, strict=True))]


def test_a_face_is_moving_when_lost_only_if_its_last_sightings_move_half_its_width() -> None:
    from frontdesk.engine.visits import _still_moving

    rng = np.random.default_rng(7)
    w, h, face_px = 640, 480, 20  # a small face in a small frame: jitter counts most
    n = 23  # 1.5 s at 15 fps, as the tracker keeps
    for _ in range(200):  # standing, 2 px of jitter on each axis
        xs = list(0.5 + rng.normal(0.0, 2.0, n) / w)
        ys = list(0.5 + rng.normal(0.0, 2.0, n) / h)
        assert not _still_moving(_face_track(xs, ys, face_px / w), h / w)
    # Walking at 1.3 face widths in 0.4 s (0.5 m/s for a 15 cm face), to the last sighting.
    step = 1.3 * face_px / w / 6
    xs = [0.3 + step * i for i in range(n)]
    assert _still_moving(_face_track(xs, [0.5] * n, face_px / w), h / w)
    # The same walk ending 0.4 s before the last sighting (seed 105's customer-443): the
    # whole 1.5 s moved, the last 0.4 s did not.
    xs = [0.3 + step * min(i, n - 7) for i in range(n)]
    assert not _still_moving(_face_track(xs, [0.5] * n, face_px / w), h / w)
    # Too few sightings to tell (less than 0.3 s): standing.
    assert not _still_moving(_face_track(xs[:4], [0.5] * 4, face_px / w), h / w)


def test_a_stand_goes_on_under_the_face_that_comes_back_where_she_stood() -> None:
    """She walked into the queue and stopped at 2 s; her face was lost at 3.5 s (hidden
    behind someone nearer, her place telling nothing) before standing still had lasted
    3 s. The face that comes back at 8 s where she stood continues her stand: she
    arrived at 2 s, even if the queue moves up before the face is taken for hers.
    One that comes back elsewhere, 4.5 s later, stands from when it came back."""
    from frontdesk.engine.tracks import TrackState
    from frontdesk.engine.visits import Visit, _continue_stand

    def stand_then(x_back: float, step_on_t: float = 99.0) -> tuple[Visit, StillDetector]:
        visit = Visit("v1", TrackState(1, 0.0), "counter-1", 0.0, 0.0)
        visit.still = StillDetector(3.0, 0.01)
        for i in range(int(3.5 * 15)):  # walks in at 0.1 frame widths a second, stops at 2 s
            t = i / 15
            assert visit.still.update(t, 0.5 + 0.1 * min(t, 2.0), 0.3) is None
        visit.unseen_since_t = t
        for i in range(10):  # her place, fed while she was hidden: not her face
            visit.still.update(4.0 + i / 5, 0.9, 0.3)
        back = StillDetector(3.0, 0.01)
        for i in range(15):  # one second of the returning face, standing (or stepping on)
            t = 8.0 + i / 15
            back.update(t, x_back + 0.1 * max(0.0, t - step_on_t), 0.3)
        return visit, back

    visit, back = stand_then(0.7)
    assert _continue_stand(visit, back) == pytest.approx(2.0, abs=0.1)
    visit, back = stand_then(0.7, step_on_t=8.5)  # back, then the queue moves up
    assert _continue_stand(visit, back) == pytest.approx(2.0, abs=0.1)
    visit, back = stand_then(0.72)  # she moved while hidden
    assert _continue_stand(visit, back) is None
    assert visit.still is not None
    arrival = next(a for i in range(15, 60)
                   if (a := visit.still.update(8.0 + i / 15, 0.72, 0.3)) is not None)
    assert arrival == pytest.approx(8.0, abs=0.1)


def test_a_walk_lost_in_its_last_steps_stops_where_it_was_taking_her() -> None:
    """Lost walking at 0.1 frame widths a second, 0.3 s before she stopped, she is back
    0.7 s later standing where the walk was taking her: she stopped when the walk,
    carried on, reached that place, not when her face came back. A walk whose line
    reaches the place only after the face is seen standing there stopped by then."""
    from frontdesk.engine.tracks import TrackState
    from frontdesk.engine.visits import Visit, _continue_stand

    def lost_walking(speed: float, stop_x: float) -> float | None:
        visit = Visit("v1", TrackState(1, 0.0), "counter-1", 0.0, 0.0)
        visit.still = StillDetector(3.0, 0.01)
        for i in range(46):  # walking until 3.0 s
            visit.still.update(i / 15, 0.5 + speed * i / 15, 0.3)
        visit.unseen_since_t = 3.0
        back = StillDetector(3.0, 0.01)
        for i in range(15):
            back.update(4.0 + i / 15, stop_x, 0.3)
        arrival = _continue_stand(visit, back)
        for i in range(15, 60):
            if arrival is not None:
                break
            assert visit.still is not None
            arrival = visit.still.update(4.0 + i / 15, stop_x, 0.3)
        return arrival

    assert lost_walking(0.1, 0.83) == pytest.approx(3.3, abs=0.1)
    assert lost_walking(0.02, 0.83) == pytest.approx(4.0, abs=0.01)  # the line is too slow

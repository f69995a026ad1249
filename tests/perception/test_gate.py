"""Gated detection: the change test, the keep-alive, holding while someone is in view,
and the pipeline's observations on skipped frames (real MediaPipe)."""

from __future__ import annotations

import numpy as np
import pytest

from frontdesk.config import CounterConfig, GatingConfig
from frontdesk.perception.gate import DetectionGate, DetectionPlan, Focus
from frontdesk.types import Face, Frame, OccupancyGrid

W, H, FPS = 320, 180, 15.0

COUNTER = CounterConfig.model_validate({
    "id": "c1",
    "zones": {
        "service": [[0.4, 0.4], [0.6, 0.4], [0.6, 0.9], [0.4, 0.9]],
        "staff": [[0.4, 0.1], [0.6, 0.1], [0.6, 0.35], [0.4, 0.35]],
        "ignore": [[[0.42, 0.1], [0.54, 0.1], [0.54, 0.33], [0.42, 0.33]]],
    },
})


def scene(i: int, square_at: tuple[float, float] | None = None, seed: int = 0) -> Frame:
    """A textured empty scene with camera noise; optionally a dark square (someone)."""
    rng = np.random.default_rng(seed)
    base = np.tile(np.linspace(60, 200, W, dtype=np.float32), (H, 1))
    noise = np.random.default_rng(1000 + i).normal(0, 3, (H, W)).astype(np.float32)
    grey = base + rng.normal(0, 0, (H, W)).astype(np.float32) + noise
    if square_at is not None:
        x, y = int(square_at[0] * W), int(square_at[1] * H)
        grey[y:y + 30, x:x + 20] = 20
    image = np.repeat(np.clip(grey, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
    return Frame(image, i / FPS, i, None, "test")


def gate(**overrides: float) -> DetectionGate:
    return DetectionGate(GatingConfig.model_validate({"enabled": True, **overrides}), [COUNTER])


def decisions(g: DetectionGate, frames: list[Frame]) -> list[bool]:
    out = []
    for f in frames:
        run = g.should_detect(f)
        g.saw(f.t)
        out.append(run)
    return out


def test_idle_scene_runs_only_at_the_keep_alive_period() -> None:
    g = gate(idle_every_s=1.0)
    runs = decisions(g, [scene(i) for i in range(int(4 * FPS))])
    assert [i for i, r in enumerate(runs) if r] == [0, 15, 30, 45]
    s = g.stats
    assert (s.frames, s.detected, s.skipped, s.keep_alive) == (60, 4, 56, 3)
    assert g.detector_period_s == 1.0


@pytest.mark.parametrize("where,runs_at_once", [
    ((0.5, 0.5), True),     # in the service zone
    ((0.3, 0.5), True),     # left of it, inside the margin (someone approaching)
    ((0.05, 0.5), False),   # far off the zones: the keep-alive finds it
    ((0.44, 0.12), False),  # inside an ignore mask (a screen)
])
def test_change_runs_the_detector_on_its_first_frame_only_where_it_matters(
        where: tuple[float, float], runs_at_once: bool) -> None:
    g = gate(idle_every_s=5.0)
    frames = [scene(i) for i in range(10)] + [scene(i, where) for i in range(10, 12)]
    runs = decisions(g, frames)
    assert runs[0] and not any(runs[1:10])
    assert runs[10] is runs_at_once
    assert not runs[11]  # the square stays put: no change against the run at frame 10 or 0


def test_anyone_in_view_is_measured_on_every_frame_until_hold_s_after() -> None:
    g = gate(idle_every_s=10.0, hold_s=1.0)
    frames = [scene(i) for i in range(int(4 * FPS))]
    runs = []
    for f in frames:
        runs.append(g.should_detect(f))
        if f.t < 1.0:      # a tracked person (say, turned away) until t = 1 s
            g.saw(f.t, tracked=True)
        elif f.t < 2.0:    # then only her place is occupied
            cells = np.zeros((4, 4), dtype=bool)
            cells[2, 2] = True
            g.saw(f.t, occupancy=OccupancyGrid(cells))
    last_seen = max(i for i, f in enumerate(frames) if f.t < 2.0)
    assert all(runs[: last_seen + 1])
    held = [i for i, f in enumerate(frames) if 2.0 <= f.t <= frames[last_seen].t + 1.0]
    assert all(runs[i] for i in held)
    assert not any(runs[held[-1] + 1:])
    assert g.stats.in_view == len(held) + last_seen


def test_a_new_frame_size_restarts_the_reference() -> None:
    g = gate(idle_every_s=10.0)
    assert decisions(g, [scene(0), scene(1)]) == [True, False]
    small = Frame(scene(2).image[::2, ::2].copy(), 2 / FPS, 2, None, "test")
    assert g.should_detect(small)


def test_without_counters_the_whole_frame_is_watched() -> None:
    g = DetectionGate(GatingConfig(enabled=True, idle_every_s=10.0), [])
    runs = decisions(g, [scene(0), scene(1), scene(2, (0.05, 0.5))])
    assert runs == [True, False, True]


@pytest.mark.parametrize("bad,field", [
    ({"idle_every_s": 0.0}, "idle_every_s"),
    ({"margin": 2.0}, "margin"),
    ({"min_changed_px": 0}, "min_changed_px"),
    ({"every": 3}, "every"),
])
def test_bad_gating_settings_are_config_errors_naming_the_field(bad: dict, field: str) -> None:
    import yaml

    from frontdesk.config import ConfigError, parse_config

    text = yaml.safe_dump({
        "counters": [COUNTER.model_dump()],
        "perception": {"gating": {"enabled": True, **bad}},
    })
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert any(f"perception.gating.{field}" in p for p in err.value.problems), err.value.problems


def test_gating_is_on_by_default_and_in_the_shipped_config() -> None:
    from pathlib import Path

    from frontdesk.config import PerceptionConfig, load_config

    shipped = Path(__file__).resolve().parents[2] / "config" / "frontdesk.yaml"
    assert PerceptionConfig().gating.enabled is True
    gating = load_config(shipped).perception.gating
    assert gating == GatingConfig()  # the file states the defaults


def test_the_pipeline_follows_zones_edited_live_and_skipped_frames_are_valid(
        caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from frontdesk.config import Config
    from frontdesk.pipeline import FramePipeline

    config = Config.model_validate({
        "counters": [COUNTER.model_dump()],
        "perception": {"gating": {"enabled": True, "idle_every_s": 10.0}},
    })
    moved = COUNTER.model_copy(update={"zones": COUNTER.zones.model_copy(update={
        "service": [[0.0, 0.4], [0.1, 0.4], [0.1, 0.9], [0.0, 0.9]]})})
    caplog.set_level(logging.INFO, logger="frontdesk.pipeline")
    with FramePipeline(config) as pipeline:
        gate = pipeline.gate
        engine = pipeline.require_engine()
        assert gate is not None
        for i in range(60):  # presence learns the empty scene, then nobody is in view
            obs = pipeline.step(scene(i)).observation
        assert (obs.index, obs.t, obs.width, obs.height, obs.faces) == (59, 59 / FPS, W, H, [])
        assert obs.occupancy is not None and not obs.occupancy.cells.any()
        skipped = gate.stats.skipped
        assert skipped >= 25
        engine.set_zones([moved])  # the web UI's zone editor, between two frames
        pipeline.step(scene(60))
        assert gate.counters == [moved]
        assert gate.stats.skipped == skipped  # a new region: the detector ran on this frame
        pipeline.step(scene(61, (0.02, 0.5)))  # a change in the moved service zone
        assert gate.stats.skipped == skipped and gate.stats.changed >= 2
    said = [r.getMessage() for r in caplog.records]
    assert any("the detector runs once in 10 s; with staff alone, once in 0.2 s" in m
               for m in said)  # the periods, reported
    assert any(f"the detector ran on {62 - skipped} of 62 frames" in m for m in said)


# ---------------------------------------------------------------- work only where it matters

def _face(box: tuple[float, float, float, float]) -> Face:
    return Face(bbox=box, score=0.9, yaw_deg=0.0, pitch_deg=0.0, roll_deg=0.0,
                gaze=np.array([0.0, 0.0, -1.0]), head_position_m=np.array([0.0, 0.0, 2.0]),
                landmarks=None)


STAFF_BOX = (0.45 * W, 0.12 * H, 0.55 * W, 0.3 * H)  # a face in the staff zone, 10 % wide
STAFF = Focus(staff=((0.5, 0.2),))


def staff_run(g: DetectionGate, frames: list[Frame], focus: Focus,
              box: tuple[float, float, float, float] = STAFF_BOX) -> list[DetectionPlan]:
    """The gate's plans while the detector finds one face at ``box`` on every run."""
    plans = []
    for f in frames:
        plan = g.plan(f, focus)
        if plan.detect:
            g.detected([_face(box)], W, H)
        g.saw(f.t, faces=[_face(box)] if plan.detect else [], tracked=True)
        plans.append(plan)
    return plans


def test_staff_alone_are_looked_at_once_in_staff_every_s_without_face_mesh() -> None:
    g = gate(idle_every_s=10.0, staff_every_s=0.2, tiles_every_s=1.0)
    plans = staff_run(g, [scene(i) for i in range(int(2 * FPS))], STAFF)
    runs = [i for i, p in enumerate(plans) if p.detect]
    assert runs == list(range(0, 30, 3))  # 0.2 s at 15 fps
    assert all(not plans[i].mesh for i in runs)  # a staff gaze matters to no customer here
    assert [i for i in runs if plans[i].tiles] == [0, 15]  # the first run, then tiles_every_s
    assert g.stats.staff_alone == 20 and g.stats.unmeshed == 10


@pytest.mark.parametrize("focus", [
    Focus(staff=((0.5, 0.2),), others=1),         # someone else tracked
    Focus(staff=((0.5, 0.2),), visits_open=1),    # a customer held while her face is gone
    Focus(),                                      # nobody settled as staff yet
])
def test_anyone_besides_staff_is_measured_on_every_frame_with_face_mesh(focus: Focus) -> None:
    g = gate(idle_every_s=10.0, staff_every_s=0.2)
    plans = staff_run(g, [scene(i) for i in range(15)], focus)
    assert all(p.detect and p.mesh for p in plans)
    assert g.stats.staff_alone == 0


def test_a_change_outside_the_staff_runs_everything_on_its_first_frame() -> None:
    g = gate(idle_every_s=10.0, staff_every_s=0.5)
    frames = [scene(i) for i in range(10)] + [scene(i, (0.3, 0.5)) for i in range(10, 12)]
    plans = staff_run(g, frames, STAFF)
    assert [p.detect for p in plans[1:10]].count(True) <= 2  # staff alone: a run in 0.5 s
    assert plans[10].detect and plans[10].tiles  # someone walking in: tiles too
    assert plans[10].mesh is False  # the perceiver meshes all once it sees a new face
    # The staff member moving inside her own surroundings is not someone new.
    g2 = gate(idle_every_s=10.0, staff_every_s=0.5)
    moving = [scene(i) for i in range(10)] + [scene(i, (0.48, 0.3)) for i in range(10, 12)]
    assert not staff_run(g2, moving, STAFF)[10].detect


def test_tiles_run_as_ungated_with_customers_and_only_for_small_or_new_faces_without() -> None:
    busy = Focus(staff=((0.5, 0.2),), others=1)
    crowd = gate(idle_every_s=10.0, tiles_every_s=1.0, small_face=0.07)
    assert all(p.tiles for p in staff_run(crowd, [scene(i) for i in range(30)], busy))
    # Staff alone, looked at on every frame (staff_every_s 0): a large known face
    # needs the tiles only once in tiles_every_s; a small one on every run.
    big = gate(idle_every_s=10.0, tiles_every_s=1.0, small_face=0.07, staff_every_s=0.0)
    plans = staff_run(big, [scene(i) for i in range(30)], STAFF)
    assert all(p.detect for p in plans)
    assert [i for i, p in enumerate(plans) if p.tiles] == [0, 15]
    small_box = (0.5 * W, 0.5 * H, 0.55 * W, 0.58 * H)  # 5 % of the width
    small = gate(idle_every_s=10.0, tiles_every_s=1.0, small_face=0.07, staff_every_s=0.0)
    assert all(p.tiles for p in staff_run(small, [scene(i) for i in range(30)], STAFF, small_box))
    every = gate(idle_every_s=10.0, tiles_every_s=0.0, staff_every_s=0.0)
    assert all(p.tiles for p in staff_run(every, [scene(i) for i in range(30)], STAFF))


def test_only_staff_tells_a_new_face_from_the_staff_one() -> None:
    assert STAFF.only_staff([STAFF_BOX], W, H)
    assert STAFF.only_staff([], W, H)
    assert not STAFF.only_staff([STAFF_BOX, (0.1 * W, 0.5 * H, 0.16 * W, 0.6 * H)], W, H)
    assert not Focus().only_staff([STAFF_BOX], W, H)
    assert STAFF.staff_alone and not Focus().staff_alone
    assert not Focus(staff=((0.5, 0.2),), others=1).staff_alone


def test_the_keep_alive_runs_the_tiles_only_every_tiles_every_s() -> None:
    g = gate(idle_every_s=1.0, tiles_every_s=2.0)
    plans = [g.plan(scene(i), Focus()) for i in range(int(5 * FPS))]  # nobody tracked
    assert [i for i, p in enumerate(plans) if p.detect] == [0, 15, 30, 45, 60]
    assert [i for i, p in enumerate(plans) if p.tiles] == [0, 30, 60]
    assert all(p.mesh for p in plans if p.detect)  # nobody there: no staff to leave unmeshed
    assert all(p.tiles for p in (gate().plan(scene(i)) for i in range(3)) if p.detect)  # no focus


def test_a_face_found_but_not_yet_tracked_ends_staff_alone() -> None:
    """The tracker confirms a face after a few hits; until then the engine's focus
    still says staff alone, but the gate has seen a face that is not the staff's."""
    g = gate(idle_every_s=10.0, staff_every_s=0.5)
    newcomer = (0.1 * W, 0.5 * H, 0.2 * W, 0.68 * H)
    plans = []
    for i in range(10):
        f = scene(i)
        plan = g.plan(f, STAFF)
        if plan.detect:
            g.detected([_face(STAFF_BOX)] + ([_face(newcomer)] if i >= 4 else []), W, H)
        g.saw(f.t, tracked=True)
        plans.append(plan)
    assert plans[0].detect and not plans[1].detect  # staff alone
    first_seen = next(i for i in range(4, 10) if plans[i].detect)
    assert all(p.detect for p in plans[first_seen:])


# ---------------------------------------------------------------- issue 19, third pass

def test_face_mesh_only_for_faces_in_the_zones_or_staff() -> None:
    """Face Mesh for a face in a zone (or within margin of one) and for a settled staff
    face anywhere; a passer-by far from every zone gets the keypoint pose."""
    g = gate(margin=0.05)
    in_service = (0.45 * W, 0.5 * H, 0.55 * W, 0.65 * H)
    near_service = (0.62 * W, 0.5 * H, 0.66 * W, 0.6 * H)  # centre 0.04 of the width out
    passer_by = (0.85 * W, 0.5 * H, 0.95 * W, 0.65 * H)
    staff_far = (0.05 * W, 0.1 * H, 0.15 * W, 0.25 * H)  # staff, out of every zone
    boxes = [in_service, near_service, passer_by, staff_far]
    focus = Focus(staff=((0.1, 0.175),), others=2)
    assert g.mesh_wanted(boxes, W, H, focus) == [True, True, False, True]
    assert g.mesh_wanted(boxes, W, H, None) == [True, True, False, False]
    assert g.stats.out_of_zones == 3
    assert gate(margin=0.05, mesh_outside_zones=True).mesh_wanted(boxes, W, H, None) == [True] * 4
    no_zones = DetectionGate(GatingConfig(enabled=True), [])
    assert no_zones.mesh_wanted(boxes, W, H, None) == [True] * 4


def test_the_gate_says_when_a_skipped_frame_saw_nobody() -> None:
    g = gate(idle_every_s=10.0)
    g.plan(scene(0))
    g.saw(0.0)
    g.plan(scene(1))
    assert g.idle  # skipped, nobody seen
    g.saw(1 / FPS, faces=[_face(STAFF_BOX)])
    g.plan(scene(2))
    assert not g.idle  # someone in view: perceived, not idle


def test_presence_runs_slower_on_idle_frames_on_a_subset_of_its_own_frames() -> None:
    from frontdesk.config import PresenceConfig
    from frontdesk.perception.presence import PresenceStage

    ran: list[list[int]] = []
    for slower in (1, 2):
        stage = PresenceStage(PresenceConfig(every_n_frames=2))
        runs, last = [], None
        for i in range(12):
            grid = stage.update(scene(i), [], slower=slower)
            if grid is not last:
                runs.append(i)
            last = grid
        ran.append(runs)
    assert ran[0] == [0, 2, 4, 6, 8, 10]
    assert ran[1] == [0, 4, 8]  # among the frames it runs on at its own cadence


def test_a_shift_of_the_whole_picture_is_no_change_but_someone_in_it_is() -> None:
    """Auto-exposure or a flickering light brightens the whole picture by more than
    min_difference: not someone walking in; someone walking in as it happens is."""
    def brighter(f: Frame, by: int) -> Frame:
        image = np.clip(f.image.astype(np.int16) + by, 0, 255).astype(np.uint8)
        return Frame(image, f.t, f.index, None, "test")

    g = gate(idle_every_s=10.0)
    runs = decisions(g, [scene(0)] + [brighter(scene(i), 25) for i in range(1, 5)])
    assert runs == [True, False, False, False, False]
    assert g.should_detect(brighter(scene(5, (0.45, 0.5)), 25))


class _NumpyChangeTest(DetectionGate):
    """The change test as first written (numpy's median, numpy temporaries): the
    reference the OpenCV one must agree with, pixel count for pixel count."""

    def _changed_px(self, small: np.ndarray, mask: np.ndarray) -> int:
        assert self._reference is not None and self._mask is not None
        diff = small.astype(np.int16) - self._reference.astype(np.int16)
        watched = diff[self._mask]
        shift = int(np.median(watched)) if watched.size else 0
        if shift:
            diff -= shift
        return int(np.count_nonzero((np.abs(diff) > self.cfg.min_difference) & mask))


def _brighter(f: Frame, by: int) -> Frame:
    image = np.clip(f.image.astype(np.int16) + by, 0, 255).astype(np.uint8)
    return Frame(image, f.t, f.index, None, "test")


@pytest.mark.parametrize("min_difference", [10.0, 10.5, 3.0])
def test_the_opencv_change_test_counts_what_numpy_counted(min_difference: float) -> None:
    """Random pictures against random references: no shift, shifts of every size
    either way (clipped at black and white), a biased noise that tips the median by
    one level, and an odd and an even number of watched pixels; with and without
    known faces cut out of the mask."""
    cfg = GatingConfig.model_validate({"min_difference": min_difference})
    rng = np.random.default_rng(7)
    for counters, width in (([COUNTER], 80), ([COUNTER], 81), ([], 80), ([], 17)):
        new, old = DetectionGate(cfg, counters), _NumpyChangeTest(cfg, counters)
        frame = Frame(np.zeros((180, 320, 3), np.uint8), 0.0, 0, None, "test")
        for g in (new, old):
            g.cfg = cfg.model_copy(update={"width_px": width})
            g._small_grey(frame)  # sizes the watched region
        assert new._mask is not None
        shape = new._mask.shape
        cases = 0
        for _ in range(300):
            ref = rng.integers(0, 256, shape, dtype=np.uint8)
            kind = rng.integers(0, 4)
            if kind == 0:  # someone, nothing else
                small = ref.copy()
                small[5:15, 20:40] = rng.integers(0, 256)
            elif kind == 1:  # a shift of the whole picture, someone maybe
                small = np.clip(ref.astype(np.int16) + rng.integers(-60, 61), 0, 255)
                small[: rng.integers(0, shape[0]), 30:50] = 20
            elif kind == 2:  # noise biased by under a level
                noise = rng.normal(rng.uniform(-0.6, 0.6), 2.0, shape)
                small = np.clip(ref + np.round(noise), 0, 255)
            else:  # anything
                small = rng.integers(0, 256, shape)
            small = small.astype(np.uint8)
            for g in (new, old):
                g._reference = ref
            masks = [new._mask, new._mask.copy()]
            masks[1][:, : shape[1] // 2] = False
            for mask in masks:
                got, want = new._changed_px(small, mask), old._changed_px(small, mask)
                assert got == want
                cases += want > 0
        assert cases > 100  # the counts compared were not all zero


def test_the_opencv_change_test_decides_as_numpy_did_over_a_walk_in_as_exposure_shifts() -> None:
    """Frame by frame, the same decisions as the numpy change test: an empty scene
    with camera noise, auto-exposure stepping the whole picture up and down (by
    more than min_difference, and by a level or two), someone walking in while it
    does, and walking out."""
    frames = []
    for i in range(60):
        shift = (0, 25, 25, -14, 1, 2, -1, 40, 0, -30)[i // 6]
        at = (0.3 + 0.01 * (i - 20), 0.5) if 20 <= i < 44 else None
        frames.append(_brighter(scene(i, at), shift))
    new, old = gate(idle_every_s=10.0), _NumpyChangeTest(
        GatingConfig.model_validate({"enabled": True, "idle_every_s": 10.0}), [COUNTER])
    got, want = decisions(new, frames), decisions(old, frames)
    assert got == want
    assert new.stats == old.stats
    # the first frame and the walk-in ran the detector (from the first frame that shows
    # them to the one they left on), the shifts alone did not
    assert [i for i, run in enumerate(want) if run] == [0] + list(range(20, 45))

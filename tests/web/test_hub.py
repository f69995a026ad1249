"""LiveHub: images kept only while watched, zones applied between frames, live counts."""

from __future__ import annotations

from datetime import date

from web_scene import StandInRunner

from frontdesk.config import Config
from frontdesk.engine.events import Event, EventType, Outcome
from frontdesk.web.hub import WATCH_S, LiveCounts, LiveHub


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_images_are_kept_only_while_someone_watches(config: Config) -> None:
    clock = Clock()
    hub = LiveHub(config, clock=clock)
    runner = StandInRunner(config)
    hub.attach(runner)
    runner.run_scene(0.0, 0.5)
    snap = hub.snapshot()
    assert snap is not None and snap.image is None  # nobody asked: no image held
    assert hub.frame_with_image(timeout_s=0.0) is None
    hub.watch()
    runner.step(0.6, [])
    snap = hub.snapshot()
    assert snap is not None and snap.image is not None and snap.image.shape == (720, 1280, 3)
    assert hub.jpeg(overlays=True, timeout_s=0.0)[:2] == b"\xff\xd8"
    clock.t += WATCH_S + 1
    runner.step(0.7, [])
    assert hub.snapshot().image is None  # the viewer left: images are dropped again


def test_health_reports_the_age_of_the_last_frame(config: Config) -> None:
    clock = Clock()
    hub = LiveHub(config, clock=clock)
    assert hub.health()["last_frame_age_s"] is None and hub.health()["camera"] == "starting"
    runner = StandInRunner(config)
    hub.attach(runner)
    runner.step(0.0, [])
    clock.t += 2.5
    health = hub.health()
    assert health["last_frame_age_s"] == 2.5 and health["camera"] == "online"


def test_saved_zones_reach_the_engine_before_the_next_frames_views(config: Config) -> None:
    hub = LiveHub(config)
    runner = StandInRunner(config)
    hub.attach(runner)
    runner.step(0.0, [])
    old = config.counters[0]
    moved = old.zones.model_copy(update={"staff": [[0.0, 0.2], [0.4, 0.2], [0.4, 0.8],
                                                   [0.0, 0.8]]})
    saved = config.model_copy(update={"counters": [old.model_copy(update={"zones": moved})]})
    version = hub.request_config(saved)
    assert runner.engine.zones.counters["counter-1"].staff.points[1] == (0.39, 0.28)
    runner.step(0.1, [])
    engine = runner.engine
    assert engine.zones.counters["counter-1"].staff.points[1] == (0.4, 0.2)
    assert engine.visits.zones is engine.zones and engine.config.counters == saved.counters
    assert hub.applied_version == version and hub.apply_error is None
    assert runner.config is saved


def test_a_config_with_other_counters_is_not_applied_and_the_loop_goes_on(
        config: Config) -> None:
    hub = LiveHub(config)
    runner = StandInRunner(config)
    hub.attach(runner)
    other = config.model_copy(update={"counters": [
        config.counters[0].model_copy(update={"id": "counter-2"})]})
    hub.request_config(other)
    runner.step(0.0, [])  # must not raise in the loop
    assert hub.applied_version == 0
    assert hub.apply_error is not None and "restart frontdesk" in hub.apply_error
    runner.step(0.1, [])
    assert hub.version == 2


def _event(kind: EventType, wall: float, **kw: object) -> Event:
    return Event(type=kind, event_id="e", site_id="s", counter_id="counter-1", t=0.0,
                 wall_time=wall, **kw)  # type: ignore[arg-type]


def test_live_counts_start_again_each_day() -> None:
    counts = LiveCounts()
    day1, day2 = date(2025, 3, 1), date(2025, 3, 2)
    counts.add(_event(EventType.CUSTOMER_ARRIVED, 0), day1)
    counts.add(_event(EventType.CUSTOMER_ACKNOWLEDGED, 0, latency_s=4.0), day1)
    counts.add(_event(EventType.CUSTOMER_ARRIVED, 0), day1)
    counts.add(_event(EventType.CUSTOMER_WAITING, 0), day1)
    counts.add(_event(EventType.CUSTOMER_LEFT, 0, outcome=Outcome.ABANDONED), day1)
    figures = counts.to_json(["counter-1"])["counters"]["counter-1"]
    assert figures == {"visits": 2, "acknowledged": 1, "alerts": 1, "left_unacknowledged": 1,
                       "latency_p50_s": 4.0}
    counts.add(_event(EventType.CUSTOMER_ARRIVED, 0), day2)
    figures = counts.to_json(["counter-1"])
    assert figures["day"] == "2025-03-02" and figures["counters"]["counter-1"]["visits"] == 1


def test_a_watched_file_is_shown_at_its_own_speed(config: Config) -> None:
    """Frames 1/15 s apart on the source clock, processed instantly: while someone
    watches, the hub holds the loop so they are 1/15 s apart on the wall clock too."""
    clock = Clock()
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        clock.t += s

    hub = LiveHub(config, clock=clock, sleep=sleep)
    runner = StandInRunner(config)
    hub.attach(runner)
    for i in range(10):  # nobody watches: as fast as it goes
        runner.step(i / 15, [])
    assert slept == []
    hub.watch()
    start = clock.t
    for i in range(10, 40):
        runner.step(i / 15, [])
    assert abs((clock.t - start) - 29 / 15) < 1e-6  # 30 frames: 29 intervals of the footage
    runner.step(0.0, [])  # the file loops: no wait for a clock that went back
    runner.step(100.0, [])  # a jump: no long hold
    assert max(slept) <= 1 / 15 + 1e-9


class _Pictures:
    """What a shared counter's worker has: its cameras' latest pictures, sent only while
    someone watches."""

    def __init__(self, image: object) -> None:
        self.image = image
        self.watched = 0

    def watch(self) -> None:
        self.watched += 1

    def picture(self, camera_id: str | None) -> object:
        return self.image if camera_id == "side" else None


def test_a_counter_without_frames_shows_its_cameras_picture(config: Config) -> None:
    """A counter several cameras share has no frames in its loop: the live view shows the
    primary camera's latest picture, at the observations' size, with the overlays; and
    asking for it asks the cameras for pictures."""
    import numpy as np

    from frontdesk.pipeline import PipelineStep
    from frontdesk.sinks import StateUpdate
    from frontdesk.types import FrameObservation

    clock = Clock()
    hub = LiveHub(config, clock=clock)
    runner = StandInRunner(config)
    hub.pictures = pictures = _Pictures(np.full((360, 640, 3), 90, dtype=np.uint8))
    hub.picture_camera = "side"

    def step(t: float) -> None:
        obs = FrameObservation(int(t * 10), t, 1280, 720, [], wall_time=1.7e9 + t)
        hub.state(StateUpdate(t, runner.health, PipelineStep(None, obs, []), runner.engine))

    step(0.0)
    assert hub.snapshot().image is None and pictures.watched == 0  # nobody watches
    hub.watch()
    assert pictures.watched == 1
    step(0.1)
    snap = hub.snapshot()
    assert snap.image is not None and snap.image.shape == (720, 1280, 3)
    assert int(snap.image[400, 700, 0]) == 90
    assert hub.jpeg(overlays=True, timeout_s=0.0)[:2] == b"\xff\xd8"
    hub.picture_camera = "front"  # no picture from that camera yet
    step(0.2)
    assert hub.snapshot().image is None

"""Live fusion's parts (issue 17, item 4): the config of a counter several cameras
share, the messages, ordering by capture time, and the counter's status as cameras
come and go. The whole live path with real processes, footage and broker is in
tests/render/test_live_fusion_run.py."""

from __future__ import annotations

import os
import queue
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from fusion_helpers import POSE_LEFT, POSE_RIGHT, ZONES
from waiting import wait_until

from frontdesk.capture import StatusChange
from frontdesk.config import ConfigError, FusionConfig, parse_config
from frontdesk.live_fusion import (
    DEGRADED,
    FusedObservations,
    ObservationReceiver,
    ObservationSender,
    ReorderBuffer,
    counter_status,
    decode,
    encode,
)
from frontdesk.types import Face, FrameObservation


def _config_text(left: dict[str, Any] | None = None, right: dict[str, Any] | None = None,
                 right_counters: list[dict[str, Any]] | None = None) -> str:
    cams = [
        {"id": "left", "camera": {"source": "l.mp4", "pose": POSE_LEFT},
         "counters": [{"id": "c1", "name": "Desk", "zones": ZONES}]},
        {"id": "right", "camera": {"source": "r.mp4", "pose": POSE_RIGHT},
         "counters": right_counters or [{"id": "c1", "name": "Desk", "zones": ZONES}]},
    ]
    cams[0].update(left or {})
    cams[1].update(right or {})
    return yaml.safe_dump({"site_id": "s", "cameras": cams}, sort_keys=False)


def test_cameras_naming_one_counter_with_poses_are_one_counter() -> None:
    config = parse_config(_config_text(), "f.yaml")
    assert config.fused_counters() == {"c1": ["left", "right"]}
    assert config.fused_group_of("right") == "c1"
    configs = config.for_counter("c1")
    assert list(configs) == ["left", "right"]  # the primary first
    assert configs["left"].camera_id == "left" and configs["right"].camera.pose is not None
    with pytest.raises(ConfigError, match="no counter of that id is shared"):
        config.for_counter("c9")


def _problem(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "f.yaml")
    (problem,) = info.value.problems
    return problem


def _line_of(text: str, needle: str, nth: int = 1) -> int:
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return lines[nth - 1]


def test_a_camera_of_a_shared_counter_without_a_pose_is_named_with_its_line() -> None:
    text = _config_text(right={"camera": {"source": "r.mp4"}})
    problem = _problem(text)
    line = _line_of(text, "- id: c1", 2)
    assert problem.startswith(f"f.yaml:{line}: cameras[1].counters[0].id: counter id 'c1' is "
                              f"also used by camera 'left'")
    assert "each needs camera.pose (camera 'right' has none" in problem


def test_a_counter_id_typed_twice_without_poses_still_says_ids_must_be_unique() -> None:
    text = _config_text(left={"camera": {"source": "l.mp4"}},
                        right={"camera": {"source": "r.mp4"}})
    problem = _problem(text)
    assert "cameras[1].counters[0].id: counter id 'c1' is also used by camera 'left'" in problem
    assert "camera 'left', 'right' have none" in problem


def test_cameras_of_one_counter_must_list_the_same_counters() -> None:
    text = _config_text(right_counters=[{"id": "c1", "name": "Desk", "zones": ZONES},
                                        {"id": "c2", "zones": ZONES}])
    problem = _problem(text)
    assert f"f.yaml:{_line_of(text, 'counters:', 2)}: cameras[1].counters: " in problem
    assert "lists counters c1, c2 where 'left' lists c1" in problem


@pytest.mark.parametrize("key, value, words", [
    ("name", "Other desk", "has name 'Other desk' here but 'Desk' under camera 'left'"),
    ("enabled", False, "has enabled False here but True under camera 'left'"),
])
def test_cameras_of_one_counter_must_agree_on_its_settings(key: str, value: Any,
                                                          words: str) -> None:
    counter = {"id": "c1", "name": "Desk", "zones": ZONES, key: value}
    text = _config_text(right_counters=[counter])
    problem = _problem(text)
    assert f"cameras[1].counters[0].{key}: counter 'c1' {words}" in problem
    assert problem.startswith("f.yaml:") and ":" in problem[len("f.yaml:"):]


def test_cameras_of_one_counter_must_draw_the_same_kinds_of_zones() -> None:
    zones = {**ZONES, "approach": [[0.5, 0.36], [0.65, 0.36], [0.65, 0.54], [0.5, 0.54]]}
    text = _config_text(right_counters=[{"id": "c1", "name": "Desk", "zones": zones}])
    problem = _problem(text)
    line = _line_of(text, "approach:")
    assert problem.startswith(f"f.yaml:{line}: cameras[1].counters[0].zones.approach: ")
    assert "camera 'right' draws approach zones and camera 'left' does not" in problem


# ---------------------------------------------------------------------- messages and order


def _obs(t: float, faces: int = 0, index: int = 0) -> FrameObservation:
    face = Face(bbox=(10.0, 20.0, 50.0, 70.0), score=0.9, yaw_deg=5.0, pitch_deg=-3.0,
                roll_deg=1.0, gaze=np.array([0.1, 0.0, -0.99]),
                head_position_m=np.array([0.2, -0.1, 1.5]))
    return FrameObservation(index=index, t=t, width=640, height=360,
                            faces=[face] * faces, wall_time=1_700_000_000.0 + t)


def test_an_observation_and_a_status_go_through_a_message_and_back() -> None:
    msg = decode(encode("side", obs=_obs(1.25, faces=1, index=7)))
    assert msg.camera_id == "side" and msg.obs is not None
    assert (msg.obs.index, msg.obs.t, msg.obs.width) == (7, 1.25, 640)
    assert msg.obs.faces[0].bbox == (10.0, 20.0, 50.0, 70.0)
    assert np.allclose(msg.obs.faces[0].head_position_m, [0.2, -0.1, 1.5])
    st = decode(encode("front", status=StatusChange("offline", "online", 3.5, 1.7e9, "gone"),
                       live=True))
    assert (st.status, st.t, st.detail, st.live, st.obs) == ("offline", 3.5, "gone", True, None)
    for bad in (b"{", b"[]", b'{"v": 9, "camera": "x"}', b'{"v": 1, "camera": "x"}'):
        with pytest.raises(ValueError):
            decode(bad)


def test_the_buffer_releases_in_capture_order_whatever_the_arrival_order() -> None:
    buf = ReorderBuffer(["a", "b"], reorder_delay_s=0.3)
    for t in (0.0, 0.1, 0.2, 0.3):  # camera a runs ahead
        buf.push("a", _obs(t))
    assert buf.pop_ready() == []  # nothing from b yet: wait for it
    buf.push("b", _obs(0.05))
    assert [(c, o.t) for c, o in buf.pop_ready()] == [("a", 0.0), ("b", 0.05)]
    buf.push("b", _obs(0.25))
    assert [(c, o.t) for c, o in buf.pop_ready()] == [("a", 0.1), ("a", 0.2), ("b", 0.25)]
    assert buf.released_late == 0
    buf.waiting_for = {"a"}  # b went offline: a's frames go on alone
    assert [o.t for _, o in buf.pop_ready()] == [0.3]


def test_live_cameras_wait_at_most_the_reorder_delay() -> None:
    buf = ReorderBuffer(["a", "b"], reorder_delay_s=0.3)
    buf.live = True
    buf.push("b", _obs(0.0))
    for t in np.arange(0.0, 1.0, 0.1):
        buf.push("a", _obs(round(float(t), 2)))
    out = [o.t for _, o in buf.pop_ready()]
    # b delivered up to 0.0 only: a's frames up to 0.9 - 0.3 go on, the rest wait.
    assert out == [0.0, 0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    assert buf.released_late == 6


@pytest.mark.parametrize("states, expected", [
    (["online", "online"], "online"),
    (["online", "starting"], "online"),
    (["online", "offline"], DEGRADED),
    (["ended", "online"], DEGRADED),
    (["offline", "ended"], "ended"),
    (["offline", "offline"], "offline"),
    (["offline", "starting"], "offline"),
    (["ended", "ended"], "ended"),
    (["starting", "starting"], "starting"),
])
def test_the_counter_status_from_its_cameras(states: list[str], expected: str) -> None:
    assert counter_status(states) == expected


# ---------------------------------------------------------------------- the counter's source


class _Queue:
    """A receiver stand-in: the test puts messages, the source reads them."""

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[float, bytes]] = queue.Queue()
        self.closed = False

    def close(self) -> None:
        self.closed = True


def _fused_source(**fusion: Any) -> tuple[FusedObservations, _Queue]:
    config = parse_config(_config_text(), "f.yaml")
    rx = _Queue()
    src = FusedObservations(config.for_counter("c1"), rx, FusionConfig(**fusion),
                            wall_clock=lambda: 1.7e9)
    return src, rx


def _status(cid: str, status: str, t: float = 0.0, live: bool = False) -> bytes:
    return encode(cid, status=StatusChange(status, None, t, 1.7e9, "x"), live=live)


def test_a_silent_camera_leaves_the_counter_degraded_not_offline() -> None:
    src, rx = _fused_source(camera_timeout_s=0.5)
    items: list[Any] = []
    reader = threading.Thread(target=lambda: [items.append(i) for i in src.events()],
                              daemon=True)
    reader.start()

    def put(data: bytes) -> None:
        rx.queue.put((time.monotonic(), data))

    def fused() -> list[FrameObservation]:
        return [i for i in list(items) if isinstance(i, FrameObservation)]

    def changes() -> list[str]:
        return [i.status for i in list(items) if isinstance(i, StatusChange)]

    try:
        put(_status("left", "online"))
        put(_status("right", "online"))
        for k in range(10):
            put(encode("right", obs=_obs(k / 15, index=k)))
            put(encode("left", obs=_obs(k / 15, index=k)))
        assert wait_until(lambda: len(fused()) >= 9)
        assert src.status == "online" and changes() == ["online"]
        # right goes quiet; left goes on delivering for 1.2 s.
        for k in range(10, 34):
            put(encode("left", obs=_obs(k / 15, index=k)))
            time.sleep(0.05)
        assert wait_until(lambda: src.status == DEGRADED)
        assert src.camera_states == {"left": "online", "right": "offline"}
        assert "nothing from its worker" in src.stats["cameras"]["right"]["detail"]
        # The engine never hears of a camera going offline: the counter still sees.
        assert changes() == ["online"]
        assert wait_until(lambda: max(o.t for o in fused()) >= 33 / 15 - 1e-9)
        # The last camera going offline takes the counter offline.
        put(_status("left", "offline", t=2.7))
        assert wait_until(lambda: changes() == ["online", "offline"])
        last = [i for i in items if isinstance(i, StatusChange)][-1]
        assert last.previous == "online" and "right: offline" in last.detail
    finally:
        src.close()
        reader.join(timeout=5)
    assert not reader.is_alive() and rx.closed


def test_the_source_ends_when_every_camera_ended() -> None:
    src, rx = _fused_source()
    for cid in ("left", "right"):
        rx.queue.put((0.0, _status(cid, "online")))
    for k in range(5):
        rx.queue.put((0.0, encode("left", obs=_obs(k / 15, index=k))))
        rx.queue.put((0.0, encode("right", obs=_obs(k / 15, index=k))))
    rx.queue.put((0.0, b"not json"))
    rx.queue.put((0.0, encode("stranger", obs=_obs(0.0))))
    for cid in ("left", "right"):
        rx.queue.put((0.0, _status(cid, "ended", t=0.3)))
    items = list(src.events())  # returns by itself
    assert sum(isinstance(i, FrameObservation) for i in items) == 5
    assert isinstance(items[-1], StatusChange) and items[-1].status == "ended"
    assert src.malformed == 2 and rx.closed


def test_a_datagram_goes_from_the_sender_to_the_receiver(tmp_path: Path) -> None:
    path = tmp_path / "sock" / "counter-c1.sock"
    sender = ObservationSender(path, "left")
    assert not sender.observation(_obs(0.0))  # no counter yet: dropped, not blocked
    assert sender.dropped == 1
    rx = ObservationReceiver(path)
    try:
        with pytest.raises(Exception, match="already receives"):
            ObservationReceiver(path)
        assert sender.observation(_obs(0.5, faces=2))
        arrived, data = rx.queue.get(timeout=5)
        msg = decode(data)
        assert msg.obs is not None and len(msg.obs.faces) == 2 and msg.obs.t == 0.5
    finally:
        rx.close()
        sender.close()
    assert not path.exists()


def test_check_config_says_which_cameras_feed_one_engine(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from frontdesk.cli import main

    path = tmp_path / "two.yaml"
    for name in ("l.mp4", "r.mp4"):
        (tmp_path / name).write_bytes(b"")
    text = _config_text().replace("l.mp4", str(tmp_path / "l.mp4"))
    path.write_text(text.replace("r.mp4", str(tmp_path / "r.mp4")), encoding="utf-8")
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "counter c1: one engine fed by cameras left, right" in out
    assert "publishing as camera left" in out


# ---------------------------------------------------------------------- the live view's pictures


def _frame(t: float = 0.0) -> Any:
    from frontdesk.types import Frame

    image = np.zeros((72, 128, 3), dtype=np.uint8)
    image[20:50, 30:90] = (40, 160, 220)
    return Frame(image, t, 0, wall_time=1.7e9 + t, source="test")


def test_a_picture_goes_through_a_message_and_back() -> None:
    msg = decode(encode("left", jpeg=b"\xff\xd8jpeg", t=1.25))
    assert (msg.camera_id, msg.t, msg.jpeg, msg.obs) == ("left", 1.25, b"\xff\xd8jpeg", None)
    with pytest.raises(ValueError, match="malformed"):
        decode(b'{"v": 1, "camera": "left", "kind": "frame", "t": 0, "jpeg": "not base64!"}')


def test_a_camera_sends_pictures_only_while_its_counter_is_watched(tmp_path: Path) -> None:
    """No image leaves a camera's worker unless the counter's live view is watched (the
    watch file, touched by the counter's worker, is fresh), and then at most one in
    PICTURE_EVERY_S."""
    from frontdesk.live_fusion import PICTURE_EVERY_S, WATCH_S, watch_path

    path = tmp_path / "sock" / "counter-c1.sock"
    rx = ObservationReceiver(path)
    sender = ObservationSender(path, "left")
    try:
        assert not sender.picture(_frame())  # nobody watches: nothing sent
        watch = watch_path(path)
        watch.touch()
        os.utime(watch, (time.time() - WATCH_S - 1,) * 2)  # watched, but long ago
        sender._watch_checked = -1e9  # the file is read at most once a second
        assert not sender.picture(_frame())
        watch.touch()
        sender._watch_checked = -1e9
        assert sender.picture(_frame(0.5))
        assert not sender.picture(_frame(0.6))  # too soon after the last
        time.sleep(PICTURE_EVERY_S + 0.05)
        assert sender.picture(_frame(0.9))
        msgs = [decode(rx.queue.get(timeout=5)[1]) for _ in range(2)]
        assert [m.t for m in msgs] == [0.5, 0.9] and sender.pictures == 2
        assert all(m.jpeg is not None and m.jpeg[:2] == b"\xff\xd8" for m in msgs)
    finally:
        rx.close()
        sender.close()


def test_the_counter_keeps_the_latest_picture_apart_from_the_observations(
        tmp_path: Path) -> None:
    import cv2

    from frontdesk.live_fusion import watch_path

    src, rx = _fused_source()
    rx.path = tmp_path / "counter-c1.sock"  # type: ignore[attr-defined]
    src.watch_file = watch_path(rx.path)  # type: ignore[attr-defined]
    assert src.picture("left") is None
    src.watch()
    assert src.watch_file.exists()
    ok, buf = cv2.imencode(".png", _frame().image)  # lossless, to compare
    for cid in ("left", "right"):
        rx.queue.put((0.0, _status(cid, "online")))
    rx.queue.put((0.0, encode("left", jpeg=buf.tobytes(), t=0.1)))
    for k in range(3):
        rx.queue.put((0.0, encode("left", obs=_obs(k / 15, index=k))))
        rx.queue.put((0.0, encode("right", obs=_obs(k / 15, index=k))))
    for cid in ("left", "right"):
        rx.queue.put((0.0, _status(cid, "ended", t=0.2)))
    items = list(src.events())
    assert sum(isinstance(i, FrameObservation) for i in items) == 3  # no frame among them
    assert src.malformed == 0 and src.cameras["left"].frames == 3
    picture = src.picture("left")
    assert picture is not None and np.array_equal(picture, _frame().image)
    assert src.picture("right") is None

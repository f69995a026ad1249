"""Live fusion across two boxes (issue 17, item 4): which box runs what
(``cameras[].box``, ``run --box``), the remote camera's bounded sender and the
counter's subscription through a real mosquitto, ordering by wall capture time,
and the broker ACL that lets a box speak only for its own site. The whole path
with two ``run`` processes is tests/render/test_fusion_broker_run.py."""

from __future__ import annotations

import logging
import queue
from pathlib import Path
from typing import Any

import pytest
import yaml
from fusion_helpers import POSE_LEFT, POSE_RIGHT, ZONES
from waiting import wait_until

from frontdesk.capture import StatusChange
from frontdesk.commands.run import this_box
from frontdesk.config import ConfigError, FusionConfig, parse_config
from frontdesk.live_fusion import FusedObservations, decode, encode
from frontdesk.mqtt.fusion_link import (
    MAX_PENDING,
    BrokerObservationReceiver,
    BrokerObservationSender,
)
from frontdesk.types import FrameObservation

WALL = 1_700_000_000.0


def _config(boxes: tuple[str | None, str | None, str | None] = ("desk", "door", "desk"),
            url: str | None = None) -> dict[str, Any]:
    """Cameras left and right share counter c1; camera solo has its own counter."""
    cams: list[dict[str, Any]] = [
        {"id": "left", "camera": {"source": "l.mp4", "pose": POSE_LEFT},
         "counters": [{"id": "c1", "name": "Desk", "zones": ZONES}]},
        {"id": "right", "camera": {"source": "r.mp4", "pose": POSE_RIGHT},
         "counters": [{"id": "c1", "name": "Desk", "zones": ZONES}]},
        {"id": "solo", "camera": {"source": "s.mp4"},
         "counters": [{"id": "c2", "zones": ZONES}]},
    ]
    for cam, box in zip(cams, boxes, strict=True):
        if box is not None:
            cam["box"] = box
    data: dict[str, Any] = {"site_id": "shop-a", "cameras": cams}
    if url:
        data["mqtt"] = {"url": url}
    return data


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "boxes.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str, nth: int = 1) -> int:
    return [i + 1 for i, line in enumerate(path.read_text().splitlines())
            if needle in line][nth - 1]


# ---------------------------------------------------------------------- which box runs what


def test_each_box_runs_its_cameras_and_the_engines_of_its_primaries(tmp_path: Path) -> None:
    config = parse_config(yaml.safe_dump(_config()), "f.yaml")
    assert config.boxes == ["desk", "door"]
    assert config.cameras_on_box("desk") == ["left", "solo"]
    assert config.cameras_on_box("door") == ["right"]
    assert config.cameras_on_box(None) == ["left", "right", "solo"]
    assert config.remote_cameras("c1") == ["right"]  # c1's engine runs on left's box
    one_box = parse_config(yaml.safe_dump(_config(("desk", "desk", "door"))), "f.yaml")
    assert one_box.remote_cameras("c1") == []  # both on desk: the local socket
    unboxed = parse_config(yaml.safe_dump(_config((None, None, None))), "f.yaml")
    assert unboxed.boxes == [] and unboxed.remote_cameras("c1") == []
    assert this_box("f.yaml", unboxed, None) is None  # every camera local, as before


def test_a_camera_without_a_box_among_boxed_ones_is_named_with_its_line(
        tmp_path: Path) -> None:
    path = _write(tmp_path, _config(("desk", None, "desk")))
    with pytest.raises(ConfigError) as info:
        parse_config(path.read_text(), str(path))
    (problem,) = info.value.problems
    line = _line_of(path, "- id: right")
    assert problem.startswith(f"{path}:{line}: cameras[1].box: camera 'left' (cameras[0]) "
                              f"names its box 'desk': then every camera names its box")


def test_the_box_must_be_said_and_be_one_of_the_configs(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.delenv("FRONTDESK_BOX", raising=False)
    path = _write(tmp_path, _config())
    config = parse_config(path.read_text(), str(path))
    desk_line, door_line = _line_of(path, "box: desk"), _line_of(path, "box: door")
    with pytest.raises(ConfigError, match=rf"cameras\[\].box: the cameras sit on boxes "
                       rf"desk \(line {desk_line}\), door \(line {door_line}\): say which "
                       rf"box this is \(frontdesk run --box NAME, or FRONTDESK_BOX=NAME\)"):
        this_box(str(path), config, None)
    with pytest.raises(ConfigError, match="no camera is on box 'attic'"):
        this_box(str(path), config, "attic")
    assert this_box(str(path), config, "door") == "door"
    monkeypatch.setenv("FRONTDESK_BOX", "desk")
    assert this_box(str(path), config, None) == "desk"
    unboxed = parse_config(yaml.safe_dump(_config((None, None, None))), "f.yaml")
    with pytest.raises(ConfigError, match="names no boxes"):
        this_box("f.yaml", unboxed, "desk")


def test_check_config_says_which_box_runs_what(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from frontdesk.cli import main

    data = _config(url="mqtt://broker.lan:1883")
    for cam in data["cameras"]:
        cam["camera"]["source"] = str(tmp_path / cam["camera"]["source"])
    (tmp_path / "r.mp4").write_bytes(b"")  # on door's disk; the others are not
    path = _write(tmp_path, data)
    assert main(["check-config", str(path), "--box", "door"]) == 0
    assert main(["check-config", str(path)]) == 0  # no box: no source checked, a note
    assert main(["check-config", str(path), "--box", "desk"]) == 2
    err = capsys.readouterr().err
    assert "cameras[0].camera.source" in err and "cameras[1].camera.source" not in err
    assert main(["check-config", str(path), "--box", "door"]) == 0
    out = capsys.readouterr().out
    assert "camera right (box door): source " in out
    assert ("its engine runs on box desk; cameras right send through the broker "
            "(frontdesk/shop-a/fusion/c1/CAMERA/observations)") in out


# ---------------------------------------------------------------------- wall capture time


class _Queue:
    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[float, bytes]] = queue.Queue()

    def close(self) -> None:
        pass


def _obs(t: float, wall: float, index: int) -> FrameObservation:
    return FrameObservation(index=index, t=t, width=640, height=360, faces=[],
                            wall_time=wall)


def _status(cid: str, status: str) -> bytes:
    return encode(cid, status=StatusChange(status, None, 0.0, WALL, "x"), live=True)


def _run_two_boxes(wall_clock_base: bool, right_delay_s: float
                   ) -> tuple[list[FrameObservation], FusedObservations]:
    """left on this box (monotonic capture times from 100 s), right on another box whose
    monotonic clock reads 7,777 s at the same instant; both live, the wall clocks
    agree. right's frames arrive ``right_delay_s`` after their capture."""
    config = parse_config(yaml.safe_dump(_config()), "f.yaml")
    rx = _Queue()
    src = FusedObservations(config.for_counter("c1"), rx, FusionConfig(),
                            clock=lambda: 100.0, wall_clock=lambda: WALL,
                            wall_clock_base=wall_clock_base)
    for cid in ("left", "right"):
        rx.queue.put((100.0, _status(cid, "online")))
    for k in range(40):
        dt = k / 15
        rx.queue.put((100.0 + dt, encode("left", obs=_obs(100.0 + dt, WALL + dt, k))))
        rx.queue.put((100.0 + dt + right_delay_s,
                      encode("right", obs=_obs(7777.0 + dt, WALL + dt, k))))
    for cid in ("left", "right"):
        rx.queue.put((103.0, _status(cid, "ended")))
    items = [i for i in src.events() if isinstance(i, FrameObservation)]
    return items, src


def test_a_remote_live_camera_is_ordered_by_its_wall_capture_time() -> None:
    fused, src = _run_two_boxes(wall_clock_base=True, right_delay_s=0.05)
    assert len(fused) == 40 and all(100.0 <= o.t < 103.0 for o in fused)
    assert src.buffer.released_late == 0 and src.dropped_out_of_order == 0
    lags = src.stats["cameras"]["right"]
    assert lags["lag_ms_p50"] == pytest.approx(50.0, abs=1.0)
    # Without it the two boxes' monotonic clocks are 7,677 s apart: right's frames
    # wait behind all of left's, then drive the counter's clock 7,677 s ahead.
    unfused, raw = _run_two_boxes(wall_clock_base=False, right_delay_s=0.05)
    assert max(o.t for o in unfused) > 7000 and raw.stats["skipped_out_of_order"] > 0


def test_a_remote_camera_later_than_the_reorder_delay_is_warned_about(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="frontdesk.live_fusion"):
        _, src = _run_two_boxes(wall_clock_base=True, right_delay_s=0.5)
    assert src.stats["cameras"]["right"]["lag_ms_p50"] == pytest.approx(500.0, abs=1.0)
    assert "camera right's frames arrive 500 ms after their capture" in caplog.text
    assert "more than fusion.reorder_delay_s (0.3 s)" in caplog.text
    assert "camera left's" not in caplog.text


# ---------------------------------------------------------------------- through a real broker


def _box_config(broker: Any, camera: str) -> Any:
    whole = parse_config(yaml.safe_dump(_config(url=broker.url) | {
        "mqtt": {"url": broker.url, "reconnect_min_s": 1, "reconnect_max_s": 1}}), "f.yaml")
    return whole.for_camera(camera)


def test_the_counter_hears_the_remote_camera_through_the_broker(mqtt_broker: Any) -> None:
    into: queue.Queue[tuple[float, bytes]] = queue.Queue()
    rx = BrokerObservationReceiver(_box_config(mqtt_broker, "left"), "c1", ["right"], into)
    tx = BrokerObservationSender(_box_config(mqtt_broker, "right"), "c1")
    try:
        assert rx.wait_subscribed(10)
        assert tx.topic == "frontdesk/shop-a/fusion/c1/right/observations"
        assert tx.status(StatusChange("online", None, 0.0, WALL, ""), live=True)
        for k in range(20):
            assert tx.observation(_obs(k / 15, WALL + k / 15, k))
        got = [decode(into.get(timeout=10)[1]) for _ in range(21)]
        assert got[0].status == "online" and got[0].live
        assert [m.obs.index for m in got[1:] if m.obs is not None] == list(range(20))
        # A message claiming another camera, or from a camera not of this counter's
        # remote ones, is not taken.
        tx.client.publish("frontdesk/shop-a/fusion/c1/right/observations",
                          encode("left", obs=_obs(0.0, WALL, 0))).wait_for_publish(5)
        tx.client.publish("frontdesk/shop-a/fusion/c1/solo/observations",
                          encode("solo", obs=_obs(0.0, WALL, 0))).wait_for_publish(5)
        assert wait_until(lambda: rx.malformed == 2)
        assert into.empty() and tx.dropped == 0 and tx.sent == 21
    finally:
        tx.close()
        rx.close()


def test_a_camera_cut_off_from_the_broker_keeps_only_its_newest_messages(
        mqtt_broker: Any, mqtt_recorder: Any) -> None:
    topic = "frontdesk/shop-a/fusion/c1/right/observations"
    rec = mqtt_recorder(mqtt_broker, [topic])
    mqtt_broker.stop()
    tx = BrokerObservationSender(_box_config(mqtt_broker, "right"), "c1")
    try:
        n = MAX_PENDING + 50
        for k in range(n):
            tx.observation(_obs(k / 15, WALL + k / 15, k))
        # Bounded: the oldest 50 dropped and counted, memory stays at MAX_PENDING.
        assert tx.dropped == 50 and tx.pending == MAX_PENDING and tx.sent == 0
        mqtt_broker.restart()
        assert rec.wait_for(lambda msgs: len(msgs) >= MAX_PENDING, 30), len(rec.snapshot())
        indexes = [decode(m.payload).obs.index for m in rec.snapshot()]  # type: ignore[union-attr]
        assert indexes == list(range(50, n))  # the newest, in order, each once
        assert tx.pending == 0 and tx.sent == MAX_PENDING
    finally:
        tx.close()


def test_a_remote_camera_that_drops_off_is_announced_by_its_last_will(
        mqtt_broker: Any, mqtt_recorder: Any) -> None:
    topic = "frontdesk/shop-a/fusion/c1/right/observations"
    rec = mqtt_recorder(mqtt_broker, [topic])
    tx = BrokerObservationSender(_box_config(mqtt_broker, "right"), "c1")
    assert wait_until(lambda: tx._connected)
    tx.client._sock_close()  # the connection dies without a DISCONNECT (a killed box)
    tx.client.loop_stop()
    msg = rec.wait_message(topic, timeout_s=10)
    will = decode(msg.payload)
    assert (will.camera_id, will.status, will.detail) == (
        "right", "offline", "its box lost the broker connection")
    assert msg.qos == 1 and not msg.retain

"""Capture: timing, looping, damaged input, reconnects, stale frames, credentials.

Real files are written in each test. The only fake is a camera device (a physical
camera cannot exist here); network streams are real, served from localhost.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from video_server import serve_video

from frontdesk.capture import (
    FrameSource,
    LiveSource,
    StatusChange,
    backoff_delays,
    frame_time_s,
    open_source,
    parse_spec,
    scrub_credentials,
    to_bgr,
)
from frontdesk.config import CameraConfig
from frontdesk.demo_footage import (
    CLIP_DURATION_S,
    CLIP_FPS,
    CLIP_SIZE,
    demo_clip_path,
    demo_truth_path,
    ensure_demo_clip,
    resolve_source,
)
from frontdesk.errors import FrontdeskError, SourceError
from frontdesk.types import CameraStatus, Frame

# --------------------------------------------------------------------------- helpers

FPS = 12.5
N_FRAMES = 25


def numbered_image(i: int, size: tuple[int, int] = (160, 120)) -> np.ndarray:
    image = np.full((size[1], size[0], 3), (i * 9) % 256, np.uint8)
    cv2.putText(image, str(i), (10, 70), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (255, 255, 255), 3)
    return image


def write_clip(path: Path, n: int = N_FRAMES, fps: float = FPS, fourcc: str = "mp4v") -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, (160, 120))
    assert writer.isOpened(), f"cannot write {path}"
    for i in range(n):
        writer.write(numbered_image(i))
    writer.release()
    return path


def camera_cfg(initial_s: float = 0.01, max_s: float = 0.05, **extra: object) -> CameraConfig:
    return CameraConfig.model_validate({"reconnect": {"initial_s": initial_s, "max_s": max_s},
                                        **extra})


def statuses(items: list[Frame | StatusChange]) -> list[tuple[str | None, str]]:
    return [(i.previous, i.status) for i in items if isinstance(i, StatusChange)]


def frames_of(items: list[Frame | StatusChange]) -> list[Frame]:
    return [i for i in items if isinstance(i, Frame)]


def closed_port() -> int:
    """A localhost port nothing listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RecordingSleep:
    """Stands in for the back-off wait: records delays and advances a fake clock."""

    def __init__(self, enough: int) -> None:
        self.now = 1000.0
        self.delays: list[float] = []
        self.enough = threading.Event()
        self._wanted = enough

    def clock(self) -> float:
        return self.now

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds
        if len(self.delays) >= self._wanted:
            self.enough.set()
            time.sleep(0.005)  # keep the retry loop from spinning once the test has its data


class FakeCamera:
    """A camera that can be unplugged and plugged back; frame n has pixel (0, 0) = n."""

    def __init__(self, fps: float = 200.0) -> None:
        self.interval_s = 1.0 / fps
        self.plugged = threading.Event()
        self.plugged.set()
        self.produced = 0
        self.opens = 0

    def open(self) -> FakeCamera.Device:
        self.opens += 1
        return FakeCamera.Device(self, self.plugged.is_set())

    class Device:
        def __init__(self, camera: FakeCamera, opened: bool) -> None:
            self.camera, self.opened = camera, opened

        def isOpened(self) -> bool:  # noqa: N802 (cv2.VideoCapture's name)
            return self.opened

        def read(self) -> tuple[bool, np.ndarray | None]:
            if not self.camera.plugged.is_set():
                time.sleep(0.001)
                return False, None
            time.sleep(self.camera.interval_s)
            self.camera.produced += 1
            image = np.zeros((6, 8, 3), np.uint8)
            image[0, 0, 0], image[0, 0, 1] = self.camera.produced % 256, self.camera.produced // 256
            return True, image

        def release(self) -> None:
            self.opened = False


def frame_number(frame: Frame) -> int:
    return int(frame.image[0, 0, 0]) + 256 * int(frame.image[0, 0, 1])


def watchdog(source: FrameSource, seconds: float = 10.0) -> threading.Timer:
    """Close ``source`` if a test hangs, so it fails instead of blocking."""
    timer = threading.Timer(seconds, source.close)
    timer.daemon = True
    timer.start()
    return timer


# --------------------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("spec", "kind", "target", "name"),
    [
        ("0", "camera", 0, "camera 0"),
        (" 2 ", "camera", 2, "camera 2"),
        ("/dev/video1", "camera", "/dev/video1", "/dev/video1"),
        ("rtsp://10.0.0.5/live", "url", "rtsp://10.0.0.5/live", "rtsp://10.0.0.5/live"),
        ("rtsp://u:p@cam/live", "url", "rtsp://u:p@cam/live", "rtsp://***@cam/live"),
        ("HTTPS://cam/mjpg", "url", "HTTPS://cam/mjpg", "HTTPS://cam/mjpg"),
        ("demo://counter", "demo", "counter", "demo://counter"),
        ("clips/visit.mp4", "path", "clips/visit.mp4", "clips/visit.mp4"),
        ("file:///srv/clip.mp4", "path", "/srv/clip.mp4", "/srv/clip.mp4"),
    ],
)
def test_parse_spec(spec: str, kind: str, target: str | int, name: str) -> None:
    parsed = parse_spec(spec)
    assert (parsed.kind, parsed.target, parsed.name) == (kind, target, name)


@pytest.mark.parametrize("spec", ["", "   ", "ftp://user:hunter2@host/x.mp4"])
def test_parse_spec_rejects_unusable_sources_without_leaking(spec: str) -> None:
    with pytest.raises(SourceError) as info:
        parse_spec(spec)
    assert isinstance(info.value, FrontdeskError)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("rtsp://admin:pw@10.0.0.5:554/live", "rtsp://***@10.0.0.5:554/live"),
        ("rtsp://admin:p@ss/w0rd@10.0.0.5/live", "rtsp://***@10.0.0.5/live"),
        ("rtsp://justuser@cam/live", "rtsp://***@cam/live"),
        ("http://cam/video.cgi?user=admin&pwd=123&res=hd", "http://cam/video.cgi?user=***&pwd=***&res=hd"),
        ("https://cam/s?access_token=abc#x", "https://cam/s?access_token=***#x"),
        ("rtsp://10.0.0.5/live?channel=1", "rtsp://10.0.0.5/live?channel=1"),
        ("/videos/a@b.mp4", "/videos/a@b.mp4"),
    ],
)
def test_scrub_credentials(url: str, expected: str) -> None:
    assert scrub_credentials(url) == expected


@pytest.mark.parametrize(
    ("pos_msec", "index", "previous", "expected"),
    [
        (80.0, 1, 0.0, 0.08),  # the container's time, when sane
        (0.0, 0, None, 0.0),
        (0.0, 3, 0.16, 0.24),  # stuck at zero: index / fps
        (-7.7e15, 2, 0.08, 0.16),  # negative nonsense (raw MJPEG)
        (math.nan, 4, 0.24, 0.32),
        (40.0, 1, 0.08, 0.16),  # going backwards
        (0.0, 1, 0.5, 0.58),  # index / fps not later either: previous + one frame
    ],
)
def test_frame_time_uses_container_time_or_falls_back(
    pos_msec: float, index: int, previous: float | None, expected: float
) -> None:
    assert frame_time_s(pos_msec, index, FPS, previous) == pytest.approx(expected)


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = backoff_delays(0.5, 4.0)
    assert [next(delays) for _ in range(7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]


@pytest.mark.parametrize(
    ("image", "shape"),
    [
        (np.zeros((4, 5), np.uint8), (4, 5, 3)),
        (np.zeros((4, 5, 1), np.uint8), (4, 5, 3)),
        (np.zeros((4, 5, 4), np.uint8), (4, 5, 3)),
        (np.full((4, 5, 3), 65535, np.uint16), (4, 5, 3)),
        (np.zeros((4, 5, 3), np.float32), None),
        (np.zeros((0, 5, 3), np.uint8), None),
        (None, None),
    ],
)
def test_to_bgr(image: object, shape: tuple[int, ...] | None) -> None:
    out = to_bgr(image)
    if shape is None:
        assert out is None
    else:
        assert out is not None and out.shape == shape and out.dtype == np.uint8


# --------------------------------------------------------------------------- video files


@pytest.mark.parametrize("fourcc,ext", [("mp4v", "mp4"), ("MJPG", "avi")])
def test_file_frames_are_timed_by_video_time_not_the_clock(tmp_path: Path, fourcc: str,
                                                           ext: str) -> None:
    clip = write_clip(tmp_path / f"clip.{ext}", fourcc=fourcc)
    ticks = iter(range(0, 10**9, 1000))  # a clock that leaps 1000 s per reading
    started = time.monotonic()
    with open_source(str(clip), clock=lambda: float(next(ticks))) as source:
        items = list(source.events())
        stats = source.stats
    elapsed = time.monotonic() - started
    frames = frames_of(items)
    assert [f.index for f in frames] == list(range(N_FRAMES))
    assert [f.t for f in frames] == pytest.approx([i / FPS for i in range(N_FRAMES)])
    assert elapsed < frames[-1].t  # processed faster than real time, still video time
    assert all(f.wall_time is None and f.source == str(clip) for f in frames)
    assert all(int(f.image[5, 5, 0]) == pytest.approx((f.index * 9) % 256, abs=8) for f in frames)
    assert statuses(items) == [(None, "online"), ("online", "ended")]
    assert isinstance(items[0], StatusChange) and isinstance(items[-1], StatusChange)
    assert items[-1].t == pytest.approx(frames[-1].t)
    assert (stats.frames_read, stats.frames_delivered) == (N_FRAMES, N_FRAMES)
    assert stats.corrupt_skipped == 0
    assert stats.status == CameraStatus.ENDED


def test_file_loop_keeps_time_increasing_across_laps(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4")
    with open_source(str(clip), loop=True) as source:
        frames = [f for _, f in zip(range(3 * N_FRAMES + 5), source, strict=False)]
        stats = source.stats
    times = [f.t for f in frames]
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    lap_s = N_FRAMES / FPS
    assert times[N_FRAMES] == pytest.approx(lap_s)
    assert times[2 * N_FRAMES + 3] == pytest.approx(2 * lap_s + 3 / FPS)
    assert [f.index for f in frames] == list(range(len(frames)))
    assert stats.laps == 3 and source.status == CameraStatus.ENDED


def test_file_without_usable_timestamps_is_timed_by_index(tmp_path: Path) -> None:
    raw = tmp_path / "stream.mjpeg"  # bare JPEGs back to back: no container timestamps
    raw.write_bytes(b"".join(cv2.imencode(".jpg", numbered_image(i))[1].tobytes()
                             for i in range(10)))
    with open_source(str(raw)) as source:
        frames = list(source)
    assert len(frames) == 10
    assert [f.t for f in frames] == pytest.approx([i / 25.0 for i in range(10)])  # FFmpeg's 25


def test_corrupt_frames_mid_file_are_skipped_and_counted(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4")
    data = bytearray(clip.read_bytes())
    start = len(data) // 3
    data[start:start + 3000] = b"\x55" * 3000
    clip.write_bytes(bytes(data))
    with open_source(str(clip)) as source:
        frames = list(source)
        stats = source.stats
    assert stats.corrupt_skipped > 0
    assert len(frames) + stats.corrupt_skipped == N_FRAMES
    assert frames[-1].index == N_FRAMES - 1
    for f in frames:  # frames after the damage keep their place in time
        assert f.t == pytest.approx(f.index / FPS)
    assert stats.status == CameraStatus.ENDED


def test_truncated_mp4_is_a_clear_source_error(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4")
    clip.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(SourceError, match="cannot open as a video"):
        open_source(str(clip))


def test_truncated_avi_ends_cleanly_with_what_it_has(tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    clip = write_clip(tmp_path / "clip.avi", fourcc="MJPG")
    clip.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with caplog.at_level(logging.WARNING), open_source(str(clip)) as source:
        items = list(source.events())
    frames = frames_of(items)
    assert 0 < len(frames) < N_FRAMES
    assert [f.t for f in frames] == pytest.approx([i / FPS for i in range(len(frames))])
    assert statuses(items)[-1] == ("online", "ended")
    assert "truncated?" in caplog.text


@pytest.mark.parametrize("content", [os.urandom(50_000), b""], ids=["garbage", "empty"])
def test_garbage_file_is_a_clear_source_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "camera.mp4"
    path.write_bytes(content)
    with pytest.raises(SourceError, match="camera.mp4"):
        open_source(str(path))


def test_missing_file_and_folder_are_source_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found.*nope.mp4"):
        open_source(str(tmp_path / "nope.mp4"))
    with pytest.raises(SourceError, match="not found"):
        open_source(str(tmp_path / "no-such-folder") + "/")


def test_stats_report_the_age_of_the_last_frame(tmp_path: Path) -> None:
    now = [50.0]
    with open_source(str(write_clip(tmp_path / "c.mp4")), clock=lambda: now[0]) as source:
        first = next(iter(source))
        now[0] += 7.5
        stats = source.stats
    assert first.t == 0.0
    assert stats.last_frame_age_s == pytest.approx(7.5)
    assert stats.last_frame_t == 0.0
    assert stats.to_json()["frames_read"] == 1


def test_close_from_another_thread_ends_a_file_iteration(tmp_path: Path) -> None:
    source = open_source(str(write_clip(tmp_path / "c.mp4")), loop=True)
    count = 0
    threading.Timer(0.2, source.close).start()
    for _ in source:  # endless without the close
        count += 1
    assert count > 0 and source.status == CameraStatus.ENDED
    assert list(source) == []


# --------------------------------------------------------------------------- image folders


def test_folder_is_played_in_natural_order_and_skips_corrupt_images(tmp_path: Path) -> None:
    for n in (1, 2, 4, 10):
        cv2.imwrite(str(tmp_path / f"frame{n}.png"), numbered_image(n))
    (tmp_path / "frame3.jpg").write_bytes(b"\xff\xd8 this is not a jpeg")
    (tmp_path / "frame5.png").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("ignored")
    with open_source(str(tmp_path), folder_fps=5.0) as source:
        items = list(source.events())
        stats = source.stats
    frames = frames_of(items)
    # order: frame1, frame2, frame3 (corrupt), frame4, frame5 (empty), frame10
    assert [f.index for f in frames] == [0, 1, 3, 5]
    assert [f.t for f in frames] == pytest.approx([0.0, 0.2, 0.6, 1.0])
    gray = [int(f.image[5, 5, 0]) for f in frames]
    assert gray == [9, 18, 36, 90]
    assert stats.corrupt_skipped == 2 and stats.frames_read == 4
    assert statuses(items) == [(None, "online"), ("online", "ended")]


def test_folder_loop_keeps_time_increasing(tmp_path: Path) -> None:
    for n in range(3):
        cv2.imwrite(str(tmp_path / f"{n}.png"), numbered_image(n))
    with open_source(str(tmp_path), loop=True) as source:
        frames = [f for _, f in zip(range(7), source, strict=False)]
        assert source.stats.laps == 2
    assert [f.t for f in frames] == pytest.approx([i / 10 for i in range(7)])


def test_empty_folder_is_a_source_error(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("no images here")
    with pytest.raises(SourceError, match="no images"):
        open_source(str(tmp_path))


# --------------------------------------------------------------------------- live sources


@pytest.mark.parametrize("spec", ["/dev/video99", "99"])
def test_missing_camera_is_offline_and_retried_with_backoff(spec: str) -> None:
    sleep = RecordingSleep(enough=6)
    cfg = camera_cfg(initial_s=0.5, max_s=4.0)
    with open_source(spec, cfg, clock=sleep.clock, sleep=sleep) as source:
        assert sleep.enough.wait(10), "no retries happened"
        assert source.status == CameraStatus.OFFLINE
        first = next(source.events())
        stats = source.stats
    assert sleep.delays[:6] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert isinstance(first, StatusChange)
    assert (first.previous, first.status, first.t) == (None, "offline", 1000.0)
    assert "cannot open the camera" in first.detail
    assert stats.open_failures >= 6 and stats.frames_read == 0 and stats.reconnects == 0
    assert source.status == CameraStatus.ENDED


def test_backoff_starts_over_once_frames_flow_again() -> None:
    camera = FakeCamera()
    camera.plugged.clear()
    delays: list[float] = []

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 3:
            camera.plugged.set()
        time.sleep(0.001)

    source = LiveSource(camera.open, "cam", camera_cfg(initial_s=0.5, max_s=8.0), sleep=sleep,
                        max_read_failures=2)
    guard = watchdog(source)
    frames = 0
    for item in source.events():
        if isinstance(item, Frame):
            frames += 1
            if frames == 3:
                camera.plugged.clear()
        elif item.previous == CameraStatus.ONLINE:
            while len(delays) < 5:
                time.sleep(0.002)
            break
    source.close()
    guard.cancel()
    assert delays[:3] == [0.5, 1.0, 2.0]  # while it never came up
    assert delays[3:5] == [0.5, 1.0]  # after it had delivered frames and dropped


def test_live_source_goes_offline_and_comes_back(caplog: pytest.LogCaptureFixture) -> None:
    camera = FakeCamera(fps=200)
    caplog.set_level(logging.INFO)
    source = LiveSource(camera.open, "fake camera", camera_cfg(), max_read_failures=3)
    guard = watchdog(source)
    seen: list[Frame | StatusChange] = []
    opens_at_drop, frames_back = 0, 0
    for item in source.events():
        seen.append(item)
        if isinstance(item, StatusChange) and item.status == CameraStatus.OFFLINE:
            assert source.status == CameraStatus.OFFLINE
            opens_at_drop = camera.opens
            while camera.opens < opens_at_drop + 2:  # it keeps trying while unplugged
                time.sleep(0.005)
            camera.plugged.set()
        elif isinstance(item, Frame):
            if len(frames_of(seen)) == 5:
                camera.plugged.clear()
            frames_back += len(statuses(seen)) == 3
            if frames_back == 5:
                break
    source.close()
    guard.cancel()
    changes = [i for i in seen if isinstance(i, StatusChange)]
    assert statuses(seen) == [(None, "online"), ("online", "offline"), ("offline", "online")]
    offline_t, online_t = changes[1].t, changes[2].t
    after = [f for f in frames_of(seen) if f.t >= online_t]
    assert len(after) >= 5 and all(f.t > offline_t for f in after)
    stats = source.stats
    assert stats.reconnects == 1 and stats.open_failures >= 2
    assert source.drain_status_changes()[:3] == changes
    assert source.drain_status_changes() == []
    assert "fake camera: offline (stopped delivering frames)" in caplog.text
    assert "fake camera: online (reconnected)" in caplog.text


def test_slow_consumer_gets_fresh_frames_and_stale_ones_are_dropped() -> None:
    camera = FakeCamera(fps=200)
    source = LiveSource(camera.open, "fast camera", camera_cfg(max_fps=None))
    guard = watchdog(source)
    ages, numbers = [], []
    for frame in source:
        ages.append(time.monotonic() - frame.t)
        numbers.append(frame_number(frame))
        if len(numbers) == 12:
            break
        time.sleep(0.04)  # a consumer five times slower than the camera
    source.close()
    guard.cancel()
    stats = source.stats
    # A queue would make each frame ~35 ms older than the one before (0.4 s by the
    # end); the newest-frame slot keeps every frame about one camera interval old.
    assert max(ages[1:]) < 0.1
    assert sorted(ages)[len(ages) // 2] < 0.03
    assert numbers == sorted(numbers) and numbers[-1] - numbers[0] > 20
    assert stats.stale_dropped > 20
    pending = stats.frames_read - stats.frames_delivered - stats.stale_dropped
    assert 0 <= pending <= 1


def test_max_fps_bounds_the_rate_of_delivered_frames() -> None:
    camera = FakeCamera(fps=200)
    source = LiveSource(camera.open, "fast camera", camera_cfg(max_fps=20))
    guard = watchdog(source)
    frames = [f for _, f in zip(range(6), source, strict=False)]
    source.close()
    guard.cancel()
    assert (frames[-1].t - frames[0].t) / 5 >= 0.95 / 20
    assert source.stats.throttled > 5


def test_close_from_another_thread_ends_an_offline_wait() -> None:
    camera = FakeCamera()
    camera.plugged.clear()
    source = LiveSource(camera.open, "unplugged", camera_cfg())
    threading.Timer(0.2, source.close).start()
    started = time.monotonic()
    items = list(source.events())
    assert time.monotonic() - started < 3.0
    assert statuses(items) in ([(None, "offline")], [])
    assert source.status == CameraStatus.ENDED


@pytest.fixture
def mjpeg_server(tmp_path: Path) -> Iterator[Callable[[], int]]:
    """A local HTTP camera that wants basic auth viewer:pa55word and serves an MJPEG AVI."""
    body = write_clip(tmp_path / "cam.avi", fourcc="MJPG").read_bytes()
    with serve_video(body, "viewer:pa55word") as port:
        yield lambda: port


def test_http_stream_frames_carry_no_credentials(mjpeg_server: Callable[[], int],
                                                 caplog: pytest.LogCaptureFixture,
                                                 capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://viewer:pa55word@127.0.0.1:{mjpeg_server()}/cam.avi?token=t0ken"
    with open_source(url, camera_cfg()) as source:
        guard = watchdog(source)
        items = []
        for item in source.events():
            items.append(item)
            if len(frames_of(items)) == 3:
                break
        guard.cancel()
    frames = frames_of(items)
    assert len(frames) == 3 and source.kind == "url" and source.is_live
    assert statuses(items)[0] == (None, "online")
    assert all(f.wall_time is not None for f in frames)
    assert frames[0].source == f"http://***@127.0.0.1:{mjpeg_server()}/cam.avi?token=***"
    out, err = capfd.readouterr()
    for secret in ("pa55word", "t0ken"):
        for text in (caplog.text, out, err, repr(source), repr(items), repr(source.stats)):
            assert secret not in text


def test_rtsp_credentials_never_reach_logs_or_names(caplog: pytest.LogCaptureFixture,
                                                    capfd: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", raising=False)  # restored afterwards
    caplog.set_level(logging.DEBUG)
    sleep = RecordingSleep(enough=3)
    port = closed_port()
    url = f"rtsp://admin:hunter2secret@127.0.0.1:{port}/stream?password=tok3n"
    with open_source(url, camera_cfg(), sleep=sleep) as source:
        assert sleep.enough.wait(10)
        first = next(source.events())
        stats = source.stats
    assert source.name == f"rtsp://***@127.0.0.1:{port}/stream?password=***"
    assert isinstance(first, StatusChange) and first.status == CameraStatus.OFFLINE
    assert "cannot open the stream" in first.detail
    assert stats.open_failures >= 3
    assert os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] == "rtsp_transport;tcp"
    out, err = capfd.readouterr()
    for secret in ("hunter2secret", "tok3n"):
        for text in (caplog.text, out, err, repr(source), repr(first), repr(stats)):
            assert secret not in text


# --------------------------------------------------------------------------- demo footage

# The demo clip is rendered from the demo counter scene (about a minute of work;
# its story is tested in tests/render/test_demo_scene.py). These tests check the
# caching and playback around it with a short scene of the same kind: a staff
# member at the till and a customer walking up to the counter.
_SHORT_DEMO = {
    "render": {"size": [320, 180], "fps": 15, "seed": 1},
    "duration_s": 4,
    "people": [
        {"id": "anna", "role": "staff", "path": [{"t": 0, "at": "staff"}, {"t": 4, "at": "staff"}],
         "gaze": [{"t": 0, "till": True}]},
        {"id": "bob", "role": "customer",
         "path": [{"t": 0, "at": [-3.0, 0.64, 1.7]}, {"t": 3.0, "at": "service"},
                  {"t": 4, "at": "service"}],
         "gaze": [{"t": 0, "walk": True}]},
    ],
}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from frontdesk import demo_footage
    from frontdesk.render.scene_file import render_scene_from_dict

    root = tmp_path_factory.mktemp("data")
    short = render_scene_from_dict(_SHORT_DEMO, "short-demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FRONTDESK_DATA_DIR", str(root))
        mp.setattr(demo_footage, "demo_render_scene", lambda name="counter": short)
        yield root


def test_demo_clip_is_made_once_and_plays(demo_dir: Path) -> None:
    path = ensure_demo_clip()
    assert path == demo_dir / "demo" / path.name and path.is_file()
    assert demo_truth_path().is_file()  # the ground truth is written beside it
    made_ns = path.stat().st_mtime_ns
    assert ensure_demo_clip("counter").stat().st_mtime_ns == made_ns  # cached
    with pytest.raises(SourceError, match="resolve it to its file first"):
        open_source("demo://counter")  # capture opens sources; it never renders
    assert resolve_source("demo://counter") == str(path)
    with open_source(resolve_source("demo://counter")) as source:
        frames = list(source)
    n = 61  # 0 .. 4 s at 15 fps
    assert len(frames) == n and source.kind == "file"
    assert all(f.source == str(path) for f in frames)
    assert (frames[0].width, frames[0].height) == (320, 180)
    assert [f.t for f in frames] == pytest.approx([i / 15.0 for i in range(n)])

    first = frames[0].image.astype(np.int16)

    def changed_px(t: float) -> int:
        diff = np.abs(frames[round(t * 15)].image.astype(np.int16) - first).max(axis=2)
        return int((diff > 40).sum())

    # the customer walks up to the counter: more and more of the picture changes
    approach = [changed_px(t) for t in (0.5, 1.5, 2.5, 3.0)]
    assert approach[0] > 0 and approach == sorted(approach) and len(set(approach)) == 4
    assert changed_px(3.5) == pytest.approx(changed_px(3.9), rel=0.2)  # standing at the counter


def test_demo_clip_constants_describe_the_demo_scene() -> None:
    from frontdesk.demo_footage import expected_frames
    from frontdesk.render.demo_scene import demo_scene_dict
    from frontdesk.render.scene_file import render_scene_from_dict

    scene = render_scene_from_dict(demo_scene_dict())
    assert scene.settings.size == CLIP_SIZE and scene.settings.fps == CLIP_FPS
    assert scene.scene.duration_s == CLIP_DURATION_S
    assert expected_frames(scene) == round(CLIP_FPS * CLIP_DURATION_S) + 1


def test_unreadable_demo_clip_is_made_again(demo_dir: Path) -> None:
    path = demo_clip_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a video")
    assert ensure_demo_clip() == path
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 61
    cap.release()
    assert not list(path.parent.glob(".*.mp4"))  # no temporary files left behind


def test_unknown_demo_footage_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="known: demo://counter"):
        resolve_source("demo://lobby")


# --------------------------------------------------------------------------- realtime pacing


class _FakeTime:
    """A clock that only moves when the source waits (and by what the caller spends)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_realtime_delivers_each_frame_at_its_own_time(tmp_path: Path, kind: str) -> None:
    if kind == "file":
        spec = str(write_clip(tmp_path / "clip.mp4", n=10))
    else:
        folder = tmp_path / "images"
        folder.mkdir()
        for i in range(10):
            cv2.imwrite(str(folder / f"{i}.png"), numbered_image(i))
        spec = str(folder)
    fake = _FakeTime()
    with open_source(spec, clock=fake.clock, realtime=True, folder_fps=FPS) as source:
        source._pace_wait = fake.wait
        delivered: list[tuple[float, float]] = []
        for frame in source:
            delivered.append((frame.t, fake.now - 100.0))
            fake.now += 0.01  # the caller's work on the frame, shorter than a frame period
    assert len(delivered) == 10
    assert [clock for _, clock in delivered] == pytest.approx([t for t, _ in delivered])
    assert fake.waits == pytest.approx([1 / FPS - 0.01] * 9)


def test_realtime_never_waits_for_a_caller_slower_than_the_clip(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", n=10)
    fake = _FakeTime()
    with open_source(str(clip), clock=fake.clock, realtime=True) as source:
        source._pace_wait = fake.wait
        frames = []
        for frame in source:
            frames.append(frame)
            fake.now += 2.0 / FPS  # twice as slow as the clip: late frames come at once
    assert len(frames) == 10 and [f.index for f in frames] == list(range(10))
    assert fake.waits == []


def test_realtime_paces_on_the_real_clock_and_close_ends_the_wait(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", n=6, fps=20.0)
    started = time.monotonic()
    with open_source(str(clip), realtime=True) as source:
        frames = list(source)
    assert len(frames) == 6
    assert time.monotonic() - started >= 5 / 20.0 - 0.01  # not faster than the clip
    with open_source(str(write_clip(tmp_path / "slow.mp4", n=4, fps=0.5)),
                     realtime=True) as slow:
        first = next(iter(slow))
        threading.Timer(0.2, slow.close).start()
        waited = time.monotonic()
        rest = list(slow)
    assert first.index == 0 and rest == []
    assert time.monotonic() - waited < 1.5  # the 2 s wait for frame 1 ended at close


def test_run_rejects_realtime_with_recorded_observations(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from frontdesk.cli import main

    config = Path(__file__).resolve().parents[1] / "config" / "frontdesk.yaml"
    code = main(["run", "-c", str(config), "--observations", str(tmp_path / "o.jsonl"),
                 "--realtime"])
    err = capsys.readouterr().err
    assert code != 0 and "--realtime" in err and "Traceback" not in err


def test_realtime_goes_to_every_cameras_worker() -> None:
    from frontdesk.cli import build_parser
    from frontdesk.commands.run import worker_run_args

    args = build_parser().parse_args(["run", "-c", "box.yaml", "--realtime", "--no-store"])
    extra = worker_run_args(args, ["front", "back"])
    assert set(extra) == {"front", "back"}
    assert all("--realtime" in e and "--no-store" in e for e in extra.values())
    plain = build_parser().parse_args(["run", "-c", "box.yaml"])
    assert all("--realtime" not in e for e in worker_run_args(plain, ["front"]).values())


class SteadyCamera:
    """A live device at ``fps`` on a clock of its own: each read advances the clock
    one frame interval (and takes a few real milliseconds, so the reader thread
    never outruns the consumer)."""

    def __init__(self, fps: float) -> None:
        self.interval_s = 1.0 / fps
        self.now = 0.0
        self.reads = 0

    def clock(self) -> float:
        return self.now

    def open(self) -> SteadyCamera:
        return self

    def isOpened(self) -> bool:  # noqa: N802 (OpenCV's name)
        return True

    def read(self) -> tuple[bool, np.ndarray]:
        time.sleep(0.003)
        self.reads += 1
        self.now = self.reads * self.interval_s
        return True, np.zeros((8, 8, 3), np.uint8)

    def release(self) -> None:
        pass


@pytest.mark.parametrize("camera_fps,expected_fps", [
    (30.0, 15.0),  # every other frame
    (25.0, 15.0),  # gaps of one and two camera frames (spacing alone gave 12.5)
    (20.0, 15.0),  # (spacing alone gave 10)
    (10.0, 10.0),  # a slower camera: every frame
])
def test_a_live_source_gives_the_engine_max_fps_frames_a_second_never_more(
        camera_fps: float, expected_fps: float) -> None:
    camera = SteadyCamera(camera_fps)
    assert CameraConfig().max_fps == 15.0  # the default
    source = LiveSource(camera.open, "steady camera", camera_cfg(), clock=camera.clock)
    guard = watchdog(source)
    frames = []
    for frame in source:
        frames.append(frame)
        if frame.t >= 6.0:
            break
    source.close()
    guard.cancel()
    stats = source.stats
    span = frames[-1].t - frames[0].t
    rate = (len(frames) - 1) / span
    lost = stats.stale_dropped  # frames the consumer was too slow for (none expected)
    assert rate <= expected_fps + 1e-6
    assert rate >= expected_fps - 0.5 - lost / span
    for a in frames:  # never more than max_fps in any second (and one for jitter)
        assert sum(1 for b in frames if a.t <= b.t < a.t + 1.0) <= 16
    gaps = [b.t - a.t for a, b in zip(frames, frames[1:], strict=False)]
    assert max(gaps) <= 1.0 / 15 + 1.0 / camera_fps + 1e-6 or lost  # the latency resolution
    if camera_fps > 15:
        assert stats.throttled > 0
    else:
        assert stats.throttled == 0

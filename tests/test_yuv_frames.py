"""Frames kept in YUV: PyAV's decoding against OpenCV's, the BGR made on first use,
the grey and the gate's small picture from the luma, an idle frame never converted,
and the choice of decoder (``camera.decoder``).

Real clips are written with OpenCV's writer (mp4v, MJPG) and decoded both ways;
the pipeline test runs real MediaPipe.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest
from video_server import serve_video

from frontdesk.capture import decoders as decoders_module
from frontdesk.capture import open_source
from frontdesk.capture.decoders import AvPicture, CannotOpen
from frontdesk.capture.video_file import VideoFileSource
from frontdesk.config import CameraConfig, ConfigError, CounterConfig, GatingConfig, parse_config
from frontdesk.errors import SourceError
from frontdesk.perception.gate import DetectionGate
from frontdesk.perception.pixels import shrink_grey
from frontdesk.types import Frame

W, H, FPS = 320, 180, 15.0

COUNTER = CounterConfig.model_validate({
    "id": "c1",
    "zones": {
        "service": [[0.4, 0.4], [0.6, 0.4], [0.6, 0.9], [0.4, 0.9]],
        "staff": [[0.4, 0.1], [0.6, 0.1], [0.6, 0.35], [0.4, 0.35]],
    },
})


def colour_scene(i: int, square_at: tuple[float, float] | None = None) -> np.ndarray:
    """A coloured, textured empty scene with camera noise; optionally a dark blue
    square (someone) at ``square_at`` (normalised)."""
    x = np.linspace(0.0, 1.0, W, dtype=np.float32)[None, :]
    y = np.linspace(0.0, 1.0, H, dtype=np.float32)[:, None]
    bgr = np.stack([60 + 150 * x + 0 * y, 180 - 90 * y + 0 * x, 90 + 120 * x * y], axis=2)
    noise = np.random.default_rng(1000 + i).normal(0, 3, (H, W, 1)).astype(np.float32)
    image = np.clip(bgr + noise, 0, 255).astype(np.uint8)
    if square_at is not None:
        cx, cy = int(square_at[0] * W), int(square_at[1] * H)
        image[cy:cy + 40, cx:cx + 24] = (120, 40, 30)
    return image


def write_clip(path: Path, images: list[np.ndarray], fourcc: str = "mp4v") -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), FPS, (W, H))
    assert writer.isOpened()
    for image in images:
        writer.write(image)
    writer.release()
    return path


def walk_in(n_empty: int = 40, n_in: int = 8) -> list[np.ndarray]:
    """An empty counter, then someone walking into the service zone."""
    return [colour_scene(i) for i in range(n_empty)] + \
        [colour_scene(n_empty + k, (0.3 + 0.03 * k, 0.45)) for k in range(n_in)]


def decode(path: Path, decoder: str) -> list[Frame]:
    with VideoFileSource(path, decoder=decoder) as source:
        assert source.decoder_name == decoder
        return list(source)


# ---------------------------------------------------------------- the two decoders


@pytest.mark.parametrize("fourcc,ext", [("mp4v", "mp4"), ("MJPG", "avi")])
def test_pyav_gives_opencvs_frames_pixel_for_pixel_and_converts_only_when_asked(
        tmp_path: Path, fourcc: str, ext: str) -> None:
    clip = write_clip(tmp_path / f"walk.{ext}", walk_in(), fourcc)
    yuv, bgr = decode(clip, "pyav"), decode(clip, "opencv")
    assert len(yuv) == len(bgr) == 48
    assert [f.index for f in yuv] == [f.index for f in bgr] == list(range(48))
    assert [f.t for f in yuv] == pytest.approx([f.t for f in bgr])
    assert [f.t for f in yuv] == pytest.approx([i / FPS for i in range(48)])
    assert not any(f.converted for f in yuv) and all(f.converted for f in bgr)
    assert all(f.luma is not None and f.luma.shape == (H, W) for f in yuv)
    assert all(f.luma is None for f in bgr)
    assert yuv[0].luma_full_range is (fourcc == "MJPG")  # JPEG's range; mp4v's is video range
    for a, b in zip(yuv, bgr, strict=True):
        assert (a.width, a.height) == (b.width, b.height) == (W, H)
        assert np.array_equal(a.image, b.image)  # FFmpeg's swscale both ways: the same pixels
        assert a.image.flags.c_contiguous
    assert all(f.converted for f in yuv)


def test_a_frame_converts_once_keeps_it_and_is_read_only(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    clip = write_clip(tmp_path / "walk.mp4", walk_in(4, 0))
    calls: list[int] = []
    real_bgr = AvPicture.bgr

    def counted(self: AvPicture) -> np.ndarray:
        calls.append(1)
        return real_bgr(self)

    monkeypatch.setattr(AvPicture, "bgr", counted)
    frame = decode(clip, "pyav")[2]
    assert "yuv" in repr(frame) and not frame.converted
    first = frame.image
    assert frame.image is first and len(calls) == 1 and frame.converted
    with pytest.raises(AttributeError):
        frame.t = 3.0  # type: ignore[misc]
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        Frame(np.zeros((4, 4), np.uint8), 0.0, 0)


def test_grey_from_the_luma_is_the_grey_of_the_bgr(tmp_path: Path) -> None:
    """BT.601 (what FFmpeg converts with when a file says nothing): BGR grey is the
    luma stretched from video range, up to rounding."""
    clip = write_clip(tmp_path / "walk.mp4", walk_in(6, 4))
    for frame in decode(clip, "pyav"):
        from_bgr = cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY).astype(np.int16)
        diff = np.abs(frame.grey.astype(np.int16) - from_bgr)
        assert diff.max() <= 3 and diff.mean() < 2.0
        small = np.abs(shrink_grey(frame, 80, 45).astype(np.int16)
                       - shrink_grey(Frame(frame.image, frame.t, frame.index), 80, 45))
        assert small.max() <= 3 and small.mean() < 2.0
    plain = Frame(colour_scene(0), 0.0, 0)
    assert np.array_equal(plain.grey, cv2.cvtColor(plain.image, cv2.COLOR_BGR2GRAY))


def test_the_gate_decides_on_the_luma_as_it_did_on_bgr(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "walk.mp4", walk_in())
    runs = {}
    for decoder in ("pyav", "opencv"):
        gate = DetectionGate(GatingConfig(enabled=True, idle_every_s=1.0), [COUNTER])
        runs[decoder] = []
        for frame in decode(clip, decoder):
            runs[decoder].append(gate.plan(frame).detect)
            gate.saw(frame.t)
    assert runs["pyav"] == runs["opencv"]
    assert [i for i, r in enumerate(runs["pyav"][:40]) if r] == [0, 15, 30]  # keep-alive only
    assert runs["pyav"][40]  # the first frame that shows someone


def test_a_frame_the_gate_skips_on_an_empty_counter_is_never_converted(tmp_path: Path) -> None:
    """The whole pipeline (real MediaPipe, presence, tracking, the engine): a frame's
    BGR is made only when the detector runs on it."""
    from frontdesk.config import Config
    from frontdesk.pipeline import FramePipeline

    clip = write_clip(tmp_path / "walk.mp4", walk_in(45, 5))
    config = Config.model_validate({
        "counters": [COUNTER.model_dump()],
        "perception": {"gating": {"enabled": True, "idle_every_s": 1.0}},
    })
    converted, detected = [], []
    with FramePipeline(config) as pipeline, open_source(str(clip), config.camera) as source:
        gate = pipeline.gate
        assert gate is not None and pipeline.presence is not None
        for frame in source:
            before = gate.stats.detected
            pipeline.step(frame)
            detected.append(gate.stats.detected > before)
            converted.append(frame.converted)
    assert converted == detected
    assert sum(detected) <= 10 and len(detected) == 50  # nearly every idle frame skipped
    assert detected[45]  # someone walks in: perceived, in colour


# ---------------------------------------------------------------- choosing the decoder


def test_auto_falls_back_to_opencv_and_says_which_decoder_reads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    clip = write_clip(tmp_path / "walk.mp4", walk_in(5, 0))
    caplog.set_level(logging.INFO, logger="frontdesk.capture.video_file")
    with open_source(str(clip)) as source:
        assert isinstance(source, VideoFileSource) and source.decoder_name == "pyav"
    assert "decoded by PyAV (frames kept in YUV)" in caplog.text
    caplog.clear()

    def cannot(self: object, path: Path) -> None:
        raise CannotOpen("PyAV cannot open it (InvalidDataError)")

    monkeypatch.setattr(decoders_module.PyAvFileDecoder, "__init__", cannot)
    with open_source(str(clip)) as source:
        assert isinstance(source, VideoFileSource) and source.decoder_name == "opencv"
        assert len(list(source)) == 5
    assert "decoded by OpenCV (PyAV cannot open it (InvalidDataError))" in caplog.text
    with pytest.raises(SourceError, match="cannot open as a video"):
        open_source(str(clip), CameraConfig(decoder="pyav"))
    monkeypatch.setattr(decoders_module, "pyav_available", lambda: False)
    with open_source(str(clip)) as source:  # PyAV not installed
        assert isinstance(source, VideoFileSource) and source.decoder_name == "opencv"
    with open_source(str(clip), CameraConfig(decoder="opencv")) as source:
        assert all(f.converted for f in source)


def test_a_loop_reads_each_lap_with_the_same_decoder(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "walk.mp4", walk_in(6, 0))
    with open_source(str(clip), CameraConfig(decoder="pyav"), loop=True) as source:
        frames = [f for _, f in zip(range(15), source, strict=False)]
        assert source.stats.laps == 2
    assert not any(f.converted for f in frames)
    assert [f.index for f in frames] == list(range(15))
    assert frames[12].t == pytest.approx(12 / FPS)


def test_an_unknown_decoder_is_a_config_error_naming_key_and_line() -> None:
    text = "camera:\n  source: x.mp4\n  decoder: ffmpeg\n"
    with pytest.raises(ConfigError) as info:
        parse_config(text, "f.yaml")
    (problem,) = info.value.problems
    assert problem.startswith("f.yaml:3: camera.decoder:")
    assert "'auto', 'pyav' or 'opencv'" in problem


def test_the_luma_table_is_ffmpegs_grey_for_every_level() -> None:
    """A grey pixel (neutral chroma) of every luma level, converted to BGR by FFmpeg
    and then to grey by OpenCV, is the table's value: the luma's grey is the BGR's
    up to the rounding of colours."""
    import av

    from frontdesk.types import video_to_full_range_lut

    luma = np.tile(np.arange(256, dtype=np.uint8), (32, 1))
    i420 = np.concatenate([luma, np.full((16, 256), 128, np.uint8)], axis=0)
    bgr = av.VideoFrame.from_ndarray(i420, format="yuv420p").to_ndarray(format="bgr24")
    grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)[0]
    assert np.array_equal(grey, video_to_full_range_lut())


def test_a_network_stream_is_read_by_pyav_in_yuv_with_opencvs_pixels(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A real HTTP stream (an MJPEG AVI served from localhost), read both ways."""
    clip = write_clip(tmp_path / "cam.avi", walk_in(12, 0), "MJPG")
    from_file = decode(clip, "opencv")
    caplog.set_level(logging.INFO, logger="frontdesk.capture.live")
    got: dict[str, list[Frame]] = {}
    with serve_video(clip.read_bytes()) as port:
        url = f"http://127.0.0.1:{port}/cam.avi"
        for decoder in ("pyav", "opencv"):
            with open_source(url, CameraConfig(decoder=decoder, max_fps=None)) as source:
                got[decoder] = [f for _, f in zip(range(4), source, strict=False)]
    assert "decoded by PyAV (frames kept in YUV)" in caplog.text
    assert "decoded by OpenCV" in caplog.text
    assert len(got["pyav"]) == len(got["opencv"]) == 4
    assert not any(f.converted for f in got["pyav"])
    assert all(f.converted for f in got["opencv"])
    for frames in got.values():  # the stream's frame i is the file's (replayed on reconnects)
        for f in frames:
            assert np.array_equal(f.image, from_file[f.index % len(from_file)].image)


def write_pyav_clip(path: Path, images: list[np.ndarray], codec: str, pix_fmt: str,
                    options: dict[str, str] | None = None) -> Path:
    """A clip written by PyAV's encoder (what OpenCV's writer cannot set: the
    pixel format, the colour matrix the stream states)."""
    import av

    height, width = images[0].shape[:2]
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=int(FPS))
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        stream.options = options or {}
        for image in images:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
        out.mux(stream.encode())
    return path


@pytest.mark.parametrize("matrix,pix_fmt", [("YCgCo", "yuv420p"), ("bt2020c", "yuv420p"),
                                            ("ICtCp", "yuv420p10le")])
def test_a_stream_stating_a_colour_matrix_swscale_cannot_convert_still_gives_bgr(
        tmp_path: Path, matrix: str, pix_fmt: str) -> None:
    """An H.264 stream whose VUI names a colour matrix FFmpeg's swscale refuses
    (ENOTSUP): OpenCV's reader converts it as BT.601 and so must PyAV's
    conversion, lazily (8-bit, kept in YUV) or at once (10-bit), or the first
    perceived frame raises and the camera stops."""
    clip = write_pyav_clip(tmp_path / f"{matrix}.mp4", walk_in(6, 2), "libx264", pix_fmt,
                           {"x264-params": f"colormatrix={matrix}"})
    yuv, bgr = decode(clip, "pyav"), decode(clip, "opencv")
    assert len(yuv) == len(bgr) == 8
    assert (not yuv[0].converted) is (pix_fmt == "yuv420p")
    for a, b in zip(yuv, bgr, strict=True):
        assert a.image.shape == (H, W, 3)
        if pix_fmt == "yuv420p":  # the same BT.601 conversion as OpenCV's
            assert np.array_equal(a.image, b.image)


def test_a_stream_tagged_bt709_is_converted_as_bt709_and_gated_as_before(tmp_path: Path) -> None:
    """HD IP cameras tag their streams BT.709. PyAV's conversion follows the tag and
    OpenCV's reader does not (BT.601 always): PyAV's BGR is the closer to what was
    filmed. The luma's grey is then further from the BGR's grey (BT.709's luma
    weights), but the gate compares luma with luma: the same decisions
    (docs/capture.md, "Decoders")."""
    import av

    images = walk_in()
    clip = tmp_path / "bt709.mp4"
    with av.open(str(clip), "w") as out:
        stream = out.add_stream("libx264", rate=int(FPS))
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.codec_context.colorspace = 1  # AVCOL_SPC_BT709: converted and tagged so
        for image in images:
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.colorspace = 1
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    yuv, bgr = decode(clip, "pyav"), decode(clip, "opencv")

    def off(frames: list[Frame]) -> float:
        return float(np.mean([np.abs(f.image.astype(np.int16) - s).mean()
                              for f, s in zip(frames, images, strict=True)]))

    assert off(yuv) < 0.75 * off(bgr)
    grey_off = [np.abs(f.grey.astype(np.int16)
                       - cv2.cvtColor(f.image, cv2.COLOR_BGR2GRAY)).mean() for f in yuv]
    assert 2.0 < float(np.mean(grey_off)) < 8.0
    runs = {}
    for name, frames in (("pyav", yuv), ("opencv", bgr)):
        gate = DetectionGate(GatingConfig(enabled=True, idle_every_s=1.0), [COUNTER])
        runs[name] = []
        for frame in frames:
            runs[name].append(gate.plan(frame).detect)
            gate.saw(frame.t)
    assert runs["pyav"] == runs["opencv"]
    assert runs["pyav"][40]


def test_the_luma_and_grey_of_a_decoded_frame_cannot_write_into_the_decoders_buffer(
        tmp_path: Path) -> None:
    """The luma is a view of the decoder's buffer (which later frames may be predicted
    from): read-only; a full-range grey is a copy."""
    clip = write_clip(tmp_path / "cam.avi", walk_in(2, 0), "MJPG")  # full range
    frame = decode(clip, "pyav")[0]
    assert frame.luma_full_range
    luma = frame.luma
    assert luma is not None and not luma.flags.writeable
    with pytest.raises(ValueError):
        luma[0, 0] = 1
    grey = frame.grey
    assert grey.flags.writeable and not np.shares_memory(grey, luma)

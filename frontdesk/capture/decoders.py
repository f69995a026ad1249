"""Decoding video files: PyAV keeping frames in YUV, or OpenCV's reader (BGR).

A video file's frames are YUV (most often 4:2:0) as the codec stores them.
OpenCV's reader converts every frame to BGR before handing it over, which costs
more CPU than decoding it (docs/performance.md, "Issue 19, decoding to YUV"); on
an idle counter nothing looks at a frame's colours: the gate and the presence
stage compare small grey pictures, which the luma plane gives without any
conversion. The PyAV decoder hands frames over as they are decoded
(:class:`AvPicture`), converted to BGR only when something asks for
:attr:`frontdesk.types.Frame.image`, by FFmpeg's own converter (swscale, as
OpenCV's reader converts: the same pixels).

``camera.decoder`` chooses: ``auto`` (PyAV, OpenCV when PyAV cannot open the
file or decode its first frame), ``pyav`` or ``opencv``.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import cv2
import numpy as np

from frontdesk.capture.base import to_bgr
from frontdesk.types import Picture

if TYPE_CHECKING:
    import av

__all__ = ["Decoded", "FileDecoder", "OpenCvFileDecoder", "PyAvFileDecoder",
           "PyAvStream", "AvPicture", "CannotOpen", "StreamUnavailable", "pyav_available",
           "open_file_decoder"]

log = logging.getLogger(__name__)

_LUMA_FORMATS = {
    "yuv420p": False, "yuv422p": False, "yuv444p": False, "yuv411p": False,
    "yuv440p": False, "yuv410p": False, "nv12": False, "nv21": False,
    "yuvj420p": True, "yuvj422p": True, "yuvj444p": True, "yuvj440p": True, "yuvj411p": True,
    "gray": True,
}
"""8-bit pixel formats whose first plane is the luma, and whether that luma is full
range (JPEG's ``yuvj`` formats, grey). Any other format is converted to BGR at once."""
_JPEG_RANGE = 2
"""FFmpeg's AVCOL_RANGE_JPEG: a frame that says its luma runs 0 to 255."""
_UNCONVERTIBLE_MATRICES: set[int] = set()
"""Colour matrices (``AVColorSpace``) a stream stated that swscale refused to
convert from (YCgCo, BT.2020 constant luminance, ICtCp, reserved values...):
frames stating one are converted as BT.601, as OpenCV's reader converts every
frame."""


def frame_to_bgr(frame: av.VideoFrame) -> np.ndarray:
    """``frame`` as BGR by swscale, with the colour matrix the frame states; as
    BT.601 (OpenCV's reader's conversion) when swscale cannot convert from it."""
    import av

    matrix = int(frame.colorspace)
    if matrix not in _UNCONVERTIBLE_MATRICES:
        try:
            return frame.to_ndarray(format="bgr24")
        except av.FFmpegError:
            _UNCONVERTIBLE_MATRICES.add(matrix)
            log.warning("a stream states a colour matrix FFmpeg cannot convert from "
                        "(AVColorSpace %d): its frames are converted as BT.601", matrix)
    return frame.to_ndarray(format="bgr24", src_colorspace="ITU601")


class CannotOpen(Exception):
    """The decoder cannot open this file or stream (another one may)."""


class StreamUnavailable(Exception):
    """A stream PyAV could read cannot be opened now (refused, timed out,
    unauthorised): the message is FFmpeg's error type, never the URL."""


class Decoded(NamedTuple):
    """One read: a frame's content (None: this frame failed to decode) and its
    container time in milliseconds (NaN when unknown)."""

    content: np.ndarray | Picture | None
    pos_msec: float


class FileDecoder(Protocol):
    """What :class:`~frontdesk.capture.video_file.VideoFileSource` reads a file with."""

    name: str
    fps: float
    """The frame rate the file states (NaN or nonsense when it states none)."""
    frame_count: float
    """The frames the file announces (NaN or 0 when unknown)."""

    def read(self) -> Decoded | None:
        """The next frame, a failed one (``content`` None), or None at the end."""
        ...

    def release(self) -> None: ...


def pyav_available() -> bool:
    try:
        import av  # noqa: F401
    except ImportError:
        return False
    return True


class OpenCvFileDecoder:
    """OpenCV's FFmpeg reader: BGR frames. It cannot tell the end of a file from a
    failed read, so it never returns None (the source counts failures in a row)."""

    name = "opencv"

    def __init__(self, path: Path) -> None:
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap.release()
            raise CannotOpen("OpenCV cannot open it")
        self._cap = cap
        self.fps = float(cap.get(cv2.CAP_PROP_FPS))
        self.frame_count = float(cap.get(cv2.CAP_PROP_FRAME_COUNT))

    def read(self) -> Decoded | None:
        try:
            ok, raw = self._cap.read()
            pos_msec = self._cap.get(cv2.CAP_PROP_POS_MSEC) if ok else math.nan
        except cv2.error:
            ok, raw, pos_msec = False, None, math.nan
        return Decoded(to_bgr(raw) if ok else None, pos_msec)

    def release(self) -> None:
        self._cap.release()


class AvPicture:
    """A PyAV frame held as decoded; BGR made by swscale when asked for.

    Implements :class:`frontdesk.types.Picture`. The luma is a view of the frame's
    own plane (no copy); the BGR is swscale's conversion with the colour matrix
    and range the frame states (:func:`frame_to_bgr`). For a stream that states
    no matrix that is BT.601, what OpenCV's reader does: the same pixels, bit for
    bit, on the files tested (docs/performance.md); a stream tagged BT.709 is
    converted as BT.709, which OpenCV's reader does not (docs/capture.md)."""

    __slots__ = ("_frame", "width", "height", "full_range")

    def __init__(self, frame: av.VideoFrame, full_range: bool) -> None:
        self._frame = frame
        self.width = int(frame.width)
        self.height = int(frame.height)
        self.full_range = full_range

    def luma(self) -> np.ndarray:
        plane = self._frame.planes[0]
        rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
        view = rows[:, : self.width]
        view.flags.writeable = False  # the decoder's own buffer: never written through
        return view

    def bgr(self) -> np.ndarray:
        return np.ascontiguousarray(frame_to_bgr(self._frame))


def _video_stream(container: Any) -> Any:
    """The first video stream of an opened PyAV container, set to decode with slice
    threads (see :class:`PyAvFileDecoder`); the container is closed and
    :class:`CannotOpen` raised when it has none."""
    if not container.streams.video:
        container.close()
        raise CannotOpen("no video stream")
    stream = container.streams.video[0]
    stream.thread_type = "SLICE"
    return stream


class PyAvFileDecoder:
    """A video file decoded by PyAV (FFmpeg's libraries, as OpenCV's reader uses).

    Each frame comes as an :class:`AvPicture` (8-bit YUV or grey formats) or as BGR
    (anything else). A packet that fails to decode is one failed read; the end of
    the file is known, not guessed from failures. Slice threading only: frame
    threading costs CPU on a shared core and delays frames (measured, no faster on
    the bench clips)."""

    name = "pyav"

    def __init__(self, path: Path) -> None:
        import av

        try:
            container = av.open(str(path), metadata_errors="ignore")
        except (av.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
            raise CannotOpen(f"PyAV cannot open it ({type(exc).__name__})") from None
        stream = _video_stream(container)
        self._av = av
        self._container = container
        self._stream = stream
        self._packets: Iterator[Any] = container.demux(stream)
        self._pending: deque[Any] = deque()
        self._ended = False
        rate = stream.average_rate or stream.guessed_rate
        self.fps = float(rate) if rate else math.nan
        self.frame_count = float(stream.frames or 0)
        self._start = stream.start_time or 0
        self._time_base = float(stream.time_base) if stream.time_base else math.nan

    def read(self) -> Decoded | None:
        av = self._av
        while not self._pending:
            if self._ended:
                return None
            try:
                packet = next(self._packets)
            except StopIteration:
                self._ended = True
                continue
            except av.FFmpegError:  # the demuxer gave up (a damaged file): its end
                self._ended = True
                return Decoded(None, math.nan)
            try:
                self._pending.extend(packet.decode())
            except av.FFmpegError:
                return Decoded(None, math.nan)
        frame = self._pending.popleft()
        pts = frame.pts
        pos_msec = math.nan if pts is None else (pts - self._start) * self._time_base * 1000.0
        return Decoded(self._content(frame), pos_msec)

    @staticmethod
    def _content(frame: av.VideoFrame) -> np.ndarray | Picture | None:
        full = _LUMA_FORMATS.get(frame.format.name)
        if full is None:
            return to_bgr(frame_to_bgr(frame))
        return AvPicture(frame, full or frame.color_range == _JPEG_RANGE)

    def release(self) -> None:
        self._pending.clear()
        self._container.close()


def open_file_decoder(path: Path, decoder: str) -> FileDecoder:
    """``path`` opened by the decoder named ``pyav`` or ``opencv`` (``auto`` is the
    source's choice between the two: :class:`~frontdesk.capture.video_file.VideoFileSource`).
    Raises :class:`CannotOpen` when it cannot open it."""
    if decoder == "opencv":
        return OpenCvFileDecoder(path)
    if decoder != "pyav":
        raise ValueError(f"unknown decoder {decoder!r}")
    if not pyav_available():
        raise CannotOpen("PyAV is not installed (pip install av)")
    return PyAvFileDecoder(path)


_UNSUPPORTED = ("ProtocolNotFoundError", "DemuxerNotFoundError", "DecoderNotFoundError",
                "OptionNotFoundError", "PatchWelcomeError")
"""PyAV errors that say this FFmpeg cannot read the stream at all (OpenCV's may):
``auto`` falls back to OpenCV on these. Any other failure to open (refused,
timed out, unauthorised) is the camera's, and the source goes offline."""


class PyAvStream:
    """A network stream (rtsp, http) read by PyAV, shaped like ``cv2.VideoCapture``
    for :class:`~frontdesk.capture.live.LiveSource` (``isOpened``, ``read``,
    ``release``). ``read`` gives an :class:`AvPicture` (or BGR for other pixel
    formats): a frame is converted only when something reads its BGR, and the
    frames a live source drops as stale or over ``max_fps`` never are.

    Args:
        url: the stream (credentials in it go to FFmpeg, never to a log: errors are
            reported by their type only).
        open_timeout_s, read_timeout_s: FFmpeg's waits for opening and for each read.

    Raises:
        CannotOpen: this FFmpeg cannot read such a stream (no protocol, demuxer or
            decoder for it); OpenCV may.
        StreamUnavailable: the stream cannot be opened now (refused, timed out,
            unauthorised): the caller retries.
    """

    def __init__(self, url: str, open_timeout_s: float, read_timeout_s: float) -> None:
        import av

        options = {"rtsp_transport": "tcp"} if url.lower().startswith("rtsp") else {}
        try:
            container = av.open(url, options=options, timeout=(open_timeout_s, read_timeout_s),
                                metadata_errors="ignore")
        except av.FFmpegError as exc:
            if type(exc).__name__ in _UNSUPPORTED:
                raise CannotOpen(f"PyAV cannot read it ({type(exc).__name__})") from None
            raise StreamUnavailable(type(exc).__name__) from None  # without the URL
        stream = _video_stream(container)
        self._av = av
        self._container: Any = container
        self._packets: Iterator[Any] = container.demux(stream)
        self._pending: deque[Any] = deque()
        self._ended = False

    def isOpened(self) -> bool:  # noqa: N802 (OpenCV's name)
        return self._container is not None

    def read(self) -> tuple[bool, np.ndarray | Picture | None]:
        """The next frame; (False, None) for a frame that failed to decode, a read
        that timed out, or the end of the stream (the source counts failures)."""
        av = self._av
        while not self._pending:
            if self._ended:
                return False, None
            try:
                packet = next(self._packets)
                self._pending.extend(packet.decode())
            except StopIteration:
                self._ended = True
            except av.FFmpegError:
                return False, None
        content = PyAvFileDecoder._content(self._pending.popleft())
        return content is not None, content

    def release(self) -> None:
        self._pending.clear()
        container, self._container = self._container, None
        if container is not None:
            container.close()

"""Live fusion (issue 17, item 4): the cameras of one counter feed one engine.

::

    camera worker "side"  ─ perceive ─► FrameObservation ─┐   local datagram socket
    camera worker "front" ─ perceive ─► FrameObservation ─┼─► <dir>/counter-<id>.sock
                                                          ▼
    counter worker: ObservationReceiver ─► ReorderBuffer (capture time) ─► CounterFusion
                    ─► one FrameObservation in the primary's frame ─► Runner (engine, sinks)

Each camera of a fused counter runs in its own worker process, as every camera
does (``frontdesk run --camera ID``), but perceives only: it sends each frame's
observation, with its capture time ``t`` and wall time, and its source's status
changes as one JSON datagram each (:func:`encode`) to the counter's socket. The
counter's worker (``frontdesk run --counter ID``) binds that socket, orders
what arrives by capture time (:class:`ReorderBuffer`), fuses it
(:class:`~frontdesk.fusion.CounterFusion`) and hands the fused observations to
the ordinary :class:`~frontdesk.runner.Runner` as its source
(:class:`FusedObservations`): the engine, the store, MQTT, the health record
and the systemd watchdog are the one-camera ones.

Why a Unix datagram socket: one message is one observation (a few hundred
bytes to a few kB: no landmarks, no image), there is no connection to set up
again when a camera's worker is restarted, a sender never blocks on a counter
that is gone (the message is dropped and counted), and it is the machine's
ordinary means. A camera on another box than its counter's engine
(``cameras[].box``) sends the same messages through the broker instead
(:mod:`frontdesk.mqtt.fusion_link`); the counter's worker puts them in the same
queue (:class:`ReceiverGroup`), so the ordering and fusion below are the same.

Ordering. An observation goes to the fusion step once every camera still
delivering has delivered one captured at or after it (the watermark), so file
sources are ordered exactly whatever each worker's speed; for live cameras it
waits at most ``fusion.reorder_delay_s`` behind the newest capture time.
Capture times are the sources' own: video time for files, the monotonic clock
for live cameras (shared by the processes of one box). Two boxes share no
monotonic clock: a counter with cameras on another box (``wall_clock_base``)
orders its live cameras by their wall capture time, re-based on arrival onto its
own monotonic clock (``t = wall_time - (wall - monotonic)`` of the counter's box),
which assumes the boxes' clocks are NTP-synchronised: a skew of ``s`` seconds
shifts that camera's frames by ``s`` against the others', and one later than
``fusion.reorder_delay_s`` is fused without its partner (``released_late``). Each
camera's lag, arrival wall time minus capture wall time (transport, perception
and clock skew together), is in ``stats`` and warned about when it is negative
(a clock ahead) or beyond the reorder delay.

A camera whose worker goes silent for ``fusion.camera_timeout_s`` (killed,
stuck) or whose source goes offline leaves the counter running on the others;
the counter's status is then ``degraded`` (health record, retained MQTT state,
web UI header) and each camera's own status is in ``health["cameras"]``. Only
when every camera is offline does the engine see the counter's camera offline.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import heapq
import json
import logging
import math
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frontdesk.capture import StatusChange
from frontdesk.config import Config, FusionConfig
from frontdesk.errors import FrontdeskError
from frontdesk.types import CameraStatus, FrameObservation

__all__ = ["MESSAGE_VERSION", "encode", "decode", "socket_path", "watch_path", "ObservationSender",
           "ObservationReceiver", "ReorderBuffer", "FusedObservations", "DEGRADED",
           "STARTING", "counter_status", "ReceiverGroup"]

log = logging.getLogger(__name__)

MESSAGE_VERSION = 1
"""Version of the observation messages (:func:`encode`)."""
DEGRADED = "degraded"
"""A fused counter's status while some of its cameras deliver and some do not."""
STARTING = "starting"
"""A camera that has not said anything yet."""
MAX_DATAGRAM = 1 << 20
"""Largest message sent or received (an observation is a few kB at most)."""
SEND_TIMEOUT_S = 0.5
"""How long a camera waits for room in the counter's queue (Linux keeps only
``net.unix.max_dgram_qlen`` datagrams, 10 by default, while the counter is busy)."""
WATCH_S = 10.0
"""The counter's live view counts as watched this long after the web UI last asked
for a picture."""
PICTURE_EVERY_S = 0.2
"""A camera of a watched counter sends at most this often a picture (5 a second)."""
PICTURE_QUALITY = 80
"""JPEG quality of those pictures (a 1280x720 frame is 60 to 150 kB)."""
MAX_HELD = 2000
"""Observations held for ordering at most (about a minute of two cameras at 15 fps):
beyond it the oldest goes on, so a lagging file source cannot grow memory without end."""


# ---------------------------------------------------------------------- messages


def encode(camera_id: str, *, obs: FrameObservation | None = None,
           status: StatusChange | None = None, live: bool | None = None,
           jpeg: bytes | None = None, t: float = 0.0) -> bytes:
    """One message: a camera's observation (``kind`` ``obs``, the record of
    :func:`frontdesk.sim.observations.observation_to_json`), a status change of its
    source (``kind`` ``status``: ``status``, ``t``, ``wall_time``, ``detail``,
    ``live``), or a picture for the counter's live view (``kind`` ``frame``: ``t``
    and ``jpeg``, base64; sent only while someone watches, on this box only)."""
    from frontdesk.sim.observations import observation_to_json

    msg: dict[str, Any] = {"v": MESSAGE_VERSION, "camera": camera_id}
    if obs is not None:
        msg.update(kind="obs", obs=observation_to_json(obs))
    elif jpeg is not None:
        msg.update(kind="frame", t=round(float(t), 4),
                   jpeg=base64.b64encode(jpeg).decode("ascii"))
    elif status is not None:
        msg.update(kind="status", status=status.status, t=round(float(status.t), 4),
                   wall_time=status.wall_time, detail=status.detail, live=bool(live))
    else:
        raise ValueError("a message is an observation or a status")
    return json.dumps(msg, separators=(",", ":")).encode("utf-8")


@dataclass
class Message:
    camera_id: str
    obs: FrameObservation | None = None
    status: str | None = None
    t: float = 0.0
    wall_time: float | None = None
    detail: str = ""
    live: bool = False
    jpeg: bytes | None = None


def decode(data: bytes) -> Message:
    """Inverse of :func:`encode`; ValueError on anything else."""
    from frontdesk.sim.observations import observation_from_json

    try:
        msg = json.loads(data)
        if not isinstance(msg, dict) or msg.get("v") != MESSAGE_VERSION:
            raise ValueError(f"not a version {MESSAGE_VERSION} observation message")
        cid = str(msg["camera"])
        if msg.get("kind") == "obs":
            return Message(cid, obs=observation_from_json(msg["obs"]))
        if msg.get("kind") == "frame":
            return Message(cid, t=float(msg["t"]),
                           jpeg=base64.b64decode(str(msg["jpeg"]), validate=True))
        if msg.get("kind") == "status":
            wall = msg.get("wall_time")
            return Message(cid, status=str(msg["status"]), t=float(msg["t"]),
                           wall_time=None if wall is None else float(wall),
                           detail=str(msg.get("detail") or ""), live=bool(msg.get("live")))
        raise ValueError(f"unknown kind {msg.get('kind')!r}")
    except (KeyError, TypeError, json.JSONDecodeError, binascii.Error) as exc:
        raise ValueError(f"malformed observation message: {exc}") from None


def socket_path(fusion: FusionConfig, counter_key: str) -> Path:
    """The counter's socket: ``fusion.socket_dir``, else ``$FRONTDESK_FUSION_DIR`` (set
    by the supervisor), else ``$XDG_RUNTIME_DIR/frontdesk``, else ``/tmp/frontdesk-UID``."""
    folder = fusion.socket_dir or os.environ.get("FRONTDESK_FUSION_DIR")
    if not folder:
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        folder = os.path.join(runtime, "frontdesk") if runtime else \
            f"/tmp/frontdesk-{os.getuid()}"
    return Path(folder) / f"counter-{counter_key}.sock"


def watch_path(socket: Path) -> Path:
    """The file whose modification time says someone watches the counter's live view
    (touched by the counter's worker; its cameras' workers send pictures while it is
    newer than :data:`WATCH_S`), beside the counter's socket."""
    return socket.with_suffix(".watch")


class ObservationSender:
    """A camera worker's end: sends messages to the counter's socket.

    A message the counter cannot take (its worker not started yet, restarting, or
    its queue still full after :data:`SEND_TIMEOUT_S`) is dropped and counted in
    ``dropped``: the camera goes on.
    """

    def __init__(self, path: Path, camera_id: str) -> None:
        self.path = path
        self.camera_id = camera_id
        self.sent = 0
        self.dropped = 0
        self.pictures = 0
        self._watch = watch_path(path)
        self._watch_checked = -math.inf
        self._watching = False
        self._picture_mono = -math.inf
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        # A full queue at the counter (it is busy) holds the camera back a moment
        # rather than losing the frame; a counter that is not there fails at once.
        self._sock.settimeout(SEND_TIMEOUT_S)
        with contextlib.suppress(OSError):
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, MAX_DATAGRAM)
        self._warned = False

    def send(self, data: bytes) -> bool:
        try:
            self._sock.sendto(data, str(self.path))
        except OSError as exc:  # no counter yet, restarting, or its queue full
            self.dropped += 1
            if not self._warned or self.dropped % 100 == 0:
                self._warned = True
                log.warning("camera %s: the counter's socket %s does not take observations "
                            "(%s); %d dropped so far", self.camera_id, self.path,
                            exc.strerror or exc, self.dropped)
            return False
        self.sent += 1
        return True

    def observation(self, obs: FrameObservation) -> bool:
        return self.send(encode(self.camera_id, obs=obs))

    def status(self, change: StatusChange, live: bool) -> bool:
        return self.send(encode(self.camera_id, status=change, live=live))

    def picture(self, frame: Any) -> bool:
        """Send ``frame`` (a :class:`~frontdesk.types.Frame`) for the counter's live view
        when someone watches it and the last picture is :data:`PICTURE_EVERY_S` old;
        False when nothing was sent."""
        now = time.monotonic()
        if now - self._picture_mono < PICTURE_EVERY_S or not self._watched(now):
            return False
        import cv2

        ok, buf = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, PICTURE_QUALITY])
        if not ok:
            return False
        self._picture_mono = now
        sent = self.send(encode(self.camera_id, jpeg=buf.tobytes(), t=frame.t))
        self.pictures += int(sent)
        return sent

    def _watched(self, now: float) -> bool:
        """Whether the counter's live view is watched (the watch file's age, read at
        most once a second)."""
        if now - self._watch_checked >= 1.0:
            self._watch_checked = now
            try:
                self._watching = time.time() - self._watch.stat().st_mtime < WATCH_S
            except OSError:
                self._watching = False
        return self._watching

    def close(self) -> None:
        self._sock.close()


class ObservationReceiver:
    """The counter worker's end: binds the socket and queues what arrives (a thread),
    with the monotonic time of arrival, in ``queue`` (its own unless ``into`` is given: the
    broker subscription's, for a counter with cameras on another box).

    Raises:
        FrontdeskError: the socket cannot be bound (another counter worker holds it).
    """

    def __init__(self, path: Path,
                 into: queue.Queue[tuple[float, bytes]] | None = None) -> None:
        self.path = path
        self.queue: queue.Queue[tuple[float, bytes]] = into if into is not None \
            else queue.Queue()
        self.malformed = 0
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if path.exists():
            if _socket_in_use(path):
                self._sock.close()
                raise FrontdeskError(f"{path}: another process already receives this "
                                     f"counter's observations")
            path.unlink()
        try:
            self._sock.bind(str(path))
        except OSError as exc:
            self._sock.close()
            raise FrontdeskError(f"{path}: cannot bind the counter's socket: "
                                 f"{exc.strerror or exc}") from None
        with contextlib.suppress(OSError):
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * MAX_DATAGRAM)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="frontdesk-fusion-rx",
                                        daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self._sock.recv(MAX_DATAGRAM)
            except TimeoutError:
                continue
            except OSError:
                return
            self.queue.put((time.monotonic(), data))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)
        self._sock.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


def _socket_in_use(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


class ReceiverGroup:
    """Several receivers feeding one queue (the counter's local socket and its
    broker subscription): what :class:`FusedObservations` reads, closed together."""

    def __init__(self, first: Any, *others: Any) -> None:
        self.queue = first.queue
        self.members = (first, *others)
        self.path = getattr(first, "path", None)

    def close(self) -> None:
        for member in self.members:
            with contextlib.suppress(Exception):
                member.close()


# ---------------------------------------------------------------------- ordering


class ReorderBuffer:
    """Several cameras' observations, arriving in any order, released in capture-time
    order (see the module docstring).

    Args:
        camera_ids: the counter's cameras.
        reorder_delay_s: for live cameras, the longest an observation waits behind
            the newest capture time.
    """

    def __init__(self, camera_ids: Sequence[str], reorder_delay_s: float) -> None:
        self.camera_ids = tuple(camera_ids)
        self.reorder_delay_s = reorder_delay_s
        self._heap: list[tuple[float, int, str, FrameObservation]] = []
        self._seq = 0
        self.latest_t: dict[str, float] = {}
        self.waiting_for: set[str] = set(camera_ids)
        """The cameras the watermark waits for (the counter's worker updates it: a
        camera offline, ended or silent is not waited for)."""
        self.live = False
        self.released_late = 0
        """Observations released before every camera delivered past them (a live
        camera later than the reorder delay, or the buffer full)."""

    def push(self, camera_id: str, obs: FrameObservation) -> None:
        heapq.heappush(self._heap, (obs.t, self._seq, camera_id, obs))
        self._seq += 1
        self.latest_t[camera_id] = max(obs.t, self.latest_t.get(camera_id, obs.t))

    def watermark(self) -> float | None:
        """Capture time up to which every waited-for camera has delivered; None when
        one of them has not delivered yet."""
        waited = [c for c in self.camera_ids if c in self.waiting_for]
        if not waited:
            return float("inf")
        if any(c not in self.latest_t for c in waited):
            return None
        return min(self.latest_t[c] for c in waited)

    def pop_ready(self, flush: bool = False) -> list[tuple[str, FrameObservation]]:
        """Observations that may go on, in capture-time order (every one with ``flush``)."""
        mark = self.watermark()
        newest = max(self.latest_t.values(), default=None)
        out = []
        while self._heap:
            t, _, cid, obs = self._heap[0]
            in_order = mark is not None and t <= mark
            late = self.live and newest is not None and t <= newest - self.reorder_delay_s
            if not (flush or in_order or late or len(self._heap) > MAX_HELD):
                break
            if not in_order:
                self.released_late += 1
            heapq.heappop(self._heap)
            out.append((cid, obs))
        return out

    def __len__(self) -> int:
        return len(self._heap)


# ---------------------------------------------------------------------- the counter's source


@dataclass
class CameraLink:
    """One camera of the counter as its worker reports it."""

    status: str = STARTING
    detail: str = ""
    heard_mono: float | None = None
    live: bool = False
    frames: int = 0
    lags_s: list[float] = field(default_factory=list)
    warned_lag: bool = False


def _lag_stats(lags_s: list[float]) -> dict[str, float]:
    """Median and 95th percentile of a camera's lags, in ms (none without samples)."""
    if not lags_s:
        return {}
    ordered = sorted(lags_s)
    return {"lag_ms_p50": round(ordered[len(ordered) // 2] * 1000, 1),
            "lag_ms_p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
                                * 1000, 1)}


def counter_status(states: Sequence[str]) -> str:
    """The counter's status from its cameras': ``online`` (every camera heard from is
    online; one still starting is not a fault yet), ``degraded`` (some online, some
    offline or ended), ``ended`` (none online any more and one ended: its file is
    over, the run too), ``starting`` (none heard yet), else ``offline``."""
    heard = [s for s in states if s != STARTING]
    if heard and all(s == CameraStatus.ONLINE for s in heard):
        return CameraStatus.ONLINE
    if any(s == CameraStatus.ONLINE for s in states):
        return DEGRADED
    if any(s == CameraStatus.ENDED for s in states) and STARTING not in states:
        return CameraStatus.ENDED  # the last camera delivering ended: the run is over
    if all(s == STARTING for s in states):
        return STARTING
    return CameraStatus.OFFLINE


class FusedObservations:
    """The source the counter's :class:`~frontdesk.runner.Runner` reads: fused
    observations in the primary camera's frame, and status changes of the counter
    as a whole (offline only when every camera is; ``ended`` when every camera's
    file ended).

    Args:
        configs: each camera's config, the primary first (:meth:`Config.for_counter`).
        receiver: where the messages arrive (an :class:`ObservationReceiver`, or any
            object with a ``queue`` of ``(arrival monotonic s, bytes)`` and ``close()``).
        fusion: the timing settings (``fusion:`` of the config).
        clock: monotonic seconds (tests pass their own).
        wall_clock: Unix seconds.
        wall_clock_base: order live cameras by their wall capture time (a counter
            with cameras on another box; see the module docstring).
    """

    kind = "fused"

    def __init__(self, configs: dict[str, Config], receiver: Any, fusion: FusionConfig, *,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], float] = time.time,
                 wall_clock_base: bool = False) -> None:
        from frontdesk.pipeline import CounterPipeline

        self.counter = CounterPipeline(configs)  # checks poses and counters
        self.fusion = self.counter.fusion
        self.camera_ids = list(configs)
        self.name = "fused: " + " + ".join(self.camera_ids)
        self.receiver = receiver
        self.settings = fusion
        self.buffer = ReorderBuffer(self.camera_ids, fusion.reorder_delay_s)
        self.cameras = {cid: CameraLink() for cid in self.camera_ids}
        self._clock = clock
        self._wall_clock = wall_clock
        self._started = clock()
        self.wall_clock_base = wall_clock_base
        self._wall_minus_mono = wall_clock() - self._started
        self._stop = threading.Event()
        self._status = STARTING
        self._last_t = -float("inf")
        self._t = 0.0
        self.malformed = 0
        self.fused_frames = 0
        self.dropped_out_of_order = 0
        self.watch_file: Path | None = getattr(receiver, "path", None)
        if self.watch_file is not None:
            self.watch_file = watch_path(self.watch_file)
        self._pictures: dict[str, tuple[float, bytes]] = {}
        self._decoded: tuple[str, float, Any] | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ what the runner reads

    @property
    def status(self) -> str:
        return self._status

    @property
    def is_live(self) -> bool:
        return any(c.live for c in self.cameras.values())

    @property
    def camera_states(self) -> dict[str, str]:
        return {cid: c.status for cid, c in self.cameras.items()}

    @property
    def stats(self) -> dict[str, Any]:
        return {
            "fused_frames": self.fused_frames,
            "held": len(self.buffer),
            "released_late": self.buffer.released_late,
            "skipped_out_of_order": self.fusion.skipped + self.dropped_out_of_order,
            "malformed": self.malformed,
            "cameras": {cid: {"status": c.status, "frames": c.frames, "detail": c.detail,
                              **_lag_stats(c.lags_s)}
                        for cid, c in self.cameras.items()},
        }

    def close(self) -> None:
        self._stop.set()

    # ------------------------------------------------------------------ the live view

    def watch(self) -> None:
        """Someone watches the counter's live view: its cameras' workers send pictures
        for :data:`WATCH_S` (the watch file, touched at most once a second)."""
        path = self.watch_file
        if path is None:
            return
        with contextlib.suppress(OSError):
            if not path.exists() or time.time() - path.stat().st_mtime >= 1.0:
                path.touch()

    def picture(self, camera_id: str) -> Any:
        """The latest picture camera ``camera_id`` sent (a BGR image), or None."""
        import cv2
        import numpy as np

        with self._lock:
            got = self._pictures.get(camera_id)
            decoded = self._decoded
        if got is None:
            return None
        if decoded is not None and decoded[:2] == (camera_id, got[0]):
            return decoded[2]
        image = cv2.imdecode(np.frombuffer(got[1], dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is not None:
            with self._lock:
                self._decoded = (camera_id, got[0], image)
        return image

    # ------------------------------------------------------------------ the loop

    def events(self) -> Iterator[FrameObservation | StatusChange]:
        """Fused observations and the counter's status changes until every camera
        ended or :meth:`close`."""
        try:
            while not self._stop.is_set():
                got = self._next_message(timeout_s=0.05)
                if got is not None:
                    yield from self._take(*got)
                if self.receiver.queue.empty():  # caught up: silence is silence, not backlog
                    yield from self._check_cameras()
                yield from self._release()
                if self._status == CameraStatus.ENDED:
                    return
        finally:
            self.receiver.close()

    def _next_message(self, timeout_s: float) -> tuple[float, bytes] | None:
        try:
            return self.receiver.queue.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def _take(self, arrived: float, data: bytes
              ) -> Iterator[FrameObservation | StatusChange]:
        try:
            msg = decode(data)
        except ValueError as exc:
            self.malformed += 1
            if self.malformed == 1 or self.malformed % 100 == 0:
                log.warning("fusion: a message could not be read (%s); %d so far", exc,
                            self.malformed)
            return
        cam = self.cameras.get(msg.camera_id)
        if cam is None:
            self.malformed += 1
            log.warning("fusion: a message from camera %r, not one of this counter's (%s)",
                        msg.camera_id, ", ".join(self.camera_ids))
            return
        if msg.jpeg is not None:  # a picture for the live view: not an observation
            with self._lock:
                self._pictures[msg.camera_id] = (msg.t, msg.jpeg)
            return
        cam.heard_mono = arrived
        if msg.obs is not None:
            cam.frames += 1
            if cam.status in (STARTING, CameraStatus.OFFLINE):
                yield from self._set(msg.camera_id, CameraStatus.ONLINE, "delivering")
            self._rebase(cam, msg.camera_id, msg.obs, arrived)
            self.buffer.push(msg.camera_id, msg.obs)
            return
        cam.live = msg.live
        self.buffer.live = self.is_live
        status = msg.status or CameraStatus.OFFLINE
        if status not in (CameraStatus.ONLINE, CameraStatus.OFFLINE, CameraStatus.ENDED):
            status = CameraStatus.OFFLINE
        yield from self._set(msg.camera_id, status, msg.detail)

    def _rebase(self, cam: CameraLink, camera_id: str, obs: FrameObservation,
                arrived: float) -> None:
        """Note the camera's lag; with ``wall_clock_base``, put a live camera's capture
        time on this box's monotonic clock from its wall capture time."""
        if obs.wall_time is None:
            return
        lag = arrived + self._wall_minus_mono - obs.wall_time
        cam.lags_s.append(lag)
        if len(cam.lags_s) > 600:
            del cam.lags_s[:300]
        if not (self.wall_clock_base and cam.live):
            return
        obs.t = obs.wall_time - self._wall_minus_mono
        if len(cam.lags_s) >= 30 and not cam.warned_lag:
            typical = sorted(cam.lags_s[-30:])[15]
            if typical < -0.05 or typical > self.settings.reorder_delay_s:
                cam.warned_lag = True
                log.warning("fusion: camera %s's frames arrive %.0f ms after their capture "
                            "(median of 30)%s", camera_id, typical * 1000,
                            ": its box's clock is ahead of this one's (NTP? chronyc "
                            "tracking)" if typical < 0 else
                            f", more than fusion.reorder_delay_s "
                            f"({self.settings.reorder_delay_s:g} s): they are fused without "
                            f"their partners; raise it, or check both boxes' NTP")

    def _check_cameras(self) -> Iterator[FrameObservation | StatusChange]:
        now = self._clock()
        for cid, cam in self.cameras.items():
            if cam.status == CameraStatus.ONLINE and cam.heard_mono is not None \
                    and now - cam.heard_mono > self.settings.camera_timeout_s:
                yield from self._set(cid, CameraStatus.OFFLINE,
                                     f"nothing from its worker for "
                                     f"{self.settings.camera_timeout_s:g} s")
            elif cam.status == STARTING and now - self._started > self.settings.join_timeout_s:
                yield from self._set(cid, CameraStatus.OFFLINE,
                                     f"not started {self.settings.join_timeout_s:g} s after "
                                     f"the counter")
        self.buffer.waiting_for = {cid for cid, c in self.cameras.items()
                                   if c.status in (STARTING, CameraStatus.ONLINE)}

    def _set(self, camera_id: str, status: str, detail: str
             ) -> Iterator[FrameObservation | StatusChange]:
        cam = self.cameras[camera_id]
        if cam.status == status:
            return
        previous, cam.status, cam.detail = cam.status, status, detail
        (log.info if status == CameraStatus.ONLINE else log.warning)(
            "fusion: camera %s %s -> %s%s", camera_id, previous, status,
            f" ({detail})" if detail else "")
        self.buffer.waiting_for = {cid for cid, c in self.cameras.items()
                                   if c.status in (STARTING, CameraStatus.ONLINE)}
        before, after = self._status, counter_status([c.status for c in self.cameras.values()])
        self._status = after
        if after == before:
            return
        if after == DEGRADED:
            down = [cid for cid, c in self.cameras.items() if c.status != CameraStatus.ONLINE]
            log.warning("fusion: counter degraded: running on %s without %s",
                        ", ".join(c for c in self.camera_ids if c not in down), ", ".join(down))
        up = (CameraStatus.ONLINE, DEGRADED)
        if before in up and after in up:
            return  # the counter keeps running: no camera event for the engine
        was = None if before == STARTING else (CameraStatus.ONLINE if before in up else before)
        now = CameraStatus.ONLINE if after in up else after
        if after == STARTING or now == was:
            return
        if now == CameraStatus.ENDED:
            yield from self._release(flush=True)
        why = ", ".join(f"{cid}: {c.status}{' (' + c.detail + ')' if c.detail else ''}"
                        for cid, c in self.cameras.items())
        yield StatusChange(now, was, self._t, self._wall_clock(), why)

    def _release(self, flush: bool = False) -> Iterator[FrameObservation]:
        for cid, obs in self.buffer.pop_ready(flush=flush):
            fused = self.counter.fuse(cid, obs)
            if fused is None:
                continue
            if fused.t <= self._last_t:  # the driving camera changed to one behind
                self.dropped_out_of_order += 1
                continue
            self._last_t = self._t = fused.t
            self.fused_frames += 1
            yield fused


# ---------------------------------------------------------------------- a camera's worker


class CameraSender:
    """A fused counter's camera worker (``frontdesk run --camera ID``): its source,
    perception only (no engine, no store, no MQTT), each observation and status
    change sent to the counter's worker.

    Args:
        config: the camera's config (:meth:`Config.for_camera`).
        sender: where to send (:class:`ObservationSender`).
        source: overrides ``config.camera.source``.
        loop, realtime: as ``frontdesk run``'s.
        max_frames: stop after this many frames (tests); the counter hears ``ended``.
        notifier: systemd notifications (READY once the source is open, WATCHDOG
            while frames or status records flow).
        wall_clock: Unix seconds, to anchor sources that carry no wall time.
        pictures: send pictures for the counter's live view while it is watched
            (:meth:`ObservationSender.picture`; the primary camera on the counter's box).
    """

    def __init__(self, config: Config, sender: ObservationSender, *, source: str | None = None,
                 loop: bool = False, realtime: bool = False, max_frames: int | None = None,
                 notifier: Any = None, wall_clock: Callable[[], float] = time.time,
                 observations: str | None = None, speed: float = 0.0,
                 pictures: bool = False) -> None:
        from frontdesk.sdnotify import SdNotifier

        self.pictures = pictures and hasattr(sender, "picture")
        self.observations = observations
        self.speed = speed
        self.config = config
        self.sender = sender
        self.source_spec = source or config.camera.source
        self.loop = loop
        self.realtime = realtime
        self.max_frames = max_frames
        self.notifier = notifier or SdNotifier({})
        self._wall_clock = wall_clock
        self._wall_offset: float | None = None
        self._stop = threading.Event()
        self._source: Any = None
        self.frames = 0
        self.frames_failed = 0
        self._items_seen = 0

    def stop(self) -> None:
        self._stop.set()
        if self._source is not None:
            self._source.close()

    def install_signal_handlers(self) -> None:
        import signal

        def handler(signum: int, _frame: object) -> None:
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _start_watchdog(self, source: Any) -> threading.Event | None:
        """Ping the watchdog while frames or status records flow, or while capture
        keeps trying to reopen an offline camera (:func:`frontdesk.sdnotify.start_watchdog`)."""
        from frontdesk.sdnotify import start_watchdog

        return start_watchdog(self.notifier, lambda: self._items_seen, source)

    def _wall_at(self, t: float) -> float:
        if self._wall_offset is None:
            self._wall_offset = self._wall_clock() - t
        return self._wall_offset + t

    def run(self) -> int:
        """Until the source ends (exit status 0) or :meth:`stop`."""
        from frontdesk.capture import open_source
        from frontdesk.demo_footage import resolve_source
        from frontdesk.pipeline import FramePipeline

        replay = self.observations is not None
        pipeline = FramePipeline(self.config, engine=False, perceive=not replay)
        # pictures for the counter's live view: the primary camera's, over this box's
        # socket only, never the broker (no image leaves the box), while someone watches
        share_pictures = self.pictures
        watchdog: threading.Event | None = None
        last_t = 0.0
        ended = False
        try:
            if self.observations is not None:
                from frontdesk.replay import ObservationReplay

                source: Any = ObservationReplay(self.observations, self.speed)
            else:
                source = open_source(resolve_source(self.source_spec), self.config.camera,
                                     loop=self.loop, realtime=self.realtime)
            self._source = source
            live = bool(getattr(source, "is_live", False)) or (replay and self.speed > 0)
            self.notifier.ready(f"camera {self.config.camera_id}: perceiving for its counter")
            watchdog = self._start_watchdog(source)
            for item in source.events():
                self._items_seen += 1
                if self._stop.is_set():
                    break
                if isinstance(item, StatusChange):
                    if self._wall_offset is None and item.wall_time is not None:
                        # A file's capture times are video time: anchor them to the wall
                        # clock when it opened, not after its first frame's perception.
                        self._wall_offset = item.wall_time - item.t
                    wall = item.wall_time if item.wall_time is not None else \
                        self._wall_at(item.t)
                    change = StatusChange(item.status, item.previous, item.t, wall, item.detail)
                    ended = ended or item.status == CameraStatus.ENDED
                    self.sender.status(change, live)
                    continue
                try:
                    obs = item if isinstance(item, FrameObservation) else pipeline.perceive(item)
                except Exception:  # never end the loop on one bad frame
                    self.frames_failed += 1
                    log.warning("perception failed on frame %d; skipped", item.index,
                                exc_info=True)
                    continue
                if obs.wall_time is None:
                    obs.wall_time = self._wall_at(obs.t)
                last_t = obs.t
                self.sender.observation(obs)
                if share_pictures and not isinstance(item, FrameObservation):
                    self.sender.picture(item)
                self.frames += 1
                if self.max_frames is not None and self.frames >= self.max_frames:
                    break
            if not ended:
                detail = "stopped" if self._stop.is_set() else "stopped after --max-frames"
                status = CameraStatus.OFFLINE if self._stop.is_set() else CameraStatus.ENDED
                self.sender.status(StatusChange(status, CameraStatus.ONLINE, last_t,
                                                self._wall_at(last_t), detail), live)
        finally:
            if watchdog is not None:
                watchdog.set()
            self.notifier.stopping()
            if self._source is not None:
                with contextlib.suppress(Exception):
                    self._source.close()
            pipeline.close()
            self.sender.close()
        log.info("camera %s: %d frames sent to the counter (%d dropped, %d failed)",
                 self.config.camera_id, self.frames, self.sender.dropped, self.frames_failed)
        return 0

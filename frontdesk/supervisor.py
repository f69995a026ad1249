"""Several cameras from one config: one worker process per camera, supervised.

``frontdesk run -c FILE`` with a ``cameras:`` list in FILE runs a :class:`Supervisor`
instead of the main loop. Each camera's worker is a child process running
``frontdesk run -c FILE --camera ID`` (plain :class:`frontdesk.runner.Runner`
on the config :meth:`frontdesk.config.Config.for_camera` cuts for that camera:
its own MQTT client id, outbox file and availability topic; the store is shared).

Why child processes started with ``subprocess`` rather than ``multiprocessing``:
a worker is exactly the one-camera ``frontdesk run`` that already handles
SIGTERM, systemd notifications and its own crashes, so there is one code path;
nothing is pickled; MediaPipe's threads never see a fork; a worker can be run by
hand for debugging and shows its camera in ``ps``; and ``os.wait4`` on it gives
its CPU time and peak memory for free.

The supervisor:

* gives each worker its own ``$NOTIFY_SOCKET`` (a datagram socket it reads), so
  the worker's ``READY=1`` and ``WATCHDOG=1`` come to the supervisor. It tells
  systemd ``READY=1`` once every worker has been ready, and pings systemd's
  watchdog only while every worker is alive and (once ready) has pinged within
  ``worker_watchdog_s``;
* kills a worker that stops pinging (a stuck loop) and restarts any worker that
  dies (not exit status 0) after an exponential back-off: ``backoff_initial_s``,
  doubled per quick death up to ``backoff_max_s``, reset after ``stable_after_s``
  of running;
* treats exit status 0 as "finished" (the source ended, ``--max-frames``): no
  restart; it exits when every worker has finished;
* on SIGTERM or SIGINT sends SIGTERM to every worker (each finishes its frame,
  closes open visits as interrupted, flushes store and outbox), waits up to
  ``stop_timeout_s``, SIGKILLs what is left, and exits 0 when every worker did.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from frontdesk.sdnotify import SdNotifier

__all__ = ["Supervisor", "WorkerExit", "WorkerState", "die_with_supervisor", "proc_cpu_s",
           "proc_rss_mb", "worker_commands", "counter_commands", "COUNTER_WORKER_PREFIX"]

COUNTER_WORKER_PREFIX = "counter."
"""Worker ids of shared counters' engines (``counter.ID``; camera ids have no dot)."""

log = logging.getLogger(__name__)

_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def proc_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (all its threads), from /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # the name may hold spaces
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime (fields 14, 15)


def proc_rss_mb(pid: int, key: str = "VmRSS") -> float | None:
    """Resident memory of ``pid`` in MB (``VmRSS``; ``VmHWM`` for the peak), from /proc."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0
    return None


@dataclass
class WorkerExit:
    """How a worker process ended, with its resource use (``os.wait4``)."""

    camera_id: str
    pid: int
    returncode: int
    """Exit status, or minus the signal number that killed it (as ``subprocess``)."""
    ran_s: float
    cpu_s: float
    max_rss_mb: float


@dataclass
class WorkerState:
    """One camera's worker, as the supervisor sees it."""

    camera_id: str
    argv: list[str]
    notify_path: str
    sock: socket.socket
    proc: subprocess.Popen[bytes] | None = None
    started_mono: float = 0.0
    next_start_mono: float = 0.0
    backoff_s: float = 0.0
    starts: int = 0
    ready: bool = False
    ever_ready: bool = False
    ready_mono: float | None = None
    last_ping_mono: float = 0.0
    finished: bool = False
    exits: list[WorkerExit] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return self.proc is not None

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid


def die_with_supervisor() -> None:
    """In a worker: get SIGTERM when the supervisor dies (Linux ``PR_SET_PDEATHSIG``).

    Called by ``frontdesk run --camera`` when the supervisor started it (it sets
    ``FRONTDESK_SUPERVISOR_PID``); a supervisor already gone means stop at once.
    """
    parent = os.environ.get("FRONTDESK_SUPERVISOR_PID", "")
    if not parent.isdigit() or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != int(parent):
        os.kill(os.getpid(), signal.SIGTERM)


class Supervisor:
    """Runs and restarts one worker process per camera.

    Args:
        commands: camera id -> the worker's argv (``frontdesk run ... --camera ID``).
        notifier: systemd notifications of the supervisor itself.
        backoff_initial_s, backoff_max_s: restart delays (doubling between them).
        stable_after_s: a worker that ran this long restarts after the initial delay again.
        worker_watchdog_s: a ready worker silent this long (no ``WATCHDOG=1``) is killed
            and restarted; None turns the check off. Defaults to systemd's period.
        stop_timeout_s: after SIGTERM, how long workers get before SIGKILL.
        start_timeout_s: a worker not READY this long after its start (models that
            never load, a hung open) is killed and restarted; None turns it off.
        env: the workers' environment (default: this process's).
        on_ready: called with the worker's state when it first says READY=1 after a start.
        on_exit: called with each :class:`WorkerExit`.
    """

    def __init__(
        self,
        commands: Mapping[str, Sequence[str]],
        *,
        notifier: SdNotifier | None = None,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 30.0,
        stable_after_s: float = 60.0,
        worker_watchdog_s: float | None = None,
        stop_timeout_s: float = 25.0,
        start_timeout_s: float | None = 120.0,
        env: dict[str, str] | None = None,
        on_ready: Callable[[WorkerState], None] | None = None,
        on_exit: Callable[[WorkerExit], None] | None = None,
    ) -> None:
        if not commands:
            raise ValueError("a supervisor needs at least one worker")
        self.notifier = notifier or SdNotifier({})
        sd_period = self.notifier.watchdog_s
        if sd_period is not None:
            # A back-off must never outlast systemd's patience with the whole service.
            backoff_max_s = min(backoff_max_s, sd_period / 3.0)
        self.backoff_initial_s = min(backoff_initial_s, backoff_max_s)
        self.backoff_max_s = backoff_max_s
        self.stable_after_s = stable_after_s
        self.worker_watchdog_s = worker_watchdog_s if worker_watchdog_s is not None else sd_period
        self.stop_timeout_s = stop_timeout_s
        self.start_timeout_s = start_timeout_s
        self.env = dict(os.environ if env is None else env)
        self.on_ready = on_ready
        self.on_exit = on_exit
        # A plain flag, not a threading.Event: a signal handler must not take a lock
        # the interrupted main thread may hold. The loop polls it every tick.
        self._stopping = False
        self._signal_name: str | None = None
        self._ready_sent = False
        self._last_sd_ping = 0.0
        self._dir = tempfile.mkdtemp(prefix="frontdesk-supervisor-")
        self.workers: dict[str, WorkerState] = {}
        for camera_id, argv in commands.items():
            path = os.path.join(self._dir, f"{camera_id}.sock")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(path)
            sock.setblocking(False)
            self.workers[camera_id] = WorkerState(camera_id, list(argv), path, sock,
                                                  backoff_s=self.backoff_initial_s)

    # ------------------------------------------------------------------ control

    def stop(self) -> None:
        """Stop every worker gracefully; safe from a signal handler or another thread."""
        self._stopping = True

    def install_signal_handlers(self) -> None:
        def handler(signum: int, _frame: object) -> None:
            # Only flags here: logging takes locks the interrupted thread may hold,
            # so the loop logs the signal when it sees the flag.
            self._signal_name = signal.Signals(signum).name
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    # ------------------------------------------------------------------ loop

    def run(self, tick_s: float = 0.2) -> int:
        """Supervise until every worker finished or :meth:`stop`; the exit status."""
        log.info("supervising %d cameras: %s", len(self.workers), ", ".join(self.workers))
        try:
            while not self._stopping:
                now = time.monotonic()
                for w in self.workers.values():
                    self._read_notifications(w, now)
                    self._reap(w, now)
                    self._check_stuck(w, now)
                    self._maybe_start(w, now)
                if all(w.finished for w in self.workers.values()):
                    log.info("every camera worker finished")
                    break
                self._notify_systemd(now)
                time.sleep(tick_s)
            else:
                log.info("%s: stopping %d camera workers", self._signal_name or "asked",
                         len(self.workers))
                self.notifier.stopping()
                self._stop_workers()
        finally:
            self._close()
        last = [w.exits[-1].returncode if w.exits else 0 for w in self.workers.values()]
        return 0 if all(code == 0 for code in last) else 1

    def _maybe_start(self, w: WorkerState, now: float) -> None:
        if w.alive or w.finished or now < w.next_start_mono:
            return
        env = dict(self.env)
        env["NOTIFY_SOCKET"] = w.notify_path
        env["FRONTDESK_SUPERVISOR_PID"] = str(os.getpid())
        env.pop("WATCHDOG_PID", None)
        env.pop("WATCHDOG_USEC", None)
        if self.worker_watchdog_s is not None:
            env["WATCHDOG_USEC"] = str(int(self.worker_watchdog_s * 1e6))
        try:
            w.proc = subprocess.Popen(w.argv, env=env)
        except OSError as exc:
            log.error("%s: cannot start its worker: %s", _label(w.camera_id), exc)
            self._schedule_restart(w, now, ran_s=0.0)
            return
        w.starts += 1
        w.started_mono = w.last_ping_mono = now
        w.ready, w.ready_mono = False, None
        log.info("%s: worker started (pid %d%s)", _label(w.camera_id), w.proc.pid,
                 f", start {w.starts}" if w.starts > 1 else "")

    def _read_notifications(self, w: WorkerState, now: float) -> None:
        while True:
            try:
                data = w.sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if not w.alive:
                continue  # a late datagram from a worker already reaped
            for line in data.decode("utf-8", "replace").splitlines():
                if line == "READY=1" and not w.ready:
                    w.ready, w.ever_ready, w.ready_mono = True, True, now
                    w.last_ping_mono = now
                    log.info("%s: worker ready", _label(w.camera_id))
                    if self.on_ready is not None:
                        self.on_ready(w)
                elif line == "WATCHDOG=1":
                    w.last_ping_mono = now

    def _reap(self, w: WorkerState, now: float) -> None:
        if w.proc is None:
            return
        try:
            pid, status, usage = os.wait4(w.proc.pid, os.WNOHANG)
            if pid == 0:
                return
            code = os.waitstatus_to_exitcode(status)
        except ChildProcessError:  # reaped elsewhere: how it ended is unknown, so not clean
            pid, code, usage = w.proc.pid, 255, None
        w.proc.returncode = code  # keep Popen from waiting on a reaped pid
        w.proc = None
        ran_s = now - w.started_mono
        exit_ = WorkerExit(
            w.camera_id, pid, code, ran_s,
            cpu_s=0.0 if usage is None else usage.ru_utime + usage.ru_stime,
            max_rss_mb=0.0 if usage is None else usage.ru_maxrss / 1024.0)
        w.exits.append(exit_)
        w.ready = False
        if self.on_exit is not None:
            self.on_exit(exit_)
        how = f"exit status {code}" if code >= 0 else f"killed by {signal.Signals(-code).name}"
        usage_text = f"{ran_s:.1f} s, {exit_.cpu_s:.1f} CPU s, peak {exit_.max_rss_mb:.0f} MB"
        if code == 0:
            w.finished = True
            log.info("%s: worker finished (%s; %s)", _label(w.camera_id), how, usage_text)
            return
        if self._stopping:
            log.warning("%s: worker ended badly while stopping (%s after %s)",
                        _label(w.camera_id), how, usage_text)
            return
        self._schedule_restart(w, now, ran_s)
        log.error("%s: worker died (%s after %s); restarting in %.1f s", _label(w.camera_id),
                  how, usage_text, w.next_start_mono - now)

    def _schedule_restart(self, w: WorkerState, now: float, ran_s: float) -> None:
        if ran_s >= self.stable_after_s:
            w.backoff_s = self.backoff_initial_s
        w.next_start_mono = now + w.backoff_s
        w.backoff_s = min(w.backoff_s * 2.0, self.backoff_max_s)

    def _check_stuck(self, w: WorkerState, now: float) -> None:
        if w.proc is None:
            return
        if not w.ready:
            limit = self.start_timeout_s
            if limit is not None and now - w.started_mono > limit:
                log.error("%s: worker not ready %.0f s after its start (stuck?); "
                          "killing it", _label(w.camera_id), now - w.started_mono)
                with contextlib.suppress(ProcessLookupError):
                    w.proc.kill()  # reaped (and restarted) on the next tick
            return
        period = self.worker_watchdog_s
        if period is None:
            return
        if now - w.last_ping_mono > period:
            log.error("%s: worker silent for %.0f s (stuck?); killing it", _label(w.camera_id),
                      now - w.last_ping_mono)
            with contextlib.suppress(ProcessLookupError):
                w.proc.kill()
            w.last_ping_mono = now  # one kill per silence; the reap restarts it

    def _healthy(self, now: float) -> bool:
        for w in self.workers.values():
            if w.finished:
                continue
            if w.proc is None:
                return False
            period = self.worker_watchdog_s
            if w.ready and period is not None and now - w.last_ping_mono > period:
                return False
        return True

    def _notify_systemd(self, now: float) -> None:
        if not self._ready_sent and all(w.ever_ready or w.finished
                                        for w in self.workers.values()):
            self._ready_sent = True
            self.notifier.ready(f"{len(self.workers)} cameras: {', '.join(self.workers)}")
        period = self.notifier.watchdog_s
        if period is None or not self._ready_sent or not self._healthy(now):
            return
        if now - self._last_sd_ping >= period / 4.0:
            self._last_sd_ping = now
            self.notifier.watchdog()

    # ------------------------------------------------------------------ shutdown

    def _stop_workers(self) -> None:
        live = [w for w in self.workers.values() if w.proc is not None]
        for w in live:
            with contextlib.suppress(ProcessLookupError):
                w.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        deadline = time.monotonic() + self.stop_timeout_s
        while time.monotonic() < deadline:
            now = time.monotonic()
            for w in live:
                self._reap(w, now)
            if all(w.proc is None for w in live):
                return
            time.sleep(0.05)
        for w in live:
            if w.proc is not None:
                log.error("%s: worker still running %.0f s after SIGTERM; killing it",
                          _label(w.camera_id), self.stop_timeout_s)
                with contextlib.suppress(ProcessLookupError):
                    w.proc.kill()
        for w in live:
            if w.proc is not None:
                os.waitpid(w.proc.pid, 0)
                w.exits.append(WorkerExit(w.camera_id, w.proc.pid, -signal.SIGKILL,
                                          time.monotonic() - w.started_mono, 0.0, 0.0))
                w.proc = None

    def _close(self) -> None:
        for w in self.workers.values():
            w.sock.close()
            with contextlib.suppress(OSError):
                os.unlink(w.notify_path)
        with contextlib.suppress(OSError):
            os.rmdir(self._dir)


def worker_commands(config_path: str, camera_ids: Sequence[str], run_args: dict[str, list[str]],
                    global_args: Sequence[str] = ()) -> dict[str, list[str]]:
    """``frontdesk run -c CONFIG --camera ID ARGS...`` for each camera, with this Python."""
    return {
        cid: [sys.executable, "-m", "frontdesk", *global_args, "run", "-c", config_path,
              "--camera", cid, *run_args.get(cid, [])]
        for cid in camera_ids
    }


def counter_commands(config_path: str, counter_keys: Sequence[str], run_args: Sequence[str],
                     global_args: Sequence[str] = ()) -> dict[str, list[str]]:
    """``frontdesk run -c CONFIG --counter ID ARGS...`` for each counter several cameras
    share (its engine's worker), keyed ``counter.ID``. A ``--summary-json FILE`` in
    ``run_args`` becomes ``FILE.counter-ID``."""
    out = {}
    for key in counter_keys:
        args = list(run_args)
        if "--summary-json" in args:
            i = args.index("--summary-json") + 1
            args[i] = f"{args[i]}.counter-{key}"
        out[COUNTER_WORKER_PREFIX + key] = [sys.executable, "-m", "frontdesk", *global_args,
                                            "run", "-c", config_path, "--counter", key, *args]
    return out


def _label(worker_id: str) -> str:
    """How log lines name a worker: ``camera ID``, or ``counter ID`` for a shared counter's."""
    if worker_id.startswith(COUNTER_WORKER_PREFIX):
        return "counter " + worker_id[len(COUNTER_WORKER_PREFIX):]
    return "camera " + worker_id

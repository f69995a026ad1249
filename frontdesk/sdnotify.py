"""systemd's service notifications (``Type=notify``, ``WatchdogSec``), without a dependency.

systemd passes ``$NOTIFY_SOCKET`` (a path, or ``@name`` for an abstract socket)
and, with ``WatchdogSec=``, ``$WATCHDOG_USEC``. A notification is one datagram of
``KEY=VALUE`` lines. Outside systemd (no ``$NOTIFY_SOCKET``) every call does
nothing, so the main loop calls them unconditionally.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

__all__ = ["SdNotifier"]

log = logging.getLogger(__name__)


class SdNotifier:
    """Sends READY=1, WATCHDOG=1, STOPPING=1 and STATUS= to systemd.

    Args:
        environ: the environment to read (tests pass their own).
    """

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        if address.startswith("@"):
            address = "\0" + address[1:]  # abstract namespace
        self.address: str | None = address or None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        watchdog_for_us = not pid or (pid.isdigit() and int(pid) == os.getpid())
        self.watchdog_s: float | None = (
            int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 and watchdog_for_us else None
        )
        self._failed = False

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, message: str) -> bool:
        """Send one notification; True if sent. Errors are logged once, never raised."""
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.setblocking(False)  # never stall the main loop on a busy manager
                sock.connect(self.address)
                sock.send(message.encode("utf-8"))
        except OSError as exc:
            if not self._failed:
                log.warning("cannot notify systemd at %s: %s", self.address.replace("\0", "@"),
                            exc)
            self._failed = True
            return False
        self._failed = False
        return True

    def ready(self, status: str = "") -> bool:
        return self.notify("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def stopping(self) -> bool:
        return self.notify("STOPPING=1")

    def status(self, text: str) -> bool:
        return self.notify(f"STATUS={text}")

    def watchdog(self) -> bool:
        """Tell systemd the service is alive (only when ``WatchdogSec=`` is set)."""
        if self.watchdog_s is None:
            return False
        return self.notify("WATCHDOG=1")


def start_watchdog(notifier: SdNotifier, items_seen: Callable[[], int],
                   source: object) -> threading.Event | None:
    """Ping the notifier's watchdog from a thread while the loop makes progress:
    ``items_seen()`` grows (frames or status records flow), or the source's
    ``stats.open_failures`` does (capture keeps trying to reopen an offline camera).
    A stuck loop stops the pings and systemd (or the supervisor) restarts it. None
    without a watchdog; else the event that stops the thread (its ``set()`` returns
    once the thread has stopped, so no ping follows a ``STOPPING=1`` sent after it)."""
    period = notifier.watchdog_s
    if period is None:
        return None
    stop = _StopEvent()

    def progress() -> tuple[int, int]:
        stats = getattr(source, "stats", None)
        return items_seen(), int(getattr(stats, "open_failures", 0) or 0)

    def main() -> None:
        last, changed_at = progress(), time.monotonic()
        notifier.watchdog()
        while not stop.wait(period / 4.0):
            now, current = time.monotonic(), progress()
            if current != last:
                last, changed_at = current, now
            if now - changed_at < period / 2.0:
                notifier.watchdog()

    stop.thread = threading.Thread(target=main, name="frontdesk-watchdog", daemon=True)
    stop.thread.start()
    return stop


class _StopEvent(threading.Event):
    """The watchdog thread's stop: set, then wait (at most a second) for the thread."""

    thread: threading.Thread | None = None

    def set(self) -> None:
        super().set()
        thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=1.0)

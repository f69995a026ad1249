"""Keep the native libraries' chatter off the terminal.

MediaPipe (absl/glog), TensorFlow Lite and FFmpeg write straight to file
descriptor 2 from C++ ("W0000 00:00:... inference_feedback_manager.cc:114]
Feedback manager requires ...", "INFO: Created TensorFlow Lite XNNPACK delegate
for CPU."), bypassing Python's logging and ``GLOG_minloglevel``. They bury the
lines a user needs. :func:`filter_native_stderr` points descriptor 2 at a pipe
whose reader drops those known lines and passes everything else on; Python's
own ``sys.stderr`` (logging, error messages) keeps writing to the terminal
directly, so nothing of ours waits on the reader. ``frontdesk -v`` keeps it all.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from typing import Any

__all__ = ["NOISE", "filter_native_stderr", "is_noise", "unfilter_native_stderr"]

_saved_fd: int | None = None

NOISE = re.compile(
    r"^(?:[IW]\d{4} \d\d:\d\d:\d\d[.\d]* +\d+ \S+:\d+\]"  # absl/glog INFO and WARNING lines
    r"|INFO: Created TensorFlow Lite"
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|\[(?:mpeg4|h264|hevc|mov,mp4,m4a,3gp,3g2,mj2) @ 0x[0-9a-f]+\] )"  # FFmpeg's decoders
)


def is_noise(line: str) -> bool:
    """True for a line of native library chatter (see :data:`NOISE`)."""
    return bool(NOISE.match(line))


def filter_native_stderr() -> bool:
    """Route descriptor 2 through the noise filter; False when it cannot (no real fd 2),
    or when something else already took ``sys.stderr`` over (a test's capture)."""
    err: Any = sys.stderr
    if err is None or id(err) != id(sys.__stderr__):
        return False
    try:
        fd2 = err.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    if fd2 != 2:
        return False
    global _saved_fd
    saved = os.dup(2)
    _saved_fd = saved
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    err.flush()
    sys.stderr = os.fdopen(saved, "w", buffering=1, encoding=err.encoding,
                           errors="backslashreplace")

    def pump() -> None:
        with os.fdopen(read_end, "rb") as pipe:
            for raw in pipe:
                line = raw.decode("utf-8", "replace")
                if not is_noise(line):
                    os.write(saved, raw)

    threading.Thread(target=pump, name="stderr-filter", daemon=True).start()
    return True


def unfilter_native_stderr() -> None:
    """Give descriptor 2 back to the terminal, before starting child processes that
    must outlive this one (the supervisor's workers inherit descriptor 2: through our
    pipe their lines would die with us). Each worker filters its own."""
    if _saved_fd is not None:
        os.dup2(_saved_fd, 2)

"""Polling helpers for tests that wait on another thread, process or broker."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["wait_until", "wait_for"]


def wait_until(predicate: Callable[[], object], timeout_s: float = 20.0,
               every_s: float = 0.02) -> bool:
    """Whether ``predicate()`` became true within ``timeout_s`` (polled every
    ``every_s``; asked once more at the deadline)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every_s)
    return bool(predicate())


def wait_for(predicate: Callable[[], Any], timeout_s: float, what: str,
             every_s: float = 0.05) -> Any:
    """``predicate()``'s first true value within ``timeout_s``; fails the test,
    naming ``what``, when none came."""
    value = None

    def ready() -> bool:
        nonlocal value
        value = predicate()
        return bool(value)

    assert wait_until(ready, timeout_s, every_s), f"timed out waiting for {what}"
    return value

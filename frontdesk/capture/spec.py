"""Turn a source string into a kind and a target, and make it safe to print.

The source string is the one from ``camera.source`` in the config or the command
line. Kinds:

* ``demo``: ``demo://NAME``, footage the project makes on first use.
* ``url``: ``rtsp://``, ``rtsps://``, ``http://`` or ``https://`` streams (live).
* ``camera``: a camera index (``0``) or a device path under ``/dev/``
  (``/dev/video0``, ``/dev/v4l/by-id/...``; the by-id names survive re-plugging).
* ``path``: anything else, or ``file://PATH``; :func:`frontdesk.capture.open_source`
  decides between a video file, a single image and a folder of images.

Credentials (``user:password@`` and query values such as ``password=`` or
``token=``) are replaced by ``***`` in :attr:`SourceSpec.name`, which is what logs,
errors and :attr:`frontdesk.types.Frame.source` show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from frontdesk.errors import SourceError

__all__ = ["SourceKind", "SourceSpec", "parse_spec", "scrub_credentials", "URL_SCHEMES"]

SourceKind = Literal["demo", "url", "camera", "path"]

URL_SCHEMES = ("rtsp", "rtsps", "http", "https")
"""Schemes opened as live network streams (through OpenCV's FFmpeg backend)."""

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://(.*)$", re.DOTALL)
_SECRET_QUERY = re.compile(
    r"([?&;][^=&;#]*?(?:pass|pwd|token|secret|key|auth|sig|user|login|cred)[^=&;#]*=)[^&;#]*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SourceSpec:
    """A parsed source string.

    Attributes:
        kind: see the module docstring.
        target: what to open: a camera index (int), a device path, a URL with its
            credentials intact, a file system path, or a demo clip name.
        name: a printable name with credentials removed.
    """

    kind: SourceKind
    target: str | int
    name: str


def scrub_credentials(text: str) -> str:
    """``text`` with URL user info and secret-looking query values replaced by ``***``.

    ``rtsp://admin:pw@10.0.0.5/live?token=abc`` becomes
    ``rtsp://***@10.0.0.5/live?token=***``. The user info is everything between
    ``://`` and the last ``@`` before the query, so passwords that contain ``@``
    or ``/`` are removed whole. Strings without a scheme are returned unchanged.
    """
    match = _SCHEME.match(text)
    if not match:
        return text
    scheme, rest = match.groups()
    head, sep, query = rest.partition("?")
    if "@" in head:
        head = "***@" + head.rpartition("@")[2]
    scrubbed = f"{scheme}://{head}{sep}{query}"
    return _SECRET_QUERY.sub(r"\1***", scrubbed)


def parse_spec(spec: str) -> SourceSpec:
    """Classify a source string; raise :class:`SourceError` for an unusable one.

    Nothing is opened here: a camera or path that does not exist is found out
    when the source is opened.
    """
    text = spec.strip() if isinstance(spec, str) else ""
    if not text:
        raise SourceError("no video source given (camera.source is empty)")
    match = _SCHEME.match(text)
    if match:
        scheme = match.group(1).lower()
        if scheme == "demo":
            name = match.group(2).strip("/")
            return SourceSpec("demo", name, f"demo://{name}")
        if scheme in URL_SCHEMES:
            return SourceSpec("url", text, scrub_credentials(text))
        if scheme == "file":
            path = match.group(2)
            return SourceSpec("path", path, path)
        raise SourceError(
            f"unsupported video source {scrub_credentials(text)!r}: use a file, a folder of "
            f"images, a camera index or /dev/videoN, an rtsp:// or http(s):// URL, or demo://counter"
        )
    if text.isdigit():
        return SourceSpec("camera", int(text), f"camera {int(text)}")
    if text.startswith("/dev/"):
        return SourceSpec("camera", text, text)
    return SourceSpec("path", text, text)

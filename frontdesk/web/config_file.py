"""Edit the YAML config file in place: comments kept, backup made, validated, atomic.

:class:`ConfigFile` changes a few keys (zones, camera settings) through
ruamel.yaml's round-trip loader, which keeps comments, key order, quoting and
flow style. The file's indentation is measured first so untouched lines come
out byte for byte as they were. Before the file is replaced, the whole new text
is validated with :func:`frontdesk.config.parse_config` (so a save can never
leave a config that frontdesk refuses at the next start), the old file is
copied to ``NAME.YYYYmmdd-HHMMSS.bak`` beside it (the newest ``KEEP_BACKUPS``, 10,
are kept; older ones are removed), and the new text is written to
a temporary file that is renamed over the old one.

With a ``cameras:`` list, each camera's worker edits its own entry (``camera_id``).
Several processes may save the same file (one worker per camera), so the whole
read, edit, validate, write runs under an exclusive ``fcntl.flock`` on a lock
file beside the config (``.NAME.lock``): the file is re-read under the lock, and
two workers saving at nearly the same time each keep the other's edit.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from frontdesk.config import Config, parse_config
from frontdesk.errors import FrontdeskError
from frontdesk.yaml_io import YamlFileError, read_text

__all__ = ["ConfigFile", "SaveResult", "guess_indent", "flow_polygon", "set_counter_zones",
           "set_camera_keys", "backups_of", "lock_path"]

log = logging.getLogger(__name__)

_DECIMALS = 4


@dataclass(frozen=True)
class SaveResult:
    config: Config
    """The whole file as validated after the change."""
    backup: Path
    path: Path


def guess_indent(text: str) -> tuple[int, int, int]:
    """(mapping indent, sequence indent, dash offset) as ruamel's ``indent()`` wants them.

    Measured on the first nested mapping and the first block sequence under a
    key; (2, 4, 2) when the file has none.
    """
    mapping: int | None = None
    sequence: tuple[int, int] | None = None
    prev_col: int | None = None
    prev_opens = False
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#") or stripped.startswith("---"):
            continue
        col = len(raw) - len(raw.lstrip(" "))
        if prev_opens and prev_col is not None and col >= prev_col:
            if stripped.startswith("- ") and sequence is None:
                after = len(stripped) - len(stripped[1:].lstrip(" "))
                sequence = (col - prev_col + after, col - prev_col)
            elif not stripped.startswith("-") and col > prev_col and mapping is None:
                mapping = col - prev_col
        body = stripped.split(" #", 1)[0].rstrip()
        prev_opens = body.endswith(":") and not body.startswith("- ")
        prev_col = col
        if mapping is not None and sequence is not None:
            break
    seq, offset = sequence or ((mapping or 2) + 2, 2)
    return mapping or 2, max(seq, offset + 2), offset


def _yaml(text: str) -> YAML:
    mapping, sequence, offset = guess_indent(text)
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=mapping, sequence=sequence, offset=offset)
    y.representer.add_representer(
        type(None), lambda r, _d: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return y


def flow_polygon(points: Sequence[Sequence[float]]) -> CommentedSeq:
    """``[[x, y], ...]`` on one line, numbers rounded to 4 decimals."""
    seq = CommentedSeq()
    for x, y in points:
        pair = CommentedSeq([round(float(x), _DECIMALS), round(float(y), _DECIMALS)])
        pair.fa.set_flow_style()
        seq.append(pair)
    seq.fa.set_flow_style()
    return seq


def _flow_list(values: Sequence[Any]) -> CommentedSeq:
    seq = CommentedSeq(list(values))
    seq.fa.set_flow_style()
    return seq


def _camera_node(doc: CommentedMap, camera_id: str | None) -> CommentedMap:
    """The document itself (one camera), or the ``cameras:`` entry with ``id: camera_id``."""
    if camera_id is None:
        return doc
    cameras = doc.get("cameras") if isinstance(doc, dict) else None
    if isinstance(cameras, list):
        for node in cameras:
            if isinstance(node, CommentedMap) and node.get("id") == camera_id:
                return node
    raise FrontdeskError(f"camera {camera_id!r} is not in the cameras list of the config file")


def _counter_node(doc: CommentedMap, counter_id: str, camera_id: str | None = None
                  ) -> CommentedMap:
    section = _camera_node(doc, camera_id)
    counters = section.get("counters") if isinstance(section, dict) else None
    if isinstance(counters, list):
        for node in counters:
            if isinstance(node, CommentedMap) and node.get("id") == counter_id:
                return node
    where = "" if camera_id is None else f" under camera {camera_id!r}"
    raise FrontdeskError(f"counter {counter_id!r} is not in the config file{where}")


def set_counter_zones(doc: CommentedMap, counter_id: str, zones: dict[str, Any],
                      camera_id: str | None = None) -> None:
    """Replace one counter's zones: ``service``, ``staff``, ``approach`` (None: none), ``ignore``.

    Keys absent from ``zones`` are left as they are. A removed approach zone is
    written as ``null`` when the key was there, else left out. ``camera_id``: the
    counter is in that entry of ``cameras:`` (None: the top-level ``counters``).
    """
    node = _counter_node(doc, counter_id, camera_id)
    if not isinstance(node.get("zones"), dict):
        node["zones"] = CommentedMap()
    z = node["zones"]
    for kind in ("approach", "service", "staff"):
        if kind not in zones:
            continue
        poly = zones[kind]
        if poly is None:
            if kind in z:
                z[kind] = None
        else:
            z[kind] = flow_polygon(poly)
    if "ignore" in zones:
        masks = zones["ignore"] or []
        if masks or "ignore" in z:
            seq = CommentedSeq([flow_polygon(p) for p in masks])
            seq.fa.set_flow_style()  # one line, so a comment after the key stays in place
            z["ignore"] = seq


def set_camera_keys(doc: CommentedMap, values: dict[str, Any],
                    camera_id: str | None = None) -> None:
    """Set keys of the ``camera`` section (matrix rows and lists on one line each);
    with ``camera_id``, of that ``cameras:`` entry's ``camera``."""
    section = _camera_node(doc, camera_id)
    cam = section.get("camera")
    if not isinstance(cam, dict):
        cam = section["camera"] = CommentedMap()
    for key, value in values.items():
        if key == "matrix" and value is not None:
            rows = CommentedSeq([_flow_list([round(float(v), 6) for v in row]) for row in value])
            rows.fa.set_flow_style()
            cam[key] = rows
        elif isinstance(value, (list, tuple)):
            cam[key] = _flow_list([round(v, 8) if isinstance(v, float) else v for v in value])
        elif isinstance(value, dict):  # a section such as pose: its lists on one line each
            node = CommentedMap()
            for k, v in value.items():
                node[k] = _flow_list(list(v)) if isinstance(v, (list, tuple)) else v
            cam[key] = node
        else:
            cam[key] = value


KEEP_BACKUPS = 10
"""Backups of the config file kept beside it (``NAME.YYYYmmdd-HHMMSS.bak``)."""


class ConfigFile:
    """One config file edited by the web UI and ``frontdesk calibrate``.

    Args:
        path: the YAML file (it must exist and be valid).
        clock: Unix seconds, for backup names.
        keep_backups: backups kept; each save removes the oldest beyond this.
    """

    def __init__(self, path: str | os.PathLike[str], clock: Callable[[], float] = time.time,
                 keep_backups: int = KEEP_BACKUPS):
        self.path = Path(path)
        self._clock = clock
        self.keep_backups = keep_backups
        self._lock = threading.Lock()

    def read_text(self) -> str:
        """The file's text (refused past the size every YAML reader refuses)."""
        try:
            return read_text(self.path, "config file")
        except YamlFileError as exc:
            raise FrontdeskError(str(exc)) from None

    def update(self, edit: Callable[[CommentedMap], None]) -> SaveResult:
        """Apply ``edit`` to the loaded document, validate, back up and replace the file.

        Raises:
            ConfigError: the edited file would not be a valid config (nothing written).
            FrontdeskError: the file cannot be read, parsed or written.
        """
        with self._lock, self._file_lock():
            text = self.read_text()
            y = _yaml(text)
            try:
                doc = y.load(text)
            except YAMLError as exc:
                raise FrontdeskError(f"{self.path}: not valid YAML: {exc}") from None
            if not isinstance(doc, CommentedMap):
                raise FrontdeskError(f"{self.path}: the file must be a mapping of keys")
            edit(doc)
            out = io.StringIO()
            y.dump(doc, out)
            new_text = out.getvalue()
            config = parse_config(new_text, str(self.path))  # ConfigError: nothing is written
            backup = self._backup(text)
            self._replace(new_text)
            self._prune_backups()
        log.info("config %s saved (backup %s)", self.path, backup.name)
        return SaveResult(config=config, backup=backup, path=self.path)

    @contextlib.contextmanager
    def _file_lock(self) -> Any:
        """Exclusive ``flock`` on ``.NAME.lock`` beside the file, against other processes."""
        path = lock_path(self.path)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise FrontdeskError(f"cannot open the lock file {path}: "
                                 f"{exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def _backup(self, text: str) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self._clock()))
        base = f"{self.path.name}.{stamp}"
        candidate = self.path.with_name(f"{base}.bak")
        same_second = [b.name[len(base):] for b in backups_of(self.path)
                       if b.name.startswith(base + ".") or b.name.startswith(base + "-")]
        n = 1
        if same_second:  # numbered on after the newest of this second (older may be pruned)
            m = re.fullmatch(r"-(\d+)\.bak", same_second[-1])
            n = int(m.group(1)) + 1 if m else 1
            candidate = self.path.with_name(f"{base}-{n}.bak")
        while candidate.exists():
            candidate = self.path.with_name(f"{base}-{n}.bak")
            n += 1
        try:
            with open(candidate, "x", encoding="utf-8") as fh:
                fh.write(text)
            os.chmod(candidate, self.path.stat().st_mode & 0o777)
        except OSError as exc:
            raise FrontdeskError(f"cannot write the backup {candidate}: "
                                 f"{exc.strerror or exc}") from None
        return candidate

    def _prune_backups(self) -> None:
        for old in backups_of(self.path)[:-self.keep_backups]:
            try:
                old.unlink()
            except OSError as exc:
                log.warning("cannot remove the old backup %s: %s", old, exc.strerror or exc)

    def _replace(self, text: str) -> None:
        mode = self.path.stat().st_mode & 0o777
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, self.path)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise FrontdeskError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def lock_path(path: str | os.PathLike[str]) -> Path:
    """The lock file :class:`ConfigFile` holds while it saves ``path``."""
    p = Path(path)
    return p.with_name(f".{p.name}.lock")


def backups_of(path: str | os.PathLike[str]) -> list[Path]:
    """Backups :class:`ConfigFile` made of ``path``, oldest first."""
    p = Path(path)
    pattern = re.compile(re.escape(p.name) + r"\.(\d{8}-\d{6})(?:-(\d+))?\.bak$")
    found = []
    for q in p.parent.iterdir():
        m = pattern.match(q.name)
        if m:
            found.append(((m.group(1), int(m.group(2) or 0)), q))
    return [q for _, q in sorted(found)]


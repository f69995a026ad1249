"""The model manifest: which ONNX files the box may load, with their checksums.

``models/manifest.yaml`` lists every model by name. A model is only ever loaded
through its entry, after its file's SHA-256 matched the one recorded when it was
added, so a truncated copy or a swapped file fails at start-up with a message,
never in the frame loop. Nothing is downloaded: files get here by
``frontdesk models add FILE``.

Entry keys (``ModelEntry``): ``name``, ``file`` (inside the models directory),
``sha256``, ``input_size`` ([width, height]), ``layout`` (see
:mod:`frontdesk.detectors.layouts`), ``licence``, ``source`` (a URL for humans,
never fetched), ``class_names`` (empty: the 80 COCO classes), and optional
preprocessing overrides ``channels``, ``input_scale`` and ``pad``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from frontdesk.detectors.layouts import LAYOUTS, Layout, Preprocess, default_preprocess
from frontdesk.errors import ModelError
from frontdesk.validation import reject_duplicates
from frontdesk.yaml_io import YamlFileError, load_yaml

__all__ = [
    "COCO_CLASSES",
    "MANIFEST_NAME",
    "ModelEntry",
    "Manifest",
    "manifest_path",
    "load_manifest",
    "save_manifest",
    "sha256_file",
    "entry_problem",
    "checked_model_path",
]

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.yaml"

COCO_CLASSES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
    "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote",
    "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book",
    "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
)
"""The 80 COCO classes in the order YOLO exports score them; "person" is 0."""

_HEADER = """\
# frontdesk model manifest: every ONNX model the box may load, with its checksum.
#
# Written by `frontdesk models add FILE --name NAME --layout LAYOUT`; checked by
# `frontdesk models verify` and at every start-up. Nothing is downloaded: the
# files come from you (see docs/detectors.md for exporting YOLO11n to ONNX).
# This repository ships no third-party weights.
#
# An entry looks like this (values for illustration only):
#
#   - name: yolo11n
#     file: yolo11n.onnx
#     sha256: <64 hex digits, from `frontdesk models add`>
#     input_size: [640, 640]        # width, height
#     layout: yolov8                # yolov8 | yolov5 | yolox | yolox-raw
#     licence: AGPL-3.0             # the weights' licence: check it fits your use
#     source: https://docs.ultralytics.com/models/yolo11/   # for humans, never fetched
#     class_names: []               # empty: the 80 COCO classes (person is 0)
#
"""


class ModelEntry(BaseModel):
    """One model file and what is needed to run it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
                      description="Name the config refers to (detectors.person.model).")
    file: str = Field(..., min_length=1, max_length=255,
                      description="File name inside the models directory.")
    sha256: str = Field(..., pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file, hex.")
    input_size: tuple[int, int] = Field(..., description="Model input (width, height), pixels.")
    layout: Layout = Field(..., description="Output layout: " + ", ".join(LAYOUTS) + ".")
    licence: str | None = Field(default=None, max_length=200,
                                description="Licence of the weights.")
    source: str | None = Field(default=None, max_length=500,
                               description="Where it came from (for humans).")
    class_names: list[str] = Field(default_factory=list,
                                   description="Class names in output order; empty: COCO's 80.")
    channels: Literal["rgb", "bgr"] | None = Field(default=None,
                                                   description="Override the input order.")
    input_scale: float | None = Field(default=None, gt=0, le=1,
                                      description="Override the 0..255 pixel multiplier.")
    pad: Literal["center", "top_left"] | None = Field(default=None,
                                                      description="Override the padding.")

    @field_validator("file")
    @classmethod
    def _plain_file_name(cls, v: str) -> str:
        if v in (".", "..") or "/" in v or "\\" in v:
            raise ValueError(f"file must be a plain file name inside the models directory, "
                             f"got {v!r}")
        return v

    @field_validator("input_size")
    @classmethod
    def _sane_size(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not all(32 <= d <= 4096 for d in v):
            raise ValueError(f"input_size must be [width, height] from 32 to 4096, got {list(v)}")
        return v

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.class_names) if self.class_names else COCO_CLASSES

    @property
    def person_class_id(self) -> int:
        """Index of "person" among the classes."""
        try:
            return self.classes.index("person")
        except ValueError:
            raise ModelError(
                f"model {self.name!r} has no 'person' class (classes: "
                f"{', '.join(self.classes[:8])}{'...' if len(self.classes) > 8 else ''})"
            ) from None

    @property
    def preprocess(self) -> Preprocess:
        base = default_preprocess(self.layout)
        return Preprocess(self.channels or base.channels,
                          self.input_scale if self.input_scale is not None else base.scale,
                          self.pad or base.pad)


class Manifest(BaseModel):
    """Every model of one models directory."""

    model_config = ConfigDict(extra="forbid")

    models: list[ModelEntry] = Field(default_factory=list)

    @field_validator("models")
    @classmethod
    def _unique_names(cls, v: list[ModelEntry]) -> list[ModelEntry]:
        reject_duplicates((entry.name for entry in v), "model name")
        return v

    def get(self, name: str, where: str = MANIFEST_NAME) -> ModelEntry:
        """The entry called ``name``; ModelError naming the known ones otherwise."""
        for entry in self.models:
            if entry.name == name:
                return entry
        known = ", ".join(e.name for e in self.models) or "none yet"
        raise ModelError(
            f"model {name!r} is not in {where} (known: {known}); add it with "
            f"`frontdesk models add FILE --name {name} --layout LAYOUT`"
        )

    def names(self) -> list[str]:
        return [e.name for e in self.models]


def manifest_path(models_dir: str | os.PathLike[str]) -> Path:
    return Path(models_dir) / MANIFEST_NAME


def _problem_text(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.get("loc", ()))
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = "unknown key"
        parts.append(f"{loc.lstrip('.') or '(top level)'}: {msg}")
    return "; ".join(parts)


def load_manifest(models_dir: str | os.PathLike[str]) -> Manifest:
    """The manifest of ``models_dir``; an empty one when the file does not exist.

    Raises:
        ModelError: the file is unreadable, not YAML, or has a bad entry.
    """
    path = manifest_path(models_dir)
    try:
        data = load_yaml(path, "the model manifest")
    except YamlFileError as exc:
        if exc.missing:
            return Manifest()
        raise ModelError(str(exc)) from None
    if data is None:
        return Manifest()
    if not isinstance(data, dict):
        raise ModelError(f"{path}: the model manifest must be a mapping with a `models:` list")
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise ModelError(f"{path}: {_problem_text(exc)}") from None


def save_manifest(manifest: Manifest, models_dir: str | os.PathLike[str]) -> Path:
    """Write the manifest (atomically, with its explanatory header); return its path."""
    path = manifest_path(models_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = [e.model_dump(mode="json", exclude_none=True) for e in manifest.models]
    for e in entries:
        e["input_size"] = list(e["input_size"])
    body = yaml.safe_dump({"models": entries}, sort_keys=False, allow_unicode=True,
                          default_flow_style=None, width=100)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_HEADER + body)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def entry_problem(entry: ModelEntry, models_dir: str | os.PathLike[str]) -> str | None:
    """Why ``entry``'s file cannot be trusted (missing, unreadable, wrong checksum), or None."""
    path = Path(models_dir) / entry.file
    if not path.is_file():
        return (f"{path} is missing (model {entry.name!r}); copy the file back, or export it "
                f"again and run `frontdesk models add` (docs/detectors.md)")
    try:
        actual = sha256_file(path)
    except OSError as exc:
        return f"{path} cannot be read (model {entry.name!r}): {exc}"
    if actual != entry.sha256:
        return (f"{path} does not match its checksum (model {entry.name!r}): the manifest "
                f"records sha256 {entry.sha256[:16]}..., the file has {actual[:16]}...; the "
                f"file was changed or replaced: add it again with `frontdesk models add`")
    return None


def checked_model_path(name: str, models_dir: str | os.PathLike[str]) -> tuple[ModelEntry, Path]:
    """The entry and file of model ``name`` after its checksum matched.

    Raises:
        ModelError: not in the manifest, missing, or the checksum differs.
    """
    manifest = load_manifest(models_dir)
    entry = manifest.get(name, str(manifest_path(models_dir)))
    problem = entry_problem(entry, models_dir)
    if problem:
        raise ModelError(problem)
    return entry, Path(models_dir) / entry.file


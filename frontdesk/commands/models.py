"""`frontdesk models list|verify|add`: the ONNX models the box may load.

Models live in one directory (``detectors.models_dir``, default ``models/``)
with ``manifest.yaml`` listing each file's name, SHA-256, input size and output
layout. Nothing is ever downloaded: ``add`` copies a file you exported yourself
(docs/detectors.md) and records its checksum; ``verify`` checks every file
against it, as start-up does for the configured model.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

LAYOUT_CHOICES = ("yolov8", "yolov5", "yolox", "yolox-raw", "auto")
"""frontdesk.detectors.layouts.LAYOUTS plus "auto", spelled out so --help imports no numpy."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list, verify or add ONNX models (person detectors)")
    p.set_defaults(func=lambda args: _need_action(p))
    actions = p.add_subparsers(dest="models_action", metavar="ACTION")

    def common(q: argparse.ArgumentParser) -> None:
        where = q.add_mutually_exclusive_group()
        where.add_argument("--models-dir", help="models directory (default: the config's "
                           "detectors.models_dir, else models/)")
        where.add_argument("--config", "-c", help="YAML config whose detectors.models_dir to use")

    q = actions.add_parser("list", help="show the models in the manifest")
    common(q)
    q.set_defaults(func=run_list)

    q = actions.add_parser("verify", help="check every model file exists and matches its sha256")
    common(q)
    q.add_argument("--load", action="store_true",
                   help="also load each model with onnxruntime (CPU) and check its layout")
    q.set_defaults(func=run_verify)

    q = actions.add_parser("add", help="copy an ONNX file into the models directory and record it")
    common(q)
    q.add_argument("file", help="the .onnx file you exported")
    q.add_argument("--name", required=True,
                   help="name the config will use (detectors.person.model)")
    q.add_argument("--layout", required=True, choices=LAYOUT_CHOICES,
                   help="output layout; auto reads it from the output shape where unambiguous")
    q.add_argument("--licence", "--license", dest="licence", help="licence of the weights")
    q.add_argument("--source", help="where the weights came from (a URL for humans)")
    q.add_argument("--classes", help="comma-separated class names in output order "
                   "(default: the 80 COCO classes)")
    q.add_argument("--input-size", nargs=2, type=int, metavar=("W", "H"),
                   help="input width and height, for graphs that leave them open")
    q.add_argument("--replace", action="store_true", help="replace an entry of the same name")
    q.set_defaults(func=run_add)


def _need_action(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def models_dir_for(args: argparse.Namespace) -> Path:
    """--models-dir, else the config's detectors.models_dir, else ``models``."""
    if getattr(args, "models_dir", None):
        return Path(args.models_dir)
    if getattr(args, "config", None):
        from frontdesk.config import load_config

        return Path(load_config(args.config).detectors.models_dir)
    return Path("models")


# --------------------------------------------------------------------------- list


def run_list(args: argparse.Namespace) -> int:
    from frontdesk.detectors.manifest import load_manifest, manifest_path

    directory = models_dir_for(args)
    manifest = load_manifest(directory)
    if not manifest.models:
        print(f"{manifest_path(directory)}: no models (faces only); add one with "
              f"`frontdesk models add FILE --name NAME --layout LAYOUT`")
        return 0
    for e in manifest.models:
        path = directory / e.file
        size = f"{path.stat().st_size / 1e6:.1f} MB" if path.is_file() else "MISSING"
        w, h = e.input_size
        print(f"{e.name}: {e.file} ({size}), {e.layout} {w}x{h}, {len(e.classes)} classes, "
              f"licence {e.licence or 'unknown'}, source {e.source or 'unknown'}, "
              f"sha256 {e.sha256[:12]}...")
    return 0


# --------------------------------------------------------------------------- verify


def run_verify(args: argparse.Namespace) -> int:
    from frontdesk.detectors.manifest import (
        MANIFEST_NAME,
        entry_problem,
        load_manifest,
        manifest_path,
    )
    from frontdesk.errors import FrontdeskError, ModelError

    directory = models_dir_for(args)
    manifest = load_manifest(directory)
    failed = 0
    for e in manifest.models:
        problem = entry_problem(e, directory)
        if problem is None and args.load:
            from frontdesk.detectors.onnx_person import OnnxPersonDetector

            try:
                OnnxPersonDetector.from_entry(e, directory / e.file).close()
            except ModelError as exc:
                problem = str(exc)
        if problem:
            failed += 1
            print(f"FAIL {e.name}: {problem}")
        else:
            print(f"OK   {e.name}: {e.file} sha256 {e.sha256[:12]}..."
                  f"{' loads, layout ' + e.layout if args.load else ''}")
    listed = {e.file for e in manifest.models} | {MANIFEST_NAME}
    if directory.is_dir():
        for extra in sorted(p.name for p in directory.glob("*.onnx") if p.name not in listed):
            print(f"note {extra}: not in the manifest (never loaded)")
    if failed:
        raise FrontdeskError(f"{failed} of {len(manifest.models)} model(s) failed verification "
                             f"({manifest_path(directory)})")
    print(f"{manifest_path(directory)}: {len(manifest.models)} model(s) verified")
    return 0


# --------------------------------------------------------------------------- add


def run_add(args: argparse.Namespace) -> int:
    from frontdesk.detectors.manifest import (
        Manifest,
        ModelEntry,
        load_manifest,
        save_manifest,
        sha256_file,
    )
    from frontdesk.detectors.onnx_person import OnnxPersonDetector
    from frontdesk.errors import FrontdeskError

    directory = models_dir_for(args)
    src = Path(args.file)
    if not src.is_file():
        raise FrontdeskError(f"{src}: no such file")
    manifest = load_manifest(directory)
    if args.name in manifest.names() and not args.replace:
        raise FrontdeskError(f"a model called {args.name!r} is already in the manifest; "
                             f"use --replace to replace it")
    classes = [c.strip() for c in args.classes.split(",")] if args.classes else None
    if classes is not None and (not all(classes) or "person" not in classes):
        raise FrontdeskError("--classes must be comma-separated names including 'person'")
    person_id = classes.index("person") if classes else 0
    size = (int(args.input_size[0]), int(args.input_size[1])) if args.input_size else None
    probe = OnnxPersonDetector(src, layout=args.layout, input_size=size, class_names=classes,
                               class_ids=(person_id,))
    layout, input_size, out_shape = probe.layout, probe.input_size, probe.output_shape
    probe.close()

    dest = directory / src.name
    others = [e for e in manifest.models if e.file == dest.name and e.name != args.name]
    if others:
        raise FrontdeskError(f"{dest} already belongs to model {others[0].name!r}; rename "
                             f"the file before adding it")
    src_sha = sha256_file(src)
    _copy_into(src, dest)
    dest_sha = sha256_file(dest)
    if dest_sha != src_sha:
        raise FrontdeskError(f"copying {src} to {dest} changed its checksum; check the disk")
    entry = ModelEntry(
        name=args.name, file=dest.name, sha256=dest_sha, input_size=input_size, layout=layout,
        licence=args.licence, source=args.source, class_names=classes or [],
    )
    kept = [e for e in manifest.models if e.name != args.name]
    path = save_manifest(Manifest(models=[*kept, entry]), directory)
    w, h = input_size
    print(f"added {args.name}: {dest} ({layout}, input {w}x{h}, output "
          f"{list(out_shape)}, sha256 {dest_sha[:12]}...) to {path}")
    if not args.licence:
        print("note: no --licence given; record the weights' licence before you ship them")
    return 0


def _copy_into(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` atomically (no half-written model file is ever visible)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists() and os.path.samefile(src, dest):
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}-", dir=dest.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; models are not secrets
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log.debug("copied %s to %s", src, dest)

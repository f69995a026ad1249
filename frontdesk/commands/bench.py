"""`frontdesk bench TARGET`: measure one stage of the pipeline.

Targets are the modules of :mod:`frontdesk.bench`, found automatically; each
adds its own sub-parser (see that package's docstring).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil


def register(sub: argparse._SubParsersAction) -> None:
    import frontdesk.bench as pkg

    p = sub.add_parser("bench", help="measure the speed of a pipeline stage (e.g. perception)")
    targets = p.add_subparsers(dest="target", title="targets", required=True)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"frontdesk.bench.{info.name}")
        if hasattr(module, "register"):
            module.register(targets)

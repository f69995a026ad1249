"""Benchmarks behind ``frontdesk bench TARGET``.

Each public module here is one target: it defines ``register(targets)``, which
adds its sub-parser to ``targets`` (an argparse sub-parsers object) with
``set_defaults(func=...)``, exactly like the modules in :mod:`frontdesk.commands`.
``frontdesk/commands/bench.py`` finds the modules by itself, so a new target is a
new module here and nothing else. Import heavy dependencies inside functions.

Shared helpers: :mod:`frontdesk.bench.cpu` (pinning to one core).
"""

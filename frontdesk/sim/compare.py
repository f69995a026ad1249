"""Compare two ``frontdesk eval --details`` files row by row: which true visits an
engine change scored differently, and which engine visits left unmatched came or went.

::

    python -m frontdesk.sim.compare BEFORE.jsonl AFTER.jsonl

A row is keyed by its true visit (``truth.visit``), or, for an engine visit no true
visit matched, by when the engine first saw it (``engine.first_seen_t``; two first
seen on one frame are told apart by their order in the file, ``#2``). The engine's
visit and track ids are left out of the comparison: they count up over the run, so
one visit more or less early on renumbers every later one, and a plain ``diff`` of
the two files then shows every row. What is printed for each row that differs: the
person, the engine's arrival, acknowledgement, departure, outcome and alert, the
latency error, the departure delay and, for a left-over visit, the true visit it
splits; then every field the two rows differ in by name (``differs in:
engine.context``), since the brief lines may show none of them. The exit status
is 0 whether or not rows differ (2 for a file that cannot be read).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

__all__ = ["load_details", "differences", "changed_fields", "main"]

_IDS = ("visit_id", "track_id")
"""Engine fields left out of the comparison (they count up over the run)."""

Key = tuple[str, str]


def load_details(path: str | Path) -> dict[Key, dict[str, Any]]:
    """The rows of one details file (JSON Lines), keyed as the module says, the
    engine's ids taken out."""
    rows: dict[Key, dict[str, Any]] = {}
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}, line {number}: not JSON ({exc.msg})") from None
            engine = row.get("engine")
            if isinstance(engine, dict):
                row["engine"] = {k: v for k, v in engine.items() if k not in _IDS}
            truth = row.get("truth")
            if isinstance(truth, dict):
                key: Key = ("truth", str(truth.get("visit")))
            elif isinstance(engine, dict):
                key = ("engine", f"{engine.get('first_seen_t')}")
                n = 2
                while key in rows:  # another left-over visit first seen on that frame
                    key = ("engine", f"{engine.get('first_seen_t')}#{n}")
                    n += 1
            else:
                raise ValueError(f"{path}, line {number}: a row with neither truth nor engine")
            rows[key] = row
    return rows


def differences(before: dict[Key, dict[str, Any]], after: dict[Key, dict[str, Any]]
                ) -> list[tuple[Key, dict[str, Any] | None, dict[str, Any] | None]]:
    """The rows that differ, in key order: (key, row before or None, row after or None)."""
    keys = sorted(set(before) | set(after), key=_order)
    return [(k, before.get(k), after.get(k)) for k in keys
            if json.dumps(before.get(k), sort_keys=True) != json.dumps(after.get(k),
                                                                        sort_keys=True)]


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    """The fields two rows differ in, by name (``engine.left_t``; a side's whole name,
    ``engine``, when one row has it and the other not), sorted: what the brief lines
    may not show (the context, the moment a departure was told)."""
    if old is None or new is None:
        return []
    out = []
    for field in sorted(set(old) | set(new)):
        a, b = old.get(field), new.get(field)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out += [f"{field}.{k}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
        else:
            out.append(field)
    return out


def _order(key: Key) -> tuple[int, float, str]:
    """True visits by id, then left-over engine visits by when they were first seen
    (a key without a time last)."""
    kind, value = key
    if kind == "truth":
        return 0, 0.0, value
    first_seen, _, _ = value.partition("#")
    try:
        return 1, float(first_seen), value
    except ValueError:
        return 1, float("inf"), value


def _brief(row: dict[str, Any] | None) -> str:
    if row is None:
        return "-"
    truth, engine = row.get("truth"), row.get("engine")
    parts = []
    if truth:
        parts.append(str(truth.get("person")))
    if engine:
        parts.append("arrived {} ack {} left {} {}{}".format(
            engine.get("arrival_t"), engine.get("ack_t"), engine.get("left_t"),
            engine.get("outcome"), " alert" if engine.get("alert") else ""))
    else:
        parts.append("not matched")
    for field, label in (("latency_error_s", "latency error"),
                         ("departure_delay_s", "departure delay"),
                         ("split_of", "split of"), ("glimpse_of", "glimpse of")):
        if row.get(field) is not None:
            parts.append(f"{label} {row[field]}")
    return ", ".join(parts)


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m frontdesk.sim.compare",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("before", help="details file (frontdesk eval --details)")
    parser.add_argument("after", help="details file of the same run, another engine")
    args = parser.parse_args(argv)
    out = out or sys.stdout
    try:
        before, after = load_details(args.before), load_details(args.after)
    except (OSError, ValueError) as exc:
        print(f"compare: {exc}", file=sys.stderr)
        return 2
    found = differences(before, after)
    for (kind, value), old, new in found:
        print(f"{kind} {value}\n  before: {_brief(old)}\n  after:  {_brief(new)}", file=out)
        fields = changed_fields(old, new)
        if fields:
            print(f"  differs in: {', '.join(fields)}", file=out)
    print(f"{len(found)} of {len(set(before) | set(after))} rows differ", file=out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

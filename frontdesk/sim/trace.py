"""Trace a stretch of a run through the engine and print what it holds: for finding
why a visit split, was swapped or was noticed leaving late. (Not
:mod:`frontdesk.replay`, which plays observations to ``frontdesk run``.)

::

    python -m frontdesk.sim.trace RUN --start 18140 --end 18190
    python -m frontdesk.sim.trace RUN --start 18140 --end 18190 --every 0.5 --candidates

``RUN`` is a folder of ``frontdesk simulate`` (or of ``frontdesk eval --video ...
--save-observations`` with its truth and config). The engine starts ``--warmup``
seconds before ``--start`` (60 by default: enough for the visits open at ``--start``
to have opened; a trace from a later start is not always the whole run's engine,
so confirm what it shows with ``frontdesk eval RUN --details F``). Every ``--every``
seconds it prints the frame's time, the faces seen, where the truth's people are
(their samples, when the truth has them), and each open visit: its track, arrival,
acknowledgement, and, for a customer held unseen, her held place, whether it is
occupied this frame, whether she walked off and when her place or someone walking
last kept her. Events are printed as they happen. ``--candidates``: also every
lost customer a new face may continue, with its evidence tier and clothes
(``VisitBook._adopt``'s debug log).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

__all__ = ["main", "trace"]


def _truth_people(truth_path: Path) -> list[dict[str, Any]]:
    """The truth's visits that carry position samples (empty without a truth file)."""
    if not truth_path.is_file():
        return []
    visits = json.loads(truth_path.read_text()).get("visits", [])
    return [v for v in visits if v.get("samples")]


def _where(people: list[dict[str, Any]], t: float) -> str:
    """The truth's people sampled within 0.3 s of ``t``: ``person@(x, y)``."""
    out = []
    for v in people:
        if not v["samples"][0][0] - 0.3 <= t <= v["samples"][-1][0] + 0.3:
            continue
        near = [s for s in v["samples"] if abs(s[0] - t) <= 0.3]
        if near:
            out.append(f"{v['person']}@({near[0][1]:.3f}, {near[0][2]:.3f})")
    return " ".join(out)


def _visit_line(row: dict[str, Any]) -> str:
    def t(value: object) -> str:
        return "-" if value is None else f"{value:.2f}"

    line = (f"    {row['visit']} track {row['track']} {'seen' if row['seen'] else 'held'} "
            f"at ({row['x']:.3f}, {row['y']:.3f}) arrived {t(row['arrival_t'])} "
            f"ack {t(row['ack_t'])}{'' if row['confirmed'] else ' unconfirmed'}")
    if row["unseen_since_t"] is not None:
        line += (f" | unseen since {t(row['unseen_since_t'])} place {row['held']} "
                 f"occupied {row['occupied']}{' hidden' if row['hidden'] else ''}"
                 f"{' walked off' if row['walked_off'] else ''} present {t(row['present_t'])}"
                 f" walking {t(row['walking_t'])} signatures {row['signatures']}")
    return line


def trace(run_dir: str | Path, start: float, end: float, every: float = 1.0,
          warmup: float = 60.0, out: TextIO | None = None) -> int:
    """Feed the run's observations from ``start - warmup`` to ``end`` to a fresh engine
    and print its open visits every ``every`` seconds from ``start``; the number of
    frames fed (printed to ``out``, standard output by default)."""
    from frontdesk.pipeline import FramePipeline
    from frontdesk.sim.runs import load_run

    out = out or sys.stdout
    run = load_run(run_dir)
    people = _truth_people(Path(run_dir) / "truth.json")
    ids = itertools.count(1)
    pipeline = FramePipeline(run.config, perceive=False, id_factory=lambda: f"r{next(ids):06d}")
    engine = pipeline.require_engine()
    next_t, frames = start, 0
    for obs in run.observations():
        if obs.t < start - warmup:
            continue
        if obs.t > end:
            break
        frames += 1
        events = pipeline.update(obs)
        if obs.t < start:
            continue
        for event in events:
            print(f"  event {obs.t:.2f} {event.type.value} visit {event.visit_id} "
                  f"track {event.track_id}", file=out)
        if obs.t + 1e-9 >= next_t:
            next_t = obs.t + every
            print(f"t={obs.t:.2f} faces {len(obs.faces)} truth: {_where(people, obs.t)}",
                  file=out)
            for row in engine.visits.describe():
                print(_visit_line(row), file=out)
    return frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m frontdesk.sim.trace",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("run", help="run folder (observations.jsonl, config.yaml, truth.json)")
    parser.add_argument("--start", type=float, required=True, help="first time printed, s")
    parser.add_argument("--end", type=float, required=True, help="last time fed, s")
    parser.add_argument("--every", type=float, default=1.0, help="print every this many s")
    parser.add_argument("--warmup", type=float, default=60.0,
                        help="feed the engine from this long before --start")
    parser.add_argument("--candidates", action="store_true",
                        help="print every lost customer a new face may continue")
    args = parser.parse_args(argv)
    if args.end < args.start or args.every <= 0 or args.warmup < 0:
        parser.error("--end must not be before --start; --every must be positive, "
                     "--warmup not negative")
    if args.candidates:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("  candidates: %(message)s"))
        visits_log = logging.getLogger("frontdesk.engine.visits")
        visits_log.addHandler(handler)
        visits_log.setLevel(logging.DEBUG)
    from frontdesk.errors import FrontdeskError

    try:
        trace(args.run, args.start, args.end, args.every, args.warmup)
    except FrontdeskError as exc:
        print(f"trace: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

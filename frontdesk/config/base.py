"""What every config section shares: the strict base model, the error a person
can fix, located cross-field errors, and the zone polygon check."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ConfigError",
    "ConfigModel",
    "LocatedError",
    "Point",
    "Polygon",
    "check_polygon",
    "describe_problem",
    "polygon_problem",
]

Point = tuple[float, float]
Polygon = list[Point]


class ConfigError(Exception):
    """A configuration problem a person can fix: the message names key and line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class LocatedError(ValueError):
    """A cross-field problem found by a model validator, with the key path it concerns.

    Pydantic reports a model validator's error at the model itself; ``parse_config``
    appends ``loc`` so the message names the offending key and its line.
    """

    def __init__(self, loc: tuple[str | int, ...], message: str):
        self.loc = loc
        super().__init__(message)


class ConfigModel(BaseModel):
    """Base of every section: unknown keys are refused, assignments validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


def describe_problem(err: Mapping[str, Any]) -> str:
    """One pydantic error as the words a config message ends with."""
    msg = str(err.get("msg", "invalid"))
    if err.get("type") == "extra_forbidden":
        return "unknown key (check the spelling; see config/frontdesk.yaml for every key)"
    if err.get("type") == "missing":
        return "required key is missing"
    return msg.removeprefix("Value error, ")


# --------------------------------------------------------------------------- polygons


def _segments_cross(a: Point, b: Point, c: Point, d: Point) -> bool:
    """True when segment ab properly crosses segment cd (touching ends excluded)."""

    def orient(p: Point, q: Point, r: Point) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    o1, o2 = orient(a, b, c), orient(a, b, d)
    o3, o4 = orient(c, d, a), orient(c, d, b)
    return o1 * o2 < 0 and o3 * o4 < 0


def polygon_problem(points: list[Point]) -> str | None:
    """Why ``points`` is not a usable zone polygon, or None when it is.

    Checks: at least 3 points, every coordinate inside the frame (0 to 1), not
    self-intersecting, and a non-zero area.
    """
    if len(points) < 3:
        return f"a polygon needs at least 3 points, got {len(points)}"
    for i, (x, y) in enumerate(points):
        if not (math.isfinite(x) and math.isfinite(y)):
            return f"point {i} is not a finite number"
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            return f"point {i} ({x}, {y}) is outside the frame: coordinates run from 0 to 1"
    n = len(points)
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbours share a vertex
            if _segments_cross(*edges[i], *edges[j]):
                return f"the polygon crosses itself (edge {i} crosses edge {j})"
    area = 0.5 * abs(
        sum(
            points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1]
            for i in range(n)
        )
    )
    if area < 1e-6:
        return "the polygon has no area"
    return None


def check_polygon(v: Polygon | None) -> Polygon | None:
    """A field validator's body: ``v`` unchanged, or ValueError saying what is wrong."""
    if v is None:
        return v
    problem = polygon_problem(v)
    if problem:
        raise ValueError(problem)
    return v

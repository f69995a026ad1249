"""``counters:``: each counter's id and its zones (polygons in normalised image
coordinates, 0 to 1, so a change of camera resolution breaks nothing)."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator, model_validator

from frontdesk.config.base import (
    ConfigModel,
    LocatedError,
    Polygon,
    check_polygon,
    polygon_problem,
)

__all__ = ["CounterConfig", "ZonesConfig", "MAX_ZONE_OVERLAP", "overlap_share"]

MAX_ZONE_OVERLAP = 0.3
"""Refused: a customer zone covering more than this share of the staff zone, or the
reverse. A face standing in both kinds of zone gives no evidence of its role, so staff
under a service zone are never recognised as staff."""

_GRID = 80


def _inside(poly: Polygon, xs: list[float], ys: list[float]) -> list[list[bool]]:
    """Even-odd point-in-polygon test on a grid (no numpy: config imports nothing heavy)."""
    out = []
    n = len(poly)
    for y in ys:
        crossings = []
        for i in range(n):
            (x0, y0), (x1, y1) = poly[i], poly[(i + 1) % n]
            if (y0 > y) != (y1 > y):
                crossings.append(x0 + (y - y0) * (x1 - x0) / (y1 - y0))
        crossings.sort()
        row = []
        for x in xs:
            row.append(sum(1 for c in crossings if c < x) % 2 == 1)
        out.append(row)
    return out


def overlap_share(a: Polygon, b: Polygon) -> tuple[float, float]:
    """The share of ``a`` inside ``b`` and of ``b`` inside ``a`` (on an 80 x 80 grid of
    the polygons' common bounding box; 0 at once when their bounding boxes are apart)."""
    if (max(p[0] for p in a) <= min(p[0] for p in b) or max(p[0] for p in b) <= min(p[0] for p in a)
            or max(p[1] for p in a) <= min(p[1] for p in b)
            or max(p[1] for p in b) <= min(p[1] for p in a)):
        return (0.0, 0.0)  # bounding boxes apart: the usual case, no grid needed
    pts = list(a) + list(b)
    x_lo, x_hi = min(p[0] for p in pts), max(p[0] for p in pts)
    y_lo, y_hi = min(p[1] for p in pts), max(p[1] for p in pts)
    xs = [x_lo + (x_hi - x_lo) * (i + 0.5) / _GRID for i in range(_GRID)]
    ys = [y_lo + (y_hi - y_lo) * (i + 0.5) / _GRID for i in range(_GRID)]
    in_a, in_b = _inside(a, xs, ys), _inside(b, xs, ys)
    n_a = n_b = both = 0
    for row_a, row_b in zip(in_a, in_b, strict=True):
        for pa, pb in zip(row_a, row_b, strict=True):
            n_a += pa
            n_b += pb
            both += pa and pb
    return (both / n_a if n_a else 0.0, both / n_b if n_b else 0.0)


class ZonesConfig(ConfigModel):
    approach: Polygon | None = Field(None, description="Where customers walk toward the counter.")
    service: Polygon = Field(..., description="Where a customer stands at the counter.")
    staff: Polygon = Field(..., description="Behind the counter, where staff stand.")
    ignore: list[Polygon] = Field(
        default_factory=list, description="Masks: faces here are ignored (posters, screens)."
    )
    focus: list[Polygon] = Field(
        default_factory=list,
        description="Focus-work zones (a dispensing bench, a safe, a cash count): staff here "
        "are not expected to look up. While every staff member present is in one, the "
        "waiting alert is held until engine.focus_alert_after_s and the wait is recorded as "
        "focus_work. Draw them inside or beside the staff zone; the staff zone gives the role.",
    )

    _v_approach = field_validator("approach")(classmethod(lambda cls, v: check_polygon(v)))
    _v_service = field_validator("service")(classmethod(lambda cls, v: check_polygon(v)))
    _v_staff = field_validator("staff")(classmethod(lambda cls, v: check_polygon(v)))

    @field_validator("ignore", "focus")
    @classmethod
    def _v_polygon_list(cls, v: list[Polygon], info: ValidationInfo) -> list[Polygon]:
        for i, poly in enumerate(v):
            problem = polygon_problem(poly)
            if problem:
                raise ValueError(f"{info.field_name}[{i}]: {problem}")
        return v

    @model_validator(mode="after")
    def _customer_zones_off_the_staff_zone(self) -> ZonesConfig:
        for kind, poly in (("service", self.service), ("approach", self.approach)):
            if poly is None:
                continue
            in_staff, staff_in = overlap_share(poly, self.staff)
            if max(in_staff, staff_in) > MAX_ZONE_OVERLAP:
                raise LocatedError((kind,), (
                    f"the {kind} zone overlaps the staff zone ({round(100 * staff_in)} % of "
                    f"the staff zone, {round(100 * in_staff)} % of the {kind} zone): a person "
                    f"standing in both gets no role, so staff there would never count as "
                    f"staff. Draw the {kind} zone where customers stand, clear of the staff "
                    f"zone"))
        return self


class CounterConfig(ConfigModel):
    id: str = Field(
        ...,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Counter id used in topics, the store and reports.",
    )
    name: str | None = Field(None, max_length=120, description="Human name for dashboards.")
    zones: ZonesConfig
    enabled: bool = Field(True, description="A disabled counter raises no alerts.")

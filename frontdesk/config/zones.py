"""``counters:``: each counter's id and its zones (polygons in normalised image
coordinates, 0 to 1, so a change of camera resolution breaks nothing)."""

from __future__ import annotations

from pydantic import Field, field_validator

from frontdesk.config.base import ConfigModel, Polygon, check_polygon, polygon_problem

__all__ = ["CounterConfig", "ZonesConfig"]


class ZonesConfig(ConfigModel):
    approach: Polygon | None = Field(None, description="Where customers walk toward the counter.")
    service: Polygon = Field(..., description="Where a customer stands at the counter.")
    staff: Polygon = Field(..., description="Behind the counter, where staff stand.")
    ignore: list[Polygon] = Field(
        default_factory=list, description="Masks: faces here are ignored (posters, screens)."
    )

    _v_approach = field_validator("approach")(classmethod(lambda cls, v: check_polygon(v)))
    _v_service = field_validator("service")(classmethod(lambda cls, v: check_polygon(v)))
    _v_staff = field_validator("staff")(classmethod(lambda cls, v: check_polygon(v)))

    @field_validator("ignore")
    @classmethod
    def _v_ignore(cls, v: list[Polygon]) -> list[Polygon]:
        for i, poly in enumerate(v):
            problem = polygon_problem(poly)
            if problem:
                raise ValueError(f"ignore[{i}]: {problem}")
        return v


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

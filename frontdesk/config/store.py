"""``store:``: where visits are kept, and for how long."""

from __future__ import annotations

from pydantic import Field

from frontdesk.config.base import ConfigModel

__all__ = ["StoreConfig"]


class StoreConfig(ConfigModel):
    path: str = Field("data/frontdesk.db", description="SQLite file, or a postgresql:// URL.")
    retention_days: int = Field(
        90, ge=1, le=3650, description="Visits older than this are deleted."
    )

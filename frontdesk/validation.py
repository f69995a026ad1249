"""Checks shared by the config and the model manifest."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["reject_duplicates"]


def reject_duplicates(names: Iterable[str], what: str) -> None:
    """ValueError naming the first of ``names`` that comes twice, e.g. "counter id
    'front' is used twice"; in a pydantic validator it becomes an error with the
    key and, for the config, the line."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{what} {name!r} is used twice")
        seen.add(name)

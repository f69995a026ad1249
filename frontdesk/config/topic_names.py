"""Topic names: what one level of a topic, and a topic prefix, may hold.

Used both to validate ``mqtt.topic_prefix`` and by the topic contract
(:mod:`frontdesk.mqtt.topics` re-exports it).
"""

from __future__ import annotations

__all__ = ["topic_level_problem", "topic_prefix_problem"]


def topic_level_problem(level: str) -> str | None:
    """Why ``level`` cannot be one level of a topic name, or None when it can."""
    if not level:
        return "a topic level cannot be empty"
    for ch, name in (("/", "'/'"), ("+", "the wildcard '+'"), ("#", "the wildcard '#'"),
                     ("\x00", "a NUL character")):
        if ch in level:
            return f"the level {level!r} contains {name}"
    return None


def topic_prefix_problem(prefix: str) -> str | None:
    """Why ``prefix`` cannot start a topic name (levels joined by '/'), or None."""
    if prefix.startswith("$"):
        return "a topic cannot start with '$' (reserved for the broker)"
    levels = prefix.split("/")
    for level in levels:
        problem = topic_level_problem(level)
        if problem:
            return problem if len(levels) == 1 else f"in {prefix!r}: {problem}"
    return None

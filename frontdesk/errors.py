"""Errors a person can act on. The CLI prints their message, never a traceback."""

from __future__ import annotations

__all__ = ["FrontdeskError", "SourceError", "ModelError"]


class FrontdeskError(Exception):
    """A problem with a clear message for the user (bad input, missing file, ...)."""

    exit_code = 2


class SourceError(FrontdeskError):
    """A video source cannot be opened or understood."""


class ModelError(FrontdeskError):
    """A model cannot be loaded."""

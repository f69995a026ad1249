"""Shared pieces of the perception tests (a module of its own, so that test files
can import them whatever order pytest loads the suite's conftest files in)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from frontdesk.sim.face_render import RenderedFace
from frontdesk.types import Face

__all__ = ["FOV_DEG", "SWEEP_DEG", "Render"]

FOV_DEG = 60.0
"""Field of view the 512x512 test images are taken to have."""

SWEEP_DEG = (-30, -20, -10, 0, 10, 20, 30)


@dataclass
class Render:
    """A rendered test image, what was rendered, and what perception saw."""

    image: np.ndarray
    truth: RenderedFace
    faces: list[Face]

    @property
    def face(self) -> Face:
        assert len(self.faces) == 1, f"expected one face, perception saw {len(self.faces)}"
        return self.faces[0]



"""What people wear, for the colour signature perception measures under each face.

Perception's appearance cue (:mod:`frontdesk.perception.appearance`) measures
the colours of the chest under each face. The simulator has no pixels, so it
makes the few a signature needs: for each face on each frame, a small patch of
the person's clothes colour, with the things that spoil a real chest box mixed
in, and hands it to the same :func:`~frontdesk.perception.appearance.patch_signatures`
perception uses. The draws are guesses, chosen to be harder than a shop
usually is, and documented in docs/simulator.md ("Clothes"):

* **Colours**: 30 % black or charcoal, 15 % grey or white, 15 % navy, 40 %
  any other colour. Dark coats are common and look alike to a colour
  histogram; the cue must not rely on everyone wearing a different colour.
* **Light**: the patch's brightness changes by ``light_sigma`` (8 %) from frame
  to frame (auto-exposure, the person turning); each pixel by ``pixel_sigma``
  grey levels (sensor noise).
* **Wall**: a share of the box shows the wall or counter behind (arms,
  shoulders narrower than the box, walking), drawn per frame from a Beta
  distribution with mean 16 % (of the part nobody in front covers).
* **People in front**: where a nearer person's body covers the chest box, the
  patch's cells there take the nearer person's colours (a queue seen at an
  angle). Perception leaves out the cells inside the body it estimates from a
  nearer face it sees (:func:`~frontdesk.perception.appearance.nearer_bodies`);
  so does this model, from the faces seen on the frame, and what the estimate
  misses (a nearer body wider than it, or whose face was not found) stays mixed
  in.

Without noise (the "none" preset) the patch is the clothes colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from frontdesk.perception.appearance import (
    MIN_UNCOVERED,
    patch_signatures,
    torso_box,
    uncovered_cells,
    visible_chest,
)

__all__ = ["ClothesModel", "ChestView", "clothes_colour"]

Box = tuple[float, float, float, float]


def clothes_colour(rng: np.random.Generator) -> np.ndarray:
    """One person's clothes colour (BGR, 0-255 floats), drawn as the module describes."""
    r = rng.random()
    if r < 0.30:  # black, charcoal
        h, s, v = rng.uniform(0, 180), rng.uniform(0, 60), rng.uniform(20, 70)
    elif r < 0.45:  # grey, white
        h, s, v = rng.uniform(0, 180), rng.uniform(0, 35), rng.uniform(110, 240)
    elif r < 0.60:  # navy
        h, s, v = rng.uniform(105, 125), rng.uniform(80, 200), rng.uniform(50, 110)
    else:
        h, s, v = rng.uniform(0, 180), rng.uniform(70, 230), rng.uniform(70, 230)
    hsv = np.array([[[h, s, v]]], dtype=np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0].astype(np.float64)


@dataclass(frozen=True)
class ChestView:
    """One face on one frame, as the clothes model needs it."""

    bbox: Box
    colour: np.ndarray
    depth_m: float
    covers: tuple[Box, ...] = ()
    """The bodies perception leaves out of this chest (nearer faces seen on the frame,
    :func:`~frontdesk.perception.appearance.nearer_bodies`)."""


@dataclass(frozen=True)
class ClothesModel:
    """How a chest box's colours are spoiled (see the module docstring)."""

    patch_px: int = 6
    light_sigma: float = 0.08
    pixel_sigma: float = 10.0
    wall_share: tuple[float, float] = (1.5, 8.0)
    wall_bgr: tuple[float, float, float] = (150.0, 152.0, 148.0)

    def signatures(self, chests: list[ChestView], bodies: list[tuple[Box, np.ndarray, float]],
                   width: int, height: int, rng: np.random.Generator | None
                   ) -> list[np.ndarray | None]:
        """The signature perception would measure for each chest (None: mostly out of
        the frame). ``bodies``: (box, colour, depth) of everyone in view, for the
        people in front; ``rng`` None: no noise."""
        n = self.patch_px
        n_px = n * n
        patches: list[np.ndarray] = []
        keeps: list[np.ndarray] = []
        measured: list[int] = []
        for i, chest in enumerate(chests):
            if visible_chest(chest.bbox, width, height) is None:
                continue  # perception has no signature for a chest mostly out of frame
            box = torso_box(chest.bbox)
            px = np.tile(chest.colour, (n_px, 1))
            if rng is not None:
                order = rng.permutation(n_px)
                front = np.zeros(n_px, dtype=bool)
                for body, colour, depth in bodies:
                    if depth >= chest.depth_m - 0.05:
                        continue  # behind her (or herself)
                    cells = ~uncovered_cells(box, (body,), n).ravel() & ~front
                    px[cells] = colour
                    front |= cells
                # The wall shows beside her in the same share where nobody covers her.
                free = order[~front[order]]
                k = int(round(len(free) * rng.beta(*self.wall_share)))
                px[free[:k]] = self.wall_bgr
                px = px * (1.0 + rng.normal(0.0, self.light_sigma))
                px = px + rng.normal(0.0, self.pixel_sigma, px.shape)
            keep = uncovered_cells(box, chest.covers, n)
            if keep.mean() < MIN_UNCOVERED:
                continue  # perception: too little left uncovered to say
            patches.append(np.clip(px, 0, 255).astype(np.uint8).reshape(n, n, 3))
            keeps.append(keep)
            measured.append(i)
        out: list[np.ndarray | None] = [None] * len(chests)
        if patches:
            sigs = patch_signatures(np.stack(patches), np.stack(keeps))
            for i, sig in zip(measured, sigs, strict=True):
                out[i] = sig
        return out

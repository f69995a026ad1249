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
  distribution with mean 16 %.
* **People in front**: where a nearer person's body covers the chest box, that
  share of the patch takes the nearer person's colours (a queue seen at an
  angle).

Without noise (the "none" preset) the patch is the clothes colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from frontdesk.perception.appearance import patch_signatures, torso_box, visible_chest

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
        n_px = self.patch_px * self.patch_px
        patches: list[np.ndarray] = []
        measured: list[int] = []
        for i, chest in enumerate(chests):
            if visible_chest(chest.bbox, width, height) is None:
                continue  # perception has no signature for a chest mostly out of frame
            x0, y0, x1, y1 = torso_box(chest.bbox)
            area = (x1 - x0) * (y1 - y0)
            px = np.tile(chest.colour, (n_px, 1))
            if rng is not None:
                order = rng.permutation(n_px)
                start = 0
                for box, colour, depth in bodies:
                    if depth >= chest.depth_m - 0.05:
                        continue  # behind her (or herself)
                    ov = (max(0.0, min(x1, box[2]) - max(x0, box[0]))
                          * max(0.0, min(y1, box[3]) - max(y0, box[1])))
                    k = int(round(n_px * ov / area))
                    px[order[start:start + k]] = colour
                    start += k
                k = int(round(n_px * rng.beta(*self.wall_share)))
                px[order[start:start + k]] = self.wall_bgr
                px = px * (1.0 + rng.normal(0.0, self.light_sigma))
                px = px + rng.normal(0.0, self.pixel_sigma, px.shape)
            patches.append(np.clip(px, 0, 255).astype(np.uint8).reshape(
                self.patch_px, self.patch_px, 3))
            measured.append(i)
        out: list[np.ndarray | None] = [None] * len(chests)
        if patches:
            for i, sig in zip(measured, patch_signatures(np.stack(patches)), strict=True):
                out[i] = sig
        return out

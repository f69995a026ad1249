"""The colour signature of the clothes under a face, on real photographs.

The astronaut wears a white and orange suit under her face; Grace Hopper a navy
uniform. The same photograph under other light must keep its signature; the two
people must differ; and the pipeline must attach a signature to every face whose
chest is in the frame.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import pytest

from frontdesk.engine.places import LOOK_DIFFERENT, LOOK_SAME
from frontdesk.perception.appearance import (
    SIGNATURE_BINS,
    patch_signatures,
    torso_box,
    torso_signature,
)
from frontdesk.types import (
    Face,
    signature_colour_share,
    signature_distance,
    signature_from_hex,
    signature_to_hex,
)


@pytest.fixture(scope="module")
def hopper_bgr() -> np.ndarray:
    from frontdesk.render.faces import photo

    return photo("hopper")


def _one_face(perceive: Callable[[np.ndarray], list[Face]], image: np.ndarray) -> Face:
    faces = perceive(image)
    assert len(faces) == 1
    return faces[0]


def test_a_signature_is_shares_of_colours() -> None:
    patches = np.random.default_rng(1).integers(0, 256, (4, 6, 6, 3), dtype=np.uint8)
    sigs = patch_signatures(patches)
    assert sigs.shape == (4, SIGNATURE_BINS)
    assert np.allclose(sigs.sum(axis=1), 1.0, atol=1e-5)
    assert (sigs >= 0).all()


def test_hue_bins_are_soft_so_a_colour_on_a_bin_edge_does_not_flip() -> None:
    # Two oranges 2 degrees of hue apart, either side of a bin edge (OpenCV hue 15).
    a = cv2.cvtColor(np.full((1, 6, 6, 3), (14, 200, 200), np.uint8)[0], cv2.COLOR_HSV2BGR)
    b = cv2.cvtColor(np.full((1, 6, 6, 3), (16, 200, 200), np.uint8)[0], cv2.COLOR_HSV2BGR)
    sa, sb = patch_signatures(np.stack([a, b]))
    assert signature_distance(sa, sb) < 0.15


def test_black_grey_and_white_are_not_colours() -> None:
    black, white, red = patch_signatures(np.stack([
        np.full((6, 6, 3), v, np.uint8) for v in ((20, 20, 20), (230, 230, 230), (30, 30, 200))]))
    assert signature_colour_share(black) == 0.0
    assert signature_colour_share(white) == 0.0
    assert signature_colour_share(red) == pytest.approx(1.0)
    assert signature_distance(black, white) == pytest.approx(1.0)


def test_hex_round_trip_keeps_the_signature() -> None:
    sig = patch_signatures(np.random.default_rng(2).integers(0, 256, (1, 6, 6, 3),
                                                             dtype=np.uint8))[0]
    back = signature_from_hex(signature_to_hex(sig))
    assert signature_distance(sig, back) < 0.05


def test_same_clothes_under_other_light_are_the_same_and_two_people_differ(
        astronaut_bgr: np.ndarray, hopper_bgr: np.ndarray,
        perceive: Callable[[np.ndarray], list[Face]]) -> None:
    astro = _one_face(perceive, astronaut_bgr)
    hopper = _one_face(perceive, hopper_bgr)
    a = torso_signature(astronaut_bgr, astro.bbox)
    h = torso_signature(hopper_bgr, hopper.bbox)
    assert a is not None and h is not None
    for gain in (0.6, 1.3):  # a dimmer and a brighter exposure of the same scene
        lit = np.clip(astronaut_bgr.astype(np.float32) * gain, 0, 255).astype(np.uint8)
        again = torso_signature(lit, astro.bbox)
        assert again is not None
        assert signature_distance(a, again) <= LOOK_SAME, gain
    assert signature_distance(a, h) >= LOOK_DIFFERENT


def test_a_chest_mostly_out_of_the_frame_has_no_signature(astronaut_bgr: np.ndarray) -> None:
    height = astronaut_bgr.shape[0]
    face_at_bottom = (200.0, height - 60.0, 300.0, height - 10.0)
    assert torso_box(face_at_bottom)[1] > height - 10.0
    assert torso_signature(astronaut_bgr, face_at_bottom) is None


def test_the_pipeline_gives_each_face_its_clothes(astronaut_bgr: np.ndarray) -> None:
    from frontdesk.config import Config
    from frontdesk.pipeline import FramePipeline
    from frontdesk.sim.runs import sim_config
    from frontdesk.types import Frame

    config = sim_config()
    with FramePipeline(config, engine=False) as pipeline:
        obs = pipeline.perceive(Frame(np.ascontiguousarray(astronaut_bgr), 0.0, 0))
    assert len(obs.faces) == 1 and obs.faces[0].appearance is not None
    data = config.model_dump(mode="json", exclude_none=True)
    data["perception"]["presence"]["appearance"] = False
    off = Config.model_validate(data)
    with FramePipeline(off, engine=False) as pipeline:
        obs = pipeline.perceive(Frame(np.ascontiguousarray(astronaut_bgr), 0.0, 0))
    assert obs.faces[0].appearance is None

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


def test_a_chest_half_behind_a_coat_can_hold_her_clothes_and_not_another_persons(
        astronaut_bgr: np.ndarray, hopper_bgr: np.ndarray,
        perceive: Callable[[np.ndarray], list[Face]]) -> None:
    """A nearer person's green coat over half of Grace Hopper's chest, the face in front
    not found (nothing left out): her signature is "clearly different" from her own
    chest's, but it can hold her navy at a quarter (the engine's ``could_hold``), and
    not the astronaut's orange suit. (The other way
    round it cannot tell: the astronaut's chest is a fifth black, enough to hold
    Hopper's dark uniform at that share; dark clothes are where clothes tell least.)"""
    from frontdesk.engine.places import could_hold

    astro = _one_face(perceive, astronaut_bgr)
    hopper = _one_face(perceive, hopper_bgr)
    own = torso_signature(hopper_bgr, hopper.bbox)
    suit = torso_signature(astronaut_bgr, astro.bbox)
    assert own is not None and suit is not None
    covered = hopper_bgr.copy()
    height, width = covered.shape[:2]
    x0, y0, x1, y1 = (int(round(v)) for v in torso_box(hopper.bbox))
    covered[max(y0, 0):min(y1, height), max(x0, 0):min((x0 + x1) // 2, width)] = (40, 150, 40)
    mixed = torso_signature(covered, hopper.bbox)
    assert mixed is not None
    assert signature_distance(mixed, own) >= LOOK_DIFFERENT
    assert could_hold(mixed, own)
    assert not could_hold(mixed, suit)


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


def _queue_picture() -> tuple[np.ndarray, tuple[float, float, float, float],
                              tuple[float, float, float, float]]:
    """A grey wall; a customer (face 60 px wide) in a red top; in front of her, to her
    left, a nearer customer (face 90 px wide) whose navy coat covers part of her chest,
    drawn where :func:`nearer_bodies` puts that body."""
    from frontdesk.perception.appearance import nearer_bodies

    image = np.full((720, 1280, 3), 150, dtype=np.uint8)
    behind = (600.0, 200.0, 660.0, 270.0)
    x0, y0, x1, y1 = torso_box(behind)
    image[int(y0):int(y1) + 1, int(x0):int(x1) + 1] = (40, 60, 190)  # red top
    front = (468.0, 180.0, 558.0, 285.0)
    (bx0, by0, bx1, by1), = nearer_bodies(behind, [behind, front])
    image[int(by0):int(by1) + 1, int(bx0):int(bx1) + 1] = (110, 40, 30)  # navy coat
    return image, behind, front


def test_the_body_of_a_nearer_face_is_left_out_of_the_chest_behind_it() -> None:
    from frontdesk.perception.appearance import MIN_UNCOVERED, nearer_bodies, uncovered_cells

    image, behind, front = _queue_picture()
    chest = torso_box(behind)
    covers = nearer_bodies(behind, [behind, front])
    share = 1.0 - uncovered_cells(chest, covers, 12).mean()
    assert 0.2 < share < 1.0 - MIN_UNCOVERED  # the coat covers part of her chest, not all
    red = patch_signatures(np.full((1, 6, 6, 3), (40, 60, 190), dtype=np.uint8))[0]
    mixed = torso_signature(image, behind)
    own = torso_signature(image, behind, [behind, front])
    assert mixed is not None and own is not None
    assert signature_distance(mixed, red) > LOOK_SAME  # the coat shows in her chest box...
    assert signature_distance(own, red) < 0.1  # ... and is left out when its face is seen
    assert abs(float(own.sum()) - 1.0) < 1e-5
    # The nearer customer's own chest: a face narrower than hers hides nothing of it.
    assert nearer_bodies(front, [behind, front]) == []


def test_a_face_not_clearly_wider_is_not_nearer_and_a_hidden_chest_has_no_signature() -> None:
    from frontdesk.perception.appearance import NEARER_FACE_RATIO, nearer_bodies

    image, behind, _ = _queue_picture()
    w = behind[2] - behind[0]
    beside = (700.0, 200.0, 700.0 + w * (NEARER_FACE_RATIO - 0.02), 270.0)
    assert nearer_bodies(behind, [beside]) == []  # the same size: side by side
    # Someone much nearer right in front of her: nothing of her chest is left.
    cx = (behind[0] + behind[2]) / 2.0
    in_front = (cx - 60.0, 230.0, cx + 60.0, 350.0)
    assert torso_signature(image, behind, [behind, in_front]) is None
    assert torso_signature(image, behind) is not None


def test_a_patch_counts_only_the_cells_kept() -> None:
    red, blue = (40, 60, 190), (180, 90, 30)
    patch = np.zeros((1, 4, 4, 3), dtype=np.uint8)
    patch[0, :, :2], patch[0, :, 2:] = red, blue
    keep = np.zeros((1, 4, 4), dtype=bool)
    keep[0, :, :2] = True
    only_red = patch_signatures(patch, keep)[0]
    all_red = patch_signatures(np.full((1, 4, 4, 3), red, dtype=np.uint8))[0]
    assert np.allclose(only_red, all_red, atol=1e-6)
    assert not np.allclose(patch_signatures(patch)[0], all_red, atol=0.1)

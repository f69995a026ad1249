"""Real face photographs from installed packages, and looks that tell people apart.

Two photographs of real faces ship with packages frontdesk installs:

* ``astronaut``: scikit-image's ``data.astronaut()``, NASA's portrait of Eileen
  Collins (public domain, a work of the US government);
* ``hopper``: matplotlib's sample ``grace_hopper.jpg``, the US Navy's portrait of
  Grace Hopper (public domain, a work of the US government). matplotlib comes
  with MediaPipe.

Nothing else installed holds a usable face (``skimage.data.lfw_subset`` is 25 x 25
pixels, ``camera`` is a man in profile behind a camera; the other images are not
faces). Each photograph becomes a :class:`~frontdesk.sim.face_render.FaceTexture`
once per process (Face Mesh on the photo, ~0.1 s), its mirror image a second
one. A :class:`Look` then varies the rest: mirror, brightness, hue and skin tone
of the photo, hair colour and length, clothes, and head size. Two people with
the same photograph still share its features; see docs/rendering.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

import cv2
import numpy as np

from frontdesk.camera_model import Intrinsics
from frontdesk.errors import FrontdeskError
from frontdesk.perception import landmarks as L
from frontdesk.sim.face_render import FaceTexture

__all__ = [
    "FACE_SOURCES",
    "SKIN_TONES",
    "Look",
    "tone_photo",
    "PreparedLook",
    "photo",
    "base_texture",
    "prepare_look",
    "default_look",
    "look_from_dict",
]

log = logging.getLogger(__name__)

FACE_SOURCES = ("astronaut", "hopper")
_PHOTO_FOV_DEG = 60.0
"""Field of view the portraits are taken to have been shot with (as the perception tests)."""

SKIN_TONES: dict[str, tuple[float, float, float]] = {
    "light": (68.0, 12.0, 16.0),
    "medium": (55.0, 14.0, 22.0),
    "dark": (36.0, 12.0, 18.0),
}
"""Target skin colours, CIELAB (L* 0-100, a*, b*), of the ``tone`` looks. Their
individual typology angles, ITA = atan((L* - 50) / b*), are 48 degrees (light,
category "very light"), 13 degrees (intermediate) and -38 degrees (dark, below -30),
the dermatological scale of skin colour."""

_CLOTHES_PALETTE = ((120, 70, 35), (40, 40, 150), (60, 110, 60), (150, 150, 150), (40, 90, 170),
                    (90, 50, 90), (30, 30, 30), (170, 120, 60))


@dataclass(frozen=True)
class Look:
    """How one person looks.

    Attributes:
        face: which photograph (:data:`FACE_SOURCES`).
        mirror: use the photo's mirror image (a different face to a detector).
        brightness: multiplies the photo's lightness (0.5 to 1.5).
        hue_deg: turns the photo's hues (skin, lips, eyes) by this many degrees.
        skin: shifts the skin tone: negative paler, positive darker and warmer (-1 to 1).
        hair_bgr: colour of the hair where the photo did not show it (back and sides of
            the head); None takes the photo's own hair colour.
        hair: ``short``, ``long`` (down to the shoulders) or ``bald``.
        clothes_bgr: colour of the torso.
        head_scale: size of the head against the 63 mm between the pupils (0.9 to 1.1).
        tone: a skin tone from :data:`SKIN_TONES` (``light``, ``medium``, ``dark``): the
            photo is shaded so that its skin reaches the tone's CIELAB colour
            (:func:`tone_photo`); None keeps the photo's own. ``skin`` and
            ``brightness`` apply after it.
    """

    face: str = "astronaut"
    mirror: bool = False
    brightness: float = 1.0
    hue_deg: float = 0.0
    skin: float = 0.0
    hair_bgr: tuple[int, int, int] | None = None
    hair: str = "short"
    clothes_bgr: tuple[int, int, int] = (120, 70, 35)
    head_scale: float = 1.0
    tone: str | None = None

    def __post_init__(self) -> None:
        if self.tone is not None and self.tone not in SKIN_TONES:
            raise ValueError(f"tone must be one of {', '.join(SKIN_TONES)}, got {self.tone!r}")
        if self.face not in FACE_SOURCES:
            raise ValueError(f"face must be one of {', '.join(FACE_SOURCES)}, got {self.face!r}")
        if not 0.3 <= self.brightness <= 2.0:
            raise ValueError(f"brightness must be 0.3 to 2, got {self.brightness}")
        if not -1.0 <= self.skin <= 1.0:
            raise ValueError(f"skin must be -1 to 1, got {self.skin}")
        if self.hair not in ("short", "long", "bald"):
            raise ValueError(f"hair must be short, long or bald, got {self.hair!r}")
        if not 0.85 <= self.head_scale <= 1.15:
            raise ValueError(f"head_scale must be 0.85 to 1.15, got {self.head_scale}")


@dataclass
class PreparedLook:
    """A look made ready to draw: the texture (scaled) and its recoloured photo.

    Attributes:
        look: what was asked for.
        texture: the face mesh, its points scaled by ``look.head_scale``.
        image: the recoloured photo (same size as ``texture.image``).
        skin_bgr: median skin colour of the recoloured face (ears, neck).
        hair_bgr: the hair colour drawn where the photo did not show the head.
    """

    look: Look
    texture: FaceTexture
    image: np.ndarray
    skin_bgr: np.ndarray = field(default_factory=lambda: np.array([120.0, 150.0, 200.0]))
    hair_bgr: np.ndarray = field(default_factory=lambda: np.array([40.0, 55.0, 85.0]))


def photo(name: str) -> np.ndarray:
    """The BGR photograph ``name`` from its package (read at run time, never copied)."""
    if name == "astronaut":
        from skimage import data

        return np.ascontiguousarray(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    if name == "hopper":
        try:
            from matplotlib import cbook
        except ImportError:
            raise FrontdeskError("the 'hopper' face needs matplotlib (installed with MediaPipe); "
                                 "use face: astronaut") from None
        path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
        image = cv2.imread(str(path))
        if image is None:
            raise FrontdeskError(f"cannot read matplotlib's sample photo {path}")
        return image
    raise FrontdeskError(f"unknown face {name!r} (known: {', '.join(FACE_SOURCES)})")


@lru_cache(maxsize=8)
def base_texture(name: str, mirror: bool = False) -> FaceTexture:
    """The face mesh texture of photo ``name`` (mirrored if asked), made once per process."""
    image = photo(name)
    if mirror:
        image = np.ascontiguousarray(image[:, ::-1])
    h, w = image.shape[:2]
    try:
        texture = FaceTexture.from_photo(image, Intrinsics.from_fov(w, h, _PHOTO_FOV_DEG))
    except ValueError as exc:
        raise FrontdeskError(f"face {name!r}: {exc}") from None
    log.debug("face texture %s%s: %d triangles", name, " (mirrored)" if mirror else "",
              len(texture.triangles))
    return texture


def tone_photo(image: np.ndarray, texture: FaceTexture, tone: str) -> np.ndarray:
    """The photo shaded so that its skin has the CIELAB colour of ``tone``.

    In CIELAB, lightness is multiplied by target L* / skin L* (the photo's shading
    and its detail keep their ratios, as under a darker pigment) and a*, b* are
    shifted by target - skin; the skin colour is the median of the cheeks and
    forehead (:func:`_skin_colour`). The whole photo is shaded (hair and clothes
    darken a little too); the eyes' whites are drawn separately and keep theirs.
    """
    target_l, target_a, target_b = SKIN_TONES[tone]
    skin_bgr = _skin_colour(image, texture)
    skin = cv2.cvtColor(np.clip(skin_bgr, 0, 255).astype(np.uint8).reshape(1, 1, 3),
                        cv2.COLOR_BGR2LAB).astype(np.float32)[0, 0]
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    lab[:, :, 0] *= (target_l * 255.0 / 100.0) / max(float(skin[0]), 1.0)
    lab[:, :, 1] += target_a + 128.0 - float(skin[1])
    lab[:, :, 2] += target_b + 128.0 - float(skin[2])
    return cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)


def _recolour(image: np.ndarray, look: Look) -> np.ndarray:
    """The photo with the look's brightness, hue and skin tone applied."""
    if look.brightness == 1.0 and look.hue_deg == 0.0 and look.skin == 0.0:
        return image
    lab = cv2.cvtColor(image, cv2.COLOR_BGR2LAB).astype(np.float32)
    lab[:, :, 0] *= look.brightness * (1.0 - 0.35 * max(look.skin, 0.0))
    lab[:, :, 0] *= 1.0 + 0.15 * max(-look.skin, 0.0)
    lab[:, :, 1] += 6.0 * look.skin
    lab[:, :, 2] += 14.0 * look.skin
    out = cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2BGR)
    if look.hue_deg:
        hsv = cv2.cvtColor(out, cv2.COLOR_BGR2HSV).astype(np.int32)
        hsv[:, :, 0] = (hsv[:, :, 0] + int(round(look.hue_deg / 2.0))) % 180
        out = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)
    return out


def _skin_colour(image: np.ndarray, texture: FaceTexture) -> np.ndarray:
    """Median colour of the cheeks and forehead (inside the face oval, away from eyes and mouth)."""
    uv = texture.uv_px
    samples = []
    for lm_id in (50, 280, 101, 330, 151, 108, 337):
        x, y = (int(round(v)) for v in uv[lm_id])
        r = max(2, int(0.02 * np.ptp(uv[list(L.FACE_OVAL), 0])))
        patch = image[max(y - r, 0):y + r + 1, max(x - r, 0):x + r + 1].reshape(-1, 3)
        if len(patch):
            samples.append(patch)
    if not samples:
        return np.array([120.0, 150.0, 200.0])
    return np.median(np.concatenate(samples).astype(np.float64), axis=0)


def _hair_colour(image: np.ndarray, texture: FaceTexture) -> np.ndarray:
    """Median colour of the photo above the forehead (the hair, or a hat)."""
    uv = texture.uv_px
    oval = uv[list(L.FACE_OVAL)]
    width = float(np.ptp(oval[:, 0]))
    top = uv[10]  # the top of the forehead on the midline
    x0, x1 = int(top[0] - 0.25 * width), int(top[0] + 0.25 * width)
    y0, y1 = int(top[1] - 0.3 * width), int(top[1] - 0.12 * width)
    h, w = image.shape[:2]
    patch = image[max(y0, 0):max(min(y1, h), 1), max(x0, 0):min(x1, w)].reshape(-1, 3)
    if len(patch) == 0:
        return np.array([40.0, 55.0, 85.0])
    return np.median(patch.astype(np.float64), axis=0)


def prepare_look(look: Look) -> PreparedLook:
    """Texture and recoloured photo for ``look``."""
    base = base_texture(look.face, look.mirror)
    toned = base.image if look.tone is None else tone_photo(base.image, base, look.tone)
    image = _recolour(toned, look)
    texture = base
    if look.head_scale != 1.0:
        texture = replace(base, points_head_m=base.points_head_m * look.head_scale,
                          iris_radius_m=base.iris_radius_m * look.head_scale)
    sclera = base.sclera_bgr * look.brightness
    texture = replace(texture, sclera_bgr=np.clip(sclera, 0, 255))
    hair = (np.asarray(look.hair_bgr, dtype=np.float64) if look.hair_bgr is not None
            else _hair_colour(image, base))
    return PreparedLook(look, texture, image, _skin_colour(image, base), hair)


_CUSTOMER_LOOKS = (
    # (face, mirror, brightness, hue_deg, skin, hair, head_scale). The unmirrored
    # astronaut is the face MediaPipe's detector finds most reliably on rendered
    # counters, turned 54 degrees toward the staff (docs/rendering.md); the
    # customers differ in skin tone, hue, lightness, hair, clothes and size.
    ("astronaut", False, 0.9, 0.0, 0.35, "short", 1.0),
    ("astronaut", False, 1.05, -8.0, -0.2, "bald", 0.96),
    ("astronaut", False, 0.95, 6.0, 0.0, "short", 1.03),
    ("astronaut", False, 0.85, 3.0, 0.6, "short", 1.0),
    ("astronaut", False, 1.1, -6.0, 0.35, "bald", 0.97),
    ("astronaut", False, 1.0, 10.0, 0.15, "short", 1.02),
)


def default_look(index: int, role: str) -> Look:
    """A distinct look for the ``index``-th person of a role, when the scene gives none.

    Staff wear the Navy portrait's face and dark clothes; customers cycle through
    variants of the astronaut's face: skin tones, hues, lightness, hair, clothes
    and head sizes.
    """
    if role == "staff":
        return Look(face="hopper", mirror=False, clothes_bgr=(60, 30, 25),
                    brightness=1.0 - 0.05 * (index % 3), hue_deg=4.0 * (index % 2))
    face, mirror, brightness, hue, skin, hair, scale = _CUSTOMER_LOOKS[index % len(_CUSTOMER_LOOKS)]
    return Look(face=face, mirror=mirror, brightness=brightness, hue_deg=hue, skin=skin,
                hair=hair, clothes_bgr=_CLOTHES_PALETTE[index % len(_CLOTHES_PALETTE)],
                head_scale=scale)


_LOOK_KEYS = {"face", "mirror", "brightness", "hue_deg", "skin", "hair", "hair_bgr",
              "clothes_bgr", "head_scale", "tone"}


def look_from_dict(d: Any, base: Look, where: str) -> Look:
    """A scene file's ``look:`` mapping over ``base`` (the person's default look)."""
    if d is None:
        return base
    if not isinstance(d, dict):
        raise FrontdeskError(f"{where}: look must be a mapping (face:, mirror:, ...)")
    unknown = set(d) - _LOOK_KEYS
    if unknown:
        raise FrontdeskError(f"{where}: unknown look keys {sorted(unknown)} "
                             f"(known: {', '.join(sorted(_LOOK_KEYS))})")
    kw: dict[str, Any] = {}
    for key, value in d.items():
        if key in ("hair_bgr", "clothes_bgr"):
            if not (isinstance(value, (list, tuple)) and len(value) == 3):
                raise FrontdeskError(f"{where}: {key} is [blue, green, red], 0 to 255")
            kw[key] = tuple(int(max(0, min(255, c))) for c in value)
        elif key == "mirror":
            kw[key] = bool(value)
        elif key in ("face", "hair", "tone"):
            kw[key] = str(value)
        else:
            try:
                kw[key] = float(value)
            except (TypeError, ValueError):
                raise FrontdeskError(f"{where}: {key} is a number, got {value!r}") from None
    try:
        return replace(base, **kw)
    except (ValueError, TypeError) as exc:
        raise FrontdeskError(f"{where}: {exc}") from None

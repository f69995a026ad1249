"""Face Mesh landmark ids used by perception and the face renderer.

Face Mesh numbers its 478 landmarks in a fixed topology: 468 face points and, with
refined landmarks, ten iris points (468-477). "Right" and "left" are the subject's:
the subject's right eye appears on the image's left in an unmirrored photo.

The ids below were checked on a frontal face by mirroring the mesh about its
symmetry plane: every right id lands within 1.3 px of its left partner (on a
face about 100 px wide), and every midline id lands on itself.
"""

from __future__ import annotations

__all__ = [
    "NUM_LANDMARKS",
    "NUM_FACE_MESH_POINTS",
    "RIGHT_EYE_OUTER",
    "RIGHT_EYE_INNER",
    "LEFT_EYE_INNER",
    "LEFT_EYE_OUTER",
    "RIGHT_IRIS_CENTER",
    "RIGHT_IRIS_RING",
    "LEFT_IRIS_CENTER",
    "LEFT_IRIS_RING",
    "EYE_CORNERS",
    "MIRROR_PAIRS",
    "MIDLINE",
    "FACIAL_PLANE",
    "RIGHT_EYE_CONTOUR",
    "LEFT_EYE_CONTOUR",
    "NOSE_TIP",
    "FACE_OVAL",
    "MOUTH_CENTER",
]

NUM_LANDMARKS = 478
NUM_FACE_MESH_POINTS = 468  # landmarks before the ten iris points

RIGHT_EYE_OUTER = 33
RIGHT_EYE_INNER = 133
LEFT_EYE_INNER = 362
LEFT_EYE_OUTER = 263
EYE_CORNERS = (RIGHT_EYE_OUTER, RIGHT_EYE_INNER, LEFT_EYE_INNER, LEFT_EYE_OUTER)

RIGHT_IRIS_CENTER = 468
RIGHT_IRIS_RING = (469, 470, 471, 472)
LEFT_IRIS_CENTER = 473
LEFT_IRIS_RING = (474, 475, 476, 477)

NOSE_TIP = 1
MOUTH_CENTER = (13, 14)  # inner upper and lower lip on the midline

# (subject's right id, subject's left id) pairs that mirror each other.
MIRROR_PAIRS: tuple[tuple[int, int], ...] = (
    (33, 263),  # outer eye corner (exocanthion)
    (133, 362),  # inner eye corner (endocanthion)
    (105, 334),  # eyebrow, middle
    (70, 300),  # eyebrow, outer end
    (107, 336),  # eyebrow, inner end
    (98, 327),  # nostril wing
    (61, 291),  # mouth corner (cheilion)
    (234, 454),  # face outline at cheekbone level
    (127, 356),  # face outline at temple level
    (58, 288),  # face outline at the jaw angle
    (136, 365),  # face outline, lower jaw
    (109, 338),  # face outline, forehead
    (50, 280),  # cheek
    (150, 379),  # face outline, chin side
    (176, 400),  # face outline, chin side
    (148, 377),  # face outline, beside the chin's lowest point
)

# Landmarks on the face's symmetry plane, forehead to chin.
MIDLINE: tuple[int, ...] = (
    10, 151, 9, 168, 6, 197, 195, 5, 4, 1, 2, 164, 0, 13, 14, 17, 200, 175, 152,
)

# Eye corners and mouth corners: their best-fit plane is the "facial plane"; its
# normal defines the head's forward direction (zero yaw and zero pitch).
FACIAL_PLANE: tuple[int, ...] = (33, 133, 362, 263, 61, 291)

# Eyelid contours, in order around the eye opening (outer corner, upper lid,
# inner corner, lower lid), as Face Mesh's eye connections trace them.
RIGHT_EYE_CONTOUR: tuple[int, ...] = (
    33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7,
)
LEFT_EYE_CONTOUR: tuple[int, ...] = (
    263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249,
)

# The face outline in order (forehead, subject's right side, chin, left side), as
# Face Mesh's face-oval connections trace it.
FACE_OVAL: tuple[int, ...] = (
    10, 109, 67, 103, 54, 21, 162, 127, 234, 93, 132, 58, 172, 136, 150, 149, 176, 148,
    152, 377, 400, 378, 379, 365, 397, 288, 361, 323, 454, 356, 389, 251, 284, 332, 297, 338,
)

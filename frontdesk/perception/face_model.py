"""The 3D face model that head pose is solved against.

MediaPipe's wheel carries no canonical face geometry, so the project keeps its
own. Two models live here, both in the head frame of :mod:`frontdesk.perception.pose`
(origin between the eyes, x toward the subject's left, y toward the chin, z toward
the back of the head), in millimetres:

``MESH_DERIVED`` (the default)
    Face Mesh's own 3D output (x, y in pixels, z in the same scale) on the
    frontal portrait ``skimage.data.astronaut()``, as :class:`FacePerceiver`
    produces it, put in the head frame by :func:`head_frame`, mirrored and
    averaged so that it is exactly symmetric, and scaled so that the pupils (iris
    centres) are 63 mm apart (the mean adult interpupillary distance, Dodgson
    2004). :func:`derive_face_model` reproduces it and the perception tests check
    the stored numbers against a fresh derivation. 29 landmarks: eye corners,
    brows, nose, mouth and the chin's outline (:data:`MESH_DERIVED_IDS`).

``ANTHROPOMETRIC``
    Authored by hand from published adult averages (means of the male and female
    values in Farkas, *Anthropometry of the Head and Face*, 2nd ed., 1994):
    biocular width ex-ex 90 mm, intercanthal width en-en 33 mm, eye fissure length
    en-ex 31 mm (which puts ex about 12 mm behind en), nose height n-sn 53 mm,
    nasal bridge length n-prn 48 mm, nasal tip protrusion sn-prn 20 mm, upper lip
    sn-sto 22 mm, mouth width ch-ch 52 mm, face height n-gn 121 mm, nose width
    al-al 35 mm, bizygomatic width zy-zy 135 mm, with the depths of brow, lips,
    chin and cheekbone estimated from the same tables' profile angles. 18 landmarks;
    the Face Mesh id chosen for each anthropometric point is a best match by
    position, not a definition Face Mesh publishes.

Which is better
---------------
Measured on re-rendered ground truth (the astronaut's face turned by -30..30
degrees of yaw, and of pitch, in 10 degree steps with
:mod:`frontdesk.sim.face_render`; ``test_default_model_has_the_smaller_pose_error``
prints the table), absolute error against the rendered pose:

===============  ============  ============  =============  ==============
model            yaw mean      yaw max       pitch mean     pitch max
===============  ============  ============  =============  ==============
MESH_DERIVED     1.51 deg      4.07 deg      2.23 deg       5.24 deg
ANTHROPOMETRIC   1.14 deg      1.95 deg      7.71 deg       17.53 deg
===============  ============  ============  =============  ==============

On **yaw alone the anthropometric model is the better one** (its shallower
cheek depth happens to offset Face Mesh's habit of under-moving landmarks on a
turned face). On pitch it is three times worse: its authored depths of brow,
lips and chin do not match where Face Mesh puts those landmarks. Gaze is a
direction in 3D and the eye-contact cone cares about both angles, so the
mesh-derived model, with the smaller combined error, is the default.

The comparison favours the mesh-derived model: the renders and the model come
from the same photograph and both inherit Face Mesh's depth. The only face in
the installed packages is that one portrait, so no independent face was
available; read the numbers as a best case for strangers' faces.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import frontdesk.perception.landmarks as L

__all__ = [
    "FaceModel",
    "MESH_DERIVED",
    "ANTHROPOMETRIC",
    "DEFAULT_FACE_MODEL",
    "KEYPOINT_MODEL_MM",
    "head_frame",
    "derive_face_model",
    "MESH_DERIVED_IDS",
]


@dataclass(frozen=True)
class FaceModel:
    """3D landmark positions of an average face, head frame, millimetres.

    Attributes:
        name: a short label for logs and docs.
        landmark_ids: Face Mesh ids, one per row of ``points_mm``.
        points_mm: (N, 3) positions in the head frame.
        right_pupil_mm, left_pupil_mm: iris centres when the eyes look straight
            ahead (along -z); the eyeball model of :mod:`frontdesk.perception.gaze`
            hangs from these.
    """

    name: str
    landmark_ids: tuple[int, ...]
    points_mm: np.ndarray
    right_pupil_mm: np.ndarray
    left_pupil_mm: np.ndarray

    def __post_init__(self) -> None:
        pts = np.asarray(self.points_mm, dtype=np.float64)
        if pts.shape != (len(self.landmark_ids), 3):
            raise ValueError(
                f"points_mm must be ({len(self.landmark_ids)}, 3) for {len(self.landmark_ids)} "
                f"ids, got {pts.shape}"
            )
        object.__setattr__(self, "points_mm", pts)
        for name in ("right_pupil_mm", "left_pupil_mm"):
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))

    @property
    def interpupillary_mm(self) -> float:
        return float(np.linalg.norm(self.left_pupil_mm - self.right_pupil_mm))

    def scaled_to(self, interpupillary_mm: float) -> FaceModel:
        """The same shape scaled so the pupils are ``interpupillary_mm`` apart."""
        k = interpupillary_mm / self.interpupillary_mm
        return FaceModel(
            self.name,
            self.landmark_ids,
            self.points_mm * k,
            self.right_pupil_mm * k,
            self.left_pupil_mm * k,
        )


def head_frame(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The head frame of a set of Face Mesh landmarks, in the points' own frame.

    Args:
        points: (>=468, 3) landmarks in any right-handed frame and unit (Face Mesh
            pixels with z, or metres in the camera frame).

    Returns:
        (axes, origin): ``axes`` is 3x3 whose rows are the head's x, y, z unit
        vectors; ``origin`` is the mean of the four eye corners. Head-frame
        coordinates are ``(points - origin) @ axes.T``.

    x is the mean direction from each right landmark to its mirror partner; z is
    the normal of the plane through the eye and mouth corners (the facial plane),
    made orthogonal to x and pointing away from the nose tip; y = z x x.
    """
    p = np.asarray(points, dtype=np.float64)
    right = p[[r for r, _ in L.MIRROR_PAIRS]]
    left = p[[lft for _, lft in L.MIRROR_PAIRS]]
    d = left - right
    x = (d / np.linalg.norm(d, axis=1, keepdims=True)).mean(axis=0)
    x /= np.linalg.norm(x)
    plane = p[list(L.FACIAL_PLANE)]
    centroid = plane.mean(axis=0)
    _, _, vt = np.linalg.svd(plane - centroid)
    n = vt[2]
    if (p[L.NOSE_TIP] - centroid) @ n > 0:
        n = -n
    z = n - (n @ x) * x
    z /= np.linalg.norm(z)
    y = np.cross(z, x)
    origin = p[list(L.EYE_CORNERS)].mean(axis=0)
    return np.stack([x, y, z]), origin


# Landmarks the mesh-derived model uses: eye corners, brows, nose, mouth and the
# chin's outline. The upper outline (temples, cheekbones, jaw angles) is left out:
# Face Mesh slides those contour points along the silhouette as the head turns.
MESH_DERIVED_IDS: tuple[int, ...] = (
    33, 263, 133, 362, 105, 334, 70, 300, 107, 336, 98, 327, 61, 291,
    136, 365, 150, 379, 176, 400, 148, 377,
    168, 6, 1, 2, 0, 17, 152,
)


def _mirror_of(i: int) -> int:
    for r, lft in L.MIRROR_PAIRS:
        if i == r:
            return lft
        if i == lft:
            return r
    return i


def derive_face_model(
    landmarks: np.ndarray,
    interpupillary_mm: float = 63.0,
    ids: tuple[int, ...] = MESH_DERIVED_IDS,
    name: str = "mesh-derived",
) -> FaceModel:
    """A symmetric face model from one face's 478 Face Mesh landmarks.

    The landmarks are moved into their head frame, averaged with their mirror
    image (x -> -x with right and left swapped), and scaled to the given
    interpupillary distance. Averaging with the mirror also cancels any sideways
    glance in the iris positions, so the pupils come out looking straight ahead
    horizontally.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.shape[0] < L.NUM_LANDMARKS:
        raise ValueError(f"need {L.NUM_LANDMARKS} landmarks (refined irises), got {lm.shape[0]}")
    axes, origin = head_frame(lm)
    local = (lm - origin) @ axes.T
    flip = np.array([-1.0, 1.0, 1.0])

    def sym(i: int, partner: int) -> np.ndarray:
        return (local[i] + local[partner] * flip) / 2.0

    pts = np.stack([sym(i, _mirror_of(i)) for i in ids])
    left_pupil = sym(L.LEFT_IRIS_CENTER, L.RIGHT_IRIS_CENTER)
    right_pupil = left_pupil * flip
    k = interpupillary_mm / float(np.linalg.norm(left_pupil - right_pupil))
    return FaceModel(name, tuple(ids), pts * k, right_pupil * k, left_pupil * k)


_Rows = tuple[tuple[int, float, float, float], ...]


def _from_rows(name: str, rows: _Rows, pupil: tuple[float, float, float]) -> FaceModel:
    ids = tuple(int(r[0]) for r in rows)
    pts = np.array([r[1:] for r in rows], dtype=np.float64)
    left = np.array(pupil, dtype=np.float64)
    return FaceModel(name, ids, pts, left * [-1.0, 1.0, 1.0], left)


# (Face Mesh id, x, y, z) in mm. Produced by derive_face_model() on the landmarks
# of skimage.data.astronaut(), rounded to 0.1 mm.
_MESH_DERIVED_ROWS: _Rows = (
    (33, -44.2, -1.1, 2.6),
    (263, 44.2, -1.1, 2.6),
    (133, -17.2, 1.1, -2.6),
    (362, 17.2, 1.1, -2.6),
    (105, -39.8, -23.7, -10.2),
    (334, 39.8, -23.7, -10.2),
    (70, -54.7, -14.7, 3.4),
    (300, 54.7, -14.7, 3.4),
    (107, -14.4, -21.6, -18.8),
    (336, 14.4, -21.6, -18.8),
    (98, -19.4, 36.0, -17.8),
    (327, 19.4, 36.0, -17.8),
    (61, -31.2, 53.9, 0.2),
    (291, 31.2, 53.9, 0.2),
    (136, -47.9, 84.8, 24.4),
    (365, 47.9, 84.8, 24.4),
    (150, -38.9, 92.5, 15.8),
    (379, 38.9, 92.5, 15.8),
    (176, -22.7, 103.0, 0.8),
    (400, 22.7, 103.0, 0.8),
    (148, -12.8, 106.5, -4.5),
    (377, 12.8, 106.5, -4.5),
    (168, 0.0, -7.1, -18.7),
    (6, 0.0, -0.2, -23.5),
    (1, 0.0, 33.5, -41.5),
    (2, 0.0, 39.7, -25.9),
    (0, 0.0, 50.8, -23.7),
    (17, 0.0, 73.3, -20.0),
    (152, 0.0, 107.7, -6.4),
)
_MESH_DERIVED_LEFT_PUPIL = (31.5, -2.1, -2.5)

MESH_DERIVED = _from_rows("mesh-derived", _MESH_DERIVED_ROWS, _MESH_DERIVED_LEFT_PUPIL)

# (Face Mesh id, x, y, z) in mm, authored from Farkas (1994) adult means; see the
# module docstring for the measurements. Origin: mean of the four eye corners.
_ANTHROPOMETRIC_ROWS: _Rows = (
    (33, -45.0, -1.0, 6.0),  # exocanthion: ex-ex 90, 12 mm behind en
    (263, 45.0, -1.0, 6.0),
    (133, -16.5, 1.0, -6.0),  # endocanthion: en-en 33
    (362, 16.5, 1.0, -6.0),
    (105, -30.0, -25.0, -10.0),  # mid-brow, above the pupil
    (334, 30.0, -25.0, -10.0),
    (98, -17.5, 40.0, -3.0),  # alare: al-al 35
    (327, 17.5, 40.0, -3.0),
    (61, -26.0, 67.0, 2.0),  # cheilion: ch-ch 52, at stomion height
    (291, 26.0, 67.0, 2.0),
    (234, -67.5, 12.0, 34.0),  # zygion: zy-zy 135
    (454, 67.5, 12.0, 34.0),
    (168, 0.0, -8.0, -18.0),  # nasion
    (1, 0.0, 38.0, -32.0),  # pronasale: n-prn 48, sn-prn 20
    (2, 0.0, 45.0, -13.0),  # subnasale: n-sn 53
    (0, 0.0, 58.0, -16.0),  # labiale superius
    (17, 0.0, 77.0, -12.0),  # labiale inferius
    (152, 0.0, 113.0, -2.0),  # gnathion: n-gn 121
)
_ANTHROPOMETRIC_LEFT_PUPIL = (31.5, 0.0, -4.0)  # interpupillary 63

ANTHROPOMETRIC = _from_rows("anthropometric", _ANTHROPOMETRIC_ROWS, _ANTHROPOMETRIC_LEFT_PUPIL)

DEFAULT_FACE_MODEL = MESH_DERIVED

KEYPOINT_MODEL_MM = np.array(
    [
        [-31.5, -2.1, -2.5],  # right eye (pupil)
        [31.5, -2.1, -2.5],  # left eye
        [0.0, 33.5, -41.5],  # nose tip
        [0.0, 61.1, -18.3],  # mouth centre
        [-67.0, 5.0, 80.0],  # right ear tragion
        [67.0, 5.0, 80.0],  # left ear tragion
    ]
)
"""The face detector's six keypoints in the head frame, for the coarse pose of
faces too small to mesh. Eyes, nose and mouth come from the mesh-derived model;
the tragions are placed where the detector puts its ear keypoints on a frontal
face (67 mm either side, 5 mm below the pupils) and 80 mm behind the eye corners
(tragion to exocanthion about 75 mm, Farkas 1994)."""

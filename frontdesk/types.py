"""The shared vocabulary every stage speaks.

Data flows one way: capture makes :class:`Frame`, perception turns a frame into a
:class:`FrameObservation` holding :class:`Face` records, tracking gives each face a
stable anonymous id (:class:`TrackedFace`), and the engine turns those into events.
An optional person detector adds :class:`BodyBox` records to the observation; the
tracker then follows *people*, each seen by a face, a body or both.

Coordinates
-----------
* Image coordinates are pixels, x to the right, y down, origin at the top-left.
* 3D coordinates follow OpenCV's camera frame: x right, y down, z forward (out of
  the lens), in metres.
* ``gaze`` is a unit vector in the camera frame. A person looking straight into
  the lens has gaze close to (0, 0, -1); looking toward the image's right side
  gives gaze x > 0; looking down gives gaze y > 0.
* ``yaw_deg`` is positive when the head turns toward the image's right side,
  ``pitch_deg`` is positive when the head tilts up, ``roll_deg`` is positive when
  the line between the eyes turns clockwise in the image.

Time
----
``t`` is seconds on the source's own clock: video time for files, a monotonic
clock for live sources. ``wall_time`` (Unix seconds) is attached for reports only;
no timing is ever computed from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Frame", "Face", "BodyBox", "OccupancyGrid", "FrameObservation", "TrackedFace",
           "CameraStatus", "signature_to_hex", "signature_from_hex", "signature_distance",
           "signature_colour_share", "SIGNATURE_HUE_BINS", "SIGNATURE_GREY_BINS"]


class CameraStatus:
    """String constants for a source's health."""

    ONLINE = "online"
    OFFLINE = "offline"
    ENDED = "ended"


@dataclass(frozen=True)
class Frame:
    """One decoded image with its capture time.

    Attributes:
        image: BGR uint8 array of shape (height, width, 3), as OpenCV decodes it.
        t: capture time in seconds on the source clock (video time or monotonic).
        index: frame number since the source was opened, counting skipped frames.
        wall_time: Unix time at capture, for reports only (None for files whose
            start time is unknown).
        source: a printable name of the source, with any credentials removed.
    """

    image: np.ndarray
    t: float
    index: int
    wall_time: float | None = None
    source: str = ""

    def __post_init__(self) -> None:
        img = self.image
        if not isinstance(img, np.ndarray) or img.ndim != 3 or img.shape[2] != 3:
            shape = getattr(img, "shape", type(img).__name__)
            raise ValueError(f"Frame.image must be an (H, W, 3) array, got {shape}")
        if img.dtype != np.uint8:
            raise ValueError(f"Frame.image must be uint8, got {img.dtype}")

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


RANGE_UNCERTAINTY_MESH = 0.12
"""A meshed face's distance uncertainty when nothing says otherwise (observations
recorded before perception reported it, hand-made faces): on the rendered
counters the largest error seen was +11 % (dim light). Perception reports each
face's own (:func:`frontdesk.perception.depth.depth_uncertainty`)."""
RANGE_UNCERTAINTY_KEYPOINTS = 0.30
"""A face seen by the detector alone (no mesh): errors up to +26 % were seen (dim
light, darker skin), from the six keypoints' spacing."""


@dataclass
class Face:
    """One face seen in one frame.

    Attributes:
        bbox: (x0, y0, x1, y1) in pixels.
        score: detector confidence, 0 to 1.
        landmarks: (478, 3) face-mesh landmarks in pixels (x, y) with z in the same
            pixel scale, or None when the mesh was not run or failed (far faces).
        yaw_deg, pitch_deg, roll_deg: head pose, see the module docstring.
        gaze: unit 3-vector in the camera frame (head pose corrected by the irises).
        head_position_m: the point between the eyes, metres, camera frame.
        rotation: 3x3 rotation from the head's frame to the camera frame, or None.
        has_mesh: True when pose and gaze come from the mesh; False when only the
            detector saw the face (then gaze is a coarse estimate from keypoints).
        range_uncertainty_rel: what perception measured of :attr:`range_uncertainty`
            (None: the default for a face with or without a mesh).
        appearance: the colour signature of the clothes under the face
            (:mod:`frontdesk.perception.appearance`), or None (chest out of the
            frame, or not computed).
    """

    bbox: tuple[float, float, float, float]
    score: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    gaze: np.ndarray
    head_position_m: np.ndarray
    landmarks: np.ndarray | None = None
    rotation: np.ndarray | None = None
    has_mesh: bool = True
    range_uncertainty_rel: float | None = None
    appearance: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.gaze = np.asarray(self.gaze, dtype=np.float64).reshape(3)
        self.head_position_m = np.asarray(self.head_position_m, dtype=np.float64).reshape(3)
        if len(self.bbox) != 4:
            raise ValueError(f"Face.bbox must have 4 numbers, got {len(self.bbox)}")
        if self.landmarks is not None and self.landmarks.ndim != 2:
            raise ValueError(f"Face.landmarks must be (N, 3), got {self.landmarks.shape}")

    @property
    def center_px(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.bbox
        return ((x0 + x1) / 2.0, (y0 + y1) / 2.0)

    @property
    def size_px(self) -> float:
        """Face width in pixels (bbox width)."""
        return float(self.bbox[2] - self.bbox[0])

    @property
    def range_uncertainty(self) -> float:
        """How far off the head's distance from the camera may be, as a fraction of it.

        The direction to the head comes from its image position and is precise; its
        distance comes from the apparent size of the irises and eyes, which dim
        light, darker skin, glasses or a face turned away misread. Measured on
        rendered counters (docs/perception.md, "Distance and its uncertainty").
        """
        if self.range_uncertainty_rel is not None:
            return self.range_uncertainty_rel
        return RANGE_UNCERTAINTY_MESH if self.has_mesh else RANGE_UNCERTAINTY_KEYPOINTS

    def to_json(self) -> dict:
        """The record `frontdesk inspect --json` prints for this face."""
        return {
            "bbox": [round(float(v), 1) for v in self.bbox],
            "score": round(float(self.score), 3),
            "yaw_deg": round(float(self.yaw_deg), 2),
            "pitch_deg": round(float(self.pitch_deg), 2),
            "roll_deg": round(float(self.roll_deg), 2),
            "gaze": [round(float(v), 4) for v in self.gaze],
            "head_position_m": [round(float(v), 3) for v in self.head_position_m],
            "range_uncertainty": round(float(self.range_uncertainty), 3),
            **({} if self.appearance is None else
               {"appearance": signature_to_hex(self.appearance)}),
        }


@dataclass(frozen=True)
class BodyBox:
    """One detected body (or any object of the model's classes) in frame pixels.

    Made by a person detector (:mod:`frontdesk.detectors`) or the simulator.

    Attributes:
        x0, y0, x1, y1: corners in pixels of the frame given to ``detect``, clipped
            to the frame, with ``x0 <= x1`` and ``y0 <= y1``.
        score: confidence 0 to 1 (class score, times objectness where the
            layout has one).
        class_id: index into the model's class names (0 is person for COCO).
    """

    x0: float
    y0: float
    x1: float
    y1: float
    score: float
    class_id: int = 0

    def __post_init__(self) -> None:
        values = (self.x0, self.y0, self.x1, self.y1, self.score)
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"BodyBox needs finite numbers, got {values}")
        if self.x1 < self.x0 or self.y1 < self.y0:
            raise ValueError(
                f"BodyBox corners must satisfy x0 <= x1 and y0 <= y1, got "
                f"({self.x0}, {self.y0}, {self.x1}, {self.y1})"
            )

    @property
    def width_px(self) -> float:
        return self.x1 - self.x0

    @property
    def height_px(self) -> float:
        return self.y1 - self.y0

    @property
    def center_px(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2.0, (self.y0 + self.y1) / 2.0)

    @property
    def xyxy(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    def contains(self, x: float, y: float) -> bool:
        """True when the point (pixels) lies inside the box or on its edge."""
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1

    def to_json(self) -> dict:
        return {
            "bbox": [round(float(v), 1) for v in self.xyxy],
            "score": round(float(self.score), 3),
            "class_id": int(self.class_id),
        }


@dataclass(frozen=True)
class OccupancyGrid:
    """Where the picture differs from the empty scene: a coarse grid of cells.

    Perception's presence stage (:mod:`frontdesk.perception.presence`) compares
    each frame with a learned picture of the empty scene; a cell is *occupied*
    when enough of its pixels differ. It keeps a person present when their face
    is gone (looking down at a phone, turned to a colleague): their head and body
    still occupy the cells where they stand.

    Attributes:
        cells: bool array of shape (rows, cols); row 0 is the top of the image.
    """

    cells: np.ndarray

    def __post_init__(self) -> None:
        c = self.cells
        if not isinstance(c, np.ndarray) or c.ndim != 2 or c.dtype != np.bool_:
            got = getattr(c, "shape", type(c).__name__), getattr(c, "dtype", None)
            raise ValueError(f"OccupancyGrid.cells must be a 2-D bool array, got {got}")

    @property
    def rows(self) -> int:
        return int(self.cells.shape[0])

    @property
    def cols(self) -> int:
        return int(self.cells.shape[1])

    def box_cells(self, x0: float, y0: float, x1: float, y1: float
                  ) -> tuple[slice, slice]:
        """(rows, cols) slices of the cells whose centres lie in a box given in
        normalised image coordinates (0 to 1 on both axes); empty when none do."""
        rows, cols = self.cells.shape
        c0, c1 = _cell_span(x0, x1, cols)
        r0, r1 = _cell_span(y0, y1, rows)
        return slice(r0, max(r0, r1)), slice(c0, max(c0, c1))

    def fraction(self, x0: float, y0: float, x1: float, y1: float) -> float:
        """Share of occupied cells in a box (see :meth:`box_cells`); 0 when empty."""
        block = self.cells[self.box_cells(x0, y0, x1, y1)]
        return float(block.mean()) if block.size else 0.0

    def to_json(self) -> dict:
        packed = np.packbits(self.cells.ravel())
        return {"cols": self.cols, "rows": self.rows, "bits": packed.tobytes().hex()}

    @classmethod
    def from_json(cls, d: dict) -> OccupancyGrid:
        rows, cols = int(d["rows"]), int(d["cols"])
        if not (0 < rows <= 1024 and 0 < cols <= 1024):
            raise ValueError(f"occupancy grid size {cols}x{rows} is out of range")
        raw = np.frombuffer(bytes.fromhex(str(d["bits"])), dtype=np.uint8)
        bits = np.unpackbits(raw)
        if bits.size < rows * cols:
            raise ValueError(f"occupancy grid {cols}x{rows} needs {rows * cols} bits, "
                             f"got {bits.size}")
        return cls(bits[: rows * cols].reshape(rows, cols).astype(bool))


def _cell_span(lo: float, hi: float, n: int) -> tuple[int, int]:
    """Cells whose centres ((i + 0.5) / n) lie in [lo, hi], clipped to the grid."""
    start = max(0, math.ceil(lo * n - 0.5))
    stop = min(n, math.floor(hi * n - 0.5) + 1)
    return start, stop


@dataclass
class FrameObservation:
    """Everything perception saw in one frame. The simulator makes the same records.

    ``bodies`` holds the person detector's boxes. The detector runs on one frame
    in ``detectors.person.every_n_frames``: ``bodies_fresh`` is True on the frames
    it ran (``bodies`` is then its answer, possibly empty); on the frames between,
    ``bodies`` carries the latest run's boxes for drawing and ``bodies_fresh`` is
    False, so nothing mistakes them for a measurement of this frame. Without a
    person detector, ``bodies`` is empty and never fresh.
    """

    index: int
    t: float
    width: int
    height: int
    faces: list[Face] = field(default_factory=list)
    wall_time: float | None = None
    bodies: list[BodyBox] = field(default_factory=list)
    bodies_fresh: bool = False
    occupancy: OccupancyGrid | None = None
    """Where the picture differs from the empty scene (None: presence stage off)."""

    def to_json(self) -> dict:
        d = {
            "frame": self.index,
            "t": round(float(self.t), 4),
            "faces": [f.to_json() for f in self.faces],
        }
        if self.bodies or self.bodies_fresh:  # nothing added without a person detector
            d["bodies"] = [b.to_json() for b in self.bodies]
            d["bodies_fresh"] = bool(self.bodies_fresh)
        if self.occupancy is not None:
            d["occupancy"] = self.occupancy.to_json()
        return d


@dataclass
class TrackedFace:
    """A person with the anonymous id the tracker gave them: a face, a body, or both.

    Each frame a track is one of:

    * measured by a face (``face`` set; ``body`` too when a fresh body box held it);
    * measured by a body only (``face`` None, ``body`` set): the person is there
      but not facing the camera, so there is no gaze this frame;
    * held (both None) through a short miss (grace period): the engine keeps the
      person but has nothing fresh for that frame.

    ``center_norm`` is the head point, normalised image coordinates: the face
    centre when a face is seen, else the body's head point corrected by this
    track's learned face-to-body offset (last measured while held).
    ``head_position_m`` is the latest *face-derived* head position (camera frame,
    metres), None for a track never seen by its face.
    """

    track_id: int
    face: Face | None
    center_norm: tuple[float, float]
    head_position_m: np.ndarray | None
    age_s: float = 0.0
    body: BodyBox | None = None

    @property
    def measured(self) -> bool:
        """Seen this frame, by a face or a body."""
        return self.face is not None or self.body is not None


SIGNATURE_HUE_BINS = 12
"""A colour signature (:mod:`frontdesk.perception.appearance`) is this many hue bins
times two saturation bins, then ..."""
SIGNATURE_GREY_BINS = 4
"""... this many value bins for black, grey and white."""


def signature_colour_share(signature: np.ndarray) -> float:
    """The share of a colour signature in colour (not black, grey or white)."""
    return float(np.sum(signature[:2 * SIGNATURE_HUE_BINS]))


def signature_to_hex(signature: np.ndarray) -> str:
    """A colour signature (shares summing to 1) as hex, one byte a bin (x 255)."""
    q = np.clip(np.rint(np.asarray(signature, dtype=np.float64) * 255.0), 0, 255)
    return bytes(q.astype(np.uint8)).hex()


def signature_from_hex(text: str) -> np.ndarray:
    """Inverse of :func:`signature_to_hex` (renormalised: rounding moved the sum)."""
    q = np.frombuffer(bytes.fromhex(text), dtype=np.uint8).astype(np.float32)
    total = float(q.sum())
    return q / total if total > 0 else q


def signature_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Hellinger distance between two colour signatures: 0 the same colours, 1 none
    shared (:mod:`frontdesk.perception.appearance`)."""
    bc = float(np.sum(np.sqrt(np.maximum(a, 0.0) * np.maximum(b, 0.0))))
    return float(np.sqrt(max(0.0, 1.0 - bc)))

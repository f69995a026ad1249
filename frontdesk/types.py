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
from typing import Protocol

import numpy as np

__all__ = ["Frame", "Picture", "grey_from_luma", "video_to_full_range_lut", "Face", "BodyBox",
           "OccupancyGrid", "FrameObservation", "TrackedFace", "CameraStatus", "signature_to_hex",
           "signature_from_hex", "signature_distance",
           "signature_colour_share", "signature_excess", "SIGNATURE_HUE_BINS",
           "SIGNATURE_GREY_BINS"]


class CameraStatus:
    """String constants for a source's health."""

    ONLINE = "online"
    OFFLINE = "offline"
    ENDED = "ended"


class Picture(Protocol):
    """A decoded picture kept as the decoder gave it (YUV), converted on demand.

    A video decoder hands over YUV: the luma plane is a grey picture already, and
    converting the whole frame to BGR costs more than decoding it (docs/capture.md,
    "Decoders"). A :class:`Frame` holding a picture converts it on the first use
    of :attr:`Frame.image`; the gate and the presence stage read the luma instead.
    """

    width: int
    height: int
    full_range: bool
    """True when luma runs 0 to 255 (JPEG range); False for video range, 16 to 235."""

    def luma(self) -> np.ndarray:
        """The luma plane, (height, width) uint8, without conversion (a view)."""
        ...

    def bgr(self) -> np.ndarray:
        """The picture as BGR uint8, (height, width, 3), contiguous."""
        ...


class Frame:
    """One decoded image with its capture time.

    Built either from a BGR image (``Frame(image, t, index, wall_time, source)``:
    image folders, cameras, tests) or from a decoder's picture
    (:meth:`from_picture`), whose BGR is made on the first use of :attr:`image`
    and kept. Read-only once built.

    Attributes:
        image: BGR uint8 array of shape (height, width, 3), as OpenCV decodes it.
        t: capture time in seconds on the source clock (video time or monotonic).
        index: frame number since the source was opened, counting skipped frames.
        wall_time: Unix time at capture, for reports only (None for files whose
            start time is unknown).
        source: a printable name of the source, with any credentials removed.
    """

    __slots__ = ("t", "index", "wall_time", "source", "_image", "_picture", "_grey", "_size")

    t: float
    index: int
    wall_time: float | None
    source: str
    _image: np.ndarray | None
    _picture: Picture | None
    _grey: np.ndarray | None
    _size: tuple[int, int]

    def __init__(self, image: np.ndarray, t: float, index: int, wall_time: float | None = None,
                 source: str = "") -> None:
        if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
            shape = getattr(image, "shape", type(image).__name__)
            raise ValueError(f"Frame.image must be an (H, W, 3) array, got {shape}")
        if image.dtype != np.uint8:
            raise ValueError(f"Frame.image must be uint8, got {image.dtype}")
        self._init(t, index, wall_time, source, image, None,
                   (int(image.shape[1]), int(image.shape[0])))

    @classmethod
    def from_picture(cls, picture: Picture, t: float, index: int,
                     wall_time: float | None = None, source: str = "") -> Frame:
        """A frame whose BGR image is converted from ``picture`` when first asked for."""
        frame = cls.__new__(cls)
        frame._init(t, index, wall_time, source, None, picture,
                    (int(picture.width), int(picture.height)))
        return frame

    def _init(self, t: float, index: int, wall_time: float | None, source: str,
              image: np.ndarray | None, picture: Picture | None, size: tuple[int, int]) -> None:
        put = object.__setattr__
        put(self, "t", t)
        put(self, "index", index)
        put(self, "wall_time", wall_time)
        put(self, "source", source)
        put(self, "_image", image)
        put(self, "_picture", picture)
        put(self, "_grey", None)
        put(self, "_size", size)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Frame is read-only (cannot set {name!r})")

    def __repr__(self) -> str:
        held = "bgr" if self._image is not None else "yuv"
        return (f"Frame(t={self.t!r}, index={self.index!r}, wall_time={self.wall_time!r}, "
                f"source={self.source!r}, {self.width}x{self.height} {held})")

    @property
    def image(self) -> np.ndarray:
        """BGR uint8, (height, width, 3); converted from the decoder's picture on first
        use (the gate's idle frames never ask)."""
        image = self._image
        if image is None:
            assert self._picture is not None
            image = self._picture.bgr()
            object.__setattr__(self, "_image", image)
        return image

    @property
    def converted(self) -> bool:
        """True once the frame holds its BGR image (made or given)."""
        return self._image is not None

    @property
    def luma(self) -> np.ndarray | None:
        """The decoder's luma plane, (height, width) uint8, video or JPEG range
        (:attr:`luma_full_range`); None for a frame built from BGR."""
        return None if self._picture is None else self._picture.luma()

    @property
    def luma_full_range(self) -> bool:
        """Whether :attr:`luma` runs 0 to 255 (else 16 to 235, video range)."""
        return self._picture is not None and bool(self._picture.full_range)

    @property
    def grey(self) -> np.ndarray:
        """The frame in grey, (height, width) uint8, on ``cv2.COLOR_BGR2GRAY``'s scale:
        the luma stretched to 0 to 255 when the frame has one (within a few levels of
        the BGR's grey; about 5 on average for a stream tagged BT.709,
        docs/capture.md), else converted from BGR. Kept once made. Stages that shrink
        the frame first should shrink :attr:`luma` instead (cheaper)."""
        grey = self._grey
        if grey is None:
            import cv2

            luma = self.luma
            if luma is None:
                grey = cv2.cvtColor(self.image, cv2.COLOR_BGR2GRAY)
            elif self.luma_full_range:
                grey = luma.copy()  # not a view of the decoder's buffer
            else:
                grey = grey_from_luma(luma, False)
            object.__setattr__(self, "_grey", grey)
        return grey

    @property
    def width(self) -> int:
        return self._size[0]

    @property
    def height(self) -> int:
        return self._size[1]


_VIDEO_RANGE_LUT: np.ndarray | None = None


def grey_from_luma(luma: np.ndarray, full_range: bool) -> np.ndarray:
    """A luma picture on ``cv2.COLOR_BGR2GRAY``'s scale: as it is when full range (the
    same array), else stretched by :func:`video_to_full_range_lut` (a new one)."""
    if full_range:
        return luma
    import cv2

    return cv2.LUT(luma, video_to_full_range_lut())


def video_to_full_range_lut() -> np.ndarray:
    """A 256-entry uint8 table from video-range luma (16 to 235) to full-range grey
    (0 to 255): ``(y - 16) * 255 / 219`` rounded down and clipped, which is what
    FFmpeg's BT.601 conversion to BGR gives a grey pixel (every level checked),
    so the grey of a converted frame is this up to its colours' rounding."""
    global _VIDEO_RANGE_LUT
    if _VIDEO_RANGE_LUT is None:
        y = np.arange(256, dtype=np.float64)
        _VIDEO_RANGE_LUT = np.clip(np.floor((y - 16.0) * 255.0 / 219.0), 0, 255).astype(np.uint8)
    return _VIDEO_RANGE_LUT


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


def signature_excess(mixed: np.ndarray, part: np.ndarray, share: float) -> float:
    """How much of the colours of ``part`` the signature ``mixed`` cannot hold if
    ``share`` of it were ``part`` (and the rest anything else): the least share of
    ``part`` to leave out so that ``share`` times the rest fits under ``mixed`` in
    every bin. 0: ``mixed`` may be ``part`` seen through a gap, such as a chest half
    hidden by a nearer person's coat; 1: no colour of ``part`` is in ``mixed`` (also
    for an empty ``part``, which nothing shows).

    Raises:
        ValueError: ``share`` not in (0, 1].
    """
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be in (0, 1], not {share}")
    part = np.asarray(part, dtype=np.float64)
    total = float(part.sum())
    if total <= 0.0:
        return 1.0
    over = np.maximum(part - np.asarray(mixed, dtype=np.float64) / share, 0.0)
    return float(over.sum()) / total


def signature_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Hellinger distance between two colour signatures: 0 the same colours, 1 none
    shared (:mod:`frontdesk.perception.appearance`)."""
    bc = float(np.sum(np.sqrt(np.maximum(a, 0.0) * np.maximum(b, 0.0))))
    return float(np.sqrt(max(0.0, 1.0 - bc)))

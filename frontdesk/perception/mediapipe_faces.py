"""MediaPipe adapters: full-range face detection and Face Mesh on face crops.

Everything that touches MediaPipe lives here, so the rest of perception is plain
numpy and OpenCV. Both graphs come from the ``mediapipe.solutions`` API of
mediapipe 0.10.21, whose wheel carries the models; nothing is downloaded.

Face Mesh runs in static-image mode on one crop per face: a square around the
detector's box, :data:`CROP_EXPAND` times its size (Face Mesh's own short-range
detector inside the graph wants margin around the face), resampled to between
:data:`CROP_MIN_PX` and :data:`CROP_MAX_PX` pixels so small faces are upscaled
and large ones are not wastefully big. The landmarks come back in crop
coordinates and are mapped to the frame's pixels.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from frontdesk.errors import ModelError

__all__ = [
    "CROP_EXPAND",
    "CROP_MIN_PX",
    "CROP_MAX_PX",
    "KEYPOINT_NAMES",
    "Detection",
    "MeshCrop",
    "mesh_crop",
    "landmarks_array",
    "detections_from_result",
    "detections_from_list",
    "tile_windows",
    "zoom_windows",
    "merge_detections",
    "MediaPipeFaces",
    "GraphRunner",
    "add_windows",
]

log = logging.getLogger(__name__)

CROP_EXPAND = 2.0
CROP_MIN_PX = 192
CROP_MAX_PX = 320
MESH_DETECTION_CONFIDENCE = 0.3
"""Threshold of Face Mesh's inner detector: low, since the crop is known to hold a face."""

KEYPOINT_NAMES = ("right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear")


@dataclass(frozen=True)
class Detection:
    """One face from the detector, in frame pixels.

    Attributes:
        bbox: (x0, y0, x1, y1).
        score: detector confidence.
        keypoints_px: (6, 2) in :data:`KEYPOINT_NAMES` order (subject's right and left).
    """

    bbox: tuple[float, float, float, float]
    score: float
    keypoints_px: np.ndarray

    @property
    def width_px(self) -> float:
        return self.bbox[2] - self.bbox[0]

    @property
    def area_px(self) -> float:
        return (self.bbox[2] - self.bbox[0]) * (self.bbox[3] - self.bbox[1])


@dataclass(frozen=True)
class MeshCrop:
    """A square region of the frame, ``side`` pixels from (x0, y0), resampled to ``size_px``."""

    x0: int
    y0: int
    side: int
    size_px: int

    def cut(self, image: np.ndarray) -> np.ndarray:
        """The crop of ``image`` (contiguous); parts outside the frame are black."""
        h, w = image.shape[:2]
        x0, y0, x1, y1 = self.x0, self.y0, self.x0 + self.side, self.y0 + self.side
        region = image[max(y0, 0):min(y1, h), max(x0, 0):min(x1, w)]
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            region = cv2.copyMakeBorder(
                region, max(-y0, 0), max(y1 - h, 0), max(-x0, 0), max(x1 - w, 0),
                cv2.BORDER_CONSTANT, value=(0, 0, 0),
            )
        if self.size_px == self.side:
            return np.ascontiguousarray(region)
        interpolation = cv2.INTER_LINEAR if self.size_px > self.side else cv2.INTER_AREA
        return cv2.resize(region, (self.size_px, self.size_px), interpolation=interpolation)

    def to_frame(self, normalized: np.ndarray) -> np.ndarray:
        """Face Mesh's normalised crop landmarks (N, 3) to frame pixels.

        x and y are fractions of the crop; z is in the same unit as x. All three
        come back in frame pixels.
        """
        out = np.asarray(normalized, dtype=np.float64) * float(self.side)
        out[:, 0] += self.x0
        out[:, 1] += self.y0
        return out


def mesh_crop(
    bbox: tuple[float, float, float, float],
    expand: float = CROP_EXPAND,
    min_px: int = CROP_MIN_PX,
    max_px: int = CROP_MAX_PX,
) -> MeshCrop:
    """The square crop Face Mesh runs on for a detector box (whole pixels)."""
    x0, y0, x1, y1 = bbox
    side = int(round(max(x1 - x0, y1 - y0) * expand))
    if side <= 0:
        raise ValueError(f"empty face box {bbox}")
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    size = min(max(side, min_px), max_px)
    return MeshCrop(int(round(cx - side / 2.0)), int(round(cy - side / 2.0)), side, size)


_LANDMARK_RECORD = np.dtype(
    [("tag", "u1"), ("length", "u1"), ("tag_x", "u1"), ("x", "<f4"), ("tag_y", "u1"),
     ("y", "<f4"), ("tag_z", "u1"), ("z", "<f4")]
)
"""One ``NormalizedLandmark {x, y, z}`` as protobuf serialises it inside a landmark
list: field 1 (length-delimited, 15 bytes), then floats 1, 2 and 3 (fixed32)."""


def landmarks_array(landmark_list: Any) -> np.ndarray:
    """(N, 3) float64 from a ``NormalizedLandmarkList``.

    Reading 478 protobuf messages attribute by attribute costs ~0.4 ms; parsing
    the serialised bytes with a fixed record layout costs ~0.02 ms. The layout is
    checked (every tag and length) and anything unexpected, such as landmarks
    carrying visibility, falls back to the attribute path.
    """
    raw = landmark_list.SerializeToString()
    if len(raw) % _LANDMARK_RECORD.itemsize == 0:
        rec = np.frombuffer(raw, dtype=_LANDMARK_RECORD)
        if (
            np.all(rec["tag"] == 0x0A) and np.all(rec["length"] == 15)
            and np.all(rec["tag_x"] == 0x0D) and np.all(rec["tag_y"] == 0x15)
            and np.all(rec["tag_z"] == 0x1D)
        ):
            return np.stack([rec["x"], rec["y"], rec["z"]], axis=1).astype(np.float64)
    return np.array([(p.x, p.y, p.z) for p in landmark_list.landmark], dtype=np.float64)


def detections_from_result(result: object, width: int, height: int) -> list[Detection]:
    """The detections of a ``FaceDetection.process`` result as :class:`Detection`,
    largest first."""
    return detections_from_list(getattr(result, "detections", None), width, height)


def detections_from_list(detections: Any, width: int, height: int) -> list[Detection]:
    """MediaPipe's detection protos to :class:`Detection`, largest first."""
    out: list[Detection] = []
    for det in detections or []:
        loc = det.location_data
        bb = loc.relative_bounding_box
        x0, y0 = bb.xmin * width, bb.ymin * height
        box = (x0, y0, x0 + bb.width * width, y0 + bb.height * height)
        kps = np.array(
            [(k.x * width, k.y * height) for k in loc.relative_keypoints], dtype=np.float64
        )
        if kps.shape != (6, 2):
            continue
        out.append(Detection(box, float(det.score[0]), kps))
    out.sort(key=lambda d: d.area_px, reverse=True)
    return out


def tile_windows(width: int, height: int, count: int) -> list[tuple[int, int, int]]:
    """``count`` square windows ``(x0, y0, side)`` spread evenly along the long side.

    The detector scales its whole input into a 192 px square, so on a wide frame
    a face is only 192 / width of its pixels. A square tile as tall as the frame
    gives it 192 / height instead (1.8 times the linear resolution at 16:9), at
    the cost of one more detector run per tile. The tiles overlap; with two on a
    16:9 frame the overlap is an eighth of the width, wider than a face at the
    counter. A square frame, or ``count`` 0, gives no tiles.
    """
    side = min(width, height)
    long_side = max(width, height)
    if count <= 0 or side == long_side:
        return []
    if count == 1:
        starts = [(long_side - side) // 2]
    else:
        starts = [round(i * (long_side - side) / (count - 1)) for i in range(count)]
    if width >= height:
        return [(x0, 0, side) for x0 in starts]
    return [(0, y0, side) for y0 in starts]


def zoom_windows(width: int, height: int, regions: list[tuple[float, float, float, float]],
                 side_fraction: float) -> list[tuple[int, int, int]]:
    """Square windows ``(x0, y0, side)`` covering each region (a box in frame
    pixels), ``side_fraction`` of the frame's height on a side.

    A face in such a window reaches the detector's 192 px input at
    ``1 / side_fraction`` times the scale of a frame-high tile: at 0.5, a queue's
    faces 2 to 3 m off, side by side and 25 px wide at 960 x 540, are found there
    and not on the frame-high tiles (docs/perception.md, "Small faces in the
    approach"). A region wider or taller than a window gets several, overlapping
    by at least a quarter of a side; every window lies inside the frame. None
    when the windows would be no smaller than a frame-high tile.
    """
    side = round(side_fraction * min(width, height))
    if side < 16 or side >= 0.9 * min(width, height):
        return []
    out: list[tuple[int, int, int]] = []

    def starts(lo: float, hi: float, limit: int) -> list[int]:
        extent = hi - lo
        if extent <= side:
            first = [round((lo + hi - side) / 2.0)]
        else:
            n = math.ceil((extent - side) / (0.75 * side)) + 1
            first = [round(lo + i * (extent - side) / (n - 1)) for i in range(n)]
        return [min(max(0, v), limit - side) for v in first]

    for x0, y0, x1, y1 in regions:
        for y in starts(y0, y1, height):
            for x in starts(x0, x1, width):
                if (x, y, side) not in out:
                    out.append((x, y, side))
    return out


NESTED_SHARE = 0.6
"""Two boxes are one face when the smaller lies this much inside the larger."""


def _nested(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether the smaller box lies mostly (:data:`NESTED_SHARE` of its area) inside the
    larger: one face boxed twice at different sizes by two passes (an inflated box
    around a small face, 50 against 22 px, overlaps it by less than 0.2 IoU).
    Neighbours in a queue stand side by side and never nest."""
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return False
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return smaller > 0 and ix * iy >= NESTED_SHARE * smaller


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def merge_detections(detections: list[Detection], iou: float = 0.3,
                     whole_frame: int = 0) -> list[Detection]:
    """One detection per face from overlapping runs; largest first.

    The first ``whole_frame`` detections come from the whole-frame pass, which
    runs on every frame: where it found a face, its box is kept and the tiles'
    boxes of that face are dropped, so a face gets the same kind of box on every
    frame. (The tiles run in turn; taking their better-scored box on the frames
    they run made a standing face's box jump by about 13 px from frame to frame,
    which the engine read as movement.) Among the rest, the best-scored of each
    group whose boxes overlap by more than ``iou``, or nest (:func:`_nested`),
    is kept.
    """
    kept: list[Detection] = []
    first = sorted(detections[:whole_frame], key=lambda d: d.score, reverse=True)
    rest = sorted(detections[whole_frame:], key=lambda d: d.score, reverse=True)
    for det in first + rest:
        if all(_iou(det.bbox, k.bbox) <= iou and not _nested(det.bbox, k.bbox) for k in kept):
            kept.append(det)
    kept.sort(key=lambda d: d.area_px, reverse=True)
    return kept


def _shifted(det: Detection, dx: float, dy: float) -> Detection:
    x0, y0, x1, y1 = det.bbox
    return Detection(
        (x0 + dx, y0 + dy, x1 + dx, y1 + dy), det.score, det.keypoints_px + (dx, dy)
    )


def _cut_by_edge(det: Detection, window: tuple[int, int, int], width: int, height: int) -> bool:
    """True when the box touches an edge of the tile that is inside the frame:
    the face is cut there, and the whole frame or the next tile sees it whole."""
    x0, y0, side = window
    bx0, by0, bx1, by1 = det.bbox
    margin = 2.0
    return (
        (x0 > 0 and bx0 <= margin)
        or (y0 > 0 and by0 <= margin)
        or (x0 + side < width and bx1 >= side - margin)
        or (y0 + side < height and by1 >= side - margin)
    )


def add_windows(detect: Any, rgb: np.ndarray, found: list[Detection],
                windows: list[tuple[int, int, int]] | tuple) -> list[Detection]:
    """``found`` (the whole-frame pass) merged with what ``detect`` (an RGB image
    to MediaPipe's detection protos) finds on each square window ``(x0, y0,
    side)``; ``found`` itself when there are none. Faces a window cuts at an
    inner edge are left to the whole frame or another window."""
    if not windows:
        return found
    h, w = rgb.shape[:2]
    found = list(found)
    whole_frame = len(found)
    for window in windows:
        x0, y0, side = window
        tile = np.ascontiguousarray(rgb[y0:y0 + side, x0:x0 + side])
        for det in detections_from_list(detect(tile), side, side):
            if not _cut_by_edge(det, window, w, h):
                found.append(_shifted(det, x0, y0))
    return merge_detections(found, whole_frame=whole_frame)


class GraphRunner:
    """Runs one ``mediapipe.solutions`` graph on an RGB image and returns one output
    stream's content, as ``getattr(solution.process(rgb), output)`` does, for less.

    ``SolutionBase.process`` builds a new namedtuple class on every call
    (``collections.namedtuple`` compiles its template with ``eval``) and converts
    every output stream; that is about 0.2 ms a call, and perception makes three
    to four calls a frame (docs/performance.md, "Calling the graphs directly").
    This does the same steps as ``process`` in mediapipe 0.10.21 (the pinned
    release): clear the outputs, advance the simulated timestamp, add the image
    packet, wait until idle, read the one stream. The solution's private members
    it uses are checked when it is built; if any is missing (another MediaPipe
    release), it calls ``process`` instead, so results never depend on it.
    """

    def __init__(self, solution: Any, output: str) -> None:
        self._solution = solution
        self._output = output
        self.direct = False
        try:
            inputs = dict(solution._input_stream_type_info)
            self._out_type = solution._output_stream_type_info[output]
            checks = (solution._graph.add_packet_to_input_stream,
                      solution._graph.wait_until_idle, solution._graph_outputs.clear,
                      solution._make_packet, solution._get_packet_content,
                      solution._simulated_timestamp + 0)
        except (AttributeError, KeyError, TypeError):
            return
        if len(inputs) == 1 and all(c is not None for c in checks):
            (self._in_name, self._in_type), = inputs.items()
            self.direct = True

    def __call__(self, rgb: np.ndarray) -> Any:
        s = self._solution
        if not self.direct:
            return getattr(s.process(rgb), self._output)
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError("Input image must contain three channel rgb data.")
        s._graph_outputs.clear()
        s._simulated_timestamp += 33333
        s._graph.add_packet_to_input_stream(
            stream=self._in_name,
            packet=s._make_packet(self._in_type, rgb).at(s._simulated_timestamp))
        s._graph.wait_until_idle()
        packet = s._graph_outputs.get(self._output)
        return None if packet is None else s._get_packet_content(self._out_type, packet)


class MediaPipeFaces:
    """The two MediaPipe graphs perception uses, created and checked at start-up.

    Raises :class:`ModelError` when MediaPipe cannot be imported or a graph
    cannot be built or run once on a blank image.
    """

    def __init__(self, min_detection_confidence: float) -> None:
        try:
            import mediapipe as mp
        except ImportError as exc:
            raise ModelError(
                f"cannot import MediaPipe ({exc}); install the project's pinned "
                "mediapipe==0.10.21, whose wheel carries the face models"
            ) from None
        try:
            self._detector = mp.solutions.face_detection.FaceDetection(
                model_selection=1, min_detection_confidence=min_detection_confidence
            )
            self._mesh = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=True,
                max_num_faces=1,
                refine_landmarks=True,
                min_detection_confidence=MESH_DETECTION_CONFIDENCE,
            )
            self._detect = GraphRunner(self._detector, "detections")
            self._landmarks = GraphRunner(self._mesh, "multi_face_landmarks")
            self._detect(np.zeros((64, 64, 3), np.uint8))
            self._landmarks(np.zeros((CROP_MIN_PX, CROP_MIN_PX, 3), np.uint8))
        except (RuntimeError, ValueError, OSError, AttributeError) as exc:
            self.close()
            raise ModelError(
                f"cannot load MediaPipe's face detection / face mesh models: {exc}"
            ) from None
        log.debug("MediaPipe face detection (full range) and face mesh (refined) loaded")

    def detect(
        self, rgb: np.ndarray, windows: list[tuple[int, int, int]] | tuple = ()
    ) -> list[Detection]:
        """Faces in an RGB frame, largest first.

        The detector runs on the whole frame and then on each square window
        ``(x0, y0, side)`` (see :func:`tile_windows`); the runs are merged with
        :func:`merge_detections`. Faces a window cuts at an inner edge are left
        to the whole frame or the neighbouring window.
        """
        return self.add_tiles(rgb, self.detect_whole(rgb), windows)

    def detect_whole(self, rgb: np.ndarray) -> list[Detection]:
        """Faces the detector finds on the whole frame, largest first."""
        h, w = rgb.shape[:2]
        return detections_from_list(self._detect(rgb), w, h)

    def add_tiles(self, rgb: np.ndarray, found: list[Detection],
                  windows: list[tuple[int, int, int]] | tuple) -> list[Detection]:
        """``found`` (the whole-frame pass) merged with the detector's runs on
        ``windows``; ``found`` itself when there are none."""
        return add_windows(self._detect, rgb, found, windows)

    def mesh(self, rgb_crop: np.ndarray) -> np.ndarray | None:
        """(478, 3) normalised landmarks of the face in an RGB crop, or None."""
        faces = self._landmarks(rgb_crop)
        if not faces:
            return None
        return landmarks_array(faces[0])

    def close(self) -> None:
        for name in ("_detector", "_mesh"):
            graph = getattr(self, name, None)
            if graph is not None:
                graph.close()
                setattr(self, name, None)

"""Perception: MediaPipe face detection and Face Mesh, head pose, gaze and distance.

``FacePerceiver`` turns a :class:`frontdesk.types.Frame` into a
:class:`frontdesk.types.FrameObservation`. MediaPipe is imported only when a
perceiver is built, so importing this package stays cheap.
"""

from __future__ import annotations

from frontdesk.perception.face_model import DEFAULT_FACE_MODEL, FaceModel
from frontdesk.perception.perceiver import FacePerceiver
from frontdesk.perception.pose import euler_from_rotation, forward_vector, rotation_from_euler

__all__ = [
    "FacePerceiver",
    "FaceModel",
    "DEFAULT_FACE_MODEL",
    "euler_from_rotation",
    "forward_vector",
    "rotation_from_euler",
]

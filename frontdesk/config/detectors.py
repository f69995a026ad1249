"""``detectors:``: optional ONNX detectors beside the face pipeline."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from frontdesk.config.base import ConfigModel

__all__ = ["DetectorsConfig", "PersonDetectorConfig"]


class PersonDetectorConfig(ConfigModel):
    """An optional ONNX person detector: bodies for customers who do not face the camera."""

    model: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.-]+$",
        description="Name of a model in the models manifest (frontdesk models list); empty: "
        "faces only.",
    )
    provider: Literal["cpu", "cuda", "openvino"] = Field(
        "cpu",
        description="onnxruntime execution provider; cuda needs onnxruntime-gpu, "
        "openvino needs onnxruntime-openvino.",
    )
    threads: int = Field(
        1,
        ge=1,
        le=64,
        description="onnxruntime intra-op threads. More is faster per frame but takes cores "
        "from face perception; 1 on a 2-core box.",
    )
    confidence: float = Field(
        0.35,
        ge=0.01,
        le=0.99,
        description="Keep people scored above this (class score x objectness where the layout "
        "has one). Lower finds more half-hidden people and more false ones.",
    )
    nms_iou: float = Field(
        0.5,
        ge=0.05,
        le=0.95,
        description="Boxes overlapping a better one by more than this IoU are dropped. Higher "
        "keeps people standing close together, and more duplicates.",
    )
    every_n_frames: int = Field(
        3,
        ge=1,
        le=300,
        description="Run the person detector on one frame in this many (faces run on all). "
        "Larger saves CPU; bodies update less often.",
    )


class DetectorsConfig(ConfigModel):
    """Optional detectors beside the face pipeline, run through onnxruntime."""

    models_dir: str = Field(
        "models",
        min_length=1,
        description="Directory holding manifest.yaml and the ONNX files it lists.",
    )
    person: PersonDetectorConfig = Field(default_factory=PersonDetectorConfig)

"""Tiny ONNX models for the detector tests, built here with the onnx helper API.

Each model takes an image input and returns a constant tensor laid out exactly
like one YOLO export, so the decoders, the letterbox mapping and NMS can be
checked against boxes computed by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8


def constant_model(path: Path, output: np.ndarray, input_size: tuple[int, int] = (640, 640),
                   input_type: int = TensorProto.FLOAT, dynamic: bool = False) -> Path:
    """Write a model whose input is an image of ``input_size`` (w, h) and output is ``output``."""
    w, h = input_size
    dims: list[int | str] = ["batch", 3, "height", "width"] if dynamic else [1, 3, h, w]
    image = helper.make_tensor_value_info("images", input_type, dims)
    out = helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(output.shape))
    node = helper.make_node("Constant", [], ["output0"],
                            value=numpy_helper.from_array(output.astype(np.float32), "table"))
    graph = helper.make_graph([node], "constant_yolo", [image], [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="frontdesk-tests")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


def yolov8_rows(n: int, rows: Mapping[int, tuple[Sequence[float], Mapping[int, float]]],
                classes: int = 80) -> np.ndarray:
    """A ``[1, 4 + classes, n]`` output: row i has box (cx, cy, w, h) and {class: score}."""
    out = np.zeros((1, 4 + classes, n), np.float32)
    for i, (box, scores) in rows.items():
        out[0, 0:4, i] = box
        for c, s in scores.items():
            out[0, 4 + c, i] = s
    return out


def yolo85_rows(n: int, rows: Mapping[int, tuple[Sequence[float], float, Mapping[int, float]]],
                classes: int = 80) -> np.ndarray:
    """A ``[1, n, 5 + classes]`` output: row i has box, objectness and {class: score}."""
    out = np.zeros((1, n, 5 + classes), np.float32)
    for i, (box, obj, scores) in rows.items():
        out[0, i, 0:4] = box
        out[0, i, 4] = obj
        for c, s in scores.items():
            out[0, i, 5 + c] = s
    return out

"""The onnxruntime person detector end to end, on constant-output models laid out like each export.

Frames are 1280x720 and models take 640x640, so the letterbox scale is 0.5:
Ultralytics layouts centre the picture (140 px bars above and below), YOLOX puts
it at the top-left (a 280 px bar below). Every expected box is worked out by hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from detector_models import constant_model, yolo85_rows, yolov8_rows
from onnx import TensorProto

from frontdesk.detectors import BodyBox, PersonDetector
from frontdesk.detectors.onnx_person import EveryNFrames, OnnxPersonDetector, resolve_layout
from frontdesk.detectors.providers import check_session_provider, resolve_provider
from frontdesk.errors import FrontdeskError, ModelError

FRAME = np.zeros((720, 1280, 3), np.uint8)

# Two overlapping people (IoU 0.82: the 0.8 one goes), one alone, one under the
# threshold, and a confident car the class filter drops.
V8_ROWS = {
    0: ((320, 320, 100, 200), {0: 0.9}),
    1: ((330, 320, 100, 200), {0: 0.8}),
    3: ((500, 300, 60, 120), {0: 0.6}),
    4: ((100, 300, 60, 120), {0: 0.2}),
    5: ((100, 400, 50, 50), {2: 0.95}),
}
# Input (270, 220, 370, 420) -> frame ((270-0)/0.5, (220-140)/0.5, ...).
V8_EXPECTED = [(540, 160, 740, 560, 0.9), (940, 200, 1060, 440, 0.6)]


def _boxes(found: list[BodyBox]) -> list[float]:
    """x0, y0, x1, y1, score of every box, flattened (pytest.approx compares flat lists)."""
    return [v for b in found for v in (b.x0, b.y0, b.x1, b.y1, b.score)]


def _flat(expected: Sequence[Sequence[float]]) -> list[float]:
    return [v for row in expected for v in row]


def test_yolov8_channels_first_end_to_end(tmp_path: Path) -> None:
    model = constant_model(tmp_path / "v8.onnx", yolov8_rows(6, V8_ROWS))
    det = OnnxPersonDetector(model, confidence=0.25, nms_iou=0.5)
    assert (det.layout, det.num_classes, det.input_size) == ("yolov8", 80, (640, 640))
    found = det.detect(FRAME)
    assert _boxes(found) == pytest.approx(_flat(V8_EXPECTED), abs=1e-3)
    assert all(b.class_id == 0 for b in found)
    assert isinstance(det, PersonDetector)


def test_yolov8_transposed_end_to_end(tmp_path: Path) -> None:
    out = np.ascontiguousarray(yolov8_rows(6, V8_ROWS).transpose(0, 2, 1))
    det = OnnxPersonDetector(constant_model(tmp_path / "v8t.onnx", out), confidence=0.25)
    assert det.output_shape == (1, 6, 84)
    assert _boxes(det.detect(FRAME)) == pytest.approx(_flat(V8_EXPECTED), abs=1e-3)


def test_nms_threshold_is_the_configured_one(tmp_path: Path) -> None:
    det = OnnxPersonDetector(constant_model(tmp_path / "v8.onnx", yolov8_rows(6, V8_ROWS)),
                             confidence=0.25, nms_iou=0.9)  # 0.82 overlap now survives
    assert [round(b.score, 4) for b in det.detect(FRAME)] == [0.9, 0.8, 0.6]


def test_yolox_raw_with_strides_end_to_end(tmp_path: Path) -> None:
    rows = {
        30 * 80 + 40: ((0.5, 0.25, math.log(10), math.log(20)), 0.9, {0: 0.8}),  # stride 8
        6400 + 20 * 40 + 10: ((0.0, 0.0, 0.0, math.log(4)), 0.8, {0: 0.75}),     # stride 16
        8000 + 5 * 20 + 19: ((0.0, 0.0, math.log(2), math.log(2)), 0.7, {0: 0.9}),  # stride 32
        8000 + 19 * 20 + 19: ((0.0, 0.0, 0.0, 0.0), 0.9, {0: 0.9}),  # in the bottom bar
    }
    det = OnnxPersonDetector(constant_model(tmp_path / "yx.onnx", yolo85_rows(8400, rows)),
                             layout="yolox-raw", confidence=0.25)
    # Input boxes: (284, 162, 364, 322), (152, 288, 168, 352), (576, 128, 640, 192) and
    # one at y 592..624, below the 360 px picture. Top-left padding: frame = input / 0.5.
    assert _boxes(det.detect(FRAME)) == pytest.approx(_flat([
        (568, 324, 728, 644, 0.72),
        (1152, 256, 1280, 384, 0.63),
        (304, 576, 336, 704, 0.6),
    ]), abs=1e-3)


def test_yolox_decoded_end_to_end(tmp_path: Path) -> None:
    rows = {0: ((324, 242, 80, 160), 0.9, {0: 0.8}), 1: ((160, 320, 16, 64), 0.8, {0: 0.75})}
    det = OnnxPersonDetector(constant_model(tmp_path / "yxd.onnx", yolo85_rows(8400, rows)),
                             layout="yolox", confidence=0.25)
    assert _boxes(det.detect(FRAME)) == pytest.approx(
        _flat([(568, 324, 728, 644, 0.72), (304, 576, 336, 704, 0.6)]), abs=1e-3)


def test_yolov5_is_auto_detected_and_decoded(tmp_path: Path) -> None:
    rows = {100: ((320, 320, 100, 200), 0.95, {0: 0.9}), 20000: ((320, 320, 40, 40), 0.9, {7: 1.0})}
    det = OnnxPersonDetector(constant_model(tmp_path / "v5.onnx", yolo85_rows(25200, rows)),
                             confidence=0.25)
    assert det.layout == "yolov5"
    assert _boxes(det.detect(FRAME)) == pytest.approx([540, 160, 740, 560, 0.855], abs=1e-3)


def test_ambiguous_yolox_shape_with_auto_is_a_clear_error(tmp_path: Path) -> None:
    model = constant_model(tmp_path / "yx.onnx", yolo85_rows(8400, {}))
    with pytest.raises(ModelError, match="yolox-raw") as info:
        OnnxPersonDetector(model, layout="auto")
    assert "yx.onnx" in str(info.value)


def test_declared_layout_that_contradicts_the_output_is_refused(tmp_path: Path) -> None:
    model = constant_model(tmp_path / "v8.onnx", yolov8_rows(8400, {}))
    with pytest.raises(ModelError, match=r"yolox.*got \[1, 84, 8400\]"):
        OnnxPersonDetector(model, layout="yolox")


def test_preprocessing_per_family(tmp_path: Path) -> None:
    frame = np.full((720, 1280, 3), (10, 20, 30), np.uint8)  # B, G, R
    v8 = OnnxPersonDetector(constant_model(tmp_path / "v8.onnx", yolov8_rows(6, V8_ROWS)))
    tensor, plan = v8.prepare(frame)
    assert tensor.shape == (1, 3, 640, 640) and tensor.dtype == np.float32
    assert plan.offset == (0, 140)
    assert tensor[0, :, 300, 300] == pytest.approx([30 / 255, 20 / 255, 10 / 255])  # RGB, 0..1
    assert tensor[0, :, 10, 300] == pytest.approx([114 / 255] * 3)  # the top bar
    yx = OnnxPersonDetector(constant_model(tmp_path / "yx.onnx", yolo85_rows(8400, {})),
                            layout="yolox")
    tensor, plan = yx.prepare(frame)
    assert plan.offset == (0, 0)
    assert tensor[0, :, 10, 300] == pytest.approx([10, 20, 30])  # BGR, 0..255, picture on top
    assert tensor[0, :, 600, 300] == pytest.approx([114, 114, 114])


def test_float16_input_models_are_fed_float16(tmp_path: Path) -> None:
    model = constant_model(tmp_path / "h.onnx", yolov8_rows(6, V8_ROWS),
                           input_type=TensorProto.FLOAT16)
    det = OnnxPersonDetector(model, confidence=0.25)
    assert det.prepare(FRAME)[0].dtype == np.float16
    assert len(det.detect(FRAME)) == 2


def test_dynamic_input_needs_a_size_and_then_uses_it(tmp_path: Path) -> None:
    model = constant_model(tmp_path / "dyn.onnx", yolov8_rows(6, V8_ROWS), dynamic=True)
    with pytest.raises(ModelError, match="input size open"):
        OnnxPersonDetector(model)
    det = OnnxPersonDetector(model, input_size=(640, 640), confidence=0.25)
    assert len(det.detect(FRAME)) == 2


def test_input_size_that_contradicts_the_graph_is_refused(tmp_path: Path) -> None:
    model = constant_model(tmp_path / "v8.onnx", yolov8_rows(6, V8_ROWS))
    with pytest.raises(ModelError, match=r"\[320, 320\] differs from the graph's \[640, 640\]"):
        OnnxPersonDetector(model, input_size=(320, 320))


def test_garbage_file_gives_a_clear_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.onnx"
    bad.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(ModelError) as info:
        OnnxPersonDetector(bad)
    assert str(info.value).startswith(f"{bad}: not a usable ONNX model")
    assert isinstance(info.value, FrontdeskError)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="model file not found"):
        OnnxPersonDetector(tmp_path / "nope.onnx")


def test_requested_provider_missing_names_the_available_ones() -> None:
    with pytest.raises(ModelError) as info:
        resolve_provider("cuda", ["CPUExecutionProvider", "AzureExecutionProvider"])
    text = str(info.value)
    assert "CUDAExecutionProvider" in text
    assert "available: cpu (CPUExecutionProvider), AzureExecutionProvider" in text
    assert "onnxruntime-gpu" in text


def test_provider_list_puts_the_accelerator_before_the_cpu() -> None:
    have = ["OpenVINOExecutionProvider", "CPUExecutionProvider"]
    assert resolve_provider("openvino", have) == ["OpenVINOExecutionProvider",
                                                  "CPUExecutionProvider"]
    assert resolve_provider("cpu", have) == ["CPUExecutionProvider"]
    with pytest.raises(ModelError, match="unknown execution provider 'tpu'"):
        resolve_provider("tpu", have)


def test_detector_with_a_provider_this_build_lacks_fails_at_construction(tmp_path: Path) -> None:
    import onnxruntime as ort

    assert "OpenVINOExecutionProvider" not in ort.get_available_providers()
    model = constant_model(tmp_path / "v8.onnx", yolov8_rows(6, V8_ROWS))
    with pytest.raises(ModelError, match="onnxruntime-openvino"):
        OnnxPersonDetector(model, provider="openvino")


def test_silent_cpu_fallback_is_reported() -> None:
    with pytest.raises(ModelError, match="could not start it"):
        check_session_provider(["CPUExecutionProvider"], "cuda")
    check_session_provider(["CUDAExecutionProvider", "CPUExecutionProvider"], "cuda")


def test_threads_reach_the_session(tmp_path: Path) -> None:
    model = constant_model(tmp_path / "v8.onnx", yolov8_rows(6, V8_ROWS))
    det = OnnxPersonDetector(model, threads=2)
    opts = det.model.session.get_session_options()
    assert (opts.intra_op_num_threads, opts.inter_op_num_threads) == (2, 1)


def test_resolve_layout_assumes_coco_unless_classes_are_named() -> None:
    assert resolve_layout("yolov8", (1, 84, 8400), None, (640, 640)) == ("yolov8", 80)
    assert resolve_layout("yolov8", (1, 5, 8400), 1, (640, 640)) == ("yolov8", 1)
    assert resolve_layout("yolox", (1, 8400, 6), 1, (640, 640)) == ("yolox", 1)
    with pytest.raises(ModelError, match=r"80 classes needs an output \[1, 84, N\]"):
        resolve_layout("yolov8", (1, 5, 8400), None, (640, 640))


def test_single_class_person_model_with_class_names(tmp_path: Path) -> None:
    out = np.zeros((1, 5, 10), np.float32)
    out[0, :, 2] = (320, 320, 100, 200, 0.7)
    det = OnnxPersonDetector(constant_model(tmp_path / "p.onnx", out), class_names=["person"],
                             confidence=0.25)
    assert det.num_classes == 1
    assert _boxes(det.detect(FRAME)) == pytest.approx([540, 160, 740, 560, 0.7], abs=1e-3)


def test_a_failing_frame_is_counted_not_raised(tmp_path: Path) -> None:
    det = OnnxPersonDetector(constant_model(tmp_path / "v8.onnx", yolov8_rows(6, V8_ROWS)))

    def broken(tensor: np.ndarray) -> np.ndarray:
        raise RuntimeError("device lost")

    det.model.run = broken  # type: ignore[method-assign]
    assert det.detect(FRAME) == [] and det.detect(FRAME) == []
    assert det.failures == 2


def test_every_n_frames_runs_the_first_and_then_one_in_n() -> None:
    calls: list[int] = []

    class Counting:
        def detect(self, image_bgr: np.ndarray) -> list[BodyBox]:
            calls.append(1)
            return [BodyBox(0, 0, 1, 1, 0.9)]

        def close(self) -> None:
            pass

    every = EveryNFrames(Counting(), 3)
    results = [every.maybe_detect(FRAME) for _ in range(7)]
    assert [r is not None for r in results] == [True, False, False, True, False, False, True]
    assert len(calls) == 3
    with pytest.raises(ValueError):
        EveryNFrames(Counting(), 0)


def test_stage_times_are_recorded(tmp_path: Path) -> None:
    det = OnnxPersonDetector(constant_model(tmp_path / "v8.onnx", yolov8_rows(6, V8_ROWS)))
    det.detect(FRAME)
    ms = det.stage_ms
    assert set(ms) == {"preprocess", "inference", "postprocess"}
    assert all(v > 0 for v in ms.values())

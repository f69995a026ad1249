"""The ONNX benchmark: its stand-in model's cost by hand, and one short run end to end."""

from __future__ import annotations

import os

import pytest

from frontdesk.bench.onnx import (
    SYNTHETIC_LAYERS,
    _pinned,
    bench_onnx,
    format_result,
    synthetic_flops,
)


def test_flops_are_counted_layer_by_layer() -> None:
    first = SYNTHETIC_LAYERS[0]
    shape = (first.c_in, first.c_out, first.kernel, first.stride, first.size_out)
    assert shape == (3, 16, 3, 2, 320)
    assert first.macs == 3 * 16 * 9 * 320 * 320
    cost = synthetic_flops()
    assert cost["gflops"] == pytest.approx(2 * cost["gmacs"])
    assert 5.5 <= cost["gflops"] <= 7.0  # near YOLO11n's published 6.5 GFLOPs at 640


def test_pinning_is_undone_afterwards() -> None:
    before = os.sched_getaffinity(0)
    with _pinned(min(before), pin=True) as core:
        assert core == min(before)
        assert os.sched_getaffinity(0) == {core}
    assert os.sched_getaffinity(0) == before


def test_a_short_run_reports_both_pipelines() -> None:
    r = bench_onnx(frames=3, warmup=1, pin=False, nms_repeats=2)
    assert r["model"]["synthetic"] and r["model"]["output_shape"] == [1, 84, 8400]  # yolov8
    assert r["onnx_ms"]["mean"] > 0 and r["face_ms"]["mean"] > 0
    assert r["onnx_stage_ms"]["inference"] > 0
    assert set(r["nms"]) == {"20", "100", "300", "1000", "3000"}
    text = format_result(r)
    assert "synthetic stand-in" in text and "face-only ms/frame" in text

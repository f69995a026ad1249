"""``frontdesk bench onnx``: ms per frame of the ONNX person detector, against faces only.

No weights can be downloaded, so the model is a **synthetic stand-in** for
YOLO11n, built at run time with the ``onnx`` package: a plain convolutional
network (3x3 convolutions with SiLU written as Sigmoid x Mul, as Ultralytics
exports it) with strided stages down to 1/32 and a head on each of the 1/8,
1/16 and 1/32 levels, concatenated to YOLOv8's ``[1, 84, 8400]`` at 640x640.
Its cost is counted layer by layer (:func:`synthetic_flops`, 2 FLOPs per
multiply-add, convolutions only) and sized near YOLO11n's published 6.5
GFLOPs. Its weights are random with the class scores biased low, so almost no
box passes the threshold: the end-to-end figure is letterbox + inference +
an empty decode. NMS on realistic crowds of candidates is timed separately.
Real YOLO11n has other layers (C3k2, C2PSA attention, DFL): expect its
inference time to differ from the stand-in's, and measure it with
``--model FILE`` once you have exported it.

Both paths run on the same 640x480 frames of the perception benchmark's
two-face clip, interleaved, on one pinned core (all threads, including
MediaPipe's and onnxruntime's), so load from elsewhere hits both alike.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["register", "run", "bench_onnx", "build_synthetic_detector", "synthetic_flops",
           "SYNTHETIC_LAYERS", "format_result"]

log = logging.getLogger(__name__)

INPUT_SIZE = 640
FRAME_SIZE = (640, 480)
CLASSES = 80


@dataclass(frozen=True)
class ConvSpec:
    """One convolution of the stand-in: name, channels in and out, kernel, stride, input size."""

    name: str
    c_in: int
    c_out: int
    kernel: int
    stride: int
    size_in: int

    @property
    def size_out(self) -> int:
        return self.size_in // self.stride

    @property
    def macs(self) -> int:
        return self.c_in * self.c_out * self.kernel * self.kernel * self.size_out * self.size_out

    @property
    def params(self) -> int:
        return self.c_in * self.c_out * self.kernel * self.kernel + self.c_out


def _layers(size: int = INPUT_SIZE) -> tuple[list[ConvSpec], dict[str, ConvSpec]]:
    """Backbone convolutions in order, and which layer feeds each head (P3, P4, P5)."""
    plan = [  # (c_out, stride, repeats) per stage, 3x3 kernels
        (16, 2, 0), (32, 2, 2), (64, 2, 3), (128, 2, 2), (256, 2, 2),
    ]
    layers: list[ConvSpec] = []
    taps: dict[str, ConvSpec] = {}
    c, s = 3, size
    for stage, (c_out, stride, repeats) in enumerate(plan):
        layers.append(ConvSpec(f"down{stage}", c, c_out, 3, stride, s))
        c, s = c_out, s // stride
        for r in range(repeats):
            layers.append(ConvSpec(f"block{stage}_{r}", c, c, 3, 1, s))
        if stage >= 2:
            taps[f"P{stage + 1}"] = layers[-1]
    return layers, taps


def _head_layers(taps: dict[str, ConvSpec]) -> list[ConvSpec]:
    out = []
    for level, tap in taps.items():
        out.append(ConvSpec(f"head{level}_conv", tap.c_out, 64, 3, 1, tap.size_out))
        out.append(ConvSpec(f"head{level}_out", 64, 4 + CLASSES, 1, 1, tap.size_out))
    return out


def synthetic_flops(size: int = INPUT_SIZE) -> dict[str, float]:
    """GFLOPs (2 x multiply-adds of the convolutions) and parameters of the stand-in."""
    layers, taps = _layers(size)
    every = layers + _head_layers(taps)
    macs = sum(layer.macs for layer in every)
    return {"gflops": 2.0 * macs / 1e9, "gmacs": macs / 1e9,
            "params_m": sum(layer.params for layer in every) / 1e6, "convolutions": len(every)}


SYNTHETIC_LAYERS = _layers()[0]


def build_synthetic_detector(path: Path, size: int = INPUT_SIZE, seed: int = 0) -> Path:
    """Write the stand-in model (input ``[1, 3, size, size]``, output ``[1, 84, N]``)."""
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        from frontdesk.errors import FrontdeskError

        raise FrontdeskError("the ONNX benchmark builds its model with the onnx package: "
                             "pip install onnx (a development dependency)") from None
    rng = np.random.default_rng(seed)
    nodes: list[Any] = []
    inits: list[Any] = []

    def conv(x: str, spec: ConvSpec, act: bool, bias: float = 0.0) -> str:
        fan_in = spec.c_in * spec.kernel * spec.kernel
        w = rng.normal(0, np.sqrt(2.0 / fan_in), (spec.c_out, spec.c_in, spec.kernel, spec.kernel))
        b = np.full(spec.c_out, bias, np.float32)
        inits.append(numpy_helper.from_array(w.astype(np.float32), f"{spec.name}.w"))
        inits.append(numpy_helper.from_array(b, f"{spec.name}.b"))
        pad = spec.kernel // 2
        y = f"{spec.name}.conv"
        nodes.append(helper.make_node("Conv", [x, f"{spec.name}.w", f"{spec.name}.b"], [y],
                                      kernel_shape=[spec.kernel] * 2, strides=[spec.stride] * 2,
                                      pads=[pad] * 4))
        if not act:
            return y
        nodes.append(helper.make_node("Sigmoid", [y], [f"{spec.name}.sig"]))
        nodes.append(helper.make_node("Mul", [y, f"{spec.name}.sig"], [f"{spec.name}.silu"]))
        return f"{spec.name}.silu"

    layers, taps = _layers(size)
    x = "images"
    level_inputs: dict[str, str] = {}
    for spec in layers:
        x = conv(x, spec, act=True)
        for level, tap in taps.items():
            if tap is spec:
                level_inputs[level] = x
    heads = _head_layers(taps)
    flat: list[str] = []
    inits.append(numpy_helper.from_array(np.array([1, 4 + CLASSES, -1], np.int64), "flat_shape"))
    for i, level in enumerate(level_inputs):
        hidden = conv(level_inputs[level], heads[2 * i], act=True)
        raw = conv(hidden, heads[2 * i + 1], act=False)
        nodes.append(helper.make_node("Reshape", [raw, "flat_shape"], [f"{level}.flat"]))
        flat.append(f"{level}.flat")
    nodes.append(helper.make_node("Concat", flat, ["raw"], axis=2))
    # Boxes stay linear (scaled to pixels); class scores go through a sigmoid with a low
    # bias, as a trained detector's mostly-background scores would.
    inits.append(numpy_helper.from_array(np.array([4, CLASSES], np.int64), "split"))
    nodes.append(helper.make_node("Split", ["raw", "split"], ["box", "cls_logit"], axis=1))
    inits.append(numpy_helper.from_array(np.array(float(size) / 4, np.float32), "box_scale"))
    inits.append(numpy_helper.from_array(np.array(-8.0, np.float32), "cls_bias"))
    nodes.append(helper.make_node("Mul", ["box", "box_scale"], ["box_px"]))
    nodes.append(helper.make_node("Add", ["cls_logit", "cls_bias"], ["cls_shift"]))
    nodes.append(helper.make_node("Sigmoid", ["cls_shift"], ["cls"]))
    nodes.append(helper.make_node("Concat", ["box_px", "cls"], ["output0"], axis=1))
    n = sum((size // s) ** 2 for s in (8, 16, 32))
    graph = helper.make_graph(
        nodes, "frontdesk_synthetic_yolo",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 4 + CLASSES, n])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="frontdesk-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())
    return path


# --------------------------------------------------------------------------- helpers


@contextmanager
def _pinned(cpu: int | None, pin: bool) -> Iterator[int | None]:
    """Pin every thread to one core for the block; restore the old affinity afterwards."""
    if not pin or not hasattr(os, "sched_setaffinity"):
        yield None
        return
    from frontdesk.bench.cpu import least_busy_cpu, pin_to_cpu

    before = os.sched_getaffinity(0)
    core = least_busy_cpu() if cpu is None else cpu
    try:
        yield core if pin_to_cpu(core) else None
    finally:
        for task in Path("/proc/self/task").iterdir():
            with suppress(OSError):  # a thread that ended meanwhile
                os.sched_setaffinity(int(task.name), before)


def _frames(count: int) -> list[np.ndarray]:
    """``count`` 640x480 BGR frames of the perception benchmark's two-face clip, decoded."""
    import cv2

    from frontdesk.bench.perception import make_two_face_clip

    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-onnx-") as tmp:
        clip = make_two_face_clip(Path(tmp) / "two-faces.avi", count, FRAME_SIZE)
        cap = cv2.VideoCapture(str(clip))
        frames: list[np.ndarray] = []
        while len(frames) < count:
            ok, img = cap.read()
            if not ok:
                break
            frames.append(img)
        cap.release()
    if not frames:
        raise RuntimeError("could not decode the benchmark clip")
    return frames


def _summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    return {"mean": statistics.fmean(ms), "median": statistics.median(ms),
            "p90": ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], "min": ordered[0]}


def _crowd(rng: np.random.Generator, n: int, people: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """``n`` candidate boxes jittered around ``people`` bodies, distinct scores."""
    centres = rng.uniform(100, 540, (people, 2))
    size = rng.uniform(80, 300, (people, 2))
    pick = rng.integers(0, people, n)
    xy = centres[pick] + rng.normal(0, 6, (n, 2))
    wh = size[pick] * rng.normal(1, 0.05, (n, 2))
    return np.hstack([xy - wh / 2, xy + wh / 2]), rng.permutation(np.linspace(0.36, 0.95, n))


def nms_timings(counts: tuple[int, ...] = (20, 100, 300, 1000, 3000),
                repeats: int = 200) -> dict[str, dict[str, float]]:
    """Microseconds per call of both NMS implementations (and :func:`nms`) on crowds.

    Each figure is the best of 5 blocks of ``repeats / 5`` calls, as timeit does, so
    that other processes' load inflates it as little as possible.
    """
    from frontdesk.detectors.nms import nms, nms_numpy, nms_opencv

    rng = np.random.default_rng(3)
    block = max(1, repeats // 5)
    out: dict[str, dict[str, float]] = {}
    for n in counts:
        boxes, scores = _crowd(rng, n)
        row: dict[str, float] = {}
        for name, fn in (("opencv", nms_opencv), ("numpy", nms_numpy), ("chosen", nms)):
            fn(boxes, scores, 0.5)
            best = float("inf")
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(block):
                    fn(boxes, scores, 0.5)
                best = min(best, (time.perf_counter() - t0) / block)
            row[f"{name}_us"] = best * 1e6
        row["kept"] = float(len(nms_opencv(boxes, scores, 0.5)))
        out[str(n)] = row
    return out


# --------------------------------------------------------------------------- benchmark


def bench_onnx(frames: int = 100, warmup: int = 5, *, model: str | None = None,
               layout: str = "auto", pin: bool = True, cpu: int | None = None,
               threads: int = 1, faces: bool = True, nms_repeats: int = 200) -> dict[str, Any]:
    """Measure the ONNX person path against the face-only pipeline; return the figures.

    Args:
        frames: measured frames (after ``warmup``).
        model: an ONNX file to measure instead of the synthetic stand-in (e.g. your
            exported YOLO11n); ``layout`` as for ``frontdesk models add``.
        pin, cpu: pin every thread to one core (default the least busy one); the
            previous affinity is restored afterwards.
        threads: onnxruntime intra-op threads (1, as on the edge box).
        faces: also time ``FacePerceiver.process`` on the same frames.
        nms_repeats: calls per NMS timing (0 skips them).

    Returns a JSON-ready dict: ``onnx_ms`` (per-frame summary), ``onnx_stage_ms``
    (preprocess, inference, postprocess means), ``face_ms``, ``ratio``
    (ONNX mean over face mean), ``model`` (file, GFLOPs when synthetic),
    ``nms`` (microseconds per call by candidate count), and the conditions.
    """
    import onnxruntime as ort

    from frontdesk.detectors.onnx_person import OnnxPersonDetector

    images = _frames(min(frames + warmup, 60))
    result: dict[str, Any] = {
        "frames": frames, "warmup": warmup, "frame_size": list(FRAME_SIZE), "threads": threads,
        "onnxruntime": ort.__version__, "cpu_model": _cpu_model(), "machine": platform.machine(),
        "load_average_before": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    with tempfile.TemporaryDirectory(prefix="frontdesk-bench-onnx-") as tmp, \
            _pinned(cpu, pin) as core:
        result["cpu"] = core
        if model is None:
            path = build_synthetic_detector(Path(tmp) / "synthetic-yolo.onnx")
            result["model"] = {"file": None, "synthetic": True, "input": [INPUT_SIZE] * 2,
                               **{k: round(v, 3) for k, v in synthetic_flops().items()}}
        else:
            path = Path(model)
            result["model"] = {"file": str(path), "synthetic": False}
        detector = OnnxPersonDetector(path, layout=layout, threads=threads)  # type: ignore[arg-type]
        result["model"]["output_shape"] = list(detector.output_shape)
        perceiver = _face_perceiver() if faces else None
        onnx_ms: list[float] = []
        face_ms: list[float] = []
        boxes = 0
        try:
            for i in range(frames + warmup):
                image = images[i % len(images)]
                if i == warmup:
                    detector.reset_stage_times()
                    onnx_ms.clear()
                    face_ms.clear()
                    boxes = 0
                t0 = time.perf_counter()
                boxes += len(detector.detect(image))
                t1 = time.perf_counter()
                onnx_ms.append((t1 - t0) * 1000.0)
                if perceiver is not None:
                    face_ms.append(_time_faces(perceiver, image, i))
        finally:
            if perceiver is not None:
                perceiver.close()
        result["onnx_ms"] = _summary(onnx_ms)
        result["onnx_stage_ms"] = detector.stage_ms
        result["boxes_per_frame"] = boxes / max(frames, 1)
        if face_ms:
            result["face_ms"] = _summary(face_ms)
            result["ratio"] = result["onnx_ms"]["mean"] / result["face_ms"]["mean"]
            result["combined_ms"] = {
                f"every_{n}": result["face_ms"]["mean"] + result["onnx_ms"]["mean"] / n
                for n in (1, 2, 3, 5)
            }
        if nms_repeats:
            result["nms"] = nms_timings(repeats=nms_repeats)
    return _rounded(result)


def _face_perceiver() -> Any:
    from frontdesk.config import CameraConfig, PerceptionConfig
    from frontdesk.perception import FacePerceiver

    return FacePerceiver(PerceptionConfig.model_validate({}), CameraConfig.model_validate({}))


def _time_faces(perceiver: Any, image: np.ndarray, index: int) -> float:
    from frontdesk.types import Frame

    frame = Frame(image=image, t=index / 30.0, index=index)
    t0 = time.perf_counter()
    perceiver.process(frame)
    return (time.perf_counter() - t0) * 1000.0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def format_result(r: dict[str, Any]) -> str:
    m = r["model"]
    what = (f"synthetic stand-in, {m['gflops']:.2f} GFLOPs, {m['params_m']:.2f} M params"
            if m.get("synthetic") else m["file"])
    core = f"pinned to core {r['cpu']}" if r.get("cpu") is not None else "not pinned"
    load = r.get("load_average_before")
    core += f", load average {load[0]:.2f} before" if load else ""
    o, s = r["onnx_ms"], r["onnx_stage_ms"]
    lines = [
        f"ONNX person detector benchmark: {r['frames']} frames {r['frame_size'][0]}x"
        f"{r['frame_size'][1]} -> {m.get('input', ['?'])[0]}x{m.get('input', ['?', '?'])[1]}, "
        f"{r['threads']} thread(s), {core}, onnxruntime {r['onnxruntime']}",
        f"  model                 {what}, output {m['output_shape']}",
        f"  ONNX path ms/frame    mean {o['mean']:.1f}  median {o['median']:.1f}  "
        f"p90 {o['p90']:.1f}  min {o['min']:.1f}",
        f"    by stage            preprocess {s['preprocess']:.2f}  inference "
        f"{s['inference']:.2f}  postprocess {s['postprocess']:.2f}",
    ]
    if "face_ms" in r:
        f = r["face_ms"]
        lines.append(f"  face-only ms/frame    mean {f['mean']:.1f}  median {f['median']:.1f}  "
                     f"p90 {f['p90']:.1f}  min {f['min']:.1f}")
        lines.append(f"  ONNX / faces          {r['ratio']:.2f}x")
        lines.append("  faces + ONNX every n  " + "  ".join(
            f"n={k.split('_')[1]}: {v:.1f} ms" for k, v in r["combined_ms"].items()))
    for n, row in r.get("nms", {}).items():
        lines.append(f"  NMS {n:>5} candidates  opencv {row['opencv_us']:.0f} us  numpy "
                     f"{row['numpy_us']:.0f} us  nms() {row['chosen_us']:.0f} us  "
                     f"({row['kept']:.0f} kept)")
    return "\n".join(lines)


def register(targets: argparse._SubParsersAction) -> None:
    p = targets.add_parser("onnx", help="ms per frame of the ONNX person detector against "
                           "faces only (synthetic YOLO-sized model unless --model)")
    p.add_argument("--frames", type=int, default=100, help="frames to measure (default 100)")
    p.add_argument("--model", help="an ONNX file to measure instead of the synthetic stand-in")
    p.add_argument("--layout", default="auto", help="layout of --model (default auto)")
    p.add_argument("--threads", type=int, default=1, help="onnxruntime threads (default 1)")
    p.add_argument("--cpu", type=int, default=None, metavar="CORE", help="pin to this core")
    p.add_argument("--no-pin", action="store_true", help="do not pin; use every core")
    p.add_argument("--no-faces", action="store_true", help="skip the face-only comparison")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    result = bench_onnx(args.frames, model=args.model, layout=args.layout, pin=not args.no_pin,
                        cpu=args.cpu, threads=args.threads, faces=not args.no_faces)
    sys.stdout.write((json.dumps(result) if args.json else format_result(result)) + "\n")
    return 0

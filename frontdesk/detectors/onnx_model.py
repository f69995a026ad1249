"""One onnxruntime session with a single image input, opened with checks and clear errors.

Everything that can be wrong with a model file is found here, at start-up: not
ONNX at all, not an image model, an input type we cannot feed, a provider that
is missing or did not start. Each becomes a :class:`ModelError` naming the file.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from frontdesk.detectors.providers import (
    check_session_provider,
    resolve_provider,
    session_options,
)
from frontdesk.errors import ModelError

__all__ = ["OnnxModel"]

log = logging.getLogger(__name__)

_INPUT_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    line = text.splitlines()[0]
    return line if len(line) <= 300 else line[:297] + "..."


class OnnxModel:
    """An onnxruntime session over an image model with input ``[1, 3, H, W]``.

    Args:
        path: the ``.onnx`` file.
        provider: "cpu", "cuda" or "openvino".
        threads: intra-op threads (see :func:`frontdesk.detectors.providers.session_options`).

    Attributes:
        input_name, output_name: tensor names (the first output is used).
        input_dtype: numpy dtype the input takes (float32 or float16).
        static_size: (width, height) when the graph fixes them, else None.
        output_shape: the first output's declared shape (ints, or None where dynamic).

    Raises:
        ModelError: missing or unreadable file, not a loadable ONNX model, an
            input that is not one NCHW 3-channel float image, or a provider problem.
    """

    def __init__(self, path: str | os.PathLike[str], provider: str = "cpu", threads: int = 1):
        import onnxruntime as ort

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelError(f"{self.path}: model file not found")
        providers = resolve_provider(provider)
        try:
            self.session = ort.InferenceSession(
                str(self.path), sess_options=session_options(threads), providers=providers
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(
                f"{self.path}: not a usable ONNX model: {_first_line(exc)}"
            ) from None
        check_session_provider(self.session.get_providers(), provider)
        self.provider = provider
        self.threads = threads
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            names = ", ".join(i.name for i in inputs)
            raise ModelError(f"{self.path}: expected one image input, the model has "
                             f"{len(inputs)} ({names})")
        inp = inputs[0]
        shape = list(inp.shape)
        if len(shape) != 4 or (isinstance(shape[1], int) and shape[1] != 3):
            raise ModelError(f"{self.path}: expected an image input [1, 3, H, W], got "
                             f"{inp.name} {shape}")
        if inp.type not in _INPUT_TYPES:
            raise ModelError(f"{self.path}: input {inp.name} is {inp.type}; float32 or "
                             f"float16 images are supported")
        self.input_name: str = inp.name
        self.input_dtype = _INPUT_TYPES[inp.type]
        h, w = shape[2], shape[3]
        self.static_size: tuple[int, int] | None = (
            (int(w), int(h)) if isinstance(w, int) and isinstance(h, int) else None
        )
        out = self.session.get_outputs()[0]
        self.output_name: str = out.name
        self.output_shape: tuple[int | None, ...] = tuple(
            d if isinstance(d, int) else None for d in out.shape
        )

    def run(self, tensor: np.ndarray) -> np.ndarray:
        """The first output for one input tensor."""
        return np.asarray(self.session.run([self.output_name], {self.input_name: tensor})[0])

    def probe(self, input_size: tuple[int, int]) -> tuple[int, ...]:
        """Run a grey image of ``input_size`` (w, h) once; return the output's actual shape.

        Doubles as the warm-up: onnxruntime allocates its buffers on the first run.

        Raises:
            ModelError: the model fails on an input of that size.
        """
        w, h = input_size
        grey = np.full((1, 3, h, w), 0.45, dtype=self.input_dtype)
        try:
            return tuple(int(d) for d in self.run(grey).shape)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(
                f"{self.path}: the model fails on a {w}x{h} input: {_first_line(exc)}"
            ) from None

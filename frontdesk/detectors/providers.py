"""onnxruntime execution providers: the config's short names and the checks around them.

``cpu`` is in every onnxruntime build. ``cuda`` needs the ``onnxruntime-gpu``
package (and a matching CUDA/cuDNN); ``openvino`` needs ``onnxruntime-openvino``.
Only one onnxruntime package can be installed at a time: they all provide the
same ``onnxruntime`` module.

A requested provider that this build lacks is a start-up error naming the
providers that *are* available. onnxruntime itself falls back to the CPU when a
provider it lists fails to initialise (a CUDA library missing at run time); that
is checked after the session is made and reported the same way, never silently.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from frontdesk.errors import ModelError

if TYPE_CHECKING:
    import onnxruntime

__all__ = ["ProviderName", "PROVIDERS", "ort_provider", "available_providers", "resolve_provider",
           "session_options", "check_session_provider"]

log = logging.getLogger(__name__)

ProviderName = Literal["cpu", "cuda", "openvino"]
PROVIDERS: dict[str, str] = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
}
_PACKAGES = {"cuda": "onnxruntime-gpu", "openvino": "onnxruntime-openvino"}


def ort_provider(name: str) -> str:
    """onnxruntime's name for a config provider name ("cpu" -> "CPUExecutionProvider")."""
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ModelError(
            f"unknown execution provider {name!r}: choose one of {', '.join(PROVIDERS)}"
        ) from None


def _short(ort_name: str) -> str:
    for short, long in PROVIDERS.items():
        if long == ort_name:
            return f"{short} ({long})"
    return ort_name


def available_providers() -> list[str]:
    """The execution providers this onnxruntime build offers, onnxruntime's names."""
    import onnxruntime as ort

    return list(ort.get_available_providers())


def resolve_provider(name: str, available: list[str] | None = None) -> list[str]:
    """The provider list to give onnxruntime for config provider ``name``.

    The requested provider first, the CPU after it for the operators the
    accelerator does not implement.

    Raises:
        ModelError: ``name`` is unknown or this onnxruntime build lacks it; the
            message lists what is available and which package brings the rest.
    """
    wanted = ort_provider(name)
    have = available_providers() if available is None else available
    if wanted not in have:
        listed = ", ".join(_short(p) for p in have) or "none"
        hint = f"; install {_PACKAGES[name]} instead of onnxruntime" if name in _PACKAGES else ""
        raise ModelError(
            f"detectors.person.provider is {name!r} but this onnxruntime has no {wanted}; "
            f"available: {listed}{hint}, or set provider: cpu"
        )
    return [wanted] if wanted == PROVIDERS["cpu"] else [wanted, PROVIDERS["cpu"]]


def session_options(threads: int) -> onnxruntime.SessionOptions:
    """Session options for an edge box: ``threads`` intra-op threads, no spinning."""
    import onnxruntime as ort

    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle pool threads would otherwise spin on a core MediaPipe needs.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.log_severity_level = 3
    return opts


def check_session_provider(active: list[str], name: str) -> None:
    """Raise when the session did not get the requested provider (silent CPU fallback)."""
    wanted = ort_provider(name)
    if not active or active[0] != wanted:
        raise ModelError(
            f"onnxruntime lists {wanted} but could not start it (session runs on "
            f"{', '.join(active) or 'nothing'}); check the driver and libraries it needs, "
            f"or set detectors.person.provider: cpu"
        )

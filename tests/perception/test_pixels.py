"""The small pictures' median: the same number numpy's median gives."""

from __future__ import annotations

import numpy as np
import pytest

from frontdesk.perception.pixels import median


@pytest.mark.parametrize("dtype", [np.int16, np.float32, np.float64, np.uint8])
@pytest.mark.parametrize("shape", [(1,), (2,), (45, 80), (45, 81), (108, 192)])
def test_median_is_numpys_median(dtype: type, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        values = (rng.normal(0, 40, shape) if dtype in (np.float32, np.float64)
                  else rng.integers(0 if dtype is np.uint8 else -255, 256, shape)).astype(dtype)
        for view in (values, values[::2, ::2] if values.ndim == 2 else values[::1]):
            assert median(view) == float(np.median(view))


def test_median_of_middle_values_that_differ() -> None:
    """An even count whose middle values differ: their mean, not either one."""
    assert median(np.array([0, 1, 5, 7], dtype=np.int16)) == 3.0
    assert median(np.array([-3, -2], dtype=np.int16)) == -2.5
    assert median(np.array([[0.1, 0.2], [0.3, 0.7]], dtype=np.float32)[::1, ::2]) == \
        float(np.float32(0.1) + np.float32(0.3)) / 2

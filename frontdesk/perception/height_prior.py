"""Head height: where along its viewing ray a head can be, given the camera's pose.

A face's direction from the camera is precise (its position in the image); its
distance along that ray comes from the face's apparent size (irises, eye
spacing: :mod:`frontdesk.perception.depth`), which dim light, darker skin,
glasses or a face looking down misread. With the camera's pose over the floor
(``camera.pose``), the ray crosses the band of heights heads take (1.4 to 2.0 m
above the floor by default, ``perception.head_height_m``) over one stretch of
distances: a head must lie on that stretch.

:func:`apply_height_prior` combines the two. The size-based distance is a
log-normal measurement (its standard deviation in log space is half the face's
``range_uncertainty``, which is two deviations); the band is a uniform prior on
the ray. The product is a normal distribution in log distance truncated to the
band's stretch; its mean is the new distance and twice its standard deviation
the new uncertainty, never more than the old. A measurement well inside the
stretch is left almost as it was; one that puts the head in the floor or over
everyone's height is pulled back to the band, and the less sure the
measurement, the further.

How much the band says depends on how steeply the camera looks at heads: a
camera 2.8 m up, 2 m (in plan) from a customer, sees the band over 1.2 m of the
ray, from 1.7 to 2.9 m away; one 1.9 m up, 1 m from a customer whose head is
0.2 m lower, over everything nearer than 2.5 m, and changes nothing there.
"""

from __future__ import annotations

import math

import numpy as np

from frontdesk.world import WorldPose

__all__ = ["DEFAULT_HEAD_HEIGHT_M", "ray_band_m", "truncated_log_normal", "apply_height_prior"]

DEFAULT_HEAD_HEIGHT_M = (1.4, 2.0)
"""Heights above the floor heads (the point between the eyes) take: a short adult
to a tall one standing."""
_MIN_RANGE_M = 0.2
"""The nearest a head is taken to be to the lens."""
_EDGE_SIGMAS = 6.0
"""A measurement more than this many deviations outside the band is put at its edge."""


def ray_band_m(camera_height_m: float, ray_up: float,
               band_m: tuple[float, float]) -> tuple[float, float] | None:
    """The distances along a ray from a camera ``camera_height_m`` above the floor,
    rising ``ray_up`` per metre (the z of its world direction), at which it is within
    ``band_m`` of heights; None when it never is (in front of the camera)."""
    lo_h, hi_h = band_m
    if abs(ray_up) < 1e-9:
        return (_MIN_RANGE_M, math.inf) if lo_h <= camera_height_m <= hi_h else None
    a = (lo_h - camera_height_m) / ray_up
    b = (hi_h - camera_height_m) / ray_up
    near, far = max(min(a, b), _MIN_RANGE_M), max(a, b)
    return (near, far) if far > near else None


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def truncated_log_normal(log_range: float, sigma: float, near_m: float,
                         far_m: float) -> tuple[float, float]:
    """(mean, standard deviation) of N(``log_range``, ``sigma``) cut to
    [log ``near_m``, log ``far_m``]."""
    lo = math.log(near_m)
    hi = math.log(far_m) if math.isfinite(far_m) else math.inf
    alpha = (lo - log_range) / sigma
    beta = (hi - log_range) / sigma if math.isfinite(hi) else math.inf
    if alpha > _EDGE_SIGMAS or beta < -_EDGE_SIGMAS:  # all the mass is beyond one edge
        edge = lo if alpha > _EDGE_SIGMAS else hi
        width = (hi - lo) / math.sqrt(12.0) if math.isfinite(hi) else sigma
        return edge, min(sigma, width)
    pa, pb = _phi(alpha), (_phi(beta) if math.isfinite(beta) else 0.0)
    ca, cb = _cdf(alpha), (_cdf(beta) if math.isfinite(beta) else 1.0)
    z = max(cb - ca, 1e-300)
    ta = alpha * pa if math.isfinite(alpha) else 0.0
    tb = beta * pb if math.isfinite(beta) else 0.0
    shift = (pa - pb) / z
    var = 1.0 + (ta - tb) / z - shift * shift
    return log_range + sigma * shift, sigma * math.sqrt(max(var, 0.0))


def apply_height_prior(position_m: np.ndarray, range_uncertainty: float, pose: WorldPose,
                       band_m: tuple[float, float] = DEFAULT_HEAD_HEIGHT_M
                       ) -> tuple[np.ndarray, float]:
    """A head's camera-frame position moved along its ray into the band of head heights,
    and its new distance uncertainty (a fraction of the distance, two deviations).

    Returns the inputs unchanged when the ray never crosses the band in front of
    the camera (the pose or the face is wrong; the size-based distance stands).
    """
    p = np.asarray(position_m, dtype=np.float64).reshape(3)
    r = float(np.linalg.norm(p))
    if r <= 0 or range_uncertainty <= 0:
        return p, range_uncertainty
    ray_up = float(pose.directions_to_world(p / r)[0, 2])
    stretch = ray_band_m(float(pose.position_m[2]), ray_up, band_m)
    if stretch is None:
        return p, range_uncertainty
    sigma = range_uncertainty / 2.0
    mean, sd = truncated_log_normal(math.log(r), sigma, *stretch)
    return p * (math.exp(mean) / r), min(range_uncertainty, 2.0 * sd)

"""The report's figures, computed over groups of visits in one vectorised pass.

Definitions (also in docs/reports.md):

* A **visit** counts when the customer arrived (``customer_arrived``); it counts on
  the local day and hour of its arrival. A visit that never arrived is counted
  only as **passed by**, on the day it was first seen.
* **Latency** is ``ack_t - arrival_t`` on the source clock, negative when staff
  acknowledged the customer during the approach.
* **Percentiles** use the nearest-rank method over the latencies of the
  acknowledged visits, negatives included: the p-th percentile of n sorted
  latencies is the k-th smallest, k = ceil(p * n / 100) (computed in integers).
  It is always a latency that really happened; p50 of [2, 4, 6, 8] is 4.
* **Within target**: acknowledged with latency <= target (the target itself
  included); the share divides by all visits, so a customer who walked away or is
  still unacknowledged counts against it. **Before arrival**: latency < 0.
* **Alerts** and **escalations** count ``customer_waiting`` and
  ``customer_escalated`` events. **Left unacknowledged**: visits whose outcome
  is ``abandoned``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Figures", "VisitFigures", "group_figures", "nearest_rank", "HISTOGRAM_EDGES_S",
           "histogram"]

#: Upper edges of the latency histogram's bins, in seconds. Bins are (a, b], the
#: first is 0 <= latency <= 5, latencies below 0 go to "before arrival" and
#: latencies above the last edge to "over".
HISTOGRAM_EDGES_S: tuple[float, ...] = (0.0, 5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 120.0)


@dataclass(frozen=True)
class Figures:
    """The headline figures of one group of visits (a day, an hour, a counter, all)."""

    visits: int
    passed_by: int
    acknowledged: int
    latency_p50_s: float | None
    latency_p90_s: float | None
    latency_max_s: float | None
    within_target: int
    within_target_share: float | None
    before_arrival: int
    before_arrival_share: float | None
    alerts: int
    escalations: int
    left_unacknowledged: int
    unattended_min: float

    @classmethod
    def empty(cls) -> Figures:
        return cls(0, 0, 0, None, None, None, 0, None, 0, None, 0, 0, 0, 0.0)


def nearest_rank(sorted_values: np.ndarray, p: int) -> float | None:
    """The p-th percentile (0 < p <= 100) of already sorted values by nearest rank."""
    n = int(sorted_values.shape[0])
    if n == 0:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {p}")
    k = -(-p * n // 100)  # ceil(p * n / 100) in integers: no floating-point rank errors
    return float(sorted_values[k - 1])


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


class VisitFigures:
    """Figures of one set of visits, for any grouping of them, sharing the work.

    The latency sort and each visit's category are computed once; a grouping then
    costs one bincount, two weighted bincounts and one radix sort on the small group
    numbers.

    Args:
        latency_s: NaN for visits never acknowledged.
        arrived, abandoned: flags per visit.
        alerts, escalations: counts per visit.
        target_s: the acknowledgement target.
    """

    _CODES = 10  # 5 acknowledgement states x abandoned or not

    def __init__(self, *, latency_s: np.ndarray, arrived: np.ndarray, abandoned: np.ndarray,
                 alerts: np.ndarray, escalations: np.ndarray, target_s: float) -> None:
        acked = arrived & ~np.isnan(latency_s)
        with np.errstate(invalid="ignore"):
            before = acked & (latency_s < 0)
            within = acked & (latency_s >= 0) & (latency_s <= target_s)
        # 0 passed by, 1 arrived and never acknowledged, 2 acknowledged before arrival,
        # 3 within the target (not before), 4 beyond the target; doubled, plus abandoned.
        state = np.where(acked, np.where(before, 2, np.where(within, 3, 4)),
                         arrived.astype(np.int64))
        self.code = (state * 2 + abandoned.astype(np.int64)).astype(np.int64)
        self.alerts = alerts.astype(np.float64)
        self.escalations = escalations.astype(np.float64)
        order = np.argsort(latency_s, kind="stable")  # NaN last
        self.by_latency = order[acked[order]]
        self.sorted_latency = latency_s[self.by_latency]

    def by(self, group: np.ndarray, n_groups: int,
           unattended_s: np.ndarray | None = None) -> list[Figures]:
        """Figures for groups 0..n_groups-1; visits with any other group are left out."""
        g = np.where((group >= 0) & (group < n_groups), group, n_groups).astype(np.int64)
        slots = (n_groups + 1) * self._CODES
        table = np.bincount(g * self._CODES + self.code, minlength=slots)
        table = table.reshape(n_groups + 1, 5, 2)[:n_groups]
        per_state = table.sum(axis=2)  # (n_groups, 5)
        abandoned = table[:, :, 1]
        n_alerts = np.bincount(g, weights=self.alerts, minlength=n_groups + 1)
        n_escal = np.bincount(g, weights=self.escalations, minlength=n_groups + 1)
        visits = per_state[:, 1:].sum(axis=1)
        n_ack = per_state[:, 2:].sum(axis=1)
        within = per_state[:, 2] + per_state[:, 3]
        left = abandoned[:, 1:].sum(axis=1)
        # Each group's latencies, ascending: a stable sort by group of the sorted latencies.
        keys = g[self.by_latency].astype(np.int16 if n_groups < 2**15 - 1 else np.int64)
        lat = self.sorted_latency[np.argsort(keys, kind="stable")]
        starts = np.concatenate([[0], np.cumsum(n_ack)[:-1]]).astype(np.int64)
        out = []
        for i in range(n_groups):
            s = lat[starts[i]: starts[i] + n_ack[i]]
            v = int(visits[i])
            out.append(Figures(
                visits=v,
                passed_by=int(per_state[i, 0]),
                acknowledged=int(n_ack[i]),
                latency_p50_s=nearest_rank(s, 50),
                latency_p90_s=nearest_rank(s, 90),
                latency_max_s=float(s[-1]) if s.size else None,
                within_target=int(within[i]),
                within_target_share=_share(int(within[i]), v),
                before_arrival=int(per_state[i, 2]),
                before_arrival_share=_share(int(per_state[i, 2]), v),
                alerts=int(round(n_alerts[i])),
                escalations=int(round(n_escal[i])),
                left_unacknowledged=int(left[i]),
                unattended_min=0.0 if unattended_s is None else float(unattended_s[i]) / 60.0,
            ))
        return out


def group_figures(group: np.ndarray, n_groups: int, *, latency_s: np.ndarray, arrived: np.ndarray,
                  abandoned: np.ndarray, alerts: np.ndarray, escalations: np.ndarray,
                  target_s: float, unattended_s: np.ndarray | None = None) -> list[Figures]:
    """Figures for each group 0..n_groups-1 (one grouping; see :class:`VisitFigures`)."""
    prepared = VisitFigures(latency_s=latency_s, arrived=arrived, abandoned=abandoned,
                            alerts=alerts, escalations=escalations, target_s=target_s)
    return prepared.by(group, n_groups, unattended_s)


def histogram(latency_s: np.ndarray, arrived: np.ndarray,
              edges: tuple[float, ...]) -> tuple[list[int], int]:
    """Counts per latency bin (before arrival, then (a, b] bins, then over the last
    edge) for the arrived, acknowledged visits; and the count never acknowledged."""
    acked = arrived & ~np.isnan(latency_s)
    lat = latency_s[acked]
    e = np.asarray(edges, dtype=np.float64)
    idx = np.searchsorted(e, lat, side="left")  # e[i-1] < lat <= e[i]
    idx = np.where(lat == 0.0, 1, idx)  # 0 belongs to the first (0, 5] bin, not "before"
    counts = np.bincount(idx, minlength=len(e) + 1)
    never = int(np.count_nonzero(arrived & np.isnan(latency_s)))
    return [int(c) for c in counts], never

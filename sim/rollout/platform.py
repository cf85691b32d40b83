"""The activation platform: box activations and enterprise-ID reports per hour.

Every installed box makes ``transactions_per_box`` platform transactions (the activation and
the enterprise-ID report with the installer's phone) at its activation time. The platform
serves up to ``capacity_per_h`` an hour; what it cannot serve waits for the next hour (a
fluid queue), so the backlog and the longest delay show when the platform is the bottleneck.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class PlatformLoad:
    per_h: np.ndarray  # transactions arriving per hour of the year
    backlog: np.ndarray  # transactions waiting at the end of each hour
    by_province_peak: np.ndarray  # busiest hour of each province, transactions
    capacity_per_h: float

    @property
    def peak_per_h(self) -> float:
        return float(self.per_h.max()) if self.per_h.size else 0.0

    @property
    def hours_over(self) -> int:
        return int(np.sum(self.per_h > self.capacity_per_h))

    @property
    def max_delay_h(self) -> int:
        """Longest run of hours with transactions still waiting."""
        busy = self.backlog > 0
        if not busy.any():
            return 0
        edges = np.diff(np.concatenate([[0], busy.astype(np.int8), [0]]))
        return int(np.max(np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)))


def platform_load(box_t_s: np.ndarray, box_prov: np.ndarray, provinces: int, hours: int,
                  capacity_per_h: float, per_box: int) -> PlatformLoad:
    h = np.clip((box_t_s // 3600).astype(np.int64), 0, hours - 1)
    per_h = np.bincount(h, minlength=hours).astype(float) * per_box
    backlog = np.zeros(hours)
    carry = 0.0
    for k, x in enumerate(per_h.tolist()):  # one pass over the year's 8,784 hours
        carry = max(0.0, carry + x - capacity_per_h)
        backlog[k] = carry
    peak = np.zeros(provinces)
    if box_t_s.size:
        by = np.bincount(box_prov.astype(np.int64) * hours + h,
                         minlength=provinces * hours).reshape(provinces, hours)
        peak = by.max(axis=1).astype(float) * per_box
    return PlatformLoad(per_h, backlog, peak, capacity_per_h)

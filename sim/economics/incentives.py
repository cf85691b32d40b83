"""Incentives the group pays provinces (seed 003).

- 50 yuan per box from a pool of 100 million yuan, first come first served: boxes draw on
  the pool in the order they are activated, nationally, until it is empty (2 million boxes).
- Northern provinces: 100 yuan per "hundred-megabit broadband + IPTV" household, plus 10 yuan
  for a government or enterprise customer.
"""

from __future__ import annotations

import numpy as np

POOL_CNY = 100_000_000.0
PER_BOX_CNY = 50.0
NORTH_BUNDLE_CNY = 100.0
NORTH_ENTERPRISE_EXTRA_CNY = 10.0


def pool_payouts(activated_s: np.ndarray, boxes: np.ndarray, pool_cny: float = POOL_CNY,
                 per_box_cny: float = PER_BOX_CNY) -> np.ndarray:
    """Yuan each activation (a group of boxes) draws from the pool, first come first served.

    Activations are served in order of time (ties by position, which is stable); the one
    that empties the pool gets what is left (whole boxes only), later ones get nothing.
    """
    order = np.argsort(activated_s, kind="stable")
    boxes_left = int(pool_cny // per_box_cny)
    got = np.zeros(boxes.size, dtype=np.int64)
    cum = np.cumsum(boxes[order].astype(np.int64))
    before = cum - boxes[order]
    got[order] = np.clip(boxes_left - before, 0, boxes[order])
    return got * per_box_cny


def north_bundle(boxes: np.ndarray, north: np.ndarray, bundle_share: float,
                 enterprise: bool = True) -> np.ndarray:
    """Expected northern bundle incentive of each activation (yuan)."""
    per = NORTH_BUNDLE_CNY + (NORTH_ENTERPRISE_EXTRA_CNY if enterprise else 0.0)
    return np.where(north, boxes * bundle_share * per, 0.0)

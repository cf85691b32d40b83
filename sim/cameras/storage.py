"""Motion recordings uploaded to cloud storage: bandwidth per window and stored volume.

A camera records its main stream while there is motion: the share of time with motion
follows the shop's activity (``motion_share`` x the hour's weight, at most 1). In a window
the recording cameras of a province are binomial among its online uploading cameras. Uploads
share the storage's ingest capacity as a fluid queue (what exceeds it waits in a backlog).
The store holds ``retention_days`` of recordings: it starts at the steady state of the
expected daily intake, and each window expires what the same window of the day added
``retention_days`` ago (the expected intake), so it grows only when intake does.
"""

from __future__ import annotations

import numpy as np

from sim.cameras.population import Cameras
from sim.cameras.schema import Storage


def upload_rates(cams: Cameras) -> np.ndarray:
    """Upload rate while recording, GB/s, per camera (0 for cameras that do not upload)."""
    kbps = np.array([p.bitrate_kbps if p.cloud_upload else 0.0 for p in cams.profiles])
    return kbps[cams.profile] / 8.0 / 1e6


def motion_prob(cams: Cameras, weight: float) -> np.ndarray:
    """Probability that a camera records, per camera, at an hour of weight ``weight``."""
    share = np.array([p.motion_share for p in cams.profiles])
    return np.minimum(1.0, share[cams.profile] * weight)


class CloudStorage:
    """Backlog and stored volume, GB."""

    def __init__(self, spec: Storage, cams: Cameras, weights: np.ndarray, start_hour: float,
                 window_s: float):
        self.spec, self.cams, self.window_s = spec, cams, window_s
        rate = upload_rates(cams)
        self.rate_gb_s = rate
        # expected intake per hour of day with every camera online
        self.hour_gb = np.array([float(np.sum(rate * motion_prob(cams, w))) * 3600.0
                                 for w in weights])
        self.daily_gb = float(self.hour_gb.sum())
        self.stored_gb = self.daily_gb * spec.retention_days
        self.backlog_gb = 0.0
        self.cap_gb_s = spec.upload_gbps / 8.0
        self.start_hour = start_hour

    def window(self, t0: float, weight: float, rng: np.random.Generator
               ) -> tuple[np.ndarray, float]:
        """Advance one window from ``t0``; (GB uploaded per province, GB waiting)."""
        cams = self.cams
        p = motion_prob(cams, weight)
        recording = cams.online & (rng.random(cams.n) < p)
        demand = np.bincount(cams.province, weights=np.where(recording, self.rate_gb_s, 0.0),
                             minlength=len(cams.provinces)) * self.window_s
        cap = self.cap_gb_s * self.window_s
        want = float(demand.sum()) + self.backlog_gb
        sent = min(want, cap)
        # what is sent is shared out in proportion to what each province has waiting
        share = demand / demand.sum() if demand.sum() > 0 else demand
        per_prov = share * sent
        self.backlog_gb = want - sent
        hour = int((self.start_hour * 3600.0 + t0) // 3600.0) % 24
        self.stored_gb += sent - self.hour_gb[hour] * self.window_s / 3600.0
        return per_prov, self.backlog_gb

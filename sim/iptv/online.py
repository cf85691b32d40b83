"""Boxes online per access node over time: ``timeseries/online_by_node.parquet``.

Written with the per-box table (same rule: :func:`sim.iptv.boxes.wants_boxes`). Every
``record_interval_s`` of run time, at the end of the window that reaches it, the boxes
powered on are counted per access node: columns ``t_s`` (run time of the count), ``access_node``
(``port:<i>``, as in ``tables/boxes.parquet`` and the boxes' STB status reports) and ``online``.
A box is online when it is not ``offline``, as in STB status reports: standby, live, VoD, ad
carousel and calls all count; boxes cut by a power outage, bricked by a firmware install or
offline in the initial state do not. The count is one vectorised ``bincount`` per sample.
"""

from __future__ import annotations

import math

import numpy as np

from sim.kernels import firmware as fk
from sim.kernels import layout as vk


class OnlineByNode:
    """Collects boxes-online counts per access node at record-interval boundaries."""

    def __init__(self, box_port: np.ndarray, n_ports: int, interval_s: float):
        self.box_port = box_port.astype(np.int64)
        self.n_ports = int(n_ports)
        self.interval_s = float(interval_s)
        self.t_s: list[float] = []
        self.counts: list[np.ndarray] = []

    def due(self, t0: float, t1: float) -> bool:
        """Whether the window ``[t0, t1)`` reaches a record-interval boundary."""
        eps = 1e-9
        return math.floor(t1 / self.interval_s + eps) > math.floor(t0 / self.interval_s + eps)

    def sample(self, t_s: float, offline: np.ndarray) -> None:
        """Count the boxes not ``offline`` (bool per box) per access node at ``t_s``."""
        self.t_s.append(float(t_s))
        self.counts.append(np.bincount(self.box_port[~offline],
                                       minlength=self.n_ports).astype(np.int64))

    def columns(self) -> dict[str, np.ndarray]:
        """The series as columns ``t_s, access_node, online`` (one row per node and sample)."""
        n_s = len(self.t_s)
        nodes = np.array([f"port:{q}" for q in range(self.n_ports)], object)
        return {
            "t_s": np.repeat(np.asarray(self.t_s, float), self.n_ports),
            "access_node": np.tile(nodes, n_s),
            "online": (np.concatenate(self.counts) if n_s else np.zeros(0, np.int64)),
        }


def offline_mask(st: np.ndarray | None, offline0: np.ndarray,
                 fw_state: np.ndarray | None) -> np.ndarray:
    """Boxes offline now: by state, offline from the start, or bricked (as the boxes table)."""
    off = offline0.copy()
    if st is not None:
        off |= st == vk.OFFLINE
    if fw_state is not None:
        off |= fw_state == fk.FW_BRICKED
    return off

"""A staged firmware campaign: waves, start-next and abort thresholds, an egress cap.

Boxes of an open wave poll for the update at a uniformly spread time within ``checkin_s``
and then download under the campaign's CDN egress cap (:mod:`sim.kernels.firmware`). The
controller (a SimPy process in the model) opens the next wave once ``start_next_at`` of the
current wave has finished, and aborts the campaign when the failed share of finished boxes
exceeds ``abort_failure_share`` (after ``abort_min_finished`` boxes), as staged-rollout
tools do: boxes not yet started are cancelled, those downloading finish.
"""

from __future__ import annotations

import numpy as np

from sim.iptv.profiles import StbProfile
from sim.iptv.scenario import FirmwareSpec
from sim.iptv.topology import Population
from sim.kernels import firmware as fk
from sim.kernels.rng import seed_states
from sim.schema.distributions import sample


class Campaign:
    """State of every box in the campaign (indices are population box indices)."""

    def __init__(self, spec: FirmwareSpec, pop: Population, stbs: list[StbProfile],
                 rng: np.random.Generator, seed: int, exclude: np.ndarray | None = None):
        self.spec = spec
        self.pop = pop
        # Targeted boxes: all, or those not excluded (already on the version, offline).
        cand = np.arange(pop.n_boxes) if exclude is None else np.flatnonzero(~exclude)
        n = cand.size
        if spec.order == "province":
            prov = pop.olt_metro[pop.port_olt[pop.box_port[cand]]]
            order = cand[np.lexsort((rng.random(n), prov))]
        else:
            order = cand[rng.permutation(n)]
        sizes = []
        left = n
        for wave in spec.waves:
            k = wave.size if wave.size is not None else int(round((wave.share or 0) * n))
            k = max(0, min(k, left))
            sizes.append(k)
            left -= k
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.waves = [np.sort(order[bounds[i]:bounds[i + 1]]) for i in range(len(sizes))]
        n = pop.n_boxes
        self.box_wave = np.zeros(n, np.int64)
        for i, wv in enumerate(self.waves):
            self.box_wave[wv] = i
        self.wave_stats = np.zeros((len(sizes), 3), np.int64)
        self.n_target = int(bounds[-1])
        self.fw_state = np.full(n, fk.FW_WAITING, np.int8)
        self.start = np.full(n, np.inf)
        self.left = np.zeros(n)
        self.rmax = np.zeros(n)
        self.install = np.zeros(n)
        self.fail_p = np.zeros(n)
        self.brick_p = np.zeros(n)
        self.done_t = np.full(n, np.inf)
        for k, prof in enumerate(stbs):
            idx = np.flatnonzero(pop.box_stb == k)
            if idx.size == 0:
                continue
            mb = spec.image_mb if spec.image_mb is not None else prof.firmware_mb
            self.left[idx] = mb * 8.0
            self.rmax[idx] = np.maximum(0.1, np.asarray(sample(prof.download_mbps, rng,
                                                                idx.size)))
            self.install[idx] = np.maximum(0.0, np.asarray(sample(prof.install_s, rng,
                                                                   idx.size)))
            self.fail_p[idx] = prof.upgrade_failure_prob
            self.brick_p[idx] = prof.brick_share
        self.rs = seed_states(seed, n)
        self.rng = rng
        self.queue = np.zeros(0, np.int64)  # scheduled, sorted by check-in time
        self.queue_t = np.zeros(0)
        self.active = np.zeros(0, np.int64)
        self.opened = 0
        self.aborted = False
        self.port_mbit = np.zeros(pop.n_ports)
        self.peak_egress_mbps = 0.0

    def open_wave(self, t: float) -> None:
        boxes = self.waves[self.opened]
        self.start[boxes] = t + self.rng.random(boxes.size) * self.spec.checkin_s
        merged = np.concatenate([self.queue, boxes])
        self.queue = merged[np.argsort(self.start[merged], kind="stable")]
        self.queue_t = self.start[self.queue]
        self.opened += 1

    def abort(self) -> None:
        self.aborted = True
        self.queue = np.zeros(0, np.int64)
        self.queue_t = np.zeros(0)

    def window(self, t0: float, t1: float) -> tuple[float, np.ndarray]:
        """Advance downloads over ``[t0, t1)``.

        Returns the Mbit sent (per port in ``port_mbit``) and the boxes bricked.
        """
        k = int(np.searchsorted(self.queue_t, t1, side="left"))
        new, self.queue, self.queue_t = self.queue[:k], self.queue[k:], self.queue_t[k:]
        self.fw_state[new] = fk.FW_DOWNLOADING
        active = np.concatenate([self.active, new]) if new.size else self.active
        self.port_mbit[:] = 0.0
        self.active, sent, bricked = fk.firmware_window(
            active, t0, t1, self.spec.egress_cap_gbps * 1000.0, self.fw_state, self.start,
            self.left, self.rmax, self.install, self.fail_p, self.brick_p, self.rs, self.done_t,
            self.pop.box_port, self.port_mbit, self.box_wave, self.wave_stats)
        return float(sent), bricked

    def downloading(self) -> int:
        return int(np.count_nonzero(self.fw_state[self.active] == fk.FW_DOWNLOADING))

    def totals(self) -> np.ndarray:
        """(ok, rolled back, bricked) over all waves."""
        return self.wave_stats.sum(axis=0)

    def check(self) -> str:
        """Controller decision after a window: 'abort', 'next', 'done' or ''."""
        if self.aborted or self.opened == 0:
            return ""
        ok, rb, br = (int(x) for x in self.totals())
        fin = ok + rb + br
        if fin >= self.spec.abort_min_finished and (rb + br) / fin > self.spec.abort_failure_share:
            return "abort"
        cur = self.opened - 1
        wave_fin = int(self.wave_stats[cur].sum())
        size = self.waves[cur].size
        if self.opened < len(self.waves) and (size == 0
                                               or wave_fin / size >= self.spec.start_next_at):
            return "next"
        return "done" if self.finished() else ""

    def finished(self) -> bool:
        return self.queue.size == 0 and self.active.size == 0 and (
            self.aborted or self.opened == len(self.waves))

"""Firmware downloads under a shared CDN egress cap, one window at a time (fluid model).

Boxes downloading in a window share the campaign's egress cap by water-filling: each gets
``min(own max rate, theta)`` with ``theta`` such that the rates, weighted by the share of the
window each box is active, fill the cap (or every box runs at its own maximum when the cap
is not reached). After the download a box installs and reboots; the install fails with the
profile's probability, and a failed box is bricked with ``brick_share`` or rolls back.

Units: Mbit, Mbit/s, seconds.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernels.rng import uniform

FW_WAITING, FW_DOWNLOADING, FW_INSTALLING, FW_OK, FW_ROLLED_BACK, FW_BRICKED = range(6)


@njit(cache=True)
def _theta(start, rmax, t0, t1, cap_mbps):
    """Water level: sum over boxes of active share x min(rmax, theta) = cap."""
    span = t1 - t0
    total = 0.0
    for j in range(rmax.shape[0]):
        total += (t1 - max(start[j], t0)) / span * rmax[j]
    if total <= cap_mbps:
        return np.inf
    lo = 0.0
    hi = 0.0
    for j in range(rmax.shape[0]):
        hi = max(hi, rmax[j])
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        s = 0.0
        for j in range(rmax.shape[0]):
            s += (t1 - max(start[j], t0)) / span * min(rmax[j], mid)
        if s > cap_mbps:
            hi = mid
        else:
            lo = mid
    return lo


@njit(cache=True)
def firmware_window(active, t0, t1, cap_mbps, fw_state, start, left_mbit, rmax, install_s,
                    fail_p, brick_p, rs, done_t, box_port, port_mbit, box_wave, wave_stats):
    """Advance the boxes in ``active`` over ``[t0, t1)``.

    Returns the boxes still downloading or installing, the Mbit sent in the window and the
    boxes bricked in it. ``port_mbit`` receives the Mbit per port (reset by the caller);
    ``wave_stats[wave]`` counts (ok, rolled back, bricked) outcomes.
    """
    dl = np.empty(active.shape[0], np.int64)
    k = 0
    for j in range(active.shape[0]):
        if fw_state[active[j]] == FW_DOWNLOADING:
            dl[k] = active[j]
            k += 1
    dl = dl[:k]
    theta = _theta(start[dl], rmax[dl], t0, t1, cap_mbps)
    sent = 0.0
    keep = np.empty(active.shape[0], np.int64)
    n_keep = 0
    bricked = np.empty(active.shape[0], np.int64)
    n_brick = 0
    for j in range(active.shape[0]):
        i = active[j]
        if fw_state[i] == FW_DOWNLOADING:
            a = max(start[i], t0)
            r = min(rmax[i], theta)
            can = r * (t1 - a)
            if can >= left_mbit[i]:
                t_end = a + left_mbit[i] / r
                sent += left_mbit[i]
                port_mbit[box_port[i]] += left_mbit[i]
                left_mbit[i] = 0.0
                fw_state[i] = FW_INSTALLING
                done_t[i] = t_end + install_s[i]
            else:
                left_mbit[i] -= can
                sent += can
                port_mbit[box_port[i]] += can
        if fw_state[i] == FW_INSTALLING and done_t[i] < t1:
            if uniform(rs, i) < fail_p[i]:
                if uniform(rs, i) < brick_p[i]:
                    fw_state[i] = FW_BRICKED
                    wave_stats[box_wave[i], 2] += 1
                    bricked[n_brick] = i
                    n_brick += 1
                else:
                    fw_state[i] = FW_ROLLED_BACK
                    wave_stats[box_wave[i], 1] += 1
            else:
                fw_state[i] = FW_OK
                wave_stats[box_wave[i], 0] += 1
        if fw_state[i] == FW_DOWNLOADING or fw_state[i] == FW_INSTALLING:
            keep[n_keep] = i
            n_keep += 1
    return keep[:n_keep], sent, bricked[:n_brick]

"""Advancing the set-top boxes over an epoch (every box with an event, to the epoch end or its
next VoD request), the population at time 0, and power cuts between epochs.

The state machine of one box is :mod:`sim.kernels.box_step`; VoD admission is
:mod:`sim.kernels.admission`. Layout and units: :mod:`sim.kernels.layout`; the bundles:
:mod:`sim.kernels.bundles`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.kernels.box_step import closes_at, next_on_z, pick_group, run_box
from sim.kernels.index import ix
from sim.kernels.jit import njit_borrowed
from sim.kernels.layout import (
    AD,
    CALL,
    CALL_UP_MBPS,
    CLOCK0_S,
    F_ADS,
    LIVE,
    N_ACC,
    OFFLINE,
    PF_BOX,
    STANDBY,
    VOD,
    WATCH_MEAN_S,
    ZAP_MEAN_S,
    ZAP_SHARE,
)
from sim.kernels.prefetch import prefetch, prefetch3
from sim.kernels.rng import bits_z, exponential_z, uniform_z


@njit(cache=True, inline="always")
def prefetch_box(b, st, nt, wk, rate, rs, ch, port, vert, flags):
    """Ask for box ``b``'s state ahead of use: the event loops visit a few boxes out of
    millions, each a cold cache miss; asking a few boxes ahead overlaps the misses."""
    prefetch(st, b)
    prefetch(nt, b)
    prefetch(wk, b)
    prefetch(rate, b)
    prefetch(rs, b)
    prefetch(ch, b)
    prefetch(port, b)
    prefetch(vert, b)
    prefetch(flags, b)


@njit(cache=True, inline="always")
def prefetch_rows(acc, oac, p, o, k):
    """Ask for the cache lines of ``acc[p, k, :]`` (one) and ``oac[o, k, :]`` ahead of use."""
    prefetch3(acc, p, k, 0)
    for c in range(0, N_ACC, 8):
        prefetch3(oac, o, k, c)


@njit_borrowed
def advance_listed(lo, hi, port_olt, sp, bx, beh, scr, rq, u_miss, tid):
    """Advance boxes ``scr.vis[lo:hi]`` (memory order) to the epoch end or their next VoD
    request; a request is written to slot ``lo + n`` of ``rq`` (box, time, holding time,
    bitrate, and whether the title is outside the edge cache: draw ``>= u_miss``). Returns
    ``n``, the requests written.

    Compiled without reference counting (:mod:`sim.kernels.jit`): the arrays are taken out
    of the bundles once per OLT and handed to :func:`sim.kernels.box_step.run_box`, inlined
    per box, at no cost."""
    st, nt, wk, ch, rate, tu, vert, port, flags, rs = bx
    vp, sc, ptab, gbit, cumh, hrate = beh.vp, beh.sc, beh.ptab, beh.gbit, beh.cumh, beh.hrate
    acc, oac, abit, aw, ebit_o, vcnt, nbit, vis = (scr.acc, scr.oac, scr.abit, scr.aw,
                                                  scr.ebit_o, scr.vcnt, scr.nbit, scr.vis)
    q_box, q_t, q_hold, q_rate, q_miss = rq.box, rq.t, rq.hold, rq.rate, rq.miss
    n_pend = 0
    for j in range(lo, hi):
        i = ix(vis[j])
        if j + 1 + PF_BOX < hi:
            prefetch_box(vis[j + 1 + PF_BOX], st, nt, wk, rate, rs, ch, port, vert, flags)
        pending, t_nx, hold, r, u_title = run_box(
            i, sp.t0, sp, tid, st, nt, wk, ch, rate, tu, vert, port, flags, rs, port_olt, vp,
            sc, ptab, gbit, cumh, hrate, acc, oac, abit, aw, ebit_o, vcnt, nbit)
        if pending:
            q = lo + n_pend
            q_box[q] = i
            q_t[q] = t_nx
            q_hold[q] = hold
            q_rate[q] = r
            q_miss[q] = u_title >= u_miss
            n_pend += 1
    return n_pend


@njit(cache=True)
def _init_olt(o, olt_box, bx, beh, on_share, viewing):
    """The boxes of OLT ``o`` at time 0 (see :func:`init_population`)."""
    _init_boxes(olt_box[o], olt_box[o + 1], bx.st, bx.nt, bx.wk, bx.ch, bx.rate, bx.vert,
                bx.flags, bx.rs, beh.vp, beh.sc, beh.ptab, beh.cumh, beh.hrate, on_share,
                viewing)


@njit(cache=True, inline="always")
def _init_boxes(lo, hi, st, nt, wk, ch, rate, vert, flags, rs, vp, sc, ptab, cumh, hrate,
                on_share, viewing):
    for i in range(lo, hi):
        v = vert[i]
        ch[i] = -1
        if not viewing:
            st[i] = STANDBY
            nt[i] = np.inf
            wk[i] = np.inf
            continue
        z, u = uniform_z(rs[i])
        if u < on_share[v]:
            z, bits = bits_z(z)
            ch[i] = pick_group(ptab, v, flags[i], bits)
            st[i] = LIVE
            zm = vp[v, ZAP_SHARE] * vp[v, ZAP_MEAN_S]
            wm = (1.0 - vp[v, ZAP_SHARE]) * vp[v, WATCH_MEAN_S]
            z, u = uniform_z(z)
            mean = vp[v, ZAP_MEAN_S] if u * (zm + wm) < zm else vp[v, WATCH_MEAN_S]
            z, e = exponential_z(z, mean)
            nt[i] = e
        else:
            z, wake = next_on_z(z, 0.0, v, cumh, hrate, sc[CLOCK0_S])
            wk[i] = wake
            close = closes_at(0.0, v, vp, sc[CLOCK0_S])
            nt[i] = wake
            if (flags[i] & F_ADS) and close > 0.0:  # the carousel runs if the site is open
                st[i] = AD
                rate[i] = 0.0
                nt[i] = min(wake, close)
            else:
                st[i] = STANDBY
        rs[i] = z


@njit(cache=True, parallel=True)
def init_population(olt_box, bx, beh, on_share, viewing):
    """Draw every box's state at time 0 (ports are grouped by OLT; one OLT per task).

    A box of vertical ``v`` is watching live TV with probability ``on_share[v]`` (its
    channel by popularity, the residual dwell from the length-biased zap/watch mixture);
    otherwise it is in standby (ad carousel if it carries ads) until its next session.
    Without ``viewing`` every box stays in standby.
    """
    for o in prange(olt_box.shape[0] - 1):
        _init_olt(o, olt_box, bx, beh, on_share, viewing)


@njit(cache=True)
def power_off(boxes, t_back, bx, port_olt, vp, carry):
    """Cut power to ``boxes`` between epochs: they leave their channel and stay offline until
    ``t_back``; the per-OLT state counts and rate sums and the per-port rate sums and boxes
    in use (``carry``) follow."""
    nst, orate, prate = carry.nst, carry.orate, carry.prate
    st, nt, ch, rate, port, vert = bx.st, bx.nt, bx.ch, bx.rate, bx.port, bx.vert
    for j in range(boxes.shape[0]):
        i = boxes[j]
        p = port[i]
        o = port_olt[p]
        s = st[i]
        r = rate[i]
        ch[i] = -1
        nst[o, s] -= 1
        nst[o, OFFLINE] += 1
        if s == LIVE or s == VOD or s == CALL:
            prate[p, 2] -= 1.0
        if s == VOD:
            orate[o, 0] -= r
            prate[p, 0] -= r
        elif s == AD:
            orate[o, 1] -= r
            prate[p, 0] -= r
        elif s == CALL:
            up = vp[vert[i], CALL_UP_MBPS]
            orate[o, 2] -= r
            orate[o, 3] -= up
            prate[p, 0] -= r
            prate[p, 1] -= up
        st[i] = OFFLINE
        nt[i] = t_back[j]

"""Set-top-box viewing population: exact per-box events inside one window ``[t0, t1)``.

Every box is a small state machine (standby, live, VoD, ad carousel, video call, offline) with
its own random stream (:mod:`sim.kernels.rng`). A window call processes, in time order per box,
every event before ``t1`` and keeps, per access node (PON port) and per OLT, how many boxes
watch each multicast group, so the multicast load (distinct groups x bitrate) is maintained
in O(1) per event. A box that asks for a VoD title stops at the request (state ``PENDING``);
the caller decides admission (a loss system) and resumes it with :func:`resume_boxes`.

Units: times in seconds, bitrates in Mbit/s, volumes in Mbit.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.kernels.prefetch import prefetch, prefetch2
from sim.kernels.rng import (
    alias_pick,
    exponential,
    exponential_z,
    lognormal_z,
    pick_guided,
    uniform,
    uniform_z,
)

# Box states.
STANDBY, LIVE, VOD, AD, CALL, OFFLINE, PENDING = 0, 1, 2, 3, 4, 5, 6
STATE_NAMES = ("standby", "live", "vod", "ad", "call", "offline")
N_STATES = 6

# Box flags.
F_HD, F_UHD, F_ADS, F_CAMERA = 1, 2, 4, 8

# Viewing parameters per vertical (columns of ``vp``).
(ZAP_SHARE, ZAP_MEAN_S, WATCH_MEAN_S, P_LEAVE, LEAVE_VOD, LEAVE_CALL, START_VOD, START_CALL,
 VOD_MEDIAN_S, VOD_SIGMA, VOD_THEN_LIVE, CALL_MEAN_S, UHD_SHARE, AD_IDLE_S, AD_MBPS,
 CALL_UP_MBPS, CALL_DOWN_MBPS) = range(17)
N_VP = 17

# Service constants (``sc``).
SD_MBPS, HD_MBPS, UHD_MBPS, FCC_MBIT_PER_MBPS, CLOCK0_S = range(5)
N_SC = 5

# Per-port window outputs (columns of ``out``).
O_VOD, O_AD, O_CALL_DN, O_CALL_UP, O_FCC, O_EVENTS, O_JOINS, O_OCC = range(8)
N_OUT = O_OCC + N_STATES + 1  # the last column holds PENDING (zero once a window is done)
N_ST = N_STATES + 1  # states counted per port, PENDING included

DAY_S = 86400.0

# How far ahead (in boxes) the event loop prefetches a box's state and its port's counts.
PF_BOX, PF_PORT = 8, 4


@njit(cache=True, inline="always")
def next_on_z(z, t, v, cumh, hrate, clock0):
    """Next session start after ``t``: inversion of the periodic diurnal hazard.

    ``z`` is the box's random state; returns (next state, start time).
    """
    day_h = cumh[v, 24]
    c = t + clock0
    d = np.floor(c / DAY_S)
    s = c - d * DAY_S
    h = int(s // 3600.0)
    if h > 23:
        h = 23
    z, e = exponential_z(z, 1.0)
    target = cumh[v, h] + hrate[v, h] * (s - h * 3600.0) + e
    extra = np.floor(target / day_h)
    target -= extra * day_h
    k = 0
    while k < 23 and cumh[v, k + 1] <= target:
        k += 1
    while hrate[v, k] <= 0.0:  # land in an hour with a positive rate
        k += 1
    tt = (d + extra) * DAY_S + k * 3600.0 + (target - cumh[v, k]) / hrate[v, k]
    out = tt - clock0
    return z, (out if out > t else t)


@njit(cache=True, inline="always")
def next_on(state, i, t, v, cumh, hrate, clock0):
    """:func:`next_on_z` on box ``i``'s state in ``state``."""
    z, out = next_on_z(state[i], t, v, cumh, hrate, clock0)
    state[i] = z
    return out


@njit(cache=True, inline="always")
def _join(p, o, g, w, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit):
    """A box starts watching multicast group ``g`` on port ``p`` under OLT ``o``.

    ``tch_*`` hold one bit per group: set once the group has been counted in the current
    window's union load (cleared at each window start).
    """
    wd = g >> 6
    bit = np.uint64(1) << np.uint64(g & 63)
    cnt_p[p, g] += 1
    if cnt_p[p, g] == 1:
        mc_p[p] += gbit[g]
        if (tch_p[p, wd] & bit) == 0:  # first time this group is on the port this window
            tch_p[p, wd] |= bit
            un_p[p] += gbit[g]
    cnt_o[o, g] += 1
    if cnt_o[o, g] == 1:
        mc_o[o] += gbit[g]
        if (tch_o[o, wd] & bit) == 0:
            tch_o[o, wd] |= bit
            un_o[o] += gbit[g]


@njit(cache=True, inline="always")
def _leave(p, o, g, w, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, gbit):
    """A box stops watching group ``g``; the group stays counted in this window's union."""
    wd = g >> 6
    bit = np.uint64(1) << np.uint64(g & 63)
    cnt_p[p, g] -= 1
    if cnt_p[p, g] == 0:
        mc_p[p] -= gbit[g]
        tch_p[p, wd] |= bit
    cnt_o[o, g] -= 1
    if cnt_o[o, g] == 0:
        mc_o[o] -= gbit[g]
        tch_o[o, wd] |= bit


@njit(cache=True, inline="always")
def _shift(p, s, r, up, sign, rem, out, nst, prate):
    """Add (``sign`` 1) or remove (-1) a box in state ``s`` on port ``p`` for the last ``rem``
    seconds of the window: state counts, unicast rate sums and window integrals move together,
    so boxes without events cost nothing."""
    nst[p, s] += sign
    out[p, O_OCC + s] += sign * rem
    if s == VOD:
        prate[p, 0] += sign * r
        out[p, O_VOD] += sign * r * rem
    elif s == AD:
        prate[p, 1] += sign * r
        out[p, O_AD] += sign * r * rem
    elif s == CALL:
        prate[p, 2] += sign * r
        prate[p, 3] += sign * up
        out[p, O_CALL_DN] += sign * r * rem
        out[p, O_CALL_UP] += sign * up * rem


@njit(cache=True, error_model="numpy")
def advance_many(idx, lo, hi, w, t1, st, nt, wk, ch, rate, ttl, vert, port, flags,
                 rs, port_olt, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit, hd_alt,
                 vp, sc, cumh, hrate, ctab, tcdf, tguide, out, nst, prate, pend, pend_base):
    """Process every event before ``t1`` of boxes ``idx[lo:hi]``.

    A box that stops at a VoD request (state ``PENDING``, request time in ``nt[i]``, holding
    time in ``wk[i]``) is written to ``pend[pend_base + k]``; returns ``k``, the count.
    One call handles many boxes: per-call overhead with this many arrays is not negligible.
    A box's state (random state included) lives in locals while its events are processed
    and is stored once, so the shared per-port tables are the only memory traffic per event.
    """
    k = 0
    clock0 = sc[CLOCK0_S]
    for j in range(lo, hi):
        if j + PF_BOX < hi:  # the box PF_BOX ahead: its own state
            b = idx[j + PF_BOX]
            prefetch(st, b)
            prefetch(wk, b)
            prefetch(rate, b)
            prefetch(rs, b)
            prefetch(ch, b)
            prefetch(port, b)
            prefetch(vert, b)
            prefetch(flags, b)
        if j + PF_PORT < hi:  # the box PF_PORT ahead: its port's and OLT's group counts
            b = idx[j + PF_PORT]
            pb = port[b]
            cb = ch[b]
            prefetch(mc_p, pb)
            if cb >= 0:
                prefetch2(cnt_p, pb, cb)
                prefetch2(cnt_o, port_olt[pb], cb)
        i = idx[j]
        p = port[i]
        o = port_olt[p]
        v = vert[i]
        up = vp[v, CALL_UP_MBPS]
        fx = flags[i]
        z = rs[i]
        t_nx = nt[i]
        s_cur = st[i]
        r_cur = rate[i]
        wk_cur = wk[i]
        c_cur = int(ch[i])
        n_ev = 0.0
        n_join = 0.0
        fcc = 0.0
        while t_nx < t1:
            te = t_nx
            s = s_cur
            r0 = r_cur
            n_ev += 1.0
            start = False  # start a viewing session at te
            live = False  # tune to a live channel at te
            standby = False
            if s == STANDBY:
                if te < wk_cur:  # idle long enough: ad carousel until the next session
                    s_cur = AD
                    r_cur = vp[v, AD_MBPS]
                    t_nx = wk_cur
                else:
                    start = True
            elif s == AD:
                start = True
            elif s == LIVE:
                z, u = uniform_z(z)
                _leave(p, o, c_cur, w, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, gbit)
                c_cur = -1
                if u < vp[v, P_LEAVE]:
                    z, u2 = uniform_z(z)
                    if u2 < vp[v, LEAVE_VOD]:
                        s_cur = PENDING
                    elif u2 < vp[v, LEAVE_VOD] + vp[v, LEAVE_CALL] and (fx & F_CAMERA):
                        s_cur = CALL
                    else:
                        standby = True
                else:  # zap: the next channel by popularity
                    live = True
            elif s == VOD:
                z, u = uniform_z(z)
                if u < vp[v, VOD_THEN_LIVE]:
                    live = True
                else:
                    standby = True
            elif s == CALL:
                standby = True
            elif s == OFFLINE:
                standby = True
            if start:
                z, u = uniform_z(z)
                if u < vp[v, START_VOD]:
                    s_cur = PENDING
                elif u < vp[v, START_VOD] + vp[v, START_CALL] and (fx & F_CAMERA):
                    s_cur = CALL
                else:
                    live = True
            if s_cur == CALL and s != CALL and not standby and not live:
                r_cur = vp[v, CALL_DOWN_MBPS]
                z, e = exponential_z(z, vp[v, CALL_MEAN_S])
                t_nx = te + e
            if live:
                z, u = uniform_z(z)
                g = alias_pick(ctab, v, u)
                if not (fx & F_HD) and hd_alt[g] >= 0:
                    g = hd_alt[g]  # SD simulcast of an HD channel
                c_cur = g
                s_cur = LIVE
                _join(p, o, g, w, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit)
                n_join += 1.0
                fcc += gbit[g]
                z, u = uniform_z(z)
                # a select, not a branch: zap or watch is a coin toss the CPU cannot predict
                mean = vp[v, ZAP_MEAN_S] if u < vp[v, ZAP_SHARE] else vp[v, WATCH_MEAN_S]
                z, e = exponential_z(z, mean)
                t_nx = te + e
            elif standby:
                s_cur = STANDBY
                z, wake = next_on_z(z, te, v, cumh, hrate, clock0)
                wk_cur = wake
                idle = te + vp[v, AD_IDLE_S]
                t_nx = idle if ((fx & F_ADS) and wake > idle) else wake
            if s_cur != s:
                _shift(p, s, r0, up, -1, t1 - te, out, nst, prate)
                _shift(p, s_cur, r_cur, up, 1, t1 - te, out, nst, prate)
            if s_cur == PENDING:
                z, u = uniform_z(z)
                ttl[i] = pick_guided(tcdf, tguide, u)
                z, u = uniform_z(z)
                if u < vp[v, UHD_SHARE] and (fx & F_UHD):
                    r_cur = sc[UHD_MBPS]
                elif fx & F_HD:
                    r_cur = sc[HD_MBPS]
                else:
                    r_cur = sc[SD_MBPS]
                t_nx = te
                z, wk_cur = lognormal_z(z, vp[v, VOD_MEDIAN_S], vp[v, VOD_SIGMA])
                pend[pend_base + k] = i
                k += 1
                break
        if n_ev > 0.0:
            rs[i] = z
            nt[i] = t_nx
            st[i] = s_cur
            rate[i] = r_cur
            wk[i] = wk_cur
            ch[i] = c_cur
            out[p, O_EVENTS] += n_ev
            out[p, O_JOINS] += n_join
            out[p, O_FCC] += sc[FCC_MBIT_PER_MBPS] * fcc
    return k


@njit(cache=True)
def advance_olt(o, w, span, t1, olt_box, st, nt, wk, ch, rate, ttl, vert, port, flags, rs,
                port_olt, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit, hd_alt, vp,
                sc, cumh, hrate, ctab, tcdf, tguide, out, nst, prate, olt_port, pend_n, pend_list, buf):
    """One OLT's share of :func:`advance_window` (its ports' outputs, then its boxes)."""
    n_words = tch_p.shape[1]
    for c in range(n_words):
        tch_o[o, c] = 0
    for p in range(olt_port[o], olt_port[o + 1]):
        for c in range(n_words):
            tch_p[p, c] = 0
        for c in range(N_OUT):
            out[p, c] = 0.0
        for q in range(N_ST):
            out[p, O_OCC + q] = nst[p, q] * span
        out[p, O_VOD] = prate[p, 0] * span
        out[p, O_AD] = prate[p, 1] * span
        out[p, O_CALL_DN] = prate[p, 2] * span
        out[p, O_CALL_UP] = prate[p, 3] * span
    n_ev = 0
    for i in range(olt_box[o], olt_box[o + 1]):
        if nt[i] < t1:
            buf[olt_box[o] + n_ev] = i
            n_ev += 1
    base = olt_box[o]
    pend_n[o] = advance_many(buf, base, base + n_ev, w, t1, st, nt, wk, ch, rate,
                             ttl, vert, port, flags, rs, port_olt, cnt_p, cnt_o, tch_p,
                             tch_o, mc_p, mc_o, un_p, un_o, gbit, hd_alt, vp, sc, cumh,
                             hrate, ctab, tcdf, tguide, out, nst, prate, pend_list, base)


@njit(cache=True, parallel=True)
def advance_window(w, t0, t1, olt_box, st, nt, wk, ch, rate, ttl, vert, port, flags, rs,
                   port_olt, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit, hd_alt,
                   vp, sc, cumh, hrate, ctab, tcdf, tguide, out, nst, prate, olt_port, pend_n, pend_list,
                   buf):
    """Advance every box over ``[t0, t1)``, one OLT per task (boxes sorted by OLT).

    ``out`` is filled here (from the per-port state counts ``nst`` and rate sums ``prate``,
    then corrected at every state change) and the touched-group bits are cleared; ``un_p``
    and ``un_o`` must be set by the caller to the current multicast loads. Boxes stopped at a
    VoD request are listed per OLT in ``pend_list[olt_box[o]: olt_box[o] + pend_n[o]]``.
    """
    n_olt = olt_box.shape[0] - 1
    span = t1 - t0
    for o in prange(n_olt):
        advance_olt(o, w, span, t1, olt_box, st, nt, wk, ch, rate, ttl, vert, port, flags, rs,
                    port_olt, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit, hd_alt,
                    vp, sc, cumh, hrate, ctab, tcdf, tguide, out, nst, prate, olt_port, pend_n,
                    pend_list, buf)


@njit(cache=True)
def gather_pending(olt_box, pend_n, pend_list):
    """The boxes waiting for VoD admission, as one array."""
    total = 0
    for o in range(pend_n.shape[0]):
        total += pend_n[o]
    res = np.empty(total, dtype=np.int64)
    k = 0
    for o in range(pend_n.shape[0]):
        for j in range(pend_n[o]):
            res[k] = pend_list[olt_box[o] + j]
            k += 1
    return res


@njit(cache=True, error_model="numpy")
def resume_segment(boxes, admitted, lo, hi, w, t1, st, nt, wk, ch, rate, ttl, vert, port,
                   flags, rs, port_olt, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit,
                   hd_alt, vp, sc, cumh, hrate, ctab, tcdf, tguide, out, nst, prate, again, again_base):
    """Admission decisions for ``boxes[lo:hi]`` (one OLT, increasing ids), then advance them
    to ``t1``; boxes stopping at a new request go to ``again[again_base:]`` (returns count).

    An admitted box streams its title until request time + holding time; a blocked box falls
    back to live TV at the request time.
    """
    for j in range(lo, hi):
        i = boxes[j]
        t_req = nt[i]
        v = vert[i]
        p = port[i]
        _shift(p, PENDING, 0.0, 0.0, -1, t1 - t_req, out, nst, prate)
        if admitted[j]:
            st[i] = VOD
            nt[i] = t_req + wk[i]
        else:
            o = port_olt[p]
            g = alias_pick(ctab, v, uniform(rs, i))
            if not (flags[i] & F_HD) and hd_alt[g] >= 0:
                g = hd_alt[g]
            ch[i] = g
            st[i] = LIVE
            _join(p, o, g, w, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit)
            out[p, O_JOINS] += 1.0
            out[p, O_FCC] += sc[FCC_MBIT_PER_MBPS] * gbit[g]
            if uniform(rs, i) < vp[v, ZAP_SHARE]:
                nt[i] = t_req + exponential(rs, i, vp[v, ZAP_MEAN_S])
            else:
                nt[i] = t_req + exponential(rs, i, vp[v, WATCH_MEAN_S])
        _shift(p, st[i], rate[i], vp[v, CALL_UP_MBPS], 1, t1 - t_req, out, nst, prate)
    return advance_many(boxes, lo, hi, w, t1, st, nt, wk, ch, rate, ttl, vert, port, flags,
                        rs, port_olt, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit,
                        hd_alt, vp, sc, cumh, hrate, ctab, tcdf, tguide, out, nst, prate, again,
                        again_base)


@njit(cache=True, parallel=True)
def resume_boxes(boxes, admitted, w, t1, st, nt, wk, ch, rate, ttl, vert, port, flags, rs,
                 port_olt, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit, hd_alt,
                 vp, sc, cumh, hrate, ctab, tcdf, tguide, out, nst, prate):
    """Apply admission decisions and advance the boxes to ``t1``, one OLT per task.

    ``boxes`` must be in increasing order (each OLT's boxes are then contiguous). Returns the
    boxes that stopped at a new request (in order). See :func:`resume_segment`.
    """
    n = boxes.shape[0]
    seg = np.empty(n + 1, dtype=np.int64)
    m = 0
    for j in range(n):
        if j == 0 or port_olt[port[boxes[j]]] != port_olt[port[boxes[j - 1]]]:
            seg[m] = j
            m += 1
    seg[m] = n
    again = np.empty(n, dtype=np.int64)
    found = np.zeros(m, dtype=np.int64)
    for q in prange(m):
        found[q] = resume_segment(boxes, admitted, seg[q], seg[q + 1], w, t1, st, nt, wk, ch,
                                  rate, ttl, vert, port, flags, rs, port_olt, cnt_p, cnt_o,
                                  tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit, hd_alt, vp, sc,
                                  cumh, hrate, ctab, tcdf, tguide, out, nst, prate, again, seg[q])
    total = 0
    for q in range(m):
        total += found[q]
    res = np.empty(total, dtype=np.int64)
    k = 0
    for q in range(m):
        for j in range(found[q]):
            res[k] = again[seg[q] + j]
            k += 1
    return res


@njit(cache=True, parallel=True)
def init_population(olt_box, st, nt, wk, ch, rate, vert, port, flags, rs, port_olt, cnt_p,
                    cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit, hd_alt, vp, sc, cumh,
                    hrate, ctab, on_share):
    """Draw every box's state at time 0.

    A box of vertical ``v`` is watching live TV with probability ``on_share[v]`` (its
    channel by popularity, the residual dwell from the length-biased zap/watch mixture);
    otherwise it is in standby (ad carousel if it carries ads) until its next session.
    """
    n_olt = olt_box.shape[0] - 1
    for o in prange(n_olt):
        for i in range(olt_box[o], olt_box[o + 1]):
            v = vert[i]
            p = port[i]
            if uniform(rs, i) < on_share[v]:
                g = alias_pick(ctab, v, uniform(rs, i))
                if not (flags[i] & F_HD) and hd_alt[g] >= 0:
                    g = hd_alt[g]
                ch[i] = g
                st[i] = LIVE
                _join(p, o, g, -1, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit)
                zm = vp[v, ZAP_SHARE] * vp[v, ZAP_MEAN_S]
                wm = (1.0 - vp[v, ZAP_SHARE]) * vp[v, WATCH_MEAN_S]
                if uniform(rs, i) * (zm + wm) < zm:
                    nt[i] = exponential(rs, i, vp[v, ZAP_MEAN_S])
                else:
                    nt[i] = exponential(rs, i, vp[v, WATCH_MEAN_S])
            else:
                ch[i] = -1
                wake = next_on(rs, i, 0.0, v, cumh, hrate, sc[CLOCK0_S])
                wk[i] = wake
                if flags[i] & F_ADS:
                    st[i] = AD
                    rate[i] = vp[v, AD_MBPS]
                else:
                    st[i] = STANDBY
                nt[i] = wake


@njit(cache=True)
def power_off(boxes, t_back, w, st, nt, ch, rate, vert, vp, port, port_olt, cnt_p, cnt_o, tch_p,
              tch_o, mc_p, mc_o, gbit, out, nst, prate):
    """Cut power to ``boxes``: they leave their channel and stay offline until ``t_back``."""
    for j in range(boxes.shape[0]):
        i = boxes[j]
        if st[i] == LIVE and ch[i] >= 0:
            p = port[i]
            _leave(p, port_olt[p], ch[i], w, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, gbit)
            ch[i] = -1
        p = port[i]
        up = vp[vert[i], CALL_UP_MBPS]
        _shift(p, st[i], rate[i], up, -1, 0.0, out, nst, prate)
        _shift(p, OFFLINE, 0.0, up, 1, 0.0, out, nst, prate)
        st[i] = OFFLINE
        nt[i] = t_back[j]

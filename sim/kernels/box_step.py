"""The set-top box as a state machine: exact per-box events over an epoch of windows.

Every box is a small state machine (standby, live, VoD, ad carousel, video call, offline)
with its own random stream (:mod:`sim.kernels.rng`). :func:`run_box` processes, in time
order, every event of one box before the epoch end, and writes what the windows need into
the box's OLT rows (``oac``: state-seconds, unicast Mbit by kind, events, joins) and port
rows (``acc``: only what a port's own load needs, one cache line per port-window): per
window, values as corrections from the event time to the window end plus the change in
counts and rate sums (turned into whole-window values by a prefix sum over the windows,
:mod:`sim.kernels.links`), and one bit per multicast group watched at any time in the window
(``abit[port, word, window]``) and at the window end (``ebit_o[olt, word, window]``). Boxes
are independent except through VoD admission (:mod:`sim.kernels.admission`): a box that asks
for a title stops at the request (state ``PENDING``) and is admitted or blocked before it
resumes. The loops over boxes that call :func:`run_box` are in :mod:`sim.kernels.boxes` and
:mod:`sim.kernels.admission`, compiled without reference counting (:mod:`sim.kernels.jit`).
Layout and units: :mod:`sim.kernels.layout`; the bundles: :mod:`sim.kernels.bundles`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernels.index import ix
from sim.kernels.layout import (
    AD,
    AD_IDLE_S,
    AD_REFRESH_MBIT,
    CALL,
    CALL_DOWN_MBPS,
    CALL_MEAN_S,
    CALL_UP_MBPS,
    CLOCK0_S,
    D_CNT,
    D_RATE,
    DAY_S,
    F_ADS,
    F_CAMERA,
    F_HD,
    F_UHD,
    FCC_MBIT_PER_MBPS,
    HD_MBPS,
    LEAVE_CALL,
    LEAVE_VOD,
    LIVE,
    O_AD,
    O_CALL_DN,
    O_CALL_UP,
    O_CALLS,
    O_CHOICES,
    O_EVENTS,
    O_FCC,
    O_JOINS,
    O_OCC,
    O_VOD,
    OFFLINE,
    OPEN_FROM_H,
    OPEN_TO_H,
    P_D_DN,
    P_D_UP,
    P_D_USE,
    P_DN,
    P_LEAVE,
    P_UP,
    P_USE,
    PENDING,
    SD_MBPS,
    STANDBY,
    START_CALL,
    START_VOD,
    UHD_MBPS,
    UHD_SHARE,
    VOD,
    VOD_MEDIAN_S,
    VOD_SIGMA,
    VOD_THEN_LIVE,
    WATCH_MEAN_S,
    ZAP_MEAN_S,
    ZAP_SHARE,
)
from sim.kernels.rng import alias_pick, bits_z, exponential_z, lognormal_z, uniform_z


@njit(cache=True, inline="always")
def next_on_z(z, t, v, cumh, hrate, clock0):
    """Next session start after ``t``: inversion of the periodic diurnal hazard.

    ``z`` is the box's random state; returns (next state, start time).
    """
    day_h = cumh[v, 24]
    c = t + clock0
    d = np.floor(c / DAY_S)
    s = c - d * DAY_S
    h = int(s * (1.0 / 3600.0))
    if h > 23:
        h = 23
    z, e = exponential_z(z, 1.0)
    hx = ix(h)
    target = cumh[v, hx] + hrate[v, hx] * (s - h * 3600.0) + e
    extra = np.floor(target / day_h)
    target -= extra * day_h
    k = 0
    while k < 23 and cumh[v, ix(k + 1)] <= target:
        k += 1
    while hrate[v, ix(k)] <= 0.0:  # land in an hour with a positive rate
        k += 1
    kx = ix(k)
    tt = (d + extra) * DAY_S + k * 3600.0 + (target - cumh[v, kx]) / hrate[v, kx]
    out = tt - clock0
    return z, (out if out > t else t)


@njit(cache=True, inline="always")
def closes_at(t, v, vp, clock0):
    """When the site of a vertical ``v`` box closes after ``t`` if it is open at ``t``
    (clock hours ``OPEN_FROM_H`` to ``OPEN_TO_H``), else ``-1``; ``inf`` if it never closes."""
    c = t + clock0
    s = c - np.floor(c / DAY_S) * DAY_S
    h0 = vp[v, OPEN_FROM_H] * 3600.0
    h1 = vp[v, OPEN_TO_H] * 3600.0
    if s < h0 or s >= h1:
        return -1.0
    return np.inf if h1 >= DAY_S and h0 <= 0.0 else t + (h1 - s)


@njit(cache=True, inline="always")
def win_of(t, t0, inv_dt, k_last):
    """Index of the window of the epoch (start ``t0``) that holds time ``t``."""
    k = int((t - t0) * inv_dt)
    if k < 0:
        return 0
    return k_last if k > k_last else k


@njit(cache=True, inline="always")
def pick_group(ptab, v, fx, bits):
    """A live channel by vertical ``v``'s popularity (64 random ``bits``); a box without HD
    (flags ``fx``) gets the SD simulcast of an HD channel: ``ptab[v, hd]`` holds the alias
    records of the groups as seen by a box with (``hd`` 1) or without HD
    (:func:`sim.iptv.population.pick_table`)."""
    return alias_pick(ptab, v, fx & F_HD, bits)


@njit(cache=True, inline="always")
def tune_live(z, te, v, fx, p, o, k, ptab, gbit, vp, fcc_k, acc, oac):
    """A box (random state ``z``, vertical ``v``, flags ``fx``) on port ``p`` of OLT ``o``
    tunes to a live channel at ``te`` in window ``k``: the channel by popularity, its join
    and fast channel change burst, and the dwell (a short zap or a longer watch). Returns
    (next state, group, end of the dwell)."""
    z, r = bits_z(z)
    g = pick_group(ptab, v, fx, r)
    fcc = fcc_k * gbit[ix(g)]
    kx = ix(k)
    oac[o, kx, O_JOINS] += 1.0
    oac[o, kx, O_FCC] += fcc
    acc[p, kx, P_DN] += fcc
    z, u = uniform_z(z)
    # a select, not a branch: zap or watch is a coin toss the CPU cannot predict
    mean = vp[v, ZAP_MEAN_S] if u < vp[v, ZAP_SHARE] else vp[v, WATCH_MEAN_S]
    z, e = exponential_z(z, mean)
    return z, g, te + e


@njit(cache=True, inline="always")
def shift(acc, oac, p, o, k, s, r, up, sign, rem):
    """Add (``sign`` 1) or remove (-1) a box in state ``s`` on port ``p`` of OLT ``o`` from
    ``rem`` seconds before the end of window ``k`` on: the window's state-seconds and unicast
    Mbit, and the change in counts and rate sums that later windows inherit."""
    kx = ix(k)
    oac[o, kx, ix(O_OCC + s)] += sign * rem
    oac[o, kx, ix(D_CNT + s)] += sign
    if s == LIVE or s == VOD or s == CALL:  # a box in use
        acc[p, kx, P_USE] += sign * rem
        acc[p, kx, P_D_USE] += sign
    if s == VOD or s == AD or s == CALL:  # unicast downstream at rate r, by kind per OLT
        col = O_VOD if s == VOD else (O_AD if s == AD else O_CALL_DN)
        oac[o, kx, ix(col)] += sign * r * rem
        oac[o, kx, ix(D_RATE + col - O_VOD)] += sign * r
        acc[p, kx, P_DN] += sign * r * rem
        acc[p, kx, P_D_DN] += sign * r
    if s == CALL:  # and upstream
        oac[o, kx, O_CALL_UP] += sign * up * rem
        oac[o, kx, D_RATE + 3] += sign * up
        acc[p, kx, P_UP] += sign * up * rem
        acc[p, kx, P_D_UP] += sign * up


@njit(cache=True, inline="always")
def mark(p, o, g, a, b, sp, abit, aw, ebit_o, vcnt, tid):
    """A box on port ``p`` (OLT ``o``) watched group ``g`` over ``[a, b)`` (``b >= t_end``:
    still watching at the epoch end): set the group's bit in every window it touched, and
    in every window whose end it spans count a viewer. ``aw[p]`` has a bit per word of
    ``abit[p]`` set in the epoch.

    Windows are the last axis of ``abit``, ``ebit_o`` and ``vcnt`` (lanes): every lane is
    written, masked to the span, so the work does not depend on how many windows a dwell
    spans (no loop exit for the CPU to mispredict; the compiler vectorises the lanes).
    """
    ka = win_of(a, sp.t0, sp.inv_dt, sp.k_last)
    past = b >= sp.t_end
    kb = sp.k_last if past else win_of(b, sp.t0, sp.inv_dt, sp.k_last)
    ke = sp.k_last if past else kb - 1
    wd = ix(g >> 6)
    gx = ix(g)
    tx = ix(tid)
    aw[p] |= np.uint64(1) << wd
    bit = np.uint64(1) << np.uint64(g & 63)
    zero = np.uint64(0)
    for k in range(abit.shape[2]):
        abit[p, wd, k] |= bit if (k >= ka) & (k <= kb) else zero
        end = (k >= ka) & (k <= ke)
        ebit_o[o, wd, k] |= bit if end else zero
        vcnt[tx, gx, k] += end


@njit(cache=True, inline="always")
def _session_start(z, v, fx, vp):
    """What a box starts at a session start: (state, VoD request?, call?, live?)."""
    z, u = uniform_z(z)
    if u < vp[v, START_VOD]:
        return z, True, False, False
    if u < vp[v, START_VOD] + vp[v, START_CALL] and (fx & F_CAMERA):
        return z, False, True, False
    return z, False, False, True


@njit(cache=True, inline="always")
def _after_live(z, v, fx, vp):
    """A live dwell ends: (VoD request?, call?, zap?, standby?)."""
    z, u = uniform_z(z)
    if u < vp[v, P_LEAVE]:
        z, u2 = uniform_z(z)
        if u2 < vp[v, LEAVE_VOD]:
            return z, True, False, False, False
        if u2 < vp[v, LEAVE_VOD] + vp[v, LEAVE_CALL] and (fx & F_CAMERA):
            return z, False, True, False, False
        return z, False, False, False, True
    return z, False, False, True, False  # zap: the next channel by popularity


@njit(cache=True, inline="always")
def _vod_request(z, v, fx, vp, sc):
    """A VoD request: (state, title draw, bitrate by the box's class, holding time)."""
    z, u_title = uniform_z(z)  # picks the title: sim.iptv.population.title_of
    z, u = uniform_z(z)
    if u < vp[v, UHD_SHARE] and (fx & F_UHD):
        r = sc[UHD_MBPS]
    elif fx & F_HD:
        r = sc[HD_MBPS]
    else:
        r = sc[SD_MBPS]
    z, hold = lognormal_z(z, vp[v, VOD_MEDIAN_S], vp[v, VOD_SIGMA])
    return z, u_title, r, hold


@njit(cache=True, inline="always")
def run_box(i, since, sp, tid, st, nt, wk, ch, rate, tu, vert, port, flags, rs, port_olt,
            vp, sc, ptab, gbit, cumh, hrate, acc, oac, abit, aw, ebit_o, vcnt, nbit):
    """Process box ``i``'s events before the epoch end (live since ``since`` if watching).

    A box watching live TV at the epoch end sets its group's bit in its port's ``nbit``.
    Returns (stopped at a VoD request?, request time, holding time, bitrate, title draw);
    a box's state, random state included, lives in locals while its events are processed.
    The arrays come from the bundles (:mod:`sim.kernels.bundles`) through a loop over boxes
    compiled without reference counting (:mod:`sim.kernels.jit`); with it, each array here
    would cost two atomic updates per box (they span the event loop).
    """
    t0, dt, inv_dt, k_last, t_end = sp.t0, sp.dt, sp.inv_dt, sp.k_last, sp.t_end
    fcc_k = sc[FCC_MBIT_PER_MBPS]
    clock0 = sc[CLOCK0_S]
    p = ix(port[i])
    o = ix(port_olt[p])
    v = ix(vert[i])
    up = vp[v, CALL_UP_MBPS]
    fx = flags[i]
    z = rs[i]
    t_nx = nt[i]
    s_cur = st[i]
    r_cur = rate[i]
    wk_cur = wk[i]
    c_cur = int(ch[i])
    pending = False
    u_title = 0.0
    while t_nx < t_end:
        te = t_nx
        s = s_cur
        r0 = r_cur
        k = win_of(te, t0, inv_dt, k_last)
        oac[o, ix(k), O_EVENTS] += 1.0
        ask = call = live = standby = False
        if s == STANDBY and te < wk_cur:  # idle long enough: the ad carousel, from local
            s_cur = AD  # storage, until the session or the site closes; its playlist refresh
            r_cur = 0.0  # comes from the CDN now
            close = closes_at(te, v, vp, clock0)
            t_nx = wk_cur if close < 0.0 or close >= wk_cur else close
            refresh = vp[v, AD_REFRESH_MBIT]
            oac[o, ix(k), O_AD] += refresh
            acc[p, ix(k), P_DN] += refresh
        elif s == AD and te < wk_cur:  # the site closed: off until the next session
            s_cur = STANDBY
            t_nx = wk_cur
        elif s == STANDBY or s == AD:
            z, ask, call, live = _session_start(z, v, fx, vp)
            oac[o, ix(k), O_CHOICES] += 1.0
        elif s == LIVE:
            mark(p, o, c_cur, since, te, sp, abit, aw, ebit_o, vcnt, tid)
            c_cur = -1
            z, ask, call, live, standby = _after_live(z, v, fx, vp)
            oac[o, ix(k), O_CHOICES] += 1.0 if not live else 0.0
        elif s == VOD:
            z, u = uniform_z(z)
            live = u < vp[v, VOD_THEN_LIVE]
            standby = not live
        elif s == CALL or s == OFFLINE:
            standby = True
        if ask:
            s_cur = PENDING
        elif call:
            oac[o, ix(k), O_CALLS] += 1.0
            s_cur = CALL
            r_cur = vp[v, CALL_DOWN_MBPS]
            z, e = exponential_z(z, vp[v, CALL_MEAN_S])
            t_nx = te + e
        elif live:
            z, c_cur, t_nx = tune_live(z, te, v, fx, p, o, k, ptab, gbit, vp, fcc_k, acc, oac)
            since = te
            s_cur = LIVE
        elif standby:
            s_cur = STANDBY
            z, wake = next_on_z(z, te, v, cumh, hrate, clock0)
            wk_cur = wake
            idle = te + vp[v, AD_IDLE_S]
            ads = (fx & F_ADS) != 0 and wake > idle and closes_at(idle, v, vp, clock0) > idle
            t_nx = idle if ads else wake
        if s_cur != s:
            rem = t0 + (k + 1) * dt - te
            shift(acc, oac, p, o, k, s, r0, up, -1.0, rem)
            shift(acc, oac, p, o, k, s_cur, r_cur, up, 1.0, rem)
        if s_cur == PENDING:
            z, u_title, r_cur, wk_cur = _vod_request(z, v, fx, vp, sc)
            t_nx = te
            pending = True
            break
    if s_cur == LIVE:
        mark(p, o, c_cur, since, t_end, sp, abit, aw, ebit_o, vcnt, tid)
        nbit[p, ix(c_cur >> 6)] |= np.uint64(1) << np.uint64(c_cur & 63)
    rs[i] = z
    nt[i] = t_nx
    st[i] = s_cur
    rate[i] = r_cur
    wk[i] = wk_cur
    ch[i] = c_cur
    if pending:
        tu[i] = u_title
    return pending, t_nx, wk_cur, r_cur, u_title



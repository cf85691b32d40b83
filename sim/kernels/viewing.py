"""Set-top-box viewing population: exact per-box events over an epoch of windows.

Every box is a small state machine (standby, live, VoD, ad carousel, video call, offline) with
its own random stream (:mod:`sim.kernels.rng`). :func:`advance_boxes` processes, in time order,
every event of one box before the epoch end, and writes what the windows need into the box's
OLT rows (``oac``: state-seconds, unicast Mbit by kind, events, joins) and port rows (``acc``:
only what a port's own load needs, one cache line per port-window): per window, values as
corrections from the event time to the window end plus the change in counts and rate sums
(turned into whole-window values by a prefix sum over the windows, :mod:`sim.kernels.epoch`),
and one bit per multicast group watched at any time in the window
(``abit[port, word, window]``) and at the window end (``ebit_o[olt, word, window]``). Boxes
are independent except through VoD admission: a box that asks for a title stops at the
request (state ``PENDING``) and the caller admits it (a loss system) before resuming it.

Units: times in seconds, bitrates in Mbit/s, volumes in Mbit.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.kernels.index import ix
from sim.kernels.network import heap_pop, heap_push
from sim.kernels.prefetch import prefetch, prefetch3
from sim.kernels.rng import (
    alias_pick,
    bits_z,
    exponential,
    exponential_z,
    lognormal_z,
    next_u64,
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

# Per OLT-window values (columns of ``oac[olt, window]``): unicast Mbit, events, joins,
# state-seconds (PENDING last: zero once an epoch is done) ...
O_VOD, O_AD, O_CALL_DN, O_CALL_UP, O_FCC, O_EVENTS, O_JOINS, O_OCC = range(8)
N_OUT = O_OCC + N_STATES + 1
N_ST = N_STATES + 1  # states counted per OLT, PENDING included
# ... then the change in state counts and in unicast rate sums (VoD, ads, call down, call up)
# during the window.
D_CNT = N_OUT
D_RATE = D_CNT + N_ST
N_ACC = D_RATE + 4

# Per port-window values (columns of ``acc[port, window]``, 64 bytes): downstream unicast
# Mbit (VoD, ads, call down, fast channel change), upstream Mbit (calls), box-seconds in use
# (live, VoD, call), the change in the down and up rate sums and in boxes in use during the
# window (zero between epochs: the epoch's finish clears them once read), and once the epoch
# is done the multicast union (Mbit/s) and the downstream load (Mbit/s) of the port in the
# window. Per port between epochs (``prate``): the down and up rate sums and the boxes in use.
P_DN, P_UP, P_USE, P_D_DN, P_D_UP, P_D_USE, P_MCAST, P_DOWN = range(8)
N_PACC = 8

DAY_S = 86400.0

#: How many boxes ahead the event loop fetches a box's state.
PF_BOX = 6


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
def next_on(state, i, t, v, cumh, hrate, clock0):
    """:func:`next_on_z` on box ``i``'s state in ``state``."""
    z, out = next_on_z(state[i], t, v, cumh, hrate, clock0)
    state[i] = z
    return out


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
def prefetch_rows(acc, oac, p, o, k):
    """Ask for the cache lines of ``acc[p, k, :]`` (one) and ``oac[o, k, :]`` ahead of use."""
    prefetch3(acc, p, k, 0)
    for c in range(0, N_ACC, 8):
        prefetch3(oac, o, k, c)


@njit(cache=True, inline="always")
def mark(p, o, g, a, b, t0, inv_dt, k_last, t_end, abit, aw, ebit_o, vcnt, tid):
    """A box on port ``p`` (OLT ``o``) watched group ``g`` over ``[a, b)`` (``b >= t_end``:
    still watching at the epoch end): set the group's bit in every window it touched, and
    in every window whose end it spans count a viewer. ``aw[p]`` has a bit per word of
    ``abit[p]`` set in the epoch.

    Windows are the last axis of ``abit``, ``ebit_o`` and ``vcnt`` (lanes): every lane is
    written, masked to the span, so the work does not depend on how many windows a dwell
    spans (no loop exit for the CPU to mispredict; the compiler vectorises the lanes).
    """
    ka = win_of(a, t0, inv_dt, k_last)
    past = b >= t_end
    kb = k_last if past else win_of(b, t0, inv_dt, k_last)
    ke = k_last if past else kb - 1
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
def _q_less(qt, qi, a, b):
    return qt[a] < qt[b] or (qt[a] == qt[b] and qi[a] < qi[b])


@njit(cache=True, inline="always")
def q_push(qt, qi, n, t, i):
    """Push (t, i) on a binary min-heap of size ``n`` (by time, then box id)."""
    j = n
    qt[j] = t
    qi[j] = i
    while j > 0:
        parent = (j - 1) >> 1
        if not _q_less(qt, qi, j, parent):
            break
        qt[j], qt[parent] = qt[parent], qt[j]
        qi[j], qi[parent] = qi[parent], qi[j]
        j = parent


@njit(cache=True, inline="always")
def q_pop(qt, qi, n):
    """Remove the root of a heap of size ``n``."""
    last = n - 1
    qt[0] = qt[last]
    qi[0] = qi[last]
    j = 0
    while True:
        a = 2 * j + 1
        if a >= last:
            break
        c = a
        if a + 1 < last and _q_less(qt, qi, a + 1, a):
            c = a + 1
        if not _q_less(qt, qi, c, j):
            break
        qt[j], qt[c] = qt[c], qt[j]
        qi[j], qi[c] = qi[c], qi[j]
        j = c


@njit(cache=True, error_model="numpy")
def advance_boxes(idx, idx_t, lo, hi, t0, dt, k_last, t_end, st, nt, wk, ch, rate, tu, vert, port,
                  flags, rs, port_olt, gbit, vp, sc, cumh, hrate, ptab, acc, oac,
                  abit, aw, ebit_o, nbit, vcnt, tid, pend, pend_base, pend_t, pend_wk, pend_r, pend_m,
                  pend_ok, idx_w, idx_r, idx_m, idx_s, s_vod, qt, qi, cap_streams, cap_mbps,
                  heap_t, heap_r, heap_base, heap_n, busy_mbps, u_miss, req, blk, miss):
    """Process every event before ``t_end`` (the epoch is ``k_last + 1`` windows of ``dt``
    from ``t0``) of boxes ``idx[lo:hi]``; with ``s_vod >= 0`` these are VoD server
    ``s_vod``'s waiting boxes in request-time order (times in ``idx_t``).

    Without a server, a box that stops at a VoD request (state ``PENDING``, request time in
    ``nt[i]``, holding time in ``wk[i]``, the uniform draw that picks its title in ``tu[i]``,
    bitrate in ``rate[i]``) is written to slot ``pend_base + n``: its id to ``pend``, the
    request time, holding time and bitrate to ``pend_t``, ``pend_wk``, ``pend_r``, and whether
    the title is outside the edge cache (draw ``>= u_miss``) to ``pend_m``; returns ``n``, the
    count.

    With a server, the earliest request, from ``idx`` (copies of the slot values in
    ``idx_t``, ``idx_w``, ``idx_r``, ``idx_m``; slots in ``idx_s``) or from the boxes that
    asked again (the heap ``qt``/``qi``, by request time then box id), is admitted or blocked
    (a loss system of ``cap_streams`` streams and ``cap_mbps`` egress; stream ends in the
    server's part of ``heap_t``; a blocked box falls back to live TV), then advanced to its
    next request (back on the heap) or the epoch end. Requests, blocked requests and admitted
    titles outside the edge cache are counted per window in ``req``, ``blk``, ``miss``.
    A box watching live TV at the epoch end sets its group's bit in its port's ``nbit``.
    Requests are thus admitted in exact time order, whatever the epoch length. A listed box
    admitted for a stream that outlasts the epoch is not touched: ``pend_ok`` marks its slot
    and :func:`settle_admitted` moves it to VoD later, in memory order (boxes reached in
    request-time order are each a cache miss).

    One call handles many boxes (a call with this many arrays is not cheap). A box's state,
    random state included, lives in locals while its events are processed.
    """
    inv_dt = 1.0 / dt
    clock0 = sc[CLOCK0_S]
    fcc_k = sc[FCC_MBIT_PER_MBPS]
    n_pend = 0
    # A server's counters live in locals while it runs: servers next to each other share
    # cache lines in the per-server arrays, and two threads writing one line stall each other.
    srv = s_vod >= 0
    hn = heap_n[s_vod] if srv else 0
    busy = busy_mbps[s_vod] if srv else 0.0
    cap_n = cap_streams[s_vod] if srv else 0
    cap_b = cap_mbps[s_vod] + 1e-9 if srv else 0.0
    sb = heap_base[s_vod] if srv else 0
    n_req = np.zeros(k_last + 1 if srv else 0, dtype=np.int64)
    n_blk = np.zeros_like(n_req)
    n_miss = np.zeros_like(n_req)
    j = lo
    m = 0
    while True:
        if not srv:  # boxes in memory order
            if j >= hi:
                break
            listed = True
        else:  # the earlier of the next listed request and the next repeated one
            listed = j < hi and (m == 0 or idx_t[j] < qt[0]
                                 or (idx_t[j] == qt[0] and idx[j] < qi[0]))
            if not listed and m == 0:
                break
        slot = -1
        t = t0
        hold = 0.0
        r_req = 0.0
        out_of_cache = False
        if listed:
            i = ix(idx[j])
            if srv:
                jx = ix(j)
                slot = idx_s[jx]
                t = idx_t[jx]
                hold = idx_w[jx]
                r_req = idx_r[jx]
                out_of_cache = idx_m[jx] != 0
            j += 1
            # a few boxes ahead: their state, ahead of use (with a server: only boxes that
            # will be touched unless their request is blocked)
            if j + PF_BOX < hi and (not srv or idx_t[j + PF_BOX] + idx_w[j + PF_BOX] < t_end):
                b = idx[j + PF_BOX]
                prefetch(st, b)
                prefetch(nt, b)
                prefetch(wk, b)
                prefetch(rate, b)
                prefetch(rs, b)
                prefetch(ch, b)
                prefetch(port, b)
                prefetch(vert, b)
                prefetch(flags, b)
            jb = j + PF_BOX // 2
            if srv and jb < hi and idx_t[jb] + idx_w[jb] < t_end:
                # then, half-way, the port rows of its request and of its stream's end (the
                # port is in cache by then)
                pb = port[idx[jb]]
                ob = port_olt[pb]
                ka = win_of(idx_t[jb], t0, inv_dt, k_last)
                kb = win_of(idx_t[jb] + idx_w[jb], t0, inv_dt, k_last)
                prefetch_rows(acc, oac, pb, ob, ka)
                if kb != ka:
                    prefetch_rows(acc, oac, pb, ob, kb)
        else:
            i = ix(qi[0])
            q_pop(qt, qi, m)
            m -= 1
            t = nt[i]
            hold = wk[i]
            r_req = rate[i]
            out_of_cache = tu[i] >= u_miss
        if not srv:
            since = t0
        else:
            # Admit or block the request at t (a loss system): an admitted box streams until
            # request time + holding time; a blocked one falls back to live TV then.
            since = t
            k = win_of(t, t0, inv_dt, k_last)
            while hn > 0 and heap_t[ix(sb)] <= t:  # streams that ended by now
                busy -= heap_r[ix(sb)]
                heap_pop(heap_t, heap_r, sb, hn)
                hn -= 1
            n_req[ix(k)] += 1
            admit = hn < cap_n and busy + r_req <= cap_b
            if admit:
                heap_push(heap_t, heap_r, sb, hn, t + hold, r_req)
                hn += 1
                busy += r_req
                if out_of_cache:
                    n_miss[ix(k)] += 1
                if slot >= 0 and t + hold >= t_end:  # streams past the epoch: settled later
                    pend_ok[ix(slot)] = 1
                    continue
            p = ix(port[i])
            o = ix(port_olt[p])
            v = ix(vert[i])
            rem = t0 + (k + 1) * dt - t
            shift(acc, oac, p, o, k, PENDING, 0.0, 0.0, -1.0, rem)
            if admit:
                st[i] = VOD
                nt[i] = t + hold
            else:
                n_blk[ix(k)] += 1
                z, g, t_nx = tune_live(rs[i], t, v, flags[i], p, o, k, ptab, gbit, vp,
                                       fcc_k, acc, oac)
                rs[i] = z
                ch[i] = g
                st[i] = LIVE
                nt[i] = t_nx
            shift(acc, oac, p, o, k, st[i], rate[i], vp[v, CALL_UP_MBPS], 1.0, rem)
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
                mark(p, o, c_cur, since, te, t0, inv_dt, k_last, t_end, abit, aw, ebit_o, vcnt, tid)
                c_cur = -1
                z, u = uniform_z(z)
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
                z, c_cur, t_nx = tune_live(z, te, v, fx, p, o, k, ptab, gbit, vp,
                                           fcc_k, acc, oac)
                since = te
                s_cur = LIVE
            elif standby:
                s_cur = STANDBY
                z, wake = next_on_z(z, te, v, cumh, hrate, clock0)
                wk_cur = wake
                idle = te + vp[v, AD_IDLE_S]
                t_nx = idle if ((fx & F_ADS) and wake > idle) else wake
            if s_cur != s:
                rem = t0 + (k + 1) * dt - te
                shift(acc, oac, p, o, k, s, r0, up, -1.0, rem)
                shift(acc, oac, p, o, k, s_cur, r_cur, up, 1.0, rem)
            if s_cur == PENDING:
                z, u = uniform_z(z)
                u_title = u  # picks the title: sim.iptv.population.title_of
                z, u = uniform_z(z)
                if u < vp[v, UHD_SHARE] and (fx & F_UHD):
                    r_cur = sc[UHD_MBPS]
                elif fx & F_HD:
                    r_cur = sc[HD_MBPS]
                else:
                    r_cur = sc[SD_MBPS]
                t_nx = te
                z, wk_cur = lognormal_z(z, vp[v, VOD_MEDIAN_S], vp[v, VOD_SIGMA])
                pending = True
                break
        if s_cur == LIVE:
            mark(p, o, c_cur, since, t_end, t0, inv_dt, k_last, t_end, abit, aw, ebit_o, vcnt, tid)
            nbit[p, ix(c_cur >> 6)] |= np.uint64(1) << np.uint64(c_cur & 63)
        rs[i] = z
        nt[i] = t_nx
        st[i] = s_cur
        rate[i] = r_cur
        wk[i] = wk_cur
        ch[i] = c_cur
        if pending:
            tu[i] = u_title
            if not srv:
                q = pend_base + n_pend
                pend[q] = i
                pend_t[q] = t_nx
                pend_wk[q] = wk_cur
                pend_r[q] = r_cur
                pend_m[q] = u_title >= u_miss
                n_pend += 1
            else:
                q_push(qt, qi, m, t_nx, i)
                m += 1
    if srv:
        heap_n[s_vod] = hn
        busy_mbps[s_vod] = busy
        for k in range(k_last + 1):
            req[s_vod, k] += n_req[k]
            blk[s_vod, k] += n_blk[k]
            miss[s_vod, k] += n_miss[k]
    return n_pend


@njit(cache=True, inline="always")
def settle_admitted(lo, n, pend, pend_t, pend_wk, pend_r, pend_ok, t0, dt, k_last, st, nt, port,
                    port_olt, acc, oac):
    """Move the boxes of slots ``lo .. lo + n - 1`` marked in ``pend_ok`` (admitted for a
    stream that outlasts the epoch) from their request to VoD; clears the marks."""
    inv_dt = 1.0 / dt
    for q in range(lo, lo + n):
        if q + 2 * PF_BOX < lo + n:  # slots ahead: the box, then (in cache by then) its port row
            b = pend[q + 2 * PF_BOX]
            prefetch(port, b)
            prefetch(st, b)
            prefetch(nt, b)
        if q + PF_BOX < lo + n and pend_ok[q + PF_BOX]:
            prefetch3(acc, port[pend[q + PF_BOX]], win_of(pend_t[q + PF_BOX], t0, inv_dt,
                                                          k_last), 0)
        qx = ix(q)
        if pend_ok[qx]:
            pend_ok[qx] = 0
            i = ix(pend[qx])
            t = pend_t[qx]
            k = win_of(t, t0, inv_dt, k_last)
            rem = t0 + (k + 1) * dt - t
            p = ix(port[i])
            o = ix(port_olt[p])
            shift(acc, oac, p, o, k, PENDING, 0.0, 0.0, -1.0, rem)
            shift(acc, oac, p, o, k, VOD, pend_r[qx], 0.0, 1.0, rem)
            st[i] = VOD
            nt[i] = t + pend_wk[qx]


@njit(cache=True)
def time_order(ts, t_lo, t_hi):
    """Indices that sort ``ts`` (values expected in ``[t_lo, t_hi)``), equal values in input
    order: a counting sort into about ``n / 2`` buckets, then an insertion sort that only
    moves values within their bucket (a stable merge sort if a bucket is crowded)."""
    n = ts.shape[0]
    nb = n // 2 + 1
    scale = nb / (t_hi - t_lo) if t_hi > t_lo else 0.0
    start = np.zeros(nb + 1, np.int64)
    bk = np.empty(n, np.int64)
    for j in range(n):
        b = int((ts[j] - t_lo) * scale)
        b = 0 if b < 0 else (nb - 1 if b >= nb else b)
        bk[j] = b
        start[b + 1] += 1
    crowded = 0
    for b in range(nb):
        crowded = max(crowded, start[b + 1])
        start[b + 1] += start[b]
    if crowded > 256:  # requests bunched in time (a boot storm): the insertion sort would
        return np.argsort(ts, kind="mergesort")  # be quadratic; the same stable order
    out = np.empty(n, np.int64)
    key = np.empty(n)
    for j in range(n):
        q = start[bk[j]]
        start[bk[j]] = q + 1
        out[q] = j
        key[q] = ts[j]
    for j in range(1, n):
        x = out[j]
        tx = key[j]
        q = j - 1
        while q >= 0 and key[q] > tx:
            out[q + 1] = out[q]
            key[q + 1] = key[q]
            q -= 1
        out[q + 1] = x
        key[q + 1] = tx
    return out


@njit(cache=True, parallel=True)
def init_population(olt_box, st, nt, wk, ch, rate, vert, port, flags, rs, vp, sc, cumh,
                    hrate, ptab, on_share, viewing):
    """Draw every box's state at time 0 (ports are grouped by OLT; one OLT per task).

    A box of vertical ``v`` is watching live TV with probability ``on_share[v]`` (its
    channel by popularity, the residual dwell from the length-biased zap/watch mixture);
    otherwise it is in standby (ad carousel if it carries ads) until its next session.
    Without ``viewing`` every box stays in standby.
    """
    n_olt = olt_box.shape[0] - 1
    for o in prange(n_olt):
        for i in range(olt_box[o], olt_box[o + 1]):
            v = vert[i]
            ch[i] = -1
            if not viewing:
                st[i] = STANDBY
                nt[i] = np.inf
                wk[i] = np.inf
            elif uniform(rs, i) < on_share[v]:
                g = pick_group(ptab, v, flags[i], next_u64(rs, i))
                ch[i] = g
                st[i] = LIVE
                zm = vp[v, ZAP_SHARE] * vp[v, ZAP_MEAN_S]
                wm = (1.0 - vp[v, ZAP_SHARE]) * vp[v, WATCH_MEAN_S]
                if uniform(rs, i) * (zm + wm) < zm:
                    nt[i] = exponential(rs, i, vp[v, ZAP_MEAN_S])
                else:
                    nt[i] = exponential(rs, i, vp[v, WATCH_MEAN_S])
            else:
                wake = next_on(rs, i, 0.0, v, cumh, hrate, sc[CLOCK0_S])
                wk[i] = wake
                if flags[i] & F_ADS:
                    st[i] = AD
                    rate[i] = vp[v, AD_MBPS]
                else:
                    st[i] = STANDBY
                nt[i] = wake


@njit(cache=True)
def power_off(boxes, t_back, st, nt, ch, rate, vert, vp, port, port_olt, nst, orate, prate):
    """Cut power to ``boxes`` between epochs: they leave their channel and stay offline until
    ``t_back``; the per-OLT state counts ``nst`` and rate sums ``orate`` and the per-port
    rate sums and boxes in use ``prate`` follow."""
    for j in range(boxes.shape[0]):
        i = boxes[j]
        p = port[i]
        o = port_olt[p]
        s = st[i]
        ch[i] = -1
        nst[o, s] -= 1
        nst[o, OFFLINE] += 1
        if s == LIVE or s == VOD or s == CALL:
            prate[p, 2] -= 1.0
        if s == VOD:
            orate[o, 0] -= rate[i]
            prate[p, 0] -= rate[i]
        elif s == AD:
            orate[o, 1] -= rate[i]
            prate[p, 0] -= rate[i]
        elif s == CALL:
            up = vp[vert[i], CALL_UP_MBPS]
            orate[o, 2] -= rate[i]
            orate[o, 3] -= up
            prate[p, 0] -= rate[i]
            prate[p, 1] -= up
        st[i] = OFFLINE
        nt[i] = t_back[j]

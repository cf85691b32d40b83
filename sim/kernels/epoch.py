"""One epoch (one or more windows) of the box population in one compiled call.

Each phase deals its work to the threads itself (one parallel iteration per thread), so the
balance does not depend on how the threading layer splits a parallel loop.

- **Advance** (chunks of OLTs, round-robin over the threads): every box with an event
  before the epoch end is advanced (:func:`sim.kernels.viewing.advance_boxes`); the scan
  that finds them also collects the boxes without events that watch live TV: they watch
  one channel through the whole epoch (their groups per port in ``sbit``, their number per
  group in ``stat``).
- **VoD admission** (one VoD server at a time, servers dealt largest first): the server's
  waiting boxes are taken by (request time, box id); the earliest is admitted or blocked
  (a loss system: blocked boxes fall back to live TV), then advanced to its next request
  or the epoch end. Requests are thus admitted in exact time order whatever the epoch
  length; servers share no box, port or OLT, so the result does not depend on the number
  of threads.
- **Finish** (chunks of OLTs, round-robin): boxes admitted for streams past the epoch move
  to VoD, the groups of boxes without events are set in every window and in the groups
  watched at the epoch end (``nbit``), per-window values are completed by a prefix sum over
  the windows (state-seconds and unicast by kind per OLT, in-use seconds and unicast Mbit
  per port), and the port loads (utilisation histogram, peaks, overload seconds) and OLT
  sums are computed; a port's sums are cleared once read, so the next epoch adds to zeros.
- **Metros** (one metro per task, dealt by OLT count like the servers): multicast union
  and now, unicast and CDN egress per metro; then viewers per group at each window end.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from sim.kernels.bits import popcount
from sim.kernels.index import ix
from sim.kernels.prefetch import prefetch2
from sim.kernels.viewing import (
    D_CNT,
    D_RATE,
    LIVE,
    N_ACC,
    N_OUT,
    N_ST,
    O_AD,
    O_EVENTS,
    O_FCC,
    O_OCC,
    O_VOD,
    P_D_DN,
    P_D_UP,
    P_D_USE,
    P_DN,
    P_DOWN,
    P_MCAST,
    P_UP,
    P_USE,
    advance_boxes,
    settle_admitted,
    time_order,
)

#: OLTs per chunk of the advance and finish phases (chunks are dealt round-robin).
OLT_CHUNK = 4


@njit(cache=True, inline="always")
def _load_lanes(bits, r, words, cls_mask, cls_rate, cnt, out):
    """Mbit/s of the groups set in ``bits[r, :, k]``, into ``out[k]`` for every lane ``k``
    (windows are the last axis; groups of equal bitrate share a mask; ``cnt`` is scratch of
    the same length): the lanes are contiguous, so the counts vectorise. Only the words
    with their bit set in ``words`` are read (the others are known to be zero)."""
    n_l = bits.shape[2]
    one = np.uint64(1)
    for k in range(n_l):
        out[k] = 0.0
    if words == 0:
        return
    for c in range(cls_rate.shape[0]):
        for k in range(n_l):
            cnt[k] = 0
        for w in range(bits.shape[1]):
            if (words >> np.uint64(w)) & one:
                m = cls_mask[c, w]
                for k in range(n_l):
                    cnt[k] += popcount(bits[r, w, k] & m)
        rate = cls_rate[c]
        for k in range(n_l):
            out[k] += cnt[k] * rate


@njit(cache=True)
def _advance_olt(o, t0, dt, k_last, t_end, olt_box, olt_port, st, nt, wk, ch, rate, tu, vert,
                 port, flags, rs, port_olt, gbit, vp, sc, cumh, hrate, ptab,
                 sbit, nbit, acc, oac, abit, aw, ebit_o, vcnt, stat, vis, pend_n, pend_list,
                 pend_t, pend_wk, pend_r, pend_m, pend_ok, cap_streams, cap_mbps, heap_t, heap_r,
                 heap_base, heap_n, busy_mbps, u_miss, req, blk, miss, tid):
    n_k = k_last + 1
    qt0 = np.empty(0)
    qi0 = np.empty(0, dtype=np.int64)
    qm0 = np.empty(0, dtype=np.uint8)
    ox = ix(o)
    for k in range(n_k):
        for c in range(N_ACC):
            oac[ox, k, c] = 0.0
    ebit_o[o] = 0
    sbit[olt_port[o]:olt_port[o + 1]] = 0
    nbit[olt_port[o]:olt_port[o + 1]] = 0
    base = olt_box[o]
    nv = 0
    tx = ix(tid)
    for i in range(olt_box[o], olt_box[o + 1]):  # no branch: a visit is a coin toss
        b = ix(i)
        visit = nt[b] < t_end
        vis[ix(base + nv)] = i
        nv += visit
        # a box with no event this epoch that watches live TV watches one channel throughout
        # (a branch: few boxes do, and the others need not load their channel and port)
        if (st[b] == LIVE) & (not visit):
            g = ch[b]
            sbit[ix(port[b]), ix(g >> 6)] |= np.uint64(1) << np.uint64(g & 63)
            stat[tx, ix(g)] += 1
    npend = advance_boxes(vis, qt0, base, base + nv, t0, dt, k_last, t_end, st, nt, wk, ch, rate,
                          tu, vert, port, flags, rs, port_olt, gbit, vp, sc, cumh, hrate,
                          ptab, acc, oac, abit, aw, ebit_o, nbit, vcnt, tid, pend_list, base,
                          pend_t, pend_wk, pend_r, pend_m, pend_ok, qt0, qt0, qm0, qi0, -1, qt0,
                          qi0, cap_streams, cap_mbps, heap_t, heap_r, heap_base, heap_n, busy_mbps,
                          u_miss, req, blk, miss)
    pend_n[o] = npend


@njit(cache=True)
def _server_vod(s, t0, dt, k_last, t_end, srv_olt_ptr, srv_olts, olt_box, pend_n, pend_list,
                pend_t, pend_wk, pend_r, pend_m, pend_ok, st, nt, wk, ch, rate, tu, vert, port,
                flags, rs, port_olt, gbit, vp, sc, cumh, hrate, ptab, acc, oac,
                abit, aw, ebit_o, nbit, vcnt, cap_streams, cap_mbps, heap_t, heap_r, heap_base,
                heap_n, busy_mbps, u_miss, req, blk, miss, tid):
    """Admit server ``s``'s waiting boxes in request-time order and advance them."""
    n = 0
    for j in range(srv_olt_ptr[s], srv_olt_ptr[s + 1]):
        n += pend_n[srv_olts[j]]
    if n == 0:
        return
    slots = np.empty(n, dtype=np.int64)
    ts = np.empty(n)
    m = 0
    for j in range(srv_olt_ptr[s], srv_olt_ptr[s + 1]):  # OLTs in order: box ids increase
        o = srv_olts[j]
        for q in range(olt_box[o], olt_box[o] + pend_n[o]):
            slots[m] = q
            ts[m] = pend_t[q]
            m += 1
    order = time_order(ts, t0, t_end)  # equal times stay in box order
    ids = np.empty(n, dtype=np.int64)
    lt = np.empty(n)
    lw = np.empty(n)
    lr = np.empty(n)
    lm = np.empty(n, dtype=np.uint8)
    ls = np.empty(n, dtype=np.int64)
    for j in range(n):  # the requests in order, side by side
        q = slots[order[j]]
        ids[j] = pend_list[q]
        lt[j] = pend_t[q]
        lw[j] = pend_wk[q]
        lr[j] = pend_r[q]
        lm[j] = pend_m[q]
        ls[j] = q
    qt = np.empty(n)  # boxes that ask again within the epoch
    qi = np.empty(n, dtype=np.int64)
    advance_boxes(ids, lt, 0, n, t0, dt, k_last, t_end, st, nt, wk, ch, rate, tu, vert, port,
                  flags, rs, port_olt, gbit, vp, sc, cumh, hrate, ptab, acc, oac,
                  abit, aw, ebit_o, nbit, vcnt, tid, qi, 0, qt, qt, qt, lm, pend_ok, lw, lr, lm, ls, s,
                  qt, qi, cap_streams, cap_mbps, heap_t, heap_r, heap_base, heap_n, busy_mbps,
                  u_miss, req, blk, miss)


@njit(cache=True, error_model="numpy")
def _finish_olt(o, t0, dt, k_last, kc, olt_box, olt_port, st, nt, port, port_olt, sbit, nbit,
                acc, oac, abit, aw, ebit_o, abit_o, pend_n, pend_list, pend_t, pend_wk, pend_r,
                pend_ok, nst, orate, prate, cls_mask, cls_rate, fw_mbit, wifi_mbps, port_boxes,
                cap_pon, threshold, util_bin, hist, peak, up_peak, over_s, olt_uni, olt_cdn,
                olt_down, pmax, psum, tid):
    n_k = k_last + 1
    ox = ix(o)
    settle_admitted(olt_box[ox], pend_n[ox], pend_list, pend_t, pend_wk, pend_r, pend_ok, t0, dt,
                    k_last, st, nt, port, port_olt, acc, oac)
    n_w = sbit.shape[1]
    p0, p1 = olt_port[ox], olt_port[o + 1]
    fw_o = 0.0
    for p in range(p0, p1):  # boxes that watched one channel all epoch
        px = ix(p)
        fw_o += fw_mbit[px]
        for c in range(n_w):
            b = sbit[px, c]
            nbit[px, c] |= b
            if b:
                aw[px] |= np.uint64(1) << np.uint64(c)
                for k in range(n_k):
                    abit[px, c, k] |= b
                    ebit_o[ox, c, k] |= b
    inv_dt = 1.0 / dt  # multiplications, not a chain of divisions, per port-window
    for k in range(n_k):  # whole-window values of the OLT from the counts at the window start
        for s in range(N_ST):
            oac[ox, k, O_OCC + s] += nst[ox, s] * dt
            nst[ox, s] += int(oac[ox, k, D_CNT + s])
        for r in range(4):
            oac[ox, k, O_VOD + r] += orate[ox, r] * dt
            orate[ox, r] += oac[ox, k, D_RATE + r]
        olt_cdn[ox, k] = (oac[ox, k, O_VOD] + oac[ox, k, O_AD] + oac[ox, k, O_FCC] + fw_o) * inv_dt
        olt_uni[ox, k] = 0.0
        pmax[ox, k] = 0.0
        psum[ox, k] = 0.0
    n_l = abit.shape[2]
    abit_o[ox] = 0
    words_o = np.uint64(0)
    one = np.uint64(1)
    cnt = np.empty(n_l, dtype=np.int64)
    mcv = np.empty(n_l)
    n_bins = hist.shape[1]
    inv_cap = 1.0 / cap_pon
    inv_bin = 1.0 / util_bin
    for p in range(p0, p1):
        px = ix(p)
        if p + 1 < p1:  # the next port's histogram row: its bins are cold
            for b in range(0, n_bins, 32):
                prefetch2(hist, p + 1, b)
        nb = port_boxes[px] if port_boxes[px] > 0 else 1
        wifi_k = wifi_mbps[px] / (nb * dt)
        dn_r = prate[px, 0]
        up_r = prate[px, 1]
        use_n = prate[px, 2]
        fw_p = fw_mbit[px]
        words = aw[px]  # the words of the port's group bits set in the epoch
        aw[px] = 0
        words_o |= words
        _load_lanes(abit, px, words, cls_mask, cls_rate, cnt, mcv)  # multicast, every window
        for c in range(n_w):  # then the port's group bits are cleared for the next epoch,
            if (words >> np.uint64(c)) & one:  # while they are in cache (no pass of their own)
                for k in range(n_l):
                    abit_o[ox, c, k] |= abit[px, c, k]
                    abit[px, c, k] = 0
        for k in range(n_k):  # whole-window values of the port from the window start
            dn = acc[px, k, P_DN] + dn_r * dt
            dn_r += acc[px, k, P_D_DN]
            upm = acc[px, k, P_UP] + up_r * dt
            up_r += acc[px, k, P_D_UP]
            use = acc[px, k, P_USE] + use_n * dt
            use_n += acc[px, k, P_D_USE]
            for c in range(P_MCAST):  # the sums are read: cleared for the next epoch
                acc[px, k, c] = 0.0
            mc = mcv[k]
            uni = (dn + fw_p) * inv_dt + wifi_k * use
            down = mc + uni
            acc[px, k, P_MCAST] = mc
            acc[px, k, P_DOWN] = down
            util = down * inv_cap
            if k >= kc:
                b = int(util * inv_bin)
                if b >= n_bins:
                    b = n_bins - 1
                hist[px, ix(b)] += 1
                if down > peak[px]:
                    peak[px] = down
                up = upm * inv_dt
                if up > up_peak[px]:
                    up_peak[px] = up
                if down > threshold * cap_pon:
                    over_s[px] += dt
            if util > pmax[ox, k]:
                pmax[ox, k] = util
            psum[ox, k] += util
            olt_uni[ox, k] += uni
        prate[px, 0] = dn_r
        prate[px, 1] = up_r
        prate[px, 2] = use_n
    _load_lanes(abit_o, ox, words_o, cls_mask, cls_rate, cnt, mcv)
    for k in range(n_k):
        olt_down[ox, k] = mcv[k] + olt_uni[ox, k]


@njit(cache=True)
def _by_metro(olt_metro, n_m):
    """Each metro's OLTs in increasing order: ``olts[ptr[m]:ptr[m + 1]]``."""
    olts = np.argsort(olt_metro, kind="mergesort")
    ptr = np.zeros(n_m + 1, dtype=np.int64)
    for o in range(olt_metro.shape[0]):
        ptr[olt_metro[o] + 1] += 1
    for m in range(n_m):
        ptr[m + 1] += ptr[m]
    return olts, ptr


@njit(cache=True)
def _metro(m, olts, ptr, k_last, abit_o, ebit_o, oacc, olt_uni, olt_cdn, cls_mask, cls_rate,
           m_acc, m_union, m_now, m_uni, m_cdn):
    """Metro ``m``: multicast union and now, summed OLT outputs, unicast and CDN egress."""
    n_k = k_last + 1
    n_w = abit_o.shape[1]
    n_l = abit_o.shape[2]
    mu = np.zeros((1, n_w, n_l), dtype=np.uint64)  # the metro's groups, windows as lanes
    mn = np.zeros((1, n_w, n_l), dtype=np.uint64)
    for j in range(ptr[m], ptr[m + 1]):
        o = ix(olts[j])
        for c in range(n_w):
            for k in range(n_l):
                mu[0, c, k] |= abit_o[o, c, k]
                mn[0, c, k] |= ebit_o[o, c, k]
    cnt = np.empty(n_l, dtype=np.int64)
    load = np.empty(n_l)
    every = np.uint64(0xFFFFFFFFFFFFFFFF)
    _load_lanes(mu, 0, every, cls_mask, cls_rate, cnt, load)
    for k in range(n_k):
        m_union[k, m] = load[k]
    _load_lanes(mn, 0, every, cls_mask, cls_rate, cnt, load)
    for k in range(n_k):
        m_now[k, m] = load[k]
    for k in range(n_k):
        for c in range(N_OUT):
            m_acc[k, m, c] = 0.0
        m_uni[k, m] = 0.0
        m_cdn[k, m] = 0.0
        for j in range(ptr[m], ptr[m + 1]):  # OLTs in order: the same sums on any thread
            o = ix(olts[j])
            for c in range(N_OUT):
                m_acc[k, m, c] += oacc[o, k, c]
            m_uni[k, m] += olt_uni[o, k]
            m_cdn[k, m] += olt_cdn[o, k]


@njit(cache=True)
def _viewers(k_last, vcnt, stat, viewers):
    """Viewers per group at each window end: the boxes without events plus the counts."""
    n_g = stat.shape[1]
    n_t = vcnt.shape[0]
    for g in range(n_g):
        static = 0
        for t in range(n_t):
            static += stat[t, g]
        for k in range(k_last + 1):
            c = static
            for t in range(n_t):
                c += vcnt[t, g, k]
            viewers[k, g] = c


@njit(cache=True)
def _deal_servers(srv_olt_ptr, srv_olts, pend_n, n_w):
    """Servers dealt to ``n_w`` threads by waiting boxes, largest first, each to the thread
    with the fewest so far: thread ``w`` runs ``out[w]``, ``out[w + n_w]``, ... (-1: none).
    Returns ``out`` and ``n_w``."""
    n_srv = srv_olt_ptr.shape[0] - 1
    waiting = np.zeros(n_srv, dtype=np.int64)
    for s in range(n_srv):
        for j in range(srv_olt_ptr[s], srv_olt_ptr[s + 1]):
            waiting[s] -= pend_n[srv_olts[j]]
    by_size = np.argsort(waiting, kind="mergesort")
    load = np.zeros(n_w, dtype=np.int64)
    used = np.zeros(n_w, dtype=np.int64)  # servers given to each thread so far
    out = np.full(n_srv * n_w, -1, dtype=np.int64)
    for s in by_size:
        w = np.argmin(load)
        load[w] += 1 - waiting[s]
        out[used[w] * n_w + w] = s
        used[w] += 1
    return out, n_w


@njit(cache=True, parallel=True)
def run_epoch(n_threads, t0, dt, n_k, kc, st, nt, wk, ch, rate, tu, vert, port, flags, rs, olt_box,
              olt_port, port_olt, olt_metro, port_boxes, srv_olt_ptr, srv_olts, gbit, vp,
              sc, cumh, hrate, ptab, cls_mask, cls_rate, sbit, nbit, nst, orate, prate, acc,
              oac, abit, aw, ebit_o, abit_o, vcnt, stat, vis, pend_n, pend_list, pend_t, pend_wk,
              pend_r, pend_m, pend_ok, cap_streams, cap_mbps, heap_t, heap_r, heap_base, heap_n,
              busy_mbps, u_miss, req, blk, miss, fw_mbit, wifi_mbps, cap_pon, threshold, util_bin,
              hist, peak, up_peak, over_s, olt_uni, olt_cdn, olt_down, pmax, psum, m_acc,
              m_union, m_now, m_uni, m_cdn, viewers):
    """Advance every box over ``n_k`` windows of ``dt`` from ``t0`` on ``n_threads`` threads
    (the numba thread count), with VoD admission, and fill the per-window outputs (``acc``
    per port, ``oac`` and ``olt_*`` per OLT, ``m_*`` per metro, ``req``/``blk``/``miss`` per
    server, ``viewers`` per group). Windows ``k >= kc`` count in the port histogram, peaks and
    overload seconds.

    Returns the device events processed.
    """
    k_last = n_k - 1
    t_end = t0 + n_k * dt
    n_srv = srv_olt_ptr.shape[0] - 1
    vcnt[:] = 0
    stat[:] = 0
    for s in range(n_srv):
        for k in range(n_k):
            req[s, k] = 0
            blk[s, k] = 0
            miss[s, k] = 0
    # Work is dealt to the threads here, one prange iteration per thread: the threading
    # layer may split a parallel loop into contiguous blocks (OpenMP's static schedule), and
    # the OLTs of one block can hold far more evening viewers than the other's. OLT chunks
    # go round-robin; servers, which differ a lot in waiting boxes, largest first to the
    # least loaded thread. Which thread runs what changes no result.
    n_olt = olt_box.shape[0] - 1
    n_chunks = (n_olt + OLT_CHUNK - 1) // OLT_CHUNK
    n_w = max(1, min(n_threads, n_chunks))
    for w in prange(n_w):
        tid = numba.get_thread_id()
        for c in range(w, n_chunks, n_w):
            for o in range(c * OLT_CHUNK, min(n_olt, (c + 1) * OLT_CHUNK)):
                _advance_olt(o, t0, dt, k_last, t_end, olt_box, olt_port, st, nt, wk, ch, rate,
                             tu, vert, port, flags, rs, port_olt, gbit, vp, sc, cumh,
                             hrate, ptab, sbit, nbit, acc, oac, abit, aw, ebit_o, vcnt, stat, vis,
                             pend_n, pend_list, pend_t, pend_wk, pend_r, pend_m, pend_ok,
                             cap_streams, cap_mbps, heap_t, heap_r, heap_base, heap_n, busy_mbps,
                             u_miss, req, blk, miss, tid)
    # The thread count comes back from the dealing: a loop range the compiler cannot prove
    # equal to the others', so it does not fuse this loop with them (a server's admission
    # must wait for the advance of all its OLTs).
    owner, n_lists = _deal_servers(srv_olt_ptr, srv_olts, pend_n, n_w)
    for w in prange(n_lists):
        tid = numba.get_thread_id()
        for j in range(w, owner.shape[0], n_lists):
            s = owner[j]
            if s >= 0:
                _server_vod(s, t0, dt, k_last, t_end, srv_olt_ptr, srv_olts, olt_box, pend_n,
                            pend_list, pend_t, pend_wk, pend_r, pend_m, pend_ok, st, nt, wk, ch,
                            rate, tu, vert, port, flags, rs, port_olt, gbit, vp, sc,
                            cumh, hrate, ptab, acc, oac, abit, aw, ebit_o, nbit, vcnt, cap_streams,
                            cap_mbps, heap_t, heap_r, heap_base, heap_n, busy_mbps, u_miss, req,
                            blk, miss, tid)
    for w in prange(n_w):
        tid = numba.get_thread_id()
        for c in range(w, n_chunks, n_w):
            for o in range(c * OLT_CHUNK, min(n_olt, (c + 1) * OLT_CHUNK)):
                _finish_olt(o, t0, dt, k_last, kc, olt_box, olt_port, st, nt, port, port_olt,
                            sbit, nbit, acc, oac, abit, aw, ebit_o, abit_o, pend_n, pend_list,
                            pend_t, pend_wk, pend_r, pend_ok, nst, orate, prate, cls_mask,
                            cls_rate, fw_mbit, wifi_mbps, port_boxes, cap_pon, threshold,
                            util_bin, hist, peak, up_peak, over_s, olt_uni, olt_cdn, olt_down,
                            pmax, psum, tid)
    # Metros, dealt by OLT count as the servers are.
    m_olts, m_ptr = _by_metro(olt_metro, m_union.shape[1])
    owner_m, n_ml = _deal_servers(m_ptr, m_olts, np.ones(n_olt, dtype=np.int64), n_w)
    for w in prange(n_ml):
        for j in range(w, owner_m.shape[0], n_ml):
            m = owner_m[j]
            if m >= 0:
                _metro(m, m_olts, m_ptr, k_last, abit_o, ebit_o, oac, olt_uni, olt_cdn,
                       cls_mask, cls_rate, m_acc, m_union, m_now, m_uni, m_cdn)
    _viewers(k_last, vcnt, stat, viewers)
    events = 0.0
    for k in range(n_k):
        for m in range(m_acc.shape[1]):
            events += m_acc[k, m, O_EVENTS]
    return events

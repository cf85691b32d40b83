"""VoD admission: each server is a loss system of streams and egress, requests in time order.

A box that asks for a title stops at the request (:mod:`sim.kernels.boxes`); its request
waits in its OLT's slots (:class:`sim.kernels.bundles.Requests`). One server at a time
(:func:`admit_server`) takes its waiting requests by (request time, box id), and the earliest
of them or of the boxes that asked again in the epoch is admitted, when the server holds
fewer than its streams and the stream fits its egress, or blocked (the box falls back to live
TV); then the box is advanced to its next request or the epoch end. Requests are thus
admitted in exact time order whatever the epoch length; servers share no box, port or OLT, so
the result does not depend on the number of threads. A box admitted for a stream that
outlasts the epoch is not touched in request-time order (each would be a cache miss): its
slot is marked and :func:`settle_admitted` moves it to VoD later, in memory order.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernels.boxes import prefetch_box, prefetch_rows, run_box, shift, tune_live, win_of
from sim.kernels.heap import key_pop, key_push, stream_pop, stream_push
from sim.kernels.index import ix
from sim.kernels.layout import CALL_UP_MBPS, FCC_MBIT_PER_MBPS, LIVE, PENDING, PF_BOX, VOD
from sim.kernels.prefetch import prefetch, prefetch3


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


@njit(cache=True)
def _gather(s, sp, topo, rq):
    """Server ``s``'s waiting requests in request-time order (equal times in box order):
    (slot, box, time, holding time, bitrate, out of cache) side by side."""
    n = 0
    for j in range(topo.srv_olt_ptr[s], topo.srv_olt_ptr[s + 1]):
        n += rq.n[topo.srv_olts[j]]
    slots = np.empty(n, dtype=np.int64)
    ts = np.empty(n)
    m = 0
    for j in range(topo.srv_olt_ptr[s], topo.srv_olt_ptr[s + 1]):  # OLTs in order: box ids
        o = topo.srv_olts[j]  # increase
        for q in range(topo.olt_box[o], topo.olt_box[o] + rq.n[o]):
            slots[m] = q
            ts[m] = rq.t[q]
            m += 1
    order = time_order(ts, sp.t0, sp.t_end)
    ids = np.empty(n, dtype=np.int64)
    lt = np.empty(n)
    lw = np.empty(n)
    lr = np.empty(n)
    lm = np.empty(n, dtype=np.uint8)
    ls = np.empty(n, dtype=np.int64)
    for j in range(n):
        q = slots[order[j]]
        ids[j] = rq.box[q]
        lt[j] = rq.t[q]
        lw[j] = rq.hold[q]
        lr[j] = rq.rate[q]
        lm[j] = rq.miss[q]
        ls[j] = q
    return ids, lt, lw, lr, lm, ls


@njit(cache=True, inline="always")
def _prefetch_request(j, ids, lt, lw, port, port_olt, sp, scr):
    """Ahead of use, for a request that will touch its box unless blocked: the port rows of
    its request and stream end (``PF_BOX // 2`` requests ahead: the port is in cache by
    then, fetched with the box state ``PF_BOX`` requests ahead)."""
    n = ids.shape[0]
    jb = j + PF_BOX // 2
    if jb < n and lt[jb] + lw[jb] < sp.t_end:
        pb = port[ids[jb]]
        ob = port_olt[pb]
        ka = win_of(lt[jb], sp.t0, sp.inv_dt, sp.k_last)
        kb = win_of(lt[jb] + lw[jb], sp.t0, sp.inv_dt, sp.k_last)
        prefetch_rows(scr.acc, scr.oac, pb, ob, ka)
        if kb != ka:
            prefetch_rows(scr.acc, scr.oac, pb, ob, kb)


@njit(cache=True, error_model="numpy")
def admit_server(s, sp, topo, bx, beh, scr, rq, vod, tid):
    """Admit or block server ``s``'s waiting requests in request-time order (a loss system
    of ``vod.streams[s]`` streams and ``vod.mbps[s]`` egress) and advance the boxes; count
    requests, blocked requests and admitted titles outside the edge cache per window."""
    n = 0
    for j in range(topo.srv_olt_ptr[s], topo.srv_olt_ptr[s + 1]):
        n += rq.n[topo.srv_olts[j]]
    if n == 0:
        return
    ids, lt, lw, lr, lm, ls = _gather(s, sp, topo, rq)
    qt = np.empty(n)  # boxes that ask again within the epoch, by (time, box)
    qi = np.empty(n, dtype=np.int64)
    qv = np.empty(n, dtype=np.int64)
    port_olt = topo.port_olt
    t0, dt, inv_dt, k_last, t_end = sp.t0, sp.dt, sp.inv_dt, sp.k_last, sp.t_end
    fcc_k = beh.sc[FCC_MBIT_PER_MBPS]
    # A server's counters live in locals while it runs: servers next to each other share
    # cache lines in the per-server arrays, and two threads writing one line stall each other.
    hn = vod.heap_n[s]
    busy = vod.busy_mbps[s]
    cap_n = vod.streams[s]
    cap_b = vod.mbps[s] + 1e-9
    sb = vod.heap_base[s]
    n_req = np.zeros(k_last + 1, dtype=np.int64)
    n_blk = np.zeros_like(n_req)
    n_miss = np.zeros_like(n_req)
    j = 0
    m = 0
    while True:  # the earlier of the next listed request and the next repeated one
        listed = j < n and (m == 0 or lt[j] < qt[0] or (lt[j] == qt[0] and ids[j] < qi[0]))
        if not listed and m == 0:
            break
        slot = -1
        if listed:
            jx = ix(j)
            i = ix(ids[jx])
            slot = ls[jx]
            t = lt[jx]
            hold = lw[jx]
            r_req = lr[jx]
            out_of_cache = lm[jx] != 0
            j += 1
            if j + PF_BOX < n and lt[j + PF_BOX] + lw[j + PF_BOX] < t_end:
                prefetch_box(bx, ids[j + PF_BOX])
            _prefetch_request(j, ids, lt, lw, bx.port, port_olt, sp, scr)
        else:
            i = ix(qi[0])
            m = key_pop(qt, qi, qv, m)
            t = bx.nt[i]
            hold = bx.wk[i]
            r_req = bx.rate[i]
            out_of_cache = bx.tu[i] >= vod.u_miss
        k = win_of(t, t0, inv_dt, k_last)
        while hn > 0 and vod.heap_t[ix(sb)] <= t:  # streams that ended by now
            busy -= vod.heap_r[ix(sb)]
            stream_pop(vod.heap_t, vod.heap_r, sb, hn)
            hn -= 1
        n_req[ix(k)] += 1
        admit = hn < cap_n and busy + r_req <= cap_b
        if admit:
            stream_push(vod.heap_t, vod.heap_r, sb, hn, t + hold, r_req)
            hn += 1
            busy += r_req
            if out_of_cache:
                n_miss[ix(k)] += 1
            if slot >= 0 and t + hold >= t_end:  # streams past the epoch: settled later
                rq.admitted[ix(slot)] = 1
                continue
        p = ix(bx.port[i])
        o = ix(port_olt[p])
        v = ix(bx.vert[i])
        rem = t0 + (k + 1) * dt - t
        shift(scr.acc, scr.oac, p, o, k, PENDING, 0.0, 0.0, -1.0, rem)
        if admit:
            bx.st[i] = VOD
            bx.nt[i] = t + hold
        else:  # blocked: back to live TV
            n_blk[ix(k)] += 1
            z, g, t_nx = tune_live(bx.rs[i], t, v, bx.flags[i], p, o, k, beh.ptab, beh.gbit,
                                   beh.vp, fcc_k, scr.acc, scr.oac)
            bx.rs[i] = z
            bx.ch[i] = g
            bx.st[i] = LIVE
            bx.nt[i] = t_nx
        shift(scr.acc, scr.oac, p, o, k, bx.st[i], bx.rate[i], beh.vp[v, CALL_UP_MBPS], 1.0,
              rem)
        pending, t_nx, _, _, _ = run_box(i, t, port_olt, sp, bx, beh, scr, tid)
        if pending:
            m = key_push(qt, qi, qv, m, t_nx, i, i)
    vod.heap_n[s] = hn
    vod.busy_mbps[s] = busy
    for k in range(k_last + 1):
        vod.req[s, k] += n_req[k]
        vod.blk[s, k] += n_blk[k]
        vod.miss[s, k] += n_miss[k]


@njit(cache=True, inline="always")
def settle_admitted(o, sp, topo, bx, scr, rq):
    """Move OLT ``o``'s requests marked admitted (streams that outlast the epoch) from their
    request to VoD, in memory order; clears the marks."""
    lo = topo.olt_box[o]
    n = rq.n[o]
    port, port_olt = bx.port, topo.port_olt
    for q in range(lo, lo + n):
        if q + 2 * PF_BOX < lo + n:  # slots ahead: the box, then (in cache by then) its port row
            b = rq.box[q + 2 * PF_BOX]
            prefetch(port, b)
            prefetch(bx.st, b)
            prefetch(bx.nt, b)
        if q + PF_BOX < lo + n and rq.admitted[q + PF_BOX]:
            prefetch3(scr.acc, port[rq.box[q + PF_BOX]],
                      win_of(rq.t[q + PF_BOX], sp.t0, sp.inv_dt, sp.k_last), 0)
        qx = ix(q)
        if rq.admitted[qx]:
            rq.admitted[qx] = 0
            i = ix(rq.box[qx])
            t = rq.t[qx]
            k = win_of(t, sp.t0, sp.inv_dt, sp.k_last)
            rem = sp.t0 + (k + 1) * sp.dt - t
            p = ix(port[i])
            o2 = ix(port_olt[p])
            shift(scr.acc, scr.oac, p, o2, k, PENDING, 0.0, 0.0, -1.0, rem)
            shift(scr.acc, scr.oac, p, o2, k, VOD, rq.rate[qx], 0.0, 1.0, rem)
            bx.st[i] = VOD
            bx.nt[i] = t + rq.hold[qx]

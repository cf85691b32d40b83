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

from sim.kernels.box_step import run_box, shift, tune_live, win_of
from sim.kernels.boxes import prefetch_box, prefetch_rows
from sim.kernels.heap import key_pop, key_push, stream_pop, stream_push
from sim.kernels.index import ix
from sim.kernels.jit import njit_borrowed
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
    ptr, olts, olt_box, n_req, r_t = topo.srv_olt_ptr, topo.srv_olts, topo.olt_box, rq.n, rq.t
    n = 0
    for j in range(ptr[s], ptr[s + 1]):
        n += n_req[olts[j]]
    slots = np.empty(n, dtype=np.int64)
    ts = np.empty(n)
    m = 0
    for j in range(ptr[s], ptr[s + 1]):  # OLTs in order: box ids increase
        o = olts[j]
        for q in range(olt_box[o], olt_box[o] + n_req[o]):
            slots[m] = q
            ts[m] = r_t[q]
            m += 1
    order = time_order(ts, sp.t0, sp.t_end)
    ids = np.empty(n, dtype=np.int64)
    lt = np.empty(n)
    lw = np.empty(n)
    lr = np.empty(n)
    lm = np.empty(n, dtype=np.uint8)
    ls = np.empty(n, dtype=np.int64)
    r_box, r_hold, r_rate, r_miss = rq.box, rq.hold, rq.rate, rq.miss
    for j in range(n):
        q = slots[order[j]]
        ids[j] = r_box[q]
        lt[j] = r_t[q]
        lw[j] = r_hold[q]
        lr[j] = r_rate[q]
        lm[j] = r_miss[q]
        ls[j] = q
    return ids, lt, lw, lr, lm, ls


@njit(cache=True, inline="always")
def _prefetch_request(j, ids, lt, lw, port, port_olt, sp, acc, oac):
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
        prefetch_rows(acc, oac, pb, ob, ka)
        if kb != ka:
            prefetch_rows(acc, oac, pb, ob, kb)


@njit(cache=True, error_model="numpy")
def admit_server(s, sp, topo, bx, beh, scr, rq, vod, tid):
    """Admit or block server ``s``'s waiting requests in request-time order (a loss system
    of ``vod.streams[s]`` streams and ``vod.mbps[s]`` egress) and advance the boxes; count
    requests, blocked requests and admitted titles outside the edge cache per window.

    Gathers the requests and allocates the server's scratch, then :func:`_admit` runs the
    requests without reference counting (:mod:`sim.kernels.jit`)."""
    n = 0
    for j in range(topo.srv_olt_ptr[s], topo.srv_olt_ptr[s + 1]):
        n += rq.n[topo.srv_olts[j]]
    if n == 0:
        return
    waiting = _gather(s, sp, topo, rq)
    # boxes that ask again within the epoch, by (time, box)
    again = (np.empty(n), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64))
    # requests, blocked requests, admitted out of cache, per window
    counts = np.zeros((3, sp.k_last + 1), dtype=np.int64)
    _admit(s, sp, topo, bx, beh, scr, rq, vod, tid, waiting, again, counts)


@njit_borrowed
def _admit(s, sp, topo, bx, beh, scr, rq, vod, tid, waiting, again, counts):
    """The requests of server ``s`` (``waiting``: see :func:`_gather`) and those of the boxes
    that ask again (the keyed heap ``again``), the earliest first: admitted or blocked,
    counted per window in ``counts`` (requests, blocked, admitted out of cache), each box
    then advanced to its next request or the epoch end (:func:`run_box`)."""
    ids, lt, lw, lr, lm, ls = waiting
    qt, qi, qv = again
    n = ids.shape[0]
    port_olt = topo.port_olt
    st, nt, wk, ch, rate, tu, vert, port, flags, rs = bx
    vp, sc, ptab, gbit, cumh, hrate = beh.vp, beh.sc, beh.ptab, beh.gbit, beh.cumh, beh.hrate
    acc, oac, abit, aw, ebit_o, vcnt, nbit = (scr.acc, scr.oac, scr.abit, scr.aw, scr.ebit_o,
                                              scr.vcnt, scr.nbit)
    heap_t, heap_r, admitted, u_miss = vod.heap_t, vod.heap_r, rq.admitted, vod.u_miss
    t0, dt, inv_dt, k_last, t_end = sp.t0, sp.dt, sp.inv_dt, sp.k_last, sp.t_end
    fcc_k = sc[FCC_MBIT_PER_MBPS]
    # A server's counters live in locals while it runs: servers next to each other share
    # cache lines in the per-server arrays, and two threads writing one line stall each other.
    hn = vod.heap_n[s]
    busy = vod.busy_mbps[s]
    cap_n = vod.streams[s]
    cap_b = vod.mbps[s] + 1e-9
    sb = vod.heap_base[s]
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
                prefetch_box(ids[j + PF_BOX], st, nt, wk, rate, rs, ch, port, vert, flags)
            _prefetch_request(j, ids, lt, lw, port, port_olt, sp, acc, oac)
        else:
            i = ix(qi[0])
            m = key_pop(qt, qi, qv, m)
            t = nt[i]
            hold = wk[i]
            r_req = rate[i]
            out_of_cache = tu[i] >= u_miss
        k = win_of(t, t0, inv_dt, k_last)
        while hn > 0 and heap_t[ix(sb)] <= t:  # streams that ended by now
            busy -= heap_r[ix(sb)]
            stream_pop(heap_t, heap_r, sb, hn)
            hn -= 1
        counts[0, ix(k)] += 1
        admit = hn < cap_n and busy + r_req <= cap_b
        if admit:
            stream_push(heap_t, heap_r, sb, hn, t + hold, r_req)
            hn += 1
            busy += r_req
            if out_of_cache:
                counts[2, ix(k)] += 1
            if slot >= 0 and t + hold >= t_end:  # streams past the epoch: settled later
                admitted[ix(slot)] = 1
                continue
        p = ix(port[i])
        o = ix(port_olt[p])
        v = ix(vert[i])
        rem = t0 + (k + 1) * dt - t
        shift(acc, oac, p, o, k, PENDING, 0.0, 0.0, -1.0, rem)
        if admit:
            st[i] = VOD
            nt[i] = t + hold
        else:  # blocked: back to live TV
            counts[1, ix(k)] += 1
            z, g, t_nx = tune_live(rs[i], t, v, flags[i], p, o, k, ptab, gbit, vp, fcc_k,
                                   acc, oac)
            rs[i] = z
            ch[i] = g
            st[i] = LIVE
            nt[i] = t_nx
        shift(acc, oac, p, o, k, st[i], rate[i], vp[v, CALL_UP_MBPS], 1.0, rem)
        pending, t_nx, _, _, _ = run_box(
            i, t, sp, tid, st, nt, wk, ch, rate, tu, vert, port, flags, rs, port_olt, vp, sc,
            ptab, gbit, cumh, hrate, acc, oac, abit, aw, ebit_o, vcnt, nbit)
        if pending:
            m = key_push(qt, qi, qv, m, t_nx, i, i)
    _store(s, vod, hn, busy, counts)


@njit(cache=True, inline="always")
def _store(s, vod, hn, busy, counts):
    """Server ``s``'s counters, kept in locals while it ran, back into the bundle."""
    vod.heap_n[s] = hn
    vod.busy_mbps[s] = busy
    for k in range(counts.shape[1]):
        vod.req[s, k] += counts[0, k]
        vod.blk[s, k] += counts[1, k]
        vod.miss[s, k] += counts[2, k]


@njit(cache=True, inline="always")
def settle_admitted(lo, n, sp, port, port_olt, st, nt, r_box, r_t, r_hold, r_rate, admitted,
                    acc, oac):
    """Move the requests in slots ``lo .. lo + n - 1`` marked admitted (streams that outlast
    the epoch) from their request to VoD, in memory order; clears the marks."""
    for q in range(lo, lo + n):
        if q + 2 * PF_BOX < lo + n:  # slots ahead: the box, then (in cache by then) its port row
            b = r_box[q + 2 * PF_BOX]
            prefetch(port, b)
            prefetch(st, b)
            prefetch(nt, b)
        if q + PF_BOX < lo + n and admitted[q + PF_BOX]:
            prefetch3(acc, port[r_box[q + PF_BOX]],
                      win_of(r_t[q + PF_BOX], sp.t0, sp.inv_dt, sp.k_last), 0)
        qx = ix(q)
        if admitted[qx]:
            admitted[qx] = 0
            i = ix(r_box[qx])
            t = r_t[qx]
            k = win_of(t, sp.t0, sp.inv_dt, sp.k_last)
            rem = sp.t0 + (k + 1) * sp.dt - t
            p = ix(port[i])
            o = ix(port_olt[p])
            shift(acc, oac, p, o, k, PENDING, 0.0, 0.0, -1.0, rem)
            shift(acc, oac, p, o, k, VOD, r_rate[qx], 0.0, 1.0, rem)
            st[i] = VOD
            nt[i] = t + r_hold[qx]

"""The epoch driver: one epoch (one or more windows) of the box population in one call.

Each phase deals its work to the threads itself (one parallel iteration per thread), so the
balance does not depend on how the threading layer splits a parallel loop (OpenMP's static
schedule gives contiguous blocks, and the OLTs of one block can hold far more evening
viewers than another's). Which thread runs what changes no result.

- **Advance** (chunks of OLTs, round-robin over the threads, :func:`_advance_olt`): every
  box with an event before the epoch end is advanced (:mod:`sim.kernels.boxes`); the scan
  that finds them also collects the boxes without events that watch live TV: they watch one
  channel through the whole epoch (their groups per port in ``sbit``, their number per group
  in ``stat``).
- **VoD admission** (one server at a time, servers dealt largest first,
  :mod:`sim.kernels.admission`).
- **Finish** (chunks of OLTs, round-robin, :func:`sim.kernels.links.finish_olt`).
- **Metros** (one metro per task, dealt by OLT count like the servers,
  :func:`sim.kernels.links.metro`); then viewers per group at each window end.

The arrays come in the bundles of :mod:`sim.kernels.bundles`; this parallel function hands
them only to non-inlined per-OLT, per-server and per-metro functions (see there why).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from sim.kernels.admission import admit_server
from sim.kernels.boxes import advance_listed
from sim.kernels.index import ix
from sim.kernels.jit import njit_borrowed
from sim.kernels.layout import LIVE, N_ACC, O_EVENTS, OLT_CHUNK
from sim.kernels.links import finish_olt, metro, viewers


@njit_borrowed
def _advance_olt(o, sp, topo, bx, beh, scr, rq, u_miss, tid):
    """Scan OLT ``o``'s boxes: list those with an event in the epoch, count the live boxes
    without one, then advance the listed boxes to the epoch end or a VoD request."""
    ox = ix(o)
    oac, sbit, stat = scr.oac, scr.sbit, scr.stat
    for k in range(sp.k_last + 1):
        for c in range(N_ACC):
            oac[ox, k, c] = 0.0
    scr.ebit_o[o] = 0
    p0, p1 = topo.olt_port[o], topo.olt_port[o + 1]
    sbit[p0:p1] = 0
    scr.nbit[p0:p1] = 0
    base = topo.olt_box[o]
    nv = 0
    tx = ix(tid)
    nt, st, ch, port, vis, t_end = bx.nt, bx.st, bx.ch, bx.port, scr.vis, sp.t_end
    for i in range(topo.olt_box[o], topo.olt_box[o + 1]):  # no branch: a visit is a coin toss
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
    rq.n[o] = advance_listed(base, base + nv, topo.port_olt, sp, bx, beh, scr, rq, u_miss, tid)


@njit(cache=True)
def _deal(ptr, members, weight, n_w):
    """Tasks dealt to ``n_w`` threads by weight (the sum of ``weight`` over a task's
    ``members[ptr[s]:ptr[s + 1]]``), largest first, each to the thread with the least so far:
    thread ``w`` runs ``out[w]``, ``out[w + n_w]``, ... (-1: none). Returns ``out``, ``n_w``."""
    n_srv = ptr.shape[0] - 1
    waiting = np.zeros(n_srv, dtype=np.int64)
    for s in range(n_srv):
        for j in range(ptr[s], ptr[s + 1]):
            waiting[s] -= weight[members[j]]
    by_size = np.argsort(waiting, kind="mergesort")
    load = np.zeros(n_w, dtype=np.int64)
    used = np.zeros(n_w, dtype=np.int64)  # tasks given to each thread so far
    out = np.full(n_srv * n_w, -1, dtype=np.int64)
    for s in by_size:
        w = np.argmin(load)
        load[w] += 1 - waiting[s]
        out[used[w] * n_w + w] = s
        used[w] += 1
    return out, n_w


@njit(cache=True)
def _start(n_k, scr, vod):
    """Clear the per-epoch counts (viewer counts, VoD counts per window)."""
    scr.vcnt[:] = 0
    scr.stat[:] = 0
    for s in range(vod.req.shape[0]):
        for k in range(n_k):
            vod.req[s, k] = 0
            vod.blk[s, k] = 0
            vod.miss[s, k] = 0


@njit(cache=True)
def _events(n_k, out):
    events = 0.0
    for k in range(n_k):
        for m in range(out.m_acc.shape[1]):
            events += out.m_acc[k, m, O_EVENTS]
    return events


@njit(cache=True)
def _end(sp, scr, out):
    viewers(sp.k_last, scr, out)
    return _events(sp.k_last + 1, out)


@njit(cache=True, parallel=True)
def run_epoch(n_threads, sp, topo, bx, beh, carry, scr, rq, vod, load, out):
    """Advance every box over the epoch ``sp`` on ``n_threads`` threads (the numba thread
    count), with VoD admission, and fill the per-window outputs (``scr.acc`` per port,
    ``scr.oac`` and ``out.olt_*`` per OLT, ``out.m_*`` per metro, ``vod.req``/``blk``/``miss``
    per server, ``out.viewers`` per group) and the port statistics in ``load``.

    Returns the device events processed.
    """
    _start(sp.k_last + 1, scr, vod)
    n_olt = topo.olt_box.shape[0] - 1
    n_chunks = (n_olt + OLT_CHUNK - 1) // OLT_CHUNK
    n_w = max(1, min(n_threads, n_chunks))
    for w in prange(n_w):
        tid = numba.get_thread_id()
        for c in range(w, n_chunks, n_w):
            for o in range(c * OLT_CHUNK, min(n_olt, (c + 1) * OLT_CHUNK)):
                _advance_olt(o, sp, topo, bx, beh, scr, rq, vod.u_miss, tid)
    # The thread count comes back from the dealing: a loop range the compiler cannot prove
    # equal to the others', so it does not fuse this loop with them (a server's admission
    # must wait for the advance of all its OLTs).
    owner, n_lists = _deal(topo.srv_olt_ptr, topo.srv_olts, rq.n, n_w)
    for w in prange(n_lists):
        tid = numba.get_thread_id()
        for j in range(w, owner.shape[0], n_lists):
            s = owner[j]
            if s >= 0:
                admit_server(s, sp, topo, bx, beh, scr, rq, vod, tid)
    for w in prange(n_w):
        for c in range(w, n_chunks, n_w):
            for o in range(c * OLT_CHUNK, min(n_olt, (c + 1) * OLT_CHUNK)):
                finish_olt(o, sp, topo, bx, beh, carry, scr, rq, load, out)
    owner_m, n_ml = _deal(topo.metro_olt_ptr, topo.metro_olts, topo.olt_ones, n_w)
    for w in prange(n_ml):
        for j in range(w, owner_m.shape[0], n_ml):
            m = owner_m[j]
            if m >= 0:
                metro(m, sp, topo, beh, scr, out)
    return _end(sp, scr, out)

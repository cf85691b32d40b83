"""One population window in one compiled call: advance every box, then VoD admission.

The window first advances every OLT's boxes (:func:`sim.kernels.viewing.advance_olt`, many
small OLT tasks handed out dynamically so both cores stay busy), then runs VoD admission per
VoD server: the boxes of a server's OLTs that stopped at a request are admitted in time order
(a loss system, :func:`sim.kernels.network.admit_batch`), resumed, and admitted again while
any stops at a further request. Servers share no box, port, OLT or heap, so each is one
sequential task: the results are those of global admission rounds, for any thread count.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.kernels.network import admit_batch
from sim.kernels.viewing import advance_olt, resume_segment

#: OLTs per dynamically scheduled chunk of the advance phase.
OLT_CHUNK = 8


@njit(cache=True)
def _server_admission(s, srv_olt_ptr, srv_olts, olt_box, pend_n, pend_list, w, t1, st, nt,
                      wk, ch, rate, ttl, vert, port, flags, rs, port_olt, cnt_p, cnt_o, tch_p,
                      tch_o, mc_p, mc_o, un_p, un_o, gbit, hd_alt, vp, sc, cumh, hrate, ctab,
                      tcdf, tguide, out, nst, prate, box_srv, cap_streams, cap_mbps, heap_t, heap_r,
                      heap_base, heap_n, busy_mbps, cache_titles, req, blk, miss):
    """Admission rounds of server ``s`` until none of its boxes waits (returns rounds)."""
    n = 0
    for k in range(srv_olt_ptr[s], srv_olt_ptr[s + 1]):
        n += pend_n[srv_olts[k]]
    if n == 0:
        return 0
    cur = np.empty(n, dtype=np.int64)
    n = 0
    for k in range(srv_olt_ptr[s], srv_olt_ptr[s + 1]):  # OLTs in increasing order
        o = srv_olts[k]
        for j in range(pend_n[o]):
            cur[n] = pend_list[olt_box[o] + j]
            n += 1
    rounds = 0
    while n > 0:
        rounds += 1
        boxes = cur[:n]
        admitted = admit_batch(boxes, nt, wk, rate, ttl, box_srv, cap_streams, cap_mbps,
                               heap_t, heap_r, heap_base, heap_n, busy_mbps, cache_titles,
                               req, blk, miss)
        nxt = np.empty(n, dtype=np.int64)
        m = 0
        lo = 0
        while lo < n:  # one OLT's boxes at a time, as the resume kernel does
            o = port_olt[port[boxes[lo]]]
            hi = lo + 1
            while hi < n and port_olt[port[boxes[hi]]] == o:
                hi += 1
            m += resume_segment(boxes, admitted, lo, hi, w, t1, st, nt, wk, ch, rate, ttl,
                                vert, port, flags, rs, port_olt, cnt_p, cnt_o, tch_p, tch_o,
                                mc_p, mc_o, un_p, un_o, gbit, hd_alt, vp, sc, cumh, hrate, ctab,
                                tcdf, tguide, out, nst, prate, nxt, m)
            lo = hi
        cur = nxt
        n = m
    return rounds


@njit(cache=True, parallel=True)
def run_window(w, t0, t1, olt_box, st, nt, wk, ch, rate, ttl, vert, port, flags, rs, port_olt,
               cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit, hd_alt, vp, sc, cumh,
               hrate, ctab, tcdf, tguide, out, nst, prate, olt_port, pend_n, pend_list, buf,
               srv_olt_ptr, srv_olts, box_srv, cap_streams, cap_mbps, heap_t, heap_r, heap_base,
               heap_n, busy_mbps, cache_titles, req, blk, miss):
    """Advance every box over ``[t0, t1)`` with VoD admission; fills ``out``, ``un_p``,
    ``un_o`` (window union loads, Mbit/s) and ``req``/``blk``/``miss`` per server.

    ``srv_olts[srv_olt_ptr[s]:srv_olt_ptr[s + 1]]`` are server ``s``'s OLTs in increasing
    order. Returns the largest number of admission rounds any server needed. Call it under
    ``numba.parallel_chunksize(1)`` so that chunks of OLTs and servers are handed out one at
    a time (their work differs a lot from one to the next).
    """
    n_olt = olt_box.shape[0] - 1
    n_srv = srv_olt_ptr.shape[0] - 1
    span = t1 - t0
    n_chunks = (n_olt + OLT_CHUNK - 1) // OLT_CHUNK
    for c in prange(n_chunks):
        for o in range(c * OLT_CHUNK, min(n_olt, (c + 1) * OLT_CHUNK)):
            un_o[o] = mc_o[o]
            for p in range(olt_port[o], olt_port[o + 1]):
                un_p[p] = mc_p[p]
            advance_olt(o, w, span, t1, olt_box, st, nt, wk, ch, rate, ttl, vert, port, flags,
                        rs, port_olt, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p, un_o, gbit,
                        hd_alt, vp, sc, cumh, hrate, ctab, tcdf, tguide, out, nst, prate, olt_port,
                        pend_n, pend_list, buf)
    rounds = np.zeros(n_srv, dtype=np.int64)
    for s in prange(n_srv):
        rounds[s] = _server_admission(s, srv_olt_ptr, srv_olts, olt_box, pend_n, pend_list, w,
                                      t1, st, nt, wk, ch, rate, ttl, vert, port, flags, rs,
                                      port_olt, cnt_p, cnt_o, tch_p, tch_o, mc_p, mc_o, un_p,
                                      un_o, gbit, hd_alt, vp, sc, cumh, hrate, ctab, tcdf, tguide, out,
                                      nst, prate, box_srv, cap_streams, cap_mbps, heap_t,
                                      heap_r, heap_base, heap_n, busy_mbps, cache_titles, req,
                                      blk, miss)
    return rounds.max() if n_srv > 0 else 0

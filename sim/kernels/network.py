"""Network aggregation kernels: multicast groups seen above the OLT, VoD admission."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def multicast_above(w, olt_up, n_up, cnt_o, stp_o, gbit, now_out, union_out, viewers_out):
    """Multicast load per upper node (metro) from the OLT group counts.

    ``now_out[m]``: distinct groups watched under metro ``m`` at the window end x bitrate;
    ``union_out[m]``: groups watched at any time in window ``w`` x bitrate;
    ``viewers_out[g]``: boxes watching group ``g`` at the window end (all OLTs).
    """
    n_olt, n_g = cnt_o.shape
    seen_now = np.zeros((n_up, n_g), dtype=np.bool_)
    seen_any = np.zeros((n_up, n_g), dtype=np.bool_)
    viewers_out[:] = 0
    for o in range(n_olt):
        m = olt_up[o]
        for g in range(n_g):
            c = cnt_o[o, g]
            if c > 0:
                seen_now[m, g] = True
                seen_any[m, g] = True
                viewers_out[g] += c
            elif stp_o[o, g] == w:
                seen_any[m, g] = True
    for m in range(n_up):
        a = 0.0
        b = 0.0
        for g in range(n_g):
            if seen_now[m, g]:
                a += gbit[g]
            if seen_any[m, g]:
                b += gbit[g]
        now_out[m] = a
        union_out[m] = b


@njit(cache=True)
def _heap_push(ht, hr, base, n, t, r):
    j = n
    ht[base + j] = t
    hr[base + j] = r
    while j > 0:
        parent = (j - 1) >> 1
        if ht[base + parent] <= ht[base + j]:
            break
        ht[base + parent], ht[base + j] = ht[base + j], ht[base + parent]
        hr[base + parent], hr[base + j] = hr[base + j], hr[base + parent]
        j = parent


@njit(cache=True)
def _heap_pop(ht, hr, base, n):
    """Remove the root of a heap of size ``n`` (returns nothing; caller reads the root first)."""
    last = n - 1
    ht[base] = ht[base + last]
    hr[base] = hr[base + last]
    j = 0
    while True:
        a = 2 * j + 1
        if a >= last:
            break
        b = a + 1
        c = b if (b < last and ht[base + b] < ht[base + a]) else a
        if ht[base + j] <= ht[base + c]:
            break
        ht[base + c], ht[base + j] = ht[base + j], ht[base + c]
        hr[base + c], hr[base + j] = hr[base + j], hr[base + c]
        j = c


@njit(cache=True)
def admit_vod(req_t, req_hold, req_rate, req_srv, cap_streams, cap_mbps, heap_t, heap_r,
              heap_base, heap_n, busy_mbps, admitted):
    """Loss-system admission of VoD requests, in the given (time) order.

    Each server ``s`` holds at most ``cap_streams[s]`` streams and ``cap_mbps[s]`` egress; a
    request that finds either full is blocked (``admitted[j] = False``). Streams end at
    request time + holding time (kept in one min-heap per server).
    """
    for j in range(req_t.shape[0]):
        s = req_srv[j]
        t = req_t[j]
        base = heap_base[s]
        while heap_n[s] > 0 and heap_t[base] <= t:
            busy_mbps[s] -= heap_r[base]
            _heap_pop(heap_t, heap_r, base, heap_n[s])
            heap_n[s] -= 1
        if heap_n[s] < cap_streams[s] and busy_mbps[s] + req_rate[j] <= cap_mbps[s] + 1e-9:
            _heap_push(heap_t, heap_r, base, heap_n[s], t + req_hold[j], req_rate[j])
            heap_n[s] += 1
            busy_mbps[s] += req_rate[j]
            admitted[j] = True
        else:
            admitted[j] = False

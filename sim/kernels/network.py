"""Network aggregation kernels: multicast groups seen above the OLT, VoD admission."""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True, parallel=True)
def multicast_above(w, olt_up, n_up, cnt_o, tch_o, gbit, now_out, union_out, viewers_out):
    """Multicast load per upper node (metro) from the OLT group counts.

    ``now_out[m]``: distinct groups watched under metro ``m`` at the window end x bitrate;
    ``union_out[m]``: groups watched at any time in the window x bitrate (``tch_o``: one
    bit per group, set when it was watched and left during the window);
    ``viewers_out[g]``: boxes watching group ``g`` at the window end (all OLTs).
    One metro per task; the per-metro viewer counts are integers, so their sum is exact.
    """
    n_olt, n_g = cnt_o.shape
    # OLTs of each metro, in increasing order (a counting sort).
    start = np.zeros(n_up + 1, dtype=np.int64)
    for o in range(n_olt):
        start[olt_up[o] + 1] += 1
    for m in range(n_up):
        start[m + 1] += start[m]
    fill = start[:n_up].copy()
    olts = np.empty(n_olt, dtype=np.int64)
    for o in range(n_olt):
        olts[fill[olt_up[o]]] = o
        fill[olt_up[o]] += 1
    viewers = np.zeros((n_up, n_g), dtype=np.int64)
    for m in prange(n_up):
        seen_now = np.zeros(n_g, dtype=np.bool_)
        seen_any = np.zeros(n_g, dtype=np.bool_)
        for k in range(start[m], start[m + 1]):
            o = olts[k]
            for g in range(n_g):
                c = cnt_o[o, g]
                if c > 0:
                    seen_now[g] = True
                    seen_any[g] = True
                    viewers[m, g] += c
                elif (tch_o[o, g >> 6] >> np.uint64(g & 63)) & np.uint64(1):
                    seen_any[g] = True
        a = 0.0
        b = 0.0
        for g in range(n_g):
            if seen_now[g]:
                a += gbit[g]
            if seen_any[g]:
                b += gbit[g]
        now_out[m] = a
        union_out[m] = b
    for g in range(n_g):
        v = 0
        for m in range(n_up):
            v += viewers[m, g]
        viewers_out[g] = v


# Stream end times per server are kept in a 4-ary min-heap: half the depth of a binary heap,
# and a node's children share a cache line.
_D = 4


@njit(cache=True)
def _heap_push(ht, hr, base, n, t, r):
    j = n
    while j > 0:
        parent = (j - 1) // _D
        if ht[base + parent] <= t:
            break
        ht[base + j] = ht[base + parent]
        hr[base + j] = hr[base + parent]
        j = parent
    ht[base + j] = t
    hr[base + j] = r


@njit(cache=True)
def _heap_pop(ht, hr, base, n):
    """Remove the root of a heap of size ``n`` (returns nothing; caller reads the root first)."""
    last = n - 1
    t = ht[base + last]
    r = hr[base + last]
    j = 0
    while True:
        a = _D * j + 1
        if a >= last:
            break
        c = a
        end = min(a + _D, last)
        for b in range(a + 1, end):
            if ht[base + b] < ht[base + c]:
                c = b
        if t <= ht[base + c]:
            break
        ht[base + j] = ht[base + c]
        hr[base + j] = hr[base + c]
        j = c
    ht[base + j] = t
    hr[base + j] = r


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


@njit(cache=True)
def admit_batch(boxes, nt, wk, rate, ttl, box_srv, cap_streams, cap_mbps, heap_t, heap_r,
                heap_base, heap_n, busy_mbps, cache_titles, req, blk, miss):
    """Admit the waiting boxes (increasing ids) in time order, ties by box id.

    Returns admission flags aligned with ``boxes``; adds requests, blocked requests and
    admitted requests for titles outside the edge cache to ``req``, ``blk``, ``miss`` (per
    server).
    """
    n = boxes.shape[0]
    # Gather in box order (ascending addresses), then permute the small local copies.
    t = np.empty(n)
    h = np.empty(n)
    rr = np.empty(n)
    sv = np.empty(n, dtype=np.int64)
    big = np.empty(n, dtype=np.bool_)
    for j in range(n):
        i = boxes[j]
        t[j] = nt[i]
        h[j] = wk[i]
        rr[j] = rate[i]
        sv[j] = box_srv[i]
        big[j] = ttl[i] >= cache_titles
    order = np.argsort(t, kind="mergesort")  # stable: equal times stay in box order
    st_ = t[order]
    hold = h[order]
    r = rr[order]
    srv = sv[order]
    ok = np.zeros(n, dtype=np.bool_)
    admit_vod(st_, hold, r, srv, cap_streams, cap_mbps, heap_t, heap_r, heap_base, heap_n,
              busy_mbps, ok)
    admitted = np.zeros(n, dtype=np.bool_)
    for j in range(n):
        s = srv[j]
        req[s] += 1
        if ok[j]:
            admitted[order[j]] = True
            if big[order[j]]:
                miss[s] += 1
        else:
            blk[s] += 1
    return admitted


@njit(cache=True, parallel=True)
def port_loads(out, un_p, un_o, fw_mbit, wifi_mbps, port_boxes, port_olt, olt_metro, dt,
               cap_pon, threshold, count, util_bin, hist, peak, up_peak, over_s, port_down,
               olt_down, metro_uni, cdn):
    """Per port: downstream/upstream load; then OLT and metro unicast, CDN egress.

    Fills ``port_down`` (Mbit/s), ``olt_down`` (multicast union + unicast), ``metro_uni`` and
    ``cdn`` (Mbit/s per province); when ``count`` also updates the per-port utilisation
    histogram, peaks and seconds above ``threshold``. The per-port part runs in parallel;
    the sums over ports run in port order (the same floating-point result as one pass).
    """
    n_p = out.shape[0]
    n_bins = hist.shape[1]
    uni_a = np.empty(n_p)
    cdn_a = np.empty(n_p)
    for p in prange(n_p):
        cdn_mbit = out[p, 0] + out[p, 1] + out[p, 4] + fw_mbit[p]  # VoD, ads, bursts, firmware
        in_use = out[p, 8] + out[p, 9] + out[p, 11]  # live, VoD, call seconds
        nb = port_boxes[p] if port_boxes[p] > 0 else 1
        wifi = wifi_mbps[p] * in_use / (nb * dt)
        uni = (cdn_mbit + out[p, 2]) / dt + wifi
        down = un_p[p] + uni
        port_down[p] = down
        uni_a[p] = uni
        cdn_a[p] = cdn_mbit / dt
        if count:
            b = int(down / cap_pon / util_bin)
            if b >= n_bins:
                b = n_bins - 1
            hist[p, b] += 1
            if down > peak[p]:
                peak[p] = down
            up = out[p, 3] / dt
            if up > up_peak[p]:
                up_peak[p] = up
            if down > threshold * cap_pon:
                over_s[p] += dt
    olt_down[:] = un_o
    metro_uni[:] = 0.0
    cdn[:] = 0.0
    for p in range(n_p):
        o = port_olt[p]
        m = olt_metro[o]
        olt_down[o] += uni_a[p]
        metro_uni[m] += uni_a[p]
        cdn[m] += cdn_a[p]


@njit(cache=True, parallel=True)
def distinct_groups(cnt, step):
    """Sum of distinct watched groups over every ``step``-th port, and how many were active."""
    total = 0
    busy = 0
    for k in prange((cnt.shape[0] + step - 1) // step):
        p = k * step
        d = 0
        for g in range(cnt.shape[1]):
            if cnt[p, g] > 0:
                d += 1
        total += d
        if d > 0:
            busy += 1
    return total, busy


@njit(cache=True, parallel=True)
def hist_quantile_rows(hist, q, bin_width):
    """Per row of a histogram: upper edge of the first bin where the cumulative count reaches
    ``max(1, ceil(q * n))`` (``n`` the row total); NaN for an empty row."""
    n_rows, n_bins = hist.shape
    res = np.empty(n_rows)
    for r in prange(n_rows):
        n = 0
        for b in range(n_bins):
            n += int(hist[r, b])
        if n == 0:
            res[r] = np.nan
            continue
        need = max(1.0, np.ceil(q * n))
        c = 0
        k = n_bins - 1
        for b in range(n_bins):
            c += int(hist[r, b])
            if c >= need:
                k = b
                break
        res[r] = (k + 1) * bin_width
    return res

"""Links and multicast groups: per-window loads of ports, OLT uplinks and metros.

After the boxes of an epoch are advanced, :func:`finish_olt` completes each OLT: admitted
streams past the epoch are settled, the groups of boxes without events are set in every
window, per-window values are completed by a prefix sum over the windows (state-seconds and
unicast by kind per OLT, in-use seconds and unicast Mbit per port), and the port loads
(utilisation histogram, peaks, overload seconds) and OLT sums are computed; a port's sums
are cleared once read, so the next epoch adds to zeros. :func:`metro` sums a metro's OLTs:
multicast union and now, unicast and CDN egress. Multicast load is distinct groups x bitrate
(groups of equal bitrate share a mask, :func:`load_lanes`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.kernels.admission import settle_admitted
from sim.kernels.bits import popcount
from sim.kernels.index import ix
from sim.kernels.layout import (
    D_CNT,
    D_RATE,
    N_OUT,
    N_ST,
    O_AD,
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
)
from sim.kernels.prefetch import prefetch2


@njit(cache=True, inline="always")
def load_lanes(bits, r, words, cls_mask, cls_rate, cnt, out):
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


@njit(cache=True, inline="always")
def _static_groups(o, n_k, olt_port, sbit, nbit, abit, aw, ebit_o, fw_mbit):
    """Set the groups of boxes that watched one channel all epoch (``sbit``) in every window
    of their port and OLT and in the groups watched at the epoch end; returns the OLT's
    firmware Mbit."""
    ox = ix(o)
    fw_o = 0.0
    for p in range(olt_port[ox], olt_port[o + 1]):
        px = ix(p)
        fw_o += fw_mbit[px]
        for c in range(sbit.shape[1]):
            b = sbit[px, c]
            nbit[px, c] |= b
            if b:
                aw[px] |= np.uint64(1) << np.uint64(c)
                for k in range(n_k):
                    abit[px, c, k] |= b
                    ebit_o[ox, c, k] |= b
    return fw_o


@njit(cache=True, inline="always")
def _olt_windows(o, n_k, dt, nst, orate, oac, olt_cdn, olt_uni, pmax, psum, fw_o):
    """Whole-window values of OLT ``o`` from the counts and rate sums at the window start
    (a prefix sum over the windows); CDN egress per window."""
    ox = ix(o)
    inv_dt = 1.0 / dt  # multiplications, not a chain of divisions, per port-window
    for k in range(n_k):
        for s in range(N_ST):
            oac[ox, k, O_OCC + s] += nst[ox, s] * dt
            nst[ox, s] += int(oac[ox, k, D_CNT + s])
        for r in range(4):
            oac[ox, k, O_VOD + r] += orate[ox, r] * dt
            orate[ox, r] += oac[ox, k, D_RATE + r]
        olt_cdn[ox, k] = (oac[ox, k, O_VOD] + oac[ox, k, O_AD] + oac[ox, k, O_FCC]
                          + fw_o) * inv_dt
        olt_uni[ox, k] = 0.0
        pmax[ox, k] = 0.0
        psum[ox, k] = 0.0


@njit(cache=True, inline="always")
def _port_windows(px, o, sp, n_k, acc, prate, uni_fw_mbit, wifi_k, mcv, hist, peak, up_peak,
                  over_s, cap_pon, threshold, util_bin, pmax, psum, olt_uni):
    """Whole-window loads of port ``px`` (multicast ``mcv`` per window), its statistics from
    window ``kc`` on, and the OLT sums; clears the port's per-window sums."""
    dt = sp.dt
    inv_dt = 1.0 / dt
    inv_cap = 1.0 / cap_pon
    inv_bin = 1.0 / util_bin
    n_bins = hist.shape[1]
    dn_r = prate[px, 0]
    up_r = prate[px, 1]
    use_n = prate[px, 2]
    for k in range(n_k):
        dn = acc[px, k, P_DN] + dn_r * dt
        dn_r += acc[px, k, P_D_DN]
        upm = acc[px, k, P_UP] + up_r * dt
        up_r += acc[px, k, P_D_UP]
        use = acc[px, k, P_USE] + use_n * dt
        use_n += acc[px, k, P_D_USE]
        for c in range(P_MCAST):  # the sums are read: cleared for the next epoch
            acc[px, k, c] = 0.0
        mc = mcv[k]
        uni = (dn + uni_fw_mbit) * inv_dt + wifi_k * use
        down = mc + uni
        acc[px, k, P_MCAST] = mc
        acc[px, k, P_DOWN] = down
        util = down * inv_cap
        if k >= sp.kc:
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
        if util > pmax[o, k]:
            pmax[o, k] = util
        psum[o, k] += util
        olt_uni[o, k] += uni
    prate[px, 0] = dn_r
    prate[px, 1] = up_r
    prate[px, 2] = use_n


@njit(cache=True, error_model="numpy")
def finish_olt(o, sp, topo, bx, beh, carry, scr, rq, load, out):
    """Complete OLT ``o``'s epoch: settle admitted streams, per-window values of the OLT and
    its ports, port load statistics, and the OLT's multicast union and downstream load.
    The bundles' arrays are taken out once (a field read inside a loop costs a reference
    count update per read)."""
    n_k = sp.k_last + 1
    ox = ix(o)
    olt_port, port_boxes = topo.olt_port, topo.port_boxes
    acc, oac, abit, abit_o, aw = scr.acc, scr.oac, scr.abit, scr.abit_o, scr.aw
    hist, peak, up_peak, over_s = load.hist, load.peak, load.up_peak, load.over_s
    fw_mbit, wifi_mbps = load.fw_mbit, load.wifi_mbps
    pmax, psum, olt_uni = out.pmax, out.psum, out.olt_uni
    cls_mask, cls_rate = beh.cls_mask, beh.cls_rate
    prate = carry.prate
    settle_admitted(topo.olt_box[ox], rq.n[ox], sp, bx.port, topo.port_olt, bx.st, bx.nt,
                    rq.box, rq.t, rq.hold, rq.rate, rq.admitted, acc, oac)
    fw_o = _static_groups(o, n_k, olt_port, scr.sbit, scr.nbit, abit, aw, scr.ebit_o, fw_mbit)
    _olt_windows(o, n_k, sp.dt, carry.nst, carry.orate, oac, out.olt_cdn, olt_uni, pmax, psum,
                 fw_o)
    n_l = abit.shape[2]
    abit_o[ox] = 0
    words_o = np.uint64(0)
    one = np.uint64(1)
    cnt = np.empty(n_l, dtype=np.int64)
    mcv = np.empty(n_l)
    n_bins = hist.shape[1]
    cap_pon, threshold, util_bin = load.cap_pon, load.threshold, load.util_bin
    p0, p1 = olt_port[ox], olt_port[o + 1]
    for p in range(p0, p1):
        px = ix(p)
        if p + 1 < p1:  # the next port's histogram row: its bins are cold
            for b in range(0, n_bins, 32):
                prefetch2(hist, p + 1, b)
        nb = port_boxes[px] if port_boxes[px] > 0 else 1
        wifi_k = wifi_mbps[px] / (nb * sp.dt)
        words = aw[px]  # the words of the port's group bits set in the epoch
        aw[px] = 0
        words_o |= words
        load_lanes(abit, px, words, cls_mask, cls_rate, cnt, mcv)  # every window
        for c in range(abit.shape[1]):  # then the port's group bits are cleared for the
            if (words >> np.uint64(c)) & one:  # next epoch while in cache (no pass of their own)
                for k in range(n_l):
                    abit_o[ox, c, k] |= abit[px, c, k]
                    abit[px, c, k] = 0
        _port_windows(px, ox, sp, n_k, acc, prate, fw_mbit[px], wifi_k, mcv, hist, peak,
                      up_peak, over_s, cap_pon, threshold, util_bin, pmax, psum, olt_uni)
    load_lanes(abit_o, ox, words_o, cls_mask, cls_rate, cnt, mcv)
    olt_down = out.olt_down
    for k in range(n_k):
        olt_down[ox, k] = mcv[k] + olt_uni[ox, k]


@njit(cache=True)
def metro(m, sp, topo, beh, scr, out):
    """Metro ``m``: multicast union and now, summed OLT outputs, unicast and CDN egress."""
    n_k = sp.k_last + 1
    olts, ptr = topo.metro_olts, topo.metro_olt_ptr
    abit_o, ebit_o, oacc = scr.abit_o, scr.ebit_o, scr.oac
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
    m_union, m_now, m_acc, m_uni, m_cdn = out.m_union, out.m_now, out.m_acc, out.m_uni, out.m_cdn
    olt_uni, olt_cdn = out.olt_uni, out.olt_cdn
    load_lanes(mu, 0, every, beh.cls_mask, beh.cls_rate, cnt, load)
    for k in range(n_k):
        m_union[k, m] = load[k]
    load_lanes(mn, 0, every, beh.cls_mask, beh.cls_rate, cnt, load)
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
def viewers(k_last, scr, out):
    """Viewers per group at each window end: the boxes without events plus the counts."""
    vcnt, stat, out_viewers = scr.vcnt, scr.stat, out.viewers
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
            out_viewers[k, g] = c


@njit(cache=True, parallel=True)
def distinct_groups(bits, step):
    """Sum of distinct watched groups over every ``step``-th port (``bits``: the groups
    watched per port as bits), and how many of those ports had any."""
    total = 0
    busy = 0
    for k in prange((bits.shape[0] + step - 1) // step):
        p = k * step
        d = 0
        for w in range(bits.shape[1]):
            d += popcount(bits[p, w])
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

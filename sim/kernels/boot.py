"""Boot storm: every box of a set boots at once and walks DHCP -> auth -> EPG.

An exact discrete-event simulation (compiled): each stage is a server with ``workers``
parallel slots, a FIFO queue of ``queue_limit`` requests and log-normal service times (mean
``workers / requests_per_s``, given coefficient of variation). A request finding the queue
full is rejected at once; a box that gets no answer within ``timeout_s`` gives up. Either way
it retries after a capped exponential backoff with jitter. Requests that were abandoned are
still served when their turn comes (the server cannot know), which is what makes storms
collapse. Events are ordered by (time, sequence number), so ties are deterministic.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernels.rng import uniform

EV_SEND, EV_DONE, EV_TIMEOUT = 0, 1, 2
N_STAGES = 3


@njit(cache=True, inline="always")
def _swap(ht, hs, hk, hb, ha, i, j):
    """Swap heap entries ``i`` and ``j`` in all five parallel arrays."""
    ht[i], ht[j] = ht[j], ht[i]
    hs[i], hs[j] = hs[j], hs[i]
    hk[i], hk[j] = hk[j], hk[i]
    hb[i], hb[j] = hb[j], hb[i]
    ha[i], ha[j] = ha[j], ha[i]


@njit(cache=True)
def _push(ht, hs, hk, hb, ha, n, t, seq, kind, box, aux):
    j = n
    ht[j], hs[j], hk[j], hb[j], ha[j] = t, seq, kind, box, aux
    while j > 0:
        p = (j - 1) >> 1
        if ht[p] < ht[j] or (ht[p] == ht[j] and hs[p] < hs[j]):
            break
        _swap(ht, hs, hk, hb, ha, p, j)
        j = p
    return n + 1


@njit(cache=True)
def _pop(ht, hs, hk, hb, ha, n):
    last = n - 1
    ht[0], hs[0], hk[0], hb[0], ha[0] = ht[last], hs[last], hk[last], hb[last], ha[last]
    j = 0
    while True:
        a = 2 * j + 1
        if a >= last:
            break
        b = a + 1
        c = a
        if b < last and (ht[b] < ht[a] or (ht[b] == ht[a] and hs[b] < hs[a])):
            c = b
        if ht[j] < ht[c] or (ht[j] == ht[c] and hs[j] < hs[c]):
            break
        _swap(ht, hs, hk, hb, ha, c, j)
        j = c
    return last


@njit(cache=True)
def boot_storm(t_ready, workers, svc_mean_s, svc_cv, queue_limit, timeout_s, backoff_base_s,
               backoff_max_s, jitter, seed_state, bin_s, n_bins, t_max):
    """Simulate the storm; times are relative to the power-on instant.

    Parameters
    ----------
    t_ready : float64[n]
        When each box, booted, sends its first DHCP request (s).
    workers, queue_limit : int64[3]; svc_mean_s, svc_cv : float64[3]
        Per stage (DHCP, auth, EPG).
    seed_state : uint64[1]
        Random state (advanced in place).

    Returns
    -------
    on_air_s : float64[n] (inf if not back by ``t_max``), counts : int64[4, 3, n_bins]
        (arrivals, rejects, served, timeouts) per stage and bin, and stale (served after the
        client gave up) per stage as int64[3].
    """
    n = t_ready.shape[0]
    cap = 4 * n + 16
    for s in range(N_STAGES):
        cap += workers[s]
    ht = np.empty(cap)
    hs = np.empty(cap, np.int64)
    hk = np.empty(cap, np.int8)
    hb = np.empty(cap, np.int64)
    ha = np.empty(cap, np.int64)
    hn = 0
    seq = 0
    stage = np.zeros(n, np.int64)
    attempt = np.zeros(n, np.int64)
    tries = np.zeros(n, np.int64)
    on_air = np.full(n, np.inf)
    qcap = 1
    for s in range(N_STAGES):
        qcap = max(qcap, queue_limit[s] + 1)
    qbox = np.zeros((N_STAGES, qcap), np.int64)
    qatt = np.zeros((N_STAGES, qcap), np.int64)
    qhead = np.zeros(N_STAGES, np.int64)
    qlen = np.zeros(N_STAGES, np.int64)
    busy = np.zeros(N_STAGES, np.int64)
    counts = np.zeros((4, N_STAGES, n_bins), np.int64)
    stale = np.zeros(N_STAGES, np.int64)
    sig = np.zeros(N_STAGES)
    med = np.zeros(N_STAGES)
    for s in range(N_STAGES):
        sig[s] = np.sqrt(np.log(1.0 + svc_cv[s] ** 2))
        med[s] = svc_mean_s[s] / np.sqrt(1.0 + svc_cv[s] ** 2)
    for b in range(n):
        hn = _push(ht, hs, hk, hb, ha, hn, t_ready[b], seq, EV_SEND, b, 0)
        seq += 1
    left = n
    while hn > 0 and left > 0:
        t = ht[0]
        kind = hk[0]
        b = hb[0]
        aux = ha[0]
        hn = _pop(ht, hs, hk, hb, ha, hn)
        if t > t_max:
            break
        k = min(int(t / bin_s), n_bins - 1)
        if kind == EV_SEND:
            s = stage[b]
            attempt[b] += 1
            a = attempt[b]
            counts[0, s, k] += 1
            code = a * 4 + s
            if busy[s] < workers[s]:
                busy[s] += 1
                d = med[s] * np.exp(sig[s] * _z(seed_state)) if sig[s] > 0 else med[s]
                hn = _push(ht, hs, hk, hb, ha, hn, t + d, seq, EV_DONE, b, code)
                seq += 1
            elif qlen[s] < queue_limit[s]:
                j = (qhead[s] + qlen[s]) % qcap
                qbox[s, j] = b
                qatt[s, j] = code
                qlen[s] += 1
            else:
                counts[1, s, k] += 1
                tries[b] += 1
                hn = _push(ht, hs, hk, hb, ha, hn, t + _backoff(tries[b], backoff_base_s,
                                                                 backoff_max_s, jitter,
                                                                 seed_state),
                           seq, EV_SEND, b, 0)
                seq += 1
                attempt[b] += 1  # nothing pending any more
                continue
            hn = _push(ht, hs, hk, hb, ha, hn, t + timeout_s, seq, EV_TIMEOUT, b, a)
            seq += 1
        elif kind == EV_DONE:
            s = aux % 4
            a = aux // 4
            counts[2, s, k] += 1
            if qlen[s] > 0:
                nb = qbox[s, qhead[s]]
                nc = qatt[s, qhead[s]]
                qhead[s] = (qhead[s] + 1) % qcap
                qlen[s] -= 1
                d = med[s] * np.exp(sig[s] * _z(seed_state)) if sig[s] > 0 else med[s]
                hn = _push(ht, hs, hk, hb, ha, hn, t + d, seq, EV_DONE, nb, nc)
                seq += 1
            else:
                busy[s] -= 1
            if attempt[b] == a and stage[b] == s:
                attempt[b] += 1  # cancels the pending timeout
                tries[b] = 0
                stage[b] = s + 1
                if s + 1 == N_STAGES:
                    on_air[b] = t
                    left -= 1
                else:
                    hn = _push(ht, hs, hk, hb, ha, hn, t, seq, EV_SEND, b, 0)
                    seq += 1
            else:
                stale[s] += 1
        else:  # timeout
            if attempt[b] == aux:
                counts[3, stage[b], k] += 1
                attempt[b] += 1
                tries[b] += 1
                hn = _push(ht, hs, hk, hb, ha, hn, t + _backoff(tries[b], backoff_base_s,
                                                                 backoff_max_s, jitter,
                                                                 seed_state),
                           seq, EV_SEND, b, 0)
                seq += 1
    return on_air, counts, stale


@njit(cache=True)
def _z(state):
    u1 = 1.0 - uniform(state, 0)
    u2 = uniform(state, 0)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@njit(cache=True)
def _backoff(tries, base, cap, jitter, state):
    d = base * 2.0 ** (tries - 1)
    if d > cap:
        d = cap
    return d * (1.0 + jitter * (2.0 * uniform(state, 0) - 1.0))


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

from sim.kernels.heap import key_pop, key_push
from sim.kernels.jit import njit_borrowed
from sim.kernels.rng import uniform

EV_SEND, EV_DONE, EV_TIMEOUT = 0, 1, 2
N_STAGES = 3


@njit(cache=True, inline="always")
def _event(kind, box, aux):
    """An event's kind, box and attempt code packed in one heap payload."""
    return np.int64(kind) | (np.int64(box) << 2) | (np.int64(aux) << 33)


@njit(cache=True, inline="always")
def _push(ht, hs, hv, n, t, seq, kind, box, aux):
    return key_push(ht, hs, hv, n, t, seq, _event(kind, box, aux))


@njit(cache=True)
def _event_heap(n, workers):
    """The event heap's arrays (time, sequence, packed event) for ``n`` boxes."""
    cap = 4 * n + 16
    for s in range(N_STAGES):
        cap += workers[s]
    return np.empty(cap), np.empty(cap, np.int64), np.empty(cap, np.int64)


@njit(cache=True)
def _queues(queue_limit):
    """Each stage's FIFO queue as a ring (box, attempt code), head, length and capacity."""
    qcap = 1
    for s in range(N_STAGES):
        qcap = max(qcap, queue_limit[s] + 1)
    return (np.zeros((N_STAGES, qcap), np.int64), np.zeros((N_STAGES, qcap), np.int64),
            np.zeros(N_STAGES, np.int64), np.zeros(N_STAGES, np.int64), qcap)


@njit(cache=True, inline="always")
def _enqueue(qbox, qatt, qhead, qlen, qcap, s, b, code):
    j = (qhead[s] + qlen[s]) % qcap
    qbox[s, j] = b
    qatt[s, j] = code
    qlen[s] += 1


@njit(cache=True, inline="always")
def _dequeue(qbox, qatt, qhead, qlen, qcap, s):
    b = qbox[s, qhead[s]]
    code = qatt[s, qhead[s]]
    qhead[s] = (qhead[s] + 1) % qcap
    qlen[s] -= 1
    return b, code


@njit(cache=True)
def _service(svc_mean_s, svc_cv):
    """Log-normal service time per stage: sigma of the log and median, from mean and CV."""
    sig = np.zeros(N_STAGES)
    med = np.zeros(N_STAGES)
    for s in range(N_STAGES):
        sig[s] = np.sqrt(np.log(1.0 + svc_cv[s] ** 2))
        med[s] = svc_mean_s[s] / np.sqrt(1.0 + svc_cv[s] ** 2)
    return sig, med


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
        (arrivals, rejects, served, timeouts) per stage and bin, stale : int64[3] (served
        after the client gave up) per stage.
    """
    n = t_ready.shape[0]
    # per box: stage, attempt, tries since the last success, time back on air
    boxes = (np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64),
             np.full(n, np.inf))
    busy = np.zeros(N_STAGES, np.int64)
    counts = np.zeros((4, N_STAGES, n_bins), np.int64)
    stale = np.zeros(N_STAGES, np.int64)
    client = (timeout_s, backoff_base_s, backoff_max_s, jitter)
    _storm(t_ready, workers, queue_limit, client, seed_state, bin_s, t_max,
           _service(svc_mean_s, svc_cv), _event_heap(n, workers), _queues(queue_limit), boxes,
           busy, counts, stale)
    return boxes[3], counts, stale


@njit_borrowed
def _storm(t_ready, workers, queue_limit, client, seed_state, bin_s, t_max, service, heap,
           queues, boxes, busy, counts, stale):
    """The storm's events in time order (see :func:`boot_storm`), on the arrays it allocated:
    compiled without reference counting (:mod:`sim.kernels.jit`)."""
    timeout_s, backoff_base_s, backoff_max_s, jitter = client
    sig, med = service
    ht, hs, hv = heap
    qbox, qatt, qhead, qlen, qcap = queues
    stage, attempt, tries, on_air = boxes
    n = t_ready.shape[0]
    n_bins = counts.shape[2]
    hn = 0
    for b in range(n):
        hn = _push(ht, hs, hv, hn, t_ready[b], b, EV_SEND, b, 0)
    seq = n
    left = n
    while hn > 0 and left > 0:
        t = ht[0]
        ev = hv[0]
        kind = ev & 3
        b = (ev >> 2) & 0x7FFFFFFF
        aux = ev >> 33
        hn = key_pop(ht, hs, hv, hn)
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
                d = _service_s(med[s], sig[s], seed_state)
                hn = _push(ht, hs, hv, hn, t + d, seq, EV_DONE, b, code)
                seq += 1
            elif qlen[s] < queue_limit[s]:
                _enqueue(qbox, qatt, qhead, qlen, qcap, s, b, code)
            else:
                counts[1, s, k] += 1
                tries[b] += 1
                back = _backoff(tries[b], backoff_base_s, backoff_max_s, jitter, seed_state)
                hn = _push(ht, hs, hv, hn, t + back, seq, EV_SEND, b, 0)
                seq += 1
                attempt[b] += 1  # nothing pending any more
                continue
            hn = _push(ht, hs, hv, hn, t + timeout_s, seq, EV_TIMEOUT, b, a)
            seq += 1
        elif kind == EV_DONE:
            s = aux % 4
            a = aux // 4
            counts[2, s, k] += 1
            if qlen[s] > 0:
                nb, nc = _dequeue(qbox, qatt, qhead, qlen, qcap, s)
                d = _service_s(med[s], sig[s], seed_state)
                hn = _push(ht, hs, hv, hn, t + d, seq, EV_DONE, nb, nc)
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
                    hn = _push(ht, hs, hv, hn, t, seq, EV_SEND, b, 0)
                    seq += 1
            else:
                stale[s] += 1
        else:  # timeout
            if attempt[b] == aux:
                counts[3, stage[b], k] += 1
                attempt[b] += 1
                tries[b] += 1
                back = _backoff(tries[b], backoff_base_s, backoff_max_s, jitter, seed_state)
                hn = _push(ht, hs, hv, hn, t + back, seq, EV_SEND, b, 0)
                seq += 1


@njit(cache=True, inline="always")
def _service_s(med, sig, state):
    """A service time: log-normal by median and sigma of the log (fixed without spread)."""
    return med * np.exp(sig * _z(state)) if sig > 0 else med


@njit(cache=True, inline="always")
def _z(state):
    u1 = 1.0 - uniform(state, 0)
    u2 = uniform(state, 0)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


@njit(cache=True, inline="always")
def _backoff(tries, base, cap, jitter, state):
    d = base * 2.0 ** (tries - 1)
    if d > cap:
        d = cap
    return d * (1.0 + jitter * (2.0 * uniform(state, 0) - 1.0))


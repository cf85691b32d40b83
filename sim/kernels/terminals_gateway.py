"""The JT/T 808 access gateway: connections as a loss system, messages as a queue.

- **Connections** (:func:`admit`): a terminal holds one TCP connection per ignition-on
  session on its gateway node; a node takes at most ``cap`` at a time. Sessions are admitted
  in time order (ties by terminal); a session that finds the node full is refused for its
  whole length (its messages are lost), as in a loss system (Erlang B).
- **Messages** (:func:`serve_window`): each node is ``c`` workers in front of a FIFO
  buffer of ``k_buf`` places. A window's messages reach the node as a Poisson stream at
  the window's count (the superposition of many independent terminals; Palm-Khintchine):
  exactly that many arrivals, uniformly placed, when they are at most ``sample`` messages
  (a fractional count, from reports spread at their rate, rounded up or down at random),
  else ``sample`` arrivals at the window's rate standing for the window (each weighs
  count / sample, and the node's clock is moved on to the window end). An arrival that
  finds the buffer full is lost; the others are served first come first served by the
  worker free first. Delays (wait plus service) go to a log-spaced histogram.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernels.rng import exponential, uniform

#: Delay histogram: log-spaced bins from 1e-6 s to 1e4 s.
H_LO, H_DECADES, H_PER_DECADE = -6.0, 10, 40
N_HIST = H_DECADES * H_PER_DECADE + 2  # plus the under- and overflow bins


@njit(cache=True)
def admit(order, node, s_term, s_start, s_end, heap, heap_n, blocked, conn_peak, t0, dt,
          n_k):
    """Admit the sessions in ``order`` (by start time); ``heap[node]`` is a min-heap of the
    ends of the node's open connections (``heap_n`` of them). Sets ``blocked``, and the peak
    of open connections per node and window in ``conn_peak`` (windows of ``dt`` from t0)."""
    cap = heap.shape[1]
    for j in range(order.shape[0]):
        s = order[j]
        g = node[s_term[s]]
        t = s_start[s]
        # close the connections that ended by t
        while heap_n[g] > 0 and heap[g, 0] <= t:
            _pop(heap, heap_n, g)
        if heap_n[g] >= cap:
            blocked[s] = True
        else:
            blocked[s] = False
            _push(heap, heap_n, g, s_end[s])
        k = int((t - t0) // dt)
        if 0 <= k < n_k and heap_n[g] > conn_peak[g, k]:
            conn_peak[g, k] = heap_n[g]


@njit(cache=True, inline="always")
def _push(heap, heap_n, g, v):
    j = heap_n[g]
    heap_n[g] = j + 1
    while j > 0:
        p = (j - 1) >> 1
        if heap[g, p] <= v:
            break
        heap[g, j] = heap[g, p]
        j = p
    heap[g, j] = v


@njit(cache=True, inline="always")
def _pop(heap, heap_n, g):
    n = heap_n[g] - 1
    heap_n[g] = n
    v = heap[g, n]
    j = 0
    while True:
        a = 2 * j + 1
        if a >= n:
            break
        b = a + 1
        if b < n and heap[g, b] < heap[g, a]:
            a = b
        if heap[g, a] >= v:
            break
        heap[g, j] = heap[g, a]
        j = a
    if n > 0:
        heap[g, j] = v


@njit(cache=True, inline="always")
def _bin(x):
    if x <= 0.0:
        return 0
    b = int(np.floor((np.log10(x) - H_LO) * H_PER_DECADE)) + 1
    return min(max(b, 0), N_HIST - 1)


@njit(cache=True, inline="always")
def serve_window(g, count, w0, w1, sample, free, ring, ring_h, ring_t, k_buf, service_s,
                 deterministic, rs, hist, out, gaps):
    """Serve node ``g``'s ``count`` messages of window ``[w0, w1)``.

    ``free[g]`` are the workers' free times, ``ring[g]`` the start times of the messages
    waiting (FIFO, ``ring_h``/``ring_t`` head and tail counters); ``rs[g]`` the node's random
    state; ``gaps`` scratch of at least ``sample + 1``. Adds to ``hist`` (delays, weighted) and ``out``: offered, lost, served, waited,
    wait sum (s), delay sum (s), busy worker-seconds (all weighted to the window's count).
    """
    if count <= 0.0:
        return
    sampled = count > sample
    if sampled:
        m = int(sample)
        weight = count / m
    else:
        # a fractional count (reports spread at their rate) rounds at random, unbiased
        m = int(count)
        if uniform(rs, g) < count - m:
            m += 1
        weight = 1.0
        if m == 0:
            return
    c = free.shape[1]
    rsize = ring.shape[1]
    span = w1 - w0
    # arrival times: m uniform order statistics on the window (exponential spacings),
    # or m arrivals of a Poisson stream at the window's rate
    if not sampled:
        total = 0.0
        for j in range(m + 1):
            gaps[j] = exponential(rs, g, 1.0)
            total += gaps[j]
        scale = span / total
    else:
        for j in range(m):
            gaps[j] = exponential(rs, g, span / count)
        scale = 1.0
    t = w0
    for j in range(m):
        t += gaps[j] * scale
        # messages that started service by t leave the buffer
        while ring_h[g] < ring_t[g] and ring[g, ring_h[g] % rsize] <= t:
            ring_h[g] += 1
        out[0] += weight
        if ring_t[g] - ring_h[g] >= k_buf:
            out[1] += weight
            continue
        w = 0
        for x in range(1, c):
            if free[g, x] < free[g, w]:
                w = x
        start = max(t, free[g, w])
        s = service_s if deterministic else exponential(rs, g, service_s)
        free[g, w] = start + s
        if start > t:
            ring[g, ring_t[g] % rsize] = start
            ring_t[g] += 1
            out[3] += weight
        out[2] += weight
        out[4] += (start - t) * weight
        out[5] += (start - t + s) * weight
        out[6] += s * weight
        hist[_bin(start - t + s)] += weight
    if sampled:
        # the sample stands for the whole window: move the node's clock to its end
        shift = w1 - t
        for x in range(c):
            free[g, x] += shift
        for q in range(ring_h[g], ring_t[g]):
            ring[g, q % rsize] += shift


# No reference counting (numba's ``_nrt=False``; nothing is allocated): it halves the time
# per message.
@njit(cache=True, _nrt=False)  # type: ignore[call-overload]
def serve_epoch(counts, k0, dt, sample, free, ring, ring_h, ring_t, k_buf, service_s,
                deterministic, rs, hist, out, gaps):
    """:func:`serve_window` for every node (rows of ``counts``) and window (columns, window
    ``k0 + j`` of ``dt`` from 0); results in ``out[k0 + j, node]``."""
    for j in range(counts.shape[1]):
        w0 = (k0 + j) * dt
        for g in range(counts.shape[0]):
            serve_window(g, counts[g, j], w0, w0 + dt, sample, free, ring, ring_h, ring_t,
                         k_buf, service_s, deterministic, rs, hist, out[k0 + j, g], gaps)

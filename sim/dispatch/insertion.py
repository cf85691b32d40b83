"""Compiled insertion search over vehicle schedules.

A vehicle's schedule is an ordered list of stops, each with a node, a time window
``[early, late]`` on the start of service, a service time and a load change per load
dimension (riders, goods, requests on board). The vehicle starts from a *start point*: the
node where it can next change course and the time it is there, with the load it carries then.

:func:`refresh` computes each stop's arrival, service start, departure and load after it, and
its *forward slack*: how much later the vehicle may arrive there without breaking a window of
that stop or of any later one (nor its return to an end depot). With the slack, a candidate
insertion of a pickup at position ``i`` and its drop-off at position ``j >= i`` is checked in
O(j - i) (the delay is carried only through the stops between the two), so the best insertion
into a schedule of ``n`` stops costs O(n^2). This is the classic scheme of Solomon's insertion
heuristics and of MATSim DRT's insertion search.

The cost of an insertion is the added driving time of the vehicle (detour), plus a weight on
the pickup's delay after the request time and a fixed cost for a vehicle not used yet.
Times are seconds; ``T`` is the travel-time matrix between nodes.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from sim.dispatch.stops import STOPPED, TO_STOP

EPS = 1e-6
INF = np.inf


@nb.njit(cache=True)
def refresh(v, T, n, node, early, late, svc, dload, p_node, p_time, p_load, end_node,
            end_late, arr, start, dep, load, fs, end_slack):  # pragma: no cover - compiled
    """Times, loads and forward slack of vehicle ``v``'s stops from its start point."""
    n_l = dload.shape[2]
    t = p_time[v]
    x = p_node[v]
    cur = np.empty(n_l)
    for m in range(n_l):
        cur[m] = p_load[v, m]
    for k in range(n[v]):
        y = node[v, k]
        a = t + T[x, y]
        s = max(a, early[v, k])
        arr[v, k] = a
        start[v, k] = s
        t = s + svc[v, k]
        dep[v, k] = t
        for m in range(n_l):
            cur[m] += dload[v, k, m]
            load[v, k, m] = cur[m]
        x = y
    nxt = INF
    if end_node[v] >= 0:
        nxt = end_late[v] - (t + T[x, end_node[v]])
    end_slack[v] = nxt
    for k in range(n[v] - 1, -1, -1):
        nxt = (start[v, k] - arr[v, k]) + min(late[v, k] - start[v, k], nxt)
        fs[v, k] = nxt


@nb.njit(cache=True)
def _leg(T, a, b):  # pragma: no cover - compiled
    return T[a, b] if a >= 0 and b >= 0 else 0.0


@nb.njit(cache=True, inline="always")
def _keep(out, cost, i, j, pickup_start, finish):  # pragma: no cover - compiled
    """Keep this insertion in ``out`` if it is cheaper than the one there."""
    if cost < out[0]:
        out[0] = cost
        out[1] = i
        out[2] = j
        out[3] = pickup_start
        out[4] = finish


@nb.njit(cache=True)
def best_insertion(v, r_o, r_d, pe, pl, de, dl, sp, sd, q, created, wait_weight, extra_cost,
                   T, n, node, late, fixed, cap, p_node, p_time, p_load, end_node, end_late,
                   arr, start, dep, load, fs, end_slack, out, only_i=-1,
                   only_j=-1):  # pragma: no cover - compiled
    """Cheapest feasible insertion of one request into vehicle ``v``'s schedule.

    ``r_d < 0`` means a single visit (its load stays on board until a depot). Writes
    ``out = [cost, i, j, pickup_start, finish]`` (cost ``inf`` when nothing fits); ``i`` and
    ``j`` are the positions of the pickup and drop-off in the *original* schedule (the
    drop-off goes before original stop ``j``; ``j == i`` puts it right after the pickup).
    ``only_i`` / ``only_j`` (when >= 0) restrict the search to those positions.
    """
    nv = n[v]
    n_l = q.shape[0]
    out[0] = INF
    out[1] = -1.0
    out[2] = -1.0
    out[3] = INF
    out[4] = INF
    endn = end_node[v]
    for i in range(fixed[v], nv + 1):
        if only_i >= 0 and i != only_i:
            continue
        if i == 0:
            px = p_node[v]
            pdep = p_time[v]
        else:
            px = node[v, i - 1]
            pdep = dep[v, i - 1]
        ok = True
        for m in range(n_l):
            before = p_load[v, m] if i == 0 else load[v, i - 1, m]
            if before + q[m] > cap[v, m] + EPS:
                ok = False
        if not ok:
            continue
        a_p = pdep + T[px, r_o]
        s_p = max(a_p, pe)
        if s_p > pl + EPS:
            continue
        d_p = s_p + sp
        nx = node[v, i] if i < nv else endn
        base = _leg(T, px, nx)
        if r_d < 0:  # a visit: its load stays on board to the end
            for k in range(i, nv):
                for m in range(n_l):
                    if load[v, k, m] + q[m] > cap[v, m] + EPS:
                        ok = False
            if not ok:
                continue
            if i < nv:
                if d_p + T[r_o, nx] - arr[v, i] > fs[v, i] + EPS:
                    continue
            elif endn >= 0 and d_p + T[r_o, endn] > end_late[v] + EPS:
                continue
            cost = T[px, r_o] + _leg(T, r_o, nx) - base + wait_weight * (s_p - created) \
                + extra_cost
            _keep(out, cost, i, i, s_p, d_p)
            continue
        # Drop-off right after the pickup.
        a_d = d_p + T[r_o, r_d]
        s_d = max(a_d, de)
        if s_d <= dl + EPS and (only_j < 0 or only_j == i):
            d_d = s_d + sd
            if i < nv:
                fits = d_d + T[r_d, nx] - arr[v, i] <= fs[v, i] + EPS
            else:
                fits = endn < 0 or d_d + T[r_d, endn] <= end_late[v] + EPS
            if fits:
                cost = T[px, r_o] + T[r_o, r_d] + _leg(T, r_d, nx) - base \
                    + wait_weight * (s_p - created) + extra_cost
                _keep(out, cost, i, i, s_p, d_d)
        if i == nv:
            continue
        # Drop-off later: carry the delay through stops i .. j-1.
        add_p = T[px, r_o] + T[r_o, nx] - base
        delay = d_p + T[r_o, nx] - arr[v, i]
        for j in range(i + 1, nv + 1):
            k = j - 1
            over = False
            for m in range(n_l):
                if load[v, k, m] + q[m] > cap[v, m] + EPS:
                    over = True
            if over:
                break
            s_delay = max(0.0, delay - (start[v, k] - arr[v, k]))
            if start[v, k] + s_delay > late[v, k] + EPS:
                break
            xk = node[v, k]
            a_d = dep[v, k] + s_delay + T[xk, r_d]
            s_d = max(a_d, de)
            if s_d <= dl + EPS and (only_j < 0 or only_j == j):
                d_d = s_d + sd
                if j < nv:
                    nx2 = node[v, j]
                    fits = d_d + T[r_d, nx2] - arr[v, j] <= fs[v, j] + EPS
                else:
                    nx2 = endn
                    fits = endn < 0 or d_d + T[r_d, endn] <= end_late[v] + EPS
                if fits:
                    cost = add_p + T[xk, r_d] + _leg(T, r_d, nx2) - _leg(T, xk, nx2) \
                        + wait_weight * (s_p - created) + extra_cost
                    _keep(out, cost, i, j, s_p, d_d)
            delay = s_delay


@nb.njit(cache=True)
def evaluate_pairs(reqs, ptr, veh, r_origin, r_dest, r_pe, r_pl, r_de, r_dl, r_sp, r_sd, r_load,
                   r_created, wait_weight, extra_cost, T, n, node, late, fixed, cap, p_node,
                   p_time, p_load, end_node, end_late, arr, start, dep, load, fs,
                   end_slack):  # pragma: no cover - compiled
    """Best insertion of each request ``reqs[a]`` into each of its candidate vehicles
    ``veh[ptr[a]:ptr[a + 1]]``. Returns a ``(pairs, 5)`` array of
    ``[cost, i, j, pickup_start, finish]`` rows."""
    res = np.empty((veh.shape[0], 5))
    out = np.empty(5)
    for a in range(reqs.shape[0]):
        r = reqs[a]
        for e in range(ptr[a], ptr[a + 1]):
            v = veh[e]
            best_insertion(v, r_origin[r], r_dest[r], r_pe[r], r_pl[r], r_de[r], r_dl[r],
                           r_sp[r], r_sd[r], r_load[r], r_created[r], wait_weight,
                           extra_cost[v], T, n, node, late, fixed, cap, p_node, p_time, p_load,
                           end_node, end_late, arr, start, dep, load, fs, end_slack, out)
            for c in range(5):
                res[e, c] = out[c]
    return res


@nb.njit(cache=True)
def candidates(reqs, r_origin, r_pl, now, k, avail, anchor_node, anchor_time,
               T_to):  # pragma: no cover - compiled
    """For each request, up to ``k`` available vehicles with the earliest lower bound on the
    time they could reach its pickup (``anchor_time + T(anchor, origin)``, a lower bound by
    the triangle inequality), among those whose bound is within the pickup window (ties to
    the lower vehicle number). ``T_to[o, x]`` is the travel time from ``x`` to ``o`` (the
    transposed matrix, so that the bounds of all vehicles for one pickup read one row).
    Returns CSR ``(ptr, vehicles)``, each request's vehicles nearest first."""
    n_r = reqs.shape[0]
    n_v = avail.shape[0]
    ptr = np.zeros(n_r + 1, dtype=np.int64)
    buf = np.empty(n_r * k, dtype=np.int64)
    best_b = np.empty(k)
    best_v = np.empty(k, dtype=np.int64)
    fill = 0
    for a in range(n_r):
        r = reqs[a]
        row = T_to[r_origin[r]]
        limit = r_pl[r] + EPS
        cnt = 0
        for v in range(n_v):
            if not avail[v]:
                continue
            b = max(now, anchor_time[v] + row[anchor_node[v]])
            if b > limit or (cnt == k and b >= best_b[k - 1]):
                continue
            # Insert into the sorted top-k buffer.
            pos = cnt if cnt < k else k - 1
            while pos > 0 and best_b[pos - 1] > b:
                if pos < k:
                    best_b[pos] = best_b[pos - 1]
                    best_v[pos] = best_v[pos - 1]
                pos -= 1
            best_b[pos] = b
            best_v[pos] = v
            if cnt < k:
                cnt += 1
        for c in range(cnt):
            buf[fill + c] = best_v[c]
        fill += cnt
        ptr[a + 1] = fill
    return ptr, buf[:fill].copy()


@nb.njit(cache=True)
def diversion_point(a, b, t_dep, t_arr, now, indptr, indices, weights, T
                    ):  # pragma: no cover - compiled
    """The first node at or after ``now`` on the fastest path ``a -> b`` of a vehicle that
    left ``a`` at ``t_dep``, and the time it gets there: where it can turn off. The path is
    read from the travel-time table (the next hop ``y`` minimises ``w(x, y) + T[y, b]``)."""
    x = a
    t = t_dep
    steps = 0
    while t < now - EPS and x != b and steps < 100000:
        best = INF
        nxt = -1
        w_best = 0.0
        for e in range(indptr[x], indptr[x + 1]):
            y = indices[e]
            c = weights[e] + T[y, b]
            if c < best:
                best = c
                nxt = y
                w_best = weights[e]
        if nxt < 0:
            return b, t_arr
        t += w_best
        x = nxt
        steps += 1
    if x == b:
        return b, t_arr
    return x, min(t, t_arr)


@nb.njit(cache=True)
def prepare(vs, now, divert, mode, at_node, free_at, leg_from, leg_to, leg_dep, leg_arr,
            leg_kind, cur_load, walk_x, walk_t, indptr, indices, weights, T, n, node, early,
            late, svc, dload, p_node, p_time, p_load, fixed, end_node, end_late, arr, start,
            dep, load, fs, end_slack):  # pragma: no cover - compiled
    """Start points (where each vehicle can next change course) and schedule times of the
    vehicles ``vs`` at ``now``.

    A vehicle at a node starts there when it is free (after the service it is giving). One on
    a leg may turn off at the next node of its path when ``divert`` is set (the network is
    given as CSR ``indptr, indices, weights``); otherwise it first reaches the leg's end, and
    when that is its first stop, no insertion may go before that stop (``fixed = 1``). The walk
    along a leg resumes where the last one stopped (``walk_x`` reached at ``walk_t``), so it
    costs O(1) per call on average.
    """
    n_l = cur_load.shape[1]
    for a in range(vs.shape[0]):
        v = vs[a]
        fixed[v] = 0
        if mode[v] == STOPPED:
            p_node[v] = at_node[v]
            p_time[v] = max(now, free_at[v])
        elif divert:
            x, t = diversion_point(walk_x[v], leg_to[v], walk_t[v], leg_arr[v], now, indptr,
                                   indices, weights, T)
            walk_x[v] = x
            walk_t[v] = t
            p_node[v] = x
            p_time[v] = max(now, t)
        elif leg_kind[v] == TO_STOP:
            p_node[v] = leg_from[v]
            p_time[v] = leg_dep[v]
            fixed[v] = 1
        else:
            p_node[v] = leg_to[v]
            p_time[v] = max(now, leg_arr[v])
        for m in range(n_l):
            p_load[v, m] = cur_load[v, m]
        refresh(v, T, n, node, early, late, svc, dload, p_node, p_time, p_load, end_node,
                end_late, arr, start, dep, load, fs, end_slack)

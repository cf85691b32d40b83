"""Vehicle terminals as a population: ignition sessions, driving, reports and alarms.

A terminal's day is a sequence of *ignition-off* periods and *ignition-on sessions*; a
session alternates *moving* legs and *parked* stops (ignition on) until its end. Session
starts are a non-homogeneous Poisson process (by hour of day) while the ignition is off;
session lengths are log-normal, legs and stops exponential. A terminal reports at a fixed
interval per state (its configured JT/T 808 parameters: moving and parked with the ignition
on, sleep reports with it off) and at every state change, so the reports of a state
segment are an arithmetic progression: they are counted per window in one step, not one
event each. Alarms (harsh braking, harsh acceleration, speeding, fatigue) are events of
their own, at their times: the first three Poisson per kilometre driven at the driver's
rates, fatigue when continuous driving (stops under 20 min do not count as rest) passes
4 h. A dashcam uploads a clip per alarm; on-demand video streams start as a Poisson
process while the ignition is on.

Two passes per epoch, as the gateway needs the sessions in time order before reports are
counted:

- :func:`plan_sessions` (serial, cheap): each terminal's session starts and ends that begin
  before the epoch end (the session's own random stream);
- :func:`advance` (parallel over fixed chunks of terminals; per-chunk accumulators summed
  in chunk order, so results do not depend on the number of threads): every terminal is
  walked through the epoch, its reports, alarms, clips and video counted per window, per
  gateway node and per cell, as delivered or refused (a session the gateway refused).

Each terminal owns two splitmix64 states (:mod:`sim.kernels.rng`): one for its sessions and
one for what happens inside them.

The per-terminal helpers are inlined into the chunk loop, which is compiled without
reference counting (see :func:`_advance_chunk`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from sim.kernels.rng import exponential, lognormal, uniform

OFF, MOVING, PARKED = 0, 1, 2
#: Alarm kinds, in this order everywhere (columns of the event counts).
HARSH_BRAKING, HARSH_ACCELERATION, SPEEDING, FATIGUE = 0, 1, 2, 3
N_ALARMS = 4
#: Rest that resets continuous driving (s) and the driving that sets the fatigue alarm (s).
REST_S = 1200.0
FATIGUE_S = 4 * 3600.0
#: Night: 22:00 to 06:00 (hours of the day).
NIGHT_FROM_H, NIGHT_TO_H = 22.0, 6.0
#: Fixed number of work chunks (not threads): sums do not depend on the thread count.
N_CHUNKS = 8


class Terminals(NamedTuple):
    """Per terminal ``n``: attributes and the state the kernels change."""

    fleet: np.ndarray  # int32 [n] fleet index
    prof: np.ndarray  # int32 [n] terminal profile index
    beh: np.ndarray  # int32 [n] behaviour profile index
    mult: np.ndarray  # float64 [n] driver's multiplier of the behaviour's alarm rates
    node: np.ndarray  # int32 [n] gateway node
    cell: np.ndarray  # int32 [n] cell
    iv_move: np.ndarray  # float64 [n] report interval moving, s
    iv_park: np.ndarray  # float64 [n] report interval parked (ignition on), s
    st: np.ndarray  # int8 [n] OFF, MOVING, PARKED
    t_cur: np.ndarray  # float64 [n] time the terminal has been advanced to, s
    seg_end: np.ndarray  # float64 [n] end of the current leg or stop, s
    sess_end: np.ndarray  # float64 [n] end of the current session, s
    next_rep: np.ndarray  # float64 [n] next report of the current segment, s
    last_move_end: np.ndarray  # float64 [n] end of the last leg, s
    drive_s: np.ndarray  # float64 [n] continuous driving, s
    fatigued: np.ndarray  # bool [n] fatigue alarm raised in this driving spell
    blocked: np.ndarray  # bool [n] current session refused by the gateway
    vid_end: np.ndarray  # float64 [n] end of the on-demand video under way, s
    next_start: np.ndarray  # float64 [n] next session start (planned), s
    rs: np.ndarray  # uint64 [n] session random state
    rl: np.ndarray  # uint64 [n] leg and event random state
    km: np.ndarray  # float64 [n] km driven (t >= 0)
    night_km: np.ndarray  # float64 [n] km driven 22:00-06:00 (t >= 0)
    move_s: np.ndarray  # float64 [n] moving seconds (t >= 0)
    alarms: np.ndarray  # int64 [n, N_ALARMS] alarm events (t >= 0)
    msgs: np.ndarray  # int64 [n] messages sent (t >= 0)
    video_mb: np.ndarray  # float64 [n] clips and on-demand video, MB (t >= 0)


class Params(NamedTuple):
    """Tables by fleet ``F``, terminal profile ``P`` and behaviour profile ``B``."""

    start_rate: np.ndarray  # float64 [F, B, 24] session starts per s while off, by hour
    start_max: np.ndarray  # float64 [F, B] largest of start_rate (thinning bound)
    sess_median_s: np.ndarray  # float64 [F] median session length, s
    sess_sigma: np.ndarray  # float64 [F] sigma of log session length
    leg_s: np.ndarray  # float64 [F] mean leg, s
    stop_s: np.ndarray  # float64 [F, B] mean stop, s (behaviour's rest factor applied)
    speed_kmh: np.ndarray  # float64 [F] mean speed while moving
    video_per_s: np.ndarray  # float64 [F] on-demand video starts per ignition-on second
    video_s: np.ndarray  # float64 [F] mean on-demand video length, s
    rate_per_km: np.ndarray  # float64 [B, 3] braking, acceleration, speeding per km
    iv_off: np.ndarray  # float64 [P] sleep report interval (0: none), s
    msg_bytes: np.ndarray  # float64 [P] location report, bytes
    alarm_bytes: np.ndarray  # float64 [P] alarm report, bytes
    clip_mb: np.ndarray  # float64 [P] dashcam clip per alarm, MB
    video_kbps: np.ndarray  # float64 [P] on-demand video bitrate (0: no camera)


class Acc(NamedTuple):
    """Per chunk ``C`` and window ``K`` of the epoch (cleared by the caller).

    A quantity spread over a stretch of windows goes in two parts: its partial end windows
    directly (``*_w``), the whole windows between them as differences (``*_d``, one more
    window: +x from the first whole window, -x after the last); the caller adds the running
    sum of the differences. That makes a stretch O(1) however many windows it covers.
    """

    node_w: np.ndarray  # float64 [C, N, K, 2] messages to the gateway, of refused sessions
    node_d: np.ndarray  # float64 [C, N, K + 1, 2]
    cell_w: np.ndarray  # float64 [C, X, K, 2] messages and bytes sent, by cell
    cell_d: np.ndarray  # float64 [C, X, K + 1, 2]
    alarm_w: np.ndarray  # float64 [C, A, K] alarms by kind
    video_w: np.ndarray  # float64 [C, K] video MB (clips and on demand)
    state_w: np.ndarray  # float64 [C, 3, K] terminal-seconds off, moving, parked
    state_d: np.ndarray  # float64 [C, 3, K + 1]


@njit(cache=True)
def _next_start(tm, pr, i, t):
    """The next session start after ``t`` (thinning of the hourly start rate)."""
    f, b = tm.fleet[i], tm.beh[i]
    lam = pr.start_max[f, b]
    if lam <= 0.0:
        return np.inf
    while True:
        t += exponential(tm.rs, i, 1.0 / lam)
        h = int((t % 86400.0 + 86400.0) % 86400.0 // 3600.0)
        if uniform(tm.rs, i) * lam < pr.start_rate[f, b, h]:
            return t


@njit(cache=True)
def first_starts(tm, pr, t):
    """Every terminal's first session start after ``t`` (all off at ``t``)."""
    for i in range(tm.fleet.shape[0]):
        tm.next_start[i] = _next_start(tm, pr, i, t)


@njit(cache=True, _nrt=False)  # type: ignore[call-overload]
def _plan_into(tm, pr, t_end, i0, s_term, s_start, s_end, k):
    """Sessions from terminal ``i0`` on into the buffers from ``k``; returns (sessions
    written, terminal reached): stops when the buffers are full (the terminal reached
    resumes where it stopped)."""
    n = tm.fleet.shape[0]
    cap = s_term.shape[0]
    next_start = tm.next_start
    for i in range(i0, n):
        f = tm.fleet[i]
        while next_start[i] < t_end:
            if k >= cap:
                return k, i
            t0 = next_start[i]
            d = max(lognormal(tm.rs, i, pr.sess_median_s[f], pr.sess_sigma[f]), 1.0)
            s_term[k] = i
            s_start[k] = t0
            s_end[k] = t0 + d
            k += 1
            next_start[i] = _next_start(tm, pr, i, t0 + d)
    return k, n


@njit(cache=True)
def plan_sessions(tm, pr, t_end):
    """Sessions of every terminal starting before ``t_end``: (terminal, start, end) arrays,
    terminal by terminal, each in time order. Draws from the session streams only."""
    n = tm.fleet.shape[0]
    cap = max(64, n // 4)
    s_term = np.empty(cap, np.int64)
    s_start = np.empty(cap)
    s_end = np.empty(cap)
    k, i = _plan_into(tm, pr, t_end, 0, s_term, s_start, s_end, 0)
    while i < n:
        cap *= 2
        s_term = _grow(s_term, cap)
        s_start = _grow(s_start, cap)
        s_end = _grow(s_end, cap)
        k, i = _plan_into(tm, pr, t_end, i, s_term, s_start, s_end, k)
    return s_term[:k].copy(), s_start[:k].copy(), s_end[:k].copy()


@njit(cache=True)
def _grow(a, cap):
    out = np.empty(cap, a.dtype)
    out[:a.shape[0]] = a
    return out


@njit(cache=True, inline="always")
def _reports_before(r, iv, x):
    """Reports at ``r, r + iv, ...`` before ``x``."""
    if x <= r:
        return 0.0
    return np.ceil((x - r) / iv)


@njit(cache=True, inline="always")
def _night_overlap_s(a, b):
    """Seconds of ``[a, b)`` between 22:00 and 06:00 (one night per day: [D - 2 h, D + 6 h)
    for each midnight D)."""
    total = 0.0
    day = np.floor(a / 86400.0) * 86400.0
    while day - (24.0 - NIGHT_FROM_H) * 3600.0 < b:
        x0 = max(a, day - (24.0 - NIGHT_FROM_H) * 3600.0)
        x1 = min(b, day + NIGHT_TO_H * 3600.0)
        if x1 > x0:
            total += x1 - x0
        day += 86400.0
    return total


@njit(cache=True, inline="always")
def _win(t, t0, dt, n_k):
    k = int((t - t0) // dt)
    return min(max(k, 0), n_k - 1)


@njit(cache=True, inline="always")
def _count_reports(acc, c, tm, i, a, b, iv, size, t0, dt, n_k, refused):
    """Reports of segment ``[a, b)`` from ``tm.next_rep[i]`` every ``iv`` s; moves
    ``next_rep`` past ``b``. Returns the messages counted at ``t >= 0``.

    The count is exact; it is spread over the segment's windows at its rate (each window
    within one report of the exact placement), in O(1) per segment."""
    r = tm.next_rep[i]
    if iv <= 0.0 or r >= b:
        return 0.0
    lo = max(a, 0.0, t0)
    m = 0.0
    if b > lo:
        m = _reports_before(r, iv, b) - _reports_before(r, iv, lo)
        if m > 0.0:
            side = 1 if refused else 0
            g, x = tm.node[i], tm.cell[i]
            k0, k1 = _win(lo, t0, dt, n_k), _win(b - 1e-9, t0, dt, n_k)
            if k0 == k1:
                acc.node_w[c, g, k0, side] += m
                if not refused:
                    acc.cell_w[c, x, k0, 0] += m
                    acc.cell_w[c, x, k0, 1] += m * size
            else:
                rate = m / (b - lo)
                e0 = rate * (t0 + (k0 + 1) * dt - lo)
                e1 = rate * (b - (t0 + k1 * dt))
                acc.node_w[c, g, k0, side] += e0
                acc.node_w[c, g, k1, side] += e1
                if not refused:
                    acc.cell_w[c, x, k0, 0] += e0
                    acc.cell_w[c, x, k1, 0] += e1
                    acc.cell_w[c, x, k0, 1] += e0 * size
                    acc.cell_w[c, x, k1, 1] += e1 * size
                if k1 > k0 + 1:
                    full = rate * dt
                    acc.node_d[c, g, k0 + 1, side] += full
                    acc.node_d[c, g, k1, side] -= full
                    if not refused:
                        acc.cell_d[c, x, k0 + 1, 0] += full
                        acc.cell_d[c, x, k1, 0] -= full
                        acc.cell_d[c, x, k0 + 1, 1] += full * size
                        acc.cell_d[c, x, k1, 1] -= full * size
    tm.next_rep[i] = r + _reports_before(r, iv, b) * iv
    return m


@njit(cache=True, inline="always")
def _event(acc, c, tm, pr, i, t, kind, t0, dt, n_k):
    """An alarm at ``t``: its report, and a dashcam clip."""
    if t < 0.0 or t < t0:
        return
    p = tm.prof[i]
    tm.alarms[i, kind] += 1
    k = _win(t, t0, dt, n_k)
    if tm.blocked[i]:
        acc.node_w[c, tm.node[i], k, 1] += 1.0
        return
    acc.alarm_w[c, kind, k] += 1.0
    acc.node_w[c, tm.node[i], k, 0] += 1.0
    acc.cell_w[c, tm.cell[i], k, 0] += 1.0
    acc.cell_w[c, tm.cell[i], k, 1] += pr.alarm_bytes[p] + pr.clip_mb[p] * 1e6
    acc.video_w[c, k] += pr.clip_mb[p]
    tm.msgs[i] += 1
    tm.video_mb[i] += pr.clip_mb[p]


@njit(cache=True, inline="always")
def _stream(acc, c, tm, pr, i, a, b, t0, dt, n_k):
    """The terminal's on-demand video over ``[a, b)``: megabytes into their windows."""
    a = max(a, 0.0, t0)
    if b <= a:
        return
    mb_per_s = pr.video_kbps[tm.prof[i]] / 8000.0
    k0, k1 = _win(a, t0, dt, n_k), _win(b - 1e-9, t0, dt, n_k)
    for k in range(k0, k1 + 1):
        s = min(t0 + (k + 1) * dt, b) - max(t0 + k * dt, a)
        if s > 0.0:
            acc.video_w[c, k] += s * mb_per_s
            acc.cell_w[c, tm.cell[i], k, 1] += s * mb_per_s * 1e6
            tm.video_mb[i] += s * mb_per_s


@njit(cache=True, inline="always")
def _video(acc, c, tm, pr, i, a, b, t0, dt, n_k):
    """On-demand video while the ignition is on over ``[a, b)``: the stream under way goes
    on (to ``vid_end``), requests arrive as a Poisson process (one stream at a time: a
    request during a stream is part of it); streams end with their session."""
    p, f = tm.prof[i], tm.fleet[i]
    if pr.video_kbps[p] <= 0.0 or pr.video_per_s[f] <= 0.0 or tm.blocked[i]:
        return
    if tm.vid_end[i] > a:
        _stream(acc, c, tm, pr, i, a, min(b, tm.vid_end[i]), t0, dt, n_k)
    tv = a + exponential(tm.rl, i, 1.0 / pr.video_per_s[f])
    while tv < b:
        if tv >= tm.vid_end[i]:
            tm.vid_end[i] = min(tv + exponential(tm.rl, i, pr.video_s[f]), tm.sess_end[i])
            _stream(acc, c, tm, pr, i, tv, min(b, tm.vid_end[i]), t0, dt, n_k)
        tv += exponential(tm.rl, i, 1.0 / pr.video_per_s[f])


@njit(cache=True, inline="always")
def _state_seconds(acc, c, st, a, b, t0, dt, n_k):
    """Terminal-seconds in state ``st`` over ``[a, b)``: the two end windows directly, the
    whole windows between them as differences (O(1) however long the stretch)."""
    a = max(a, t0, 0.0)
    if b <= a:
        return
    k0, k1 = _win(a, t0, dt, n_k), _win(b - 1e-9, t0, dt, n_k)
    if k0 == k1:
        acc.state_w[c, st, k0] += b - a
        return
    acc.state_w[c, st, k0] += t0 + (k0 + 1) * dt - a
    acc.state_w[c, st, k1] += b - (t0 + k1 * dt)
    if k1 > k0 + 1:
        acc.state_d[c, st, k0 + 1] += dt
        acc.state_d[c, st, k1] -= dt


@njit(cache=True, inline="always")
def _drive(acc, c, tm, pr, i, a, b, t0, dt, n_k):
    """Moving over ``[a, b)``: km, night km, alarms (Poisson per km), fatigue."""
    f, bh = tm.fleet[i], tm.beh[i]
    v = pr.speed_kmh[f]
    if a >= 0.0:
        lo = a
    else:
        lo = 0.0
    if b > lo:
        tm.km[i] += v * (b - lo) / 3600.0
        tm.night_km[i] += v * _night_overlap_s(lo, b) / 3600.0
        tm.move_s[i] += b - lo
    for kind in range(3):
        rate = pr.rate_per_km[bh, kind] * tm.mult[i] * v / 3600.0
        if rate <= 0.0:
            continue
        t = a + exponential(tm.rl, i, 1.0 / rate)
        while t < b:
            _event(acc, c, tm, pr, i, t, kind, t0, dt, n_k)
            t += exponential(tm.rl, i, 1.0 / rate)
    before = tm.drive_s[i]
    tm.drive_s[i] = before + (b - a)
    if not tm.fatigued[i] and tm.drive_s[i] >= FATIGUE_S:
        tm.fatigued[i] = True
        _event(acc, c, tm, pr, i, a + (FATIGUE_S - before), FATIGUE, t0, dt, n_k)


@njit(cache=True, inline="always")
def _advance_one(acc, c, tm, pr, i, s_start, s_end, s_blocked, k_lo, k_hi, t0, dt, n_k,
                 t_stop):
    """Walk terminal ``i`` from ``t_cur`` to ``t_stop`` (its sessions ``k_lo:k_hi``)."""
    p, f, bh = tm.prof[i], tm.fleet[i], tm.beh[i]
    k = k_lo
    t = tm.t_cur[i]
    while t < t_stop:
        st = tm.st[i]
        if st == OFF:
            nxt = s_start[k] if k < k_hi else np.inf
            end = min(nxt, t_stop)
            _state_seconds(acc, c, OFF, t, end, t0, dt, n_k)
            tm.msgs[i] += int(_count_reports(acc, c, tm, i, t, end, pr.iv_off[p],
                                             pr.msg_bytes[p], t0, dt, n_k, False))
            if nxt >= t_stop:
                t = t_stop
                break
            t = nxt
            tm.sess_end[i] = s_end[k]
            tm.blocked[i] = s_blocked[k]
            k += 1
            tm.st[i] = MOVING
            if t - tm.last_move_end[i] >= REST_S:
                tm.drive_s[i] = 0.0
                tm.fatigued[i] = False
            tm.seg_end[i] = min(t + exponential(tm.rl, i, pr.leg_s[f]), tm.sess_end[i])
            tm.next_rep[i] = t  # a report at every state change
            tm.vid_end[i] = t
            continue
        end = min(tm.seg_end[i], t_stop)
        iv = tm.iv_move[i] if st == MOVING else tm.iv_park[i]
        _state_seconds(acc, c, st, t, end, t0, dt, n_k)
        m = _count_reports(acc, c, tm, i, t, end, iv, pr.msg_bytes[p], t0, dt, n_k,
                           tm.blocked[i])
        if not tm.blocked[i]:
            tm.msgs[i] += int(m)
        if st == MOVING:
            _drive(acc, c, tm, pr, i, t, end, t0, dt, n_k)
        _video(acc, c, tm, pr, i, t, end, t0, dt, n_k)
        t = end
        if end < tm.seg_end[i]:
            break
        # the leg or stop is over
        if st == MOVING:
            tm.last_move_end[i] = end
        if end >= tm.sess_end[i]:
            tm.st[i] = OFF
            tm.blocked[i] = False
            tm.next_rep[i] = end  # the ignition-off report
        elif st == MOVING:
            tm.st[i] = PARKED
            tm.seg_end[i] = min(end + exponential(tm.rl, i, pr.stop_s[f, bh]), tm.sess_end[i])
            tm.next_rep[i] = end
        else:
            tm.st[i] = MOVING
            if end - tm.last_move_end[i] >= REST_S:
                tm.drive_s[i] = 0.0
                tm.fatigued[i] = False
            tm.seg_end[i] = min(end + exponential(tm.rl, i, pr.leg_s[f]), tm.sess_end[i])
            tm.next_rep[i] = end
    tm.t_cur[i] = t_stop


# Compiled without reference counting (numba's ``_nrt=False``): it allocates nothing, and
# counting the references of the bundles' arrays at every field read cost about 0.4 us per
# terminal and epoch, more than all the work (90x slower on an epoch with no events).
@njit(cache=True, _nrt=False)  # type: ignore[call-overload]
def _advance_chunk(acc, c, tm, pr, s_start, s_end, s_blocked, s_off, t0, dt, n_k, t_stop):
    n = tm.fleet.shape[0]
    lo = n * c // N_CHUNKS
    hi = n * (c + 1) // N_CHUNKS
    for i in range(lo, hi):
        _advance_one(acc, c, tm, pr, i, s_start, s_end, s_blocked, s_off[i], s_off[i + 1],
                     t0, dt, n_k, t_stop)


@njit(cache=True, parallel=True)
def advance(acc, tm, pr, s_start, s_end, s_blocked, s_off, t0, dt, n_k):
    """Advance every terminal through the epoch of ``n_k`` windows of ``dt`` from ``t0``.

    ``s_*`` are the epoch's sessions from :func:`plan_sessions` (terminal-major), with
    ``s_off[i]:s_off[i + 1]`` those of terminal ``i``; ``s_blocked`` the gateway's answer.
    """
    t_stop = t0 + n_k * dt
    for c in prange(N_CHUNKS):
        _advance_chunk(acc, c, tm, pr, s_start, s_end, s_blocked, s_off, t0, dt, n_k, t_stop)

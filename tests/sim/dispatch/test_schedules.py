"""Schedules, the insertion search and the schedule-planning dispatchers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.dispatch import get_dispatcher
from sim.dispatch import insertion as ins
from sim.dispatch.engine import REJECTED, SERVED
from sim.dispatch.schedule import N_LOAD, Requests, Schedules
from sim.dispatch.stops import DROPOFF, PICKUP


def line(xs):
    x = np.asarray(xs, dtype=float)
    return np.abs(x[:, None] - x[None, :])


def path_graph(xs):
    """CSR of a road through the points of ``xs`` (increasing), travel time = distance."""
    x = np.asarray(xs, dtype=float)
    n = x.size
    nbrs = [[k + 1] if k == 0 else [k - 1] if k == n - 1 else [k - 1, k + 1] for k in range(n)]
    indptr = np.r_[0, np.cumsum([len(a) for a in nbrs])].astype(np.int64)
    indices = np.concatenate(nbrs).astype(np.int64)
    w = np.abs(x[indices] - x[np.repeat(np.arange(n), np.diff(indptr))])
    return indptr, indices, w


def requests(T, rows, **kw):
    """rows: (created, origin, destination); keyword arrays as in Requests.build."""
    a = np.array(rows, dtype=float)
    return Requests.build(a[:, 0], a[:, 1].astype(int), a[:, 2].astype(int), T, **kw)


# ------------------------------------------------------------------ stops in place
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 12)), min_size=1, max_size=40))
def test_putting_and_taking_stops_keeps_the_order_of_a_list(ops):
    """Stops put at any place and taken from any place (the schedule growing past its width)
    leave every stop array as a Python list given the same operations would."""
    s = Schedules(2, np.ones((2, N_LOAD)), width=2)
    ref: list[tuple[int, int, int, float, float, float, float]] = []
    for k, (put, at) in enumerate(ops):
        if put or not ref:
            pos = min(at, len(ref))
            stop = (k, 1 + k % 4, k, float(k), float(k + 5), float(k % 3), float(k % 2))
            s._put(1, pos, stop[0], stop[1], stop[2], stop[3], stop[4], stop[5],
                   np.full(N_LOAD, stop[6]))
            ref.insert(pos, stop)
        else:
            pos = min(at, len(ref) - 1)
            s._remove(1, pos)
            del ref[pos]
        n = int(s.n[1])
        assert n == len(ref) and s.n[0] == 0
        got = list(zip(s.node[1, :n].tolist(), s.kind[1, :n].tolist(), s.req[1, :n].tolist(),
                       s.early[1, :n].tolist(), s.late[1, :n].tolist(), s.svc[1, :n].tolist(),
                       s.dload[1, :n, 0].tolist(), strict=True))
        assert got == ref
        assert (s.dload[1, :n, 1] == s.dload[1, :n, 0]).all()


# ------------------------------------------------------------------ insertion search
def simulate(T, start_node, start_t, start_load, stops, cap):
    """Times of a stop list done by hand; None if a window or a capacity breaks."""
    t, x, load, drive = start_t, start_node, np.array(start_load, float), 0.0
    for node, early, late, svc, dload in stops:
        drive += T[x, node]
        t = max(t + T[x, node], early)
        if t > late + 1e-9:
            return None
        load = load + dload
        if np.any(load > cap + 1e-9):
            return None
        t += svc
        x = node
    return drive


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 5), st.integers(0, 10_000))
def test_best_insertion_matches_brute_force(n_stops, seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (8, 2))
    T = np.linalg.norm(xy[:, None] - xy[None, :], axis=2)
    cap = np.array([3.0, np.inf, 3.0])
    s = Schedules(1, cap[None, :])
    # A random feasible schedule: stops with loose windows, riders picked up and dropped.
    stops = []
    onboard = 0
    for _ in range(n_stops):
        node = int(rng.integers(8))
        if onboard and rng.random() < 0.5:
            d = np.array([-1.0, 0.0, -1.0])
            onboard -= 1
        elif onboard < 3:
            d = np.array([1.0, 0.0, 1.0])
            onboard += 1
        else:
            d = np.array([-1.0, 0.0, -1.0])
            onboard -= 1
        late = float(rng.uniform(200, 1500))
        stops.append((node, 0.0, late, float(rng.uniform(0, 10)), d))
    start_load = np.zeros(N_LOAD)
    if simulate(T, 0, 0.0, start_load, stops, cap) is None:
        return  # infeasible to begin with
    s.n[0] = len(stops)
    for k, (node, early, late, svc, d) in enumerate(stops):
        s.node[0, k], s.early[0, k], s.late[0, k], s.svc[0, k] = node, early, late, svc
        s.dload[0, k] = d
        s.kind[0, k] = PICKUP if d[0] > 0 else DROPOFF
    s.p_node[0], s.p_time[0] = 0, 0.0
    s.refresh(0, T)
    base = simulate(T, 0, 0.0, start_load, stops, cap)
    o, d = int(rng.integers(8)), int(rng.integers(8))
    pl, dl = float(rng.uniform(50, 800)), float(rng.uniform(100, 1600))
    q = requests(T, [(0.0, o, d)], pickup_window=(np.zeros(1), np.array([pl])),
                 dropoff_window=(np.zeros(1), np.array([dl])), pickup_service_s=3.0,
                 dropoff_service_s=4.0)
    best = np.inf
    for i, j in itertools.combinations_with_replacement(range(len(stops) + 1), 2):
        trial = list(stops)
        trial.insert(j, (d, 0.0, dl, 4.0, -q.load[0]))
        trial.insert(i, (o, 0.0, pl, 3.0, q.load[0]))
        drive = simulate(T, 0, 0.0, start_load, trial, cap)
        if drive is not None:
            best = min(best, drive - base)
    got = s.check(0, T, q, 0, -1, -1)[0]
    if np.isinf(best):
        assert np.isinf(got)
    else:
        assert got == pytest.approx(best, abs=1e-6)


def test_diversion_point_on_a_path():
    # A path 0-1-2-3 with 10 s per edge; a vehicle left 0 for 3 at t = 0.
    indptr = np.array([0, 1, 3, 5, 6])
    indices = np.array([1, 0, 2, 1, 3, 2])
    w = np.full(6, 10.0)
    T = line([0, 10, 20, 30])
    assert ins.diversion_point(0, 3, 0.0, 30.0, 15.0, indptr, indices, w, T) == (2, 20.0)
    assert ins.diversion_point(0, 3, 0.0, 30.0, 0.0, indptr, indices, w, T) == (0, 0.0)
    assert ins.diversion_point(0, 3, 0.0, 30.0, 29.0, indptr, indices, w, T) == (3, 30.0)


# ------------------------------------------------------------------ dispatchers
def test_urgent_task_takes_the_vehicle_that_meets_its_deadline(engine_factory):
    # On a line: A starts at 0 and takes R0 to X = 900; the urgent U (960 -> 1260, due 900 s
    # after it is made) is cheapest for A (right after its drop-off: 360 s more driving) but A
    # would finish it at 1260; B, idle at 480, adds 780 s of driving and finishes at 790.
    T = line([0, 900, 960, 1260, 480])
    rows = [(0.0, 0, 1), (10.0, 2, 3)]
    kw = dict(deadline_s=np.array([np.inf, 910.0]), urgent=np.array([False, True]),
              priority=np.array([0, 2]))
    for name, expect in (("insertion", 0), ("priority", 1)):
        params = {"batch_window_s": 0.0} | ({"pooling": False} if name == "insertion" else {})
        env, e, _ = engine_factory(T, get_dispatcher(name, **params), [0, 4],
                                   requests(T, rows, **kw))
        e.start()
        env.run()
        assert e.vehicle_of[1] == expect, name
        assert (e.status == SERVED).all()
    assert e.dropoff_s[1] == pytest.approx(790.0)  # priority: B, on time


def test_urgent_task_diverts_a_vehicle_heading_to_an_ordinary_pickup(engine_factory):
    # A road 0-1-2-...-10, 100 s per edge. The only vehicle heads from 0 to an ordinary pickup
    # at 10; at t = 150 an urgent task appears at node 3 due at t = 600: the vehicle turns
    # off at node 2 (t = 200), serves the urgent task, then the ordinary one again.
    T = line(np.arange(11) * 100.0)
    graph = path_graph(np.arange(11) * 100.0)
    rows = [(0.0, 10, 9), (150.0, 3, 4)]
    q = requests(T, rows, deadline_s=np.array([np.inf, 600.0]), urgent=np.array([False, True]),
                 priority=np.array([0, 2]))
    env, e, host = engine_factory(T, get_dispatcher("priority", batch_window_s=0.0), [0], q,
                                  graph=graph)
    e.start()
    env.run()
    assert (e.status == SERVED).all()
    assert e.pickup_s[1] == pytest.approx(300.0)  # 150 -> node 2 at 200 -> node 3 at 300
    assert e.dropoff_s[1] == pytest.approx(400.0)
    assert e.pickup_s[0] == pytest.approx(1000.0)  # then 4 -> 10 (600 s)
    assert host.km == pytest.approx(200 + 100 + 100 + 600 + 100)


def test_pooling_shares_a_vehicle_and_capacity_is_enforced(engine_factory):
    # Two riders along one corridor; one vehicle far behind the second vehicle.
    T = line([0, 100, 1000, 1100, 5000])
    rows = [(0.0, 0, 2), (10.0, 1, 3)]
    lim = dict(pickup_window=(np.zeros(2), np.array([600.0, 610.0])),
               dropoff_window=(np.zeros(2), np.array([1e4, 1e4])))
    road = path_graph([0, 100, 1000, 1100, 5000])
    env, e, _ = engine_factory(T, get_dispatcher("insertion"), [0, 4], requests(T, rows, **lim),
                               seats=4, pooling=True, graph=road)
    e.start()
    env.run()
    assert e.vehicle_of.tolist() == [0, 0]
    assert e.pooled.all()
    # With one seat the second rider cannot board before the first leaves: vehicle 1 is
    # too far (5000 - 100 > 610 s), so the second request is rejected at once.
    env, e, _ = engine_factory(T, get_dispatcher("insertion"), [0, 4], requests(T, rows, **lim),
                               seats=1, pooling=True, graph=road)
    e.start()
    env.run()
    assert e.status.tolist() == [SERVED, REJECTED]


def test_batch_insertion_assigns_a_window_together(engine_factory):
    # Two requests, two vehicles: greedy by cost would give request 0 the vehicle both want.
    T = line([0, 10, 25, 1000, 1010, 1025])
    rows = [(0.0, 1, 4), (0.0, 2, 5)]
    env, e, _ = engine_factory(T, get_dispatcher("batch_insertion", batch_window_s=5.0),
                               [0, 3], requests(T, rows), seats=1)
    e.start()
    env.run()
    assert (e.status == SERVED).all()
    assert sorted(e.vehicle_of.tolist()) == [0, 1]


def test_dispatcher_params_have_a_schema():
    from pydantic import ValidationError

    for name, bad in (("batch_matching", {"batch_window_s": 0}),
                      ("rebalance", {"rebalance_interval_s": -1}),
                      ("insertion", {"candidates": 0}),
                      ("priority", {"typo": 1})):
        with pytest.raises(ValidationError):
            get_dispatcher(name, **bad)


def _planned_drive(e):
    s, T = e.schedules, e.T
    total = 0.0
    for v in range(s.n.size):
        if s.n[v] == 0:
            continue
        path = [int(s.p_node[v]), *s.node[v, :s.n[v]].tolist(), int(s.end_node[v])]
        total += sum(T[a, b] for a, b in zip(path[:-1], path[1:], strict=False))
    return total


def test_reoptimisation_keeps_windows_and_never_plans_more_driving(engine_factory):
    from sim.dispatch.reoptimise import reoptimise

    rng = np.random.default_rng(3)
    xy = np.vstack([[50.0, 50.0], rng.uniform(0, 100, (14, 2))])
    T = np.linalg.norm(xy[:, None] - xy[None, :], axis=2)
    n = 14
    q = Requests.build(np.zeros(n), np.arange(1, n + 1), np.full(n, -1), T,
                       pickup_window=(np.zeros(n), np.full(n, 2000.0)),
                       pickup_service_s=5.0, riders=0.0, goods=np.ones(n))
    env, e, _ = engine_factory(T, get_dispatcher("insertion"), [0, 0, 0], q, seats=0)
    e.schedules.cap[:, 1] = 10
    e.schedules.cap[:, 2] = np.inf
    e.schedules.end_node[:] = 0
    e.schedules.end_late[:] = 2500.0
    e.admit()
    e.decide()  # all fourteen placed by cheapest insertion, one at a time
    e.prepare(np.arange(3))
    before = _planned_drive(e)
    assert (e.status == 2).all()
    changed = reoptimise(e, iterations=200, vehicle_cost_s=0.0)
    assert changed  # cheapest insertion one at a time leaves room to improve here
    e.prepare(np.arange(3))
    after = _planned_drive(e)
    assert after <= before + 1e-9
    assert changed == (after < before - 1e-6)
    s = e.schedules
    for v in range(3):
        assert np.all(s.fs[v, :s.n[v]] >= -1e-6)
        assert s.end_slack[v] >= -1e-6
    assert sorted(s.req[v, k] for v in range(3) for k in range(s.n[v])) == list(range(n))
    env.run()
    assert (e.status == SERVED).all()


@pytest.mark.parametrize("departure", ["at_once", "for_window"])
def test_waiting_for_the_window_where_it_is_keeps_a_vehicle_free_for_later_stops(
        engine_factory, departure):
    # One vehicle at 0; a visit at 100 (window 500-900) is known at once, a visit at 10
    # (window 0-300) appears at t = 200. Leaving at once, the vehicle is on its way to 100
    # (it cannot turn: no road graph) and the second visit cannot be made in time: rejected.
    # Waiting where it is until it must leave (t = 400), it takes the new visit first (at
    # 210) and still reaches 100 by 500.
    T = line([0, 100, 10])
    q = Requests.build(np.array([0.0, 200.0]), np.array([1, 2]), np.array([-1, -1]), T,
                       pickup_window=(np.array([500.0, 0.0]), np.array([900.0, 300.0])),
                       pickup_service_s=0.0, riders=0.0, goods=np.ones(2))
    env, e, host = engine_factory(T, get_dispatcher("insertion", batch_window_s=0.0), [0], q,
                                  seats=0)
    e.schedules.cap[:, 1:] = 10  # goods (a visit's stay on board) and requests
    e.departure = departure
    e.start()
    env.run()
    if departure == "at_once":
        assert list(e.status) == [SERVED, REJECTED]
        assert e.pickup_s[0] == pytest.approx(500.0)  # arrived at 100, waited for the window
    else:
        assert (e.status == SERVED).all()
        assert e.pickup_s[1] == pytest.approx(210.0)
        assert e.pickup_s[0] == pytest.approx(500.0)  # 210 + 90, then waited 200 s there
        assert [s[2] for s in host.stops] == [1, 0]


@pytest.mark.parametrize("staggered", [False, True])
def test_reoptimisation_moves_pickups_with_their_drop_offs(engine_factory, staggered):
    # Eight pickup-and-delivery tasks placed by batch insertion; with re-optimisation PyVRP
    # re-plans them as shipments: every task on one vehicle, pickup before drop-off, all
    # served in their windows. Known at once (re-optimised in the first round, before any
    # vehicle leaves): less driving. Revealed one by one: later re-optimisations find tasks
    # on board, whose drop-offs stay on their vehicle.
    rng = np.random.default_rng(5)
    xy = np.vstack([[50.0, 50.0], rng.uniform(0, 100, (16, 2))])
    T = np.linalg.norm(xy[:, None] - xy[None, :], axis=2)
    n = 8
    created = np.arange(n) * 40.0 if staggered else np.zeros(n)
    q = Requests.build(created, np.arange(1, n + 1), np.arange(n + 1, 2 * n + 1), T,
                       pickup_window=(np.zeros(n), np.full(n, 1500.0)),
                       dropoff_window=(np.zeros(n), np.full(n, 2500.0)),
                       pickup_service_s=5.0, dropoff_service_s=5.0, riders=0.0,
                       goods=np.full(n, 3.0))
    driven = {}
    for every in (None, 60.0):
        params = {"batch_window_s": 30.0, "reoptimise_s": every, "reoptimise_iterations": 300}
        env, e, host = engine_factory(T, get_dispatcher("batch_insertion", **params),
                                      [0, 0, 0], q, seats=0)
        e.schedules.cap[:, 1] = 10  # goods: at most three tasks on board at once
        e.schedules.cap[:, 2] = np.inf
        e.schedules.end_node[:] = 0
        e.schedules.end_late[:] = 3000.0
        e.start()
        env.run()
        assert (e.status == SERVED).all()
        served_by = {}
        for v, kind, r, _node, start, _end in host.stops:
            served_by.setdefault(r, []).append((kind, v, start))
        for rows in served_by.values():
            assert [k for k, _, _ in rows] == [PICKUP, DROPOFF]
            assert rows[0][1] == rows[1][1] and rows[0][2] <= rows[1][2]
        assert np.all(e.pickup_s <= q.pickup_late_s + 1e-6)
        driven[every] = host.km
        if every is not None:
            assert e.reoptimisations >= (2 if staggered else 1)
    if not staggered:
        assert driven[60.0] < driven[None] - 1e-6

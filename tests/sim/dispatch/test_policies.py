"""Dispatchers on hand-made and random batches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.dispatch import DISPATCHERS, FleetView, RequestView, get_dispatcher
from sim.errors import FleetTwinError


class Matrix:
    """Travel times from a fixed matrix (rows: locations, cols: locations)."""

    def __init__(self, m: np.ndarray):
        self.m = m

    def times(self, src, dst):
        return self.m[np.ix_(src, dst)]


def batch(n_req: int, n_veh: int, seed: int, patience: float = 1e9):
    rng = np.random.default_rng(seed)
    n_loc = n_req + n_veh
    xy = rng.uniform(0, 1000, (n_loc, 2))
    m = np.abs(xy[:, None, :] - xy[None, :, :]).sum(axis=2)
    req = RequestView(
        ids=np.arange(n_req), origin=np.arange(n_req), created_s=rng.uniform(0, 30, n_req),
        latest_pickup_s=np.full(n_req, patience), deadline_s=np.full(n_req, np.inf),
        trip_s=np.full(n_req, 100.0), urgent=np.zeros(n_req, bool),
        priority=np.zeros(n_req, np.int64))
    fleet = FleetView(ids=np.arange(100, 100 + n_veh), location=np.arange(n_req, n_loc),
                      available_s=np.zeros(n_veh))
    return req, fleet, Matrix(m)


def total_pickup(pairs, req, fleet, tt):
    loc = dict(zip(fleet.ids.tolist(), fleet.location.tolist(), strict=True))
    return sum(tt.m[loc[v], req.origin[r]] for r, v in pairs)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 25), st.integers(1, 60), st.integers(0, 10_000),
       st.sampled_from([1e9, 400.0]), st.integers(1, 6))
def test_batch_matching_never_worse_than_greedy(n_req, n_veh, seed, patience, k):
    req, fleet, tt = batch(n_req, n_veh, seed, patience)
    g = get_dispatcher("nearest_idle").assign(0.0, req, fleet, tt)
    b = get_dispatcher("batch_matching", candidates=k).assign(0.0, req, fleet, tt)
    for pairs in (g, b):  # each request and vehicle at most once
        assert len({r for r, _ in pairs}) == len(pairs) == len({v for _, v in pairs})
    assert len(b) >= len(g)
    if len(b) == len(g):
        assert total_pickup(b, req, fleet, tt) <= total_pickup(g, req, fleet, tt) + 1e-6


def test_greedy_takes_oldest_first():
    m = np.array([[0, 5, 1], [5, 0, 4], [1, 4, 0]], dtype=float)
    req = RequestView(ids=np.array([7, 8]), origin=np.array([0, 1]),
                      created_s=np.array([5.0, 1.0]), latest_pickup_s=np.full(2, 1e9),
                      deadline_s=np.full(2, np.inf), trip_s=np.ones(2),
                      urgent=np.zeros(2, bool), priority=np.zeros(2, np.int64))
    fleet = FleetView(ids=np.array([3]), location=np.array([2]), available_s=np.zeros(1))
    # The vehicle is closer to request 7, but request 8 has waited longer.
    assert get_dispatcher("nearest_idle").assign(0, req, fleet, Matrix(m)) == [(8, 3)]
    # Batch matching minimises pickup time instead.
    assert get_dispatcher("batch_matching").assign(0, req, fleet, Matrix(m)) == [(7, 3)]


def test_registry_and_unknown_dispatcher():
    assert {"nearest_idle", "batch_matching", "priority"} <= set(DISPATCHERS)
    with pytest.raises(FleetTwinError, match="unknown dispatcher 'x'"):
        get_dispatcher("x")


def test_infeasible_pickup_is_not_assigned():
    req, fleet, tt = batch(3, 3, 1, patience=0.5)
    for name in ("nearest_idle", "batch_matching"):
        assert get_dispatcher(name).assign(0.0, req, fleet, tt) == []

"""The search back-end gives the tables' travel times wherever both fit."""

from __future__ import annotations

import numpy as np
import pytest

from sim.city.network import RoadNetwork, osm_network, synthetic_city
from sim.city.paths import compute_tables
from sim.city.schema import OsmNetwork, SyntheticCity
from sim.routing.router import GraphRouter


def _pbf() -> str:
    pyrosm = pytest.importorskip("pyrosm")
    return str(pyrosm.get_data("test_pbf"))  # ODbL, (c) OpenStreetMap contributors


def _osm(path: str) -> RoadNetwork:
    pytest.importorskip("osmnx")
    g = osm_network(OsmNetwork(path=path), "scenario.yaml")
    return RoadNetwork.from_graph(g, (0.0, 0.0))


def _agree(net: RoadNetwork, bound_s: float = np.inf) -> GraphRouter:
    table = compute_tables(net)
    router = GraphRouter.from_network(net, bound_s=bound_s)
    nodes = np.arange(net.n_nodes)
    # The dispatch matrix, every pair: exact within the bound, inf beyond it.
    m = router.times(nodes, nodes)
    near = table.time_s <= bound_s
    np.testing.assert_array_equal(m[near].astype(np.float32), table.time_s[near])
    assert np.isinf(m[table.time_s > bound_s * (1 + 1e-5)]).all()
    # Single pairs (A* with landmarks), every pair.
    a, b = (x.ravel() for x in np.meshgrid(nodes, nodes, indexing="ij"))
    t = router.time_s[a, b].reshape(table.time_s.shape)
    np.testing.assert_array_equal(t, table.time_s)
    # Driven lengths: those of a fastest path (the tables' own where the fastest is unique).
    d = router.dist_m[a, b].reshape(table.dist_m.shape)
    assert np.mean(d == table.dist_m) > 0.97
    # A whole row, and scalars as the engine reads them.
    np.testing.assert_array_equal(router.time_s[3], table.time_s[3])
    assert float(router.time_s[1, 2]) == float(table.time_s[1, 2])
    assert router.time_s.max() >= table.time_s.max()
    return router


def test_small_osm_fixture(fixtures_dir):
    _agree(_osm(str(fixtures_dir / "tiny_city.osm")))


def test_real_pbf_extract_shipped_by_pyrosm():
    net = _osm(_pbf())
    assert net.n_nodes > 100
    _agree(net)
    _agree(net, bound_s=120.0)


def test_synthetic_city_bounded_matrix():
    g = synthetic_city(SyntheticCity(rows=9, cols=11, removed_share=0.2),
                       np.random.default_rng(4))
    router = _agree(RoadNetwork.from_graph(g, (104.0, 30.0)), bound_s=300.0)
    assert router.memory_bytes() > 0


def test_dispatch_matrix_keeps_each_requests_nearest_vehicles():
    from sim.routing.router import MIN_NEAREST

    g = synthetic_city(SyntheticCity(rows=12, cols=12), np.random.default_rng(5))
    net = RoadNetwork.from_graph(g, (104.0, 30.0))
    table = compute_tables(net)
    router = GraphRouter.from_network(net)
    vehicles = np.random.default_rng(6).integers(0, net.n_nodes, 60)
    pickups = np.array([3, 50, 77])
    m = router.times(vehicles, pickups)
    full = table.time_s[np.ix_(vehicles, pickups)]
    for j in range(pickups.size):
        kept = np.isfinite(m[:, j])
        cut = np.sort(full[:, j])[MIN_NEAREST - 1]  # the 16th nearest vehicle's time
        assert kept.sum() >= MIN_NEAREST
        np.testing.assert_array_equal(m[kept, j].astype(np.float32), full[kept, j])
        assert (full[kept, j] <= cut).all() and (full[~kept, j] >= cut).all()


def test_dispatch_matrix_with_few_vehicles_has_every_pair_within_the_bound():
    g = synthetic_city(SyntheticCity(rows=12, cols=12, removed_share=0.1),
                       np.random.default_rng(7))
    net = RoadNetwork.from_graph(g, (104.0, 30.0))
    table = compute_tables(net)
    router = GraphRouter.from_network(net, bound_s=240.0)
    rng = np.random.default_rng(8)
    vehicles = rng.integers(0, net.n_nodes, 5)  # fewer vehicles than requests
    pickups = rng.integers(0, net.n_nodes, 40)
    m = router.times(vehicles, pickups)
    full = table.time_s[np.ix_(vehicles, pickups)]
    near = full <= 240.0  # some pairs take exactly 240.0 s: kept
    assert near.any() and (~near).any()
    np.testing.assert_array_equal(m[near].astype(np.float32), full[near])
    assert np.isinf(m[full > 240.0 * (1 + 1e-5)]).all()


@pytest.mark.parametrize("algorithm", ["nearest_idle", "batch_matching"])
def test_city_run_by_search_equals_the_run_by_tables(algorithm):
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import Simulation

    # Busy enough that some rounds have fewer idle vehicles than open requests (the matrix
    # searched from the vehicles) and others more (from the pickups).
    base = ["world.network.rows=10", "world.network.cols=10", "fleets.taxis.count=25",
            "demand.requests_per_day=4000", "demand.zones={}", "horizon_s=5400",
            "warmup_s=0", "start_time_s=28800", "world.cache_paths=false",
            f"policies.dispatch.algorithm={algorithm}", "policies.dispatch.max_pickup_s=300"]
    runs = {}
    for routing in ("tables", "search"):
        sim = Simulation(load_scenario("city_taxi", base + [f"world.routing={routing}"]),
                         seed=3)
        runs[routing] = (sim.run().kpis, sim.model)
    (k_tab, m_tab), (k_sea, m_sea) = runs["tables"], runs["search"]
    assert m_tab.travel.kind == "tables" and m_sea.travel.kind == "search"  # type: ignore
    # Same decisions: every request served by the same vehicle at the same time.
    np.testing.assert_array_equal(m_tab.engine.vehicle_of, m_sea.engine.vehicle_of)  # type: ignore
    np.testing.assert_array_equal(m_tab.engine.pickup_s, m_sea.engine.pickup_s)  # type: ignore
    for k in ("served", "wait_mean_s", "wait_p95_s", "service_rate"):
        assert k_tab[k] == k_sea[k], k
    assert k_sea["deadhead_ratio"] == pytest.approx(k_tab["deadhead_ratio"], abs=0.01)


def test_large_networks_refuse_schedule_planners(tmp_path):
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import Simulation
    from sim.errors import ScenarioError

    loaded = load_scenario("city_taxi", ["world.network.rows=6", "world.network.cols=6",
                                         "world.routing=search", "fleets.taxis.count=3",
                                         "demand.zones={}",
                                         "policies.dispatch.algorithm=insertion"])
    with pytest.raises(ScenarioError, match="policies.dispatch.algorithm"):
        Simulation(loaded)

"""Road networks: the synthetic generator, the OSM loader and the compiled travel tables."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim.city.network import RoadNetwork, synthetic_city
from sim.city.paths import compute_tables, travel_table
from sim.city.schema import SyntheticCity
from sim.engine.loading import load_scenario
from sim.engine.simulation import Simulation


def _city(**kw):
    cfg = SyntheticCity(**kw)
    g = synthetic_city(cfg, np.random.default_rng(0))
    return g, RoadNetwork.from_graph(g, (104.0, 30.0))


def test_synthetic_city_shape():
    g, net = _city(rows=20, cols=20, block_m=300, arterial_every=5, removed_share=0.1)
    classes = {d["road_class"] for _, _, d in g.edges(data=True)}
    assert classes == {"local", "arterial", "ring", "ramp"}
    assert nx.is_strongly_connected(g)
    assert 380 < net.n_nodes <= 400 + 40  # grid (minus cut-offs) plus ring nodes
    speeds = {d["road_class"]: d["speed_kmh"] for _, _, d in g.edges(data=True)}
    assert speeds["ring"] > speeds["arterial"] > speeds["local"]
    # Lon/lat from the origin: 300 m * 19 blocks east is about 0.059 degrees at 30 N.
    assert net.lonlat[:, 0].max() - 104.0 == pytest.approx(5700 / (111_320 * np.cos(np.radians(30))),
                                                          rel=0.2)


def test_tables_match_networkx_dijkstra():
    g, net = _city(rows=12, cols=12, removed_share=0.1)
    table = compute_tables(net)
    rng = np.random.default_rng(1)
    for s, d in rng.integers(0, net.n_nodes, (25, 2)):
        path = nx.shortest_path(g, int(s), int(d), weight="travel_time_s")
        t = nx.path_weight(g, path, "travel_time_s")
        length = nx.path_weight(g, path, "length_m")
        assert table.time_s[s, d] == pytest.approx(t, rel=1e-5)
        assert table.dist_m[s, d] == pytest.approx(length, rel=1e-4)


@pytest.mark.parametrize("removed_share", [0.0, 0.15])
def test_whole_and_chunked_tables_agree(removed_share):
    """SciPy's distances from the whole predecessor matrix (small networks) and the chunked
    kernel over each shortest-path tree (large ones) give the same tables, bit for bit; the
    chunks here (256 sources) do not divide the node count."""
    _, net = _city(rows=19, cols=17, removed_share=removed_share)
    assert net.n_nodes % 256 != 0 and net.n_nodes > 256
    whole = compute_tables(net)
    chunked = compute_tables(net, dense_max_nodes=0)
    np.testing.assert_array_equal(whole.time_s, chunked.time_s)
    np.testing.assert_array_equal(whole.dist_m, chunked.dist_m)
    assert whole.time_s.dtype == whole.dist_m.dtype == np.float32


def test_disk_cache_roundtrip(tmp_path):
    _, net = _city(rows=8, cols=8)
    timings: dict[str, float] = {}
    a = travel_table(net, tmp_path, timings)
    assert timings["shortest_paths_cached"] == 0.0
    b = travel_table(net, tmp_path, timings)
    assert timings["shortest_paths_cached"] == 1.0
    np.testing.assert_array_equal(a.time_s, b.time_s)
    np.testing.assert_array_equal(a.dist_m, b.dist_m)
    assert len(list((tmp_path / "paths").glob(f"{net.digest()}*.npy"))) == 2


def test_osm_network_from_xml(fixtures_dir):
    pytest.importorskip("osmnx")
    loaded = load_scenario(fixtures_dir / "osm_city.yaml")
    sim = Simulation(loaded)
    net = sim.model.net  # type: ignore[attr-defined]
    g = sim.model.graph  # type: ignore[attr-defined]
    assert 8 <= net.n_nodes <= 16
    assert np.allclose(net.lonlat.mean(axis=0), [104.064, 30.653], atol=0.01)
    # Row 2 is one-way: some edge of it exists in one direction only.
    one_way = [(u, v) for u, v in g.edges if not g.has_edge(v, u)]
    assert one_way
    rep = sim.run()
    assert rep.kpis["served"] > 0


def test_osm_missing_file_is_a_scenario_error(tmp_path, fixtures_dir):
    text = (fixtures_dir / "osm_city.yaml").read_text().replace("tiny_city.osm", "nowhere.osm")
    p = tmp_path / "s.yaml"
    p.write_text(text)
    from sim.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"world\.network\.path: file not found"):
        Simulation(load_scenario(p))

"""The synthetic city built from arrays is the one built through networkx, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from sim.city.network import RoadNetwork, _synthetic_edges, synthetic_city, synthetic_network
from sim.city.schema import SyntheticCity


def _same(a: RoadNetwork, b: RoadNetwork) -> None:
    np.testing.assert_array_equal(a.xy_m, b.xy_m)
    np.testing.assert_array_equal(a.lonlat, b.lonlat)
    for m in ("time_csr", "length_csr"):
        x, y = getattr(a, m), getattr(b, m)
        for part in ("indptr", "indices", "data"):
            np.testing.assert_array_equal(getattr(x, part), getattr(y, part))
    assert a.edges.keys() == b.edges.keys()
    for k in a.edges:
        assert a.edges[k].dtype == b.edges[k].dtype, k
        np.testing.assert_array_equal(a.edges[k], b.edges[k])
    assert a.digest() == b.digest()


@pytest.mark.parametrize("kw", [
    {"rows": 20, "cols": 20, "block_m": 300, "removed_share": 0.1},
    {"rows": 9, "cols": 11, "removed_share": 0.2},  # cut-off corners: largest component
    {"rows": 50, "cols": 40, "block_m": 133.3, "removed_share": 0.3, "arterial_every": 3},
    {"rows": 3, "cols": 5, "ring": False},
])
def test_arrays_equal_the_graph(kw):
    cfg = SyntheticCity(**kw)
    cut = []
    for seed in (0, 7):
        via_graph = RoadNetwork.from_graph(synthetic_city(cfg, np.random.default_rng(seed)),
                                           (104.0, 30.0))
        fast = synthetic_network(cfg, np.random.default_rng(seed), (104.0, 30.0))
        _same(via_graph, fast)
        laid = _synthetic_edges(cfg, np.random.default_rng(seed))[0].shape[0]
        cut.append(laid - fast.n_nodes)
    if kw.get("removed_share", 0) >= 0.3:
        assert max(cut) > 0  # the largest strongly connected component was taken


def test_graph_of_the_arrays_reads_back_the_same():
    net = synthetic_network(SyntheticCity(rows=12, cols=10, removed_share=0.2),
                            np.random.default_rng(3), (104.0, 30.0))
    g = net.to_graph()
    assert {d["road_class"] for _, _, d in g.edges(data=True)} == {"local", "arterial",
                                                                     "ring", "ramp"}
    _same(net, RoadNetwork.from_graph(g, (104.0, 30.0)))

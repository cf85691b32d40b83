"""The fast ``.net.xml`` reader gives the same network as sumolib's reader."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pytest

from sim.errors import ScenarioError
from sim.sumo.net import read_net, to_graph

pytest.importorskip("sumolib")

from sim.sumo.net import read_net_sumolib  # noqa: E402

#: Lanes that allow taxis in some ways and not in others, two lanes of different speeds and
#: lengths, an internal edge per junction, a crossing, a connector and a projection.
QUIRKS = """<net version="1.20">
    <location netOffset="-500000.00,-3400000.00" convBoundary="0,0,300,100"
              origBoundary="114,30,115,31"
              projParameter="+proj=utm +zone=50 +ellps=WGS84 +datum=WGS84 +units=m +no_defs"/>
    <edge id=":B_0" function="internal">
        <lane id=":B_0_0" index="0" speed="8.00" length="6.50"/>
        <lane id=":B_0_1" index="1" speed="8.00" length="9.25"/>
    </edge>
    <edge id=":B_c0" function="crossing" crossingEdges="AB">
        <lane id=":B_c0_0" index="0" speed="2.00" length="7.00" allow="pedestrian"/>
    </edge>
    <edge id=":C_0" function="internal">
        <lane id=":C_0_0" index="0" speed="9.00" length="4.00"/>
    </edge>
    <edge id="conn" function="connector" from="A" to="D">
        <lane id="conn_0" index="0" speed="30.00" length="1.00"/>
    </edge>
    <edge id="AB" from="A" to="B" priority="2">
        <lane id="AB_0" index="0" speed="13.89" length="100.00"/>
        <lane id="AB_1" index="1" speed="16.67" length="101.50"/>
    </edge>
    <edge id="BC" from="B" to="C">
        <lane id="BC_0" index="0" speed="11.00" length="95.00" disallow="pedestrian bicycle"/>
    </edge>
    <edge id="CB" from="C" to="B">
        <lane id="CB_0" index="0" speed="11.00" length="95.00" allow="bus"/>
        <lane id="CB_1" index="1" speed="12.00" length="95.00" allow="bus taxi"/>
    </edge>
    <edge id="BA" from="B" to="A">
        <lane id="BA_0" index="0" speed="13.89" length="100.00" disallow="all"/>
    </edge>
    <edge id="CD" from="C" to="D">
        <lane id="CD_0" index="0" speed="13.89" length="80.00" allow="bus"/>
    </edge>
    <edge id="DC" from="D" to="C">
        <lane id="DC_0" index="0" speed="13.89" length="80.00" disallow="taxi"/>
    </edge>
    <junction id="D" type="dead_end" x="300.00" y="50.00" incLanes="CD_0" intLanes=""/>
    <junction id="A" type="dead_end" x="0.00" y="0.00" incLanes="BA_0" intLanes=""/>
    <junction id="B" type="priority" x="100.00" y="0.00" incLanes="AB_0" intLanes=":B_0_0"/>
    <junction id=":B_0_0" type="internal" x="101.00" y="1.00" incLanes="" intLanes=""/>
    <junction id="C" type="priority" x="200.00" y="0.00" incLanes="BC_0" intLanes=":C_0_0"/>
    <connection from="AB" to="BC" fromLane="0" toLane="0" via=":B_0_0" dir="s" state="M"/>
</net>
"""


def _same(path: Path) -> None:
    fast = read_net(path, "scenario.yaml", path.name)
    ref = read_net_sumolib(path, "scenario.yaml", path.name)
    assert list(fast.xy) == list(ref.xy)  # junction order fixes the node numbers
    assert list(fast.edges) == list(ref.edges)
    assert fast == ref  # lengths, speeds, internal lengths, coordinates, lon/lat
    for e in ref.edges:  # the same graph once positions are added
        fast.position(e, 0.5 * ref.edges[e].length_m)
        ref.position(e, 0.5 * ref.edges[e].length_m)
    (g1, at1), (g2, at2) = to_graph(fast), to_graph(ref)
    assert at1 == at2
    assert list(g1.edges(data=True)) == list(g2.edges(data=True))
    assert list(g1.nodes(data=True)) == list(g2.nodes(data=True))


def test_the_shipped_grid(fixtures_dir: Path) -> None:
    _same(fixtures_dir / "sumo" / "grid3.net.xml")


def test_lane_permissions_speeds_crossings_connectors_and_projection(tmp_path: Path) -> None:
    pytest.importorskip("pyproj")
    path = tmp_path / "quirks.net.xml"
    path.write_text(QUIRKS)
    _same(path)
    net = read_net(path, "scenario.yaml", path.name)
    assert sorted(net.edges) == ["AB", "BC", "CB"]  # BA: none; CD: bus only; DC: no taxis
    assert net.edges["AB"].length_m == 100.0 and net.edges["AB"].speed_mps == 16.67
    assert net.edges["AB"].internal_m == pytest.approx((6.5 + 9.25) / 2)
    assert list(net.xy) == ["B", "C", "A", "D"]  # first mention, internal edges first
    assert net.lonlat is not None and net.lonlat["A"] == pytest.approx((117.0, 30.7329), abs=1e-4)


def test_gzip_compressed(tmp_path: Path, fixtures_dir: Path) -> None:
    path = tmp_path / "grid3.net.xml.gz"
    with gzip.open(path, "wb") as f:
        f.write((fixtures_dir / "sumo" / "grid3.net.xml").read_bytes())
    _same(path)


def test_netgenerate_random_network_with_sidewalks_and_crossings(tmp_path: Path) -> None:
    sumo = pytest.importorskip("sumo")
    tool = Path(sumo.SUMO_HOME) / "bin" / "netgenerate"
    if not tool.exists() and shutil.which("netgenerate") is None:
        pytest.skip("netgenerate is not installed")
    path = tmp_path / "rand.net.xml"
    subprocess.run([str(tool) if tool.exists() else "netgenerate", "--rand",
                    "--rand.iterations", "40", "--seed", "3", "-L", "2", "--sidewalks.guess",
                    "--crossings.guess", "-o", str(path)], check=True, capture_output=True,
                   timeout=60)
    _same(path)


@pytest.mark.parametrize("text, what", [
    ("<net><edge id='a' from='x' to='y'><lane speed='fast' length='1'/></edge></net>",
     "cannot read SUMO network"),
    ("<net><edge id='a' from='x' to='y'>", "cannot read SUMO network"),
    ("<net><edge id='a' from='x' to='y'><lane speed='1' length='1'/></edge></net>",
     "junction named by an edge but not in the file"),
    ("<net><edge id='a' from='x' to='y'><lane speed='1' length='1' allow='bus'/></edge></net>",
     "no edge in the SUMO network that taxis may use"),
])
def test_a_malformed_file_is_an_input_error(tmp_path: Path, text: str, what: str) -> None:
    path = tmp_path / "bad.net.xml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        read_net(path, "scenario.yaml", "bad.net.xml")
    assert what in str(err.value) and "world.network.path" in str(err.value)


def test_the_kept_part_is_networkx_relabelling_of_the_largest_component(tmp_path: Path) -> None:
    """``load_case``'s graph: the largest strongly connected part, nodes 0..n-1 in order,
    edges as networkx's subgraph and relabelling give them."""
    import networkx as nx

    from sim.sumo.case import load_case

    path = tmp_path / "quirks.net.xml"
    path.write_text(QUIRKS)
    (tmp_path / "r.rou.xml").write_text(
        '<routes><person id="p" depart="1"><ride from="BC" to="CB" departPos="20" '
        'arrivalPos="40" lines="taxi"/></person></routes>')
    pytest.importorskip("pyproj")
    case = load_case(str(path), [str(tmp_path / "r.rou.xml")], str(tmp_path / "s.yaml"))
    sn = read_net(path, "s.yaml", "quirks")
    sn.position("BC", 20.0), sn.position("CB", 40.0)
    g, _ = to_graph(sn)
    parts: list[set[int]] = [set(c) for c in nx.strongly_connected_components(g)]
    largest = max(parts, key=len)
    keep = sorted(largest)
    ref = nx.relabel_nodes(g.subgraph(keep).copy(), {k: i for i, k in enumerate(keep)})
    kept = case.graph.to_networkx()
    assert list(kept.nodes(data=True)) == sorted(ref.nodes(data=True))
    assert list(kept.edges(data=True)) == list(ref.edges(data=True))
    assert len(keep) < g.number_of_nodes()  # A and D are cut off: a part is kept


def test_largest_part_ties_go_to_the_lowest_node() -> None:
    import numpy as np

    from sim.sumo.case import largest_part
    from sim.sumo.net import SumoGraph

    def graph(u: list[int], v: list[int], n: int) -> SumoGraph:
        k = len(u)
        return SumoGraph(np.zeros((n, 2)), None, np.array(u), np.array(v), np.ones(k),
                         np.ones(k), np.ones(k), ["e"] * k, {})

    # Two cycles of three (nodes 3-5 and 0-2) and a lone node 6: the cycle holding node 0.
    g = graph([3, 4, 5, 0, 1, 2, 2], [4, 5, 3, 1, 2, 0, 6], 7)
    assert largest_part(g).tolist() == [0, 1, 2]
    # A larger cycle wins whatever its numbers.
    g = graph([0, 1, 2, 3, 4, 5, 6], [1, 0, 3, 4, 5, 6, 2], 7)
    assert largest_part(g).tolist() == [2, 3, 4, 5, 6]

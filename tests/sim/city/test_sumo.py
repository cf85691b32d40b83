"""SUMO files: a network, rides, trips and taxis in; requests and taxis out."""

from __future__ import annotations

import numpy as np
import pytest

from sim.city.network import RoadNetwork
from sim.city.paths import compute_tables
from sim.errors import ScenarioError

pytest.importorskip("sumolib")

from sim.sumo.case import apply_case, load_case  # noqa: E402
from sim.sumo.export import export_routes  # noqa: E402

RIDES = """<routes>
    <vType id="cab" vClass="taxi"><param key="has.taxi.device" value="true"/></vType>
    <trip id="t0" type="cab" depart="0" departPos="10" from="B1C1" to="B1C1"/>
    <trip id="t1" type="cab" depart="0" from="A0A1" to="A0A1"/>
    <person id="p0" depart="5" departPos="30">
        <ride from="A0A1" to="A1A2" arrivalPos="50" lines="taxi"/>
    </person>
    <person id="p1" depart="9">
        <walk from="A0B0" to="B0C0"/>
        <personTrip from="C2C1" to="A2B2" modes="taxi"/>
    </person>
    <trip id="car0" depart="12" from="B0B1" to="C1C2"/>
</routes>
"""


@pytest.fixture
def case_files(tmp_path, fixtures_dir):
    net = fixtures_dir / "sumo" / "grid3.net.xml"  # netgenerate --grid --grid.number 3
    (tmp_path / "rides.rou.xml").write_text(RIDES)
    return str(net), str(tmp_path / "rides.rou.xml"), str(tmp_path / "scenario.yaml")


def test_rides_trips_and_taxis_become_requests_and_starts(case_files):
    net, rides, source = case_files
    case = load_case(net, [rides], source)
    assert [r.id for r in case.rides] == ["p0", "p1", "car0"]
    assert [t.id for t in case.taxis] == ["t0", "t1"]
    assert case.rides[0].origin == ("A0A1", 30.0) and case.rides[0].destination == ("A1A2", 50.0)
    # A ride with no positions: from the start of its first edge to the end of its last.
    assert case.rides[1].origin == ("C2C1", 0.0)
    assert case.rides[1].destination == ("A2B2", case.net.edges["A2B2"].length_m)
    assert case.rides[1].depart_s == 9.0


def test_positions_keep_the_edge_lengths(case_files):
    net, rides, source = case_files
    case = load_case(net, [rides], source)
    road = case.road_network((0.0, 0.0))
    table = compute_tables(road)
    a01 = case.net.edges["A0A1"]
    o, d = int(case.ride_origin[0]), int(case.ride_destination[0])
    # p0 rides on along A0A1 from 30 m, through junction A1, and 50 m into A1A2.
    expect_m = (a01.length_m - 30.0) + a01.internal_m + 50.0
    assert float(table.dist_m[o, d]) == pytest.approx(expect_m, abs=0.01)
    assert float(table.time_s[o, d]) == pytest.approx(expect_m / a01.speed_mps, rel=1e-5)
    # The pickup node is entered only from A0 and left only toward A1, as on the edge.
    g = case.graph.to_networkx()
    assert g.in_degree(o) == 1 and g.out_degree(o) == 1


def test_unknown_edges_are_all_named(tmp_path, case_files):
    net, _, source = case_files
    bad = tmp_path / "bad.rou.xml"
    bad.write_text(RIDES.replace('to="A1A2"', 'to="ZZ9"').replace('from="B0B1"', 'from="QQ"'))
    with pytest.raises(ScenarioError) as err:
        load_case(net, [str(bad)], source)
    text = str(err.value)
    assert "bad.rou.xml" in text
    assert "person[id=p0].ride.to" in text and "ZZ9" in text
    assert "trip[id=car0].from" in text and "QQ" in text


def test_scenario_gets_requests_and_taxis(case_files):
    from sim.engine.loading import load_scenario

    net, rides, source = case_files
    case = load_case(net, [rides], source)
    sc = apply_case(load_scenario("city_taxi", []).scenario, case)
    assert [r.t_s for r in sc.demand.requests] == [5.0, 9.0, 12.0]
    fleet = next(iter(sc.fleets.values()))
    assert fleet.count == 2 and fleet.start_nodes == case.taxi_node.tolist()


def test_written_routes_read_back_to_the_same_nodes(tmp_path, case_files):
    net, rides, source = case_files
    case = load_case(net, [rides], source)
    road = case.road_network((0.0, 0.0))
    out = export_routes(tmp_path / "out", road, np.array([5.0, 9.0, 12.0]), case.ride_origin,
                        case.ride_destination, case.taxi_node, case=case)
    again = load_case(net, [str(out)], source)
    np.testing.assert_array_equal(again.ride_origin, case.ride_origin)
    np.testing.assert_array_equal(again.ride_destination, case.ride_destination)
    np.testing.assert_array_equal(again.taxi_node, case.taxi_node)


def test_plain_network_written_for_other_networks(tmp_path):
    from sim.city.network import synthetic_city
    from sim.city.schema import SyntheticCity

    g = synthetic_city(SyntheticCity(rows=4, cols=4, ring=False), np.random.default_rng(0))
    road = RoadNetwork.from_graph(g, (104.0, 30.0))
    out = export_routes(tmp_path, road, np.array([1.0]), np.array([0]), np.array([5]),
                        np.array([3]))
    text = out.read_text()
    assert 'from="e0_' in text and 'line="taxi"' in text
    assert (tmp_path / "net.edg.xml").read_text().count("<edge ") == road.edges["u"].size


def _scenario(tmp_path, net: str, rides: str):
    p = tmp_path / "sumo_case.yaml"
    p.write_text(f"""name: sumo_case
kind: city_fleet
seed: 1
horizon_s: 1800
warmup_s: 0
world:
  network: {{source: sumo, path: {net}, routes: [{rides}]}}
  cache_paths: false
fleets:
  cabs: {{count: 1, vehicle_profile: sedan_ice, terminal_profile: jt808_basic}}
demand:
  patience_s: 1800
""")
    return p


def test_a_sumo_case_runs_and_bad_edges_exit_2(tmp_path, case_files, capsys):
    from sim.cli.main import main
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import Simulation

    net, rides, _ = case_files
    sim = Simulation(load_scenario(_scenario(tmp_path, net, rides)))
    kpis = sim.run().kpis
    assert sim.model.fleet.n == 2  # type: ignore[attr-defined]  # the file's two taxis
    assert kpis["requests"] == 3 and kpis["served"] == 3
    bad = tmp_path / "bad.rou.xml"
    bad.write_text(RIDES.replace('to="A1A2"', 'to="ZZ9"'))
    code = main(["run", str(_scenario(tmp_path, net, str(bad))), "--out",
                 str(tmp_path / "runs"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "bad.rou.xml" in err and "person[id=p0].ride.to" in err and "ZZ9" in err

"""OpenStreetMap files: .osm XML and .osm.pbf, speeds by highway type, bad files."""

from __future__ import annotations

import networkx as nx
import pytest

from sim.city.network import osm_network
from sim.city.osm import HIGHWAY_KMH
from sim.city.schema import OsmNetwork
from sim.errors import ScenarioError

pytest.importorskip("osmnx")

NO_ROADS = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="30.650" lon="104.060"/>
  <node id="2" lat="30.651" lon="104.061"/>
  <node id="3" lat="30.652" lon="104.060"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>
  <way id="11"><nd ref="1"/><nd ref="3"/><tag k="building" v="yes"/></way>
</osm>
"""


def test_pbf_extract_is_read_strongly_connected_with_speeds_by_type():
    pyrosm = pytest.importorskip("pyrosm")
    path = str(pyrosm.get_data("test_pbf"))  # ODbL, (c) OpenStreetMap contributors
    g = osm_network(OsmNetwork(path=path, highway_kmh={"residential": 25.0}), "s.yaml")
    assert g.number_of_nodes() > 100 and nx.is_strongly_connected(g)
    by_type: dict[str, set[float]] = {}
    for _, _, d in g.edges(data=True):
        by_type.setdefault(d["road_class"], set()).add(d["speed_kmh"])
        assert d["travel_time_s"] == pytest.approx(d["length_m"] / (d["speed_kmh"] / 3.6))
    # Residential ways have no maxspeed tag in this extract: the override applies.
    assert by_type["residential"] == {25.0}
    # Secondary roads carry maxspeed=80 tags, which win over the type's default.
    assert 80.0 in by_type["secondary"] and HIGHWAY_KMH["secondary"] != 80.0


def test_file_with_no_drivable_roads_names_file_and_value(tmp_path):
    f = tmp_path / "paths_only.osm"
    f.write_text(NO_ROADS)
    with pytest.raises(ScenarioError) as err:
        osm_network(OsmNetwork(path=str(f)), str(tmp_path / "s.yaml"))
    text = str(err.value)
    assert "world.network.path" in text and "no drivable roads" in text
    assert "paths_only.osm" in text


def test_cli_exit_2_without_traceback(tmp_path, fixtures_dir, capsys):
    from sim.cli.main import main

    (tmp_path / "paths_only.osm").write_text(NO_ROADS)
    text = (fixtures_dir / "osm_city.yaml").read_text().replace("tiny_city.osm",
                                                                "paths_only.osm")
    (tmp_path / "s.yaml").write_text(text)
    assert main(["run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "runs"),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "no drivable roads" in err and "paths_only.osm" in err and "Traceback" not in err

"""Speeds by time of day: periods, slower tables at the peaks, per-class and per-edge factors,
bad factors named."""

from __future__ import annotations

import numpy as np
import pytest

from sim.city.network import RoadNetwork, synthetic_city
from sim.city.schema import Speeds, SyntheticCity, World
from sim.city.speeds import CN_CONGESTION_INDEX, SpeedPeriods
from sim.city.travel import build_travel_times
from sim.errors import ScenarioError

H = 3600.0


def _net(rows: int = 8) -> RoadNetwork:
    g = synthetic_city(SyntheticCity(rows=rows, cols=rows, arterial_every=3),
                       np.random.default_rng(2))
    return RoadNetwork.from_graph(g, (104.0, 30.6))


def test_profile_hours_share_periods():
    net = _net()
    sp = SpeedPeriods.build(Speeds(profile="cn_congestion"), net, "s.yaml")
    assert len(sp.periods) == len(set(CN_CONGESTION_INDEX))
    assert sp.at(17.5 * H) == sp.at(18.2 * H) != sp.at(3 * H)
    assert sp.at(3 * H + 86400) == sp.at(3 * H)  # any day
    assert sp.next_change_s(16.5 * H) == pytest.approx(0.5 * H)
    free = SpeedPeriods.build(Speeds(), net, "s.yaml")
    assert len(free.periods) == 1 and free.periods[0].free_flow
    assert free.next_change_s(5 * H) == np.inf


def test_evening_peak_trip_takes_longer(tmp_path):
    net = _net()
    tt = build_travel_times(net, World(speeds=Speeds(profile="cn_congestion")), "s.yaml",
                            tmp_path)
    night, peak = tt.at(3 * H), tt.at(18 * H)
    ratio = CN_CONGESTION_INDEX[18] / CN_CONGESTION_INDEX[3]
    off = ~np.eye(net.n_nodes, dtype=bool)
    np.testing.assert_allclose(peak.time_s[off] / night.time_s[off], ratio, rtol=1e-5)
    # The same factor on every road: the same routes (up to ties between equally fast
    # paths), so the same driven distances.
    assert np.mean(peak.dist_m == night.dist_m) > 0.95
    assert peak.dist_m.mean() == pytest.approx(night.dist_m.mean(), rel=0.01)


def test_slower_arterials_move_routes_to_local_streets(tmp_path):
    net = _net(10)
    slow = [1.0] * 7 + [0.3] * 2 + [1.0] * 15  # arterials crawl 07-09
    tt = build_travel_times(net, World(speeds=Speeds(factors={"arterial": slow})), "s.yaml",
                            tmp_path)
    free, peak = tt.at(3 * H), tt.at(8 * H)
    assert len(tt.backends) == 2
    assert (peak.time_s >= free.time_s - 1e-3).all() and (peak.time_s > free.time_s).any()
    assert (peak.dist_m != free.dist_m).any()  # some fastest paths change


def test_edge_file_factors_and_bad_rows(tmp_path):
    net = _net()
    u, v = int(net.edges["u"][0]), int(net.edges["v"][0])
    f = tmp_path / "edges.csv"
    f.write_text(f"u,v,hour,factor\n{u},{v},8,0.5\n{u},{v},,0.9\n")
    sp = SpeedPeriods.build(Speeds(edges_file=str(f)), net, str(tmp_path / "s.yaml"))
    assert len(sp.periods) == 2
    assert sp.periods[sp.at(8 * H)].edge_factor[0] == 0.5
    assert sp.periods[sp.at(9 * H)].edge_factor[0] == 0.9
    f.write_text(f"u,v,hour,factor\n{u},{v},8,0\n99999,0,,1\n{u},{v},25,1\n")
    with pytest.raises(ScenarioError) as err:
        SpeedPeriods.build(Speeds(edges_file=str(f)), net, str(tmp_path / "s.yaml"))
    text = str(err.value)
    assert "edges.csv" in text and "3 problems" in text
    assert "row 2.factor" in text and "(got '0')" in text
    assert "row 3.u,v: no such road edge" in text and "99999,0" in text
    assert "row 4.hour" in text


def test_factor_not_above_zero_is_an_input_error(tmp_path, capsys):
    from sim.cli.main import main

    bad = "[" + ", ".join(["1"] * 17 + ["0"] + ["1"] * 6) + "]"
    code = main(["run", "city_taxi", "--set", f"world.speeds.factors={{arterial: {bad}}}",
                 "--out", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "world.speeds.factors.arterial[17]" in err and "(got 0)" in err


def _evening(extra: list[str]) -> tuple[dict[str, float], object]:
    from sim.engine.loading import load_scenario
    from sim.engine.simulation import Simulation

    base = ["world.network.rows=12", "world.network.cols=12", "fleets.taxis.count=40",
            "demand.requests_per_day=3000", "demand.zones={}", "horizon_s=7200",
            "warmup_s=0", "start_time_s=61200", "world.cache_paths=false"]
    sim = Simulation(load_scenario("city_taxi", base + extra), seed=5)
    rep = sim.run()
    return rep.kpis, sim.model


def test_dispatch_and_trips_follow_the_evening_peak():
    free, m0 = _evening([])
    peak, m1 = _evening(["world.speeds.profile=cn_congestion"])
    r0, r1 = m0.req, m1.req  # type: ignore[attr-defined]
    np.testing.assert_array_equal(r0.origin, r1.origin)  # same demand, only speeds differ
    # 17:00-19:00: the index is 1.8, every direct ride takes 1.8 times as long.
    ride = r0.trip_s > 0
    np.testing.assert_allclose(r1.trip_s[ride] / r0.trip_s[ride], 1.8, rtol=1e-5)
    np.testing.assert_allclose(m1.engine.q.direct_s[ride] / m0.engine.q.direct_s[ride], 1.8,
                               rtol=1e-5)
    # Dispatch sees the slower roads: vehicles reach riders later, fewer are served.
    assert peak["wait_mean_s"] > 1.2 * free["wait_mean_s"], (peak, free)
    assert peak["service_rate"] < free["service_rate"]


def test_tables_swap_at_the_period_boundary():
    kpis, m = _evening(["world.speeds.profile=cn_congestion", "start_time_s=55800"])
    # 15:30 start: 1.4 until 16:00, 1.5 from 16:00, 1.8 from 17:00 (the run ends 17:30).
    assert m.engine.T is m.travel.at(17.2 * H).time_s  # type: ignore[attr-defined]
    assert m.T is m.engine.T and kpis["served"] > 0  # type: ignore[attr-defined]

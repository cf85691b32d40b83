"""The rollout model end to end on the small scenario: plans, windows, records, hand-over."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.engine.loading import load_scenario
from sim.engine.simulation import Simulation
from sim.hotline.abandon import fcfs_abandon
from sim.rollout.crews import Travel, plan_day, retime
from sim.rollout.handover import iptv_scenario, site_groups

from .conftest import SMALL

DAY = 86400.0


def test_crew_plans_never_break_time_windows(small_run) -> None:  # type: ignore[no-untyped-def]
    model, _ = small_run
    v, o, s = model.visits, model.orders, model.s
    done = np.flatnonzero(~np.isnan(v.end_s))
    assert done.size > 200
    day = (v.start_s[done] // DAY).astype(int)
    tod = v.start_s[done] - day * DAY
    assert np.all(tod >= v.early_s[done])
    assert np.all(tod <= v.late_s[done])
    assert np.all(v.end_s[done] - v.start_s[done] == v.service_s[done])
    travel = Travel(s.installation.travel_kmh, s.installation.detour)
    shift = model.shift
    # every crew's day: drive from the depot, visits in order, back by the end of the shift
    key = o.province[v.order[done]] * 10**6 + o.team[v.order[done]] * 10**4 + v.crew[done]
    for k in np.unique(key * 1000 + day):
        mine = done[key * 1000 + day == k]
        mine = mine[np.argsort(v.start_s[mine])]
        pts = np.vstack([[0.0, 0.0], np.column_stack([o.x_km[v.order[mine]],
                                                      o.y_km[v.order[mine]]])])
        _, secs = travel.matrices(pts)
        t = shift[0]
        for j, g in enumerate(mine):
            start = v.start_s[g] - (v.start_s[g] // DAY) * DAY
            assert start >= t + secs[j, j + 1]
            t = start + v.service_s[g]
        assert t + secs[len(mine), 0] <= shift[1]


def test_retime_reports_a_broken_window() -> None:
    secs = np.array([[0, 600], [600, 0]])
    stops, back, broken = retime([0], secs, np.array([3600]), np.array([36000]),
                                 np.array([36000]), (30600, 63000))
    assert broken == [] and stops[0].start_s == 36000 and back == 40200
    _, _, broken = retime([0], secs, np.array([3600]), np.array([36000]), np.array([30000]),
                          (30600, 63000))
    assert broken and "latest start" in broken[0]


def test_daily_plan_serves_what_fits() -> None:
    # four crews, six visits of 6 h in a 9 h shift: at most one each
    xy = np.array([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0], [0.0, -1.0], [2.0, 2.0], [5.0, 5.0]])
    service = np.full(6, 6 * 3600)
    early = np.full(6, 9 * 3600)
    late = 17 * 3600 - service
    p = plan_day(xy, service, early, late, np.zeros(6), 4, (30600, 63000), Travel(30, 1.3),
                 20, 1)
    assert sum(len(r) for r in p.routes) == 4
    assert all(len(r) == 1 for r in p.routes)


def test_lead_times_and_backlog_are_consistent(small_run) -> None:  # type: ignore[no-untyped-def]
    model, result = small_run
    k = result.kpis
    assert k["activated_dec31"] <= k["ordered_boxes"]
    assert k["routes_rejected"] == 0
    prov = result.tables["provinces"].to_pydict()
    assert sum(prov["activated_dec31"]) == k["activated_dec31"]
    assert all(x >= 0 for x in prov["peak_backlog_boxes"])
    assert 0 < k["lead_time_median_d"] <= k["lead_time_p95_d"]


def test_activations_never_before_the_order_or_the_launch(small_run) -> None:  # type: ignore[no-untyped-def]
    model, _ = small_run
    v, o = model.visits, model.orders
    done = ~np.isnan(v.end_s)
    assert np.all(v.start_s[done] >= o.t_s[v.order[done]])
    assert np.all(o.t_s >= model.on_sale_s[o.province])


def test_pool_paid_in_activation_order_in_the_run(small_run) -> None:  # type: ignore[no-untyped-def]
    _, result = small_run
    k = result.kpis
    assert k["pool_boxes"] == k["activated_dec31"]  # a small run never empties the pool


def test_same_seed_same_results(small_run) -> None:  # type: ignore[no-untyped-def]
    _, first = small_run
    again = Simulation(load_scenario(SMALL)).run()
    assert again.kpis.keys() == first.kpis.keys()
    np.testing.assert_array_equal(list(again.kpis.values()), list(first.kpis.values()))


def test_plans_do_not_depend_on_the_worker_processes(small_run) -> None:  # type: ignore[no-untyped-def]
    _, first = small_run
    two = Simulation(load_scenario(SMALL, ["installation.workers=2"])).run()
    np.testing.assert_array_equal(list(two.kpis.values()), list(first.kpis.values()))


def test_fewer_installers_never_activate_more() -> None:
    base = Simulation(load_scenario(SMALL, ["installation.crew_factor=0.3"])).run()
    full = Simulation(load_scenario(SMALL)).run()
    assert base.kpis["activated_dec31"] < full.kpis["activated_dec31"]
    assert base.kpis["lead_time_p95_d"] > full.kpis["lead_time_p95_d"]


def test_handover_sites_are_the_installed_base(small_run) -> None:  # type: ignore[no-untyped-def]
    model, result = small_run
    rows = result.tables["handover"].to_pylist()
    s = model.s
    at = s.date_s(s.handover_date)
    v = model.visits
    installed = v.boxes[~np.isnan(v.end_s) & (v.end_s <= at)].sum()
    assert sum(r["boxes"] for r in rows) == installed
    doc = iptv_scenario({"name": "x", "kind": "iptv", "horizon_s": 3600}, rows, "x_installed")
    groups = site_groups(rows)
    assert doc["site_groups"] == groups
    assert {g["province"] for g in groups} <= set(s.provinces)
    from sim.iptv.scenario import SiteGroup
    for g in groups:
        SiteGroup.model_validate(g)  # the IPTV schema accepts every group


def test_fast_queue_matches_the_simpy_hotline_call_for_call() -> None:
    loaded = load_scenario("hotline_support", ["horizon_s=20000", "warmup_s=0"])
    sim = Simulation(loaded)
    sim.run()
    m = sim.model
    ans, ab = fcfs_abandon(m.arrival_s, m.handle_s, np.full(m.arrival_s.size, np.inf),
                           loaded.scenario.agents)
    assert not ab.any()
    np.testing.assert_allclose(ans[~np.isnan(m.answered_s)],
                               m.answered_s[~np.isnan(m.answered_s)], rtol=0, atol=1e-6)


def test_impatient_callers_abandon() -> None:
    arr = np.array([0.0, 1.0, 2.0])
    ans, ab = fcfs_abandon(arr, np.array([100.0, 100.0, 100.0]), np.array([5.0, 5.0, 200.0]),
                           1)
    assert ab.tolist() == [False, True, False]
    assert ans[2] == 100.0


@pytest.mark.parametrize("day", [dt.date(2016, 7, 11)])
def test_batch_dates(day: dt.date, small_run) -> None:  # type: ignore[no-untyped-def]
    model, _ = small_run
    assert model.on_sale_s[0] == (day - dt.date(2016, 1, 1)).days * DAY


def test_handover_command_writes_a_valid_iptv_scenario(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sim.cli.main import main
    from sim.rollout.handover import main as handover

    assert main(["run", str(SMALL), "--out", str(tmp_path), "--name", "r", "--quiet"]) == 0
    out = tmp_path / "dec.yaml"
    assert handover([str(tmp_path / "r"), "--base", "iptv_hotel_district", "--out",
                     str(out)]) == 0
    loaded = load_scenario(out)  # the IPTV schema and its profile references accept it
    groups = loaded.scenario.site_groups
    assert {g.province for g in groups} <= {"Tibet", "Beijing", "Ningxia"}
    import pyarrow.parquet as pq
    orders = pq.read_table(tmp_path / "r" / "tables" / "orders.parquet").to_pandas()
    assert orders["enterprise_id"].is_unique
    assert orders["enterprise_id"].str.match(r"^(54|11|64)\d{7}$").all()


def test_national_cash_flow_is_the_kpis_cash_flow(small_run) -> None:  # type: ignore[no-untyped-def]
    from sim.economics.finance import appraise

    model, result = small_run
    cash = result.tables["cashflow"].to_pandas()
    nat = cash[cash["province"] == "national"].sort_values("month")
    inflow = nat[["box_sales_cny", "fees_cny", "vas_cny", "incentive_cny"]].sum(axis=1)
    assert np.allclose(nat["net_cny"], inflow - nat[[
        "settlement_cny", "boxes_cny", "crews_cny", "agents_cny", "partner_cny",
        "centre_agents_cny"]].sum(axis=1))
    a = appraise(inflow.to_numpy(), (inflow - nat["net_cny"]).to_numpy(),
                 model.s.economics.discount_rate_yearly)
    assert a.npv_cny == pytest.approx(result.kpis["npv_cny"])
    provinces = cash[cash["province"] != "national"]
    assert provinces["box_sales_cny"].sum() == pytest.approx(
        449.0 * result.kpis["activated_dec31"])

"""The shop-camera platform model: accounting, storms, campaigns, money, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.cameras.business import shop_month
from sim.cameras.schema import Economics
from sim.cli.main import main
from sim.engine.simulation import Simulation, run_scenario
from sim.errors import ScenarioError
from tests.sim.cameras.conftest import small


def test_every_viewing_attempt_has_one_outcome(small_run) -> None:  # type: ignore[no-untyped-def]
    k = small_run.kpis
    parts = (k["liveview_served"] + k["liveview_blocked"] + k["hotlink_rejected"]
             + k["liveview_camera_offline"])
    assert parts == k["liveview_attempts"]
    # every attempt presents a token, and a long session a new one every ttl_s
    assert k["token_checks"] == k["liveview_attempts"] + k["token_renewals"]
    assert k["token_renewals"] > 0


def test_hotlink_share_is_what_the_scenario_says(small_run) -> None:  # type: ignore[no-untyped-def]
    k = small_run.kpis
    n = k["liveview_attempts"]
    share = k["hotlink_rejected"] / n
    assert abs(share - 0.02) < 4 * math.sqrt(0.02 * 0.98 / n)


def test_every_cut_camera_registers_again(small_run) -> None:  # type: ignore[no-untyped-def]
    k = small_run.kpis
    assert k["storm_cameras"] > 50
    assert k["storm_recovery_s"] > 0
    # after a cut, a reboot or an upgrade every camera registers exactly once more
    expected = k["storm_cameras"] + k["reboots"] + k["firmware_upgraded"] \
        + k["firmware_rolled_back"]
    assert k["registrations"] == pytest.approx(expected, abs=5)  # a cut during an upgrade


def test_blocking_needs_a_full_streaming_server(small_run) -> None:  # type: ignore[no-untyped-def]
    k = small_run.kpis
    assert k["streaming_peak"] <= 20
    assert k["liveview_blocked"] == 0 or k["streaming_peak"] == 20
    # every relayed session is a 512 or 384 kbit/s sub-stream
    assert 0.384 * k["streaming_peak"] <= k["streaming_peak_mbps"] <= 0.512 * k["streaming_peak"]


def test_ops_statistics_add_up_to_the_kpis(small_run) -> None:  # type: ignore[no-untyped-def]
    rep = small_run.replications[0]
    ops = rep.series["opsstream"].to_pandas()
    total = ops.groupby("statistic")["value"].sum()
    assert total["liveview_sessions"] == rep.kpis["liveview_attempts"]
    assert total["hotlink_rejected"] == rep.kpis["hotlink_rejected"]
    assert set(ops["district"]) == {"Guangdong", "Jiangsu", "Fujian", "Shanghai", "Anhui"}
    up = total["camera_upload_gb"] / small().scenario.horizon_s * 86400
    assert up == pytest.approx(rep.kpis["upload_gb_per_day"])


def test_fewer_workers_slow_the_registration_storm() -> None:
    def storm(workers: int) -> dict[str, float]:
        loaded = small(f"platform.workers={workers}", "platform.register_s=0.5",
                       "power_cut.share=1", "firmware_campaign=null", "reboot=null")
        return Simulation(loaded).run().kpis

    few, many = storm(1), storm(8)
    assert few["storm_recovery_s"] > 2 * many["storm_recovery_s"]
    assert few["registration_retries"] > many["registration_retries"]


def test_same_seed_same_result() -> None:
    loaded = small("horizon_s=3600", "firmware_campaign=null")
    a = Simulation(loaded, seed=3).run().kpis
    b = Simulation(loaded, seed=3).run().kpis
    assert a == pytest.approx(b, nan_ok=True)


def test_business_models_by_hand() -> None:
    e = Economics(function_fee_cny=30, rent_cny_per_camera=15, platform_price_cny=3_600_000,
                  amortisation_months=36, device_life_months=30, partner_share=0.4,
                  storage_cny_per_gb_month=0.1, network_cny_per_shop_month=3,
                  streaming_cny_per_server_month=1000, platform_opex_cny_per_month=0)
    # buyout, rented: fee + 2 x rent; network + storage + platform share + devices
    r = shop_month(e, "buyout", True, 2.0, 300.0, 10_000, 50.0, 2)
    assert r.operator_revenue_cny == pytest.approx(30 + 30)
    assert r.operator_cost_cny == pytest.approx(3 + 5 + (100_000 + 2000) / 10_000 + 600 / 30)
    # revenue share, bought: 60% of the fee, network and storage; the partner gets 40%
    r = shop_month(e, "revenue_share", False, 2.0, 300.0, 10_000, 50.0, 2)
    assert r.operator_revenue_cny == pytest.approx(18)
    assert r.operator_cost_cny == pytest.approx(8)
    assert r.partner_revenue_cny == pytest.approx(12)


def test_run_writes_both_business_models(small_run) -> None:  # type: ignore[no-untyped-def]
    table = small_run.replications[0].tables["business"].to_pandas()
    assert sorted(zip(table["business_model"], table["devices"], strict=True)) == [
        ("buyout", "bought"), ("buyout", "rented"),
        ("revenue_share", "bought"), ("revenue_share", "rented")]
    assert np.isfinite(table["operator_margin_cny"]).all()


def test_unknown_camera_model_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"provinces\[1\]\.camera: no camera profile "
                                            r"with this id .* \(got 'nosuch_cam'\)"):
        small("provinces[1].camera=nosuch_cam")


def test_negative_bitrate_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"provinces\[0\]\.profile_overrides\.bitrate_kbps"
                                            r": Input should be greater than 0 \(got -5\)"):
        small("provinces[0].profile_overrides={bitrate_kbps: -5}")


def test_power_cut_in_an_unknown_province_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"power_cut\.province: not a province"):
        small("power_cut.province=Tibet")


def test_cli_bad_camera_model_exits_2_without_traceback(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["run", "shop_cameras_trial", "--quiet", "--out", str(tmp_path),
                 "--set", "provinces[0].camera=nosuch_cam"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "shop_cameras_trial.yaml" in err and "nosuch_cam" in err


def test_cli_runs_the_small_trial(tmp_path) -> None:  # type: ignore[no-untyped-def]
    args = ["run", "shop_cameras_trial", "--quiet", "--out", str(tmp_path), "--name", "r"]
    code = main([*args, *sum((["--set", s] for s in [
        "horizon_s=3600", "warmup_s=600", "provinces[0].shops=50", "provinces[1].shops=50",
        "provinces[2].shops=50", "provinces[3].shops=50", "provinces[4].shops=50",
        "power_cut.at_s=600", "firmware_campaign=null"]), [])])
    assert code == 0
    assert (tmp_path / "r" / "tables" / "business.parquet").is_file()
    assert (tmp_path / "r" / "timeseries" / "opsstream.parquet").is_file()


def test_run_scenario_kpis_are_all_declared(small_run) -> None:  # type: ignore[no-untyped-def]
    from sim.cameras.kpis import KPIS

    assert set(small_run.kpis) == set(KPIS)


def test_small_run_is_reproducible_through_run_scenario() -> None:
    a = run_scenario(small("horizon_s=1800", "firmware_campaign=null", "power_cut=null", "reboot=null"))
    b = run_scenario(small("horizon_s=1800", "firmware_campaign=null", "power_cut=null", "reboot=null"))
    assert a.kpis == pytest.approx(b.kpis, nan_ok=True)


def test_golden_kpis(small_run) -> None:  # type: ignore[no-untyped-def]
    """KPIs of the small trial are checked in; a change must be deliberate.

    Regenerate golden_small_trial.json only when the model is meant to change.
    """
    import json
    from pathlib import Path

    golden = json.loads((Path(__file__).parent / "golden_small_trial.json").read_text())
    got = {k: (None if isinstance(v, float) and math.isnan(v) else v)
           for k, v in small_run.kpis.items()}
    assert set(got) == set(golden)
    for name, value in golden.items():
        assert got[name] == (None if value is None else pytest.approx(value, rel=1e-9,
                                                                       abs=1e-9)), name

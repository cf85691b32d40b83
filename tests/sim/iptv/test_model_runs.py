import json
import math

import pyarrow.parquet as pq
import pytest

from sim.cli.main import main
from sim.engine.loading import load_scenario
from sim.engine.simulation import run_scenario


def _run_cli(tmp_path, name, *sets):
    args = ["run", name, "--out", str(tmp_path), "--quiet", "--name", "r"]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 0
    return tmp_path / "r"


def test_hotel_district_run_directory(tmp_path):
    run = _run_cli(tmp_path, "iptv_hotel_district", "horizon_s=3600", "warmup_s=600",
                   "site_groups[0].sites=6", "site_groups[1].sites=6")
    kpis = json.loads((run / "kpis.json").read_text())
    assert kpis["boxes"] > 1000 and kpis["device_events"] > 1000
    assert 0 < kpis["pon_peak_util"] < 1.5
    assert kpis["vod_requests"] > 0 and 0 <= kpis["vod_blocking"] <= 1
    net = pq.read_table(run / "timeseries/network.parquet").to_pandas()
    assert len(net) == 60 and {"live", "vod", "pon_peak_util", "cdn_gbps"} <= set(net.columns)
    # every box in exactly one state, every window
    occ = net[["standby", "live", "vod", "ad", "call", "offline"]].sum(axis=1)
    assert (abs(occ - kpis["boxes"]) < 1e-6 * kpis["boxes"]).all()
    prov = pq.read_table(run / "tables/provinces.parquet").to_pandas()
    assert list(prov["province"]) == ["Guangdong"]
    ports = pq.read_table(run / "tables/ports.parquet").to_pandas()
    assert len(ports) == kpis["pon_ports"] and "province" in ports.columns
    assert (ports["p95_util"] <= ports["peak_util"] + 0.0051).all()
    assert abs(ports["peak_util"].max() - kpis["pon_peak_util"]) < 1e-9
    sla = json.loads((run / "sla.json").read_text())
    assert {s["name"] for s in sla} >= {"PON port peak <= 80%", "VoD blocking <= 1%"}
    for t in ("sites", "site_groups", "olts", "channels", "topology"):
        assert (run / f"tables/{t}.parquet").exists()


def test_boot_storm_brings_boxes_back(tmp_path):
    loaded = load_scenario("iptv_boot_storm", [
        "horizon_s=3600", "site_groups[0].sites=20", "site_groups[1].sites=10",
        "site_groups[2].sites=20", "site_groups[3].sites=2"])
    res = run_scenario(loaded)
    k = res.kpis
    assert k["boot_boxes"] == k["boxes"]
    assert 0 < k["boot_t50_s"] <= k["boot_t99_s"] < 1800
    rep = res.replications[0]
    net = rep.series["network"].to_pandas()
    at = loaded.scenario.events.boot_storm.at_s
    during = net[(net.t_s >= at) & (net.t_s < at + 900)]
    assert (during["offline"] > 0.999 * k["boxes"]).all()
    assert net["offline"].iloc[-1] < 0.01 * k["boxes"]
    boot = rep.series["boot"].to_pandas()
    assert boot["on_air"].iloc[-1] >= 0.99 * k["boxes"]
    again = run_scenario(loaded)
    assert again.kpis == res.kpis


def test_firmware_campaign_waves_and_abort():
    sets = ["horizon_s=172800", "site_groups=" + json.dumps([
        {"name": "g", "vertical": "hotel", "province": "Hubei", "sites": 100,
         "boxes_per_site": 30, "stb": "tianyi_hd_stb"}]),
        "events.firmware_campaign.waves=" + json.dumps(
            [{"size": 100}, {"share": 0.2}, {"share": 0.77}]),
        "events.firmware_campaign.abort_min_finished=50",
        "events.firmware_campaign.egress_cap_gbps=0.5"]
    res = run_scenario(load_scenario("iptv_firmware_campaign", sets))
    k = res.kpis
    assert k["fw_waves_opened"] == 3 and k["fw_aborted"] == 0
    assert k["fw_done_share"] > 0.99 and not math.isnan(k["fw_complete_s"])
    assert k["fw_peak_egress_gbps"] <= 0.5 + 1e-9
    bad = run_scenario(load_scenario("iptv_firmware_campaign", sets + [
        "network.profile_overrides={}", "site_groups[0].stb=hotel_wifi_stb",
        "events.firmware_campaign.abort_failure_share=0.001"]))
    assert bad.kpis["fw_aborted"] == 1
    assert bad.kpis["fw_waves_opened"] < 3


@pytest.mark.parametrize("name", ["iptv_national_rollout_day"])
def test_national_short_run_has_province_tables(name, tmp_path):
    run = _run_cli(tmp_path, name, "horizon_s=1800", "warmup_s=0", "window_s=900",
                   "site_groups=" + json.dumps([
                       {"name": f"p{i}", "vertical": "hotel", "province": p, "sites": 5,
                        "boxes_per_site": 40, "stb": "hotel_wifi_stb"}
                       for i, p in enumerate(["Guangdong", "Sichuan", "Tibet"])]))
    prov = pq.read_table(run / "tables/provinces.parquet").to_pandas()
    assert sorted(prov["province"]) == ["Guangdong", "Sichuan", "Tibet"]
    series = pq.read_table(run / "timeseries/provinces.parquet").to_pandas()
    assert set(series["province"]) == {"Guangdong", "Sichuan", "Tibet"}


def test_cdn_edge_is_a_loss_system(tmp_path):
    """A CDN edge smaller than the VoD server: streams that do not fit the edge are blocked,
    the edge never carries more than its capacity, and the demand beyond it is reported."""
    run = _run_cli(tmp_path, "iptv_hotel_district", "horizon_s=3600", "warmup_s=600",
                   "site_groups[0].sites=6", "site_groups[1].sites=6",
                   "network.profile_overrides={vod_server: {streams: 1400, egress_gbps: 15}, "
                   "cdn_egress: {down_gbps: 0.3}}")
    kpis = json.loads((run / "kpis.json").read_text())
    assert kpis["vod_blocking"] > 0.05
    assert kpis["cdn_peak_util"] <= 1.0
    assert kpis["cdn_peak_offered"] >= kpis["cdn_peak_util"]
    net = pq.read_table(run / "timeseries/network.parquet").to_pandas()
    assert (net["cdn_peak_util"] <= 1.0 + 1e-12).all()
    assert (net["cdn_gbps"] <= 0.3 * 0.95 + 1e-9).all()


def test_viewing_starts_from_the_steady_state_of_the_hour():
    """VoD sessions are under way at t = 0 (two mean sessions simulated before, unrecorded),
    close to later in the hour; a cold start has almost none."""
    sets = ["horizon_s=3600", "warmup_s=0", "site_groups[0].sites=6", "site_groups[1].sites=6"]
    steady = run_scenario(load_scenario("iptv_hotel_district", sets))
    cold = run_scenario(load_scenario("iptv_hotel_district", sets + ["steady_start=false"]))
    vod = steady.replications[0].series["network"].to_pandas()["vod"]
    vod_cold = cold.replications[0].series["network"].to_pandas()["vod"]
    assert vod.iloc[0] > 0.5 * vod.iloc[-20:].mean()  # the evening still rising
    assert vod_cold.iloc[0] < 0.1 * vod.iloc[-20:].mean()

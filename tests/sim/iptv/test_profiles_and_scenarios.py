from pathlib import Path

import pytest

from sim.engine.loading import load_scenario
from sim.errors import ProfileError, ScenarioError
from sim.iptv.profiles import LinkProfile, ServerProfile, StbProfile
from sim.schema.profiles import ProfileCatalog, parse_profile

SCENARIOS = ["iptv_hotel_district", "iptv_boot_storm", "iptv_firmware_campaign",
             "iptv_national_rollout_day"]


def test_catalog_has_iptv_kinds():
    cat = ProfileCatalog()
    assert isinstance(cat.get("stb", "hotel_wifi_stb").profile, StbProfile)
    assert cat.get("stb", "hotel_wifi_stb").profile.wifi_hotspot
    pon = cat.get("link", "gpon_port").profile
    assert isinstance(pon, LinkProfile)
    assert (pon.down_gbps, pon.up_gbps, pon.split_ratio) == (2.488, 1.244, 64)
    assert isinstance(cat.get("server", "vod_edge").profile, ServerProfile)


def test_bad_profile_names_field_and_value(tmp_path: Path):
    d = tmp_path / "link"
    d.mkdir()
    f = d / "bad.yaml"
    f.write_text("id: bad\nlayer: pon\ndown_gbps: -1\nup_gbps: 1\n")
    with pytest.raises(ProfileError, match=r"down_gbps: .*greater than 0 \(got -1\)"):
        parse_profile(f)
    f.write_text("id: bad\nlayer: pon\ndown_gbps: 2.488\nup_gbps: 1.244\n")
    with pytest.raises(ProfileError, match="needs split_ratio"):
        parse_profile(f)


@pytest.mark.parametrize("name", SCENARIOS)
def test_shipped_scenarios_load(name: str):
    loaded = load_scenario(name)
    assert loaded.scenario.kind == "iptv"
    text = Path(loaded.source).read_text()
    assert text.startswith("# Question:")
    assert loaded.scenario.slas


def test_national_scenario_covers_31_provinces():
    sc = load_scenario("iptv_national_rollout_day").scenario
    provinces = {g.province for g in sc.site_groups}
    assert len(provinces) == 31
    boxes = sum(g.sites * g.boxes_per_site for g in sc.site_groups)
    assert 4_450_000 <= boxes <= 4_550_000
    gd = sum(g.sites * g.boxes_per_site for g in sc.site_groups if g.province == "Guangdong")
    assert abs(gd - 532_000) < 1000


def test_bad_scenario_lists_every_problem():
    with pytest.raises(ScenarioError) as err:
        load_scenario("iptv_boot_storm", [
            "site_groups[0].stb=no_such_box", "events.boot_storm.site_groups=[ghost]",
            "network.pon=metro_100g", "site_groups[1].vertical=castle"])
    text = str(err.value)
    assert "site_groups[1].vertical" in text and "castle" in text
    with pytest.raises(ScenarioError) as err:
        load_scenario("iptv_boot_storm", [
            "site_groups[0].stb=no_such_box", "events.boot_storm.site_groups=[ghost]",
            "network.pon=metro_100g"])
    text = str(err.value)
    assert "site_groups[0].stb: no stb profile with this id" in text
    assert "no_such_box" in text
    assert "events.boot_storm.site_groups[0]: no site group with this name (got 'ghost')" in text
    assert "network.pon: not a pon link profile" in text

"""Scheduled power-on (hospital ward TV): the boot wave on a case small enough to check by hand."""

import json
import math

import numpy as np
import pytest

from sim.engine.loading import load_scenario
from sim.engine.simulation import run_scenario
from sim.iptv.schedule import event_windows, is_off_before, scheduled_verticals

N_BOXES = 2000
JITTER_S = 600.0
BIN_S = 60.0
T_ON = 3600.0  # 07:00 on a run starting at 06:00


def _sets(*extra: str) -> list[str]:
    groups = [{"name": "wards", "vertical": "hospital", "province": "Hubei", "sites": 5,
               "boxes_per_site": N_BOXES // 5, "stb": "tianyi_hd_stb"}]
    return ["start_hour=6", "horizon_s=7200", "warmup_s=0", "window_s=60",
            "site_groups=" + json.dumps(groups),
            "viewing={hospital: {power_schedule: {on_h: 7, off_h: 22, jitter_s: 600, "
            "share: 1}}}",
            f"network.boot_servers.bin_s={BIN_S:g}", *extra]


@pytest.fixture(scope="module")
def morning():
    return run_scenario(load_scenario("iptv_hotel_district", _sets()))


def test_boxes_off_until_the_scheduled_time(morning):
    net = morning.replications[0].series["network"].to_pandas()
    before = net[net.t_s < T_ON]
    assert (before["offline"] == N_BOXES).all()
    assert net["offline"].iloc[-1] == 0


def test_every_box_boots_within_the_jitter_window(morning):
    """Boot requests only from the scheduled time to the jitter plus the longest boot
    (log-normal, median 45 s, sigma 0.25: under 45 e^(0.25 * 5) = 157 s), each box once."""
    k = morning.kpis
    wave = morning.replications[0].series["power_on"].to_pandas()
    asked = wave[wave.dhcp_rps > 0]
    assert asked.t_s.min() >= T_ON
    assert asked.t_s.max() < T_ON + JITTER_S + 157.0
    assert (wave.dhcp_rps * BIN_S).sum() == N_BOXES  # no retries: the servers are far from full
    assert k["power_on_rejects"] == 0 and k["power_on_timeouts"] == 0
    assert k["power_on_boxes"] == N_BOXES
    assert wave.on_air.iloc[-1] == N_BOXES
    assert k["power_on_t99_s"] < JITTER_S + 157.0 + 10.0


def test_auth_peak_is_the_count_over_the_window(morning):
    """Power-ons spread uniformly over the jitter: in a bin wholly inside the wave each
    box's auth request falls with probability bin / jitter, so the auth rate there is
    N / jitter per second (3.33/s) with a binomial spread; the peak bin lies within four
    standard deviations above it."""
    wave = morning.replications[0].series["power_on"].to_pandas()
    inside = wave[(wave.t_s >= T_ON + 180.0) & (wave.t_s + BIN_S <= T_ON + JITTER_S)]
    assert len(inside) >= 6
    p = BIN_S / JITTER_S
    mean = N_BOXES * p
    sd = math.sqrt(N_BOXES * p * (1 - p))
    counts = inside.auth_rps.to_numpy() * BIN_S
    assert abs(counts.mean() - mean) < 3 * sd / math.sqrt(len(counts))
    peak = morning.kpis["power_on_peak_auth_rps"] * BIN_S
    assert mean <= peak <= mean + 4 * sd


def test_off_before_and_event_windows():
    h = 3600.0
    assert is_off_before(0.0, 7 * h, 22 * h)  # midnight: off
    assert is_off_before(7 * h, 7 * h, 22 * h)  # the power-on itself is an event of the run
    assert not is_off_before(22 * h, 7 * h, 22 * h)  # the power-off is an event of the run
    assert not is_off_before(12 * h, 7 * h, 22 * h)
    assert is_off_before(23 * h, 7 * h, 22 * h)
    # start 06:00, windows of 300 s, two days: 07:00 is window 12 and 300
    assert event_windows(7.0, 6 * h, 300.0, 576) == [12, 300]
    assert event_windows(22.0, 6 * h, 300.0, 100) == []


def test_share_zero_turns_the_hospital_default_off():
    loaded = load_scenario("iptv_hotel_district",
                           _sets("viewing={hospital: {power_schedule: {share: 0}}}"))
    assert scheduled_verticals(loaded.scenario) == []
    default = load_scenario("iptv_hotel_district", _sets("viewing={}"))
    assert scheduled_verticals(default.scenario) == ["hospital"]


def test_a_run_from_midnight_starts_with_the_wards_off():
    res = run_scenario(load_scenario("iptv_hotel_district", [
        *_sets("start_hour=0", "horizon_s=600", "viewing={}")]))
    net = res.replications[0].series["network"].to_pandas()
    share = net["offline"].iloc[0] / N_BOXES  # default: 80% of the boxes on the switch
    assert abs(share - 0.8) < 4 * np.sqrt(0.8 * 0.2 / N_BOXES)
    assert res.kpis["power_on_boxes"] == 0 and math.isnan(res.kpis["power_on_t99_s"])
